import type { LatencySnapshot } from '../../apps/lib/latency';
import { activeRate, buildReport, ReportInput, Sample, summaryLines } from './report';
import { ingestRateSpec, latencyHistogramSpec, latencyOverTimeSpec } from './plots';

const lat = (count: number, maxS: number): LatencySnapshot => ({
  buckets: [
    [0.01, Math.round(count / 2)],
    [0.05, count],
    [Infinity, count],
  ],
  count,
  sum: count * 0.012,
  max: maxS,
});
const sample = (t: number, produced: number, transformed: number, written: number, dead = 0): Sample => ({
  t,
  produced,
  producedBytes: produced * 1000,
  transformed,
  transformedBytes: transformed * 500,
  written,
  writtenBytes: written * 2000,
  deadLettered: dead,
  writeErrors: 0,
  latency: {
    intoKafka: lat(produced, 0.004),
    saltransform: lat(transformed, 0.02),
    sink: lat(written, 0.03),
    endToEnd: lat(written, 0.045),
  },
});
const samples = [
  sample(1, 0, 0, 0),
  sample(2, 1000, 800, 600),
  sample(3, 2000, 1900, 1700),
  sample(4, 2000, 2000, 1990, 10),
  sample(5, 2000, 2000, 1990, 10),
];
const input: ReportInput = {
  id: 'exp1',
  status: 'ok',
  startedAt: new Date(0),
  finishedAt: new Date(5000),
  settings: {
    site: 'gcp',
    xml: '/x',
    topics: 3,
    rateFactor: 0.05,
    seconds: 2,
    scheduledRate: 1000,
    prefix: 'exp1.',
    database: 'efd_exp1',
    endpoints: { kafka: 'k:1', registry: 'http://r', influxdb: 'http://i' },
  },
  salmock: {
    mode: 'text',
    topics: 3,
    scheduledRate: 1000,
    produced: 2000,
    failed: 0,
    resent: 0,
    bytes: 2_000_000,
    seconds: 2,
    rate: 1000,
    stoppedBy: 'duration',
  },
  samples,
  inInfluxDb: { points: 1990, measurements: 3, fields: 19900 },
  mockStarted: 1000,
  mockDone: 3000,
  lastWritten: 4500,
};

describe('experiment report', () => {
  it('accounts for every message and gives each stage its own rate', () => {
    const r = buildReport(input);
    expect([r.produced, r.transformed, r.written, r.deadLettered, r.unaccounted]).toEqual([2000, 2000, 1990, 10, 0]);
    expect(r.throughput.produced).toEqual({ msgPerS: 1000, mbPerS: 1 });
    expect(r.throughput.transformed.msgPerS).toBe(Math.round(2000 / 3)); // busy from t=1 (the sample before the first) to t=4
    expect(r.throughput.written.fieldsPerS).toBe(Math.round((1990 / 3) * 10));
    expect(r.drainSeconds).toBe(1.5);
    expect(r.latencyMs).toEqual(r.stages.endToEnd);
    expect(r.stages.endToEnd.max).toBe(45);
    expect(r.stages.intoKafka.p99).toBe(4); // capped at the stage's maximum
  });
  it('keeps a timeline with per-second rates and per-interval end-to-end quantiles', () => {
    const r = buildReport(input);
    expect(r.timeline.map((p) => p.writtenPerS)).toEqual([0, 600, 1100, 290, 0]);
    expect(r.timeline[0].e2eMedianMs).toBeNull();
    expect(r.timeline[1].e2eMedianMs).toBe(10);
  });
  it('counts unaccounted messages and says so in the summary', () => {
    const r = buildReport({
      ...input,
      status: 'failed',
      error: 'after 180 s the sink wrote 1990 of 2100',
      salmock: { ...input.salmock!, produced: 2100 },
    });
    expect(r.unaccounted).toBe(100);
    const text = summaryLines(r).join('\n');
    expect(text).toMatch(/FAILED: after 180 s/);
    expect(text).toMatch(/NOT ACCOUNTED FOR 100/);
  });
  it('measures a rate over the samples in which the count grew', () => {
    expect(activeRate(samples, (s) => s.written)).toBeCloseTo(1990 / 3, 6);
    expect(activeRate([sample(1, 0, 0, 0)], (s) => s.written)).toBe(0);
  });
  it('plots histogram, latency over time and ingest rate from the report', () => {
    const r = buildReport(input);
    const h = latencyHistogramSpec(r) as { data: { values: { stage: string; share: number }[] } };
    const e2e = h.data.values.filter((v) => v.stage.startsWith('end to end'));
    expect(e2e.reduce((n, v) => n + v.share, 0)).toBeCloseTo(1, 12);
    const t = latencyOverTimeSpec(r) as { data: { values: { series: string }[] } };
    expect(t.data.values.filter((v) => v.series === 'p99')).toHaveLength(3); // intervals with new points only
    const g = ingestRateSpec(r) as { data: { values: unknown[] } };
    expect(g.data.values).toHaveLength(15);
  });
});
