/**
 * Replication on the local EFD, as the `<site>-replication` stacks configure it: a Kafka Connect worker
 * of its own (distributed, MirrorMaker 2 on the class path) whose Kafka is the aggregator's cluster
 * (remote producing), and — for the remote-registry schema mode — Apicurio registries on kafkasql
 * storage: the source's (its journal topic is replicated like data) and a read-only one at the
 * aggregator reading `<prefix>.<journal>`. The local EFD's own registries keep their schemas in h2
 * (no Kafka topic to replicate), so the remote-registry path runs on these.
 *
 * These processes are started by whoever needs them (tests, benchmarks) on free 127.0.0.1 ports and
 * stopped by the returned handle; they write their logs into the given folder.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { HOST, paths } from './layout';
import { connectReady, registryReady } from './health';
import { registryJava } from './install';
import { systemJava } from './shell';
import { LOG4J, props } from './configs';
import { REPLICATION_WORKER_CONFIG } from '../../constructs/replication/mirrormaker2';

export interface LocalProcess {
  name: string;
  url: string;
  pid: number;
  log: string;
  /** SIGTERM, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** kill -9 (fault tests). */
  kill9(): Promise<void>;
}

/** A free 127.0.0.1 port (asked of the kernel). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));

function launch(
  name: string,
  cmd: string,
  args: string[],
  dir: string,
  url: string,
  cwd?: string,
): { child: ChildProcess; handle: LocalProcess } {
  fs.mkdirSync(dir, { recursive: true });
  const log = path.join(dir, `${name}.log`);
  const out = fs.openSync(log, 'a');
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', out, out], detached: false });
  fs.closeSync(out);
  if (!child.pid) throw new Error(`${name}: could not start ${cmd} (see ${log})`);
  const handle: LocalProcess = {
    name,
    url,
    pid: child.pid,
    log,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited(child);
      clearTimeout(t);
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
  return { child, handle };
}

async function untilReady(h: LocalProcess, child: ChildProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<LocalProcess> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${h.name} exited (${child.exitCode ?? child.signalCode}) before it was ready; last log lines:\n${tail(h.log)}`);
    }
    if (await ready()) return h;
    await new Promise((r) => setTimeout(r, 500));
  }
  await h.stop(2000);
  throw new Error(`${h.name} not ready after ${timeoutMs / 1000} s at ${h.url}; last log lines:\n${tail(h.log)}`);
}

const tail = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').slice(-8).join('\n') : '(no log)');

export interface ReplicationWorkerOptions {
  /** Unique id: names the worker group and its internal topics (at the aggregator). */
  id: string;
  /** The aggregator's Kafka (the worker produces there: remote producing). */
  bootstrapServers: string;
  dir: string;
  port?: number;
  readyTimeoutMs?: number;
}

/** The worker settings of a replication worker (the stack's REPLICATION_WORKER_CONFIG + local ones). */
export function replicationWorkerConfig(o: ReplicationWorkerOptions, port: number): Record<string, string | number> {
  return {
    'bootstrap.servers': o.bootstrapServers,
    'group.id': `${o.id}-replication`,
    ...REPLICATION_WORKER_CONFIG,
    'header.converter': REPLICATION_WORKER_CONFIG['value.converter'],
    'config.storage.topic': `${o.id}-replication-configs`,
    'offset.storage.topic': `${o.id}-replication-offsets`,
    'status.storage.topic': `${o.id}-replication-status`,
    'config.storage.replication.factor': 1,
    'offset.storage.replication.factor': 1,
    'status.storage.replication.factor': 1,
    'offset.storage.partitions': 1,
    'status.storage.partitions': 1,
    'offset.flush.interval.ms': 2000,
    listeners: `http://${HOST}:${port}`,
    'rest.advertised.host.name': HOST,
    'rest.advertised.port': port,
    'plugin.path': paths.connectPlugins(),
    'scheduled.rebalance.max.delay.ms': 0,
  };
}

/** Starts a replication Connect worker; resolves when its REST API answers. */
export async function startReplicationWorker(o: ReplicationWorkerOptions): Promise<LocalProcess> {
  const port = o.port ?? (await freePort());
  fs.mkdirSync(o.dir, { recursive: true });
  const file = path.join(o.dir, 'replication-worker.properties');
  fs.writeFileSync(file, props(replicationWorkerConfig(o, port)));
  const log4j = path.join(o.dir, 'replication-log4j.properties');
  fs.writeFileSync(log4j, props(LOG4J));
  const url = `http://${HOST}:${port}`;
  const { child, handle } = launch(
    'replication-worker',
    systemJava(),
    [
      '-Xms128m',
      '-Xmx512m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      '-Djava.net.preferIPv4Stack=true',
      `-Dlog4j.configuration=file:${log4j}`,
      '-cp',
      `${paths.kafkaLibs()}/*`,
      'org.apache.kafka.connect.cli.ConnectDistributed',
      file,
    ],
    o.dir,
    url,
  );
  return untilReady(handle, child, () => connectReady(url), o.readyTimeoutMs ?? 180_000);
}

export interface KafkasqlRegistryOptions {
  name: string;
  /** The Kafka cluster holding the journal. */
  bootstrapServers: string;
  /** The journal topic (the registry's storage; replicated as `<prefix>.<topic>` to the aggregator). */
  journalTopic: string;
  /** Read-only: the remote registry at the aggregator, serving a replicated journal. */
  readOnly: boolean;
  dir: string;
  readyTimeoutMs?: number;
}

/** Starts an Apicurio registry on kafkasql storage; resolves when its Confluent API answers. */
export async function startKafkasqlRegistry(o: KafkasqlRegistryOptions): Promise<LocalProcess> {
  const [port, management] = [await freePort(), await freePort()];
  const base = `http://${HOST}:${port}`;
  const { child, handle } = launch(
    o.name,
    registryJava(),
    [
      '-Xms64m',
      '-Xmx384m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.net.preferIPv4Stack=true',
      `-Dquarkus.http.host=${HOST}`,
      `-Dquarkus.http.port=${port}`,
      `-Dquarkus.management.host=${HOST}`,
      `-Dquarkus.management.port=${management}`,
      '-Dapicurio.storage.kind=kafkasql',
      `-Dapicurio.kafkasql.bootstrap.servers=${o.bootstrapServers}`,
      `-Dapicurio.kafkasql.topic=${o.journalTopic}`,
      `-Dapicurio.kafkasql.snapshots.topic=${o.journalTopic}-snapshots`,
      '-Dapicurio.rules.global.compatibility=BACKWARD',
      ...(o.readOnly ? ['-Dapicurio.storage.read-only.enabled=true'] : []),
      '-jar',
      path.join(paths.apicurioHome(), 'quarkus-run.jar'),
    ],
    o.dir,
    `${base}/apis/ccompat/v7`,
    paths.apicurioHome(),
  );
  return untilReady(handle, child, () => registryReady(`${base}/apis/ccompat/v7`), o.readyTimeoutMs ?? 240_000);
}
