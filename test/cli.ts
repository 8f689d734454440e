/** Running `efd …` in this process (apps/cli/main.ts runCli) for tests: exit code and what it printed. */
import * as net from 'node:net';
import { Command } from 'commander';
import { runCli } from '../apps/cli/main';

export interface EfdRun {
  code: number;
  /** stdout and stderr, in order. */
  output: string;
  stdout: string;
}

/** Runs `efd <argv>`, capturing what it prints (stdout also on its own, for --json). */
export async function efd(...argv: string[]): Promise<EfdRun> {
  const chunks: string[] = [];
  const outChunks: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    outChunks.push(String(chunk));
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    return { code: await runCli(argv), output: chunks.join(''), stdout: outChunks.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
}

/** `efd <argv> --json`, parsed; throws with the output when it did not exit 0. */
export async function efdJson<T = unknown>(...argv: string[]): Promise<T> {
  const r = await efd(...argv, '--json');
  if (r.code !== 0) throw new Error(`efd ${argv.join(' ')} exited ${r.code}: ${r.output}`);
  return JSON.parse(r.stdout) as T;
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Runs `fn` with stdin as no terminal (a script, CI): what a confirmation sees then. */
export async function withoutTty<T>(fn: () => Promise<T>): Promise<T> {
  const had = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
  Object.defineProperty(process.stdin, 'isTTY', { value: undefined, configurable: true });
  try {
    return await fn();
  } finally {
    if (had) Object.defineProperty(process.stdin, 'isTTY', had);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  }
}

/**
 * What a command makes of its arguments: the real command (`register` adds it to a program), its action
 * replaced by one that keeps the parsed flags. `argv` starts with the command's name.
 */
export async function parsedFlags(register: (program: Command) => Command, argv: string[]): Promise<Record<string, unknown>> {
  const program = new Command().exitOverride();
  let flags: Record<string, unknown> = {};
  register(program)
    .exitOverride()
    .action((o: Record<string, unknown>) => {
      flags = o;
    });
  await program.parseAsync(argv, { from: 'user' });
  return flags;
}
