/**
 * salmock → saltransform → aggregator → parquet-sink → S3 (SeaweedFS) and GCS (fake-gcs-server) on the
 * local EFD; the objects read back with DuckDB (an independent Parquet reader): per topic the rows are
 * the records produced (count, and the values of a field record by record), the columns and their types
 * follow the Avro schema, every object sits in the hour folder of its records' Kafka timestamps under
 * the layout's name, and a record that does not decode went to the dead-letter topic.
 * The object stores come from the running local EFD (`local up --object-stores`), else they are started
 * here on ports of their own from their builds in the cache; without a build the test is not run (a
 * failure on CI).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Kafka } from 'kafkajs';
import { aggregatedTopicsRegex, salTopicsRegex } from '../../config/names';
import { parseObjectKey, timeFolder } from '../../config/object-store-layout';
import { createRegistry } from '../lib/registry';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { runRegister } from '../salschema/cli';
import { salmockConfig, startSalmock } from '../salmock/cli';
import type { ObjectStoreEndpoints } from '../lib/local-endpoints';
import { fakeGcsInstalled, seaweedInstalled, startObjectStoresAside, type AsideStores } from '../../scripts/local-efd/object-stores';
import { tryReadEndpoints } from '../lib/local-endpoints';
import { useNamespace, TestNamespace, waitFor } from '../../test/integration/env';
import {
  aggregatorArgs,
  consumeAll,
  EfdChild,
  header,
  ReadMessage,
  saltransformArgs,
  spawnEfd,
  topicsWithPrefix,
  totalMessages,
} from '../../test/integration/efd-process';
import { notRun } from '../../test/not-run';

type Kind = 's3' | 'gcs';
const running = tryReadEndpoints()?.objectStores;
const available: Record<Kind, boolean> = { s3: !!running || seaweedInstalled(), gcs: !!running || fakeGcsInstalled() };

let ns: TestNamespace;
let kafka: Kafka;
let aside: AsideStores | undefined;
let stores: ObjectStoreEndpoints;
const children: EfdChild[] = [];

beforeAll(async () => {
  ns = await useNamespace(__filename);
  kafka = ns.kafka();
  if (running) stores = running;
  else if (available.s3 || available.gcs) {
    const dir = path.join(ns.tmpDir, 'stores');
    fs.mkdirSync(dir, { recursive: true });
    aside = await startObjectStoresAside(dir);
    stores = aside.endpoints;
  }
}, 180_000);
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await aside?.stop();
  await ns?.cleanup();
}, 180_000);

const s3Client = () =>
  new S3Client({
    endpoint: stores.s3.endpoint,
    region: stores.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: stores.s3.accessKeyId, secretAccessKey: stores.s3.secretAccessKey },
  });
/** The GCS JSON API with fetch (the sink itself uses @google-cloud/storage, in its own process). */
async function gcsApi(pathAndQuery: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(`${stores.gcs.endpoint}${pathAndQuery}`, init);
  if (!res.ok) throw new Error(`GCS ${init?.method ?? 'GET'} ${pathAndQuery}: ${res.status} ${await res.text()}`);
  return res;
}

async function makeBucket(kind: Kind, bucket: string): Promise<void> {
  if (kind === 's3') await s3Client().send(new CreateBucketCommand({ Bucket: bucket }));
  else
    await gcsApi('/storage/v1/b?project=local', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: bucket }),
    });
}

/** Every object under `prefix`, downloaded into `dir` at its own name. */
async function download(kind: Kind, bucket: string, prefix: string, dir: string): Promise<string[]> {
  const keys: string[] = [];
  if (kind === 's3') {
    const c = s3Client();
    let token: string | undefined;
    do {
      const page = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    for (const k of keys) {
      const body = await (await c.send(new GetObjectCommand({ Bucket: bucket, Key: k }))).Body!.transformToByteArray();
      fs.mkdirSync(path.dirname(path.join(dir, k)), { recursive: true });
      fs.writeFileSync(path.join(dir, k), body);
    }
  } else {
    let token: string | undefined;
    do {
      const q = new URLSearchParams({ prefix, ...(token ? { pageToken: token } : {}) });
      const page = (await (await gcsApi(`/storage/v1/b/${bucket}/o?${q}`)).json()) as {
        items?: { name: string }[];
        nextPageToken?: string;
      };
      for (const o of page.items ?? []) keys.push(o.name);
      token = page.nextPageToken;
    } while (token);
    for (const k of keys) {
      const body = Buffer.from(await (await gcsApi(`/storage/v1/b/${bucket}/o/${encodeURIComponent(k)}?alt=media`)).arrayBuffer());
      fs.mkdirSync(path.dirname(path.join(dir, k)), { recursive: true });
      fs.writeFileSync(path.join(dir, k), body);
    }
  }
  return keys.sort();
}

/** DuckDB type of an Avro field, written out here independently of the sink's mapping. */
function duckType(t: unknown): string {
  if (Array.isArray(t)) return duckType(t.find((b) => b !== 'null'));
  if (typeof t === 'object' && t !== null) {
    const o = t as { type: string; logicalType?: string; items?: unknown };
    if (o.logicalType === 'timestamp-millis') return 'TIMESTAMP';
    if (o.type === 'array') return `${duckType(o.items)}[]`;
    if (o.type === 'enum') return 'VARCHAR';
    return duckType(o.type);
  }
  return { double: 'DOUBLE', float: 'FLOAT', int: 'INTEGER', long: 'BIGINT', boolean: 'BOOLEAN', string: 'VARCHAR', bytes: 'BLOB' }[
    t as string
  ]!;
}

const kinds: Kind[] = ['s3', 'gcs'];
const missing = kinds.filter((k) => !available[k]);
if (missing.length)
  notRun(
    `parquet-sink → ${missing.join(' and ')}`,
    `no ${missing.map((k) => (k === 's3' ? 'SeaweedFS' : 'fake-gcs-server')).join(' or ')} build in the cache and none running: run \`npx efd local up --object-stores\``,
  );
const testKinds = kinds.filter((k) => available[k]);

(testKinds.length ? test : test.skip)(
  `salmock → saltransform → aggregator → parquet-sink → ${testKinds.join(' + ')}: rows, columns, types and layout read back with DuckDB`,
  async () => {
    const prefix = ns.topic('');
    const cluster = ns.endpoints.clusters[0];
    const quiet = { out: () => undefined, err: (l: string) => process.stderr.write(`${l}\n`) };
    expect(await runRegister({ xml: CURRENT_DIR, registry: cluster.registry, topicPrefix: prefix, topics: '^ATDome_' }, quiet)).toBe(0);
    const registry = createRegistry(cluster.registry);
    children.push(spawnEfd(saltransformArgs(ns, 'ATDome')));
    children.push(spawnEfd(aggregatorArgs(ns, ['--topic-refresh-ms', '500'])));
    const bucket = `efd-it-${ns.id.replace(/[^a-z0-9]/g, '-')}`.slice(0, 60);
    const sinks: Partial<Record<Kind, EfdChild>> = {};
    for (const kind of testKinds) {
      await makeBucket(kind, bucket);
      const sink = spawnEfd(
        [
          'parquet-sink',
          '--brokers',
          cluster.kafka,
          '--registry',
          cluster.registry,
          '--store',
          kind,
          '--bucket',
          bucket,
          '--prefix',
          'efd/',
          '--endpoint',
          kind === 's3' ? stores.s3.endpoint : stores.gcs.endpoint,
          ...(kind === 's3' ? ['--region', stores.s3.region] : []),
          '--topics-regex',
          `${salTopicsRegex(prefix)}|${aggregatedTopicsRegex(prefix)}`,
          '--group',
          ns.name(`pq-${kind}`),
          '--dead-letter-topic',
          ns.topic(`pq-dlq-${kind}`),
          '--max-records',
          '150',
          '--flush-interval-ms',
          '1500',
          '--topic-refresh-ms',
          '500',
          '--session-timeout-ms',
          '6000',
          '--metrics-port',
          '0',
        ],
        { AWS_ACCESS_KEY_ID: stores.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: stores.s3.secretAccessKey },
      );
      children.push(sink);
      sinks[kind] = sink;
    }

    const summary = await startSalmock(
      salmockConfig(
        {
          xml: CURRENT_DIR,
          brokers: cluster.kafka,
          clientId: 'salmock-parquet-it',
          topicPrefix: prefix,
          topics: '^ATDome_',
          duration: '4',
          telemetryHz: '25',
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
    expect(summary.failed).toBe(0);
    // a record that does not decode, in a raw topic: dead-lettered by each sink
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${prefix}lsst.sal.ATDome_position`, messages: [{ key: 'x', value: 'not avro' }] });
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    let all: string[] = [];
    let produced = 0;
    try {
      // raw and aggregated topics settled (saltransform done, the aggregator past every closed window)
      produced = await waitFor(
        'the raw and aggregated topics to settle',
        async () => {
          all = (await topicsWithPrefix(admin, prefix)).filter((t) => /lsst\.(sal|efd\.agg)\./.test(t));
          const n = await totalMessages(admin, all);
          await new Promise((r) => setTimeout(r, 3000));
          return n > 0 && n === (await totalMessages(admin, all)) && all.some((t) => t.includes('lsst.efd.agg.')) ? n : undefined;
        },
        120_000,
      );
    } finally {
      await admin.disconnect();
    }
    const records = await consumeAll(kafka, ns.name('read'), all, produced, 30_000);
    expect(records).toHaveLength(produced);
    const byTopic = new Map<string, { m: ReadMessage; value: Record<string, unknown> }[]>();
    for (const m of records) {
      if (!m.value || m.value[0] !== 0) continue; // the bad record
      if (!byTopic.has(m.topic)) byTopic.set(m.topic, []);
      byTopic.get(m.topic)!.push({ m, value: (await registry.decode(m.value)) as Record<string, unknown> });
    }
    const valid = [...byTopic.values()].reduce((n, r) => n + r.length, 0);
    expect(valid).toBe(produced - 1);

    const ends = new Map<string, string>();
    {
      const a = kafka.admin();
      await a.connect();
      for (const t of all) for (const o of await a.fetchTopicOffsets(t)) ends.set(`${t}/${o.partition}`, o.high);
      for (const kind of testKinds) {
        // offsets are committed only once the objects holding the records were written
        await waitFor(
          `${kind}: the sink to commit every record`,
          async () => {
            const got = (await a.fetchOffsets({ groupId: ns.name(`pq-${kind}`), topics: all })).flatMap((x) =>
              x.partitions.map((p) => [`${x.topic}/${p.partition}`, p.offset] as const),
            );
            return got.length === ends.size && got.every(([k, off]) => ends.get(k) === off);
          },
          120_000,
        ).catch((err: Error) => {
          throw new Error(`${err.message}; sink output:\n${sinks[kind]!.output().slice(-3000)}`);
        });
        expect(await sinks[kind]!.stop()).toBe(0);
      }
      await a.disconnect();
    }
    for (const kind of testKinds) {
      const dir = path.join(ns.tmpDir, `read-${kind}`);
      const keys = await download(kind, bucket, 'efd/', dir);
      expect(keys.length).toBeGreaterThanOrEqual(byTopic.size);
      const db = await (await DuckDBInstance.create(':memory:')).connect();
      try {
        for (const [topic, recs] of byTopic) {
          const topicKeys = keys.filter((k) => k.startsWith(`efd/${topic}/`));
          // layout: every name parses back to this topic, in the hour folder of its records' Kafka timestamps
          const hours = new Set(recs.map((r) => timeFolder(Number(r.m.timestamp))));
          for (const k of topicKeys) {
            const p = parseObjectKey(k)!;
            expect(p).toMatchObject({ prefix: 'efd/', topic, partition: 0 });
            expect(hours).toContain(k.slice(`efd/${topic}/`.length, k.lastIndexOf('/')));
          }
          const glob = `'${dir}/efd/${topic}/*/*/*/*/*.parquet'`;
          const rows = (
            await db.runAndReadAll(`SELECT count(*)::INT AS n FROM read_parquet(${glob}, hive_partitioning = true)`)
          ).getRowObjects();
          expect({ topic, n: rows[0].n }).toEqual({ topic, n: recs.length });
          // columns and types as the Avro schema says
          const schema = (await registry.schema(recs[0].m.value!.readUInt32BE(1))) as { fields: { name: string; type: unknown }[] };
          const cols = (await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${glob}, hive_partitioning = false)`)).getRowObjects();
          expect(cols.map((c) => [c.column_name, c.column_type])).toEqual(schema.fields.map((f) => [f.name, duckType(f.type)]));
          // hive columns of the layout agree with the names
          const hive = (
            await db.runAndReadAll(
              `SELECT DISTINCT year::INT y, month::INT mo, day::INT d, hour::INT h FROM read_parquet(${glob}, hive_partitioning = true)`,
            )
          ).getRowObjects();
          expect(hive.length).toBe(new Set(topicKeys.map((k) => k.slice(0, k.lastIndexOf('/')))).size);
          // values, record by record: the time field and a numeric field, in offset order
          const timeField = topic.includes('.efd.agg.') ? 'time' : 'sal_created';
          const numeric = schema.fields.find((f) => ['DOUBLE', 'FLOAT', 'BIGINT', 'INTEGER'].includes(duckType(f.type)))!.name;
          const got = (
            await db.runAndReadAll(
              `SELECT epoch_ms(${timeField})::BIGINT::VARCHAR AS t, "${numeric}" AS v FROM read_parquet(${glob}, filename = true, file_row_number = true) ORDER BY filename, file_row_number`,
            )
          ).getRowObjectsJson();
          const want = recs.map((r) => ({
            t: String(r.value[timeField]),
            v: r.value[numeric] === null ? null : Number.isNaN(r.value[numeric]) ? 'NaN' : r.value[numeric],
          }));
          expect({ topic, rows: got }).toEqual({ topic, rows: want });
        }
      } finally {
        db.closeSync();
      }
      // the record that does not decode: in the dead-letter topic with its reason, counted
      const dlq = await consumeAll(kafka, ns.name(`dlq-${kind}`), [ns.topic(`pq-dlq-${kind}`)], 1, 20_000);
      expect(dlq.map((m) => [String(m.value), header(m, 'efd.dlq.reason'), header(m, 'efd.dlq.topic')])).toEqual([
        ['not avro', 'not-avro', `${prefix}lsst.sal.ATDome_position`],
      ]);
    }
  },
  600_000,
);
