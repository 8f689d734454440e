/**
 * `npm run bench [-- name…]`: runs the benchmarks (bench/*.bench.ts), prints
 * their figures with the ratio against the baseline measured in the same run,
 * and merges them into bench/results.json.
 *
 * Each benchmark runs in its own process (a fresh heap and no handles left by the one before), once the
 * machine has settled: the servers keep working after a benchmark (InfluxDB compacting and dropping
 * databases, Kafka deleting topics), and a CPU-bound benchmark measured meanwhile reads up to 2× slow.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sleep } from '../apps/lib/retry';
import { BenchResult, printResults, RESULTS_FILE, saveResults } from './results';
import { selectBenchFiles } from './select';

/** Busy fraction of all cores over `ms`, from /proc/stat (0 where /proc is missing). */
async function busy(ms: number): Promise<number> {
  const read = () => {
    try {
      const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return undefined;
    }
  };
  const a = read();
  await sleep(ms);
  const b = read();
  if (!a || !b || b.total === a.total) return 0;
  return 1 - (b.idle - a.idle) / (b.total - a.total);
}

/** Waits (≤ 60 s) until the machine is ≤ 25 % busy for two seconds in a row; returns the seconds waited. */
async function settle(): Promise<number> {
  const t0 = Date.now();
  let calm = 0;
  while (calm < 2 && Date.now() - t0 < 60_000) calm = (await busy(1000)) <= 0.25 ? calm + 1 : 0;
  return (Date.now() - t0) / 1000;
}

function runOne(file: string): Promise<BenchResult[]> {
  const out = path.join(os.tmpdir(), `efd-bench-${process.pid}-${file}.json`);
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [path.join(__dirname, 'run-one.ts'), file, out], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`exited with ${code}`));
      const r = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchResult[];
      fs.rmSync(out, { force: true });
      resolve(r);
    });
  });
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = selectBenchFiles(
    fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')),
    wanted,
  );
  // Benchmarks against real servers (saltransform's is offline): make sure the local EFD runs (no-op when it does).
  if (
    files.some((f) =>
      /^(kafka-clients|kafka-consumers|salmock|alerts-produce|alerts-filter|influxdb-sink|replication|experiment|faults)\./.test(f),
    )
  ) {
    const { up } = require('../scripts/local-efd') as typeof import('../scripts/local-efd');
    await up({ say: (line) => process.stderr.write(`[efd local] ${line}\n`) });
  }
  const results: BenchResult[] = [];
  const failed: string[] = [];
  for (const file of files) {
    const waited = await settle();
    process.stdout.write(`# ${file}${waited >= 2.5 ? ` (after ${waited.toFixed(0)} s for the machine to settle)` : ''}\n`);
    try {
      const r = await runOne(file);
      printResults(r);
      results.push(...r);
    } catch (err) {
      // One failed benchmark does not hide the others' figures; the run still exits non-zero.
      process.stderr.write(`bench ${file} failed: ${(err as Error).message}\n`);
      failed.push(file);
    }
  }
  saveResults(results);
  process.stdout.write(`wrote ${path.relative(process.cwd(), RESULTS_FILE)}\n`);
  if (failed.length) throw new Error(`${failed.length} benchmark(s) failed: ${failed.join(', ')}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});
