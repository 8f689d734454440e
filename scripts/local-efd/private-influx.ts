/**
 * An InfluxDB of a test's (or benchmark's) own: the cached InfluxDB 1.8 the local EFD runs, configured by
 * the same function as the local EFD's (influxConfigText), on free 127.0.0.1 ports, its data and log in
 * the given folder. A fault test may stop it and start it again (same ports, same data), which the shared
 * local EFD's InfluxDB must never be; a test may also give it settings the shared one only takes at its
 * next start (the query limits) and environment overrides as a site's Helm
 * release gives them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { HOST, paths } from './layout';
import { InfluxConfigOptions, influxConfigText } from './configs';
import { influxQl, influxReady } from './health';
import { LocalProcess, freePort, launch, untilReady } from './replication';

export interface PrivateInfluxOptions {
  dir: string;
  /** Names its files (`<dir>/<name>.log`, `<dir>/<name>/`). @default 'influxdb' */
  name?: string;
  /** @default the local EFD's (a test site's defaults); NO_QUERY_LIMITS turns every one off */
  limits?: InfluxConfigOptions['limits'];
  /** Environment of the server (INFLUXDB_* overrides of its config file). */
  env?: Record<string, string>;
  /** @default 60000 */
  readyTimeoutMs?: number;
}

export interface PrivateInflux {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`: the RPC address `influxd backup/restore -host` use. */
  rpc: string;
  configFile: string;
  log: string;
  running(): boolean;
  /** Starts it (again: same ports and data); resolves when /ping answers. */
  start(): Promise<void>;
  /** SIGTERM, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** InfluxQL through POST /query. */
  query(q: string, db?: string): Promise<unknown>;
}

export async function startPrivateInflux(o: PrivateInfluxOptions): Promise<PrivateInflux> {
  const name = o.name ?? 'influxdb';
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const home = path.join(o.dir, name);
  fs.mkdirSync(home, { recursive: true });
  const configFile = path.join(home, 'influxdb.conf');
  fs.writeFileSync(configFile, influxConfigText({ dataDir: home, httpPort, rpcPort, limits: o.limits }));
  const url = `http://${HOST}:${httpPort}`;
  let current: { child: ChildProcess; handle: LocalProcess } | undefined;
  const alive = () => !!current && current.child.exitCode === null && current.child.signalCode === null;
  const influx: PrivateInflux = {
    url,
    rpc: `${HOST}:${rpcPort}`,
    configFile,
    log: path.join(o.dir, `${name}.log`),
    running: alive,
    async start() {
      if (alive()) return;
      const bin = path.join(paths.influxBin(), 'influxd');
      current = launch(name, bin, ['run', '-config', configFile], o.dir, url, undefined, undefined, 'SIGTERM', o.env);
      await untilReady(current.handle, current.child, () => influxReady(url), o.readyTimeoutMs ?? 60_000);
    },
    async stop(graceMs = 10_000) {
      await current?.handle.stop(graceMs);
    },
    query: (q, db) => influxQl(url, q, db),
  };
  await influx.start();
  return influx;
}
