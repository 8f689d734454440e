import { createMetricsRegistry } from './metrics';
import { LATENCY_BUCKETS, LatencyMetric } from './latency';

describe('LatencyMetric', () => {
  it('counts each latency into the fine buckets and keeps the largest', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const m = new LatencyMetric(registry, 'stage_latency_seconds', 'test stage');
    m.observeSince(10_000, [9_999, 9_990, 9_975, 9_000]); // 1 ms, 10 ms, 25 ms, 1 s
    m.observe(-0.002); // clock skew → 0
    const json = await registry.getMetricsAsJSON();
    const hist = json.find((x) => x.name === 'stage_latency_seconds')!;
    const bucket = (le: number) =>
      hist.values.find((v) => v.labels.le === le && (v as { metricName?: string }).metricName === 'stage_latency_seconds_bucket')?.value;
    expect(bucket(0.001)).toBe(2);
    expect(bucket(0.01)).toBe(3);
    expect(bucket(0.025)).toBe(4);
    expect(bucket(1)).toBe(5);
    expect(json.find((x) => x.name === 'stage_latency_seconds_max')!.values[0].value).toBe(1);
  });

  it('reuses the metrics already in a registry (two apps in one process)', () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const a = new LatencyMetric(registry, 'x_seconds', 'x');
    const b = new LatencyMetric(registry, 'x_seconds', 'x');
    expect(b.histogram).toBe(a.histogram);
  });

  it('has ascending buckets, 1 ms steps up to 10 ms, then no step wider than a fifth of its bound up to 5 s', () => {
    for (let i = 1; i < LATENCY_BUCKETS.length; i++) expect(LATENCY_BUCKETS[i]).toBeGreaterThan(LATENCY_BUCKETS[i - 1]);
    expect(LATENCY_BUCKETS.slice(0, 10).map((b) => Math.round(b * 1000))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 10; i < LATENCY_BUCKETS.length && LATENCY_BUCKETS[i] <= 5; i++) {
      expect(LATENCY_BUCKETS[i] - LATENCY_BUCKETS[i - 1]).toBeLessThanOrEqual(LATENCY_BUCKETS[i] * 0.2 + 1e-12);
    }
  });
});
