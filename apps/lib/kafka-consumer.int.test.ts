/**
 * The apps' consumer (createConsumer) and admin client (createAdmin) against the real local Kafka, for
 * both clients the factories offer: consumer groups and rebalancing, commits of handled batches only
 * (auto-commit of resolved batches, manual commits), from-beginning or from-the-end, keys, repeated
 * headers, timestamps, per-partition order, pause/resume, high watermarks; admin: topics with
 * partitions and configs, leaders, offsets, group members, committed offsets and lag, deletion.
 * Records are produced with the apps' producer and checked against what kafkajs' own admin reports.
 */
import { createTopic, TestNamespace, useNamespace, waitFor } from '../../test/integration/env';
import { createProducer, EfdProducer, KafkaClientName, KafkaOptions, OutgoingMessage } from './kafka';
import { createAdmin, EfdAdmin, groupLag } from './kafka-admin';
import { ConsumedBatch, ConsumedMessage, createConsumer, EfdConsumer, RunOptions } from './kafka-consumer';
import { silentLogger } from './logging';
import { sleep } from './retry';

jest.setTimeout(240_000);

let ns: TestNamespace;
let opts: KafkaOptions;
let producer: EfdProducer;
const open: { disconnect(): Promise<void> }[] = [];

beforeAll(async () => {
  ns = await useNamespace(__filename);
  opts = { brokers: ns.endpoints.clusters[0].kafka, clientId: ns.name('client'), logger: silentLogger() };
  producer = createProducer(opts, { client: 'kafkajs' });
  open.push(producer);
  await producer.connect();
}, 15 * 60_000);

afterAll(async () => {
  for (const c of open.reverse()) await c.disconnect().catch(() => undefined);
  await ns?.cleanup();
});

function consumer(client: KafkaClientName, groupId: string, extra: { sessionTimeoutMs?: number } = {}): EfdConsumer {
  const c = createConsumer(opts, { client, groupId, maxWaitTimeMs: 100, ...extra });
  open.push(c);
  return c;
}

async function admin(client: KafkaClientName): Promise<EfdAdmin> {
  const a = createAdmin(opts, { client });
  open.push(a);
  await a.connect();
  return a;
}

/** Sends `n` records `<tag>-<i>` keyed `k<i % keys>` with a repeated header and an explicit timestamp. */
async function produce(topic: string, n: number, tag: string, partition?: number): Promise<void> {
  const messages: OutgoingMessage[] = Array.from({ length: n }, (_, i) => ({
    key: `k${i % 7}`,
    value: `${tag}-${i}`,
    headers: { seq: String(i), tag: [tag, 'again'] },
    timestamp: 1_700_000_000_000 + i,
    partition,
  }));
  for (let i = 0; i < n; i += 500) await producer.sendBatch({ topicMessages: [{ topic, messages: messages.slice(i, i + 500) }] });
}

/** Runs `c` on `topics`, collecting every batch; `hold` delays each handler. */
async function collect(
  c: EfdConsumer,
  topics: string[],
  o: { fromBeginning?: boolean; autoCommitIntervalMs?: number; hold?: () => Promise<void>; concurrency?: number } = {},
): Promise<ConsumedBatch[]> {
  const batches: ConsumedBatch[] = [];
  await c.connect();
  await c.subscribe({ topics, fromBeginning: o.fromBeginning ?? true });
  const run: RunOptions = {
    partitionsConcurrency: o.concurrency ?? 4,
    autoCommitIntervalMs: o.autoCommitIntervalMs ?? 0,
    eachBatch: async (b, ctx) => {
      expect(ctx.isRunning()).toBe(true);
      batches.push(b);
      await o.hold?.();
    },
  };
  await c.run(run);
  return batches;
}

const values = (bs: ConsumedBatch[]) => bs.flatMap((b) => b.messages.map((m) => String(m.value)));
const count = (bs: ConsumedBatch[]) => bs.reduce((n, b) => n + b.messages.length, 0);
const header = (m: ConsumedMessage, k: string) => {
  const h = m.headers?.[k];
  return h === undefined ? undefined : Array.isArray(h) ? h.map(String) : String(h);
};

describe.each(['platformatic', 'kafkajs'] as KafkaClientName[])('the %s consumer', (client) => {
  it('reads from the beginning: keys, repeated headers, timestamps, offsets, per-partition order; batches carry the high watermark', async () => {
    const topic = ns.topic(`${client}.basic`);
    await createTopic(ns.kafka(), topic, 3);
    await produce(topic, 300, 'a', 0);
    await produce(topic, 200, 'b', 1);
    const c = consumer(client, ns.name(`${client}-basic`));
    const batches = await collect(c, [topic]);
    await waitFor('500 records', async () => count(batches) >= 500, 60_000);
    await c.disconnect();
    expect(count(batches)).toBe(500);
    const p0 = batches.filter((b) => b.partition === 0).flatMap((b) => b.messages);
    const p1 = batches.filter((b) => b.partition === 1).flatMap((b) => b.messages);
    expect(p0.map((m) => String(m.value))).toEqual(Array.from({ length: 300 }, (_, i) => `a-${i}`));
    expect(p1.map((m) => String(m.value))).toEqual(Array.from({ length: 200 }, (_, i) => `b-${i}`));
    expect(p0.map((m) => m.offset)).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
    const m = p0[12];
    expect(String(m.key)).toBe('k5');
    expect(m.timestamp).toBe(String(1_700_000_000_000 + 12));
    expect(header(m, 'seq')).toBe('12');
    expect(header(m, 'tag')).toEqual(['a', 'again']);
    expect(batches.every((b) => b.topic === topic)).toBe(true);
    // the high watermark of a partition is where its last record ends
    const last0 = batches.filter((b) => b.partition === 0).pop()!;
    expect(last0.highWatermark).toBe('300');
  });

  it('commits only handled batches: auto-commit resumes a new member after them; manual commits are exact', async () => {
    const topic = ns.topic(`${client}.commit`);
    await createTopic(ns.kafka(), topic, 2);
    await produce(topic, 400, 'c');
    const group = ns.name(`${client}-commit`);
    const first = consumer(client, group);
    const seen = await collect(first, [topic], { autoCommitIntervalMs: 200 });
    await waitFor('400 records', async () => count(seen) >= 400, 60_000);
    await first.disconnect(); // commits what was handled
    const a = await admin(client);
    const committed = await a.groupOffsets(group, [topic]);
    expect(committed.map((x) => x.offset).reduce((s, o) => s + Number(o), 0)).toBe(400);
    // a new member reads only what came after the commit
    await produce(topic, 50, 'd');
    const second = consumer(client, group, { sessionTimeoutMs: 10_000 });
    const more = await collect(second, [topic], { autoCommitIntervalMs: 0 });
    await waitFor('50 new records', async () => count(more) >= 50, 60_000);
    await sleep(500);
    expect(values(more).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `d-${i}`).sort());
    // manual commit: partition 0 only up to a chosen offset
    const p0 = more.filter((b) => b.partition === 0).flatMap((b) => b.messages);
    const upTo = BigInt(p0[0].offset) + 1n;
    await second.commitOffsets([{ topic, partition: 0, offset: String(upTo) }]);
    await second.disconnect();
    const after = await a.groupOffsets(group, [topic]);
    expect(after.find((x) => x.partition === 0)?.offset).toBe(String(upTo));
    // the records after the commit come again (at-least-once), nothing before it
    // under load the second member's LeaveGroup can be lost: the new member then waits for its session to
    // expire before the group rebalances (seen once in CI), hence the shorter session and the longer wait
    const third = consumer(client, group, { sessionTimeoutMs: 10_000 });
    const again = await collect(third, [topic]);
    const expected = more.flatMap((b) => b.messages.map((m) => ({ p: b.partition, v: String(m.value), o: BigInt(m.offset) })));
    const redeliver = expected.filter((x) => (x.p === 0 ? x.o >= upTo : true)).map((x) => x.v);
    await waitFor(`${redeliver.length} re-delivered records`, async () => count(again) >= redeliver.length, 150_000);
    await third.disconnect();
    expect(values(again).sort()).toEqual(redeliver.sort());
  });

  it('keeps the metadata of a manual commit (read back by both admin clients), per partition', async () => {
    const topic = ns.topic(`${client}.meta`);
    await createTopic(ns.kafka(), topic, 2);
    await produce(topic, 20, 'm', 0);
    const group = ns.name(`${client}-meta`);
    const c = consumer(client, group);
    const seen = await collect(c, [topic]);
    await waitFor('20 records', async () => count(seen) >= 20, 60_000);
    // what the aggregator stores: its window state as JSON text (non-ASCII too)
    const meta = JSON.stringify({ v: 1, wm: 1_700_000_000_019, p: '20', note: 'é✓' });
    await c.commitOffsets([
      { topic, partition: 0, offset: '12', metadata: meta },
      { topic, partition: 1, offset: '0', metadata: 'p1' },
    ]);
    for (const reader of ['platformatic', 'kafkajs'] as KafkaClientName[]) {
      const got = await (await admin(reader)).groupOffsets(group, [topic]);
      expect(got.find((x) => x.partition === 0)).toMatchObject({ offset: '12', metadata: meta });
      expect(got.find((x) => x.partition === 1)).toMatchObject({ offset: '0', metadata: 'p1' });
    }
    // a commit without metadata replaces it (the broker keeps none: '' or null)
    await c.commitOffsets([{ topic, partition: 0, offset: '15' }]);
    const plain = (await (await admin(client)).groupOffsets(group, [topic])).find((x) => x.partition === 0);
    expect(plain?.offset).toBe('15');
    expect(['', null]).toContain(plain?.metadata);
    await c.disconnect();
  });

  it('starts at the end without fromBeginning, and hands nothing over while paused', async () => {
    const topic = ns.topic(`${client}.pause`);
    await createTopic(ns.kafka(), topic, 1);
    await produce(topic, 20, 'old');
    const c = consumer(client, ns.name(`${client}-pause`));
    let joined = false;
    c.onGroupJoin(() => (joined = true));
    const got = await collect(c, [topic], { fromBeginning: false });
    await waitFor('group joined', async () => joined, 30_000);
    await sleep(1500);
    await produce(topic, 10, 'new');
    await waitFor('10 new records', async () => count(got) >= 10, 30_000);
    expect(values(got)).toEqual(Array.from({ length: 10 }, (_, i) => `new-${i}`));
    c.pause([topic]);
    await sleep(300);
    const before = count(got);
    await produce(topic, 5, 'paused');
    await sleep(2000);
    expect(count(got)).toBe(before);
    c.resume([topic]);
    await waitFor('the 5 records produced while paused', async () => count(got) >= before + 5, 30_000);
    await c.disconnect();
    expect(values(got).slice(before)).toEqual(Array.from({ length: 5 }, (_, i) => `paused-${i}`));
  });

  it('shares partitions in a group and takes them over when a member leaves: every record handled at least once', async () => {
    const topic = ns.topic(`${client}.group`);
    await createTopic(ns.kafka(), topic, 4);
    // records keep coming (40 every 100 ms, over the 4 partitions) while members join and leave
    let producing = true;
    let produced = 0;
    const background = (async () => {
      while (producing) {
        const messages = Array.from({ length: 40 }, (_, i) => ({ value: `g-${produced + i}`, partition: (produced + i) % 4 }));
        await producer.sendBatch({ topicMessages: [{ topic, messages }] });
        produced += messages.length;
        await sleep(100);
      }
    })();
    const group = ns.name(`${client}-group`);
    const slow = () => sleep(10);
    const m1 = consumer(client, group, { sessionTimeoutMs: 10_000 });
    const assignments: Record<string, number[]>[] = [];
    m1.onGroupJoin((e) => assignments.push(e.assignment));
    const b1 = await collect(m1, [topic], { autoCommitIntervalMs: 200, hold: slow, concurrency: 4 });
    await waitFor('m1 handled something', async () => count(b1) > 0, 60_000);
    const m2 = consumer(client, group, { sessionTimeoutMs: 10_000 });
    const b2 = await collect(m2, [topic], { autoCommitIntervalMs: 200, hold: slow, concurrency: 4 });
    const a = await admin(client);
    const g = await waitFor(
      'two members sharing the 4 partitions',
      async () => {
        const d = await a.describeGroup(group);
        const parts = d.members.flatMap((m) => m.assignment[topic] ?? []);
        return d.state === 'Stable' && d.members.length === 2 && parts.length === 4 ? d : undefined;
      },
      90_000,
    );
    expect(
      g.members
        .flatMap((m) => m.assignment[topic])
        .sort()
        .join(),
    ).toBe('0,1,2,3');
    expect(g.members.every((m) => (m.assignment[topic] ?? []).length === 2)).toBe(true);
    await waitFor('m2 handled something', async () => count(b2) > 0, 60_000);
    await m2.disconnect();
    // m1 ends up with all four partitions
    await waitFor('m1 assigned all 4 partitions', async () => (assignments.at(-1)?.[topic] ?? []).length === 4, 90_000);
    producing = false;
    await background;
    const all = () => new Set([...values(b1), ...values(b2)]);
    await waitFor(`all ${produced} records handled`, async () => all().size >= produced, 120_000);
    expect([...all()].sort()).toEqual(Array.from({ length: produced }, (_, i) => `g-${i}`).sort());
    // once m1 committed everything, the lag is 0
    await waitFor(
      'lag 0',
      async () => groupLag(await a.topicOffsets(topic), await a.groupOffsets(group, [topic])).every((l) => l.lag === 0),
      30_000,
    );
    await m1.disconnect();
  });
});

describe.each(['platformatic', 'kafkajs'] as KafkaClientName[])('the %s admin client', (client) => {
  it('creates topics with partitions and configs, lists, describes leaders, offsets and configs, deletes', async () => {
    const a = await admin(client);
    const t1 = ns.topic(`${client}.admin1`);
    const t2 = ns.topic(`${client}.admin2`);
    const created = await a.createTopics([
      { topic: t1, partitions: 3, configs: { 'message.timestamp.type': 'LogAppendTime', 'retention.ms': '3600000' } },
      { topic: t2 },
    ]);
    expect(created.sort()).toEqual([t1, t2].sort());
    expect(await a.createTopics([{ topic: t1 }])).toEqual([]);
    expect(await a.listTopics()).toEqual(expect.arrayContaining([t1, t2]));
    const parts = await a.topicPartitions([t1, t2, ns.topic('absent')]);
    expect(parts.map((p) => [p.topic, p.partitions.length]).sort()).toEqual(
      [
        [t1, 3],
        [t2, 1],
      ].sort(),
    );
    expect(parts.every((p) => p.partitions.every((x) => x.leader >= 0))).toBe(true);
    const cfg = await a.topicConfigs(t1);
    expect(cfg['message.timestamp.type']).toBe('LogAppendTime');
    expect(cfg['retention.ms']).toBe('3600000');
    await produce(t1, 30, 'x', 2);
    const offs = await a.topicOffsets(t1);
    expect(offs).toEqual([
      { partition: 0, low: '0', high: '0' },
      { partition: 1, low: '0', high: '0' },
      { partition: 2, low: '0', high: '30' },
    ]);
    const brokers = await a.brokers();
    expect(brokers.length).toBeGreaterThan(0);
    expect(brokers.map((b) => `${b.host}:${b.port}`)).toContain(ns.endpoints.clusters[0].kafka);
    await a.deleteTopics([t1, t2]);
    await waitFor('topics deleted', async () => !(await a.listTopics()).some((t) => t === t1 || t === t2), 60_000);
  });

  it('finds the newest record timestamp of a topic (any partition, not the last written), none when empty or absent', async () => {
    const a = await admin(client);
    const topic = ns.topic(`${client}.newest`);
    await a.createTopics([{ topic, partitions: 3 }]);
    expect(await a.newestTimestamp(ns.topic(`${client}.absent`))).toBeUndefined();
    expect(await a.newestTimestamp(topic)).toBeUndefined();
    const at = (partition: number, ts: number[]) =>
      producer.sendBatch({
        topicMessages: [{ topic, messages: ts.map((timestamp) => ({ value: `v${timestamp}`, timestamp, partition })) }],
      });
    await at(0, [1_700_000_000_000, 1_700_000_000_500]);
    await at(2, [1_700_000_009_000]);
    await at(0, [1_700_000_001_000]);
    expect(await a.newestTimestamp(topic)).toBe(1_700_000_009_000);
  });

  it("finds offsets by record timestamp (the high watermark past the newest) and sets a memberless group's offsets", async () => {
    const a = await admin(client);
    const topic = ns.topic(`${client}.bytime`);
    await a.createTopics([{ topic, partitions: 2 }]);
    expect(await a.offsetsForTimestamp(ns.topic(`${client}.absent`), 0)).toEqual([]);
    await producer.sendBatch({
      topicMessages: [
        {
          topic,
          messages: [1_700_000_000_000, 1_700_000_001_000, 1_700_000_002_000].map((timestamp) => ({
            value: `v${timestamp}`,
            timestamp,
            partition: 0,
          })),
        },
      ],
    });
    const at = async (ts: number) => (await a.offsetsForTimestamp(topic, ts)).map((p) => [p.partition, p.offset]);
    expect(await at(0)).toEqual([
      [0, '0'],
      [1, '0'],
    ]);
    expect(await at(1_700_000_000_001)).toEqual([
      [0, '1'],
      [1, '0'],
    ]);
    expect(await at(1_700_000_002_000)).toEqual([
      [0, '2'],
      [1, '0'],
    ]);
    expect(await at(1_700_000_002_001)).toEqual([
      [0, '3'],
      [1, '0'],
    ]);
    const group = ns.name(`${client}-set`);
    await a.setGroupOffsets(group, [
      { topic, partition: 0, offset: '2' },
      { topic, partition: 1, offset: '0' },
    ]);
    expect((await a.groupOffsets(group, [topic])).map((o) => [o.partition, o.offset]).sort()).toEqual([
      [0, '2'],
      [1, '0'],
    ]);
  });

  it('reports a group that does not exist as Dead or Empty with no members, and its offsets as -1', async () => {
    const a = await admin(client);
    const topic = ns.topic(`${client}.nogroup`);
    await a.createTopics([{ topic, partitions: 2 }]);
    const d = await a.describeGroup(ns.name(`${client}-nobody`));
    expect(['Dead', 'Empty']).toContain(d.state);
    expect(d.members).toEqual([]);
    const offs = await a.groupOffsets(ns.name(`${client}-nobody`), [topic]);
    expect(offs.map((o) => [o.partition, o.offset])).toEqual([
      [0, '-1'],
      [1, '-1'],
    ]);
  });
});
