/**
 * The documented configuration keys of the Connect framework and of each connector plugin the
 * constructs target, with the values the plugins accept where they are enumerated (not a construct).
 * Sources: Apache Kafka's ConnectorConfig/SinkConnectorConfig; willena connect-influxdb-sink 1.0.5
 * (InfluxDBSinkConnectorConfig, README providers); Aiven cloud-storage connectors (commons
 * AivenCommonConfig/FileNameFragment, S3/GCS sink READMEs); Confluent kafka-connect-jdbc JdbcSinkConfig.
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

export const CONFLUENT_JDBC: PluginKeys = {
  keys: [
    'connection.url',
    'connection.user',
    'connection.password',
    'connection.attempts',
    'connection.backoff.ms',
    'dialect.name',
    'table.name.format',
    'max.retries',
    'retry.backoff.ms',
    'batch.size',
    'delete.enabled',
    'auto.create',
    'auto.evolve',
    'insert.mode',
    'pk.fields',
    'pk.mode',
    'fields.whitelist',
    'db.timezone',
    'db.timezone.date',
    'quote.sql.identifiers',
    'table.types',
    'trim.sensitive.log',
    'mssql.use.merge.holdlock',
  ],
  prefixes: [],
  values: {
    'insert.mode': ['insert', 'upsert', 'update'],
    'pk.mode': ['none', 'kafka', 'record_key', 'record_value'],
    'auto.create': ['true', 'false'],
    'auto.evolve': ['true', 'false'],
    'delete.enabled': ['true', 'false'],
    'dialect.name': [
      '',
      'OracleDatabaseDialect',
      'PostgreSqlDatabaseDialect',
      'MySqlDatabaseDialect',
      'SqlServerDatabaseDialect',
      'GenericDatabaseDialect',
    ],
  },
  required: ['connection.url'],
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
