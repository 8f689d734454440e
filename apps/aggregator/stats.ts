/**
 * The statistics of one field in one window (pure). Defined so that a reference computation can match
 * them exactly and so that they do not depend on the order the records arrived in:
 *  - the samples are the field's finite values (NaN and ±Infinity are not samples);
 *  - count = number of samples; min, max = the extremes; median = the middle sample, or the mean of
 *    the two middle ones (count even);
 *  - mean = (sum of the samples in ascending order) / count;
 *  - stdev = population standard deviation: sqrt((sum of (x − mean)² in ascending order of x) / count);
 *  - no sample: count 0, every other statistic null.
 */

export interface FieldStats {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  median: number | null;
  stdev: number | null;
}

export const EMPTY_STATS: Readonly<FieldStats> = Object.freeze({ count: 0, min: null, max: null, mean: null, median: null, stdev: null });

/** Statistics of `values[0..n)` (finite numbers); sorts that range of `values` in place. */
export function statsOf(values: Float64Array, n: number): FieldStats {
  if (n === 0) return { ...EMPTY_STATS };
  const v = n === values.length ? values : values.subarray(0, n);
  v.sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i];
  const mean = sum / n;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = v[i] - mean;
    m2 += d * d;
  }
  const mid = n >> 1;
  const median = n & 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { count: n, min: v[0], max: v[n - 1], mean, median, stdev: Math.sqrt(m2 / n) };
}

/** A growable scratch buffer of samples (one per aggregator: the close of a window is synchronous). */
export class Samples {
  buf = new Float64Array(256);
  n = 0;

  reset(): void {
    this.n = 0;
  }

  /**
   * Adds `x` when it is a finite number or a bigint (an exact long beyond ±2^53, taken as the nearest
   * double: the statistics are doubles); NaN, ±Infinity, null and non-numbers are not samples.
   */
  add(x: unknown): void {
    if (typeof x === 'bigint') x = Number(x);
    if (typeof x !== 'number' || x - x !== 0) return;
    if (this.n === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = x;
  }

  stats(): FieldStats {
    return statsOf(this.buf, this.n);
  }
}
