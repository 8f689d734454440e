/**
 * Synth speed: all sites in one cold process (target ≤ 3 s, ≤ 1 GB peak RSS),
 * against one site in the same conditions as the baseline.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { BenchResult, median, withRatio } from './results';

const root = path.resolve(__dirname, '..');
const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');

interface Once {
  sites: number;
  loadMs: number;
  synthMs: number;
  peakRssMb: number;
  wallMs: number;
}

function once(args: string[]): Once {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [tsx, path.join(__dirname, 'synth-once.ts'), ...args], { cwd: root, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`synth benchmark failed: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as Omit<Once, 'wallMs'>), wallMs };
}

export async function run(runs = 5): Promise<BenchResult[]> {
  once([]); // warm the file cache
  const all: Once[] = [];
  const one: Once[] = [];
  for (let i = 0; i < runs; i++) {
    all.push(once([]));
    one.push(once(['--site', 'summit']));
  }
  const note = 'cold process, median of 5; baseline = one site (summit) in the same conditions';
  return [
    withRatio({
      name: 'synth.all_sites.ms',
      value: median(all.map((o) => o.wallMs)),
      unit: 'ms',
      baseline: median(one.map((o) => o.wallMs)),
      note: `${note}; target ≤ 3000`,
    }),
    withRatio({
      name: 'synth.all_sites.synth_only.ms',
      value: median(all.map((o) => o.synthMs)),
      unit: 'ms',
      baseline: median(one.map((o) => o.synthMs)),
      note: 'construct + synth time after modules loaded',
    }),
    withRatio({
      name: 'synth.all_sites.peak_rss.mb',
      value: Math.max(...all.map((o) => o.peakRssMb)),
      unit: 'MB',
      baseline: Math.max(...one.map((o) => o.peakRssMb)),
      note: 'target ≤ 1024',
    }),
  ];
}
