import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Server } from './procs';

// the pid files and logs of the fake servers go to a state dir of this test's own
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-start-all-'));
process.env.EFD_LOCAL_DIR = stateDir;
// required after EFD_LOCAL_DIR is set (the state paths are read when the module loads)
const { startAll } = require('./stack') as typeof import('./stack');

/** A server whose process is `sleep` and which is ready once `open()` is called. */
function fake(name: string, needs?: string): Server & { open(): void; pid(): number | undefined } {
  let isOpen = false;
  return {
    name,
    needs,
    ports: [],
    url: `fake://${name}`,
    heap: '-',
    readyTimeoutMs: 30_000,
    prepare: async () => undefined,
    command: () => ({ cmd: '/bin/sleep', args: ['30'] }),
    ready: async () => isOpen,
    open: () => {
      isOpen = true;
    },
    pid: () => {
      const f = path.join(stateDir, 'pids', `${name}.json`);
      return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as { pid: number }).pid : undefined;
    },
  };
}

describe('startAll with deferred servers', () => {
  const servers = [fake('kafka-a'), fake('connect-a', 'kafka-a'), fake('mirror', 'connect-a'), fake('influxdb')];
  const [kafka, connect, mirror, influx] = servers;
  const lines: string[] = [];
  afterAll(() => {
    for (const s of servers) {
      const pid = s.pid();
      if (pid) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('settles `ready` without the deferred servers and `deferred` once they are ready', async () => {
    const { deferred, pending } = startAll(servers, servers, (l) => lines.push(l), ['connect-']);
    // what needs a deferred server is deferred too
    expect(deferred).toEqual(['connect-a', 'mirror']);
    let readySettled = false;
    let deferredSettled = false;
    void pending.ready.then(() => (readySettled = true));
    void pending.deferred.then(() => (deferredSettled = true));
    kafka.open();
    influx.open();
    await pending.ready;
    expect(readySettled).toBe(true);
    expect(deferredSettled).toBe(false);
    connect.open();
    mirror.open();
    await pending.deferred;
    const order = lines.filter((l) => / ready on /.test(l)).map((l) => l.split(':')[0]);
    expect(order.slice(0, 2).sort()).toEqual(['influxdb', 'kafka-a']);
    expect(order.slice(2)).toEqual(['connect-a', 'mirror']);
  });

  it('defers only what starts now: a running server is waited for as before', async () => {
    const { deferred, pending } = startAll([influx, connect], [], () => undefined, ['connect-']);
    expect(deferred).toEqual([]);
    await pending.ready;
  });
});
