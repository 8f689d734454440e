/**
 * Logging for the apps: pino, JSON lines on stderr (stdout stays free for command output),
 * level from `--log-level` / `LOG_LEVEL` (default info).
 */
import pino, { DestinationStream, Logger } from 'pino';
import { logLevel as KafkaLogLevel, LogEntry, logCreator } from 'kafkajs';

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

/**
 * Errors kafkajs logs while a topic is being created (auto-created on first produce, or just created
 * by the app): it retries them itself, so they are logged at debug, not error.
 */
const TRANSIENT_KAFKA_ERRORS = /does not host this topic-partition|no leader for this topic-partition|leader is not available/i;

/** kafkajs log entries → the app's pino logger (child `component: kafkajs`). */
export function kafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () => (entry: LogEntry) => {
    const { message, ...rest } = entry.log;
    const fields = { namespace: entry.namespace, ...rest };
    const transient = typeof rest.error === 'string' && TRANSIENT_KAFKA_ERRORS.test(rest.error);
    switch (transient ? KafkaLogLevel.DEBUG : entry.level) {
      case KafkaLogLevel.ERROR:
        child.error(fields, message);
        break;
      case KafkaLogLevel.WARN:
        child.warn(fields, message);
        break;
      case KafkaLogLevel.INFO:
        child.info(fields, message);
        break;
      default:
        child.debug(fields, message);
    }
  };
}
