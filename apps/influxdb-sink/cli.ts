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
  consumerGroupSettings,
  GROUP_KEYS,
  givenFlags,
  KAFKA_ENV,
  kafkaConfigShape,
  kafkaOptionsFrom,
  loadConfig,
  REGISTRY_ENV,
  zInt,
  zList,
} from '../lib/config';
import { createLogger, Logger } from '../lib/logging';
import { createMetricsRegistry, MetricsServer, startMetricsServer } from '../lib/metrics';
import { createRegistry } from '../lib/registry';
import { createShutdown } from '../lib/shutdown';
import { DEFAULT_MAX_BYTES } from './batcher';
import { createConverter, type Converter } from './convert';
import { InfluxDbSink, outageMetricsHook, sinkMetrics, writerMetricsHook } from './sink';
import { InfluxWriter, type WriterOptions } from './writer';
import { IDENTIFIER, KAFKA_TOPIC, regexSchema } from '../../config/names';
import { EXIT, exitCodeOf, UsageError } from '../lib/exit-codes';
import { stdio, type CliOutput } from '../lib/cli-output';
import { defaultRepairGroup, parseRange, repair, summaryLines, type RepairRange } from './repair';

export const DEFAULT_TOPICS_REGEX = 'lsst\\.sal\\..*';
export const DEFAULT_DLQ = 'lsst.efd.influxdb-sink.dlq';

const staticTag = z.string().regex(/^[^=]+=.+$/, { message: 'expected key=value' });

const GROUP = consumerGroupSettings('SINK', { group: 'efd-influxdb-sink', concurrency: 16, topicRefreshMs: 5000 }, [
  ...GROUP_KEYS,
  'topicRefreshMs',
]);

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
  ...GROUP.shape,
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
  ...GROUP.env,
  deadLetterTopic: 'SINK_DEAD_LETTER_TOPIC',
  tag: 'SINK_TAGS',
  timestampField: 'SINK_TIMESTAMP_FIELD',
  batchSize: 'SINK_BATCH_SIZE',
  batchBytes: 'SINK_BATCH_BYTES',
  flushIntervalMs: 'SINK_FLUSH_INTERVAL_MS',
  maxInFlight: 'SINK_MAX_IN_FLIGHT',
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

/** The InfluxDB writer of a sink config (credentials INFLUXDB_USER / INFLUXDB_PASSWORD, else `efd:efd`). */
export function influxWriterFor(
  c: SinkConfig,
  logger: Logger,
  signal: AbortSignal,
  hooks: Pick<WriterOptions, 'onAttempt' | 'onOutage'> = {},
): InfluxWriter {
  const token = c.influxdbUser ? `${c.influxdbUser}:${c.influxdbPassword ?? ''}` : 'efd:efd';
  return new InfluxWriter({
    url: c.influxdbUrl,
    database: c.database,
    retentionPolicy: c.retentionPolicy,
    token,
    logger,
    signal,
    maxSockets: c.maxInFlight,
    ...hooks,
  });
}

/** The record → point converter of a sink config (schemas from its registry, retried while unreachable). */
export function converterFor(c: SinkConfig, logger: Logger): Converter {
  const schemaRegistry = createRegistry(c.registry, { logger, retry: { attempts: Infinity, maxDelayMs: 10_000 } });
  return createConverter(schemaRegistry, {
    tags: c.tag,
    staticTags: Object.fromEntries(c.staticTag.map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)])),
    timestampField: c.timestampField,
    timestampUnit: c.timestampUnit,
    missingTimestamp: c.missingTimestamp,
    stripPrefix: c.stripPrefix,
  });
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
  const writer = influxWriterFor(c, logger, abort.signal, { onAttempt: writerMetricsHook(metrics), onOutage: outageMetricsHook(metrics) });
  const converter = converterFor(c, logger);
  const kafka = kafkaOptionsFrom(c, logger);
  const sink = new InfluxDbSink({
    kafka,
    converter,
    writer,
    logger,
    metrics,
    topicsRegex: c.topicsRegex,
    groupId: c.group,
    deadLetterTopic: c.deadLetterTopic,
    batchSize: c.batchSize,
    batchBytes: c.batchBytes,
    flushIntervalMs: c.flushIntervalMs,
    lingerMs: c.lingerMs,
    maxInFlight: c.maxInFlight,
    partitionsConcurrency: c.concurrency,
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
  // Kafka refusing the user (login, an ACL) never fixes itself: stop, and exit naming it
  const refused = await Promise.race([shutdown.done.then(() => undefined), running.sink.fatal]);
  if (refused) {
    await shutdown.trigger('Kafka refused the user');
    throw refused;
  }
  return 0;
}

/** The InfluxDB flags of the sink and its repair: --local, --influxdb-url, --database, --retention-policy. */
function addInfluxdbOptions(cmd: Command): Command {
  return cmd
    .option('--local', 'use the local EFD (npx efd local up): Kafka, registry and InfluxDB of cluster a')
    .option('--influxdb-url <url>', `InfluxDB URL (env ${SINK_ENV.influxdbUrl}); credentials from env INFLUXDB_USER / INFLUXDB_PASSWORD`)
    .option('--database <db>', `database (env ${SINK_ENV.database}, default efd)`)
    .option('--retention-policy <rp>', `retention policy written to (env ${SINK_ENV.retentionPolicy}, default: the database's default)`);
}

/** How records become points and are written (the sink's and its repair's, so both write the same points). */
function addPointOptions(cmd: Command): Command {
  return cmd
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
    .option('--max-in-flight <n>', `concurrent writes (env ${SINK_ENV.maxInFlight}, default 4)`);
}

/** The repair's config: the sink's (same points) with --topics as the regex, the range and its group. */
export function repairConfig(
  flags: Record<string, unknown>,
  env: Record<string, string | undefined> = process.env,
  nowMs = Date.now(),
): { sink: SinkConfig; range: RepairRange; group: string } {
  const { topics, from, to, group, ...rest } = flags;
  if (typeof topics !== 'string' || topics === '')
    throw new UsageError('--topics <regex> is required: the topics to repair (whole-name match, e.g. lsst\\.sal\\.MTMount\\..*)');
  try {
    new RegExp(topics);
  } catch (err) {
    throw new UsageError(`--topics: ${topics} is not a regular expression (${(err as Error).message})`);
  }
  const range = parseRange(from as string | undefined, to as string | undefined, nowMs);
  const sink = sinkConfig({ ...rest, topicsRegex: topics }, env);
  if (group !== undefined && (typeof group !== 'string' || group === '')) throw new UsageError('--group: expected a consumer group id');
  return { sink, range, group: (group as string | undefined) ?? defaultRepairGroup(sink.group, range) };
}

async function runRepair(flags: Record<string, unknown>, out: CliOutput): Promise<number> {
  const c = repairConfig(flags);
  const logger = createLogger({ name: 'influxdb-sink-repair', level: c.sink.logLevel });
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const summary = await repair({
      kafka: kafkaOptionsFrom(c.sink, logger),
      converter: converterFor(c.sink, logger),
      writer: influxWriterFor(c.sink, logger, abort.signal),
      logger,
      topicsRegex: c.sink.topicsRegex,
      range: c.range,
      groupId: c.group,
      batchSize: c.sink.batchSize,
      batchBytes: c.sink.batchBytes,
      maxInFlight: c.sink.maxInFlight,
      signal: abort.signal,
    });
    for (const line of summaryLines(summary)) out.out(line);
    return EXIT.ok;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Adds `repair` to `efd influxdb-sink`. */
function registerRepairCommand(parent: Command, out: CliOutput): Command {
  const cmd = parent
    .command('repair')
    .description(
      "re-read a time range of topics from Kafka into InfluxDB with a consumer group of its own (the live sink's offsets stay); points written again are the same points",
    )
    .option('--topics <regex>', 'topics to repair, whole-name match (required)')
    .option('--from <time>', 'first record timestamp: ISO 8601 (UTC when no zone), a date, epoch ms or now (required)')
    .option('--to <time>', 'last record timestamp, included (required; now: up to the end of each partition)')
    .option(
      '--group <id>',
      `consumer group of the repair (default <sink group>-repair-<from>-<to>; sink group from env ${GROUP.env.group}, default efd-influxdb-sink)`,
    );
  addKafkaOptions(cmd, 'efd-influxdb-sink-repair');
  addRegistryOption(cmd);
  addInfluxdbOptions(cmd);
  addPointOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    try {
      process.exitCode = await runRepair(opts, out);
    } catch (err) {
      out.err(`efd influxdb-sink repair: ${(err as Error).message}`);
      process.exitCode = exitCodeOf(err);
    }
  });
  return cmd;
}

/** Adds `influxdb-sink` to the `efd` program. */
export function registerInfluxdbSinkCommand(program: Command, out: CliOutput = stdio): Command {
  const cmd = program
    .command('influxdb-sink')
    .description('consume lsst.sal.* Avro topics and write them to InfluxDB (one measurement per topic, arrays as name0..nameN)');
  addKafkaOptions(cmd, 'efd-influxdb-sink');
  addRegistryOption(cmd);
  addInfluxdbOptions(cmd);
  cmd
    .option('--topics-regex <regex>', `topics to consume, whole-name match (env ${SINK_ENV.topicsRegex}, default ${DEFAULT_TOPICS_REGEX})`)
    .option('--dead-letter-topic <topic>', `where unwritable records go (env ${SINK_ENV.deadLetterTopic}, default ${DEFAULT_DLQ})`);
  addPointOptions(cmd);
  cmd
    .option('--flush-interval-ms <ms>', `longest wait before a partial batch is written (env ${SINK_ENV.flushIntervalMs}, default 1000)`)
    .option('--linger-ms <ms>', 'write a partial batch once no record arrived for this long (default 5)');
  GROUP.addOptions(cmd);
  // the sink's flags go before `repair`, the repair's after it
  cmd.enablePositionalOptions();
  registerRepairCommand(cmd, out);
  cmd.action(async (opts: Record<string, unknown>) => {
    try {
      process.exitCode = await run(givenFlags(opts, ['fromBeginning']));
    } catch (err) {
      process.stderr.write(`efd influxdb-sink: ${(err as Error).message}\n`);
      process.exitCode = exitCodeOf(err);
    }
  });
  return cmd;
}
