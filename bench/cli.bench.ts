/**
 * CLI start-up: `efd --help` as a user runs it (bin/efd, a cold process; target ≤ 500 ms), and
 * `efd salschema convert --help` (loads one app), against `node -e 0` in the same run as the baseline.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { BenchResult, median, withRatio } from './results';

const root = path.resolve(__dirname, '..');
const efd = path.join(root, 'bin', 'efd');

function wallMs(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function run(runs = 7): Promise<BenchResult[]> {
  wallMs([efd, 'salschema', 'convert', '--help']); // warm tsx's transform cache and the file cache
  const help: number[] = [];
  const app: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < runs; i++) {
    node.push(wallMs(['-e', '0']));
    help.push(wallMs([efd, '--help']));
    app.push(wallMs([efd, 'salschema', 'convert', '--help']));
  }
  const note = `cold process, median of ${runs}; baseline = node -e 0 in the same run`;
  return [
    withRatio({ name: 'cli.help.ms', value: median(help), unit: 'ms', baseline: median(node), note: `${note}; target ≤ 500` }),
    withRatio({
      name: 'cli.salschema_convert_help.ms',
      value: median(app),
      unit: 'ms',
      baseline: median(node),
      note: `${note}; loads the salschema app only`,
    }),
  ];
}
