import type { LatencySnapshot } from '../../apps/lib/latency';
import { between, bucketCounts, quantile, summarize } from './latency';

// 100 observations: 50 in (0, 10 ms], 40 in (10, 20 ms], 9 in (20, 50 ms], 1 in (50 ms, +Inf) at 80 ms
const snap: LatencySnapshot = {
  buckets: [
    [0.01, 50],
    [0.02, 90],
    [0.05, 99],
    [Infinity, 100],
  ],
  count: 100,
  sum: 1.5,
  max: 0.08,
};

describe('latency quantiles from cumulative buckets', () => {
  it('interpolates inside the bucket that holds the rank (histogram_quantile)', () => {
    expect(quantile(snap, 0.5)).toBeCloseTo(0.01, 12);
    expect(quantile(snap, 0.7)).toBeCloseTo(0.015, 12); // 20th of 40 in (10, 20]
    expect(quantile(snap, 0.95)).toBeCloseTo(0.02 + (0.03 * 5) / 9, 12);
    expect(quantile(snap, 0.25)).toBeCloseTo(0.005, 12);
  });
  it('answers the exact maximum beyond the last finite bound, and never more than it', () => {
    expect(quantile(snap, 1)).toBe(0.08);
    const capped: LatencySnapshot = {
      buckets: [
        [0.1, 2],
        [Infinity, 2],
      ],
      count: 2,
      sum: 0.04,
      max: 0.03,
    };
    expect(quantile(capped, 0.99)).toBe(0.03);
  });
  it('is NaN without observations', () => {
    expect(quantile({ buckets: [[0.01, 0]], count: 0, sum: 0, max: 0 }, 0.5)).toBeNaN();
  });
  it('summarizes in milliseconds', () => {
    expect(summarize(snap)).toEqual({ count: 100, median: 10, p95: 36.7, p99: 50, max: 80, mean: 15 });
  });
  it('takes the difference of two snapshots (one interval of a run)', () => {
    const earlier: LatencySnapshot = {
      buckets: [
        [0.01, 40],
        [0.02, 40],
        [0.05, 40],
        [Infinity, 40],
      ],
      count: 40,
      sum: 0.2,
      max: 0.01,
    };
    const d = between(earlier, snap);
    expect(d.count).toBe(60);
    expect(d.buckets).toEqual([
      [0.01, 10],
      [0.02, 50],
      [0.05, 59],
      [Infinity, 60],
    ]);
    expect(d.sum).toBeCloseTo(1.3, 12);
  });
  it('lists per-bucket counts for plots, the open bucket ending at the maximum', () => {
    expect(bucketCounts(snap)).toEqual([
      { fromMs: 0, toMs: 10, count: 50 },
      { fromMs: 10, toMs: 20, count: 40 },
      { fromMs: 20, toMs: 50, count: 9 },
      { fromMs: 50, toMs: 80, count: 1 },
    ]);
  });
});
