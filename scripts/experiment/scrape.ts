/**
 * Reads an app's metrics from its `/metrics.json` (prom-client's JSON): counter sums over all label
 * sets, and latency histograms as {@link LatencySnapshot}s. An app that is starting or gone reads as
 * undefined, so a poll loop keeps its last good sample.
 */
import type { LatencySnapshot } from '../../apps/lib/latency';

interface MetricJson {
  name: string;
  type: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

export class MetricsSample {
  private readonly byName: Map<string, MetricJson>;

  constructor(metrics: MetricJson[]) {
    this.byName = new Map(metrics.map((m) => [m.name, m]));
  }

  /** Sum of a counter or gauge over all its label sets (0 when absent). */
  sum(name: string): number {
    return (this.byName.get(name)?.values ?? []).reduce((n, v) => n + (Number(v.value) || 0), 0);
  }

  /** The histogram `name` with its `<name>_max` gauge, or undefined when the app has none. */
  latency(name: string): LatencySnapshot | undefined {
    const h = this.byName.get(name);
    if (!h) return undefined;
    const buckets: [number, number][] = [];
    let count = 0;
    let sum = 0;
    for (const v of h.values) {
      if (v.metricName === `${name}_bucket`) buckets.push([v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), v.value]);
      else if (v.metricName === `${name}_count`) count = v.value;
      else if (v.metricName === `${name}_sum`) sum = v.value;
    }
    return { buckets: buckets.sort((a, b) => a[0] - b[0]), count, sum, max: this.sum(`${name}_max`) };
  }
}

/** One scrape of `http://127.0.0.1:<port>/metrics.json`; undefined when the app does not answer. */
export async function scrape(port: number, timeoutMs = 2000): Promise<MetricsSample | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics.json`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return new MetricsSample((await res.json()) as MetricJson[]);
  } catch {
    return undefined;
  }
}
