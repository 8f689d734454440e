/**
 * The two Kafka consumer clients behind apps/lib/kafka-consumer's createConsumer, side by side in the
 * same run, against the real local Kafka (loopback): @platformatic/kafka (the apps' default) and
 * kafkajs (EFD_KAFKA_CLIENT=kafkajs). The same 100 topics (1 partition each) holding the same 40,000
 * records (1 kB values, a key and salmock's two headers), read from the beginning by a new consumer
 * group each round with the apps' settings (16 partitions handled at once, batches per partition,
 * auto-commit of handled batches once a second); the handler touches every record (key, value,
 * headers, offset) as the apps do.
 *
 * Figures per client: msg/s from the first record handed over to the last (wall clock; the group join
 * is reported apart) and msg per CPU-second of this process over the whole round (process.cpuUsage):
 * the machine is shared, so the CPU figure and the ratio are what compare. Rounds alternate the
 * clients so a busy spell hits both. Bounded: 40,000 records per client and round, 3 rounds, 120 s
 * per round at most. Needs the local EFD (npm run efd:up).
 */
import { createProducer, KafkaClientName, OutgoingMessage } from '../apps/lib/kafka';
import { createAdmin } from '../apps/lib/kafka-admin';
import { createConsumer } from '../apps/lib/kafka-consumer';
import { silentLogger } from '../apps/lib/logging';
import { sleep } from '../apps/lib/retry';
import { readEndpoints } from '../scripts/local-efd/endpoints';
import { BenchResult, withRatio } from './results';

const TOPICS = 100;
const RECORD_BYTES = 1_000;
const RECORDS = 40_000;
const ROUNDS = 3;
const CLIENTS: KafkaClientName[] = ['platformatic', 'kafkajs'];

interface Round {
  joinS: number;
  seconds: number;
  cpuS: number;
  messages: number;
}

async function consumeAll(client: KafkaClientName, bootstrap: string, topics: string[], group: string): Promise<Round> {
  const c = createConsumer(
    { brokers: bootstrap, clientId: `bench-kafka-consumers-${client}`, logger: silentLogger() },
    { client, groupId: group, maxWaitTimeMs: 100 },
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let first = 0;
  let last = 0;
  let n = 0;
  let bytes = 0;
  await c.connect();
  await c.subscribe({ topics, fromBeginning: true });
  await c.run({
    partitionsConcurrency: 16,
    autoCommitIntervalMs: 1000,
    eachBatch: async (b) => {
      if (!first) first = performance.now();
      for (const m of b.messages) {
        bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0) + (m.headers ? Object.keys(m.headers).length : 0) + m.offset.length;
      }
      n += b.messages.length;
      last = performance.now();
    },
  });
  const deadline = Date.now() + 120_000;
  while (n < RECORDS) {
    if (Date.now() > deadline) throw new Error(`${client}: after 120 s only ${n} of ${RECORDS} records consumed`);
    await sleep(20);
  }
  const cpu = process.cpuUsage(cpu0);
  await c.disconnect();
  if (bytes < RECORDS * RECORD_BYTES) throw new Error(`${client}: ${bytes} bytes handled, fewer than the records hold`);
  return { joinS: (first - t0) / 1000, seconds: (last - first) / 1000, cpuS: (cpu.user + cpu.system) / 1e6, messages: n };
}

export async function run(): Promise<BenchResult[]> {
  const bootstrap = readEndpoints().clusters[0].kafka;
  const id = Date.now().toString(36);
  const prefix = `bench.kafka-consumers.${id}.`;
  const topics = Array.from({ length: TOPICS }, (_, i) => `${prefix}t${String(i).padStart(3, '0')}`);
  const logger = silentLogger();
  const admin = createAdmin({ brokers: bootstrap, clientId: 'bench-kafka-consumers-admin', logger });
  await admin.connect();
  const producer = createProducer({ brokers: bootstrap, clientId: 'bench-kafka-consumers-fill', logger });
  try {
    await admin.createTopics(topics.map((topic) => ({ topic, partitions: 1, replicationFactor: 1 })));
    await producer.connect();
    const perTopic = RECORDS / TOPICS;
    for (let sent = 0; sent < perTopic; sent += 20) {
      await producer.sendBatch({
        topicMessages: topics.map((topic) => ({
          topic,
          messages: Array.from({ length: 20 }, (_, i): OutgoingMessage => {
            const s = sent + i;
            return {
              key: topic,
              value: `${topic} ${s} `.padEnd(RECORD_BYTES, String.fromCharCode(48 + (s % 10))),
              headers: { 'salmock-run': id, 'salmock-seq': String(s) },
            };
          }),
        })),
      });
    }
    await producer.disconnect();
    // warm-up: connections, JIT
    for (const client of CLIENTS) await consumeAll(client, bootstrap, topics, `bench-kafka-consumers-${id}-${client}-warm`);
    const totals = new Map<KafkaClientName, Round>(CLIENTS.map((c) => [c, { joinS: 0, seconds: 0, cpuS: 0, messages: 0 }]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? CLIENTS : [...CLIENTS].reverse();
      for (const client of order) {
        const r = await consumeAll(client, bootstrap, topics, `bench-kafka-consumers-${id}-${client}-${round}`);
        const t = totals.get(client)!;
        totals.set(client, {
          joinS: t.joinS + r.joinS,
          seconds: t.seconds + r.seconds,
          cpuS: t.cpuS + r.cpuS,
          messages: t.messages + r.messages,
        });
      }
    }
    const p = totals.get('platformatic')!;
    const k = totals.get('kafkajs')!;
    const note = `${TOPICS} topics × 1 partition, ${RECORDS} records of ${RECORD_BYTES} B + key + 2 headers from the beginning, 16 partitions at once, ${ROUNDS} rounds per client`;
    return [
      withRatio({
        name: 'kafka-consumers.platformatic.msg_per_cpu_s',
        value: p.messages / p.cpuS,
        unit: 'msg/CPU-s',
        baseline: k.messages / k.cpuS,
        note: `${note}; CPU of the whole round (join included); baseline = kafkajs in the same run`,
      }),
      withRatio({
        name: 'kafka-consumers.platformatic.msg_per_s',
        value: p.messages / p.seconds,
        unit: 'msg/s',
        baseline: k.messages / k.seconds,
        note: 'wall clock from the first record handed over to the last; baseline = kafkajs in the same run',
      }),
      withRatio({
        name: 'kafka-consumers.platformatic.join_s',
        value: p.joinS / ROUNDS,
        unit: 's',
        baseline: k.joinS / ROUNDS,
        note: 'connect + group join + first fetch, mean per round; baseline = kafkajs',
      }),
      withRatio({ name: 'kafka-consumers.kafkajs.msg_per_cpu_s', value: k.messages / k.cpuS, unit: 'msg/CPU-s' }),
      withRatio({ name: 'kafka-consumers.kafkajs.msg_per_s', value: k.messages / k.seconds, unit: 'msg/s' }),
    ];
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics(topics).catch(() => undefined);
    await admin.disconnect();
  }
}
