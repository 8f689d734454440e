/**
 * Quantiles from cumulative latency buckets, as Prometheus' histogram_quantile computes them: find the
 * bucket holding the q-th observation and interpolate linearly inside it. The maximum is the exact one
 * the apps keep beside each histogram; a quantile never exceeds it.
 */
import type { LatencySnapshot } from '../../apps/lib/latency';

export interface LatencySummaryMs {
  count: number;
  median: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** The q-quantile (0..1) in seconds of a snapshot; NaN when it holds no observation. */
export function quantile(s: LatencySnapshot, q: number): number {
  if (s.count <= 0) return NaN;
  const rank = q * s.count;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, cum] of s.buckets) {
    if (cum >= rank && cum > prevCount) {
      if (!Number.isFinite(bound)) return s.max; // beyond the last finite bound: the largest value seen
      const v = prevBound + ((bound - prevBound) * (rank - prevCount)) / (cum - prevCount);
      return s.max > 0 ? Math.min(v, s.max) : v;
    }
    prevBound = Number.isFinite(bound) ? bound : prevBound;
    prevCount = cum;
  }
  return s.max;
}

const ms = (seconds: number) => Math.round(seconds * 1e4) / 10;

/** Median, p95, p99, max and mean in milliseconds (0.1 ms resolution). */
export function summarize(s: LatencySnapshot): LatencySummaryMs {
  return {
    count: s.count,
    median: ms(quantile(s, 0.5)),
    p95: ms(quantile(s, 0.95)),
    p99: ms(quantile(s, 0.99)),
    max: ms(s.max),
    mean: s.count > 0 ? ms(s.sum / s.count) : NaN,
  };
}

/** What was observed between two snapshots of the same histogram (max: the later one's, an upper bound). */
export function between(earlier: LatencySnapshot | undefined, later: LatencySnapshot): LatencySnapshot {
  if (!earlier) return later;
  const before = new Map(earlier.buckets);
  return {
    buckets: later.buckets.map(([b, c]) => [b, c - (before.get(b) ?? 0)]),
    count: later.count - earlier.count,
    sum: later.sum - earlier.sum,
    max: later.max,
  };
}

/** Observations per bucket (not cumulative), for a histogram plot: [lower, upper bound in ms, count]. */
export function bucketCounts(s: LatencySnapshot): { fromMs: number; toMs: number; count: number }[] {
  const out: { fromMs: number; toMs: number; count: number }[] = [];
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, cum] of s.buckets) {
    const to = Number.isFinite(bound) ? bound : Math.max(s.max, prevBound);
    if (cum - prevCount > 0) out.push({ fromMs: ms(prevBound), toMs: ms(to), count: cum - prevCount });
    prevBound = to;
    prevCount = cum;
  }
  return out;
}

/** An empty snapshot (a stage that observed nothing yet). */
export const EMPTY_SNAPSHOT: LatencySnapshot = { buckets: [], count: 0, sum: 0, max: 0 };
