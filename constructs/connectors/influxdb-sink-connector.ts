/**
 * InfluxDB 1.x sink running inside Kafka Connect, for sites that prefer Connect over the
 * influxdb-sink app: the open-source plugin `io.github.willena:connect-influxdb-sink` 1.0.5
 * (Maven Central, one fat jar; see apps/connect-image). One measurement per topic, every value field a
 * field, configurable tags, points timestamped with the Kafka record timestamp by default.
 *
 * Plugin keys (its InfluxDBSinkConnectorConfig and README): `influxdb.url`, `influxdb.username`,
 * `influxdb.password`, `influxdb.timestamp.unit`, `influxdb.gzip.enable`, `influxdb.log.level`,
 * `influxdb.consistency.level`, `retry.backoff.ms`, `max.retries`, and "provider" keys —
 * `influxdb.database`, `influxdb.retention.policy`, `influxdb.measurement`, `influxdb.tags`,
 * `influxdb.fields`, `influxdb.timestamp` — each `<key>.provider.class` + provider options. Every
 * provider key is required by the plugin (a missing one fails validation).
 *
 * Choices forced by the plugin (1.0.5):
 *  - database and retention policy use the explicit Static provider form
 *    (`influxdb.database.provider.value=…`): the short form `influxdb.database=efd` collects every key
 *    that starts with `influxdb.database`, so it would pick up `influxdb.database.auto.create`;
 *  - tags: the Fields provider over the configured value fields, or — with none — a Static `efd_site`
 *    tag (the plugin has no "no tags" form);
 *  - timestamp: the Record provider's Kafka timestamp (a Long). A value field works only if it is a
 *    plain long: the Avro converter turns `timestamp-millis` fields (sal_created …) into
 *    java.util.Date, which the plugin rejects;
 *  - it does not flatten arrays (seed 002 wants name0..nameN): SAL topics with arrays belong to the
 *    influxdb-sink app, the EFD's default sink.
 */
import { Construct } from 'constructs';
import { DEFAULT_SECRETS_MOUNT, SAL_TOPICS_REGEX } from '../../config/connectors';
import { IDENTIFIER } from '../../config/names';
import type { ConnectorCommonProps, ConnectorSpec, IConnector, SecretKey } from './common';
import { avroConverters, commonConfig, fail, secretConfig, withExtra } from './common';

export const WILLENA_INFLUXDB_SINK = 'io.github.willena.connect.influxdb.sink.InfluxDBSinkConnector';
const PROVIDERS = 'io.github.willena.connect.influxdb.providers';

export interface InfluxDbSinkConnectorProps extends ConnectorCommonProps {
  /** InfluxDB HTTP URL (InfluxDb.url). */
  readonly influxDbUrl: string;
  /** Database (InfluxDb.database). */
  readonly database: string;
  /** Retention policy written to (the raw tier). */
  readonly retentionPolicy: string;
  /** User and password keys of an existing Secret (InfluxDb.adminSecret). @default anonymous */
  readonly credentials?: { readonly username: SecretKey; readonly password: SecretKey };
  /** Value fields written as tags instead of fields. @default [] (a static efd_site tag) */
  readonly tags?: string[];
  /**
   * Point timestamp: `kafka` (the record timestamp, ms) or a value field holding epoch milliseconds as
   * a plain Avro long. @default 'kafka'
   */
  readonly timestamp?: 'kafka' | { readonly field: string };
  /** @default 'MILLISECONDS' */
  readonly timestampUnit?: 'NANOSECONDS' | 'MICROSECONDS' | 'MILLISECONDS' | 'SECONDS';
  /** Retries of a failed write before the task fails. @default 10 */
  readonly maxRetries?: number;
  /** Backoff before the first retry (doubles each time). @default 1000 */
  readonly retryBackoffMs?: number;
  /** @default true */
  readonly gzip?: boolean;
}

export class InfluxDbSinkConnector extends Construct implements IConnector {
  readonly connectorName: string;
  readonly spec: ConnectorSpec;
  readonly secrets: string[];
  readonly secretsMountPath: string;

  constructor(scope: Construct, id: string, props: InfluxDbSinkConnectorProps) {
    super(scope, id);
    const { site } = props;
    const common = commonConfig(id, props, { name: 'influxdb-sink', topicsRegex: SAL_TOPICS_REGEX });
    if (!/^https?:\/\/\S+$/.test(props.influxDbUrl)) fail(site, id, 'influxDbUrl', `expected an http(s) URL, got "${props.influxDbUrl}"`);
    if (!IDENTIFIER.test(props.database)) fail(site, id, 'database', `expected an InfluxDB database name, got "${props.database}"`);
    if (!IDENTIFIER.test(props.retentionPolicy))
      fail(site, id, 'retentionPolicy', `expected a retention policy name, got "${props.retentionPolicy}"`);
    const tags = props.tags ?? [];
    for (const t of tags) if (!IDENTIFIER.test(t)) fail(site, id, 'tags', `"${t}" is not a field name`);
    const timestamp = props.timestamp ?? 'kafka';
    if (timestamp !== 'kafka' && !IDENTIFIER.test(timestamp.field))
      fail(site, id, 'timestamp.field', `"${timestamp.field}" is not a field name`);
    const maxRetries = props.maxRetries ?? 10;
    const backoff = props.retryBackoffMs ?? 1000;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) fail(site, id, 'maxRetries', `expected an integer ≥ 0, got ${maxRetries}`);
    if (!Number.isInteger(backoff) || backoff < 1) fail(site, id, 'retryBackoffMs', `expected an integer ≥ 1, got ${backoff}`);
    const mount = props.secretsMountPath ?? DEFAULT_SECRETS_MOUNT;
    this.secretsMountPath = mount;
    this.secrets = [];
    const config: Record<string, string> = {
      'connector.class': WILLENA_INFLUXDB_SINK,
      ...common.config,
      ...avroConverters(props.schemaRegistryUrl),
      'influxdb.url': props.influxDbUrl,
      'influxdb.database.provider.class': `${PROVIDERS}.Static`,
      'influxdb.database.provider.value': props.database,
      'influxdb.retention.policy.provider.class': `${PROVIDERS}.Static`,
      'influxdb.retention.policy.provider.value': props.retentionPolicy,
      'influxdb.measurement.provider.class': `${PROVIDERS}.Record`,
      'influxdb.measurement.provider.fields': 'topic',
      'influxdb.fields.provider.class': `${PROVIDERS}.Simple$Value`,
      'influxdb.timestamp.unit': props.timestampUnit ?? 'MILLISECONDS',
      'influxdb.gzip.enable': String(props.gzip ?? true),
      'max.retries': String(maxRetries),
      'retry.backoff.ms': String(backoff),
    };
    if (tags.length) {
      config['influxdb.tags.provider.class'] = `${PROVIDERS}.Fields$Value`;
      config['influxdb.tags.provider.fields'] = tags.join(',');
    } else {
      config['influxdb.tags.provider.class'] = `${PROVIDERS}.Static`;
      config['influxdb.tags.provider.efd_site'] = site;
    }
    if (timestamp === 'kafka') {
      config['influxdb.timestamp.provider.class'] = `${PROVIDERS}.Record`;
      config['influxdb.timestamp.provider.fields'] = 'timestamp';
    } else {
      config['influxdb.timestamp.provider.class'] = `${PROVIDERS}.Fields$Value`;
      config['influxdb.timestamp.provider.fields'] = timestamp.field;
    }
    if (props.credentials) {
      this.secrets.push(
        ...secretConfig(site, id, config, mount, [
          { field: 'credentials.username', configKey: 'influxdb.username', ref: props.credentials.username },
          { field: 'credentials.password', configKey: 'influxdb.password', ref: props.credentials.password },
        ]),
      );
    }
    this.connectorName = common.name;
    this.spec = {
      name: common.name,
      config: withExtra(site, id, config, props.extraConfig),
      ...(common.topicsRegex ? { topicsRegex: common.topicsRegex } : {}),
    };
  }
}
