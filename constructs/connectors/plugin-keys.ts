/**
 * The documented configuration keys of the Connect framework and of each connector plugin the
 * constructs target, with the values the plugins accept where they are enumerated (not a construct).
 * Sources: Apache Kafka's ConnectorConfig/SinkConnectorConfig; willena connect-influxdb-sink 1.0.5
 * (InfluxDBSinkConnectorConfig, README providers); Aiven cloud-storage connectors (commons
 * AivenCommonConfig/FileNameFragment, S3/GCS sink READMEs); Debezium JDBC sink 3.6 JdbcSinkConnectorConfig.
 * The unit tests check every generated key against these; the integration test lets a real worker
 * validate the configs of plugins it has installed.
 */

export interface PluginKeys {
  /** Exact keys. */
  keys: string[];
  /** Key prefixes (plugin sub-configs). */
  prefixes: string[];
  /** Accepted values of enumerated keys. */
  values: Record<string, string[]>;
  /** Keys the plugin requires. */
  required: string[];
}

/** Keys Kafka Connect itself reads from a sink connector's config. */
export const FRAMEWORK_SINK: PluginKeys = {
  keys: [
    'name',
    'connector.class',
    'tasks.max',
    'topics',
    'topics.regex',
    'key.converter',
    'value.converter',
    'header.converter',
    'config.action.reload',
    'transforms',
    'predicates',
    'errors.retry.timeout',
    'errors.retry.delay.max.ms',
    'errors.tolerance',
    'errors.log.enable',
    'errors.log.include.messages',
    'errors.deadletterqueue.topic.name',
    'errors.deadletterqueue.topic.replication.factor',
    'errors.deadletterqueue.context.headers.enable',
  ],
  prefixes: ['key.converter.', 'value.converter.', 'header.converter.', 'transforms.', 'predicates.', 'consumer.override.'],
  values: { 'errors.tolerance': ['none', 'all'] },
  required: ['name', 'connector.class'],
};

const WILLENA_PROVIDERS = 'io.github.willena.connect.influxdb.providers.';
export const WILLENA_PROVIDER_KEYS = [
  'influxdb.database',
  'influxdb.retention.policy',
  'influxdb.measurement',
  'influxdb.tags',
  'influxdb.fields',
  'influxdb.timestamp',
];

export const WILLENA_INFLUXDB: PluginKeys & { providerClasses: string[]; recordFields: string[] } = {
  keys: [
    'influxdb.url',
    'influxdb.username',
    'influxdb.password',
    'influxdb.database.auto.create',
    'influxdb.log.level',
    'influxdb.gzip.enable',
    'influxdb.timestamp.unit',
    'influxdb.consistency.level',
    'retry.backoff.ms',
    'max.retries',
  ],
  prefixes: WILLENA_PROVIDER_KEYS.map((k) => `${k}.provider`),
  values: {
    'influxdb.timestamp.unit': ['NANOSECONDS', 'MICROSECONDS', 'MILLISECONDS', 'SECONDS'],
    'influxdb.log.level': ['NONE', 'BASIC', 'HEADERS', 'FULL'],
    'influxdb.consistency.level': ['ALL', 'ANY', 'ONE', 'QUORUM'],
    'influxdb.gzip.enable': ['true', 'false'],
  },
  required: ['influxdb.url'],
  providerClasses: ['Static', 'Simple$Key', 'Simple$Value', 'Fields$Key', 'Fields$Value', 'Record'].map((c) => WILLENA_PROVIDERS + c),
  recordFields: ['kafkaOffset', 'timestamp', 'topic', 'kafkaPartition'],
};

const AIVEN_COMMON = {
  keys: [
    'file.name.prefix',
    'file.name.template',
    'file.compression.type',
    'file.max.records',
    'file.name.timestamp.timezone',
    'file.name.timestamp.source',
    'format.output.type',
    'format.output.fields',
    'format.output.fields.value.encoding',
    'format.output.envelope',
    'kafka.retry.backoff.ms',
  ],
  values: {
    'file.compression.type': ['none', 'gzip', 'snappy', 'zstd'],
    'format.output.fields.value.encoding': ['base64', 'none'],
    'format.output.envelope': ['true', 'false'],
    'file.name.timestamp.source': ['wallclock', 'event'],
  },
};

export const AIVEN_S3: PluginKeys = {
  keys: [
    ...AIVEN_COMMON.keys,
    'aws.access.key.id',
    'aws.secret.access.key',
    'aws.s3.bucket.name',
    'aws.s3.endpoint',
    'aws.s3.prefix',
    'aws.s3.region',
    'aws.sts.role.arn',
    'aws.sts.role.external.id',
    'aws.sts.role.session.name',
    'aws.sts.role.session.duration',
    'aws.sts.config.endpoint',
    'aws.credential.provider',
    'aws.s3.part.size.bytes',
    'aws.s3.backoff.delay.ms',
    'aws.s3.backoff.max.delay.ms',
    'aws.s3.backoff.max.retries',
    'aws.s3.sse.algorithm',
  ],
  prefixes: [],
  values: { ...AIVEN_COMMON.values, 'format.output.type': ['csv', 'json', 'jsonl', 'parquet'] },
  required: ['aws.s3.bucket.name'],
};

export const AIVEN_GCS: PluginKeys = {
  keys: [
    ...AIVEN_COMMON.keys,
    'gcs.bucket.name',
    'gcs.credentials.path',
    'gcs.credentials.json',
    'gcs.credentials.default',
    'gcs.object.content.encoding',
    'avro.codec',
    'gcs.retry.backoff.initial.delay.ms',
    'gcs.retry.backoff.delay.multiplier',
    'gcs.retry.backoff.max.delay.ms',
    'gcs.retry.backoff.total.timeout.ms',
    'gcs.retry.backoff.max.attempts',
  ],
  prefixes: [],
  values: {
    ...AIVEN_COMMON.values,
    'format.output.type': ['csv', 'json', 'jsonl', 'parquet', 'avro'],
    'gcs.credentials.default': ['true', 'false'],
  },
  required: ['gcs.bucket.name'],
};

/** Variables (and parameters) the Aiven file name template accepts. */
export const AIVEN_TEMPLATE_VARIABLES =
  /^\{\{(topic|partition(:padding=(true|false))?|start_offset(:padding=(true|false))?|timestamp:unit=(yyyy|MM|dd|HH)|key)\}\}$/;

/**
 * Debezium JDBC sink 3.6.0.Final (JdbcSinkConnectorConfig), as the local worker lists it
 * (`GET /connector-plugins/io.debezium.connector.jdbc.JdbcSinkConnector/config`); `hibernate.*` is passed
 * to Hibernate. The enumerated values are the plugin's (it lists none through the REST API).
 */
export const DEBEZIUM_JDBC: PluginKeys = {
  keys: [
    'connection.url',
    'connection.username',
    'connection.password',
    'connection.pool.min_size',
    'connection.pool.max_size',
    'connection.pool.timeout',
    'insert.mode',
    'delete.enabled',
    'truncate.enabled',
    'collection.name.format',
    'table.name.format',
    'primary.key.mode',
    'primary.key.fields',
    'schema.evolution',
    'quote.identifiers',
    'collection.naming.strategy',
    'table.naming.strategy',
    'column.naming.strategy',
    'collection.table.format',
    'use.time.zone',
    'database.time_zone',
    'dialect.postgres.postgis.schema',
    'dialect.postgres.unnest.insert.enabled',
    'dialect.sqlserver.identity.insert',
    'batch.size',
    'field.include.list',
    'field.exclude.list',
    'flush.max.retries',
    'flush.retry.delay.ms',
    'connection.restart.on.errors',
    'cloud.events.schema.name.pattern',
  ],
  prefixes: ['hibernate.'],
  values: {
    'insert.mode': ['insert', 'upsert', 'update'],
    'primary.key.mode': ['none', 'kafka', 'record_key', 'record_value'],
    'schema.evolution': ['none', 'basic'],
    'quote.identifiers': ['true', 'false'],
    'delete.enabled': ['true', 'false'],
    'truncate.enabled': ['true', 'false'],
  },
  required: ['connection.url', 'connection.username', 'connection.password'],
};

/** Keys of `config` that neither the framework nor the plugin documents, and enumerated values out of range. */
export function undocumented(config: Record<string, string>, plugin: PluginKeys, extraKeys: string[] = []): string[] {
  const problems: string[] = [];
  const known = new Set([...FRAMEWORK_SINK.keys, ...plugin.keys, ...extraKeys]);
  const prefixes = [...FRAMEWORK_SINK.prefixes, ...plugin.prefixes];
  for (const [k, v] of Object.entries(config)) {
    if (!known.has(k) && !prefixes.some((p) => k.startsWith(p))) problems.push(`undocumented key ${k}`);
    const allowed = plugin.values[k] ?? FRAMEWORK_SINK.values[k];
    if (allowed && !allowed.includes(v)) problems.push(`${k}=${v} not in ${allowed.join('|')}`);
  }
  for (const r of plugin.required) if (config[r] === undefined) problems.push(`missing required ${r}`);
  return problems;
}
