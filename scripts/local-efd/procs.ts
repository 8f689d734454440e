/**
 * Processes the local EFD started: detached spawn with output to a log file,
 * pid files (pid + kernel start time, so a recycled pid is never mistaken for
 * ours), stop by pid file, port owners, RSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { paths } from './layout';
import { EfdError, sleep } from './shell';

/** One server of the local EFD, as `up` prepares, starts and probes it (stack.ts, k8s.ts). */
export interface Server {
  name: string;
  /** Server that must be ready before this one starts (Connect needs its cluster's Kafka). */
  needs?: string;
  ports: number[];
  url: string;
  heap: string;
  readyTimeoutMs: number;
  prepare(say: (line: string) => void): Promise<void>;
  command(): { cmd: string; args: string[]; cwd?: string; runAs?: { uid: number; gid: number }; stopSignal?: NodeJS.Signals };
  ready(): Promise<boolean>;
  afterReady?(): Promise<void>;
}

export interface PidRecord {
  server: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat when started: identifies the process beyond its pid. */
  startTime: string;
  ports: number[];
  startedAt: string;
  command: string;
  /** What `down` sends first (default SIGTERM; PostgreSQL's fast shutdown is SIGINT). */
  stopSignal?: NodeJS.Signals;
}

export const pidFile = (server: string) => path.join(paths.pids(), `${server}.pid.json`);
export const logFile = (server: string) => path.join(paths.logs(), `${server}.log`);

function procStat(pid: number): string[] | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' '); // [0] = state (field 3)
  } catch {
    return undefined;
  }
}

const procStartTime = (pid: number) => procStat(pid)?.[19];

export function readPid(server: string): PidRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(pidFile(server), 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** The record if its process is alive and is still the one we started. */
export function runningPid(server: string): PidRecord | undefined {
  const rec = readPid(server);
  if (!rec) return undefined;
  const stat = procStat(rec.pid);
  if (!stat || stat[0] === 'Z' || stat[19] !== rec.startTime) return undefined;
  return rec;
}

export function isAlive(rec: PidRecord): boolean {
  const stat = procStat(rec.pid);
  return !!stat && stat[0] !== 'Z' && stat[19] === rec.startTime;
}

export function removePid(server: string): void {
  fs.rmSync(pidFile(server), { force: true });
}

export function listPidServers(): string[] {
  if (!fs.existsSync(paths.pids())) return [];
  return fs
    .readdirSync(paths.pids())
    .filter((f) => f.endsWith('.pid.json'))
    .map((f) => f.replace(/\.pid\.json$/, ''));
}

/** Keeps one previous log (`.log.1`) so a restart does not lose the last crash. */
function rotateLog(file: string): void {
  if (fs.existsSync(file)) fs.renameSync(file, `${file}.1`);
}

export interface SpawnSpec {
  server: string;
  cmd: string;
  args: string[];
  ports: number[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user (PostgreSQL refuses root). */
  runAs?: { uid: number; gid: number };
  stopSignal?: NodeJS.Signals;
}

/** Starts a server detached (own process group), stdout+stderr to its log file; writes its pid file. */
export function spawnServer(spec: SpawnSpec): PidRecord {
  fs.mkdirSync(paths.logs(), { recursive: true });
  fs.mkdirSync(paths.pids(), { recursive: true });
  const log = logFile(spec.server);
  rotateLog(log);
  const out = fs.openSync(log, 'a');
  fs.writeSync(out, `=== ${new Date().toISOString()} ${spec.cmd} ${spec.args.join(' ')}\n`);
  const child = spawn(spec.cmd, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
    ...(spec.runAs ?? {}),
  });
  fs.closeSync(out);
  child.on('error', () => {
    /* reported through the dead pid / log */
  });
  child.unref();
  if (!child.pid) throw new EfdError(`${spec.server}: could not start ${spec.cmd} (see ${log})`);
  const rec: PidRecord = {
    server: spec.server,
    pid: child.pid,
    startTime: procStartTime(child.pid) ?? '',
    ports: spec.ports,
    startedAt: new Date().toISOString(),
    command: `${spec.cmd} ${spec.args.join(' ')}`,
    ...(spec.stopSignal ? { stopSignal: spec.stopSignal } : {}),
  };
  fs.writeFileSync(pidFile(spec.server), JSON.stringify(rec, null, 2));
  return rec;
}

/** SIGTERM (or the server's stopSignal) to the server's process group, SIGKILL after `graceMs`; removes the pid file. */
export async function stopServer(server: string, graceMs = 30_000): Promise<'stopped' | 'killed' | 'not-running'> {
  const rec = runningPid(server);
  if (!rec) {
    removePid(server);
    return 'not-running';
  }
  signal(rec.pid, rec.stopSignal ?? 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(rec)) {
      removePid(server);
      return 'stopped';
    }
    await sleep(200);
  }
  signal(rec.pid, 'SIGKILL');
  while (isAlive(rec)) await sleep(100);
  removePid(server);
  return 'killed';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig); // the process group: detached children lead their own group
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** True if something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (v: boolean) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** True if we could bind 127.0.0.1:port right now. */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export interface PortOwner {
  pid?: number;
  name?: string;
  cmdline?: string;
}

/** Who listens on `port`: `ss -ltnpH`, falling back to /proc/net/tcp* + /proc/<pid>/fd. */
export function portOwner(port: number): PortOwner | undefined {
  const owner = ownerViaSs(port) ?? ownerViaProc(port);
  if (owner?.pid) {
    try {
      owner.cmdline = fs.readFileSync(`/proc/${owner.pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200);
    } catch {
      /* gone or not ours to read */
    }
  }
  return owner;
}

function ownerViaSs(port: number): PortOwner | undefined {
  const r = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.trim()) return undefined;
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(r.stdout);
  return m ? { name: m[1], pid: Number(m[2]) } : { name: 'unknown (ss shows no process: another user?)' };
}

function ownerViaProc(port: number): PortOwner | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) {
          return { pid: Number(pid), name: fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() };
        }
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return { name: 'unknown' };
}

export function describeOwner(o: PortOwner | undefined): string {
  if (!o) return 'an unknown process';
  const who = o.pid ? `pid ${o.pid} (${o.name ?? '?'})` : (o.name ?? 'an unknown process');
  return o.cmdline ? `${who}: ${o.cmdline}` : who;
}
