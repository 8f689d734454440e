/**
 * `efd alerts filter` against the local EFD: groups 1 and 2 of seed004 (40 filters) as spawned processes over
 * a 3-partition `<prefix>alerts`, two visits of generated alerts sent by the producer's own code (sendVisit).
 * Each filter's topic must hold exactly what the rule selects — per visit, partition p's first
 * quota(20, 3, p) distinct matching alertIds in offset order — computed offline from the alert topic's
 * records read back, no alert twice, and each output timestamped as its source record (the producer's time). Both groups are killed with SIGKILL in the middle of the first visit
 * and restarted: group 1 as soon as its first outputs appear (while it works through the first half),
 * group 2 once it finished the first half (its per-visit counts then live only in the output topics).
 */
import { BatchSender, createProducer, type EfdProducer } from '../lib/kafka';
import { createAdmin, type EfdAdmin } from '../lib/kafka-admin';
import { createConsumer, type ConsumedMessage } from '../lib/kafka-consumer';
import { sleep } from '../lib/retry';
import { createRegistry, WIRE_HEADER_BYTES } from '../lib/registry';
import { filterTopicOf } from '../../config/names';
import { useNamespace, waitFor, type TestNamespace } from '../../test/integration/env';
import { header, spawnEfd, waitForGroup, type EfdChild } from '../../test/integration/efd-process';
import { compileGroup } from './filter-lang';
import { filterGroupId } from './filter-cli';
import { partitionQuota } from './filter-run';
import { alertFieldTypes, namedFilterSet } from './filter-sets';
import { AlertGenerator } from './generate';
import { sendVisit, type AlertSink } from './produce';
import { ALERT_SCHEMA, alertType, type Alert } from './schema';

jest.setTimeout(150_000);

const PARTITIONS = 3;
const PER_VISIT = 4000;
const GROUPS = ['1', '2'];

let ns: TestNamespace;
let admin: EfdAdmin;
let producer: EfdProducer;
const children: EfdChild[] = [];

beforeAll(async () => {
  ns = await useNamespace(__filename);
  admin = createAdmin(ns.kafkaOptions());
  await admin.connect();
  producer = createProducer(ns.kafkaOptions());
  await producer.connect();
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await producer?.disconnect();
  await admin?.disconnect();
  await ns?.cleanup();
});

function filterArgs(group: string): string[] {
  const cluster = ns.endpoints.clusters[0];
  return [
    'alerts',
    'filter',
    '--set',
    'seed004',
    '--group',
    group,
    '--topic-prefix',
    ns.topic(''),
    '--registry',
    cluster.registry,
    '--brokers',
    cluster.kafka,
    '--session-timeout-ms',
    '6000',
    '--metrics-port',
    '0',
  ];
}

/** Sum over a group's partitions of the source offsets it committed. */
async function committedTotal(groupId: string, topic: string): Promise<number> {
  return (await admin.groupOffsets(groupId, [topic])).reduce((n, o) => n + Math.max(0, Number(o.offset)), 0);
}

async function endTotal(topics: string[]): Promise<number> {
  let n = 0;
  for (const t of topics) for (const p of await admin.topicOffsets(t)) n += Number(p.high);
  return n;
}

/** Lines of a child's pino output that say `msg` contains `text`. */
function logLines(child: EfdChild, text: string): Record<string, unknown>[] {
  return child
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(text))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('40 filters over two visits, both groups killed mid-visit and restarted: each topic is exactly its selection', async () => {
  const prefix = ns.topic('');
  const source = `${prefix}alerts`;
  const cluster = ns.endpoints.clusters[0];
  const registry = createRegistry(cluster.registry);
  const schemaId = await registry.register(`${source}-value`, ALERT_SCHEMA as never);
  await admin.createTopics([{ topic: source, partitions: PARTITIONS, replicationFactor: 1 }]);
  const sink: AlertSink = { topic: source, schemaId, partitions: PARTITIONS, senders: [new BatchSender(producer)] };
  const set = namedFilterSet('seed004');
  const groups = GROUPS.map((g) => set.groups.find((x) => x.name === g)!);
  const outTopics = groups.flatMap((g) => g.filters.map((f) => filterTopicOf(f.output, prefix)));

  const start = (g: string) => {
    const c = spawnEfd(filterArgs(g), { LOG_LEVEL: 'info' });
    children.push(c);
    return c;
  };
  let [g1, g2] = GROUPS.map(start);
  await waitForGroup(admin, filterGroupId('1', prefix), 1, 60_000);
  await waitForGroup(admin, filterGroupId('2', prefix), 1, 60_000);

  const gen = new AlertGenerator({ seed: 18, alertsPerVisit: PER_VISIT, cutouts: true });
  const t0 = Date.now();
  const v1: Alert[] = [...gen.alerts(gen.visit(0, t0))];
  const v2: Alert[] = [...gen.alerts(gen.visit(1, t0 + 39_000))];

  // first half of visit 1; group 1 dies as its first outputs appear, group 2 once it handled the half
  const g1Topics = outTopics.slice(0, 20);
  const sending = sendVisit(v1.slice(0, PER_VISIT / 2), sink);
  for (const t1 = Date.now(); (await endTotal(g1Topics)) === 0; await sleep(10)) {
    if (Date.now() - t1 > 30_000) throw new Error(`group 1 wrote no output within 30 s:\n${g1.output().slice(-3000)}`);
  }
  await g1.kill9();
  await sending;
  await waitFor(
    'group 2 through the first half',
    async () => (await committedTotal(filterGroupId('2', prefix), source)) >= PER_VISIT / 2,
    30_000,
  );
  await g2.kill9();
  const killedAt = {
    g1: await committedTotal(filterGroupId('1', prefix), source),
    g2: await committedTotal(filterGroupId('2', prefix), source),
  };
  expect(killedAt.g1).toBeLessThanOrEqual(PER_VISIT / 2);
  expect(killedAt.g2).toBe(PER_VISIT / 2);
  process.stderr.write(`filter.int: group 1 killed having committed ${killedAt.g1} of the first ${PER_VISIT / 2} alerts\n`);

  // the rest of visit 1 and visit 2 while they are down; then restarted
  await sendVisit(v1.slice(PER_VISIT / 2), sink);
  await sendVisit(v2, sink);
  [g1, g2] = GROUPS.map(start);
  const total = 2 * PER_VISIT;
  for (const g of GROUPS) {
    await waitFor(`group ${g} through both visits`, async () => (await committedTotal(filterGroupId(g, prefix), source)) >= total, 90_000);
  }
  // the restarts found the outputs of the open visit in the topics
  const readBack = (c: EfdChild) => logLines(c, 'state rebuilt').reduce((n, l) => n + Number(l.readBack), 0);
  expect(readBack(g2)).toBeGreaterThan(0);
  expect(logLines(g2, 'state rebuilt').flatMap((l) => l.openVisits as string[])).toContain(String(gen.visit(0, t0).visit));

  // offline: the alert topic's records in partition and offset order, the rule applied to them
  const records = await readAll('check-source', [source], total);
  expect(records).toHaveLength(total);
  const type = alertType();
  const decoded = records
    .map((m) => ({ m, alert: type.fromBuffer(m.value!.subarray(WIRE_HEADER_BYTES)) as Alert }))
    .sort((a, b) => a.m.partition - b.m.partition || Number(a.m.offset) - Number(b.m.offset));
  const outputs = await readAll('check-out', outTopics, await endTotal(outTopics));
  const filters = groups.flatMap((g) => compileGroup(g, alertFieldTypes()));
  const sourceOf = new Map(records.map((m) => [`${m.partition}/${m.offset}`, m]));
  let stamped = 0;
  let capped = 0;
  let below = 0;
  for (const [i, f] of filters.entries()) {
    const topic = outTopics[i];
    const want = new Map<string, string[]>();
    for (let p = 0; p < PARTITIONS; p++) {
      const quota = partitionQuota(f.cap, PARTITIONS, p);
      const per = new Map<string, string[]>();
      for (const { m, alert } of decoded) {
        if (m.partition !== p || !f.test(alert)) continue;
        const visit = header(m, 'visit')!;
        const ids = per.get(visit) ?? [];
        per.set(visit, ids);
        if (ids.length < quota) ids.push(String(alert.alertId));
      }
      for (const [visit, ids] of per) want.set(visit, [...(want.get(visit) ?? []), ...ids]);
    }
    const got = new Map<string, string[]>();
    for (const m of outputs.filter((o) => o.topic === topic)) {
      // the output keeps its source record's timestamp (the producer's), also when passed after a restart
      const src = sourceOf.get(`${header(m, 'efd.source.partition')}/${header(m, 'efd.source.offset')}`);
      expect({ key: m.key?.toString(), timestamp: m.timestamp }).toEqual({ key: src?.key?.toString(), timestamp: src?.timestamp });
      stamped++;
      const visit = header(m, 'visit')!;
      got.set(visit, [...(got.get(visit) ?? []), m.key!.toString()]);
    }
    const norm = (x: Map<string, string[]>) =>
      Object.fromEntries([...x].filter(([, ids]) => ids.length).map(([v, ids]) => [v, [...ids].sort()]));
    expect({ filter: f.name, outputs: norm(got) }).toEqual({ filter: f.name, outputs: norm(want) });
    for (const ids of got.values()) {
      expect(new Set(ids).size).toBe(ids.length);
      if (ids.length === f.cap) capped++;
      else below++;
    }
  }
  // both paths ran: visits where a filter passed its cap and ones where it passed fewer
  expect(capped).toBeGreaterThan(40);
  expect(below).toBeGreaterThan(0);
  expect(stamped).toBe(outputs.length);
  const cfg = await admin.topicConfigs(outTopics[0]);
  expect(cfg['message.timestamp.type']).toBe('CreateTime');
});

type Read = ConsumedMessage & { topic: string; partition: number };

/** Every record of the topics from their beginning (a group of the test's own), until `expected` were read. */
async function readAll(name: string, topics: string[], expected: number): Promise<Read[]> {
  const consumer = createConsumer(ns.kafkaOptions(), { groupId: ns.name(name), maxWaitTimeMs: 100 });
  const got: Read[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      partitionsConcurrency: 4,
      eachBatch: async (b) => {
        for (const m of b.messages) got.push({ ...m, topic: b.topic, partition: b.partition });
      },
    });
    await waitFor(`${expected} records of ${topics.length} topic(s)`, async () => got.length >= expected, 30_000);
  } finally {
    await consumer.disconnect();
  }
  return got;
}
