/**
 * Replication lag and throughput, MirrorMaker 2 a → b on the local EFD, configured as the stacks do it
 * (localReplicationFlow → mirrorMaker2Specs → the connect manager) on a replication worker of its own:
 * ~5,000 msg/s of real-shaped telemetry (Avro records of the 24 busiest telemetry topics of the generated
 * seed-shaped set, bench/generated-ts-xml.ts, values from salmock, each topic's share by its seed rate) for
 * 30 s into LogAppendTime topics at the source; the aggregator's `<prefix>.<topic>` (a prefix of the run's own) are pre-created with
 * LogAppendTime too, so each record's lag is aggregator append − source append (the source's from the
 * produce response, the aggregator's from the replicated record; joined by key).
 * Baseline, same records, same run: one write at the source, send → acknowledged (acks=all), per record:
 * replication is a read and a write more. Goal: p99 ≤ 1 s. Bounded: 150,000 records, ≤ 90 s of
 * catch-up. Needs the local EFD with 2 clusters.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { avroType } from '../apps/lib/avro-type';
import { Kafka, logLevel } from 'kafkajs';
import { wireEncoder } from '../apps/lib/registry';
import { planTopics } from '../apps/lib/sal/plan';
import { recordGenerator } from '../apps/lib/sal/values';
import { remoteTopic } from '../config/topology';
import { readEndpoints } from '../scripts/local-efd/endpoints';
import {
  applyReplication,
  localReplicationFlow,
  localReplicationSpecs,
  startReplicationWorker,
  testFlowPrefix,
} from '../scripts/local-efd/replication';
import { benchInterface } from './generated-ts-xml';
import { BenchResult, withRatio } from './results';

const RATE = 5_000;
const SECONDS = 30;
const TOPICS = 24;
const TICK_MS = 50;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Reads `topics` from the beginning; calls `each(key, appendTs, receivedAt)` per record. */
async function consume(kafka: Kafka, group: string, topics: string[], each: (key: string, ts: number, at: number) => void) {
  const consumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false, maxWaitTimeInMs: 50, minBytes: 1 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 8,
    eachBatch: async ({ batch }) => {
      const at = Date.now();
      for (const m of batch.messages) each(String(m.key), Number(m.timestamp), at);
    },
  });
  return consumer;
}

export async function run(): Promise<BenchResult[]> {
  const e = readEndpoints();
  if (e.clusters.length < 2)
    throw new Error('the replication benchmark needs the local EFD with 2 clusters (npm run efd:up -- --clusters 2)');
  const [a, b] = e.clusters;
  const id = `bench_repl_${Date.now().toString(36)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-bench-repl-'));

  // Real-shaped records: the busiest telemetry topics, pre-encoded (the producer only sends).
  const { metas, schemas } = benchInterface();
  const plan = planTopics(metas)
    .filter((p) => p.meta.kind === 'telemetry')
    .sort((x, y) => y.rateHz - x.rateHz || x.meta.topic.localeCompare(y.meta.topic))
    .slice(0, TOPICS);
  const totalHz = plan.reduce((n, p) => n + p.rateHz, 0);
  const sources = plan.map((p, i) => {
    const type = avroType(schemas.get(p.meta.topic) as never);
    const encode = wireEncoder(i + 1, type);
    const gen = recordGenerator(p.meta, 1);
    const pool = Array.from({ length: 50 }, (_, j) => encode(gen(j, 1_700_000_000_000 + j)));
    return { topic: `lsst.sal.${id}.${p.meta.topic}`, perTick: (p.rateHz / totalHz) * RATE * (TICK_MS / 1000), pool, carry: 0 };
  });
  const bytes = sources.reduce((n, s) => n + (s.pool.reduce((m, x) => m + x.length, 0) / s.pool.length) * s.perTick, 0) / (TICK_MS / 1000);

  // A prefix of the bench's own: the local EFD's flow replicates every lsst.sal.* topic of a as summit.<topic>
  // too, and a second writer into the measured topics would make the lag the faster flow's.
  const flow = localReplicationFlow(b, {
    prefix: testFlowPrefix(id),
    topicsRegex: `lsst[.]sal[.]${id}[.].*`,
    journalTopic: `${id}.journal`,
    refreshTopicsIntervalSeconds: 5,
  });
  const ka = new Kafka({ clientId: 'bench-replication', brokers: [a.kafka], logLevel: logLevel.NOTHING });
  const kb = new Kafka({ clientId: 'bench-replication', brokers: [b.kafka], logLevel: logLevel.NOTHING });
  const [adminA, adminB] = [ka.admin(), kb.admin()];
  await Promise.all([adminA.connect(), adminB.connect()]);
  const logAppend = [{ name: 'message.timestamp.type', value: 'LogAppendTime' }];
  await adminA.createTopics({
    waitForLeaders: true,
    topics: sources.map((s) => ({ topic: s.topic, numPartitions: 1, replicationFactor: 1, configEntries: logAppend })),
  });
  await adminB.createTopics({
    waitForLeaders: true,
    topics: sources.map((s) => ({
      topic: remoteTopic(flow.prefix, s.topic),
      numPartitions: 1,
      replicationFactor: 1,
      configEntries: logAppend,
    })),
  });

  const worker = await startReplicationWorker({ id, bootstrapServers: b.kafka, dir });
  const producer = ka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const sourceTs = new Map<string, number>();
  const produceLatency: number[] = [];
  const lag: number[] = [];
  const targetTs: number[] = [];
  const consumers = [];
  try {
    await applyReplication(worker.url, localReplicationSpecs(flow, a, `bench-${id}`), `bench-${id}`);
    await producer.connect();
    const pendingTarget: [string, number][] = [];
    consumers.push(
      await consume(
        kb,
        `${id}-dst`,
        sources.map((s) => remoteTopic(flow.prefix, s.topic)),
        (key, ts) => {
          targetTs.push(ts);
          pendingTarget.push([key, ts]);
        },
      ),
    );

    // Paced by the clock: every 50 ms, what is owed to reach 5,000 msg/s since the start (a slow send is caught up).
    let seq = 0;
    const t0 = Date.now();
    const shares = sources.map((x) => x.perTick / ((RATE * TICK_MS) / 1000));
    const sentPer = sources.map(() => 0);
    const caps = sources.map((x) => Math.max(1, Math.floor((512 * 1024 * x.pool.length) / x.pool.reduce((m, v) => m + v.length, 0))));
    while (Date.now() - t0 < SECONDS * 1000) {
      const owed = Math.min(RATE * SECONDS, Math.floor((RATE * (Date.now() - t0)) / 1000));
      const topicMessages = sources
        .map((x, i) => {
          // At most ~512 KiB per topic and send (the broker refuses a batch over 1 MiB); the rest next time.
          const n = Math.min(Math.floor(owed * shares[i]) - sentPer[i], caps[i]);
          sentPer[i] += Math.max(0, n);
          return {
            topic: x.topic,
            messages: Array.from({ length: Math.max(0, n) }, () => ({ key: String(seq), value: x.pool[seq++ % x.pool.length] })),
          };
        })
        .filter((t) => t.messages.length);
      if (topicMessages.length) {
        // LogAppendTime topic: the broker's append time of each produced batch comes back in the response.
        const sentAt = Date.now();
        const meta = await producer.sendBatch({ topicMessages, acks: -1 });
        const acked = Date.now() - sentAt;
        for (const tm of topicMessages) for (let k = 0; k < tm.messages.length; k++) produceLatency.push(acked);
        for (const tm of topicMessages) {
          const m = meta.find((r) => r.topicName === tm.topic);
          if (!m || Number(m.logAppendTime) < 0)
            throw new Error(`${tm.topic}: no log append time in the produce response (is the topic LogAppendTime?)`);
          for (const msg of tm.messages) sourceTs.set(msg.key, Number(m.logAppendTime));
        }
      }
      const wait = TICK_MS - ((Date.now() - t0) % TICK_MS);
      await new Promise((r) => setTimeout(r, wait));
    }
    const sendSeconds = (Date.now() - t0) / 1000;
    const sent = seq;
    const deadline = Date.now() + 90_000;
    while (targetTs.length < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    for (const [key, ts] of pendingTarget) {
      const s = sourceTs.get(key);
      if (s !== undefined) lag.push(ts - s);
    }
    if (lag.length < sent) throw new Error(`only ${lag.length} of ${sent} records joined at the aggregator within 90 s`);
    lag.sort((x, y) => x - y);
    produceLatency.sort((x, y) => x - y);
    targetTs.sort((x, y) => x - y);
    const throughput = targetTs.length / Math.max(0.001, (targetTs[targetTs.length - 1] - targetTs[0]) / 1000);
    const note = `${sent} records of ${TOPICS} telemetry topics (~${Math.round(bytes / 1024)} KiB/s) offered at ${Math.round(sent / sendSeconds)} msg/s for ${sendSeconds.toFixed(0)} s; baseline: one write at the source, send → acknowledged (acks=all), per record; goal p99 ≤ 1000 ms`;
    return [
      withRatio({ name: 'replication lag p50', value: quantile(lag, 0.5), unit: 'ms', baseline: quantile(produceLatency, 0.5), note }),
      withRatio({ name: 'replication lag p99', value: quantile(lag, 0.99), unit: 'ms', baseline: quantile(produceLatency, 0.99), note }),
      withRatio({
        name: 'replication lag max',
        value: lag[lag.length - 1],
        unit: 'ms',
        baseline: produceLatency[produceLatency.length - 1],
      }),
      withRatio({
        name: 'replication throughput',
        value: throughput,
        unit: 'msg/s',
        baseline: sent / sendSeconds,
        note: 'aggregator appends per second (first to last); baseline: the offered rate',
      }),
    ];
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await worker.stop().catch(() => undefined);
    const [ta, tb] = [await adminA.listTopics(), await adminB.listTopics()];
    await adminA.deleteTopics({ topics: ta.filter((t) => t.includes(id)) }).catch(() => undefined);
    await adminB.deleteTopics({ topics: tb.filter((t) => t.includes(id) || t.startsWith(`${flow.prefix}.`)) }).catch(() => undefined);
    await Promise.all([adminA.disconnect(), adminB.disconnect()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
