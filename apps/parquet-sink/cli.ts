/**
 * `efd parquet-sink` — raw and aggregated EFD topics (Avro) → hourly-partitioned Parquet objects on S3
 * (or an S3-compatible store) or Google Cloud Storage, the long-term copy and cold backup.
 *
 *   efd parquet-sink --brokers kafka:9092 --registry http://registry:8081 --store s3 --bucket efd-ldf-parquet --prefix efd/
 *   efd parquet-sink --store gcs --bucket lsst-efd-parquet --prefix efd/ …
 *
 * Every flag falls back to an environment variable (see --help). Store credentials: the AWS default
 * chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, IRSA) for S3, application default credentials
 * (Workload Identity, GOOGLE_APPLICATION_CREDENTIALS) for GCS. SIGTERM: write the open objects,
 * commit, exit.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { aggregatedTopicsRegex, KAFKA_TOPIC, regexSchema, salTopicsRegex } from '../../config/names';
import { startAppRuntime } from '../lib/app';
import {
  addKafkaOptions,
  addRegistryOption,
  configLoader,
  consumerGroupSettings,
  GROUP_KEYS,
  givenFlags,
  KAFKA_ENV,
  kafkaConfigShape,
  kafkaOptionsFrom,
  REGISTRY_ENV,
  zInt,
} from '../lib/config';
import type { Logger } from '../lib/logging';
import { createRegistry } from '../lib/registry';
import { COMPRESSIONS } from './parquet';
import { ParquetSink, parquetSinkMetrics, type ParquetSinkMetrics } from './sink';
import { gcsStore, s3Store, type ObjectStore } from './stores';
import type { Registry as Metrics } from 'prom-client';

/** Raw SAL topics and the aggregator's 1 Hz topics. */
export const DEFAULT_TOPICS_REGEX = `${salTopicsRegex()}|${aggregatedTopicsRegex()}`;
export const DEFAULT_DLQ = 'lsst.efd.parquet-sink.dlq';

const GROUP = consumerGroupSettings(
  'PARQUET_SINK',
  { group: 'efd-parquet-sink', concurrency: 8, sessionTimeoutMs: 6000, topicRefreshMs: 5000 },
  [...GROUP_KEYS, 'sessionTimeoutMs', 'topicRefreshMs'],
);

export const parquetSinkSchema = z
  .object({
    ...kafkaConfigShape,
    clientId: z.string().min(1).default('efd-parquet-sink'),
    registry: z.string({ error: 'required: schema registry URL' }).min(1),
    store: z.enum(['s3', 'gcs'], { error: 'required: --store s3 or gcs' }),
    bucket: z.string({ error: 'required: --bucket, an existing bucket' }).min(3),
    prefix: z
      .string()
      .regex(/^$|^[^/].*\/$/, { message: 'expected "" or a prefix like "efd/raw/" (no leading "/", a trailing "/")' })
      .default(''),
    endpoint: z.string().url().optional(),
    region: z.string().min(1).optional(),
    projectId: z.string().min(1).optional(),
    topicsRegex: regexSchema.default(DEFAULT_TOPICS_REGEX),
    ...GROUP.shape,
    deadLetterTopic: z.string().regex(KAFKA_TOPIC).default(DEFAULT_DLQ),
    partitionBy: z.enum(['day', 'hour']).default('hour'),
    maxRecords: zInt(1).default(200_000),
    maxBytes: zInt(1024).default(64 * 1024 * 1024),
    flushIntervalMs: zInt(10).default(600_000),
    compression: z.enum(COMPRESSIONS as [string, ...string[]]).default('SNAPPY'),
  })
  .superRefine((c, ctx) => {
    if (c.store === 'gcs' && c.region) ctx.addIssue({ code: 'custom', path: ['region'], message: 'only for --store s3' });
    if (c.store === 's3' && c.projectId) ctx.addIssue({ code: 'custom', path: ['projectId'], message: 'only for --store gcs' });
  });
export type ParquetSinkConfig = z.output<typeof parquetSinkSchema>;

export const PARQUET_SINK_ENV = {
  ...KAFKA_ENV,
  ...REGISTRY_ENV,
  store: 'PARQUET_SINK_STORE',
  bucket: 'PARQUET_SINK_BUCKET',
  prefix: 'PARQUET_SINK_PREFIX',
  endpoint: 'PARQUET_SINK_ENDPOINT',
  region: 'AWS_REGION',
  projectId: 'GOOGLE_CLOUD_PROJECT',
  topicsRegex: 'PARQUET_SINK_TOPICS_REGEX',
  ...GROUP.env,
  deadLetterTopic: 'PARQUET_SINK_DEAD_LETTER_TOPIC',
  partitionBy: 'PARQUET_SINK_PARTITION_BY',
  maxRecords: 'PARQUET_SINK_MAX_RECORDS',
  maxBytes: 'PARQUET_SINK_MAX_BYTES',
  flushIntervalMs: 'PARQUET_SINK_FLUSH_INTERVAL_MS',
  compression: 'PARQUET_SINK_COMPRESSION',
} as const;

export const parquetSinkConfig = configLoader(parquetSinkSchema, PARQUET_SINK_ENV);

export function storeOf(c: ParquetSinkConfig): ObjectStore {
  return c.store === 's3'
    ? s3Store({ bucket: c.bucket, region: c.region, endpoint: c.endpoint })
    : gcsStore({ bucket: c.bucket, endpoint: c.endpoint, projectId: c.projectId });
}

/** Builds and starts the sink (tests call it in process). */
export async function createParquetSink(
  c: ParquetSinkConfig,
  deps: { logger: Logger; metrics: Metrics | ParquetSinkMetrics; signal?: AbortSignal; store?: ObjectStore },
): Promise<ParquetSink> {
  const metrics = 'recordsWritten' in deps.metrics ? deps.metrics : parquetSinkMetrics(deps.metrics);
  const sink = new ParquetSink({
    kafka: kafkaOptionsFrom(c, deps.logger),
    registry: createRegistry(c.registry, { logger: deps.logger, retry: { attempts: Infinity, maxDelayMs: 10_000 } }),
    store: deps.store ?? storeOf(c),
    logger: deps.logger,
    metrics,
    topicsRegex: c.topicsRegex,
    groupId: c.group,
    deadLetterTopic: c.deadLetterTopic,
    prefix: c.prefix,
    bounds: { maxRecords: c.maxRecords, maxBytes: c.maxBytes, maxAgeMs: c.flushIntervalMs, partitionBy: c.partitionBy },
    compression: c.compression as (typeof COMPRESSIONS)[number],
    partitionsConcurrency: c.concurrency,
    topicRefreshMs: c.topicRefreshMs,
    sessionTimeoutMs: c.sessionTimeoutMs,
    fromBeginning: c.fromBeginning,
    signal: deps.signal,
  });
  await sink.start();
  return sink;
}

/** Runs until SIGTERM/SIGINT. */
export async function startParquetSink(c: ParquetSinkConfig): Promise<void> {
  const running: { sink?: ParquetSink } = {};
  const rt = await startAppRuntime({
    name: 'parquet-sink',
    logLevel: c.logLevel,
    metricsPort: c.metricsPort,
    health: () => running.sink?.health() ?? { ok: false, reason: 'starting' },
  });
  const abort = new AbortController();
  rt.shutdown.onShutdown('parquet sink', async () => {
    // one try per open object, then stop: what is not written is read again after the restart
    abort.abort();
    await running.sink?.stop();
  });
  const store = storeOf(c);
  running.sink = await createParquetSink(c, { logger: rt.logger, metrics: rt.metrics, signal: abort.signal, store });
  rt.logger.info({ topicsRegex: c.topicsRegex, store: store.describe, prefix: c.prefix }, `parquet-sink started: → ${store.describe}`);
  // Kafka refusing the user (login, an ACL) never fixes itself: stop, and exit naming it
  const refused = await Promise.race([rt.shutdown.done.then(() => undefined), running.sink.fatal]);
  if (refused) {
    await rt.shutdown.trigger('Kafka refused the user');
    throw refused;
  }
}

export function registerParquetSinkCommand(program: Command): Command {
  const cmd = program
    .command('parquet-sink')
    .description(
      'consume raw (lsst.sal.*) and aggregated (lsst.efd.agg.*) Avro topics and write hourly-partitioned Parquet objects to S3 or GCS',
    );
  addKafkaOptions(cmd, 'efd-parquet-sink');
  addRegistryOption(cmd);
  cmd
    .addOption(new Option('--store <kind>', `s3 (or S3-compatible) or gcs (env ${PARQUET_SINK_ENV.store})`).choices(['s3', 'gcs']))
    .option('--bucket <name>', `existing bucket (env ${PARQUET_SINK_ENV.bucket})`)
    .option('--prefix <prefix>', `object name prefix, e.g. efd/ (env ${PARQUET_SINK_ENV.prefix}, default none)`)
    .option('--endpoint <url>', `another S3-compatible or GCS JSON API server (env ${PARQUET_SINK_ENV.endpoint}, default AWS / Google)`)
    .option('--region <region>', `S3 region (env ${PARQUET_SINK_ENV.region}, default us-east-1)`)
    .option('--project-id <id>', `GCS project (env ${PARQUET_SINK_ENV.projectId}, default: the credentials')`)
    .option('--topics-regex <regex>', `topics, whole-name match (env ${PARQUET_SINK_ENV.topicsRegex}, default ${DEFAULT_TOPICS_REGEX})`)
    .option('--dead-letter-topic <topic>', `where undecodable records go (env ${PARQUET_SINK_ENV.deadLetterTopic}, default ${DEFAULT_DLQ})`)
    .addOption(new Option('--partition-by <unit>', 'time folders down to the hour or the day (default hour)').choices(['hour', 'day']))
    .option('--max-records <n>', `records per object at most (env ${PARQUET_SINK_ENV.maxRecords}, default 200000)`)
    .option('--max-bytes <n>', `Avro bytes per object at most (env ${PARQUET_SINK_ENV.maxBytes}, default 64 MiB)`)
    .option(
      '--flush-interval-ms <ms>',
      `an object is written at the latest this long after its first record (env ${PARQUET_SINK_ENV.flushIntervalMs}, default 600000)`,
    )
    .addOption(new Option('--compression <codec>', 'Parquet column compression (default SNAPPY)').choices([...COMPRESSIONS]));
  GROUP.addOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    await startParquetSink(parquetSinkConfig(givenFlags(flags, ['fromBeginning'])));
  });
  return cmd;
}
