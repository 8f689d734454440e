/** One benchmark in its own process (see run.ts): `tsx bench/run-one.ts <file>.bench.ts <results.json>`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchResult } from './results';

async function main(): Promise<void> {
  const [file, out] = process.argv.slice(2);
  if (!file || !out) throw new Error('usage: run-one.ts <name>.bench.ts <results.json>');
  const mod = (await import(path.join(__dirname, file))) as { run: () => Promise<BenchResult[]> };
  fs.writeFileSync(out, JSON.stringify(await mod.run()));
}

main().then(
  () => process.exit(0), // a benchmark's leftover handles (sockets, timers) must not keep it alive
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
