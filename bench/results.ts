/**
 * Benchmark results: printed as a table and merged into bench/results.json
 * (an array of { name, value, unit, baseline?, ratio? }; later benchmarks
 * append, a re-run replaces entries of the same name).
 */
import * as fs from 'fs';
import * as path from 'path';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The reference measured in the same run. */
  baseline?: number;
  /** value / baseline. */
  ratio?: number;
  /** What the baseline is and the target, for readers of the JSON. */
  note?: string;
}

export const RESULTS_FILE = path.join(__dirname, 'results.json');

/** The middle value (upper middle of an even count) of repeated measurements. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function withRatio(r: Omit<BenchResult, 'ratio'>): BenchResult {
  return r.baseline
    ? { ...r, value: round(r.value), baseline: round(r.baseline), ratio: round(r.value / r.baseline, 3) }
    : { ...r, value: round(r.value) };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function saveResults(results: BenchResult[], file = RESULTS_FILE): BenchResult[] {
  const existing: BenchResult[] = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
  const names = new Set(results.map((r) => r.name));
  const merged = [...existing.filter((r) => !names.has(r.name)), ...results];
  fs.writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

export function printResults(results: BenchResult[]): void {
  for (const r of results) {
    const ratio = r.ratio !== undefined ? `  ratio ${r.ratio} vs baseline ${r.baseline} ${r.unit}` : '';
    process.stdout.write(`${r.name.padEnd(36)} ${String(r.value).padStart(10)} ${r.unit}${ratio}${r.note ? `  (${r.note})` : ''}\n`);
  }
}
