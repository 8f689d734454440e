/**
 * Logging for the apps: pino, JSON lines on stderr (stdout stays free for command output),
 * level from `--log-level` / `LOG_LEVEL` (default info).
 */
import pino, { DestinationStream, Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** App name, logged as `app`. */
  name: string;
  level?: LogLevel;
  /** Where to write (tests); default stderr. */
  destination?: DestinationStream;
}

/** A pino logger for an app. */
export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? (LOG_LEVELS.includes(process.env.LOG_LEVEL as LogLevel) ? (process.env.LOG_LEVEL as LogLevel) : 'info');
  return pino(
    { name: opts.name, level, base: { app: opts.name }, timestamp: pino.stdTimeFunctions.isoTime },
    opts.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that drops everything (unit tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
