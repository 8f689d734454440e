/**
 * End to end on the local EFD (issue 16): salmock → saltransform → aggregator → the three stores of the
 * aggregated topics (`<prefix>lsst.efd.agg.*`), each read back and compared with the windows recomputed
 * here from the source Avro records:
 *  - InfluxDB through the influxdb-sink (InfluxQL): one point per window in `lsst.efd.agg.<Topic>`;
 *  - PostgreSQL through the Debezium JDBC sink on the local Connect worker, with the config the LDF site
 *    deploys (its `connectors` section through ConnectorSet, the dialect and the Secret swapped for the
 *    local PostgreSQL, the test's prefix as the replicated source's): one table per topic named by the
 *    routes (config/names.ts aggregatedTableName), one row per window upserted by the record key
 *    (source key, group-by values, window start), the columns typed from the aggregated schema;
 *  - Parquet on the local S3 store (SeaweedFS) through the parquet-sink app, read back with DuckDB: one
 *    row per window, the columns and types of the aggregated schema, every object in the hour folder of
 *    its windows under the layout's name (config/object-store-layout.ts).
 * In each store every closed window is there exactly once, with the count and the count/mean/min/max of
 * a scalar (ATDome_position.azimuthPosition) and of an array element (ATMCS_trajectory.azimuth[7]) the
 * source records give; ATMCS_measuredTorque's windows are counted. Nothing is dead-lettered, and
 * saltransform and the aggregator exit 0 on SIGTERM at the end (one telemetry topic exists before the
 * others, so the aggregator has replaced its consumer by then). No crash here (pipeline.int.test.ts
 * kills the aggregator).
 * Servers: the local EFD's (PostgreSQL and the Connect worker through jdbc-sink-env.ts, which starts its
 * own when they lack what is needed); the S3 store the running one, else one started here from its build
 * in the cache, else not run (a failure on CI).
 * Run: npx jest --selectProjects integration test/integration/aggregated-stores
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { Testing, TerraformStack } from 'cdktf';
import { Client } from 'pg';
import { ConnectClient, validationErrors } from '../../apps/connect-manager/connect-client';
import { renderConfig } from '../../apps/connect-manager/plan';
import { RunningSink } from '../../apps/influxdb-sink/cli';
import type { EfdAdmin } from '../../apps/lib/kafka-admin';
import { tryReadEndpoints, type ObjectStoreEndpoints } from '../../apps/lib/local-endpoints';
import { createRegistry } from '../../apps/lib/registry';
import { CURRENT_DIR } from '../../apps/lib/sal/test-fixtures';
import { salmockConfig, startSalmock } from '../../apps/salmock/cli';
import { runRegister } from '../../apps/salschema/cli';
import { loadSites } from '../../config/load';
import { aggregatedTableName, aggregatedTopicsRegex } from '../../config/names';
import { parseObjectKey, timeFolder } from '../../config/object-store-layout';
import { ConnectorSet } from '../../constructs/connectors/connector-set';
import { LocalProcess } from '../../scripts/local-efd/replication';
import { seaweedInstalled, startObjectStoresAside, type AsideStores } from '../../scripts/local-efd/object-stores';
import { notRun } from '../not-run';
import {
  aggregatorArgs,
  consumeAll,
  EfdChild,
  ReadMessage,
  saltransformArgs,
  spawnEfd,
  topicsWithPrefix,
  totalMessages,
  waitForGroup,
} from './efd-process';
import { createTopic, TestNamespace, useNamespace, waitFor, withAdmin } from './env';
import { apicurioAvroConverter, openJdbcSinkEnv } from './jdbc-sink-env';
import { startNamespaceSink } from './sink';

const running = tryReadEndpoints()?.objectStores;
const s3Available = !!running || seaweedInstalled();

let ns: TestNamespace;
let sql: Client | undefined;
let connect: ConnectClient | undefined;
let started: LocalProcess[] = [];
let aside: AsideStores | undefined;
let stores: ObjectStoreEndpoints;
let bucket: string;
let influxSink: RunningSink | undefined;
const children: EfdChild[] = [];
const connectors: string[] = [];

beforeAll(async () => {
  if (!s3Available) return;
  ns = await useNamespace(__filename);
  ({ sql, connect, started } = await openJdbcSinkEnv(ns));
  if (running) stores = running;
  else {
    const dir = path.join(ns.tmpDir, 'stores');
    fs.mkdirSync(dir, { recursive: true });
    aside = await startObjectStoresAside(dir);
    stores = aside.endpoints;
  }
  bucket = `efd-it-${ns.id.replace(/[^a-z0-9]/g, '-')}`.slice(0, 60);
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
}, 15 * 60_000);

afterAll(async () => {
  // an app that does not exit on SIGTERM fails the test body (stopWithin); here it is only ended
  await Promise.all(children.map(async (c) => (await stopWithin(c, 30_000)) === 'hung' && c.kill9()));
  await influxSink?.stop();
  for (const c of connectors) await connect?.delete(c).catch(() => undefined);
  await sql?.end().catch(() => undefined);
  if (bucket) await emptyBucket().catch(() => undefined);
  await aside?.stop();
  for (const p of started.reverse()) await p.stop().catch(() => undefined);
  if (ns?.endpoints.postgres) {
    const admin = new Client({ ...ns.endpoints.postgres, database: 'postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${ns.database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  await ns?.cleanup();
}, 180_000);

/** SIGTERM and the exit code, or 'hung' when the process is still there after `ms`. */
async function stopWithin(c: EfdChild, ms: number): Promise<number | null | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)));
  try {
    return await Promise.race([c.stop(), hung]);
  } finally {
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------ stores ----

const s3 = () =>
  new S3Client({
    endpoint: stores.s3.endpoint,
    region: stores.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: stores.s3.accessKeyId, secretAccessKey: stores.s3.secretAccessKey },
  });

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

async function emptyBucket(): Promise<void> {
  const keys = await listKeys('');
  if (keys.length) await s3().send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  await s3().send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** InfluxQL on the namespace's database, rows as objects (times in ms). */
async function influx(q: string): Promise<Record<string, unknown>[]> {
  const body = new URLSearchParams({ q, db: ns.database, epoch: 'ms' });
  const res = await fetch(`${ns.endpoints.influxdb.url}/query`, { method: 'POST', body });
  const json = (await res.json()) as { results: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[] };
  if (json.results[0].error) throw new Error(`InfluxQL ${q}: ${json.results[0].error}`);
  const s = json.results[0].series?.[0];
  return s ? s.values.map((row) => Object.fromEntries(s.columns.map((c, i) => [c, row[i]]))) : [];
}

/**
 * The LDF site's JDBC sink as ConnectorSet makes it from ldf.yaml, pointed at the local PostgreSQL: the
 * dialect postgresql, the Secret the one jdbc-sink-env.ts writes (mounted in the test's folder), the
 * test's prefix as the one replicated source (`it.<id>` as `summit` at the LDF); the connector named in
 * the namespace and rendered by the connect manager's renderConfig over `topics`. Local specifics on
 * top: Apicurio's Avro converter (the local registry; the sites' image has Confluent's), a one-broker DLQ.
 */
function ldfJdbcConfig(prefix: string, topics: string[]): Record<string, string> {
  const ldf = loadSites().find((s) => s.name === 'ldf')!;
  const cluster = ns.endpoints.clusters[0];
  const set = new ConnectorSet(new TerraformStack(Testing.app(), 'ldf'), 'connectors', {
    site: ldf,
    kafka: {
      bootstrapServers: cluster.kafka,
      schemaRegistryUrl: cluster.registry,
      connectUrl: cluster.connect,
      mountConnectorSecrets: () => undefined,
    },
    influxdb: { url: ns.endpoints.influxdb.url, database: ns.database, adminSecret: 'influxdb-auth' },
    connectors: {
      ...ldf.connectors,
      secretsMountPath: path.join(ns.tmpDir, 'secrets'),
      jdbc: { ...ldf.connectors.jdbc!, dialect: 'postgresql', secret: 'efd-pg', deadLetterTopic: ns.topic('jdbc-dlq') },
    },
    aggregatedPrefixes: [prefix.replace(/\.$/, '')],
  });
  const jdbc = set.connectors.filter((c) => c.spec.config['connector.class'] === 'io.debezium.connector.jdbc.JdbcSinkConnector');
  expect(jdbc).toHaveLength(1);
  const config = renderConfig({ ...jdbc[0].spec, name: ns.name('jdbc') }, topics, 'it')!;
  for (const k of Object.keys(config)) if (k.startsWith('value.converter')) delete config[k];
  return {
    ...config,
    ...apicurioAvroConverter(ns),
    'value.converter.apicurio.registry.headers.enabled': 'false',
    'errors.deadletterqueue.topic.replication.factor': '1',
  };
}

// ----------------------------------------------------------------- windows ----

const stats = (xs: number[]) => {
  const v = xs.filter((x) => Number.isFinite(x));
  return { count: v.length, min: Math.min(...v), max: Math.max(...v), mean: v.reduce((s, x) => s + x, 0) / v.length };
};

type Source = { time: number; value: Record<string, unknown> };
/** A closed window as the source records give it. */
interface Window {
  topic: string;
  start: number;
  count: number;
  /** Statistics of the checked field (the scalar, or the array's element {@link ELEMENT}); none for measuredTorque. */
  field?: { name: string; array: boolean; count: number; min: number; max: number; mean: number };
}

const TELEMETRY = ['ATDome_position', 'ATMCS_measuredTorque', 'ATMCS_trajectory'];
/** The field whose statistics are checked, per topic: a scalar and an array (its element {@link ELEMENT}). */
const CHECKED: Record<string, { name: string; array: boolean } | undefined> = {
  ATDome_position: { name: 'azimuthPosition', array: false },
  ATMCS_trajectory: { name: 'azimuth', array: true },
};
const ELEMENT = 7;

const notRunReason = 'no SeaweedFS build in the cache and no local S3 store running: run `npx efd local up --object-stores`';
if (!s3Available) notRun('salmock → saltransform → aggregator → InfluxDB, PostgreSQL and Parquet', notRunReason);

(s3Available ? test : test.skip)(
  'salmock → saltransform → aggregator → InfluxDB, PostgreSQL (JDBC sink, the LDF config) and Parquet (S3): every closed window once in each, values of the source',
  async () => {
    const prefix = ns.topic('');
    const aggPrefix = `${prefix}lsst.efd.agg.`;
    const cluster = ns.endpoints.clusters[0];
    const kafka = ns.kafkaOptions();
    const quiet = { out: () => undefined, err: (l: string) => process.stderr.write(`${l}\n`) };
    expect(
      await runRegister({ xml: CURRENT_DIR, registry: cluster.registry, topicPrefix: prefix, topics: '^(ATDome|ATMCS)_' }, quiet),
    ).toBe(0);
    const registry = createRegistry(cluster.registry);

    // the pipeline, and the two sinks that run as apps (the JDBC connector once the aggregated topics exist)
    const saltransform = spawnEfd(saltransformArgs(ns, 'ATDome,ATMCS'));
    const aggregator = spawnEfd(aggregatorArgs(ns, ['--topic-refresh-ms', '500']));
    children.push(saltransform, aggregator);
    // one telemetry topic before the others: the aggregator consumes it, then replaces its consumer
    // when salmock's traffic makes the other two (what its exit on SIGTERM is checked after, below)
    await createTopic(kafka, `${prefix}lsst.sal.ATDome_position`);
    await withAdmin(kafka, (admin) => waitForGroup(admin, ns.name('agg'), 1, 60_000));
    const parquetSink = spawnEfd(
      [
        'parquet-sink',
        '--brokers',
        cluster.kafka,
        '--registry',
        cluster.registry,
        '--store',
        's3',
        '--bucket',
        bucket,
        '--prefix',
        'efd/',
        '--endpoint',
        stores.s3.endpoint,
        '--region',
        stores.s3.region,
        '--topics-regex',
        aggregatedTopicsRegex(prefix),
        '--group',
        ns.name('pq'),
        '--dead-letter-topic',
        ns.topic('pq-dlq'),
        '--flush-interval-ms',
        '1500',
        '--topic-refresh-ms',
        '500',
        '--metrics-port',
        '0',
      ],
      { AWS_ACCESS_KEY_ID: stores.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: stores.s3.secretAccessKey },
    );
    children.push(parquetSink);
    influxSink = await startNamespaceSink(ns, {
      topicsRegex: aggregatedTopicsRegex(prefix),
      stripPrefix: prefix,
      timestampField: 'time',
      topicRefreshMs: '500',
    });

    // 6 s of SAL traffic, 50 Hz per telemetry topic
    const mock = startSalmock(
      salmockConfig(
        {
          xml: CURRENT_DIR,
          brokers: cluster.kafka,
          clientId: 'salmock-agg-stores-it',
          topicPrefix: prefix,
          topics: '^(ATDome|ATMCS)_',
          duration: '6',
          telemetryHz: '50',
          eventHz: '2',
          commandHz: '1',
          seed: '16',
          metricsPort: '0',
          logLevel: 'warn',
          createTopics: true,
        },
        {},
      ),
    );
    const outTopics = TELEMETRY.map((t) => `${aggPrefix}${t}`);
    await withAdmin(kafka, async (admin: EfdAdmin) => {
      // the JDBC sink as the connect manager would put it once the aggregated topics exist
      await waitFor('the aggregated topics', async () => (await topicsWithPrefix(admin, aggPrefix)).length >= outTopics.length, 120_000);
      const config = ldfJdbcConfig(prefix, await admin.listTopics());
      expect(config.topics.split(',').sort()).toEqual([...outTopics].sort());
      expect(validationErrors(await connect!.validate(config))).toEqual([]);
      await connect!.putConfig(config.name, config);
      connectors.push(config.name);
    });
    expect((await mock).failed).toBe(0);

    // the source records and the windows they close (the watermark, newest sal_created, past a window by the 300 ms grace)
    const sources = TELEMETRY.map((t) => `${prefix}lsst.sal.${t}`);
    const sourceCount = await withAdmin(kafka, (admin) =>
      waitFor(
        'saltransform to finish',
        async () => {
          const n = await totalMessages(admin, sources);
          await new Promise((r) => setTimeout(r, 1000));
          return n > 0 && n === (await totalMessages(admin, sources)) ? n : undefined;
        },
        60_000,
      ),
    );
    const decoded = new Map<string, Source[]>(TELEMETRY.map((t) => [t, []]));
    for (const m of await consumeAll(kafka, ns.name('src'), sources, sourceCount)) {
      const value = (await registry.decode(m.value!)) as Record<string, unknown>;
      decoded.get(m.topic.slice(`${prefix}lsst.sal.`.length))!.push({ time: value.sal_created as number, value });
    }
    const windows: Window[] = [];
    for (const [topic, recs] of decoded) {
      const newest = Math.max(...recs.map((r) => r.time));
      const byStart = new Map<number, Source[]>();
      for (const r of recs) {
        const s = Math.floor(r.time / 1000) * 1000;
        if (!byStart.has(s)) byStart.set(s, []);
        byStart.get(s)!.push(r);
      }
      for (const [start, rs] of [...byStart].sort((a, b) => a[0] - b[0])) {
        if (start + 1000 + 300 > newest) continue; // still open
        const f = CHECKED[topic];
        const xs = f ? rs.map((r) => (f.array ? (r.value[f.name] as number[])[ELEMENT] : (r.value[f.name] as number))) : [];
        windows.push({ topic, start, count: rs.length, ...(f ? { field: { ...f, ...stats(xs) } } : {}) });
      }
    }
    const of = (topic: string) => windows.filter((w) => w.topic === topic);
    for (const t of TELEMETRY) expect({ t, closed: of(t).length >= 2 }).toEqual({ t, closed: true });
    process.stderr.write(`aggregated stores it: ${sourceCount} source records, ${windows.length} closed windows\n`);

    // Kafka: every closed window once, equal to the recomputation (what the stores are compared with)
    let out: ReadMessage[] = [];
    await waitFor(
      'the aggregator to emit every closed window',
      async () => {
        out = await consumeAll(kafka, ns.name(`out-${Date.now()}`), outTopics, windows.length, 3000);
        return out.length >= windows.length;
      },
      120_000,
    );
    const emitted = new Map<string, Record<string, unknown>>();
    for (const m of out) {
      const v = (await registry.decode(m.value!)) as Record<string, unknown>;
      emitted.set(`${m.topic.slice(aggPrefix.length)}/${v.time as number}`, v);
    }
    expect(out).toHaveLength(windows.length);
    expect([...emitted.keys()].sort()).toEqual(windows.map((w) => `${w.topic}/${w.start}`).sort());
    const keyOf = new Map(out.map((m) => [`${m.topic}/${String(m.key)}`, m]));
    expect(keyOf.size).toBe(windows.length);
    /** The aggregated schema's field names of each topic (one schema each here), for the stores' columns. */
    const fieldsOf = new Map<string, string[]>();
    for (const t of TELEMETRY) {
      const ids = new Set(out.filter((m) => m.topic === `${aggPrefix}${t}`).map((m) => m.value!.readUInt32BE(1)));
      expect({ t, schemas: ids.size }).toEqual({ t, schemas: 1 });
      const schema = (await registry.schema([...ids][0])) as { fields: { name: string }[] };
      fieldsOf.set(
        t,
        schema.fields.map((f) => f.name),
      );
    }
    const stat = (v: Record<string, unknown>, f: NonNullable<Window['field']>, st: string) => {
      const x = v[`${f.name}_${st}`];
      return Array.isArray(x) ? x[ELEMENT] : x;
    };
    /** What every store must say of a window: its start, count and the checked field's statistics. */
    const want = (w: Window) => ({
      topic: w.topic,
      time: w.start,
      count: w.count,
      ...(w.field ? { fieldCount: w.field.count, min: w.field.min, max: w.field.max, mean: w.field.mean } : {}),
    });
    const fromKafka = windows.map((w) => {
      const v = emitted.get(`${w.topic}/${w.start}`)!;
      const f = w.field;
      return {
        topic: w.topic,
        time: v.time,
        count: v.count,
        ...(f ? { fieldCount: stat(v, f, 'count'), min: stat(v, f, 'min'), max: stat(v, f, 'max'), mean: stat(v, f, 'mean') } : {}),
      };
    });
    expect(fromKafka).toEqual(windows.map(want));

    // ---- InfluxDB: one point per window in lsst.efd.agg.<Topic>; arrays as <name>0..<name>N
    for (const t of TELEMETRY) {
      await waitFor(
        `InfluxDB to hold every ${t} window`,
        async () => (await influx(`SELECT count("count") FROM "lsst.efd.agg.${t}"`))[0]?.count === of(t).length,
        60_000,
      );
    }
    const fromInflux: unknown[] = [];
    for (const t of TELEMETRY) {
      const f = CHECKED[t];
      const col = (st: string) => `"${f!.name}_${st}${f!.array ? ELEMENT : ''}" AS "f_${st}"`;
      const fields = f ? `, ${['count', 'min', 'max', 'mean'].map(col).join(', ')}` : '';
      for (const r of await influx(`SELECT "count"${fields} FROM "lsst.efd.agg.${t}" ORDER BY time`)) {
        fromInflux.push({
          topic: t,
          time: r.time,
          count: r.count,
          ...(f ? { fieldCount: r.f_count, min: r.f_min, max: r.f_max, mean: r.f_mean } : {}),
        });
      }
    }
    expect(fromInflux).toEqual(windows.map(want));

    // ---- PostgreSQL: one table per topic (the routes' names), one row per window keyed by the record key
    const table = (t: string) => aggregatedTableName(`${aggPrefix}${t}`)!.toLowerCase();
    expect(table('ATDome_position')).toBe(`it_${ns.id}_atdome_position`);
    const count = async (t: string) => {
      try {
        return Number((await sql!.query(`SELECT count(*) AS n FROM ${table(t)}`)).rows[0].n);
      } catch (err) {
        if (/does not exist/.test((err as Error).message)) return 0;
        throw err;
      }
    };
    for (const t of TELEMETRY) {
      await waitFor(`PostgreSQL to hold every ${t} window`, async () => (await count(t)) === of(t).length, 120_000).catch(
        async (err: Error) => {
          const s = await connect!.status(connectors[0]);
          throw new Error(`${err.message}: ${await count(t)} rows; connector ${JSON.stringify(s)}`);
        },
      );
    }
    const tables = await sql!.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`);
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual(TELEMETRY.map(table).sort());
    const fromPg: unknown[] = [];
    for (const t of TELEMETRY) {
      const tb = table(t);
      const cols = await sql!.query('SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1', [tb]);
      const types = Object.fromEntries(cols.rows.map((x: { column_name: string; data_type: string }) => [x.column_name, x.data_type]));
      // a column per field of the aggregated schema (folded to lower case), and the key's
      expect(Object.keys(types).sort()).toEqual(['efd_key', ...fieldsOf.get(t)!.map((n) => n.toLowerCase())].sort());
      const f = CHECKED[t];
      expect(types).toMatchObject({
        efd_key: 'text',
        time: 'timestamp without time zone',
        count: 'integer',
        sal_revcode: 'text',
        ...(f
          ? {
              [`${f.name}_count`.toLowerCase()]: f.array ? 'ARRAY' : 'integer',
              [`${f.name}_mean`.toLowerCase()]: f.array ? 'ARRAY' : 'double precision',
            }
          : {}),
      });
      const pk = await sql!.query(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = $1::regclass AND i.indisprimary`,
        [tb],
      );
      expect(pk.rows.map((r: { attname: string }) => r.attname)).toEqual(['efd_key']);
      const el = (st: string) => `${f!.name}_${st}`.toLowerCase() + (f!.array ? `[${ELEMENT + 1}]` : '');
      const fields = f ? `, ${['count', 'min', 'max', 'mean'].map((st) => `${el(st)} AS f_${st}`).join(', ')}` : '';
      const rows = await sql!.query(
        `SELECT efd_key, (extract(epoch FROM time) * 1000)::bigint AS t, count${fields} FROM ${tb} ORDER BY time`,
      );
      for (const r of rows.rows as Record<string, unknown>[]) {
        // the key is the aggregator's record key: one row per (series, window start)
        expect(keyOf.has(`${aggPrefix}${t}/${String(r.efd_key)}`)).toBe(true);
        expect(String(r.efd_key).endsWith(`/${String(r.t)}`)).toBe(true);
        fromPg.push({
          topic: t,
          time: Number(r.t),
          count: r.count,
          ...(f ? { fieldCount: r.f_count, min: r.f_min, max: r.f_max, mean: r.f_mean } : {}),
        });
      }
    }
    expect(fromPg).toEqual(windows.map(want));

    // ---- Parquet on S3: the sink committed everything (objects written first), then its objects
    const ends = await withAdmin(kafka, async (admin) => {
      const e = new Map<string, string>();
      for (const t of outTopics) for (const o of await admin.topicOffsets(t)) e.set(`${t}/${o.partition}`, o.high);
      await waitFor(
        'the parquet-sink to commit every window',
        async () => {
          const got = (await admin.groupOffsets(ns.name('pq'), outTopics)).map((x) => [`${x.topic}/${x.partition}`, String(x.offset)]);
          return got.length === e.size && got.every(([k, off]) => e.get(k) === off);
        },
        120_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; sink output:\n${parquetSink.output().slice(-3000)}`);
      });
      return e;
    });
    expect(ends.size).toBe(outTopics.length);
    expect(await parquetSink.stop()).toBe(0);
    const keys = await listKeys('efd/');
    const dir = path.join(ns.tmpDir, 'parquet');
    for (const k of keys) {
      const body = await (await s3().send(new GetObjectCommand({ Bucket: bucket, Key: k }))).Body!.transformToByteArray();
      fs.mkdirSync(path.dirname(path.join(dir, k)), { recursive: true });
      fs.writeFileSync(path.join(dir, k), body);
    }
    const fromParquet: unknown[] = [];
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      for (const t of TELEMETRY) {
        const topic = `${aggPrefix}${t}`;
        const topicKeys = keys.filter((k) => k.startsWith(`efd/${topic}/`));
        expect(topicKeys.length).toBeGreaterThan(0);
        const glob = `'${dir}/efd/${topic}/*/*/*/*/*.parquet'`;
        // layout: every name parses back to the topic, its windows all in its hour folder
        const perFile = (
          await db.runAndReadAll(
            `SELECT filename AS f, epoch_ms(min("time"))::BIGINT::VARCHAR AS lo, epoch_ms(max("time"))::BIGINT::VARCHAR AS hi
             FROM read_parquet(${glob}, filename = true) GROUP BY filename ORDER BY filename`,
          )
        ).getRowObjectsJson();
        expect(perFile.map((r) => path.relative(dir, String(r.f)))).toEqual(topicKeys);
        for (const r of perFile) {
          const k = path.relative(dir, String(r.f));
          expect(parseObjectKey(k)).toMatchObject({ prefix: 'efd/', topic, partition: 0 });
          const folder = k.slice(`efd/${topic}/`.length, k.lastIndexOf('/'));
          expect({ k, lo: timeFolder(Number(r.lo)), hi: timeFolder(Number(r.hi)) }).toEqual({ k, lo: folder, hi: folder });
        }
        // the hive columns of the names agree with the windows' times
        const hive = (
          await db.runAndReadAll(
            `SELECT count(*)::INT AS n FROM read_parquet(${glob}, hive_partitioning = true)
             WHERE year::INT <> year("time") OR month::INT <> month("time") OR day::INT <> day("time") OR hour::INT <> hour("time")`,
          )
        ).getRowObjects();
        expect(hive[0].n).toBe(0);
        // columns and types of the aggregated schema
        const cols = Object.fromEntries(
          (await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${glob}, hive_partitioning = false)`))
            .getRowObjects()
            .map((c) => [String(c.column_name), String(c.column_type)]),
        );
        // a column per field of the aggregated schema, in its order
        expect(Object.keys(cols)).toEqual(fieldsOf.get(t));
        const f = CHECKED[t];
        expect(cols).toMatchObject({
          time: 'TIMESTAMP',
          count: 'INTEGER',
          sal_revcode: 'VARCHAR',
          ...(f
            ? {
                [`${f.name}_count`]: f.array ? 'INTEGER[]' : 'INTEGER',
                [`${f.name}_mean`]: f.array ? 'DOUBLE[]' : 'DOUBLE',
                [`${f.name}_min`]: f.array ? 'DOUBLE[]' : 'DOUBLE',
              }
            : {}),
        });
        const el = (st: string) => `"${f!.name}_${st}"${f!.array ? `[${ELEMENT + 1}]` : ''}`;
        const fields = f ? `, ${['count', 'min', 'max', 'mean'].map((st) => `${el(st)} AS "f_${st}"`).join(', ')}` : '';
        const rows = (
          await db.runAndReadAll(
            `SELECT epoch_ms("time")::BIGINT::VARCHAR AS t, "count"${fields} FROM read_parquet(${glob}) ORDER BY "time"`,
          )
        ).getRowObjects();
        for (const r of rows)
          fromParquet.push({
            topic: t,
            time: Number(r.t),
            count: r.count,
            ...(f ? { fieldCount: r.f_count, min: r.f_min, max: r.f_max, mean: r.f_mean } : {}),
          });
      }
    } finally {
      db.closeSync();
    }
    expect(fromParquet).toEqual(windows.map(want));

    // nothing dead-lettered by any of the three sinks
    await withAdmin(kafka, async (admin) => {
      const dlqs = [ns.topic('sink-dlq'), ns.topic('jdbc-dlq'), ns.topic('pq-dlq')];
      const existing = (await admin.listTopics()).filter((x) => dlqs.includes(x));
      expect(await totalMessages(admin, existing)).toBe(0);
    });

    // the pipeline's apps exit on SIGTERM (the aggregator, whose consumer was replaced when the topics
    // appeared after its start, kept the old one's admin connection open and never exited before follow.ts)
    for (const [name, c] of [
      ['saltransform', saltransform],
      ['aggregator', aggregator],
    ] as const) {
      const code = await stopWithin(c, 30_000);
      expect({ name, code, log: code === 0 ? '' : c.output().slice(-2000) }).toEqual({ name, code: 0, log: '' });
    }
  },
  300_000,
);
