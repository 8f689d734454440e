/**
 * `efd influxdb-sink` — SAL topics (Avro) → InfluxDB 1.8, the EFD's default sink.
 *
 *   efd influxdb-sink --brokers kafka:9092 --registry http://registry:8081 \
 *       --influxdb-url http://influxdb:8086 --database efd --retention-policy raw
 *   efd influxdb-sink --local                       # the local EFD (npx efd local up)
 *
 * Every flag falls back to an environment variable (see --help); the InfluxDB credentials come from
 * INFLUXDB_USER / INFLUXDB_PASSWORD only (sent as the `Token user:password` header). Serves
 * /metrics and /healthz on --metrics-port. SIGTERM: stop consuming, finish the writes in flight,
 * exit; records not yet acknowledged by InfluxDB are not committed and are read again on restart.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { readEndpoints } from '../lib/local-endpoints';
import {
  addKafkaOptions,
  addRegistryOption,
  KAFKA_ENV,
  kafkaConfigShape,
  kafkaOptionsFrom,
  loadConfig,
  REGISTRY_ENV,
  zBool,
  zInt,
  zList,
} from '../lib/config';
import { createLogger, Logger } from '../lib/logging';
import { createMetricsRegistry, MetricsServer, startMetricsServer } from '../lib/metrics';
import { createRegistry } from '../lib/registry';
import { createShutdown } from '../lib/shutdown';
import { DEFAULT_MAX_BYTES } from './batcher';
import { createConverter } from './convert';
import { InfluxDbSink, sinkMetrics, writerMetricsHook } from './sink';
import { InfluxWriter } from './writer';
import { IDENTIFIER, KAFKA_TOPIC, regexSchema } from '../../config/names';
import { exitCodeOf } from '../lib/exit-codes';

export const DEFAULT_TOPICS_REGEX = 'lsst\\.sal\\..*';
export const DEFAULT_DLQ = 'lsst.efd.influxdb-sink.dlq';

const staticTag = z.string().regex(/^[^=]+=.+$/, { message: 'expected key=value' });

export const sinkConfigSchema = z.object({
  ...kafkaConfigShape,
  clientId: z.string().min(1).default('efd-influxdb-sink'),
  registry: z.string({ error: 'required: schema registry URL' }).url(),
  influxdbUrl: z.string({ error: 'required: InfluxDB URL, e.g. http://influxdb:8086' }).url(),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/)
    .default('efd'),
  retentionPolicy: z.string().regex(IDENTIFIER).optional(),
  influxdbUser: z.string().optional(),
  influxdbPassword: z.string().optional(),
  topicsRegex: regexSchema.default(DEFAULT_TOPICS_REGEX),
  groupId: z.string().min(1).default('efd-influxdb-sink'),
  deadLetterTopic: z.string().regex(KAFKA_TOPIC).default(DEFAULT_DLQ),
  tag: zList.default([]),
  staticTag: z
    .union([staticTag, z.array(staticTag)])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .default([]),
  timestampField: z.string().min(1).default('sal_created'),
  timestampUnit: z.enum(['auto', 's', 'ms', 'us', 'ns']).default('auto'),
  missingTimestamp: z.enum(['kafka', 'reject']).default('kafka'),
  stripPrefix: z.string().optional(),
  batchSize: zInt(1).max(100_000).default(5000),
  batchBytes: zInt(1024)
    .max(256 * 1024 * 1024)
    .default(DEFAULT_MAX_BYTES),
  flushIntervalMs: zInt(10).default(1000),
  lingerMs: zInt(0).default(5),
  maxInFlight: zInt(1).max(64).default(4),
  partitionsConcurrency: zInt(1).default(16),
  topicRefreshMs: zInt(100).default(10_000),
  fromBeginning: zBool.default(true),
});
export type SinkConfig = z.output<typeof sinkConfigSchema>;

export const SINK_ENV = {
  ...KAFKA_ENV,
  ...REGISTRY_ENV,
  influxdbUrl: 'INFLUXDB_URL',
  database: 'INFLUXDB_DATABASE',
  retentionPolicy: 'INFLUXDB_RETENTION_POLICY',
  influxdbUser: 'INFLUXDB_USER',
  influxdbPassword: 'INFLUXDB_PASSWORD',
  topicsRegex: 'SINK_TOPICS_REGEX',
  groupId: 'SINK_GROUP_ID',
  deadLetterTopic: 'SINK_DEAD_LETTER_TOPIC',
  tag: 'SINK_TAGS',
  timestampField: 'SINK_TIMESTAMP_FIELD',
  batchSize: 'SINK_BATCH_SIZE',
  batchBytes: 'SINK_BATCH_BYTES',
  flushIntervalMs: 'SINK_FLUSH_INTERVAL_MS',
  maxInFlight: 'SINK_MAX_IN_FLIGHT',
  topicRefreshMs: 'SINK_TOPIC_REFRESH_MS',
} as const;

/** Parses flags + env; `--local` fills Kafka, registry and InfluxDB from the local EFD. */
export function sinkConfig(flags: Record<string, unknown>, env: Record<string, string | undefined> = process.env): SinkConfig {
  let f = flags;
  if (flags.local) {
    const e = readEndpoints();
    const defined = Object.fromEntries(Object.entries(flags).filter(([k, v]) => v !== undefined && k !== 'local'));
    f = {
      brokers: e.clusters[0].kafka,
      registry: e.clusters[0].registry,
      influxdbUrl: e.influxdb.url,
      database: e.influxdb.database,
      ...defined,
    };
  }
  return loadConfig(sinkConfigSchema, f, SINK_ENV, env);
}

export interface RunningSink {
  sink: InfluxDbSink;
  metricsServer?: MetricsServer;
  /** Graceful stop (finish writes in flight). */
  stop(): Promise<void>;
  /** Stop without waiting for InfluxDB (aborts retries): like a crash for the uncommitted records. */
  abort(): Promise<void>;
}

/** Builds and starts the sink; `metricsPort: undefined` skips the HTTP server (tests, benchmarks). */
export async function startSink(c: SinkConfig, opts: { logger?: Logger; serveMetrics?: boolean } = {}): Promise<RunningSink> {
  const logger = opts.logger ?? createLogger({ name: 'influxdb-sink', level: c.logLevel });
  const registry = createMetricsRegistry({ defaultMetrics: opts.serveMetrics ?? true });
  const metrics = sinkMetrics(registry);
  const abort = new AbortController();
  const token = c.influxdbUser ? `${c.influxdbUser}:${c.influxdbPassword ?? ''}` : 'efd:efd';
  const writer = new InfluxWriter({
    url: c.influxdbUrl,
    database: c.database,
    retentionPolicy: c.retentionPolicy,
    token,
    logger,
    signal: abort.signal,
    maxSockets: c.maxInFlight,
    onAttempt: writerMetricsHook(metrics),
  });
  const schemaRegistry = createRegistry(c.registry, { logger, retry: { attempts: Infinity, maxDelayMs: 10_000 } });
  const converter = createConverter(schemaRegistry, {
    tags: c.tag,
    staticTags: Object.fromEntries(c.staticTag.map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)])),
    timestampField: c.timestampField,
    timestampUnit: c.timestampUnit,
    missingTimestamp: c.missingTimestamp,
    stripPrefix: c.stripPrefix,
  });
  const kafka = kafkaOptionsFrom(c, logger);
  const sink = new InfluxDbSink({
    kafka,
    converter,
    writer,
    logger,
    metrics,
    topicsRegex: c.topicsRegex,
    groupId: c.groupId,
    deadLetterTopic: c.deadLetterTopic,
    batchSize: c.batchSize,
    batchBytes: c.batchBytes,
    flushIntervalMs: c.flushIntervalMs,
    lingerMs: c.lingerMs,
    maxInFlight: c.maxInFlight,
    partitionsConcurrency: c.partitionsConcurrency,
    topicRefreshMs: c.topicRefreshMs,
    fromBeginning: c.fromBeginning,
    signal: abort.signal,
  });
  const metricsServer =
    opts.serveMetrics === false ? undefined : await startMetricsServer({ registry, port: c.metricsPort, health: () => sink.health() });
  await sink.start();
  logger.info(
    { topicsRegex: c.topicsRegex, influxdb: c.influxdbUrl, database: c.database, metrics: metricsServer?.url },
    'influxdb-sink started',
  );
  return {
    sink,
    metricsServer,
    stop: async () => {
      await sink.stop();
      await metricsServer?.close();
    },
    abort: async () => {
      abort.abort();
      await sink.stop();
      await metricsServer?.close();
    },
  };
}

async function run(flags: Record<string, unknown>): Promise<number> {
  const c = sinkConfig(flags);
  const logger = createLogger({ name: 'influxdb-sink', level: c.logLevel });
  const shutdown = createShutdown({ logger, timeoutMs: 25_000 });
  shutdown.installSignalHandlers();
  const running = await startSink(c, { logger });
  shutdown.onShutdown('sink', () => running.stop());
  await shutdown.done;
  return 0;
}

/** Adds `influxdb-sink` to the `efd` program. */
export function registerInfluxdbSinkCommand(program: Command): Command {
  const cmd = program
    .command('influxdb-sink')
    .description('consume lsst.sal.* Avro topics and write them to InfluxDB (one measurement per topic, arrays as name0..nameN)');
  addKafkaOptions(cmd, 'efd-influxdb-sink');
  addRegistryOption(cmd);
  cmd
    .option('--local', 'use the local EFD (npx efd local up): Kafka, registry and InfluxDB of cluster a')
    .option('--influxdb-url <url>', `InfluxDB URL (env ${SINK_ENV.influxdbUrl}); credentials from env INFLUXDB_USER / INFLUXDB_PASSWORD`)
    .option('--database <db>', `database (env ${SINK_ENV.database}, default efd)`)
    .option('--retention-policy <rp>', `retention policy written to (env ${SINK_ENV.retentionPolicy}, default: the database's default)`)
    .option('--topics-regex <regex>', `topics to consume, whole-name match (env ${SINK_ENV.topicsRegex}, default ${DEFAULT_TOPICS_REGEX})`)
    .option('--group-id <id>', `consumer group (env ${SINK_ENV.groupId}, default efd-influxdb-sink)`)
    .option('--dead-letter-topic <topic>', `where unwritable records go (env ${SINK_ENV.deadLetterTopic}, default ${DEFAULT_DLQ})`)
    .option('--tag <field...>', `record fields written as tags (env ${SINK_ENV.tag}, comma-separated)`)
    .option('--static-tag <key=value...>', 'tags added to every point')
    .option('--timestamp-field <field>', `field holding the point time (env ${SINK_ENV.timestampField}, default sal_created)`)
    .addOption(
      new Option('--timestamp-unit <unit>', 'unit of integer timestamps (default auto: by magnitude)').choices([
        'auto',
        's',
        'ms',
        'us',
        'ns',
      ]),
    )
    .addOption(
      new Option(
        '--missing-timestamp <policy>',
        'record without the timestamp field: kafka timestamp or dead-letter (default kafka)',
      ).choices(['kafka', 'reject']),
    )
    .option('--strip-prefix <prefix>', 'prefix removed from topic names to form measurement names (default: measurement = topic)')
    .option('--batch-size <points>', `points per write (env ${SINK_ENV.batchSize}, default 5000)`)
    .option(
      '--batch-bytes <bytes>',
      `line-protocol bytes per write, so wide topics do not make huge requests; a single larger point is written alone (env ${SINK_ENV.batchBytes}, default ${DEFAULT_MAX_BYTES} = 2 MiB)`,
    )
    .option('--flush-interval-ms <ms>', `longest wait before a partial batch is written (env ${SINK_ENV.flushIntervalMs}, default 1000)`)
    .option('--linger-ms <ms>', 'write a partial batch once no record arrived for this long (default 5)')
    .option('--max-in-flight <n>', `concurrent writes (env ${SINK_ENV.maxInFlight}, default 4)`)
    .option('--partitions-concurrency <n>', 'partitions processed at once (default 16)')
    .option('--topic-refresh-ms <ms>', `how often to look for new matching topics (env ${SINK_ENV.topicRefreshMs}, default 10000)`)
    .option('--no-from-beginning', 'start new topics at their end instead of their beginning')
    .action(async (opts: Record<string, unknown>) => {
      try {
        process.exitCode = await run(opts);
      } catch (err) {
        process.stderr.write(`efd influxdb-sink: ${(err as Error).message}\n`);
        process.exitCode = exitCodeOf(err);
      }
    });
  return cmd;
}
