/**
 * Unit suite wall time on this machine (target ≤ 60 s), against jest's own
 * start-up with no test as the baseline.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { BenchResult, withRatio } from './results';

const root = path.resolve(__dirname, '..');
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');

function timed(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [jest, ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0 && !args.includes('--passWithNoTests')) throw new Error(`unit suite failed:\n${r.stderr.slice(-2000)}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function run(): Promise<BenchResult[]> {
  const baseline = timed(['--selectProjects', 'unit', '--passWithNoTests', '--testPathPatterns', '^$']);
  const suite = timed(['--selectProjects', 'unit']);
  return [
    withRatio({
      name: 'unit.suite.s',
      value: suite / 1000,
      unit: 's',
      baseline: baseline / 1000,
      note: 'baseline = jest start-up with no test; target ≤ 60',
    }),
  ];
}
