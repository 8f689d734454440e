/**
 * CPU seconds from Linux's /proc, for the experiments' reports: a process with its descendants (a `tsx`
 * wrapper and the node process it starts), and the whole machine's busy time (what every process used,
 * ours and others': on a shared machine the share left to the run). Undefined where /proc is not there.
 */
import * as fs from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux architecture in use). */
export const TICKS_PER_S = 100;

/** utime + stime of a `/proc/<pid>/stat` line, in ticks (the command name may hold spaces and parentheses). */
export function statTicks(stat: string): number | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** Busy ticks of all CPUs from `/proc/stat`'s first line: everything but idle and iowait. */
export function busyTicks(procStat: string): number | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is inside user)
  const total = v.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  return total - (v[3] ?? 0) - (v[4] ?? 0);
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `pid` and its descendants (alive now). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    for (const task of fs.readdirSync(`/proc/${p}/task`, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const kids = read(`/proc/${p}/task/${task.name}/children`);
      if (kids) todo.push(...kids.trim().split(/\s+/).filter(Boolean).map(Number));
    }
  }
  return out;
}

/** CPU seconds a process and its descendants used so far; undefined when it is gone (or no /proc). */
export function treeCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let ticks = 0;
    for (const p of processTree(pid)) ticks += statTicks(read(`/proc/${p}/stat`) ?? '') ?? 0;
    return ticks / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine since boot (all cores); undefined without /proc. */
export function machineBusySeconds(): number | undefined {
  const s = read('/proc/stat');
  const t = s === undefined ? undefined : busyTicks(s);
  return t === undefined ? undefined : t / TICKS_PER_S;
}
