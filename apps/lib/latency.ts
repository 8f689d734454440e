/**
 * Latency metrics: one Prometheus histogram with millisecond-fine buckets plus the largest value seen,
 * so a reader (the experiment report, a Grafana panel with histogram_quantile) gets median, p95, p99
 * within a bucket's width and the exact maximum. Every app's stage latency uses these buckets.
 */
import { Gauge, Histogram, Registry } from 'prom-client';

/**
 * Upper bounds in seconds: 1 ms steps to 10 ms, then widening steps (≤ 20 % of the value) to 5 min,
 * so an interpolated quantile is off by at most half a step (0.5 ms below 10 ms, ±2.5 ms at 25 ms).
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.01, 0.012, 0.014, 0.016, 0.018, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045,
  0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.125, 0.15, 0.175, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5,
  4, 5, 7.5, 10, 15, 20, 30, 60, 120, 300,
];

/** A stage latency: `<name>` histogram (seconds) and `<name>_max` gauge (largest value since start). */
export class LatencyMetric {
  readonly histogram: Histogram;
  readonly max: Gauge;
  private largest = 0;

  constructor(registry: Registry, name: string, help: string) {
    const existing = registry.getSingleMetric(name) as Histogram | undefined;
    this.histogram = existing ?? new Histogram({ name, help, buckets: [...LATENCY_BUCKETS], registers: [registry] });
    this.max =
      (registry.getSingleMetric(`${name}_max`) as Gauge | undefined) ??
      new Gauge({ name: `${name}_max`, help: `Largest value of ${name} since the process started (seconds)`, registers: [registry] });
  }

  /** Records one latency in seconds (negative clock skew counts as 0). */
  observe(seconds: number): void {
    const s = seconds > 0 ? seconds : 0;
    this.histogram.observe(s);
    if (s > this.largest) {
      this.largest = s;
      this.max.set(s);
    }
  }

  /** Records the latency from each epoch-millisecond stamp to `nowMs`. */
  observeSince(nowMs: number, stampsMs: ArrayLike<number>): void {
    for (let i = 0; i < stampsMs.length; i++) this.observe((nowMs - stampsMs[i]) / 1000);
  }
}

/** A latency histogram as read back: cumulative counts per upper bound (seconds), plus count, sum, max. */
export interface LatencySnapshot {
  /** [upper bound in seconds (Infinity for +Inf), cumulative count]. */
  buckets: [number, number][];
  count: number;
  sum: number;
  max: number;
}

/** The current values of a {@link LatencyMetric} (what `/metrics.json` carries, in one object). */
export async function latencySnapshot(m: LatencyMetric): Promise<LatencySnapshot> {
  const h = await m.histogram.get();
  const buckets: [number, number][] = [];
  let count = 0;
  let sum = 0;
  for (const v of h.values) {
    const name = (v as { metricName?: string }).metricName;
    if (name?.endsWith('_bucket')) buckets.push([v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), v.value]);
    else if (name?.endsWith('_count')) count = v.value;
    else if (name?.endsWith('_sum')) sum = v.value;
  }
  const max = (await m.max.get()).values[0]?.value ?? 0;
  return { buckets: buckets.sort((a, b) => a[0] - b[0]), count, sum, max };
}
