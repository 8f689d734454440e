/**
 * JDBC long-term sink: the Debezium JDBC sink (`io.debezium.connector.jdbc.JdbcSinkConnector`,
 * debezium-connector-jdbc 3.6, Apache 2.0, on Maven Central) writing the 1 Hz aggregated topics into
 * Oracle at the LDF or PostgreSQL: tables created and evolved from the record schemas
 * (`schema.evolution=basic`: a missing table is created, a field the table lacks becomes a nullable
 * column; nothing is dropped or narrowed), upserts by the record key.
 *
 * Keys it sets (JdbcSinkConnectorConfig 3.6): connection.url, connection.username, connection.password
 * (Secret references), insert.mode, primary.key.mode, primary.key.fields, schema.evolution,
 * collection.name.format, quote.identifiers, batch.size, delete.enabled, use.time.zone and
 * `hibernate.dialect` (the plugin passes `hibernate.*` to Hibernate: the database family the site expects
 * is stated, not guessed from the URL it cannot see).
 *
 * Defaults, for the aggregated topics:
 *  - upsert keyed by the Kafka record key (`primary.key.mode=record_key`, one text column `efd_key`): the
 *    aggregator's key is the source key, the group-by values and the window start, so one row per (topic
 *    key, window time); a window sent again (at-least-once) replaces its row with the latest values. The
 *    plugin takes record keys as Structs only, so a HoistField$Key transform makes the string key the
 *    struct `{ efd_key }` first;
 *  - table names from the naming rule (config/names.ts aggregatedTableName): RegexRouter transforms rename
 *    `[<prefix>.]lsst.efd.agg.<Topic>` to `[<prefix>_]<Topic>` before the sink sees it (the plugin would
 *    otherwise make `summit_lsst_efd_agg_<Topic>`), one router per source prefix so a `-` in a site name
 *    becomes `_`. Identifiers are not quoted: PostgreSQL folds them to lower case, Oracle to upper case,
 *    so SQL needs no quotes (`SELECT * FROM summit_atdome_position`).
 *
 * The URL, user and password come from an existing Kubernetes Secret through the worker's
 * DirectoryConfigProvider (`${dir:...}`), never as literals.
 */
import { Construct } from 'constructs';
import { DEFAULT_SECRETS_MOUNT } from '../../config/connectors';
import { IDENTIFIER, aggregatedTableRoutes } from '../../config/names';
import type { ConnectorCommonProps, ConnectorSpec, IConnector, SecretKey } from './common';
import { avroConverters, checkSecretKey, commonConfig, fail, secretRef, withExtra } from './common';

export const DEBEZIUM_JDBC_SINK = 'io.debezium.connector.jdbc.JdbcSinkConnector';

/** The Hibernate dialect of each database family (hibernate-core 7, in the plugin). */
export const JDBC_DIALECTS = {
  oracle: 'org.hibernate.dialect.OracleDialect',
  postgresql: 'org.hibernate.dialect.PostgreSQLDialect',
} as const;
export type JdbcDialect = keyof typeof JDBC_DIALECTS;
export type InsertMode = 'insert' | 'upsert' | 'update';
export type PrimaryKeyMode = 'none' | 'kafka' | 'record_key' | 'record_value';
export type SchemaEvolution = 'none' | 'basic';

/** The column the record key goes to (primary.key.mode record_key with a string key). */
export const KEY_COLUMN = 'efd_key';

export interface JdbcSinkConnectorProps extends ConnectorCommonProps {
  readonly dialect: JdbcDialect;
  /** Secret keys of the JDBC URL, user and password (one Secret or several). */
  readonly connection: { readonly url: SecretKey; readonly user: SecretKey; readonly password: SecretKey };
  /** @default 'upsert' */
  readonly insertMode?: InsertMode;
  /** @default 'record_key' (none with insertMode insert) */
  readonly primaryKeyMode?: PrimaryKeyMode;
  /**
   * Primary-key columns: record_key with a string key: one column name (@default [{@link KEY_COLUMN}]);
   * record_value: value fields, e.g. ['time', 'salIndex']; kafka: three names (topic, partition, offset) or none.
   */
  readonly primaryKeyFields?: string[];
  /** `basic`: create missing tables, add missing columns; `none`: the tables must exist. @default 'basic' */
  readonly schemaEvolution?: SchemaEvolution;
  /** @default 500 (the plugin's) */
  readonly batchSize?: number;
  /** Treat null values as deletes (needs primaryKeyMode record_key). @default false */
  readonly deleteEnabled?: boolean;
  /**
   * Source prefixes of the aggregated topics, for the table names (`['summit', 'test-stand']` at an
   * aggregator, `['']` for a site's own): one RegexRouter each. `false`: tables named by the plugin from
   * the topic (dots → `_`). @default ['']
   */
  readonly tablePrefixes?: readonly string[] | false;
  /** Table name from the (routed) topic. @default '${topic}' */
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
    const insertMode = props.insertMode ?? 'upsert';
    if (!['insert', 'upsert', 'update'].includes(insertMode))
      fail(site, id, 'insertMode', `expected insert, upsert or update, got "${insertMode}"`);
    const pkMode: PrimaryKeyMode = props.primaryKeyMode ?? (insertMode === 'insert' ? 'none' : 'record_key');
    if (!['none', 'kafka', 'record_key', 'record_value'].includes(pkMode))
      fail(site, id, 'primaryKeyMode', `expected none, kafka, record_key or record_value, got "${pkMode}"`);
    if (insertMode !== 'insert' && pkMode === 'none')
      fail(site, id, 'primaryKeyMode', `insertMode "${insertMode}" needs a primary key: record_key (the default), record_value or kafka`);
    const pkFields = props.primaryKeyFields ?? (pkMode === 'record_key' ? [KEY_COLUMN] : []);
    if (pkMode === 'record_value' && pkFields.length === 0)
      fail(site, id, 'primaryKeyFields', 'primaryKeyMode "record_value" needs the key fields, e.g. ["time", "salIndex"]');
    if (pkMode === 'kafka' && pkFields.length !== 0 && pkFields.length !== 3)
      fail(site, id, 'primaryKeyFields', 'primaryKeyMode "kafka" takes three names (topic, partition, offset columns) or none');
    if (pkMode === 'none' && pkFields.length) fail(site, id, 'primaryKeyFields', 'primaryKeyFields given with primaryKeyMode "none"');
    for (const f of pkFields) if (!IDENTIFIER.test(f)) fail(site, id, 'primaryKeyFields', `"${f}" is not a column name`);
    if (props.deleteEnabled && pkMode !== 'record_key') fail(site, id, 'deleteEnabled', 'needs primaryKeyMode "record_key"');
    const evolution = props.schemaEvolution ?? 'basic';
    if (!['none', 'basic'].includes(evolution)) fail(site, id, 'schemaEvolution', `expected none or basic, got "${evolution}"`);
    const batchSize = props.batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1) fail(site, id, 'batchSize', `expected an integer ≥ 1, got ${batchSize}`);
    const tableNameFormat = props.tableNameFormat ?? '${topic}';
    if (!tableNameFormat.includes('${topic}')) fail(site, id, 'tableNameFormat', 'expected a format containing ${topic}');
    const prefixes = props.tablePrefixes === undefined ? [''] : props.tablePrefixes;
    let routes: ReturnType<typeof aggregatedTableRoutes> = [];
    if (prefixes) {
      try {
        routes = aggregatedTableRoutes(prefixes);
      } catch (err) {
        fail(site, id, 'tablePrefixes', (err as Error).message);
      }
    }

    const mount = props.secretsMountPath ?? DEFAULT_SECRETS_MOUNT;
    this.secretsMountPath = mount;
    const c = props.connection;
    const config: Record<string, string> = {
      'connector.class': DEBEZIUM_JDBC_SINK,
      ...common.config,
      ...avroConverters(props.schemaRegistryUrl),
      'connection.url': secretRef(c.url, mount),
      'connection.username': secretRef(c.user, mount),
      'connection.password': secretRef(c.password, mount),
      'hibernate.dialect': JDBC_DIALECTS[props.dialect],
      'insert.mode': insertMode,
      'primary.key.mode': pkMode,
      'schema.evolution': evolution,
      'collection.name.format': tableNameFormat,
      'quote.identifiers': 'false',
      'batch.size': String(batchSize),
      'use.time.zone': 'UTC',
    };
    if (pkFields.length) config['primary.key.fields'] = pkFields.join(',');
    if (props.deleteEnabled) config['delete.enabled'] = 'true';
    // The plugin reads record_key keys as Structs only: the aggregator's string key becomes { efd_key }.
    const hoist = pkMode === 'record_key' && pkFields.length === 1;
    if (hoist || routes.length) {
      config.transforms = [...(hoist ? ['key'] : []), ...routes.map((r) => r.name)].join(',');
      if (hoist) {
        config['transforms.key.type'] = 'org.apache.kafka.connect.transforms.HoistField$Key';
        config['transforms.key.field'] = pkFields[0];
      }
      for (const r of routes) {
        config[`transforms.${r.name}.type`] = 'org.apache.kafka.connect.transforms.RegexRouter';
        config[`transforms.${r.name}.regex`] = r.regex;
        config[`transforms.${r.name}.replacement`] = r.replacement;
      }
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
