/**
 * `npm run bench [-- name…]`: runs the benchmarks (bench/*.bench.ts), prints
 * their figures with the ratio against the baseline measured in the same run,
 * and merges them into bench/results.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BenchResult, printResults, RESULTS_FILE, saveResults } from './results';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !wanted.length || wanted.some((w) => f.startsWith(w)))
    .sort();
  // Benchmarks against real servers: make sure the local EFD runs (no-op when it does).
  if (files.some((f) => /^(salmock|saltransform|influxdb-sink)\./.test(f))) {
    const { up } = await import('../scripts/local-efd');
    await up({ say: (line) => process.stderr.write(`[efd local] ${line}\n`) });
  }
  const results: BenchResult[] = [];
  const failed: string[] = [];
  for (const file of files) {
    process.stdout.write(`# ${file}\n`);
    try {
      const mod = (await import(path.join(__dirname, file))) as { run: () => Promise<BenchResult[]> };
      const r = await mod.run();
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
