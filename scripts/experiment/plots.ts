/**
 * The experiment's plots, as Vega-Lite specs (pure, tested) rendered headless: Vega draws SVG
 * (renderer "none": no browser, no canvas) and resvg turns the SVG into PNG.
 *   latency-histogram  share of messages per latency bucket, per stage
 *   latency-over-time  end-to-end median and p99 per second
 *   ingest-rate        messages per second produced, transformed and written to InfluxDB
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExperimentReport } from './report';
import { STAGE_TITLES } from './report';

type Spec = Record<string, unknown>;

const base = (title: string, r: ExperimentReport): Spec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: {
    text: title,
    subtitle: `${r.id}: ${r.settings.topics} topics, ${r.settings.rateFactor} × seed schedule, ${r.settings.seconds} s${r.status === 'failed' ? ' (failed run: partial)' : ''}`,
  },
  width: 640,
  height: 280,
  background: 'white',
  config: { font: 'DejaVu Sans', view: { stroke: null }, legend: { labelLimit: 400 } },
});

export function latencyHistogramSpec(r: ExperimentReport): Spec {
  const totals = new Map<string, number>();
  for (const h of r.histograms) totals.set(h.stage, (totals.get(h.stage) ?? 0) + h.count);
  const values = r.histograms.map((h) => ({
    stage: STAGE_TITLES[h.stage],
    fromMs: Math.max(h.fromMs, 0.5),
    toMs: h.toMs,
    share: h.count / (totals.get(h.stage) || 1),
  }));
  return {
    ...base('Latency per stage', r),
    data: { values },
    mark: { type: 'rect', opacity: 0.6 },
    encoding: {
      x: { field: 'fromMs', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log scale)' },
      x2: { field: 'toMs' },
      y: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: 'share of messages' },
      color: { field: 'stage', type: 'nominal', title: null, legend: { orient: 'top-left' } },
    },
  };
}

export function latencyOverTimeSpec(r: ExperimentReport): Spec {
  const values = r.timeline.flatMap((p) => [
    ...(p.e2eMedianMs !== null ? [{ t: p.t, ms: p.e2eMedianMs, series: 'median' }] : []),
    ...(p.e2eP99Ms !== null ? [{ t: p.t, ms: p.e2eP99Ms, series: 'p99' }] : []),
  ]);
  return {
    ...base('End-to-end latency over time (sal_created → InfluxDB ack, per second)', r),
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'seconds since the apps started' },
      y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

export function ingestRateSpec(r: ExperimentReport): Spec {
  const values = r.timeline.flatMap((p) => [
    { t: p.t, perS: p.producedPerS, series: 'produced (salmock)' },
    { t: p.t, perS: p.transformedPerS, series: 'transformed (saltransform)' },
    { t: p.t, perS: p.writtenPerS, series: 'written (InfluxDB points)' },
  ]);
  return {
    ...base('Ingest rate over time', r),
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'seconds since the apps started' },
      y: { field: 'perS', type: 'quantitative', title: 'messages per second' },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

export const PLOTS: Record<string, (r: ExperimentReport) => Spec> = {
  'latency-histogram': latencyHistogramSpec,
  'latency-over-time': latencyOverTimeSpec,
  'ingest-rate': ingestRateSpec,
};

/** Renders a Vega-Lite spec to `<dir>/<name>.svg` and `.png`; returns the two files. */
export async function renderSpec(spec: Spec, dir: string, name: string): Promise<string[]> {
  // ESM-only packages (vega has top-level await): loaded on demand
  const vega = await import('vega');
  // vega-lite's types resolve only under node16 module resolution: the one call used, typed here
  const vl = (await import('vega-lite' as string)) as { compile(spec: Spec): { spec: Parameters<typeof vega.parse>[0] } };
  const { Resvg } = await import('@resvg/resvg-js');
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const svgFile = path.join(dir, `${name}.svg`);
  const pngFile = path.join(dir, `${name}.png`);
  fs.writeFileSync(svgFile, svg);
  fs.writeFileSync(pngFile, new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng());
  return [svgFile, pngFile];
}

/** Renders every plot to `<dir>/<name>.svg` and `.png`; returns the files written. */
export async function renderPlots(r: ExperimentReport, dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const [name, make] of Object.entries(PLOTS)) files.push(...(await renderSpec(make(r), dir, name)));
  return files;
}
