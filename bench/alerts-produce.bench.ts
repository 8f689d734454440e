/**
 * `efd alerts produce` on the real local Kafka (loopback): seconds per 10,000-alert visit, the seed 004 goal
 * being ≤ 1 s on this 2-core machine. Each visit is what the command does (apps/alerts/produce.ts
 * produceVisits: alerts made by the generator, encoded once into the Confluent wire format, sent by
 * ALERT_PRODUCERS idempotent producers behind BatchSenders, acks=all), first alert made → last acknowledged:
 *  - without cutouts (the seed's alerts had no stamps): ~370 B an alert, 3.7 MB a visit — the goal figure;
 *  - with the two 30×30 float32 FITS cutouts (8,640 B each): ~17.7 kB an alert, 177 MB a visit.
 * Baseline, in the same run: kafkajs sending the same bytes (the visit's records pre-built: keys, values,
 * headers, partitions) with a plain producer (acks=all, not idempotent, sends of ≤ 900 KiB at once, as many
 * in flight as it likes) — the ratio says what making, encoding and our producers cost beyond a bare send.
 * Bounded: 1 warm-up + 5 visits without cutouts, 1 + 3 with; topics and subject deleted after.
 */
import { Kafka, logLevel } from 'kafkajs';
import { ALERT_PRODUCERS, alertsSubject } from '../apps/alerts/cli';
import { AlertGenerator } from '../apps/alerts/generate';
import { AlertSink, generatedSource, produceVisits, sendVisit, VisitReport } from '../apps/alerts/produce';
import { ALERT_SCHEMA } from '../apps/alerts/schema';
import { BatchSender, createProducers, EfdProducer, OutgoingMessage } from '../apps/lib/kafka';
import { createAdmin } from '../apps/lib/kafka-admin';
import { silentLogger } from '../apps/lib/logging';
import { createRegistry } from '../apps/lib/registry';
import { readEndpoints } from '../scripts/local-efd/endpoints';
import { BenchResult, median, withRatio } from './results';

const ALERTS = 10_000;
const PARTITIONS = 10;
const INTERVAL_MS = 3000;
const KAFKAJS_CHUNK_BYTES = 900 * 1024;

/** The records of one visit, pre-built (what sendVisit would send), by capturing them. */
async function prebuiltVisit(gen: AlertGenerator, index: number, schemaId: number): Promise<OutgoingMessage[]> {
  const captured: OutgoingMessage[] = [];
  const sink: AlertSink = {
    topic: 'captured',
    schemaId,
    partitions: PARTITIONS,
    senders: [{ send: async (_t: string, ms: OutgoingMessage[]) => void captured.push(...ms) }],
  };
  await sendVisit(gen.alerts(gen.visit(index, Date.now())), sink);
  return captured;
}

/** kafkajs, plain: the same records, sends of ≤ 900 KiB all in flight at once; ms until all acknowledged. */
async function kafkajsSend(kafka: Kafka, topic: string, messages: OutgoingMessage[]): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const chunks: OutgoingMessage[][] = [];
    let cur: OutgoingMessage[] = [];
    let bytes = 0;
    for (const m of messages) {
      const b = (m.value as Buffer).length + (m.key as Buffer).length;
      if (cur.length && bytes + b > KAFKAJS_CHUNK_BYTES) {
        chunks.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(m);
      bytes += b;
    }
    chunks.push(cur);
    // warm-up: one chunk
    await producer.send({ topic, acks: -1, messages: chunks[0].map((m) => ({ ...m, timestamp: undefined })) as never });
    const t0 = performance.now();
    await Promise.all(
      chunks.map((c) => producer.send({ topic, acks: -1, messages: c.map((m) => ({ ...m, timestamp: undefined })) as never })),
    );
    return performance.now() - t0;
  } finally {
    await producer.disconnect();
  }
}

export async function run(): Promise<BenchResult[]> {
  const endpoints = readEndpoints();
  const { kafka: bootstrap, registry: registryUrl } = endpoints.clusters[0];
  const prefix = `bench.alerts.${Date.now().toString(36)}.`;
  const topic = `${prefix}alerts`;
  const baselineTopic = `${prefix}kafkajs`;
  const logger = silentLogger();
  const opts = { brokers: bootstrap, clientId: 'bench-alerts', logger };
  const admin = createAdmin(opts);
  await admin.connect();
  const registry = createRegistry(registryUrl, { logger });
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-alerts-kafkajs', logLevel: logLevel.NOTHING });
  const producers: EfdProducer[] = createProducers(opts, ALERT_PRODUCERS);
  try {
    await admin.createTopics([topic, baselineTopic].map((t) => ({ topic: t, partitions: PARTITIONS })));
    const schemaId = await registry.register(alertsSubject(prefix), ALERT_SCHEMA as never);
    await Promise.all(producers.map((p) => p.connect()));
    const sink: AlertSink = { topic, schemaId, partitions: PARTITIONS, senders: producers.map((p) => new BatchSender(p, { lingerMs: 2 })) };

    const visits = async (cutouts: boolean, n: number): Promise<VisitReport[]> => {
      const gen = new AlertGenerator({ seed: 18, alertsPerVisit: ALERTS, cutouts });
      const reports = await produceVisits({ source: generatedSource(gen, n + 1), sink, intervalMs: INTERVAL_MS });
      return reports.slice(1); // the first is the warm-up (connections, metadata)
    };
    const plain = await visits(false, 5);
    const plainBytes = await prebuiltVisit(new AlertGenerator({ seed: 18, alertsPerVisit: ALERTS, cutouts: false }), 1, schemaId);
    const plainBaseline = await kafkajsSend(kafka, baselineTopic, plainBytes);
    const withCutouts = await visits(true, 3);
    const cutBytes = await prebuiltVisit(new AlertGenerator({ seed: 18, alertsPerVisit: ALERTS, cutouts: true }), 1, schemaId);
    const cutBaseline = await kafkajsSend(kafka, baselineTopic, cutBytes);

    const ms = (rs: VisitReport[]) => rs.map((r) => r.produceS * 1000);
    const mb = (rs: VisitReport[]) => (rs[0].bytes / 1e6).toFixed(1);
    const spread = (rs: VisitReport[]) =>
      `visits ${ms(rs)
        .map((v) => v.toFixed(0))
        .join(', ')} ms`;
    const base = `${ALERTS} alerts a visit, ${PARTITIONS} partitions, ${ALERT_PRODUCERS} @platformatic/kafka producers (idempotent, acks=all)`;
    return [
      withRatio({
        name: 'alerts.produce.visit_ms',
        value: median(ms(plain)),
        unit: 'ms',
        baseline: plainBaseline,
        note: `median first made → last acknowledged, no cutouts (${mb(plain)} MB a visit), ${base}; ${spread(plain)}; goal ≤ 1000 ms; baseline = kafkajs plain send of the same bytes`,
      }),
      withRatio({
        name: 'alerts.produce.visit_max_ms',
        value: Math.max(...ms(plain)),
        unit: 'ms',
        baseline: 1000,
        note: 'the slowest of the visits without cutouts; baseline = the seed goal (1 s)',
      }),
      withRatio({
        name: 'alerts.produce.visit_with_cutouts_ms',
        value: median(ms(withCutouts)),
        unit: 'ms',
        baseline: cutBaseline,
        note: `median, two 8640-byte FITS cutouts an alert (${mb(withCutouts)} MB a visit), ${base}; ${spread(withCutouts)}; baseline = kafkajs plain send of the same bytes`,
      }),
    ];
  } finally {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await admin.deleteTopics([topic, baselineTopic]).catch(() => undefined);
    await admin.disconnect();
    await registry.deleteSubject(alertsSubject(prefix), { permanent: true }).catch(() => undefined);
  }
}
