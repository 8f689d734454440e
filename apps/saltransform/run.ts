/**
 * The saltransform consumer: raw SAL text topics → `lsst.sal.<topic>` Avro topics.
 *
 * Per partition batch: parse + encode every message; good ones go to their Avro topic, bad ones to the
 * dead-letter topic (original key, value and headers, plus `dlq-reason`, `dlq-code`, `dlq-source`);
 * only when Kafka acknowledged all of them is the batch's offset committed (at-least-once: a crash
 * before the commit re-delivers the batch; nothing is dropped, duplicates are possible).
 * Scale-out: run more replicas in the same consumer group (up to one per raw-topic partition);
 * `concurrency` partitions are processed at once in one process.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { LatencyMetric } from '../lib/latency';
import type { BatchSender, OutgoingHeaders as IHeaders, OutgoingMessage as Message } from '../lib/kafka';
import type { ConsumedMessage } from '../lib/kafka-consumer';
import { SalTransformer } from './transform';

export const DLQ_REASON = 'dlq-reason';
export const DLQ_CODE = 'dlq-code';
export const DLQ_SOURCE = 'dlq-source';

export function saltransformMetrics(registry: Registry) {
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    consumed: get(
      'saltransform_consumed_total',
      () =>
        new Counter({
          name: 'saltransform_consumed_total',
          help: 'Raw SAL messages consumed',
          labelNames: ['raw_topic'],
          registers: [registry],
        }),
    ),
    produced: get(
      'saltransform_produced_total',
      () =>
        new Counter({
          name: 'saltransform_produced_total',
          help: 'Avro messages produced and acknowledged',
          labelNames: ['raw_topic'],
          registers: [registry],
        }),
    ),
    deadLettered: get(
      'saltransform_deadletter_total',
      () =>
        new Counter({
          name: 'saltransform_deadletter_total',
          help: 'Messages sent to the dead-letter topic, by reason',
          labelNames: ['raw_topic', 'reason'],
          registers: [registry],
        }),
    ),
    transformSeconds: get(
      'saltransform_transform_seconds',
      () =>
        new Histogram({
          name: 'saltransform_transform_seconds',
          help: 'Time to turn one SAL text message into Avro (parse + encode)',
          buckets: [2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 5e-3],
          registers: [registry],
        }),
    ),
    /** Through saltransform: from the raw record's timestamp (its Kafka append time on LogAppendTime topics) to its Avro record's acknowledgement. */
    totalSeconds: new LatencyMetric(
      registry,
      'saltransform_total_seconds',
      'From the raw record timestamp to the acknowledgement of its Avro record (seconds)',
    ),
    producedBytes: get(
      'saltransform_produced_bytes_total',
      () =>
        new Counter({
          name: 'saltransform_produced_bytes_total',
          help: 'Bytes of Avro record values produced and acknowledged',
          registers: [registry],
        }),
    ),
  };
}
export type SaltransformMetrics = ReturnType<typeof saltransformMetrics>;

export interface BatchInput {
  topic: string;
  partition: number;
  messages: Pick<ConsumedMessage, 'key' | 'value' | 'headers' | 'offset' | 'timestamp'>[];
}

export interface BatchDeps {
  transformer: SalTransformer;
  sender: Pick<BatchSender, 'send'>;
  dlqTopic: string;
  metrics: SaltransformMetrics;
  now?: () => number;
}

export interface BatchOutcome {
  produced: number;
  deadLettered: number;
  /** Offset to commit (last offset + 1), as Kafka wants it. */
  commitOffset: string;
}

const EMPTY = Buffer.alloc(0);

/** Transforms one partition batch and waits until every output was acknowledged. */
export async function processBatch(batch: BatchInput, deps: BatchDeps): Promise<BatchOutcome> {
  const now = deps.now ?? Date.now;
  const { transformer, metrics } = deps;
  const n = batch.messages.length;
  const lines = new Array<Buffer>(n);
  const topics = new Array<string | undefined>(n);
  const early = new Array<ReturnType<SalTransformer['topicOf']> | undefined>(n);
  const names = new Set<string>();
  for (let i = 0; i < n; i++) {
    const v = batch.messages[i].value;
    lines[i] = v ?? EMPTY;
    const t = transformer.topicOf(lines[i]);
    if (typeof t === 'string') {
      topics[i] = t;
      names.add(t);
    } else early[i] = t;
  }
  await transformer.prepare(names);
  const kafkaTs = now();
  const out = new Map<string, Message[]>();
  const dlq: Message[] = [];
  const dlqReasons = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const m = batch.messages[i];
    const ts = performance.now();
    const topic = topics[i];
    const r =
      topic !== undefined
        ? transformer.transform(topic, lines[i], kafkaTs)
        : (early[i] as Exclude<ReturnType<SalTransformer['topicOf']>, string>);
    if (r.ok) {
      metrics.transformSeconds.observe((performance.now() - ts) / 1000);
      let list = out.get(r.outTopic);
      if (!list) out.set(r.outTopic, (list = []));
      list.push({ key: m.key ?? r.topic, value: r.value, headers: m.headers });
    } else {
      const headers: IHeaders = {
        ...(m.headers ?? {}),
        [DLQ_REASON]: r.reason,
        [DLQ_CODE]: r.code,
        [DLQ_SOURCE]: `${batch.topic}/${batch.partition}/${m.offset}`,
      };
      dlq.push({ key: m.key, value: m.value, headers });
      dlqReasons.set(r.code, (dlqReasons.get(r.code) ?? 0) + 1);
    }
  }
  const sends: Promise<void>[] = [];
  let outBytes = 0;
  for (const [topic, msgs] of out) {
    for (const m of msgs) outBytes += (m.value as Buffer).length;
    sends.push(deps.sender.send(topic, msgs));
  }
  if (dlq.length) sends.push(deps.sender.send(deps.dlqTopic, dlq));
  await Promise.all(sends);
  const acked = now();
  const produced = n - dlq.length;
  metrics.consumed.inc({ raw_topic: batch.topic }, n);
  if (produced) metrics.produced.inc({ raw_topic: batch.topic }, produced);
  if (outBytes) metrics.producedBytes.inc(outBytes);
  for (const [reason, k] of dlqReasons) metrics.deadLettered.inc({ raw_topic: batch.topic, reason }, k);
  for (const m of batch.messages) {
    const ts = Number(m.timestamp);
    if (ts > 0) metrics.totalSeconds.observe((acked - ts) / 1000);
  }
  const last = batch.messages[n - 1].offset;
  return { produced, deadLettered: dlq.length, commitOffset: (BigInt(last) + 1n).toString() };
}
