/** Small process helpers shared by the installer and the process manager. */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** An error meant for the operator: what failed, where, and what to do. */
export class EfdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EfdError';
  }
}

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function requireTool(cmd: string, why: string, install: string): string {
  const found = which(cmd);
  if (!found) throw new EfdError(`'${cmd}' not found on PATH; it is needed ${why}. Install it: ${install}`);
  return found;
}

/** The system `java` (JAVA_HOME first), or a clear error. */
export function systemJava(): string {
  const home = process.env.JAVA_HOME;
  if (home && fs.existsSync(path.join(home, 'bin', 'java'))) return path.join(home, 'bin', 'java');
  return requireTool(
    'java',
    'to run Kafka, Kafka Connect and the schema registry',
    'Java 17 or newer, e.g. `apt-get install openjdk-17-jre-headless`',
  );
}

/** Major version of a java binary (17, 21, ...), or 0 if it cannot be run. */
export function javaMajor(java: string): number {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  if (!m) return 0;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

export function tailFile(file: string, lines: number): string {
  if (!fs.existsSync(file)) return `(no log file ${file})`;
  const size = fs.statSync(file).size;
  const len = Math.min(size, Math.max(4096, lines * 400));
  const buf = Buffer.alloc(len);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, buf, 0, len, size - len);
  } finally {
    fs.closeSync(fd);
  }
  const all = buf.toString('utf8').split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all.slice(-lines).join('\n');
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Output (stdout+stderr) goes to this file; its tail is quoted on failure. */
  logFile: string;
  what: string;
  /** Secrets among the arguments: written to the log as `***`. */
  redact?: readonly string[];
}

/** The command line as the log shows it, each `redact` string as `***`. */
export function loggedCommand(cmd: string, args: readonly string[], redact: readonly string[] = []): string {
  const hide = (a: string) => redact.filter(Boolean).reduce((x, secret) => x.split(secret).join('***'), a);
  return `${cmd} ${args.map(hide).join(' ')}`;
}

/** Runs a command to completion; rejects with the log tail if it fails. */
export function run(cmd: string, args: string[], opts: RunOptions): Promise<void> {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const out = fs.openSync(opts.logFile, 'a');
  fs.writeSync(out, `\n$ ${loggedCommand(cmd, args, opts.redact)}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', out, out] });
    child.on('error', (err) => {
      fs.closeSync(out);
      reject(new EfdError(`${opts.what}: cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code) => {
      fs.closeSync(out);
      if (code === 0) return resolve();
      reject(new EfdError(`${opts.what} failed (exit ${code}). Full log: ${opts.logFile}\n` + tailFile(opts.logFile, 25)));
    });
  });
}

/** Like {@link run}, but resolves with the command's stdout (stderr goes to the log file). */
export function runCapture(cmd: string, args: string[], opts: RunOptions): Promise<string> {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const out = fs.openSync(opts.logFile, 'a');
  fs.writeSync(out, `\n$ ${loggedCommand(cmd, args, opts.redact)}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', out] });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => {
      fs.closeSync(out);
      reject(new EfdError(`${opts.what}: cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code) => {
      const text = Buffer.concat(chunks).toString('utf8');
      fs.writeSync(out, text);
      fs.closeSync(out);
      if (code === 0) return resolve(text);
      reject(new EfdError(`${opts.what} failed (exit ${code}). Full log: ${opts.logFile}\n` + tailFile(opts.logFile, 25)));
    });
  });
}

export { sleep } from '../../apps/lib/retry';

export function seconds(sinceMs: number): number {
  return Math.round((Date.now() - sinceMs) / 100) / 10;
}
