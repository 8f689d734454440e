/**
 * The salmock engine: produces the plan's topics at their rates (or as fast as Kafka acknowledges, in
 * burst mode) until the duration or count limit, or shutdown. Text mode writes SAL text lines to the raw
 * topics; Avro mode writes Confluent-wire-format records to `lsst.sal.<topic>`.
 *
 * Every record carries headers `salmock-run` (run seed) and `salmock-seq` (sequence number, unique in the
 * run), and its key is the SAL topic name (one SAL topic stays in one partition, in order). Item values
 * are a function of (seed, topic, seq): see ./values.ts.
 *
 * A send Kafka did not acknowledge (a broker down or restarting) is sent again, with backoff, until it
 * is acknowledged: it is neither counted failed nor dropped. Only a send still unacknowledged
 * `retryForMs` after its first failure is counted failed (a broker that stays down). A resent batch
 * that Kafka had written after all is there twice (the sequence numbers tell).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { LatencyMetric, LatencySnapshot, latencySnapshot } from '../lib/latency';
import type { BatchSender, OutgoingMessage as Message } from '../lib/kafka';
import type { Logger } from '../lib/logging';
import { backoffDelayMs, sleep } from '../lib/retry';
import { formatSalItems, formatSalStamps, salTextLine } from '../lib/sal/sal-text';
import { dueBy, PlannedTopic, planRate, SalmockMode } from '../lib/sal/plan';
import { recordGenerator, VARIANTS } from '../lib/sal/values';

export const HEADER_RUN = 'salmock-run';
export const HEADER_SEQ = 'salmock-seq';

/** Builds the Kafka message of one SAL message. */
export type MessageFactory = (seq: number, nowMs: number) => { topic: string; message: Message };

/**
 * Message factory of a planned topic; Avro mode needs the wire-format encoder of its schema.
 * Text mode formats each value set once (see VARIANTS) and only the stamps per message.
 */
export function messageFactory(p: PlannedTopic, mode: SalmockMode, seed: number, encode?: (value: unknown) => Buffer): MessageFactory {
  const gen = recordGenerator(p.meta, seed);
  const runHeader = String(seed);
  const key = p.meta.topic;
  if (mode === 'avro') {
    if (!encode) throw new Error(`Avro mode needs the registered schema of ${p.avroTopic}`);
    return (seq, nowMs) => ({
      topic: p.avroTopic,
      message: { key, value: encode(gen(seq, nowMs)), headers: { [HEADER_RUN]: runHeader, [HEADER_SEQ]: String(seq) } },
    });
  }
  const itemsText = new Map<number, string>();
  return (seq, nowMs) => {
    const rec = gen(seq, nowMs);
    const variant = seq % VARIANTS;
    let items = itemsText.get(variant);
    if (items === undefined) itemsText.set(variant, (items = formatSalItems(p.layout, rec)));
    return {
      topic: p.rawTopic,
      message: {
        key,
        value: salTextLine(p.meta.topic, formatSalStamps(rec), items),
        headers: { [HEADER_RUN]: runHeader, [HEADER_SEQ]: String(seq) },
      },
    };
  };
}

export interface SalmockRunOptions {
  plan: PlannedTopic[];
  factories: MessageFactory[];
  mode: SalmockMode;
  /** Stop after this many seconds. */
  durationS?: number;
  /** Stop after this many messages (in all). */
  count?: number;
  /** Ignore the rates' clock: produce the same mix as fast as Kafka acknowledges. */
  burst?: boolean;
  /** Stop generating while this many messages wait for acknowledgement (default 20,000). */
  maxPending?: number;
  /** Scheduler tick (default 5 ms). */
  tickMs?: number;
  /** How long an unacknowledged send is sent again before it counts as failed (default 120 s). */
  retryForMs?: number;
  /** First delay before a resend, doubled up to 5 s (default 250 ms). */
  retryDelayMs?: number;
}

export interface SalmockDeps {
  sender: Pick<BatchSender, 'send' | 'flush' | 'pending'>;
  logger: Logger;
  metrics: Registry;
  signal: AbortSignal;
  now?: () => number;
}

export interface SalmockSummary {
  mode: SalmockMode;
  topics: number;
  /** Scheduled rate (msg/s) of the plan. */
  scheduledRate: number;
  produced: number;
  /** Messages Kafka did not acknowledge within `retryForMs` of resending. */
  failed: number;
  /** Messages sent again after Kafka did not acknowledge them. */
  resent: number;
  bytes: number;
  seconds: number;
  /** produced / seconds. */
  rate: number;
  /** Into Kafka: from each message's sal_created to its acknowledgement. */
  produceLatency?: LatencySnapshot;
  stoppedBy: 'count' | 'duration' | 'signal';
}

export function salmockMetrics(registry: Registry) {
  const existing = registry.getSingleMetric('salmock_produced_total') as Counter<'mode' | 'kind'> | undefined;
  return {
    produced:
      existing ??
      new Counter({
        name: 'salmock_produced_total',
        help: 'Mock SAL messages acknowledged by Kafka',
        labelNames: ['mode', 'kind'],
        registers: [registry],
      }),
    failed:
      (registry.getSingleMetric('salmock_failed_total') as Counter<'mode'> | undefined) ??
      new Counter({
        name: 'salmock_failed_total',
        help: 'Mock SAL messages Kafka did not acknowledge',
        labelNames: ['mode'],
        registers: [registry],
      }),
    scheduled:
      (registry.getSingleMetric('salmock_scheduled_rate') as Gauge | undefined) ??
      new Gauge({ name: 'salmock_scheduled_rate', help: 'Messages per second the plan schedules', registers: [registry] }),
    resent:
      (registry.getSingleMetric('salmock_resent_total') as Counter | undefined) ??
      new Counter({
        name: 'salmock_resent_total',
        help: 'Mock SAL messages sent again because Kafka did not acknowledge them',
        registers: [registry],
      }),
    bytes:
      (registry.getSingleMetric('salmock_produced_bytes_total') as Counter | undefined) ??
      new Counter({ name: 'salmock_produced_bytes_total', help: 'Bytes of message values Kafka acknowledged', registers: [registry] }),
    /** Into Kafka: from sal_created (the message's stamp) to Kafka's acknowledgement. */
    latency: new LatencyMetric(
      registry,
      'salmock_produce_latency_seconds',
      'From sal_created to Kafka acknowledging the message (seconds)',
    ),
  };
}

/** Runs salmock; resolves with the summary once everything produced was acknowledged or failed. */
export async function runSalmock(opts: SalmockRunOptions, deps: SalmockDeps): Promise<SalmockSummary> {
  const now = deps.now ?? Date.now;
  const { plan, factories } = opts;
  const metrics = salmockMetrics(deps.metrics);
  const scheduledRate = planRate(plan);
  metrics.scheduled.set(scheduledRate);
  const maxPending = opts.maxPending ?? 20_000;
  const tickMs = opts.tickMs ?? 5;
  const sent = new Array<number>(plan.length).fill(0);
  const lastStamp: number[] = new Array(plan.length).fill(0);
  // golden-ratio phases spread the topics over their first period
  const phase = plan.map((_, i) => (i * 0.6180339887) % 1);
  const kindOf = plan.map((p) => p.meta.kind);
  let seq = 0;
  let produced = 0;
  let failed = 0;
  let bytes = 0;
  let firstError: string | undefined;
  let outstanding = 0;
  let allAcked: (() => void) | undefined;
  const settle = () => {
    if (--outstanding === 0 && allAcked) allAcked();
  };
  const start = now();
  let virtualT = 0;
  let stoppedBy: SalmockSummary['stoppedBy'] = 'signal';
  const counted = (list: { kind: string; n: number }[], stamps: number[], groupBytes: number) => () => {
    metrics.latency.observeSince(now(), stamps);
    metrics.bytes.inc(groupBytes);
    for (const { kind, n } of list) {
      produced += n;
      metrics.produced.inc({ mode: opts.mode, kind }, n);
    }
  };
  const retryForMs = opts.retryForMs ?? 120_000;
  let resent = 0;
  /** Messages waiting to be sent again (they count against maxPending). */
  let retrying = 0;
  let outage: { since: number; error: string } | undefined;
  const failedFn = (n: number, err: Error) => {
    failed += n;
    metrics.failed.inc({ mode: opts.mode }, n);
    if (!firstError) {
      firstError = err.message;
      deps.logger.error(
        { err: err.message, retryForMs },
        `salmock: Kafka did not acknowledge ${n} message(s) within ${retryForMs} ms of resending: ${err.message}`,
      );
    }
  };
  /** Sends until Kafka acknowledges (or `retryForMs` passed since the first failure). */
  const sendOnce = async (topic: string, messages: Message[], ok: () => void): Promise<void> => {
    let firstFailure: number | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.sender.send(topic, messages);
      } catch (e) {
        const err = e as Error;
        const t = now();
        firstFailure ??= t;
        if (t - firstFailure >= retryForMs) return failedFn(messages.length, err);
        if (!outage) {
          outage = { since: t, error: err.message };
          deps.logger.warn(
            { err: err.message, retryForMs },
            `salmock: Kafka did not acknowledge a send (${err.message}); sending again until it does (for up to ${retryForMs} ms per send)`,
          );
        }
        retrying += messages.length;
        await sleep(backoffDelayMs(attempt, { initialDelayMs: opts.retryDelayMs ?? 250, maxDelayMs: 5000 }));
        retrying -= messages.length;
        resent += messages.length;
        metrics.resent.inc(messages.length);
        continue;
      }
      ok();
      if (outage) {
        const downS = ((now() - outage.since) / 1000).toFixed(1);
        deps.logger.info(
          { downForS: Number(downS), resent, err: outage.error },
          `salmock: Kafka acknowledges again after ${downS} s (${resent} message(s) sent again so far)`,
        );
        outage = undefined;
      }
      return;
    }
  };

  deps.logger.info(
    { topics: plan.length, scheduledRate, mode: opts.mode, burst: !!opts.burst },
    `salmock: ${plan.length} topics, ${scheduledRate.toFixed(0)} msg/s scheduled`,
  );
  for (;;) {
    if (deps.signal.aborted) break;
    const elapsed = (now() - start) / 1000;
    if (opts.durationS !== undefined && elapsed >= opts.durationS) {
      stoppedBy = 'duration';
      break;
    }
    if (opts.count !== undefined && seq >= opts.count) {
      stoppedBy = 'count';
      break;
    }
    const room = maxPending - deps.sender.pending - retrying;
    if (room <= 0) {
      await sleep(1, deps.signal);
      continue;
    }
    const t = opts.burst ? (virtualT += Math.min(room / Math.max(scheduledRate, 1), 0.05)) : elapsed;
    const nowMs = Math.floor(now());
    const byTopic = new Map<string, { messages: Message[]; kinds: Map<string, number>; stamps: number[]; bytes: number }>();
    for (let i = 0; i < plan.length; i++) {
      let n = dueBy(plan[i].rateHz, phase[i], t) - sent[i];
      if (n <= 0) continue;
      if (opts.count !== undefined) n = Math.min(n, opts.count - seq);
      if (n <= 0) break;
      sent[i] += n;
      for (let k = 0; k < n; k++) {
        // Stamps strictly increase per topic: a real SAL topic never sends two samples in one millisecond,
        // and InfluxDB keeps one point per measurement, tag set and time (a catch-up burst would collide).
        const stamp = (lastStamp[i] = Math.max(nowMs, lastStamp[i] + 1));
        const { topic, message } = factories[i](seq++, stamp);
        const size = typeof message.value === 'string' ? message.value.length : (message.value as Buffer).length;
        bytes += size;
        let g = byTopic.get(topic);
        if (!g) byTopic.set(topic, (g = { messages: [], kinds: new Map(), stamps: [], bytes: 0 }));
        g.messages.push(message);
        g.stamps.push(stamp);
        g.bytes += size;
        g.kinds.set(kindOf[i], (g.kinds.get(kindOf[i]) ?? 0) + 1);
      }
    }
    for (const [topic, g] of byTopic) {
      const list = [...g.kinds].map(([kind, n]) => ({ kind, n }));
      outstanding++;
      void sendOnce(topic, g.messages, counted(list, g.stamps, g.bytes)).finally(settle);
    }
    if (opts.burst) await new Promise((r) => setImmediate(r));
    else await sleep(tickMs, deps.signal);
  }
  await deps.sender.flush();
  if (outstanding > 0) await new Promise<void>((r) => (allAcked = r));
  const seconds = (now() - start) / 1000;
  return {
    mode: opts.mode,
    topics: plan.length,
    scheduledRate,
    produced,
    failed,
    resent,
    bytes,
    seconds,
    rate: seconds > 0 ? produced / seconds : 0,
    stoppedBy,
    produceLatency: await latencySnapshot(metrics.latency),
  };
}
