/**
 * `npm run diff -- --base <ref>`: synthesizes the base ref (in a git worktree
 * sharing this checkout's node_modules) and the working tree, then prints per
 * stack what a reviewer needs. Offline: no credentials, no network.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { loadSites } from '../config/load';
import { synthSites } from './synth';
import { diffSynths, renderDiff } from './stack-diff';

const root = path.resolve(__dirname, '..');

function git(args: string[], cwd = root): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function defaultBase(): string {
  for (const ref of ['origin/main', 'main']) {
    try {
      git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
      return ref;
    } catch {
      /* try the next */
    }
  }
  return 'HEAD';
}

/** Synthesizes `ref` into `outdir`; a ref without the cdktf app yields an empty synth. */
function synthRef(ref: string, outdir: string): void {
  const commit = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-diff-base-'));
  git(['worktree', 'add', '--detach', '--force', tree, commit]);
  try {
    if (!fs.existsSync(path.join(tree, 'main.ts'))) return;
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'main.ts'], {
      cwd: tree,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`synth of base ${ref} (${commit.slice(0, 12)}) failed:\n${result.stderr}`);
  } finally {
    git(['worktree', 'remove', '--force', tree]);
  }
}

async function main(): Promise<void> {
  const program = new Command('synth-diff')
    .description('synth the base ref and the working tree, and print what changed per stack')
    .option('--base <ref>', 'git ref to compare with (default: origin/main, else main)')
    .option('--json <file>', 'also write the diff as JSON')
    .option('--exit-code', 'exit 2 when something changed (for CI gates)')
    .parse(process.argv);
  const opts = program.opts<{ base?: string; json?: string; exitCode?: boolean }>();
  const started = Date.now();
  const base = opts.base ?? defaultBase();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-diff-'));
  try {
    const baseOut = path.join(work, 'base');
    const headOut = path.join(work, 'head');
    synthRef(base, baseOut);
    synthSites(loadSites(), headOut);
    const diffs = diffSynths(baseOut, headOut);
    process.stdout.write(renderDiff(diffs).replace(/^Synth diff:/, `Synth diff against ${base}:`));
    process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify({ base, diffs }, null, 2)}\n`);
    if (opts.exitCode && diffs.some((d) => d.status !== 'unchanged')) process.exitCode = 2;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`synth-diff: ${err.message}\n`);
  process.exit(1);
});
