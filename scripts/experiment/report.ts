/**
 * The experiment report: every message accounted for, throughput and latency per stage, a timeline,
 * as JSON (`report.json`), a terminal summary and plots. Built from the samples alone, so a failed run
 * reports what it measured up to the failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LatencySnapshot } from '../../apps/lib/latency';
import type { SalmockSummary } from '../../apps/salmock/run';
import { between, bucketCounts, EMPTY_SNAPSHOT, LatencySummaryMs, quantile, summarize } from './latency';

export const STAGES = ['intoKafka', 'saltransform', 'sink', 'endToEnd'] as const;
export type Stage = (typeof STAGES)[number];
export const STAGE_TITLES: Record<Stage, string> = {
  intoKafka: 'into Kafka (salmock)',
  saltransform: 'through saltransform',
  sink: 'through the sink to InfluxDB',
  endToEnd: 'end to end (sal_created → InfluxDB ack)',
};

/** One poll of the apps' counters (cumulative) and latency histograms. */
export interface Sample {
  /** Seconds since the apps started. */
  t: number;
  produced: number;
  producedBytes: number;
  transformed: number;
  transformedBytes: number;
  written: number;
  writtenBytes: number;
  deadLettered: number;
  writeErrors: number;
  latency: Record<Stage, LatencySnapshot>;
}

export interface Rate {
  msgPerS: number;
  mbPerS: number;
}

export interface ExperimentReport {
  id: string;
  status: 'ok' | 'failed';
  error?: string;
  startedAt: string;
  finishedAt: string;
  settings: {
    site: string;
    xml: string;
    subsystems?: string[];
    topicsRegex?: string;
    topics: number;
    rateFactor: number;
    seconds: number;
    scheduledRate: number;
    prefix: string;
    database: string;
    endpoints: { kafka: string; registry: string; influxdb: string };
  };
  produced: number;
  transformed: number;
  written: number;
  deadLettered: number;
  /** produced − written − deadLettered (0 when every message is accounted for). */
  unaccounted: number;
  inInfluxDb?: { points: number; measurements: number; fields: number };
  /** Per stage, over the seconds that stage was busy. */
  throughput: { produced: Rate; transformed: Rate; written: Rate & { pointsPerS: number; fieldsPerS: number } };
  /** End to end: sal_created → InfluxDB acknowledged the point. */
  latencyMs: LatencySummaryMs;
  stages: Record<Stage, LatencySummaryMs>;
  /** Seconds from salmock's end to the last point written. */
  drainSeconds: number;
  timeline: {
    t: number;
    produced: number;
    transformed: number;
    written: number;
    deadLettered: number;
    producedPerS: number;
    transformedPerS: number;
    writtenPerS: number;
    e2eMedianMs: number | null;
    e2eP99Ms: number | null;
  }[];
  histograms: { stage: Stage; fromMs: number; toMs: number; count: number }[];
  files: string[];
}

export interface ReportInput {
  id: string;
  status: 'ok' | 'failed';
  error?: string;
  startedAt: Date;
  finishedAt: Date;
  settings: ExperimentReport['settings'];
  salmock?: SalmockSummary;
  samples: Sample[];
  inInfluxDb?: ExperimentReport['inInfluxDb'];
  mockStarted: number;
  mockDone: number;
  /** Wall time of the last sample in which the written count grew. */
  lastWritten: number;
}

const round = (v: number, digits = 1) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : 0);

/** Rate of a cumulative series over the seconds it was growing (first sample above 0 to the first at its final value). */
export function activeRate(samples: Sample[], count: (s: Sample) => number): number {
  const final = samples.length ? count(samples[samples.length - 1]) : 0;
  if (final <= 0) return 0;
  const firstIdx = samples.findIndex((s) => count(s) > 0);
  const lastIdx = samples.findIndex((s) => count(s) >= final);
  const from = firstIdx > 0 ? samples[firstIdx - 1].t : 0;
  const seconds = samples[lastIdx].t - from;
  return seconds > 0 ? final / seconds : 0;
}

const perS = (s: Sample, prev: Sample | undefined, f: (x: Sample) => number) =>
  prev ? round((f(s) - f(prev)) / Math.max(s.t - prev.t, 1e-3), 0) : 0;

export function buildReport(r: ReportInput): ExperimentReport {
  const last = r.samples[r.samples.length - 1];
  const produced = r.salmock?.produced ?? last?.produced ?? 0;
  const written = last?.written ?? 0;
  const deadLettered = last?.deadLettered ?? 0;
  const latency = {} as Record<Stage, LatencySummaryMs>;
  for (const st of STAGES) latency[st] = summarize(last?.latency[st] ?? EMPTY_SNAPSHOT);
  const mb = (bytes: number, msgs: number, rate: number) => (msgs > 0 ? round((rate * bytes) / msgs / 1e6, 2) : 0);
  const producedRate = r.salmock ? r.salmock.rate : activeRate(r.samples, (s) => s.produced);
  const transformedRate = activeRate(r.samples, (s) => s.transformed);
  const writtenRate = activeRate(r.samples, (s) => s.written);
  const fieldsPerPoint = r.inInfluxDb && r.inInfluxDb.points > 0 ? r.inInfluxDb.fields / r.inInfluxDb.points : 0;
  const timeline = r.samples.map((s, i) => {
    const prev = r.samples[i - 1];
    const window = between(prev?.latency.endToEnd, s.latency.endToEnd);
    const q = (p: number) => (window.count > 0 ? round(quantile(window, p) * 1000) : null);
    return {
      t: round(s.t),
      produced: s.produced,
      transformed: s.transformed,
      written: s.written,
      deadLettered: s.deadLettered,
      producedPerS: perS(s, prev, (x) => x.produced),
      transformedPerS: perS(s, prev, (x) => x.transformed),
      writtenPerS: perS(s, prev, (x) => x.written),
      e2eMedianMs: q(0.5),
      e2eP99Ms: q(0.99),
    };
  });
  return {
    id: r.id,
    status: r.status,
    ...(r.error ? { error: r.error } : {}),
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
    settings: r.settings,
    produced,
    transformed: last?.transformed ?? 0,
    written,
    deadLettered,
    unaccounted: produced - written - deadLettered,
    ...(r.inInfluxDb ? { inInfluxDb: r.inInfluxDb } : {}),
    throughput: {
      produced: { msgPerS: round(producedRate, 0), mbPerS: mb(r.salmock?.bytes ?? last?.producedBytes ?? 0, produced, producedRate) },
      transformed: { msgPerS: round(transformedRate, 0), mbPerS: mb(last?.transformedBytes ?? 0, last?.transformed ?? 0, transformedRate) },
      written: {
        msgPerS: round(writtenRate, 0),
        pointsPerS: round(writtenRate, 0),
        fieldsPerS: round(writtenRate * fieldsPerPoint, 0),
        mbPerS: mb(last?.writtenBytes ?? 0, written, writtenRate),
      },
    },
    latencyMs: latency.endToEnd,
    stages: latency,
    drainSeconds: r.mockDone && r.lastWritten ? round(Math.max(0, r.lastWritten - r.mockDone) / 1000) : 0,
    timeline,
    histograms: STAGES.flatMap((stage) => bucketCounts(last?.latency[stage] ?? EMPTY_SNAPSHOT).map((b) => ({ stage, ...b }))),
    files: [],
  };
}

const n = (v: number) => v.toLocaleString('en-US');
const lat = (l: LatencySummaryMs) =>
  l.count > 0 ? `median ${l.median} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, max ${l.max} ms` : 'no observation';

/** The terminal summary (the figures of report.json, and where the files are). */
export function summaryLines(r: ExperimentReport): string[] {
  const t = r.throughput;
  const lines = [
    `experiment ${r.id}: ${r.status === 'ok' ? 'done' : `FAILED: ${r.error?.split('\n')[0]}`}`,
    `  messages   produced ${n(r.produced)}, transformed ${n(r.transformed)}, written to InfluxDB ${n(r.written)}, dead-lettered ${n(r.deadLettered)}` +
      (r.unaccounted ? `, NOT ACCOUNTED FOR ${n(r.unaccounted)}` : ', all accounted for'),
    ...(r.inInfluxDb
      ? [
          `  InfluxDB   ${n(r.inInfluxDb.points)} points, ${n(r.inInfluxDb.fields)} fields in ${r.inInfluxDb.measurements} measurements (counted by InfluxDB)`,
        ]
      : []),
    `  throughput salmock ${n(t.produced.msgPerS)} msg/s (${t.produced.mbPerS} MB/s) · saltransform ${n(t.transformed.msgPerS)} msg/s (${t.transformed.mbPerS} MB/s) · ` +
      `InfluxDB ingest ${n(t.written.pointsPerS)} points/s, ${n(t.written.fieldsPerS)} fields/s (${t.written.mbPerS} MB/s)`,
    `  latency    ${STAGE_TITLES.endToEnd}: ${lat(r.stages.endToEnd)}`,
    ...(['intoKafka', 'saltransform', 'sink'] as const).map((s) => `             ${STAGE_TITLES[s]}: ${lat(r.stages[s])}`),
  ];
  if (r.written > 0) lines.push(`  drain      the last point was written ${r.drainSeconds} s after salmock stopped`);
  if (r.files.length) lines.push(`  report     ${r.files.map((f) => `file://${f}`).join('\n             ')}`);
  return lines;
}

/** Writes report.json and (unless disabled) the plots into `dir`; fills `report.files`. */
export async function writeReport(report: ExperimentReport, dir: string, opts: { plots: boolean }): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  report.files = [json];
  fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  if (!opts.plots || report.timeline.length === 0) return;
  const { renderPlots } = require('./plots') as typeof import('./plots');
  report.files.push(...(await renderPlots(report, dir)));
  fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
}
