/**
 * The JDBC long-term sink for real: aggregated records (the aggregator's derived schema, its key format)
 * → Kafka Connect with the Debezium JDBC sink as JdbcSinkConnector configures it → PostgreSQL, read back
 * with SQL:
 *  - the table is created from the schema (one per topic, named by the naming rule), evolved when the
 *    schema gains a field, and upserted by the record key (a window sent twice: one row, latest values);
 *  - a record that does not decode goes to the dead-letter topic with the reason, the connector runs on;
 *  - a column the database refuses (made incompatible beforehand): the task stops FAILED with the
 *    database's reason and stays stopped (no crash loop), and the record is not lost: once the column
 *    is fixed and the task restarted, the row arrives. (Debezium's JDBC sink does not hand write errors
 *    to Connect's dead-letter queue, only conversion errors go there.)
 *  - the site's Oracle config (the LDF's) validates on the worker with 0 errors (the plugin types its keys
 *    there; it checks no enumerated values, which connectors.test.ts does).
 * Servers: the local EFD's PostgreSQL and cluster a's Connect worker when they have what is needed, else
 * the same servers started here (a PostgreSQL and a Connect worker of this test's, on free ports); one
 * that cannot start fails the test (never a skip).
 * Run: npx jest --selectProjects integration constructs/connectors/jdbc-sink
 */
import * as path from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { Client } from 'pg';
import { Type } from 'avsc';
import { ConnectClient, validationErrors } from '../../apps/connect-manager/connect-client';
import { renderConfig } from '../../apps/connect-manager/plan';
import { aggregationPlan } from '../../apps/aggregator/schema';
import { EFD_FIELDS } from '../../apps/lib/sal/avro';
import { createRegistry, wireEncoder } from '../../apps/lib/registry';
import { aggregatedTableName, aggregatedTopicsRegexOf } from '../../config/names';
import { LocalProcess } from '../../scripts/local-efd/replication';
import { apicurioAvroConverter, openJdbcSinkEnv } from '../../test/integration/jdbc-sink-env';
import { TestNamespace, createTopic, useNamespace, waitFor } from '../../test/integration/env';
import { loadSites } from '../../config/load';
import { JdbcSinkConnector, JdbcSinkConnectorProps } from './jdbc-sink-connector';

jest.setTimeout(600_000);

let ns: TestNamespace;
let sql: Client;
let connect: ConnectClient;
let started: LocalProcess[] = [];
const connectors: string[] = [];

beforeAll(async () => {
  ns = await useNamespace(__filename);
  ({ sql, connect, started } = await openJdbcSinkEnv(ns));
}, 15 * 60_000);

afterAll(async () => {
  for (const c of connectors) await connect?.delete(c).catch(() => undefined);
  await sql?.end().catch(() => undefined);
  for (const p of started.reverse()) await p.stop().catch(() => undefined);
  if (ns?.endpoints.postgres) {
    const admin = new Client({ ...ns.endpoints.postgres, database: 'postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${ns.database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  await ns?.cleanup();
}, 180_000);

// ---------------------------------------------------------------- records ----

/** A SAL telemetry schema as saltransform writes it: EFD fields, salIndex, a scalar, an array, a string. */
function sourceSchema(extra: { name: string; type: unknown }[] = []) {
  return {
    type: 'record',
    name: 'ATDome_position',
    namespace: 'lsst.sal',
    sal_topic_type: 'SALTelemetry',
    fields: [
      ...EFD_FIELDS,
      { name: 'salIndex', type: 'int' },
      { name: 'azimuthPosition', type: 'double', sal_units: 'deg' },
      { name: 'motorTemps', type: { type: 'array', items: 'float' } },
      { name: 'mode', type: 'string' },
      ...extra,
    ],
  };
}

const prefix = () => `it.${ns.id}`;
const aggTopic = (t: string) => `${prefix()}.lsst.efd.agg.${t}`;
/** The aggregator's output key: source key, group-by values, window start (apps/aggregator/window.ts). */
const windowKey = (salIndex: number, start: number) => `/salIndex=${salIndex}/${start}`;
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

function windowValue(salIndex: number, start: number, mean: number, extra: Record<string, unknown> = {}) {
  return {
    time: start,
    count: 50,
    sal_revcode: 'abc123',
    sal_origin: 1,
    sal_host: 2,
    salIndex,
    azimuthPosition_count: 50,
    azimuthPosition_min: mean - 1,
    azimuthPosition_max: mean + 1,
    azimuthPosition_mean: mean,
    azimuthPosition_median: mean,
    azimuthPosition_stdev: 0.5,
    motorTemps_count: [50, 50],
    motorTemps_min: [20, 21],
    motorTemps_max: [22, 23],
    motorTemps_mean: [21, 22],
    motorTemps_median: [21, 22],
    motorTemps_stdev: [0.25, null],
    mode: 'TRACKING',
    ...extra,
  };
}

async function register(topic: string, source: object): Promise<(v: unknown) => Buffer> {
  const schema = aggregationPlan(source).schema;
  const registry = createRegistry(ns.endpoints.clusters[0].registry);
  const id = await registry.register(`${topic}-value`, schema as never);
  return wireEncoder(id, Type.forSchema(schema as never));
}

async function produce(topic: string, messages: { key: string; value: Buffer }[]): Promise<void> {
  const producer = ns.kafka().producer();
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
}

// -------------------------------------------------------------- connector ----

/**
 * The connector as the construct makes it, with the local specifics: PostgreSQL, the Secret mounted in
 * this test's folder, Apicurio's Avro converter (the local registry is Apicurio; the sites' Connect image
 * has Confluent's), a single-broker DLQ.
 */
function connectorConfig(id: string, topics: string[], props: Partial<JdbcSinkConnectorProps> = {}): Record<string, string> {
  const scope = new TerraformStack(Testing.app(), 'it');
  const c = new JdbcSinkConnector(scope, 'jdbc', {
    site: 'local',
    name: ns.name(id),
    schemaRegistryUrl: ns.endpoints.clusters[0].registry,
    dialect: 'postgresql',
    topicsRegex: aggregatedTopicsRegexOf([prefix()]),
    tablePrefixes: [prefix()],
    deadLetterTopic: ns.topic(`${id}-dlq`),
    secretsMountPath: path.join(ns.tmpDir, 'secrets'),
    connection: {
      url: { secret: 'efd-pg', key: 'jdbc-url' },
      user: { secret: 'efd-pg', key: 'jdbc-user' },
      password: { secret: 'efd-pg', key: 'jdbc-password' },
    },
    ...props,
  });
  const config = renderConfig(c.spec, topics, 'it')!;
  return {
    ...config,
    ...localConverter(),
    'errors.deadletterqueue.topic.replication.factor': '1',
    'consumer.override.auto.offset.reset': 'earliest',
  };
}

/** Apicurio's Avro converter reading Confluent's wire format (4-byte ids = the ccompat API's content ids). */
function localConverter(): Record<string, string> {
  return { ...apicurioAvroConverter(ns), 'value.converter.apicurio.registry.headers.enabled': 'false' };
}

async function start(id: string, config: Record<string, string>): Promise<string> {
  const name = config.name;
  const errors = validationErrors(await connect.validate(config));
  expect({ name, errors }).toEqual({ name, errors: [] });
  await connect.putConfig(name, config);
  connectors.push(name);
  await waitFor(`${name} RUNNING`, async () => {
    const s = await connect.status(name);
    return s?.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING');
  });
  return name;
}

const table = (topic: string) => (aggregatedTableName(topic) as string).toLowerCase();

async function rows(t: string, order = 'efd_key'): Promise<Record<string, unknown>[]> {
  try {
    return (await sql.query(`SELECT * FROM ${t} ORDER BY ${order}`)).rows;
  } catch (err) {
    if (/does not exist/.test((err as Error).message)) return [];
    throw err;
  }
}

async function columns(t: string): Promise<Record<string, string>> {
  const r = await sql.query('SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1', [t]);
  return Object.fromEntries(r.rows.map((x: { column_name: string; data_type: string }) => [x.column_name, x.data_type]));
}

async function dlqRecords(topic: string, atLeast: number): Promise<{ value: Buffer | null; headers: Record<string, string> }[]> {
  const consumer = ns.kafka().consumer({ groupId: ns.name(`dlq-reader-${Date.now()}`) });
  const got: { value: Buffer | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      got.push({ value: message.value, headers });
    },
  });
  await waitFor(`${atLeast} record(s) in ${topic}`, async () => got.length >= atLeast, 120_000);
  await new Promise((r) => setTimeout(r, 2000)); // any further record would be here by now
  await consumer.disconnect();
  return got;
}

// ------------------------------------------------------------------ tests ----

test('aggregated topic → Debezium JDBC sink → PostgreSQL: table created from the schema, upserts by (key, time), evolution, bad records to the DLQ', async () => {
  const topic = aggTopic('ATDome_position');
  const t = table(topic);
  expect(t).toBe(`it_${ns.id}_atdome_position`);
  await createTopic(ns.kafka(), topic);
  const v1 = await register(topic, sourceSchema());
  await produce(topic, [
    { key: windowKey(1, T0), value: v1(windowValue(1, T0, 10)) },
    { key: windowKey(1, T0 + 1000), value: v1(windowValue(1, T0 + 1000, 11)) },
    { key: windowKey(2, T0), value: v1(windowValue(2, T0, 20)) },
  ]);
  const name = await start('agg', connectorConfig('agg', [topic]));
  await waitFor(`3 rows in ${t}`, async () => (await rows(t)).length === 3, 180_000);

  // Created from the aggregated schema: the key column, the window time, stats as doubles, arrays as arrays.
  const cols = await columns(t);
  expect(cols).toMatchObject({
    efd_key: 'text',
    time: 'timestamp without time zone',
    count: 'integer',
    salindex: 'integer',
    azimuthposition_mean: 'double precision',
    azimuthposition_count: 'integer',
    motortemps_mean: 'ARRAY',
    mode: 'text',
  });
  const pk = await sql.query(
    `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [t],
  );
  expect(pk.rows.map((r: { attname: string }) => r.attname)).toEqual(['efd_key']);
  let got = await rows(t);
  expect(got.map((r) => [r.efd_key, r.salindex, r.azimuthposition_mean, (r.time as Date).toISOString()])).toEqual([
    [windowKey(1, T0), 1, 10, new Date(T0).toISOString()],
    [windowKey(1, T0 + 1000), 1, 11, new Date(T0 + 1000).toISOString()],
    [windowKey(2, T0), 2, 20, new Date(T0).toISOString()],
  ]);
  expect(got[0]).toMatchObject({ count: 50, motortemps_mean: [21, 22], motortemps_stdev: [0.25, null], mode: 'TRACKING' });

  // The same window again (at-least-once): one row, the latest values.
  await produce(topic, [{ key: windowKey(1, T0 + 1000), value: v1(windowValue(1, T0 + 1000, 11.5, { count: 51 })) }]);
  await waitFor('the re-sent window upserted', async () => {
    const r = (await rows(t)).find((x) => x.efd_key === windowKey(1, T0 + 1000));
    return r?.azimuthposition_mean === 11.5;
  });
  got = await rows(t);
  expect(got).toHaveLength(3);
  expect(got[1]).toMatchObject({ count: 51, azimuthposition_mean: 11.5 });

  // A new schema version (the source gained a field): its columns are added, older rows hold null.
  const v2 = await register(topic, sourceSchema([{ name: 'azimuthVelocity', type: 'double' }]));
  await produce(topic, [
    {
      key: windowKey(1, T0 + 2000),
      value: v2(windowValue(1, T0 + 2000, 12, { azimuthVelocity_count: 50, azimuthVelocity_mean: 0.1, azimuthVelocity_max: 0.2 })),
    },
  ]);
  await waitFor('the evolved row', async () => (await rows(t)).length === 4, 120_000);
  expect(await columns(t)).toMatchObject({ azimuthvelocity_mean: 'double precision', azimuthvelocity_count: 'integer' });
  got = await rows(t);
  expect(got.find((r) => r.efd_key === windowKey(1, T0 + 2000))).toMatchObject({
    azimuthposition_mean: 12,
    azimuthvelocity_mean: 0.1,
    azimuthvelocity_max: 0.2,
    azimuthvelocity_min: null,
  });
  expect(got[0].azimuthvelocity_mean).toBeNull();

  // A record that does not decode: to the dead-letter topic with the reason; the connector runs on and
  // the next record is written.
  await produce(topic, [
    { key: 'garbage', value: Buffer.from('not avro at all') },
    { key: windowKey(2, T0 + 1000), value: v2(windowValue(2, T0 + 1000, 21)) },
  ]);
  await waitFor('the record after the bad one', async () => (await rows(t)).length === 5, 120_000);
  const dlq = await dlqRecords(ns.topic('agg-dlq'), 1);
  expect(dlq).toHaveLength(1);
  expect(dlq[0].value?.toString()).toBe('not avro at all');
  expect(dlq[0].headers['__connect.errors.topic']).toBe(topic);
  expect(dlq[0].headers['__connect.errors.stage']).toBe('VALUE_CONVERTER');
  expect(dlq[0].headers['__connect.errors.exception.message']).toMatch(/\S/);
  const s = await connect.status(name);
  expect([s?.connector.state, ...(s?.tasks.map((x) => x.state) ?? [])]).toEqual(['RUNNING', 'RUNNING']);
});

test('a column the database refuses: the task stops FAILED with the reason, no crash loop, and the record is written once the column is fixed', async () => {
  const topic = aggTopic('ATDome_refused');
  const t = table(topic);
  await createTopic(ns.kafka(), topic);
  // Made incompatible beforehand: the mean is a boolean column here (the sink adds the other columns).
  await sql.query(
    `CREATE TABLE ${t} (efd_key text PRIMARY KEY, time timestamp NOT NULL, count integer NOT NULL, azimuthposition_mean boolean)`,
  );
  const enc = await register(topic, { ...sourceSchema(), name: 'ATDome_refused' });
  await produce(topic, [{ key: windowKey(1, T0), value: enc(windowValue(1, T0, 10)) }]);
  const name = ns.name('refused');
  const config = connectorConfig('refused', [topic]);
  expect(validationErrors(await connect.validate(config))).toEqual([]);
  await connect.putConfig(name, config);
  connectors.push(name);
  const failed = await waitFor(
    `${name} task FAILED`,
    async () => {
      const s = await connect.status(name);
      const task = s?.tasks[0];
      return task?.state === 'FAILED' ? task : undefined;
    },
    180_000,
  );
  expect(failed.trace).toMatch(/azimuthposition_mean/);
  expect(failed.trace).toMatch(/boolean/);
  // Stays stopped: Connect does not restart a failed task by itself (no crash loop), nothing was written.
  await new Promise((r) => setTimeout(r, 15_000));
  expect((await connect.status(name))?.tasks.map((x) => x.state)).toEqual(['FAILED']);
  expect(await rows(t)).toEqual([]);
  // The record is not lost: its offset was not committed; fixed column + restart → the row.
  await sql.query(`ALTER TABLE ${t} ALTER COLUMN azimuthposition_mean TYPE double precision USING NULL`);
  await connect.restartTask(name, 0);
  await waitFor('the refused record written after the fix', async () => (await rows(t)).length === 1, 180_000);
  expect((await rows(t))[0]).toMatchObject({ efd_key: windowKey(1, T0), azimuthposition_mean: 10 });
});

test("the LDF site's Oracle config (the same construct) validates on the worker with 0 errors", async () => {
  const ldf = loadSites().find((s) => s.name === 'ldf')!;
  const j = ldf.connectors.jdbc!;
  const scope = new TerraformStack(Testing.app(), 'ldf');
  const c = new JdbcSinkConnector(scope, 'jdbc', {
    site: 'ldf',
    schemaRegistryUrl: 'http://cp-cp-schema-registry.kafka.svc.cluster.local:8081',
    dialect: j.dialect,
    topicsRegex: aggregatedTopicsRegexOf(['summit', 'test-stand']),
    tablePrefixes: ['summit', 'test-stand'],
    deadLetterTopic: j.deadLetterTopic,
    connection: {
      url: { secret: j.secret, key: 'jdbc-url' },
      user: { secret: j.secret, key: 'jdbc-user' },
      password: { secret: j.secret, key: 'jdbc-password' },
    },
  });
  expect(c.spec.config['hibernate.dialect']).toBe('org.hibernate.dialect.OracleDialect');
  const config = renderConfig(c.spec, ['summit.lsst.efd.agg.ATDome_position', 'test-stand.lsst.efd.agg.ATDome_position'], 'it')!;
  // Everything as the LDF runs it but the Avro converter: Confluent's is in the sites' Connect image,
  // not on the local worker, so Apicurio's takes its place. The Secret files exist only in the LDF's
  // Connect pods (the worker resolves them when the task starts).
  for (const k of Object.keys(config)) if (k.startsWith('value.converter')) delete config[k];
  Object.assign(config, localConverter());
  const r = await connect.validate(config);
  expect(validationErrors(r)).toEqual([]);
  // Not vacuous: the plugin's config definition types its keys (a batch size that is not a number is
  // refused). It checks no enumerated value, no pairing of keys and no URL at validate time
  // (schema.evolution=sometimes or upsert without primary.key.mode pass): connectors.test.ts checks those
  // against plugin-keys.ts and the construct's rules.
  const bad = validationErrors(await connect.validate({ ...config, 'batch.size': 'many' })).join('\n');
  expect(bad).toMatch(/batch\.size/);
  expect(validationErrors(await connect.validate({ ...config, 'schema.evolution': 'sometimes' }))).toEqual([]);
});
