/**
 * `efd influxdb-sink repair` on the real local EFD: Avro records are produced (record timestamp = the
 * point time), the live sink writes them, a time range is deleted in InfluxDB, and the repair (the
 * `efd` command, its own process) writes it back: the same points (every row of every measurement
 * equal to before the delete, so nothing outside the range changed either), the live sink's committed
 * offsets untouched, and a second repair changes nothing. Bad input (a regex matching no topic, a range
 * without records) exits 3 and writes nothing. Prints the repair's and the live sink's points/s.
 * Run: npx jest --selectProjects integration apps/influxdb-sink/repair
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Kafka, Producer } from 'kafkajs';
import type { Registry } from '../lib/registry';
import { TestNamespace, createTopic, waitFor, withAdmin } from '../../test/integration/env';
import { closeSinkTest, openSinkTest, startNamespaceSink } from '../../test/integration/sink';
import { avroRecord, arrayOf } from '../../test/avro';

jest.setTimeout(300_000);

const TIMESTAMP = { type: 'long', logicalType: 'timestamp-millis' };
const salSchema = (name: string) =>
  avroRecord(
    name,
    { sal_created: TIMESTAMP, salIndex: 'int', position: 'double', accelerometers: arrayOf('float'), label: 'string' },
    'lsst.sal',
  );

let ns: TestNamespace;
let registry: Registry;
let producer: Producer;
let kafka: Kafka;
const root = path.resolve(__dirname, '../..');
// recent record timestamps (the topics' time retention must not delete them), one every 10 ms
const BASE = Math.floor((Date.now() - 30 * 60_000) / 1000) * 1000;

/** `n` records with sal_created = record timestamp = BASE + 10 ms × i, round-robin over the partitions. */
async function produceSal(topic: string, n: number, partitions: number): Promise<void> {
  const id = await registry.register(`${topic}-value`, JSON.stringify(salSchema(topic.split('.').pop() as string)));
  const encode = await registry.encoder(id);
  const messages = [];
  for (let i = 0; i < n; i++) {
    const t = BASE + 10 * i;
    messages.push({
      partition: i % partitions,
      timestamp: String(t),
      value: encode({ sal_created: t, salIndex: i % 3, position: i / 4, accelerometers: [i, -i, 0.5], label: `rec ${i}` }),
    });
  }
  for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
}

async function influxQl(q: string): Promise<{ columns: string[]; values: unknown[][] }[]> {
  const body = new URLSearchParams({ q, db: ns.database, epoch: 'ms' });
  const res = await fetch(`${ns.endpoints.influxdb.url}/query`, { method: 'POST', body });
  const json = (await res.json()) as { results: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[] };
  const r = json.results[0];
  if (r.error) throw new Error(`${q}: ${r.error}`);
  return r.series ?? [];
}

async function count(measurement: string, where = ''): Promise<number> {
  const s = await influxQl(`SELECT count("salIndex") FROM "${measurement}" ${where}`);
  return Number(s[0]?.values[0]?.[1] ?? 0);
}

/** Every row of the measurement, in time order. */
async function rows(measurement: string): Promise<unknown[][]> {
  const s = await influxQl(`SELECT * FROM "${measurement}" ORDER BY time ASC`);
  return s[0]?.values ?? [];
}

/** Runs `efd influxdb-sink repair …` as its own process. */
function efdRepair(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = ns.endpoints.clusters[0];
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin/efd'),
      'influxdb-sink',
      'repair',
      '--brokers',
      c.kafka,
      '--registry',
      c.registry,
      '--influxdb-url',
      ns.endpoints.influxdb.url,
      '--database',
      ns.database,
      '--log-level',
      'warn',
      ...args,
    ],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  ({ ns, kafka, registry, producer } = await openSinkTest(__filename));
}, 15 * 60_000);

afterAll(async () => {
  await closeSinkTest({ producer, ns });
});

it('writes a deleted time range back: the same points, nothing else changed, the live sink undisturbed; a second repair changes nothing', async () => {
  const a = ns.topic('lsst.sal.MTMount_azimuth');
  const b = ns.topic('lsst.sal.ATDome_position');
  const counts = { [a]: 6000, [b]: 3000 };
  await createTopic(kafka, a, 3);
  await createTopic(kafka, b, 1);
  await produceSal(a, counts[a], 3);
  await produceSal(b, counts[b], 1);
  const sinkGroup = ns.name('sink');

  // the live sink writes everything (its rate: from its start to the last point counted)
  const t0 = Date.now();
  const sink = await startNamespaceSink(ns, { topicsRegex: `it\\.${ns.id}\\.lsst\\.sal\\..*`, topicRefreshMs: '1000' });
  try {
    await waitFor('all points', async () => (await count(a)) === counts[a] && (await count(b)) === counts[b], 120_000);
  } finally {
    await sink.stop();
  }
  const liveRate = (counts[a] + counts[b]) / ((Date.now() - t0) / 1000);
  const before = { [a]: await rows(a), [b]: await rows(b) };
  const sinkOffsets = await withAdmin(kafka, (admin) => admin.groupOffsets(sinkGroup, [a, b]));
  expect(sinkOffsets.reduce((n, o) => n + Number(o.offset), 0)).toBe(counts[a] + counts[b]);

  // delete [from, to) in InfluxDB: records 1000..3999 (30 s of each topic)
  const from = BASE + 10_000;
  const to = BASE + 40_000;
  await influxQl(`DELETE FROM /.*/ WHERE time >= ${from}ms AND time < ${to}ms`);
  expect(await count(a)).toBe(counts[a] - 3000);
  expect(await count(b)).toBe(counts[b] - 2000);

  const range = ['--topics', `it\\.${ns.id}\\.lsst\\.sal\\..*`, '--from', new Date(from).toISOString(), '--to', String(to - 1)];
  const r1 = await efdRepair(range, { SINK_GROUP: sinkGroup });
  expect(r1.stderr).toBe('');
  expect(r1.code).toBe(0);
  const lines = r1.stdout.trim().split('\n');
  const group = `${sinkGroup}-repair-${new Date(from).toISOString().replace(/[-:]/g, '')}-${new Date(to - 1).toISOString().replace(/[-:]/g, '')}`;
  expect(lines[0]).toBe(`repaired ${new Date(from).toISOString()} .. ${new Date(to - 1).toISOString()} with group ${group}`);
  const table = Object.fromEntries(lines.slice(2).map((l) => [l.split(/\s+/)[0], l.split(/\s+/).slice(1).map(Number)]));
  // records read, points written, skipped
  expect(table[a].slice(0, 3)).toEqual([3000, 3000, 0]);
  expect(table[b].slice(0, 3)).toEqual([2000, 2000, 0]);
  expect(table.total.slice(0, 3)).toEqual([5000, 5000, 0]);

  // every row of both measurements is as before the delete
  expect(await rows(a)).toEqual(before[a]);
  expect(await rows(b)).toEqual(before[b]);
  // the live sink's offsets are its own; the repair's group stopped at the end of the range
  await withAdmin(kafka, async (admin) => {
    expect(await admin.groupOffsets(sinkGroup, [a, b])).toEqual(sinkOffsets);
    const repaired = await admin.groupOffsets(group, [a]);
    // the first record after --to (i = 4000) of each partition: i = 4002, 4000, 4001 at offsets 1334, 1333, 1333
    expect(repaired.map((o) => [o.partition, Number(o.offset)]).sort()).toEqual([
      [0, 1334],
      [1, 1333],
      [2, 1333],
    ]);
  });

  // a second repair (same group: it starts over) writes the same points again: nothing changes
  const r2 = await efdRepair(range, { SINK_GROUP: sinkGroup });
  expect(r2.code).toBe(0);
  expect(r2.stdout).toContain(`with group ${group}`);
  expect(await rows(a)).toEqual(before[a]);
  expect(await rows(b)).toEqual(before[b]);

  const repairRate = Number(lines[lines.length - 1].split(/\s+/).pop());
  process.stderr.write(
    `[repair] ${table.total[1]} points in ${table.total[3]} s: ${repairRate} points/s; live sink ${Math.round(liveRate)} points/s (start to last point, same run); ratio ${(repairRate / liveRate).toFixed(2)}\n`,
  );
});

it('bad input: a regex matching no topic, a range without records: exit 3, nothing written', async () => {
  const t = ns.topic('lsst.sal.Hexapod_actuators');
  await createTopic(kafka, t, 1);
  await produceSal(t, 10, 1);
  const none = await efdRepair(['--topics', `it\\.${ns.id}\\.nothing\\..*`, '--from', String(BASE), '--to', 'now']);
  expect(none.code).toBe(3);
  expect(none.stderr).toMatch(/^efd influxdb-sink repair: --topics \S+ matches none of the \d+ topics on the cluster/);
  expect(none.stderr).toContain(`it\\.${ns.id}\\.nothing\\..*`);
  const early = await efdRepair(['--topics', t.replace(/\./g, '\\.'), '--from', String(BASE - 60_000), '--to', String(BASE - 1)]);
  expect(early.stderr).toBe(
    `efd influxdb-sink repair: no records between ${new Date(BASE - 60_000).toISOString()} and ${new Date(BASE - 1).toISOString()} in 1 topic; nothing to repair\n`,
  );
  expect(early.code).toBe(3);
  expect(await count(t)).toBe(0);
  const swapped = await efdRepair(['--topics', t.replace(/\./g, '\\.'), '--from', 'now', '--to', String(BASE)]);
  expect(swapped.code).toBe(2);
  expect(swapped.stderr).toMatch(/--from .* is after --to/);
});
