/**
 * Which topics salmock produces, where, and how often. Rates follow the mock SAL experiment
 * (SQR-029): commands 1 Hz, events 10 Hz, telemetry 100 Hz per topic, times a rate factor.
 * (1,051 topics at those rates made 29,284 msg/s; `seedScheduleFactor` scales any topic set to that.)
 */
import type { TopicMeta } from './metadata';
import type { TopicKind } from './ts-xml';
import { kafkaTopicOf } from './register';
import { layoutFromMeta, rawTopicOf, SalLayout } from './sal-text';

export const SEED_RATES_HZ: Readonly<Record<TopicKind, number>> = { command: 1, event: 10, telemetry: 100 };
/** Total rate of the original experiment: 274 × 1 + 541 × 10 + 236 × 100 msg/s. */
export const SEED_TOTAL_RATE = 274 * 1 + 541 * 10 + 236 * 100;

export type SalmockMode = 'text' | 'avro';

export interface PlanOptions {
  subsystems?: string[];
  kinds?: TopicKind[];
  /** Regular expression on the SAL topic name. */
  topics?: string;
  maxTopics?: number;
  rateFactor?: number;
  rates?: Partial<Record<TopicKind, number>>;
  topicPrefix?: string;
}

export interface PlannedTopic {
  meta: TopicMeta;
  layout: SalLayout;
  /** Messages per second for this topic. */
  rateHz: number;
  /** Raw text topic `[prefix]<Subsystem>_<kind>`. */
  rawTopic: string;
  /** Avro topic `[prefix]lsst.sal.<topic>`. */
  avroTopic: string;
}

/** Selects topics and assigns rates; throws naming the filter when nothing is left. */
export function planTopics(metas: TopicMeta[], opts: PlanOptions = {}): PlannedTopic[] {
  const re = opts.topics ? new RegExp(opts.topics) : undefined;
  const subs = opts.subsystems?.length ? new Set(opts.subsystems) : undefined;
  const kinds = opts.kinds?.length ? new Set(opts.kinds) : undefined;
  let selected = metas.filter((m) => (!subs || subs.has(m.subsystem)) && (!kinds || kinds.has(m.kind)) && (!re || re.test(m.topic)));
  if (opts.maxTopics !== undefined) selected = selected.slice(0, opts.maxTopics);
  if (selected.length === 0) {
    const known = [...new Set(metas.map((m) => m.subsystem))].sort().join(', ');
    throw new Error(
      `no SAL topic matches the selection (subsystems ${opts.subsystems?.join(',') || 'any'}, kinds ${opts.kinds?.join(',') || 'any'}, ` +
        `topics ${opts.topics ?? 'any'}); subsystems in the ts_xml folder: ${known || 'none'}`,
    );
  }
  const factor = opts.rateFactor ?? 1;
  const rates = { ...SEED_RATES_HZ };
  for (const [k, v] of Object.entries(opts.rates ?? {}) as [TopicKind, number | undefined][]) if (v !== undefined) rates[k] = v;
  return selected.map((meta) => ({
    meta,
    layout: layoutFromMeta(meta),
    rateHz: rates[meta.kind] * factor,
    rawTopic: rawTopicOf(meta, opts.topicPrefix),
    avroTopic: kafkaTopicOf(meta.topic, opts.topicPrefix),
  }));
}

/** Total messages per second of a plan. */
export function planRate(plan: PlannedTopic[]): number {
  return plan.reduce((n, p) => n + p.rateHz, 0);
}

/** Rate factor that makes a topic set produce the seed experiment's total (29,284 msg/s). */
export function seedScheduleFactor(metas: Pick<TopicMeta, 'kind'>[]): number {
  const base = metas.reduce((n, m) => n + SEED_RATES_HZ[m.kind], 0);
  return base > 0 ? SEED_TOTAL_RATE / base : 1;
}

/**
 * Messages due per topic by time `t` seconds (first message of each topic at t = 0), spreading topics
 * over the first period with a phase so they do not all fire on the same tick.
 */
export function dueBy(rateHz: number, phase: number, t: number): number {
  return rateHz <= 0 ? 0 : Math.max(0, Math.floor(t * rateHz + 1 - phase));
}
