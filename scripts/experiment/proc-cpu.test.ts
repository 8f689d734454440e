import * as fs from 'node:fs';
import { busyTicks, machineBusySeconds, processTree, statTicks, treeCpuSeconds } from './proc-cpu';

describe('statTicks and busyTicks', () => {
  it('utime + stime of a /proc/<pid>/stat line, a command name with spaces and parentheses too', () => {
    expect(statTicks('4242 (node) S 1 4242 4242 0 -1 4194560 9000 0 3 0 1234 56 0 0 20 0 11 0 8000 1000000 5000')).toBe(1290);
    expect(statTicks('7 (a b) (c)) R 1 7 7 0 -1 0 0 0 0 0 10 5 0 0')).toBe(15);
    expect(statTicks('garbage')).toBeUndefined();
  });

  it('busy ticks of /proc/stat: all but idle and iowait', () => {
    expect(busyTicks('cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\n')).toBe(161);
    expect(busyTicks('intr 1 2 3')).toBeUndefined();
  });
});

const linux = fs.existsSync('/proc/self/stat');
(linux ? describe : describe.skip)('on this machine (/proc)', () => {
  it('a process tree holds the process; its CPU grows with work; a process that is gone has none', () => {
    expect(processTree(process.pid)).toContain(process.pid);
    const before = treeCpuSeconds(process.pid)!;
    const t0 = Date.now();
    while (Date.now() - t0 < 150) Math.sqrt(Math.random());
    expect(treeCpuSeconds(process.pid)!).toBeGreaterThan(before);
    expect(treeCpuSeconds(2 ** 22 + 12345)).toBeUndefined();
    expect(treeCpuSeconds(undefined)).toBeUndefined();
    expect(machineBusySeconds()!).toBeGreaterThan(0);
  });
});
