/**
 * JDBC sink (Confluent `kafka-connect-jdbc`, `io.confluent.connect.jdbc.JdbcSinkConnector`) into
 * Oracle at the LDF or PostgreSQL: tables created and evolved from the Avro schemas (seed 001:
 * `auto.create`, `auto.evolve`), insert or upsert with a primary-key mode.
 *
 * The connection URL, user and password come from an existing Kubernetes Secret through the worker's
 * DirectoryConfigProvider (`${dir:...}`), never as literals. The plugin is not on Maven Central, so it
 * is not installed on the local Connect worker; its config is checked against the plugin's documented
 * keys (JdbcSinkConfig): connection.url, connection.user, connection.password, connection.attempts,
 * connection.backoff.ms, dialect.name, table.name.format, insert.mode (insert|upsert|update),
 * pk.mode (none|kafka|record_key|record_value), pk.fields, fields.whitelist, auto.create,
 * auto.evolve, batch.size, delete.enabled, max.retries, retry.backoff.ms, db.timezone,
 * quote.sql.identifiers, table.types.
 *
 * Table names: the sink parses `table.name.format` on "." into catalog.schema.table, so topics named
 * `lsst.sal.<topic>` are routed (RegexRouter) to their last part before the sink sees them.
 */
import { Construct } from 'constructs';
import { DEFAULT_SECRETS_MOUNT } from '../../config/connectors';
import { IDENTIFIER } from '../../config/names';
import type { ConnectorCommonProps, ConnectorSpec, IConnector, SecretKey } from './common';
import { avroConverters, checkSecretKey, commonConfig, fail, secretRef, withExtra } from './common';

export const CONFLUENT_JDBC_SINK = 'io.confluent.connect.jdbc.JdbcSinkConnector';

export const JDBC_DIALECTS = { oracle: 'OracleDatabaseDialect', postgresql: 'PostgreSqlDatabaseDialect' } as const;
export type JdbcDialect = keyof typeof JDBC_DIALECTS;
export type InsertMode = 'insert' | 'upsert' | 'update';
export type PkMode = 'none' | 'kafka' | 'record_key' | 'record_value';

export interface JdbcSinkConnectorProps extends ConnectorCommonProps {
  readonly dialect: JdbcDialect;
  /** Secret keys of the JDBC URL, user and password (one Secret or several). */
  readonly connection: { readonly url: SecretKey; readonly user: SecretKey; readonly password: SecretKey };
  /** @default 'insert' */
  readonly insertMode?: InsertMode;
  /** @default 'none' ('record_value' on pkFields when upserting) */
  readonly pkMode?: PkMode;
  /** Primary-key fields (for record_value: value fields, e.g. ['sal_created']). @default [] */
  readonly pkFields?: string[];
  /** Create missing tables from the record schema. @default true */
  readonly autoCreate?: boolean;
  /** Add missing columns. @default true */
  readonly autoEvolve?: boolean;
  /** Columns to write (value fields); @default all */
  readonly fields?: string[];
  /** @default 3000 */
  readonly batchSize?: number;
  /** Treat null values as deletes (needs pkMode record_key). @default false */
  readonly deleteEnabled?: boolean;
  /**
   * Topic → table rename before the sink (RegexRouter, whole-name match). @default
   * `{ regex: '(?:.*[.])?lsst[.]sal[.](.*)', replacement: '$1' }`; `false` keeps topic names.
   */
  readonly tableRoute?: { readonly regex: string; readonly replacement: string } | false;
  /** @default '${topic}' */
  readonly tableNameFormat?: string;
}

export class JdbcSinkConnector extends Construct implements IConnector {
  readonly connectorName: string;
  readonly spec: ConnectorSpec;
  readonly secrets: string[];
  readonly secretsMountPath: string;

  constructor(scope: Construct, id: string, props: JdbcSinkConnectorProps) {
    super(scope, id);
    const { site } = props;
    const common = commonConfig(id, props, { name: 'jdbc-sink' });
    if (!(props.dialect in JDBC_DIALECTS))
      fail(site, id, 'dialect', `expected one of ${Object.keys(JDBC_DIALECTS).join(', ')}, got "${String(props.dialect)}"`);
    if (!props.connection) fail(site, id, 'connection', 'expected the Secret keys of url, user and password');
    for (const part of ['url', 'user', 'password'] as const) {
      if (!props.connection[part]) fail(site, id, `connection.${part}`, 'expected { secret, key } of an existing Kubernetes Secret');
      checkSecretKey(site, id, `connection.${part}`, props.connection[part]);
    }
    const insertMode = props.insertMode ?? 'insert';
    if (!['insert', 'upsert', 'update'].includes(insertMode))
      fail(site, id, 'insertMode', `expected insert, upsert or update, got "${insertMode}"`);
    const pkFields = props.pkFields ?? [];
    const pkMode: PkMode = props.pkMode ?? (insertMode !== 'insert' && pkFields.length ? 'record_value' : 'none');
    if (!['none', 'kafka', 'record_key', 'record_value'].includes(pkMode))
      fail(site, id, 'pkMode', `expected none, kafka, record_key or record_value, got "${pkMode}"`);
    if (insertMode !== 'insert' && pkMode === 'none')
      fail(
        site,
        id,
        'pkMode',
        `insertMode "${insertMode}" needs a primary key: set pkMode (record_value with pkFields, record_key or kafka)`,
      );
    if (pkMode === 'record_value' && pkFields.length === 0)
      fail(site, id, 'pkFields', 'pkMode "record_value" needs the key fields, e.g. ["sal_created"]');
    if (pkMode === 'kafka' && pkFields.length !== 0 && pkFields.length !== 3)
      fail(site, id, 'pkFields', 'pkMode "kafka" takes three names (topic, partition, offset columns) or none');
    if (pkMode === 'none' && pkFields.length) fail(site, id, 'pkFields', 'pkFields given with pkMode "none"');
    for (const f of [...pkFields, ...(props.fields ?? [])])
      if (!IDENTIFIER.test(f)) fail(site, id, 'pkFields', `"${f}" is not a field name`);
    if (props.deleteEnabled && pkMode !== 'record_key') fail(site, id, 'deleteEnabled', 'needs pkMode "record_key"');
    const batchSize = props.batchSize ?? 3000;
    if (!Number.isInteger(batchSize) || batchSize < 1) fail(site, id, 'batchSize', `expected an integer ≥ 1, got ${batchSize}`);
    const tableNameFormat = props.tableNameFormat ?? '${topic}';
    if (!tableNameFormat.includes('${topic}')) fail(site, id, 'tableNameFormat', 'expected a format containing ${topic}');
    const route = props.tableRoute === undefined ? { regex: '(?:.*[.])?lsst[.]sal[.](.*)', replacement: '$1' } : props.tableRoute;
    if (route) {
      try {
        new RegExp(route.regex);
      } catch (err) {
        fail(site, id, 'tableRoute.regex', `not a valid regular expression: ${(err as Error).message}`);
      }
    }

    const mount = props.secretsMountPath ?? DEFAULT_SECRETS_MOUNT;
    this.secretsMountPath = mount;
    const c = props.connection;
    const config: Record<string, string> = {
      'connector.class': CONFLUENT_JDBC_SINK,
      ...common.config,
      ...avroConverters(props.schemaRegistryUrl),
      'connection.url': secretRef(c.url, mount),
      'connection.user': secretRef(c.user, mount),
      'connection.password': secretRef(c.password, mount),
      'dialect.name': JDBC_DIALECTS[props.dialect],
      'insert.mode': insertMode,
      'pk.mode': pkMode,
      'auto.create': String(props.autoCreate ?? true),
      'auto.evolve': String(props.autoEvolve ?? true),
      'batch.size': String(batchSize),
      'table.name.format': tableNameFormat,
      'db.timezone': 'UTC',
    };
    if (pkFields.length) config['pk.fields'] = pkFields.join(',');
    if (props.fields?.length) config['fields.whitelist'] = props.fields.join(',');
    if (props.deleteEnabled) config['delete.enabled'] = 'true';
    if (route) {
      Object.assign(config, {
        transforms: 'table',
        'transforms.table.type': 'org.apache.kafka.connect.transforms.RegexRouter',
        'transforms.table.regex': route.regex,
        'transforms.table.replacement': route.replacement,
      });
    }
    this.secrets = [...new Set([c.url.secret, c.user.secret, c.password.secret])];
    this.connectorName = common.name;
    this.spec = {
      name: common.name,
      config: withExtra(site, id, config, props.extraConfig),
      ...(common.topicsRegex ? { topicsRegex: common.topicsRegex } : {}),
    };
  }
}
