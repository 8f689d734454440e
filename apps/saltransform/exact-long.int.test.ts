/**
 * 64-bit integers end to end on the real local EFD: SAL text lines of Test_scalars whose `long long` and
 * `unsigned long long` items hold the range edges (±2^63, 2^53 ± 1, 2^63 − 1) go through saltransform (a
 * child process) into Avro under the registered schema, through the InfluxDB sink into InfluxDB, and read
 * back exactly (as digits: InfluxDB's CSV answer, not JSON numbers, which would round them). Values no Avro
 * long holds (2^63, 2^64 − 1) land in the dead-letter topic with the field named.
 */
import { Kafka } from 'kafkajs';
import { silentLogger } from '../lib/logging';
import { createRegistry } from '../lib/registry';
import { longValue } from '../lib/avro-type';
import { createTopic, useNamespace, TestNamespace, waitFor } from '../../test/integration/env';
import { runRegister } from '../salschema/cli';
import { loadTopicMetadata, TopicMeta } from '../lib/sal/metadata';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { recordGenerator } from '../lib/sal/values';
import { formatSalText, layoutFromMeta } from '../lib/sal/sal-text';
import { DLQ_CODE, DLQ_REASON } from './run';
import { RunningSink } from '../influxdb-sink/cli';
import { consumeAll, EfdChild, header, saltransformArgs, spawnEfd } from '../../test/integration/efd-process';
import { startNamespaceSink } from '../../test/integration/sink';

jest.setTimeout(180_000);

const meta = loadTopicMetadata(CURRENT_DIR).topics.find((t) => t.topic === 'Test_scalars') as TopicMeta;
const layout = layoutFromMeta(meta);
const signed = meta.fields.find((f) => f.idlType === 'long long')!;
const unsigned = meta.fields.find((f) => f.idlType === 'unsigned long long')!;
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

/** [long long value, unsigned long long value] of each good line. */
const GOOD: [bigint, bigint][] = [
  [-(2n ** 63n), 2n ** 63n - 1n],
  [2n ** 63n - 1n, 0n],
  [2n ** 53n + 1n, 2n ** 53n + 1n],
  [-(2n ** 53n) - 1n, 2n ** 53n],
  [2n ** 53n - 1n, 2n ** 53n - 1n],
  [-(2n ** 53n - 1n), 9_007_199_254_740_993n * 1000n + 7n],
  [-1n, 1n],
];
/** Unsigned values beyond the Avro long: dead-lettered. */
const BEYOND = ['9223372036854775808', '18446744073709551615'];

let ns: TestNamespace;
let kafka: Kafka;
let transform: EfdChild | undefined;
let sink: RunningSink | undefined;

beforeAll(async () => {
  ns = await useNamespace(__filename);
  kafka = ns.kafka();
});
afterAll(async () => {
  await sink?.stop().catch(() => undefined);
  await transform?.stop();
  await ns?.cleanup();
});

/** InfluxQL answered as CSV: every value as the digits InfluxDB holds. */
async function influxCsv(q: string): Promise<Record<string, string>[]> {
  const body = new URLSearchParams({ q, db: ns.database, epoch: 'ms' });
  const res = await fetch(`${ns.endpoints.influxdb.url}/query`, { method: 'POST', body, headers: { Accept: 'application/csv' } });
  const text = await res.text();
  if (!res.ok) throw new Error(`InfluxDB ${res.status}: ${text}`);
  const [head, ...rows] = text.trim().split('\n').filter(Boolean);
  if (!head) return [];
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}

test('long long / unsigned long long edges: SAL text → saltransform → Avro → sink → InfluxDB, exact', async () => {
  const prefix = ns.topic('');
  const cluster = ns.endpoints.clusters[0];
  const quiet = { out: () => undefined, err: (l: string) => process.stderr.write(`${l}\n`) };
  expect(await runRegister({ xml: CURRENT_DIR, registry: cluster.registry, topicPrefix: prefix, topics: '^Test_scalars$' }, quiet)).toBe(0);

  const gen = recordGenerator(meta, 5);
  const lines = GOOD.map(([s, u], i) => {
    const rec = gen(i, T0 + i);
    rec[signed.name] = longValue(s);
    rec[unsigned.name] = longValue(u);
    return formatSalText(layout, rec);
  });
  const bad = BEYOND.map((v, i) => {
    const rec = gen(100 + i, T0 + 100 + i);
    rec[unsigned.name] = 424242;
    return formatSalText(layout, rec).replace(/\b424242\b/, v);
  });
  const raw = `${prefix}Test_telemetry`;
  await createTopic(kafka, raw, 1);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: raw, acks: -1, messages: [...lines, ...bad].map((value) => ({ value })) });
  await producer.disconnect();

  transform = spawnEfd(saltransformArgs(ns, 'Test'));
  const outTopic = `${prefix}lsst.sal.Test_scalars`;
  const dlqTopic = `${prefix}saltransform.deadletter`;
  const records = await consumeAll(kafka, ns.name('out'), [outTopic, dlqTopic], lines.length + bad.length, 60_000);

  // Avro on Kafka, decoded with the registry's schema: exact, bigints beyond ±(2^53 − 1)
  const registry = createRegistry(cluster.registry, { logger: silentLogger() });
  const avro = records.filter((r) => r.topic === outTopic);
  const decoded = await Promise.all(avro.map(async (m) => (await registry.decode(m.value as Buffer)) as Record<string, unknown>));
  decoded.sort((a, b) => (a.sal_created as number) - (b.sal_created as number));
  expect(decoded.map((d) => [d[signed.name], d[unsigned.name]])).toEqual(GOOD.map(([s, u]) => [longValue(s), longValue(u)]));

  // dead-lettered: the field named, the line kept as it was
  const dead = records.filter((r) => r.topic === dlqTopic);
  expect(dead.map((m) => String(m.value))).toEqual(bad);
  for (const m of dead) {
    expect(header(m, DLQ_CODE)).toBe('bad-value');
    expect(header(m, DLQ_REASON)).toMatch(new RegExp(`\\(${unsigned.name}, long\\): \\d+ is out of the Avro long range`));
  }

  // the sink writes them as InfluxDB integers; read back as digits
  sink = await startNamespaceSink(ns, { topicsRegex: `it\\.${ns.id}\\.lsst\\.sal\\.Test_scalars`, topicRefreshMs: '1000' });
  const q = `SELECT "${signed.name}", "${unsigned.name}" FROM "${outTopic}" ORDER BY time ASC`;
  const rows = await waitFor('every point in InfluxDB', async () => {
    const r = await influxCsv(q);
    return r.length >= GOOD.length ? r : undefined;
  });
  expect(rows.map((r) => [r.time, r[signed.name], r[unsigned.name]])).toEqual(
    GOOD.map(([s, u], i) => [String(T0 + i), String(s), String(u)]),
  );
  // and InfluxDB holds them as integers (a float field would have rounded them)
  const types = await influxCsv(`SHOW FIELD KEYS FROM "${outTopic}"`);
  const typeOf = new Map(types.map((t) => [t.fieldKey, t.fieldType]));
  expect([typeOf.get(signed.name), typeOf.get(unsigned.name)]).toEqual(['integer', 'integer']);
});
