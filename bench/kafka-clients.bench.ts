/**
 * The two Kafka producer clients behind apps/lib/kafka's createProducer, side by side in the same run,
 * against the real local Kafka (loopback): @platformatic/kafka (the apps' default) and kafkajs (the
 * fallback, EFD_KAFKA_CLIENT=kafkajs). The same 100 topics (1 partition each), the same pre-built
 * records (3.2 kB SAL-text-sized values, a key and salmock's two headers), the same producer settings
 * (idempotent, acks=all, one request in flight), the same send sizes (sendBatch of 2,000 and of 200
 * messages spread over the 100 topics, one send at a time as BatchSender does).
 *
 * Figures per client and send size: msg/s (wall clock) and msg per CPU-second of this process
 * (process.cpuUsage, user + system): the machine is shared, so the CPU figure and the ratio are what
 * compare. Rounds alternate the clients so a busy spell hits both. Bounded: 40,000 messages per client,
 * send size and round. Needs the local EFD (npm run efd:up).
 */
import { createKafka, createProducer, EfdProducer, KafkaClientName, OutgoingMessage, TopicMessages } from '../apps/lib/kafka';
import { silentLogger } from '../apps/lib/logging';
import { readEndpoints } from '../scripts/local-efd/endpoints';
import { BenchResult, withRatio } from './results';

const TOPICS = 100;
const RECORD_BYTES = 3_200;
const PER_ROUND = 40_000;
const SEND_SIZES = [2_000, 200];
const ROUNDS = 2;
const CLIENTS: KafkaClientName[] = ['platformatic', 'kafkajs'];

/** Requests of `size` messages, spread evenly over the topics, PER_ROUND messages in all. */
function requests(topics: string[], size: number, seed: number): TopicMessages[][] {
  const perTopic = Math.max(1, Math.floor(size / topics.length));
  const out: TopicMessages[][] = [];
  let seq = 0;
  for (let sent = 0; sent < PER_ROUND; sent += perTopic * topics.length) {
    out.push(
      topics.map((topic) => ({
        topic,
        messages: Array.from({ length: perTopic }, (): OutgoingMessage => {
          const s = seq++;
          // printable like SAL text; differs per message so nothing is deduplicated or cached
          const value = `${topic} ${seed} ${s} `.padEnd(RECORD_BYTES, String.fromCharCode(48 + (s % 10)));
          return { key: topic, value, headers: { 'salmock-run': String(seed), 'salmock-seq': String(s) } };
        }),
      })),
    );
  }
  return out;
}

async function measure(producer: EfdProducer, reqs: TopicMessages[][]): Promise<{ messages: number; seconds: number; cpuS: number }> {
  const messages = reqs.reduce((n, r) => n + r.reduce((m, t) => m + t.messages.length, 0), 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const topicMessages of reqs) await producer.sendBatch({ topicMessages });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { messages, seconds, cpuS: (cpu.user + cpu.system) / 1e6 };
}

export async function run(): Promise<BenchResult[]> {
  const bootstrap = readEndpoints().clusters[0].kafka;
  const prefix = `bench.kafka-clients.${Date.now().toString(36)}.`;
  const topics = Array.from({ length: TOPICS }, (_, i) => `${prefix}t${String(i).padStart(3, '0')}`);
  const logger = silentLogger();
  const admin = createKafka({ brokers: bootstrap, clientId: 'bench-kafka-clients-admin', logger }).admin();
  await admin.connect();
  const producers = new Map(
    CLIENTS.map((c) => [c, createProducer({ brokers: bootstrap, clientId: `bench-kafka-clients-${c}`, logger }, { client: c })]),
  );
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
    for (const p of producers.values()) {
      await p.connect();
      await measure(p, requests(topics, 2_000, 0).slice(0, 3)); // warm-up: connections, producer id, metadata, JIT
    }
    const totals = new Map<string, { messages: number; seconds: number; cpuS: number }>();
    for (const size of SEND_SIZES) {
      for (let round = 0; round < ROUNDS; round++) {
        // alternate which client goes first
        const order = round % 2 === 0 ? CLIENTS : [...CLIENTS].reverse();
        for (const client of order) {
          const r = await measure(producers.get(client) as EfdProducer, requests(topics, size, round + 1));
          const key = `${client}/${size}`;
          const t = totals.get(key) ?? { messages: 0, seconds: 0, cpuS: 0 };
          totals.set(key, { messages: t.messages + r.messages, seconds: t.seconds + r.seconds, cpuS: t.cpuS + r.cpuS });
        }
      }
    }
    const results: BenchResult[] = [];
    const note = `${TOPICS} topics, ${RECORD_BYTES} B records + key + 2 headers, idempotent, acks=all, ${ROUNDS}×${PER_ROUND} messages per client`;
    for (const size of SEND_SIZES) {
      const k = totals.get(`kafkajs/${size}`) as { messages: number; seconds: number; cpuS: number };
      const p = totals.get(`platformatic/${size}`) as { messages: number; seconds: number; cpuS: number };
      const base = `kafka-clients.send${size}`;
      results.push(
        withRatio({
          name: `${base}.platformatic.msg_per_cpu_s`,
          value: p.messages / p.cpuS,
          unit: 'msg/CPU-s',
          baseline: k.messages / k.cpuS,
          note: `${note}, ${size}-message sends; baseline = kafkajs in the same run`,
        }),
        withRatio({
          name: `${base}.platformatic.msg_per_s`,
          value: p.messages / p.seconds,
          unit: 'msg/s',
          baseline: k.messages / k.seconds,
          note: 'wall clock; baseline = kafkajs in the same run',
        }),
        withRatio({ name: `${base}.kafkajs.msg_per_cpu_s`, value: k.messages / k.cpuS, unit: 'msg/CPU-s' }),
        withRatio({ name: `${base}.kafkajs.msg_per_s`, value: k.messages / k.seconds, unit: 'msg/s' }),
      );
    }
    return results;
  } finally {
    for (const p of producers.values()) await p.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}
