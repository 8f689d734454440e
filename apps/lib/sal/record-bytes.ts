/**
 * Size of the SAL text records salmock makes: per topic kind, the mean bytes of a record (values from
 * values.ts, text from sal-text.ts), and the byte rate of a plan. Used to report a topic set's load.
 */
import type { TopicMeta } from './metadata';
import type { TopicKind } from './ts-xml';
import { formatSalText, layoutFromMeta } from './sal-text';
import type { PlannedTopic } from './plan';
import { recordGenerator } from './values';

const T0 = 1_700_000_000_000;

/** Mean bytes of one topic's SAL text record over `samples` value sets. */
export function topicRecordBytes(meta: Pick<TopicMeta, 'topic' | 'fields'>, samples = 8): number {
  const layout = layoutFromMeta(meta);
  const gen = recordGenerator(meta, 1);
  let bytes = 0;
  for (let s = 0; s < samples; s++) bytes += Buffer.byteLength(formatSalText(layout, gen(s, T0 + s)));
  return bytes / samples;
}

/** Mean SAL text record bytes per kind (0 for a kind without topics), rounded to a byte. */
export function meanRecordBytes(metas: TopicMeta[], samples = 8): Record<TopicKind, number> {
  const out: Record<TopicKind, number> = { command: 0, event: 0, telemetry: 0 };
  for (const kind of Object.keys(out) as TopicKind[]) {
    const of = metas.filter((m) => m.kind === kind);
    out[kind] = of.length ? Math.round(of.reduce((n, m) => n + topicRecordBytes(m, samples), 0) / of.length) : 0;
  }
  return out;
}

/** Bytes per second of SAL text a plan produces (each topic at its rate, its mean record size). */
export function planBytesPerSecond(plan: PlannedTopic[], samples = 8): number {
  return plan.reduce((n, p) => n + p.rateHz * topicRecordBytes(p.meta, samples), 0);
}
