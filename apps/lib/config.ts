/**
 * App configuration: commander flags, falling back to environment variables, validated with zod.
 * A flag given on the command line wins over its environment variable; errors name both, so the
 * operator knows what to change (container args or the ConfigMap/Secret behind the env).
 *
 * Secrets (SASL password) are read from the environment only, never from flags.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { KafkaOptions } from './kafka';
import { LOG_LEVELS, Logger } from './logging';
import { COMPATIBILITY_LEVELS } from './registry';

/** A configuration value that is missing or invalid. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** camelCase option key → `--kebab-case` flag. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Merges flags (commander's `opts()`) with environment variables (`envNames`: key → variable name) and
 * validates the result with `schema`. Env values are strings: use `z.coerce` or the helpers below.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  flags: Record<string, unknown>,
  envNames: Partial<Record<keyof z.input<S> & string, string>>,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const merged: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envNames) as [string, string][]) {
    const v = env[name];
    if (v !== undefined && v !== '') merged[key] = v;
  }
  for (const [key, v] of Object.entries(flags)) if (v !== undefined) merged[key] = v;
  const r = schema.safeParse(merged);
  if (r.success) return r.data;
  const lines = r.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const envName = (envNames as Record<string, string | undefined>)[key];
    const where = key ? `${flagOf(key)}${envName ? ` (env ${envName})` : ''}` : 'configuration';
    return `${where}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
}

/** zod: boolean from a flag (`true`) or an env string (`true|false|1|0|yes|no`). */
export const zBool = z.union([
  z.boolean(),
  z
    .string()
    .toLowerCase()
    .refine((s) => ['true', 'false', '1', '0', 'yes', 'no'].includes(s), 'expected true or false')
    .transform((s) => ['true', '1', 'yes'].includes(s)),
]);

/** zod: a non-negative integer, from a number or a string. */
export const zInt = (min = 0) => z.coerce.number().int(`expected an integer`).min(min);

/** zod: a comma-separated list (or repeated flag) → string[]. */
export const zList = z.union([z.string(), z.array(z.string())]).transform((v) =>
  (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean),
);

/** Options every Kafka app has, with their environment variables. */
export const kafkaConfigShape = {
  brokers: z.string({ error: 'required: Kafka bootstrap servers host:port[,host:port…]' }).min(1),
  clientId: z.string().min(1),
  ssl: zBool.default(false),
  saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  saslUsername: z.string().optional(),
  saslPassword: z.string().optional(),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  metricsPort: zInt().max(65535).default(9090),
};

export const KAFKA_ENV = {
  brokers: 'KAFKA_BROKERS',
  clientId: 'KAFKA_CLIENT_ID',
  ssl: 'KAFKA_SSL',
  saslMechanism: 'KAFKA_SASL_MECHANISM',
  saslUsername: 'KAFKA_SASL_USERNAME',
  saslPassword: 'KAFKA_SASL_PASSWORD',
  logLevel: 'LOG_LEVEL',
  metricsPort: 'METRICS_PORT',
} as const;

export const REGISTRY_ENV = { registry: 'SCHEMA_REGISTRY_URL' } as const;

/** Adds the common Kafka/metrics/logging flags to a command (defaults come from the zod shape). */
export function addKafkaOptions(cmd: Command, clientId: string): Command {
  return (
    cmd
      .option('--brokers <list>', `Kafka bootstrap servers host:port[,…] (env ${KAFKA_ENV.brokers})`)
      // default: the env variable, else the app's name (a commander default would hide the env variable)
      .option('--client-id <id>', `Kafka client id (env ${KAFKA_ENV.clientId})`, process.env[KAFKA_ENV.clientId] || clientId)
      .option('--ssl', `connect to Kafka with TLS (env ${KAFKA_ENV.ssl}=true)`)
      .addOption(
        new Option(
          '--sasl-mechanism <m>',
          `SASL mechanism (env ${KAFKA_ENV.saslMechanism}); password from env ${KAFKA_ENV.saslPassword}`,
        ).choices(['plain', 'scram-sha-256', 'scram-sha-512']),
      )
      .option('--sasl-username <user>', `SASL user (env ${KAFKA_ENV.saslUsername})`)
      .addOption(new Option('--log-level <level>', `log level (env ${KAFKA_ENV.logLevel})`).choices([...LOG_LEVELS]))
      .option('--metrics-port <port>', `port of /metrics and /healthz, 0 = random (env ${KAFKA_ENV.metricsPort}, default 9090)`)
  );
}

/** Defaults of a consuming app's group settings ({@link consumerGroupSettings}). */
export interface ConsumerGroupDefaults {
  /** Consumer group id. */
  readonly group: string;
  /** Partitions processed at once. @default 16 */
  readonly concurrency?: number;
  /** Consumer session timeout, ms. @default 30000 */
  readonly sessionTimeoutMs?: number;
  /** How often matching topics are listed, ms. @default 10000 */
  readonly topicRefreshMs?: number;
}

const consumerGroupKeys = (d: ConsumerGroupDefaults) => ({
  group: z.string().min(1).default(d.group),
  fromBeginning: zBool.default(true),
  concurrency: zInt(1).default(d.concurrency ?? 16),
  sessionTimeoutMs: zInt(1000).default(d.sessionTimeoutMs ?? 30_000),
  topicRefreshMs: zInt(100).default(d.topicRefreshMs ?? 10_000),
});
type ConsumerGroupShape = ReturnType<typeof consumerGroupKeys>;
/** A key of the consumer-group settings: what an app's consumer takes. */
export type ConsumerGroupKey = keyof ConsumerGroupShape;

const CONSUMER_GROUP_ENV: Record<ConsumerGroupKey, string> = {
  group: 'GROUP',
  fromBeginning: 'FROM_BEGINNING',
  concurrency: 'CONCURRENCY',
  sessionTimeoutMs: 'SESSION_TIMEOUT_MS',
  topicRefreshMs: 'TOPIC_REFRESH_MS',
};

const consumerGroupFlags = (env: Record<string, string>, d: ConsumerGroupDefaults): Record<ConsumerGroupKey, [string, string]> => ({
  group: ['--group <id>', `consumer group; replicas in one group share the partitions (env ${env.group}, default ${d.group})`],
  fromBeginning: [
    '--no-from-beginning',
    `a new group starts at the end of the topics instead of the beginning (env ${env.fromBeginning}=false)`,
  ],
  concurrency: ['--concurrency <n>', `partitions processed at once (env ${env.concurrency}, default ${d.concurrency ?? 16})`],
  sessionTimeoutMs: [
    '--session-timeout-ms <ms>',
    `consumer session timeout: how soon a dead replica's partitions move (env ${env.sessionTimeoutMs}, default ${d.sessionTimeoutMs ?? 30000})`,
  ],
  topicRefreshMs: [
    '--topic-refresh-ms <ms>',
    `how often to look for new matching topics (env ${env.topicRefreshMs}, default ${d.topicRefreshMs ?? 10000})`,
  ],
});

/** The settings every consuming app has: its group, where a new group starts, partitions at once. */
export const GROUP_KEYS = ['group', 'fromBeginning', 'concurrency'] as const;

/** The zod keys, environment variables and flags of the consumer-group settings an app picks. */
export interface ConsumerGroupSettings<K extends ConsumerGroupKey> {
  readonly shape: Pick<ConsumerGroupShape, K>;
  /** `<PREFIX>_GROUP`, `<PREFIX>_FROM_BEGINNING`, … */
  readonly env: Record<K, string>;
  /** Adds the flags: --group, --no-from-beginning, --concurrency, --session-timeout-ms, --topic-refresh-ms. */
  addOptions(cmd: Command): Command;
}

/**
 * The consumer-group settings of a consuming app (saltransform, the aggregator, the sinks), one
 * definition each: `keys` are the ones its consumer takes, `prefix` names their environment variables.
 */
export function consumerGroupSettings<K extends ConsumerGroupKey>(
  prefix: string,
  d: ConsumerGroupDefaults,
  keys: readonly K[],
): ConsumerGroupSettings<K> {
  const all = consumerGroupKeys(d);
  const shape = Object.fromEntries(keys.map((k) => [k, all[k]])) as Pick<ConsumerGroupShape, K>;
  const env = Object.fromEntries(keys.map((k) => [k, `${prefix}_${CONSUMER_GROUP_ENV[k]}`])) as Record<K, string>;
  const flags = consumerGroupFlags(env, d);
  return {
    shape,
    env,
    addOptions: (cmd) => keys.reduce((c, k) => c.option(flags[k][0], flags[k][1]), cmd),
  };
}

/** Defaults of a producing app's settings ({@link producerSettings}). */
export interface ProducerDefaults {
  /** How long an output waits for its produce batch (ms). */
  readonly lingerMs: number;
  /** What the topics it creates are, for the help. */
  readonly created: string;
}

/** The zod keys and flags of an app that produces and creates its output topics: --linger-ms, --replication-factor. */
export function producerSettings(d: ProducerDefaults) {
  return {
    shape: {
      lingerMs: zInt().default(d.lingerMs),
      replicationFactor: z.coerce.number().int().min(-1).default(-1),
    },
    addOptions: (cmd: Command): Command =>
      cmd
        .option('--linger-ms <ms>', `how long an output waits for its produce batch (default ${d.lingerMs})`)
        .option('--replication-factor <n>', `replication factor of the ${d.created} it creates (default -1 = broker default)`),
  };
}

/**
 * The flags as given: commander sets a `--no-<flag>` option to true when it is not given, which would hide
 * its environment variable, so those keys are dropped unless false.
 */
export function givenFlags(flags: Record<string, unknown>, negatable: readonly string[]): Record<string, unknown> {
  const f = { ...flags };
  for (const k of negatable) if (f[k] === true) delete f[k];
  return f;
}

/** `(flags, env) => config`: {@link loadConfig} with an app's schema and environment names. */
export function configLoader<S extends z.ZodObject>(schema: S, envNames: Partial<Record<keyof z.input<S> & string, string>>) {
  return (flags: Record<string, unknown>, env: Record<string, string | undefined> = process.env): z.output<S> =>
    loadConfig(schema, flags, envNames, env);
}

/** Adds `--registry <url>`. */
export function addRegistryOption(cmd: Command): Command {
  return cmd.option('--registry <url>', `schema registry URL, Confluent-compatible API or server root (env ${REGISTRY_ENV.registry})`);
}

/** Adds `--compatibility <level>`. */
export function addCompatibilityOption(cmd: Command, dflt?: string): Command {
  const o = new Option('--compatibility <level>', 'compatibility level set on each subject').choices([...COMPATIBILITY_LEVELS]);
  return cmd.addOption(dflt ? o.default(dflt) : o);
}

/** KafkaOptions from a validated config with the {@link kafkaConfigShape} keys. */
export function kafkaOptionsFrom(
  c: {
    brokers: string;
    clientId: string;
    ssl: boolean;
    saslMechanism?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    saslUsername?: string;
    saslPassword?: string;
  },
  logger?: Logger,
): KafkaOptions {
  const o: KafkaOptions = { brokers: c.brokers, clientId: c.clientId, ssl: c.ssl, logger };
  if (c.saslMechanism) {
    if (!c.saslUsername || !c.saslPassword) {
      throw new ConfigError(
        `SASL ${c.saslMechanism} needs --sasl-username (env ${KAFKA_ENV.saslUsername}) and env ${KAFKA_ENV.saslPassword}`,
      );
    }
    o.sasl = { mechanism: c.saslMechanism, username: c.saslUsername, password: c.saslPassword } as KafkaOptions['sasl'];
  }
  return o;
}
