/**
 * The topic-following consumer (TopicConsumer) against the real local Kafka, for both clients: a topic
 * created while it runs is consumed (platformatic: by the running consumer, no restart; kafkajs: by a
 * restarted one), records are committed by the app, a restart asked by the app starts from the committed
 * offsets, and stop leaves the group (no member left behind).
 */
import { createTopic, TestNamespace, useNamespace, waitFor } from '../../test/integration/env';
import { createProducer, EfdProducer, KafkaClientName, KafkaOptions } from './kafka';
import { createAdmin, EfdAdmin } from './kafka-admin';
import { silentLogger } from './logging';
import { TopicConsumer } from './topic-consumer';

jest.setTimeout(120_000);

let ns: TestNamespace;
let opts: KafkaOptions;
let producer: EfdProducer;
let admin: EfdAdmin;

beforeAll(async () => {
  ns = await useNamespace(__filename);
  opts = { brokers: ns.endpoints.clusters[0].kafka, clientId: ns.name('client'), logger: silentLogger() };
  producer = createProducer(opts, { client: 'kafkajs' });
  await producer.connect();
  admin = createAdmin(opts);
  await admin.connect();
}, 15 * 60_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await ns?.cleanup();
});

const send = (topic: string, from: number, n: number) =>
  producer.sendBatch({
    topicMessages: [{ topic, messages: Array.from({ length: n }, (_, i) => ({ key: 'k', value: String(from + i) })) }],
  });

describe.each(['platformatic', 'kafkajs'] as KafkaClientName[])('TopicConsumer (%s)', (client) => {
  it('follows new topics, commits, restarts from the commit, leaves its group on stop', async () => {
    const base = ns.topic(`${client}.follow.`);
    const group = ns.name(`${client}-follow`);
    await createTopic(ns.kafka(), `${base}a`, 2);
    await send(`${base}a`, 0, 50);
    const got = new Map<string, Set<string>>();
    let drained = 0;
    const f = new TopicConsumer({
      kafka: opts,
      consumer: { groupId: group, client, maxWaitTimeMs: 100, sessionTimeoutMs: 6000 },
      topicsRegex: `${base.replace(/\./g, '\\.')}.*`,
      fromBeginning: true,
      partitionsConcurrency: 4,
      topicRefreshMs: 500,
      logger: silentLogger(),
      eachBatch: async (consumer, batch) => {
        const s = got.get(batch.topic) ?? new Set<string>();
        for (const m of batch.messages) s.add(String(m.value));
        got.set(batch.topic, s);
        const next = (BigInt(batch.messages[batch.messages.length - 1].offset) + 1n).toString();
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      },
      drain: async () => {
        drained++;
      },
    });
    await f.start();
    try {
      await waitFor('the first topic', async () => got.get(`${base}a`)?.size === 50, 60_000);
      expect(f.subscribed).toEqual([`${base}a`]);
      // a new matching topic while it runs
      await createTopic(ns.kafka(), `${base}b`, 1);
      await send(`${base}b`, 0, 20);
      const t0 = Date.now();
      await waitFor('the new topic', async () => got.get(`${base}b`)?.size === 20, 30_000);
      process.stderr.write(
        `[topic consumer ${client}] a new topic consumed ${((Date.now() - t0) / 1000).toFixed(1)} s after its records\n`,
      );
      expect(f.subscribed).toEqual([`${base}a`, `${base}b`]);
      // platformatic adds it to the running consumer; kafkajs cannot, so it restarted (drained first)
      expect(f.consumersStarted).toBe(client === 'platformatic' ? 1 : 2);
      expect(drained).toBe(client === 'platformatic' ? 0 : 1);
      // the first topic goes on
      await send(`${base}a`, 50, 10);
      await waitFor('more of the first topic', async () => got.get(`${base}a`)?.size === 60, 30_000);
      // a restart the app asks for: from the committed offsets, nothing read again
      const before = f.consumersStarted;
      got.clear();
      f.restart();
      await waitFor('restarted', async () => f.consumersStarted === before + 1 && f.health().ok, 30_000);
      await send(`${base}b`, 20, 5);
      await waitFor('records after the restart', async () => got.get(`${base}b`)?.size === 5, 30_000);
      expect(got.get(`${base}a`)).toBeUndefined();
    } finally {
      await f.stop();
    }
    const d = await admin.describeGroup(group);
    expect(d.members).toHaveLength(0);
    expect(f.health()).toEqual({ ok: false, reason: 'stopped' });
  });
});
