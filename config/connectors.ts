/**
 * The `connectors` section of a site (config/schema.ts `connectors`): which sink writes SAL topics to
 * InfluxDB, the object-store and JDBC long-term sinks, the connect manager. The constructs in
 * constructs/connectors/ build the connectors from it.
 *
 * Example (ldf.yaml):
 *   connectors:
 *     objectStore: { kind: s3, bucket: efd-ldf, endpoint: https://s3.ldf.example, credentialsSecret: efd-s3 }
 *     jdbc: { dialect: oracle, secret: efd-oracle }   # the aggregated topics, upserted by record key
 */
import { z } from 'zod';
import { intIn } from './bounds';
import { aggregatedTopicsRegex, IDENTIFIER, K8S_NAME, regexSchema, salTopicsRegex, topicNameSchema } from './names';

/** Default topics of SAL telemetry, events and commands (Avro, `lsst.sal.<topic>`). */
export const SAL_TOPICS_REGEX = 'lsst[.]sal[.].*';

/** Where the Connect pods mount the Secrets connectors reference (one folder per Secret). */
export const DEFAULT_SECRETS_MOUNT = '/opt/efd/connect-secrets';

const secretName = z.string().regex(K8S_NAME, { message: 'expected the name of an existing Kubernetes Secret' });
const field = z.string().regex(IDENTIFIER, { message: 'expected a field name' });

export const influxDbSinkSchema = z.strictObject({
  /** `app`: the influxdb-sink app (default; flattens arrays, DLQ, metrics); `connect`: the willena plugin in Connect. */
  runIn: z.enum(['app', 'connect']).default('app'),
  topicsRegex: regexSchema.default(SAL_TOPICS_REGEX),
  /** Record fields written as tags (e.g. salIndex). */
  tags: z.array(field).default([]),
  /** Point time: a record field (timestamp-millis or epoch seconds as double); app only. */
  timestampField: field.default('sal_created'),
  /** Points per InfluxDB write; app only. */
  batchSize: intIn(1, 100_000, 'points per write').default(5000),
  /** Longest a point waits before its batch is written (ms); app only. */
  flushIntervalMs: intIn(10, 60_000, 'ms').default(1000),
  /** Records the sink cannot write go here with the reason in a header. */
  deadLetterTopic: topicNameSchema.default('lsst.efd.influxdb-sink.dlq'),
  replicas: intIn(0, 64, 'replicas').default(1),
});

/** Raw SAL topics and the aggregator's 1 Hz topics: what the Parquet copy keeps by default. */
export const OBJECT_STORE_TOPICS_REGEX = `${salTopicsRegex()}|${aggregatedTopicsRegex()}`;

export const objectStoreSchema = z.strictObject({
  /**
   * `app`: the parquet-sink app (default; decodes with the registry, dead-letter topic, metrics; the time
   * folders follow the records' Kafka timestamps); `connect`: Aiven's S3/GCS sink plugins in Connect.
   */
  runIn: z.enum(['app', 'connect']).default('app'),
  kind: z.enum(['s3', 'gcs']),
  bucket: z.string().min(3),
  prefix: z.string().default(''),
  topicsRegex: regexSchema.default(OBJECT_STORE_TOPICS_REGEX),
  partitionBy: z.enum(['day', 'hour']).default('hour'),
  /** Connect only (the app always uses the records' Kafka timestamps, so a retry writes the same names). */
  timestampSource: z.enum(['wallclock', 'event']).optional(),
  /** App: records per object at most. */
  maxRecords: intIn(1, 10_000_000, 'records per object').default(200_000),
  /** App: an object is written at the latest this long after its first record (ms). */
  flushIntervalMs: intIn(1000, 86_400_000, 'ms').default(600_000),
  /** App: records that do not decode go here with the reason in headers. */
  deadLetterTopic: topicNameSchema.default('lsst.efd.parquet-sink.dlq'),
  /** App: replicas (they share the partitions). */
  replicas: intIn(0, 64, 'replicas').default(1),
  /** S3 */
  region: z.string().optional(),
  endpoint: z.string().url().optional(),
  /**
   * Existing Secret: S3 keys `aws-access-key-id`, `aws-secret-access-key`; GCS key `credentials.json`.
   * Omit for the default credentials of the pod (IRSA / Workload Identity).
   */
  credentialsSecret: secretName.optional(),
  tasksMax: intIn(1, 64, 'Connect tasks').default(1),
});

export const jdbcSchema = z.strictObject({
  /** The database family (Oracle at the LDF): the sink's Hibernate dialect. */
  dialect: z.enum(['oracle', 'postgresql']),
  /** Existing Secret with keys `jdbc-url`, `jdbc-user`, `jdbc-password`. */
  secret: secretName,
  /**
   * Topics to store, each a table. @default the site's aggregated 1 Hz topics by the naming rule
   * (config/names.ts): at an aggregator each replicated source's `<site>.lsst.efd.agg.*`, elsewhere `lsst.efd.agg.*`.
   */
  topicsRegex: regexSchema.optional(),
  /** `upsert` (default): a window written again replaces its row. */
  insertMode: z.enum(['insert', 'upsert', 'update']).default('upsert'),
  /** @default record_key: the aggregator's key (source key, group-by values, window start) in column `efd_key`. */
  primaryKeyMode: z.enum(['none', 'kafka', 'record_key', 'record_value']).optional(),
  primaryKeyFields: z.array(field).optional(),
  /** `basic`: tables created and new fields added as columns; `none`: tables must exist. */
  schemaEvolution: z.enum(['none', 'basic']).default('basic'),
  /** Records the sink cannot convert go here with the reason in headers. */
  deadLetterTopic: topicNameSchema.default('lsst.efd.jdbc-sink.dlq'),
  tasksMax: intIn(1, 64, 'Connect tasks').default(1),
});

export const siteConnectorsSchema = z.strictObject({
  influxDbSink: influxDbSinkSchema.prefault({}),
  objectStore: objectStoreSchema.optional(),
  jdbc: jdbcSchema.optional(),
  /** The connect manager: reconcile interval (new topics join connectors within it). */
  manager: z
    .strictObject({ intervalSeconds: z.number().int().min(5).default(60), replicas: z.number().int().min(0).max(1).default(1) })
    .prefault({}),
  /** Where the Connect pods mount the Secrets connectors reference. */
  secretsMountPath: z
    .string()
    .regex(/^\/[^\s]*[^/]$/, { message: 'expected an absolute path without trailing "/"' })
    .default(DEFAULT_SECRETS_MOUNT),
});

export type SiteConnectorsInput = z.input<typeof siteConnectorsSchema>;
export type SiteConnectors = z.output<typeof siteConnectorsSchema>;

/** Parses a site's `connectors` section; errors name the site and the field. */
export function parseSiteConnectors(site: string, input: unknown): SiteConnectors {
  const r = siteConnectorsSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `site "${site}": connectors.${i.path.join('.')}: ${i.message}`);
  throw new Error(lines.join('\n'));
}
