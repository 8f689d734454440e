/**
 * A Kafka broker of a test's own (fault tests): a single-node KRaft broker+controller from the cached
 * Kafka distribution the local EFD runs, configured by the same function as the local EFD's clusters
 * (kafkaBrokerProps), on free 127.0.0.1 ports, its data and log in the test's folder. A test may stop
 * it and start it again (same ports, same data), which the shared local EFD's brokers must never be.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChildProcess } from 'node:child_process';
import { HOST, paths } from './layout';
import { LOG4J, kafkaBrokerProps, props } from './configs';
import { kafkaReady } from './health';
import { formatKraftStorage } from './kraft';
import { systemJava } from './shell';
import { LocalProcess, freePort, launch, untilReady } from './replication';

export interface PrivateBrokerOptions {
  /** Names its files (`<dir>/<name>.log`, `<dir>/<name>/`). */
  name: string;
  dir: string;
  readyTimeoutMs?: number;
}

export interface PrivateBroker {
  name: string;
  /** `127.0.0.1:<port>` */
  bootstrap: string;
  log: string;
  /** True while the broker process runs. */
  running(): boolean;
  /** Starts it (again: same ports and data); resolves when it answers metadata requests. */
  start(): Promise<void>;
  /** SIGTERM (a clean shutdown), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill9(): Promise<void>;
}

export async function startPrivateBroker(o: PrivateBrokerOptions): Promise<PrivateBroker> {
  const [kafkaPort, controllerPort] = [await freePort(), await freePort()];
  const home = path.join(o.dir, o.name);
  const dataDir = path.join(home, 'data');
  fs.mkdirSync(home, { recursive: true });
  const propsFile = path.join(home, 'server.properties');
  fs.writeFileSync(propsFile, props(kafkaBrokerProps({ kafkaPort, controllerPort, logDir: dataDir })));
  const log4j = path.join(home, 'log4j.properties');
  fs.writeFileSync(log4j, props(LOG4J));
  await formatKraftStorage({ propsFile, dataDir, log4j, logFile: path.join(home, 'format.log'), what: `${o.name} storage format` });
  const bootstrap = `${HOST}:${kafkaPort}`;
  const args = [
    '-Xms128m',
    '-Xmx384m',
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    '-Djava.net.preferIPv4Stack=true',
    `-Dlog4j.configuration=file:${log4j}`,
    '-cp',
    `${paths.kafkaLibs()}/*`,
    'kafka.Kafka',
    propsFile,
  ];
  let current: { child: ChildProcess; handle: LocalProcess } | undefined;
  const alive = () => !!current && current.child.exitCode === null && current.child.signalCode === null;
  const broker: PrivateBroker = {
    name: o.name,
    bootstrap,
    log: path.join(o.dir, `${o.name}.log`),
    running: alive,
    async start() {
      if (alive()) return;
      current = launch(o.name, systemJava(), args, o.dir, bootstrap);
      await untilReady(current.handle, current.child, () => kafkaReady(bootstrap), o.readyTimeoutMs ?? 120_000);
    },
    async stop(graceMs = 30_000) {
      await current?.handle.stop(graceMs);
    },
    async kill9() {
      await current?.handle.kill9();
    },
  };
  await broker.start();
  return broker;
}
