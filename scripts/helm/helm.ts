/**
 * The helm CLI: which binary (`--helm`, `$EFD_HELM`, the pinned build in the local EFD's cache from
 * `efd local install-helm`, or `helm` on PATH), and one bounded run of it. Helm's own config, cache and
 * repository files go to a scratch folder, so a run neither reads nor changes the operator's.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../apps/lib/exit-codes';
import { VERSIONS, paths } from '../local-efd/layout';

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const f = path.join(dir, name);
    if (dir && fs.existsSync(f)) return f;
  }
  return undefined;
}

export function helmBinary(explicit?: string): string {
  const given = explicit ?? process.env.EFD_HELM;
  if (given) {
    if (!fs.existsSync(given)) throw new UsageError(`helm binary ${given} (${explicit ? '--helm' : '$EFD_HELM'}) does not exist`);
    return given;
  }
  if (fs.existsSync(paths.helm())) return paths.helm();
  const found = onPath('helm');
  if (found) return found;
  throw new UsageError(
    `no helm CLI: not in the cache (${paths.helm()}) nor on PATH. Build the pinned ${VERSIONS.helm} with \`npx efd local install-helm\` ` +
      '(or `npx efd local up --k8s`), or pass --helm <binary>',
  );
}

export interface HelmRun {
  code: number;
  stdout: string;
  stderr: string;
}

let scratch: string | undefined;
function helmHome(): string {
  if (!scratch) {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-helm-'));
    process.once('exit', () => fs.rmSync(scratch as string, { recursive: true, force: true }));
  }
  return scratch;
}

/** Runs `helm args…`; resolves with its exit code and output (code -1 and a note when killed at `timeoutMs`). */
export function runHelm(bin: string, args: string[], timeoutMs = 120_000): Promise<HelmRun> {
  const home = helmHome();
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_DATA_HOME: path.join(home, 'data'),
  };
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: unknown }) | null;
      if (!e) return resolve({ code: 0, stdout, stderr });
      if (e.killed)
        return resolve({ code: -1, stdout, stderr: `${stderr}helm ${args[0]} did not finish within ${timeoutMs / 1000} s (killed)` });
      resolve({ code: typeof e.code === 'number' ? e.code : -1, stdout, stderr: stderr || e.message });
    });
  });
}

/** The last meaningful line of helm's error output (`Error: …`), for one-line reports. */
export function helmError(run: HelmRun): string {
  const lines = run.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const err = lines.filter((l) => l.startsWith('Error:'));
  return (err.length ? err.join('; ') : (lines.at(-1) ?? `exit ${run.code}`)).slice(0, 1000);
}
