/**
 * The exit codes of every `efd` command, in one place (README "Exit codes"):
 *   0 done; 1 the command ran and something failed (a schema refused, a connector FAILED, …);
 *   2 usage (unknown command or flag, a missing or malformed flag or environment value);
 *   3 bad input (site YAML, ts_xml, retention tiers, a file that does not exist or does not parse);
 *   4 a server could not be reached (Kafka, Connect, the registry, InfluxDB, the Kubernetes API).
 * Commands throw; runProgram (./program.ts) turns the error into its code with exitCodeOf.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, badInput: 3, unreachable: 4 } as const;

/** Flags or environment values that cannot be used. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Input the command was pointed at is wrong: it names the file, line and field. */
export class BadInputError extends Error {
  readonly exitCode = EXIT.badInput;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BadInputError';
  }
}

/** A server did not answer. */
export class UnreachableError extends Error {
  readonly exitCode = EXIT.unreachable;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/** Error names of the layers below apps/lib (which cannot import this module), by exit code. */
const BY_NAME: Record<string, number> = {
  ConfigError: EXIT.usage,
  SiteConfigError: EXIT.badInput,
  RetentionTierError: EXIT.badInput,
  SalTextError: EXIT.badInput,
  ZodError: EXIT.badInput,
  RegistryUnavailableError: EXIT.unreachable,
  KafkaJSConnectionError: EXIT.unreachable,
  KafkaJSBrokerNotFound: EXIT.unreachable,
  // fetch's AbortSignal.timeout: the server did not answer in time.
  TimeoutError: EXIT.unreachable,
};

/** Socket and DNS failures: the server is not there. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'PLT_KFK_NETWORK',
]);
/** A file the command was given that is not there or not readable. */
const FILE_CODES = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES']);

/** The exit code for an error a command threw: its own, its class's, or what its cause chain shows. */
export function exitCodeOf(err: unknown): number {
  const seen = new Set<unknown>();
  let fileProblem = false;
  for (let e = err; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const { exitCode, name, code, errors } = e as { exitCode?: unknown; name?: unknown; code?: unknown; errors?: unknown };
    if (typeof exitCode === 'number' && Object.values(EXIT).includes(exitCode as never)) return exitCode;
    if (typeof name === 'string' && name in BY_NAME) return BY_NAME[name];
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return EXIT.unreachable;
    if (typeof code === 'string' && FILE_CODES.has(code)) fileProblem = true;
    // AggregateError (fetch to a name with several addresses, kafkajs retries): any cause counts.
    if (Array.isArray(errors) && errors.some((x) => exitCodeOf(x) === EXIT.unreachable)) return EXIT.unreachable;
  }
  return fileProblem ? EXIT.badInput : EXIT.failed;
}

/** The code of a command whose parts ended with these codes: usage first, then unreachable, bad input, failed. */
export function worstExit(...codes: number[]): number {
  for (const c of [EXIT.usage, EXIT.unreachable, EXIT.badInput, EXIT.failed]) if (codes.includes(c)) return c;
  return codes.find((c) => c !== EXIT.ok) ?? EXIT.ok;
}
