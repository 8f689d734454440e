/**
 * The apps' producer (createProducer + BatchSender) against the real local Kafka, for both clients the
 * factory offers: every producer feature the apps rely on, read back with an independent consumer
 * (kafkajs) and, for idempotence, with the broker's own DescribeProducers (Kafka's TransactionsCommand).
 */
import { spawnSync } from 'node:child_process';
import { paths } from '../../scripts/local-efd/layout';
import { consumeAll } from '../../test/integration/efd-process';
import { createTopic, TestNamespace, useNamespace } from '../../test/integration/env';
import { BatchSender, createProducer, createProducers, EfdProducer, KafkaClientName, KafkaOptions, OutgoingMessage } from './kafka';
import { silentLogger } from './logging';

jest.setTimeout(180_000);

let ns: TestNamespace;
let opts: KafkaOptions;
const open: EfdProducer[] = [];

beforeAll(async () => {
  ns = await useNamespace(__filename);
  opts = { brokers: ns.endpoints.clusters[0].kafka, clientId: ns.name('producer'), logger: silentLogger() };
}, 15 * 60_000);

afterAll(async () => {
  for (const p of open) await p.disconnect().catch(() => undefined);
  await ns?.cleanup();
});

async function producer(client: KafkaClientName, extra: { allowAutoTopicCreation?: boolean } = {}): Promise<EfdProducer> {
  const p = createProducer(opts, { client, ...extra });
  open.push(p);
  await p.connect();
  return p;
}

/** The broker's view of the producers of one partition (ProducerId, LastSequence …), via Kafka's own tool. */
function describeProducers(topic: string, partition: number): Record<string, string>[] {
  const r = spawnSync(
    'java',
    [
      '-cp',
      `${paths.kafkaLibs()}/*`,
      'org.apache.kafka.tools.TransactionsCommand',
      '--bootstrap-server',
      ns.endpoints.clusters[0].kafka,
      'describe-producers',
      '--topic',
      topic,
      '--partition',
      String(partition),
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`TransactionsCommand describe-producers failed: ${r.stderr || r.stdout}`);
  const [head, ...rows] = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));
  return rows.map((cells) => Object.fromEntries(head.map((h, i) => [h, cells[i]])));
}

describe.each(['platformatic', 'kafkajs'] as KafkaClientName[])('the %s producer', (client) => {
  it('is idempotent with acks=all: the broker tracks its producer id and sequence, every record arrives once, in order', async () => {
    const topic = ns.topic(`${client}.idempotent`);
    await createTopic(ns.kafka(), topic, 1);
    const p = await producer(client);
    const sender = new BatchSender(p, { lingerMs: 2, maxBatchMessages: 250 });
    const n = 1_000;
    await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        sender.send(
          topic,
          Array.from({ length: n / 10 }, (_, i) => ({ value: `m${k * (n / 10) + i}` })),
        ),
      ),
    );
    expect(sender.pending).toBe(0);
    const got = await consumeAll(ns.kafka(), ns.name(`${client}-idem`), [topic], n);
    expect(got).toHaveLength(n);
    expect(got.map((m) => String(m.value))).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
    // an idempotent producer has a producer id and its sequence numbers count every record it wrote
    // (an idempotent produce with acks other than all is refused by the broker: INVALID_REQUIRED_ACKS)
    const producers = describeProducers(topic, 0);
    expect(producers).toHaveLength(1);
    expect(Number(producers[0].ProducerId)).toBeGreaterThanOrEqual(0);
    expect(Number(producers[0].LastSequence)).toBe(n - 1);
  });

  it('several producers behind one sender: requests in flight at once, each partition one producer id with gap-free sequences', async () => {
    const topics = [0, 1, 2, 3].map((i) => ns.topic(`${client}.lanes${i}`));
    for (const t of topics) await createTopic(ns.kafka(), t, 1);
    const ps = createProducers(opts, 2, { client });
    open.push(...ps);
    await Promise.all(ps.map((p) => p.connect()));
    let inFlight = 0;
    let maxInFlight = 0;
    const counted = ps.map((p) => ({
      sendBatch: async (req: Parameters<EfdProducer['sendBatch']>[0]) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          await p.sendBatch(req);
        } finally {
          inFlight--;
        }
      },
    }));
    const sender = new BatchSender(counted, { lingerMs: 1, maxBatchMessages: 50 });
    const perTopic = 400;
    const sends: Promise<void>[] = [];
    for (let k = 0; k < perTopic / 10; k++)
      for (const t of topics)
        sends.push(
          sender.send(
            t,
            Array.from({ length: 10 }, (_, i) => ({ value: `${t}#${k * 10 + i}` })),
          ),
        );
    await Promise.all(sends);
    expect(maxInFlight).toBe(2);
    const got = await consumeAll(ns.kafka(), ns.name(`${client}-lanes`), topics, perTopic * topics.length);
    for (const t of topics) {
      expect(got.filter((m) => m.topic === t).map((m) => String(m.value))).toEqual(Array.from({ length: perTopic }, (_, i) => `${t}#${i}`));
    }
    // the broker's view: one producer id per partition, its last sequence = every record once; topics 0 and 2
    // share the first producer (round-robin on first use), 1 and 3 the second
    const ids = topics.map((t) => {
      const producers = describeProducers(t, 0);
      expect(producers).toHaveLength(1);
      expect(Number(producers[0].LastSequence)).toBe(perTopic - 1);
      return producers[0].ProducerId;
    });
    expect(ids[0]).toBe(ids[2]);
    expect(ids[1]).toBe(ids[3]);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('delivers keys, values, headers (text, binary, repeated) and timestamps intact', async () => {
    const topic = ns.topic(`${client}.headers`);
    await createTopic(ns.kafka(), topic, 1);
    const p = await producer(client);
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]);
    const ts = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const messages: OutgoingMessage[] = [
      { key: 'MTMount', value: 'text value ✓', headers: { 'salmock-run': '42', 'salmock-seq': '7', bin: binary }, timestamp: ts },
      { key: Buffer.from([1, 2, 3]), value: binary, headers: { twice: ['first', 'second'] }, timestamp: ts + 1 },
      { key: null, value: 'no key, no headers' },
    ];
    await new BatchSender(p, { lingerMs: 1 }).send(topic, messages);
    const got = await consumeAll(ns.kafka(), ns.name(`${client}-headers`), [topic], 3);
    expect(got).toHaveLength(3);
    const [a, b, c] = got;
    expect(String(a.key)).toBe('MTMount');
    expect(String(a.value)).toBe('text value ✓');
    expect(String(a.headers?.['salmock-run'])).toBe('42');
    expect(String(a.headers?.['salmock-seq'])).toBe('7');
    expect(Buffer.compare(a.headers?.bin as Buffer, binary)).toBe(0);
    expect(a.timestamp).toBe(String(ts));
    expect([...(b.key as Buffer)]).toEqual([1, 2, 3]);
    expect(Buffer.compare(b.value as Buffer, binary)).toBe(0);
    expect((b.headers?.twice as Buffer[]).map(String)).toEqual(['first', 'second']);
    expect(b.timestamp).toBe(String(ts + 1));
    expect(c.key).toBeNull();
    expect(String(c.value)).toBe('no key, no headers');
    expect(c.headers).toBeUndefined(); // the apps' consumer: no headers, no map
    // the client's clock when not given, though the batch's other records are 11 months older
    expect(Math.abs(Number(c.timestamp) - Date.now())).toBeLessThan(120_000);
  });

  it('splits a send larger than a request may carry by bytes, in order', async () => {
    const topic = ns.topic(`${client}.bytes`);
    await createTopic(ns.kafka(), topic, 1);
    const p = await producer(client);
    const calls: number[] = [];
    const counting = {
      sendBatch: async (r: Parameters<EfdProducer['sendBatch']>[0]) => {
        calls.push(r.topicMessages.reduce((n, t) => n + t.messages.length, 0));
        await p.sendBatch(r);
      },
    };
    // 1,000 × 3.2 kB = 3.2 MB in one send: past the broker's 1 MiB message.max.bytes unless split
    const n = 1_000;
    const value = (i: number) => `${i} `.padEnd(3_200, 'x');
    await new BatchSender(counting, { lingerMs: 1 }).send(
      topic,
      Array.from({ length: n }, (_, i) => ({ value: value(i) })),
    );
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(n);
    const got = await consumeAll(ns.kafka(), ns.name(`${client}-bytes`), [topic], n);
    expect(got.map((m) => Number(String(m.value).split(' ')[0]))).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("names the topic and the broker's reason when a record is refused", async () => {
    const topic = ns.topic(`${client}.toolarge`);
    const admin = ns.kafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '10000' }] }],
      });
    } finally {
      await admin.disconnect();
    }
    const p = await producer(client);
    const sender = new BatchSender(p, { lingerMs: 1 });
    const err = await sender.send(topic, [{ value: 'y'.repeat(20_000) }]).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toContain(`producing 1 message(s) to 1 topic(s) (${topic}) failed:`);
    expect(err?.message).toMatch(/larger than the max message size|too large/i);
    // the sender carries on
    await expect(sender.send(topic, [{ value: 'small' }])).resolves.toBeUndefined();
  });
});

describe('partitioning', () => {
  it('puts a key on the same partition with both clients (Java-compatible murmur2) and spreads keyless records', async () => {
    const topic = ns.topic('partitions');
    await createTopic(ns.kafka(), topic, 6);
    const keys = Array.from({ length: 60 }, (_, i) => `MTM1M3.logevent_${i}`);
    for (const client of ['platformatic', 'kafkajs'] as KafkaClientName[]) {
      const p = await producer(client);
      await new BatchSender(p, { lingerMs: 1 }).send(topic, [
        ...keys.map((key) => ({ key, value: `${client} ${key}` })),
        ...Array.from({ length: 30 }, (_, i) => ({ value: `${client} keyless ${i}` })),
      ]);
    }
    const partitionOf = await readPartitions(topic, 180);
    expect(partitionOf.size).toBe(180);
    expect(new Set(partitionOf.values()).size).toBeGreaterThan(1);
    for (const key of keys) {
      const pl = partitionOf.get(`platformatic ${key}`);
      const kj = partitionOf.get(`kafkajs ${key}`);
      expect([key, pl]).toEqual([key, kj]);
    }
    const keyless = (client: string) => new Set(Array.from({ length: 30 }, (_, i) => partitionOf.get(`${client} keyless ${i}`)));
    expect(keyless('platformatic').size).toBeGreaterThan(1);
    expect(keyless('kafkajs').size).toBeGreaterThan(1);
  });
});

describe('errors', () => {
  it('connect names the unreachable broker', async () => {
    const p = createProducer({ ...opts, brokers: '127.0.0.1:1', connectionTimeoutMs: 500 }, { client: 'platformatic' });
    open.push(p);
    const err = await p.connect().then(
      () => undefined,
      (e: Error & { retriable?: boolean }) => e,
    );
    expect(err?.message).toMatch(/^connecting the Kafka producer to 127\.0\.0\.1:1 failed: .*ECONNREFUSED 127\.0\.0\.1:1/);
    expect(err?.retriable).toBe(true); // saltransform's start-up waits for a broker that is not up yet
  });
});

/** value → partition for `count` records of `topic`. */
async function readPartitions(topic: string, count: number): Promise<Map<string, number>> {
  const consumer = ns.kafka().consumer({ groupId: ns.name(`${topic}-partitions`), maxWaitTimeInMs: 100 });
  const out = new Map<string, number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) out.set(String(m.value), batch.partition);
        if (out.size >= count) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, 60_000)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return out;
}
