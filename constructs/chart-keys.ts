/**
 * Checks Helm values against a chart's default values.yaml: every key we set
 * must be one the chart knows — present in its defaults, documented there as
 * a commented-out key, or under a free-form map (config, env, annotations…).
 * Catches a misspelt key, which Helm would silently ignore.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import type { Values } from './helm-values';

/** Maps whose children are free-form by design of the charts. */
const FREE_FORM = new Set([
  'configurationOverrides',
  'customEnv',
  'env',
  'envVars',
  'config',
  'podAnnotations',
  'podLabels',
  'annotations',
  'labels',
  'nodeSelector',
  'requests',
  'limits',
]);

export interface ChartDefaults {
  values: Values;
  /** Keys that appear only in comments (`# existingSecret: …`). */
  commented: Set<string>;
  /** Subcharts of an umbrella chart, by name. */
  subcharts: Map<string, ChartDefaults>;
}

export function readChartDefaults(dir: string): ChartDefaults {
  const text = fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8');
  const commented = new Set([...text.matchAll(/^\s*#+\s*([A-Za-z][\w.-]*):/gm)].map((m) => m[1]));
  const subcharts = new Map<string, ChartDefaults>();
  const chartsDir = path.join(dir, 'charts');
  if (fs.existsSync(chartsDir)) {
    for (const name of fs.readdirSync(chartsDir)) {
      if (fs.existsSync(path.join(chartsDir, name, 'values.yaml'))) subcharts.set(name, readChartDefaults(path.join(chartsDir, name)));
    }
  }
  return { values: (parse(text) ?? {}) as Values, commented, subcharts };
}

const isMap = (v: unknown): v is Values => !!v && typeof v === 'object' && !Array.isArray(v);

/** Key paths in `ours` that the chart does not know. */
export function unknownKeys(ours: Values, chart: ChartDefaults, prefix = ''): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(ours)) {
    const keyPath = prefix ? `${prefix}.${key}` : key;
    const sub = !prefix ? chart.subcharts.get(key) : undefined;
    if (sub) {
      // Umbrella chart: the subchart's defaults and the umbrella's both apply.
      const merged: ChartDefaults = {
        values: { ...sub.values, ...((chart.values[key] as Values) ?? {}) },
        commented: new Set([...sub.commented, ...chart.commented]),
        subcharts: new Map(),
      };
      if (isMap(value)) problems.push(...unknownKeys(value, merged, keyPath));
      continue;
    }
    const known = Object.prototype.hasOwnProperty.call(chart.values, key);
    if (!known && !chart.commented.has(key)) {
      problems.push(keyPath);
      continue;
    }
    const theirs = chart.values[key];
    const freeForm = FREE_FORM.has(key) || theirs === null || (isMap(theirs) && Object.keys(theirs).length === 0) || !known;
    if (isMap(value) && !freeForm && isMap(theirs)) {
      problems.push(...unknownKeys(value, { values: theirs, commented: chart.commented, subcharts: new Map() }, keyPath));
    }
  }
  return problems;
}
