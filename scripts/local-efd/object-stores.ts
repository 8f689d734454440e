/**
 * The object stores of the local EFD, for the Parquet copy (apps/parquet-sink), on 127.0.0.1:
 *  - S3: SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process), a real
 *    S3-compatible server, built from the Go module proxy; no identities are configured, so requests are
 *    not authenticated (any key is accepted). Telemetry, WebDAV and the admin UI are off.
 *  - GCS: fake-gcs-server, an emulator of the Google Cloud Storage JSON API (not Google's server), built
 *    from the Go module proxy; filesystem backend.
 * Both are built once into the cache dir (install.ts) and run from `efd local up` (stack.ts) with their
 * data in the state dir; {@link startObjectStoresAside} runs them for one test on ports and a folder of
 * its own when the running local EFD has none.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ObjectStoreEndpoints } from '../../apps/lib/local-endpoints';
import { HOST, OBJECT_STORE_PORTS, paths, type ObjectStorePorts } from './layout';
import type { Server } from './procs';
import { canBind } from './procs';
import { EfdError, sleep } from './shell';

/** Region and (unchecked) keys the local S3 answers to. */
export const LOCAL_S3 = { region: 'us-east-1', accessKeyId: 'efd-local', secretAccessKey: 'efd-local-secret' } as const;

export function objectStoreEndpoints(ports: ObjectStorePorts = OBJECT_STORE_PORTS): ObjectStoreEndpoints {
  return {
    s3: { endpoint: `http://${HOST}:${ports.s3}`, ...LOCAL_S3 },
    gcs: { endpoint: `http://${HOST}:${ports.gcs}` },
  };
}

/** `weed mini` on the given ports (grpc ports: each http port + 10000, SeaweedFS' rule). */
export function seaweedArgs(dataDir: string, ports: ObjectStorePorts): string[] {
  return [
    'mini',
    `-dir=${dataDir}`,
    `-ip=${HOST}`,
    `-ip.bind=${HOST}`,
    `-master.port=${ports.s3Master}`,
    `-master.port.grpc=${ports.s3Master + 10000}`,
    `-volume.port=${ports.s3Volume}`,
    `-volume.port.grpc=${ports.s3Volume + 10000}`,
    `-filer.port=${ports.s3Filer}`,
    `-filer.port.grpc=${ports.s3Filer + 10000}`,
    `-s3.port=${ports.s3}`,
    `-s3.port.grpc=${ports.s3 + 10000}`,
    '-master.telemetry=false',
    '-webdav=false',
    '-admin.ui=false',
    '-admin.port.legacy=0',
    // off: the Iceberg catalog's default port 8181 is registry-b's, and nothing here uses Lance
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    '-debug.port=0',
    '-s3.debug.port=0',
  ];
}

export function fakeGcsArgs(dataDir: string, ports: ObjectStorePorts): string[] {
  return [
    '-scheme',
    'http',
    '-host',
    HOST,
    '-port',
    String(ports.gcs),
    '-public-host',
    `${HOST}:${ports.gcs}`,
    '-external-url',
    `http://${HOST}:${ports.gcs}`,
    '-backend',
    'filesystem',
    '-filesystem-root',
    dataDir,
    '-log-level',
    'warn',
  ];
}

async function httpOk(url: string, ok: (status: number) => boolean): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return ok(res.status);
  } catch {
    return false;
  }
}

/** The S3 API answers (ListBuckets: 200, or 403 when identities were configured). */
export const s3Ready = (endpoint: string) => httpOk(`${endpoint}/`, (s) => s === 200 || s === 403);
/** The GCS JSON API lists buckets. */
export const gcsReady = (endpoint: string) => httpOk(`${endpoint}/storage/v1/b?project=local`, (s) => s === 200);

export const seaweedInstalled = () => fs.existsSync(paths.seaweed());
export const fakeGcsInstalled = () => fs.existsSync(paths.fakeGcs());

/** The servers `up` runs (stack.ts), each only when its build is in the cache. */
export function objectStoreServers(dataDir: string, ports: ObjectStorePorts = OBJECT_STORE_PORTS): Server[] {
  const ep = objectStoreEndpoints(ports);
  const list: Server[] = [];
  if (seaweedInstalled())
    list.push({
      name: 's3',
      ports: [ports.s3, ports.s3Master, ports.s3Volume, ports.s3Filer],
      url: ep.s3.endpoint,
      heap: '(Go)',
      readyTimeoutMs: 120_000,
      async prepare() {
        fs.mkdirSync(path.join(dataDir, 's3'), { recursive: true });
      },
      command: () => ({ cmd: paths.seaweed(), args: seaweedArgs(path.join(dataDir, 's3'), ports) }),
      ready: () => s3Ready(ep.s3.endpoint),
    });
  if (fakeGcsInstalled())
    list.push({
      name: 'gcs',
      ports: [ports.gcs],
      url: ep.gcs.endpoint,
      heap: '(Go)',
      readyTimeoutMs: 60_000,
      async prepare() {
        fs.mkdirSync(path.join(dataDir, 'gcs'), { recursive: true });
      },
      command: () => ({ cmd: paths.fakeGcs(), args: fakeGcsArgs(path.join(dataDir, 'gcs'), ports) }),
      ready: () => gcsReady(ep.gcs.endpoint),
    });
  return list;
}

export interface AsideStores {
  endpoints: ObjectStoreEndpoints;
  /** Which of the two run (a store whose build is not in the cache is missing). */
  running: { s3: boolean; gcs: boolean };
  stop(): Promise<void>;
}

async function freePorts(start: number, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = start; out.length < count && p < start + 2000; p++) {
    // the grpc port (+10000) must be free too
    if ((await canBind(p)) && (await canBind(p + 10000))) out.push(p);
  }
  if (out.length < count) throw new EfdError(`no ${count} free ports from ${start}`);
  return out;
}

/**
 * Starts the object stores whose builds are in the cache as children of this process, on free ports
 * from `basePort` and with their data in `dir` (a test's own); `stop()` ends them and nothing else.
 */
export async function startObjectStoresAside(dir: string, basePort = 21000): Promise<AsideStores> {
  const [s3, s3Master, s3Volume, s3Filer, gcs] = await freePorts(basePort, 5);
  const ports: ObjectStorePorts = { s3, s3Master, s3Volume, s3Filer, gcs };
  const servers = objectStoreServers(dir, ports);
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  };
  try {
    for (const s of servers) {
      await s.prepare(() => undefined);
      const { cmd, args } = s.command();
      const log = fs.openSync(path.join(dir, `${s.name}.log`), 'a');
      const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
      fs.closeSync(log);
      children.push(child);
      const t0 = Date.now();
      while (!(await s.ready())) {
        if (child.exitCode !== null) throw new EfdError(`${s.name} exited during start; see ${path.join(dir, `${s.name}.log`)}`);
        if (Date.now() - t0 > s.readyTimeoutMs) throw new EfdError(`${s.name} did not answer on ${s.url} in ${s.readyTimeoutMs} ms`);
        await sleep(300);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    endpoints: objectStoreEndpoints(ports),
    running: { s3: servers.some((s) => s.name === 's3'), gcs: servers.some((s) => s.name === 'gcs') },
    stop,
  };
}
