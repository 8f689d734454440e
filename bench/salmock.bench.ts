/**
 * salmock throughput to the real local Kafka (loopback), against Kafka's own producer perf tool
 * (org.apache.kafka.tools.ProducerPerformance = kafka-producer-perf-test) at the same record size and
 * producer settings (acks=all, idempotence, linger 5 ms), in the same run:
 *  - burst: the topics' mix (the generated seed-shaped set, bench/generated-ts-xml.ts), as fast as Kafka
 *    acknowledges (goal ≥ 0.7× the perf tool);
 *  - the client alone: the same messages pre-built, sent through the same BatchSender (the client's ceiling);
 *  - the seed schedule: the topics scaled to 29,284 msg/s in all, for 10 s: rate achieved and CPU cores used
 *    (goal: sustained on one core), sent as salmock sends (SALMOCK_PRODUCERS producers behind one BatchSender),
 *    then the same with kafkajs and with one producer, in the same run (the ratios).
 * The producer is the apps' (createProducers: @platformatic/kafka unless EFD_KAFKA_CLIENT=kafkajs); its name is
 * in the notes. Bounded: ≤ 40,000 messages per burst, 4 × 10 s of schedule. Needs the local EFD (npm run efd:up).
 */
import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { readEndpoints } from '../scripts/local-efd/endpoints';
import { paths } from '../scripts/local-efd/layout';
import {
  BatchSender,
  createKafka,
  createProducers,
  EfdProducer,
  KafkaClientName,
  kafkaClientName,
  OutgoingMessage,
} from '../apps/lib/kafka';
import { silentLogger } from '../apps/lib/logging';
import { loadTopicMetadata } from '../apps/lib/sal/metadata';
import { planTopics, seedScheduleFactor, SEED_TOTAL_RATE } from '../apps/lib/sal/plan';
import { SALMOCK_PRODUCERS } from '../apps/salmock/cli';
import { messageFactory, runSalmock, SalmockSummary } from '../apps/salmock/run';
import { benchTsXml } from './generated-ts-xml';
import { BenchResult, withRatio } from './results';

const BURST = 40_000;
const SCHEDULE_S = 10;

function perfTool(bootstrap: string, topic: string, records: number, recordSize: number): number {
  const r = spawnSync(
    'java',
    [
      '-cp',
      `${paths.kafkaLibs()}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(recordSize),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
      'acks=all',
      'enable.idempotence=true',
      'linger.ms=5',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  // the last such line is the run's summary; earlier ones are progress reports (the first one, of a
  // cold start, can read "1 records sent, 0.2 records/sec")
  const m = [...(r.stdout ?? '').matchAll(/(\d+) records sent, ([\d.]+) records\/sec/g)].at(-1);
  if (!m) throw new Error(`ProducerPerformance failed (java on PATH? Kafka libs in ${paths.kafkaLibs()}?): ${r.stderr || r.stdout}`);
  return Number(m[2]);
}

export async function run(): Promise<BenchResult[]> {
  const endpoints = readEndpoints();
  const bootstrap = endpoints.clusters[0].kafka;
  const prefix = `bench.salmock.${Date.now().toString(36)}.`;
  const { xmlDir, label } = benchTsXml();
  const metas = loadTopicMetadata(xmlDir).topics;
  const logger = silentLogger();
  const kafka = createKafka({ brokers: bootstrap, clientId: 'bench-salmock', logger });
  const lanes = Number(process.env.BENCH_SALMOCK_PRODUCERS ?? SALMOCK_PRODUCERS);
  const client = kafkaClientName();
  const other: KafkaClientName = client === 'kafkajs' ? 'platformatic' : 'kafkajs';
  const open: EfdProducer[] = [];
  const connected = async (c: KafkaClientName, n: number) => {
    const ps = createProducers({ brokers: bootstrap, clientId: 'bench-salmock', logger }, n, { client: c });
    open.push(...ps);
    await Promise.all(ps.map((p) => p.connect()));
    return ps;
  };
  const producers = await connected(client, lanes);
  const producer = producers[0];
  const admin = kafka.admin();
  await admin.connect();
  const signal = new AbortController().signal;
  const salmock = async (
    rateFactor: number,
    opts: { count?: number; durationS?: number; burst?: boolean },
    only = metas,
    through: EfdProducer[] = producers,
  ): Promise<SalmockSummary & { cpuS: number }> => {
    const plan = planTopics(only, { topicPrefix: prefix, rateFactor });
    const factories = plan.map((p) => messageFactory(p, 'text', 1));
    const sender = new BatchSender(through, { lingerMs: 5 });
    const cpu0 = process.cpuUsage();
    const s = await runSalmock({ plan, factories, mode: 'text', ...opts }, { sender, logger, metrics: new Registry(), signal });
    const cpu = process.cpuUsage(cpu0);
    return { ...s, cpuS: (cpu.user + cpu.system) / 1e6 };
  };
  try {
    // topics exist before anything is timed
    const rawTopics = [...new Set(planTopics(metas, { topicPrefix: prefix }).map((p) => p.rawTopic))];
    await admin.createTopics({
      waitForLeaders: true,
      topics: [...rawTopics, `${prefix}perf`].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    });
    await salmock(1, { count: 2_000, burst: true }); // warm-up (JIT, connections, metadata)

    const burst = await salmock(1, { count: BURST, burst: true });
    const recordSize = Math.round(burst.bytes / burst.produced);
    const perf = perfTool(bootstrap, `${prefix}perf`, BURST, recordSize);

    // the client alone: the same mix pre-built, then only sent
    const plan = planTopics(metas, { topicPrefix: prefix });
    const factories = plan.map((p) => messageFactory(p, 'text', 2));
    const total = plan.reduce((n, p) => n + p.rateHz, 0);
    const prebuilt: { topic: string; messages: OutgoingMessage[] }[] = [];
    let seq = 0;
    for (const [i, p] of plan.entries()) {
      const n = Math.max(1, Math.round((p.rateHz / total) * BURST));
      const messages = Array.from({ length: n }, () => factories[i](seq++, Date.now()).message);
      prebuilt.push({ topic: p.rawTopic, messages });
    }
    const sender = new BatchSender(producer, { lingerMs: 5 });
    const t0 = performance.now();
    const chunks: Promise<void>[] = [];
    for (const { topic, messages } of prebuilt)
      for (let k = 0; k < messages.length; k += 100) chunks.push(sender.send(topic, messages.slice(k, k + 100)));
    await Promise.all(chunks);
    const bareRate = seq / ((performance.now() - t0) / 1000);

    const factor = seedScheduleFactor(metas);
    const sched = await salmock(factor, { durationS: SCHEDULE_S });
    // the same schedule over the topics whose SAL text is under 1 KB (no large arrays)
    const small = metas.filter((m) => m.fields.reduce((n, f) => n + f.count, 0) <= 40);
    const smallFactor = seedScheduleFactor(small);
    const schedSmall = await salmock(smallFactor, { durationS: SCHEDULE_S }, small);
    // the same schedule with the other client (as many producers), then with one producer of this client
    const otherProducers = await connected(other, lanes);
    const schedOther = await salmock(factor, { durationS: SCHEDULE_S }, metas, otherProducers);
    const schedOne = await salmock(factor, { durationS: SCHEDULE_S }, metas, [producer]);
    const schedNote = (s: SalmockSummary & { cpuS: number }, c: string, n: number) =>
      `${c} × ${n} producer(s): ${Math.round(s.rate)} msg/s on ${(s.cpuS / s.seconds).toFixed(2)} cores`;
    const note = `${producer.client} producer, ${metas.length} topics, ${label}, SAL text, mean record ${recordSize} B, ${BURST} msgs; baseline = ProducerPerformance, same size, acks=all, idempotent, linger 5 ms`;
    return [
      withRatio({ name: 'salmock.burst.msg_per_s', value: burst.rate, unit: 'msg/s', baseline: perf, note: `${note}; goal ratio ≥ 0.7` }),
      withRatio({
        name: 'salmock.burst.cpu_cores',
        value: burst.cpuS / burst.seconds,
        unit: 'cores',
        note: 'CPU of the salmock process while bursting',
      }),
      withRatio({
        name: 'salmock.client_only.msg_per_s',
        value: bareRate,
        unit: 'msg/s',
        baseline: perf,
        note: `the same messages pre-built, ${producer.client} + BatchSender only: the client ceiling`,
      }),
      withRatio({
        name: 'salmock.seed_schedule.msg_per_s',
        value: sched.rate,
        unit: 'msg/s',
        baseline: SEED_TOTAL_RATE,
        note: `${producer.client} × ${lanes} producers, ${metas.length} topics scaled ×${factor.toFixed(2)} to the seed's 29,284 msg/s, mean record ${Math.round(sched.bytes / Math.max(1, sched.produced))} B, ${SCHEDULE_S} s; goal ratio 1`,
      }),
      withRatio({
        name: `salmock.seed_schedule.vs_${other}`,
        value: sched.rate,
        unit: 'msg/s',
        baseline: schedOther.rate,
        note: `the same schedule right after: ${schedNote(schedOther, other, lanes)} (baseline); ${client}: ${(sched.cpuS / sched.seconds).toFixed(2)} cores`,
      }),
      withRatio({
        name: 'salmock.seed_schedule.vs_one_producer',
        value: sched.rate,
        unit: 'msg/s',
        baseline: schedOne.rate,
        note: `the same schedule right after: ${schedNote(schedOne, client, 1)} (baseline: one request in flight)`,
      }),
      withRatio({
        name: 'salmock.seed_schedule.cpu_cores',
        value: sched.cpuS / sched.seconds,
        unit: 'cores',
        baseline: 1,
        note: 'CPU of the salmock process on the seed schedule; goal ≤ 1 core',
      }),
      withRatio({
        name: 'salmock.seed_schedule_small_records.msg_per_s',
        value: schedSmall.rate,
        unit: 'msg/s',
        baseline: SEED_TOTAL_RATE,
        note: `${small.length} topics with ≤ 40 values (mean ${Math.round(schedSmall.bytes / Math.max(1, schedSmall.produced))} B) scaled to 29,284 msg/s, ${SCHEDULE_S} s, ${(schedSmall.cpuS / schedSmall.seconds).toFixed(2)} cores`,
      }),
      withRatio({
        name: 'salmock.seed_schedule.mb_per_s',
        value: sched.bytes / sched.seconds / 1e6,
        unit: 'MB/s',
        note: 'SAL text bytes produced on the seed schedule',
      }),
    ];
  } finally {
    await Promise.all(open.map((p) => p.disconnect().catch(() => undefined)));
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}
