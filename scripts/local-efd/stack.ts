/**
 * The local EFD: `up`, `down`, `status`, `logs`. Servers (all on 127.0.0.1):
 *   per cluster x ∈ a,b,c  kafka-x (KRaft), registry-x (Apicurio, Confluent API), connect-x (distributed + MM2)
 *   once                   influxdb (1.8.10, database `efd`), postgres (Debian's PostgreSQL, database `efd`: the
 *                          JDBC long-term sink's; ./postgres.ts)
 *   with --object-stores   s3 (SeaweedFS) and gcs (fake-gcs-server, an emulator): ./object-stores.ts
 *   with 2+ clusters       replication a → b (./replication.ts): replication-registry (kafkasql, on a),
 *                          replication (Connect worker producing to b, MM2 connectors applied by the
 *                          connect manager), remote-registry (read-only, on b, the replicated journal)
 * Heaps are explicit so the whole stack fits a 2-core machine beside the tests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClusterLayout, HOST, INFLUX_DATABASE, INFLUX_PORTS, MAX_CLUSTERS, cacheDir, clusterLayout, paths, stateDir } from './layout';
import {
  influxDataDir,
  kafkaDataDir,
  postgresDataDir,
  registryDataDir,
  registryJvmProps,
  writeConnectConfig,
  writeInfluxConfig,
  writeKafkaConfig,
  writeLog4j,
} from './configs';
import { Endpoints, clusterEndpoints, influxEndpoints, removeEndpoints, writeEndpoints } from './endpoints';
import { connectReady, influxQl, influxReady, kafkaReady, registryReady } from './health';
import { ensureInstalled, registryJava } from './install';
import { CONNECT_WORKER_MAIN, KAFKA_BROKER_MAIN, kafkaJvmArgs } from './jvm';
import { formatKraftStorage } from './kraft';
import { k8sServers, kubernetesEndpoints, siteContext } from './k8s';
import { loadSites } from '../../config/load';
import {
  PidRecord,
  Server,
  canBind,
  describeOwner,
  isAlive,
  isListening,
  listPidServers,
  logFile,
  portOwner,
  readPid,
  removePid,
  rssMb,
  runningPid,
  spawnServer,
  stopServer,
} from './procs';
import { EfdError, seconds, sleep, systemJava, tailFile } from './shell';
import {
  LOCAL_JOURNAL_TOPIC,
  REPLICATION_PORTS,
  applyReplication,
  kafkasqlRegistryArgs,
  localReplicationFlow,
  localReplicationSpecs,
  replicationWorkerArgs,
  waitForTopic,
  writeReplicationWorkerFiles,
} from './replication';
import { remoteTopic } from '../../config/topology';
import { formatTable } from '../../apps/lib/table';
import {
  POSTGRES,
  POSTGRES_MISSING,
  ensurePostgresDatabase,
  initPostgres,
  postgresArgs,
  postgresBinDir,
  postgresEndpoints,
  postgresInstalled,
  postgresReady,
  reachableDataDir,
  postgresRunAs,
} from './postgres';
import { objectStoreEndpoints, objectStoreServers } from './object-stores';

type Say = (line: string) => void;
const defaultSay: Say = (line) => process.stdout.write(`${line}\n`);

const extraJavaOpts = () => (process.env.EFD_JAVA_OPTS ? process.env.EFD_JAVA_OPTS.split(/\s+/).filter(Boolean) : []);
const log4jFile = () => path.join(paths.config(), 'log4j.properties');

function kafkaServer(c: ClusterLayout): Server {
  const ep = clusterEndpoints(c);
  const heap = '-Xmx512m';
  let props = '';
  return {
    name: `kafka-${c.name}`,
    ports: [c.kafka, c.controller],
    url: ep.kafka,
    heap,
    readyTimeoutMs: 180_000,
    async prepare(say) {
      writeLog4j();
      props = writeKafkaConfig(c);
      await formatKafkaStorage(c, props, say);
    },
    command: () => ({
      cmd: systemJava(),
      args: kafkaJvmArgs({
        memory: ['-Xms256m', heap],
        gc: ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20'],
        log4j: log4jFile(),
        extra: extraJavaOpts(),
        main: KAFKA_BROKER_MAIN,
        properties: props,
      }),
    }),
    ready: () => kafkaReady(ep.kafka),
  };
}

/** KRaft needs a formatted log dir once (skipped when meta.properties exists). */
async function formatKafkaStorage(c: ClusterLayout, props: string, say: Say): Promise<void> {
  const dataDir = kafkaDataDir(c);
  if (fs.existsSync(path.join(dataDir, 'meta.properties'))) return;
  say(`kafka-${c.name}: formatting KRaft storage in ${dataDir}`);
  await formatKraftStorage({
    propsFile: props,
    dataDir,
    log4j: path.join(paths.config(), 'log4j.properties'),
    logFile: path.join(paths.logs(), `kafka-${c.name}-format.log`),
    what: `kafka-${c.name} storage format`,
  });
}

function registryServer(c: ClusterLayout): Server {
  const ep = clusterEndpoints(c);
  const heap = '-Xmx384m';
  return {
    name: `registry-${c.name}`,
    ports: [c.registry, c.registryManagement],
    url: ep.registry,
    heap,
    readyTimeoutMs: 180_000,
    async prepare() {
      fs.mkdirSync(registryDataDir(c), { recursive: true });
    },
    command: () => ({
      cmd: registryJava(),
      args: [
        '-Xms64m',
        heap,
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.net.preferIPv4Stack=true',
        ...registryJvmProps(c),
        ...extraJavaOpts(),
        '-jar',
        path.join(paths.apicurioHome(), 'quarkus-run.jar'),
      ],
      cwd: paths.apicurioHome(),
    }),
    ready: () => registryReady(ep.registry),
  };
}

function connectServer(c: ClusterLayout): Server {
  const ep = clusterEndpoints(c);
  const heap = '-Xmx512m';
  let props = '';
  return {
    name: `connect-${c.name}`,
    needs: `kafka-${c.name}`,
    ports: [c.connect],
    url: ep.connect,
    heap,
    readyTimeoutMs: 240_000,
    async prepare() {
      writeLog4j();
      props = writeConnectConfig(c);
    },
    command: () => ({
      cmd: systemJava(),
      args: kafkaJvmArgs({
        memory: ['-Xms128m', heap],
        log4j: log4jFile(),
        extra: extraJavaOpts(),
        main: CONNECT_WORKER_MAIN,
        properties: props,
      }),
    }),
    ready: () => connectReady(ep.connect),
  };
}

function influxServer(): Server {
  const ep = influxEndpoints();
  let conf = '';
  return {
    name: 'influxdb',
    ports: [INFLUX_PORTS.http, INFLUX_PORTS.rpc],
    url: ep.url,
    heap: '(Go)',
    readyTimeoutMs: 120_000,
    async prepare() {
      fs.mkdirSync(influxDataDir(), { recursive: true });
      conf = writeInfluxConfig();
    },
    command: () => ({ cmd: path.join(paths.influxBin(), 'influxd'), args: ['run', '-config', conf] }),
    ready: () => influxReady(ep.url),
    async afterReady() {
      await influxQl(ep.url, `CREATE DATABASE "${INFLUX_DATABASE}"`);
    },
  };
}

function postgresServer(): Server {
  const ep = postgresEndpoints();
  const opts = {
    dataDir: reachableDataDir(postgresDataDir()),
    port: POSTGRES.port,
    logFile: path.join(paths.logs(), 'postgres-initdb.log'),
  };
  return {
    name: 'postgres',
    ports: [POSTGRES.port],
    url: ep.jdbcUrl,
    heap: '(shared_buffers 64MB)',
    readyTimeoutMs: 60_000,
    async prepare(say) {
      if (await initPostgres(opts)) say(`postgres: initialized ${opts.dataDir}`);
    },
    command: () => ({
      cmd: path.join(postgresBinDir(), 'postgres'),
      args: postgresArgs(opts),
      runAs: postgresRunAs(),
      stopSignal: 'SIGINT',
    }),
    ready: () => postgresReady(POSTGRES.port),
    afterReady: () => ensurePostgresDatabase(POSTGRES.port),
  };
}

/**
 * Replication a → b as the stacks configure it (flow from the topology code, connectors from
 * mirrorMaker2Specs applied by the connect manager), with the registries the remote-registry mode needs.
 */
function replicationServers(a: ClusterLayout, b: ClusterLayout): Server[] {
  const [ea, eb] = [clusterEndpoints(a), clusterEndpoints(b)];
  const P = REPLICATION_PORTS;
  const dir = path.join(paths.config(), 'replication');
  const flow = localReplicationFlow(eb);
  const sourceRegistry = {
    name: 'replication-registry',
    bootstrapServers: ea.kafka,
    journalTopic: LOCAL_JOURNAL_TOPIC,
    readOnly: false,
    dir,
  };
  const remoteRegistry = {
    name: 'remote-registry',
    bootstrapServers: eb.kafka,
    journalTopic: remoteTopic(flow.prefix, LOCAL_JOURNAL_TOPIC),
    readOnly: true,
    dir,
  };
  const ccompat = (port: number) => `http://${HOST}:${port}/apis/ccompat/v7`;
  const worker = { id: 'efd-local', bootstrapServers: eb.kafka, dir };
  const workerUrl = `http://${HOST}:${P.worker}`;
  let files = { properties: '', log4j: '' };
  return [
    {
      name: 'replication-registry',
      needs: `kafka-${a.name}`,
      ports: [P.sourceRegistry, P.sourceRegistryManagement],
      url: ccompat(P.sourceRegistry),
      heap: '-Xmx384m',
      readyTimeoutMs: 240_000,
      async prepare() {},
      command: () => ({
        cmd: registryJava(),
        args: kafkasqlRegistryArgs(sourceRegistry, P.sourceRegistry, P.sourceRegistryManagement),
        cwd: paths.apicurioHome(),
      }),
      ready: () => registryReady(ccompat(P.sourceRegistry)),
    },
    {
      name: 'replication',
      needs: `kafka-${b.name}`,
      ports: [P.worker],
      url: workerUrl,
      heap: '-Xmx512m',
      readyTimeoutMs: 240_000,
      async prepare() {
        writeLog4j();
        files = writeReplicationWorkerFiles(worker, P.worker);
      },
      command: () => ({ cmd: systemJava(), args: replicationWorkerArgs(files.properties, files.log4j) }),
      ready: () => connectReady(workerUrl),
      // Idempotent: every `up` reconciles the connectors (a change in the generated config is applied).
      afterReady: () => applyReplication(workerUrl, localReplicationSpecs(flow, ea)),
    },
    {
      name: 'remote-registry',
      needs: 'replication',
      ports: [P.remoteRegistry, P.remoteRegistryManagement],
      url: ccompat(P.remoteRegistry),
      heap: '-Xmx384m',
      readyTimeoutMs: 240_000,
      // It serves the replicated journal: wait for MM2 to create it at the aggregator.
      prepare: () => waitForTopic(eb.kafka, remoteRegistry.journalTopic),
      command: () => ({
        cmd: registryJava(),
        args: kafkasqlRegistryArgs(remoteRegistry, P.remoteRegistry, P.remoteRegistryManagement),
        cwd: paths.apicurioHome(),
      }),
      ready: () => registryReady(ccompat(P.remoteRegistry)),
    },
  ];
}

/** Names, ports and start order of the servers `up` runs for `clusters` clusters (checked for collisions by the unit tests). */
export function localServers(clusters: number): { name: string; ports: number[]; needs?: string; url: string }[] {
  return serversFor(clusters).map(({ name, ports, needs, url }) => ({ name, ports, needs, url }));
}

/**
 * Starts the replication servers of `up` (and only those) against running clusters a and b, with pid
 * files and logs in the state dir, as `up` does when they are missing; returns their names.
 */
export async function startReplicationServers(say: Say = defaultSay): Promise<string[]> {
  const servers = replicationServers(clusterLayout(0), clusterLayout(1));
  const toStart = servers.filter((s) => !runningPid(s.name));
  await checkPortsFree(toStart);
  await startAll(servers, toStart, say).pending.ready;
  return servers.map((s) => s.name);
}

function serversFor(clusters: number, k8s = false, objectStores = false): Server[] {
  const list: Server[] = [];
  for (let i = 0; i < clusters; i++) {
    const c = clusterLayout(i);
    list.push(kafkaServer(c), registryServer(c), connectServer(c));
  }
  list.push(influxServer());
  // PostgreSQL is Debian's build, not in the cache: without it the rest runs (up() says so)
  if (postgresInstalled()) list.push(postgresServer());
  if (clusters >= 2) list.push(...replicationServers(clusterLayout(0), clusterLayout(1)));
  if (k8s) list.push(...k8sServers(siteContexts()));
  if (objectStores) list.push(...objectStoreServers(path.join(paths.data(), 'object-stores')));
  return list;
}

/** The kubeconfig contexts of every site in config/sites (the local API server answers all of them). */
function siteContexts(): string[] {
  return [...new Set(loadSites().map(siteContext))].sort();
}

/** The Kubernetes servers run, or ran at the last `up` (so `up` and `status` keep them). */
function k8sKnown(): boolean {
  if (runningPid('kube-apiserver') || readPid('kube-apiserver')) return true;
  try {
    return JSON.parse(fs.readFileSync(lastUpFile(), 'utf8')).k8s === true;
  } catch {
    return false;
  }
}

/** The object stores run, or ran at the last `up`. */
function objectStoresKnown(): boolean {
  if (runningPid('s3') || runningPid('gcs') || readPid('s3') || readPid('gcs')) return true;
  try {
    return JSON.parse(fs.readFileSync(lastUpFile(), 'utf8')).objectStores === true;
  } catch {
    return false;
  }
}

/** Clusters whose Kafka we are running (so `up` never shrinks a running stack). */
function runningClusters(): number {
  let n = 0;
  for (let i = 0; i < MAX_CLUSTERS; i++) if (runningPid(`kafka-${clusterLayout(i).name}`)) n = i + 1;
  return n;
}

/** Clusters of the last `up` (remembered in the state dir), or more if pid files say so. */
function knownClusters(): number {
  let n = 1;
  try {
    n = parseClusters(JSON.parse(fs.readFileSync(lastUpFile(), 'utf8')).clusters);
  } catch {
    /* never started here */
  }
  for (let i = 0; i < MAX_CLUSTERS; i++) if (readPid(`kafka-${clusterLayout(i).name}`)) n = Math.max(n, i + 1);
  return n;
}

const lastUpFile = () => path.join(stateDir(), 'last-up.json');

// ----------------------------------------------------------------- lock ----

async function withLock<T>(fn: () => Promise<T>, say: Say): Promise<T> {
  fs.mkdirSync(stateDir(), { recursive: true });
  const lock = path.join(stateDir(), 'efd-local.lock');
  let warned = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(lock, 'utf8'));
      if (!holder || !pidExists(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (!warned) say(`waiting for another efd local command (pid ${holder}) to finish ...`);
      warned = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------- up ----

export interface UpOptions {
  clusters?: number;
  /** Also a local Kubernetes API: etcd, kube-apiserver, kube-controller-manager (built once, ~5–28 min). */
  k8s?: boolean;
  /** Also the object stores (S3: SeaweedFS, GCS: fake-gcs-server), built once (SeaweedFS: 30+ min). */
  objectStores?: boolean;
  /** Stop what runs and wipe all data first. */
  fresh?: boolean;
  /**
   * Servers (name prefixes, e.g. `connect-`) started but not waited for: `up` returns once the others are
   * ready, and `UpReport.pending` settles when these are (the main job needs no Connect until its end).
   * A server that needs a deferred one is deferred too. @default none: every server is ready on return
   */
  defer?: string[];
  say?: Say;
}

export interface UpReport {
  endpoints: Endpoints;
  installSeconds: number;
  coldInstall: boolean;
  startSeconds: number;
  started: string[];
  alreadyRunning: string[];
  rssMb: Record<string, number | undefined>;
  /** Names of the servers `defer` left starting. */
  deferred: string[];
  /** Settles when the deferred servers are ready (rejects with every failure); resolved when none. */
  pending: Promise<void>;
}

export function parseClusters(value: string | number | undefined): number {
  const n = value === undefined ? 1 : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CLUSTERS) {
    throw new EfdError(`--clusters must be an integer from 1 to ${MAX_CLUSTERS} (got ${value})`);
  }
  return n;
}

export async function up(opts: UpOptions = {}): Promise<UpReport> {
  const say = opts.say ?? defaultSay;
  const wanted = parseClusters(opts.clusters);
  return withLock(async () => {
    if (opts.fresh) await wipe(say);
    const k8s = !!opts.k8s || k8sKnown();
    const objectStores = !!opts.objectStores || objectStoresKnown();
    const inst = await ensureInstalled(say, { k8s, objectStores });
    if (inst.installed.length > 0) say(`cold install: ${inst.seconds} s (${inst.installed.join(', ')}) into ${cacheDir()}`);
    else say(`install: cached (${inst.seconds} s)`);
    for (const s of inst.skipped) say(`install: skipped ${s.name} (${s.reason}); EFD_RETRY_PLUGINS=1 retries`);
    if (!postgresInstalled()) say(POSTGRES_MISSING);

    const t0 = Date.now();
    const servers = serversFor(Math.max(wanted, runningClusters()), k8s, objectStores);
    const toStart = servers.filter((s) => !runningPid(s.name));
    const alreadyRunning = servers.filter((s) => runningPid(s.name)).map((s) => s.name);
    await checkPortsFree(toStart);
    const { deferred, pending } = startAll(servers, toStart, say, opts.defer ?? []);
    // a failure of a deferred server is reported where `pending` is awaited, not as an unhandled rejection
    pending.deferred.catch(() => undefined);
    await pending.ready;
    const endpoints = endpointsFor(servers);
    writeEndpoints(endpoints);
    fs.writeFileSync(
      lastUpFile(),
      JSON.stringify({ clusters: endpoints.clusters.length, k8s, objectStores, at: new Date().toISOString() }),
    );
    const startSeconds = seconds(t0);
    const rss = Object.fromEntries(servers.map((s) => [s.name, rssOf(s.name)]));
    printSummary(servers, endpoints, say);
    say(
      toStart.length
        ? `start: ${startSeconds} s (${toStart.length} servers started, ${alreadyRunning.length} already running)`
        : `start: all ${servers.length} servers were already running (${startSeconds} s)`,
    );
    if (deferred.length) say(`still starting, not waited for: ${deferred.join(', ')}`);
    return {
      endpoints,
      installSeconds: inst.seconds,
      coldInstall: inst.installed.length > 0,
      startSeconds,
      started: toStart.map((s) => s.name),
      alreadyRunning,
      rssMb: rss,
      deferred,
      pending: pending.deferred,
    };
  }, say);
}

async function checkPortsFree(servers: Server[]): Promise<void> {
  const problems: string[] = [];
  for (const s of servers) {
    for (const port of s.ports) {
      if (await canBind(port)) continue;
      problems.push(`port ${port} (needed by ${s.name}) is already taken by ${describeOwner(portOwner(port))}`);
    }
  }
  if (problems.length) {
    throw new EfdError(
      `cannot start the local EFD:\n  ${problems.join('\n  ')}\n` +
        'Stop that process (if it is an earlier local EFD whose pid files were lost, stop it by its pid) and retry.',
    );
  }
}

/**
 * Starts each server as soon as what it needs is ready; reports every failure, not just the first.
 * `ready` settles when the servers not deferred are ready, `deferred` when the deferred ones are: those
 * named by `defer` that start now, and any server whose `needs` is deferred.
 */
export function startAll(
  servers: Server[],
  toStart: Server[],
  say: Say,
  defer: string[] = [],
): { deferred: string[]; pending: { ready: Promise<void>; deferred: Promise<void> } } {
  const ready = new Map<string, Promise<void>>();
  const deferred = new Set<string>();
  for (const s of servers) {
    // only what starts now is deferred: a running server answers its readiness check at once
    const named = defer.some((p) => s.name.startsWith(p)) && toStart.includes(s);
    if (named || (s.needs && deferred.has(s.needs))) deferred.add(s.name);
    ready.set(
      s.name,
      (async () => {
        if (s.needs) {
          try {
            await ready.get(s.needs);
          } catch {
            throw new EfdError(`${s.name}: not started because ${s.needs} did not start`);
          }
        }
        const fresh = toStart.includes(s);
        const later = deferred.has(s.name);
        if (fresh) await startServer(s, say, later ? DEFERRED_NICENESS : 0);
        await waitReady(s, say, fresh);
        if (fresh && later) renice(readPid(s.name)?.pid, 0);
      })(),
    );
  }
  const settle = async (names: string[]): Promise<void> => {
    const results = await Promise.allSettled(names.map((n) => ready.get(n) as Promise<void>));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    if (failures.length) {
      throw new EfdError(
        `local EFD did not start:\n${failures.join('\n\n')}\n` +
          'Servers that did start keep running: fix the cause and rerun `npm run efd:up`, or stop them with `npm run efd:down`.',
      );
    }
  };
  const names = servers.map((s) => s.name);
  return {
    deferred: [...deferred],
    pending: { ready: settle(names.filter((n) => !deferred.has(n))), deferred: settle([...deferred]) },
  };
}

/**
 * Niceness of a deferred server while it starts: a JVM's start takes a core for half a minute, which the
 * caller that did not wait for it wants (on two cores the experiment's topic creation took twice as long).
 */
const DEFERRED_NICENESS = 10;

/** Sets the niceness of every thread of `pid` (a JVM's threads each have their own); ignored where not allowed. */
export function renice(pid: number | undefined, niceness: number): void {
  if (!pid) return;
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      os.setPriority(Number(tid), niceness);
    } catch {
      /* lowering the niceness needs privileges: the server then keeps running niced */
    }
  }
}

async function startServer(s: Server, say: Say, niceness = 0): Promise<void> {
  removePid(s.name);
  await s.prepare(say);
  const command = s.command();
  const { cwd, runAs, stopSignal } = command;
  if (!fs.existsSync(command.cmd))
    throw new EfdError(
      `${s.name}: ${command.cmd} is missing; the install in the cache dir is incomplete. Remove ${paths.stamps()} and rerun \`npm run efd:up\`.`,
    );
  // `nice` execs the server, so the pid (and its threads' niceness, inherited) is the server's
  const [cmd, args] = niceness ? ['nice', ['-n', String(niceness), command.cmd, ...command.args]] : [command.cmd, command.args];
  const rec = spawnServer({ server: s.name, cmd, args, cwd, ports: s.ports, runAs, stopSignal });
  say(`${s.name}: started pid ${rec.pid} (${s.heap}), log ${logFile(s.name)}`);
}

async function waitReady(s: Server, say: Say, startedNow: boolean): Promise<void> {
  const t0 = Date.now();
  const rec = readPid(s.name) as PidRecord;
  while (!(await s.ready())) {
    if (!isAlive(rec)) {
      throw new EfdError(
        `${s.name} exited during start (pid ${rec.pid}). Last lines of ${logFile(s.name)}:\n` + tailFile(logFile(s.name), 30),
      );
    }
    if (Date.now() - t0 > s.readyTimeoutMs) {
      const hint = startedNow ? '' : ' It was already running before this command: restart it with `npm run efd:down && npm run efd:up`.';
      throw new EfdError(
        `${s.name} (pid ${rec.pid}) did not answer on ${s.url} within ${s.readyTimeoutMs / 1000} s.${hint} ` +
          `Last lines of ${logFile(s.name)}:\n${tailFile(logFile(s.name), 30)}`,
      );
    }
    await sleep(500);
  }
  await s.afterReady?.();
  say(`${s.name}: ready on ${s.url} after ${seconds(t0)} s`);
}

function endpointsFor(servers: Server[]): Endpoints {
  const clusters = servers.filter((s) => s.name.startsWith('kafka-')).map((_, i) => clusterEndpoints(clusterLayout(i)));
  const k8s = servers.some((s) => s.name === 'kube-apiserver');
  const stores = servers.some((s) => s.name === 's3') && servers.some((s) => s.name === 'gcs');
  const url = (name: string) => servers.find((s) => s.name === name)?.url;
  const connect = url('replication');
  const replication = connect
    ? {
        flow: 'summit → ldf',
        connect,
        sourceRegistry: url('replication-registry') as string,
        remoteRegistry: url('remote-registry') as string,
      }
    : undefined;
  return {
    clusters,
    influxdb: influxEndpoints(),
    ...(servers.some((s) => s.name === 'postgres') ? { postgres: postgresEndpoints() } : {}),
    ...(k8s ? { kubernetes: kubernetesEndpoints(siteContexts()) } : {}),
    ...(replication ? { replication } : {}),
    ...(stores ? { objectStores: objectStoreEndpoints() } : {}),
  };
}

function rssOf(server: string): number | undefined {
  const rec = runningPid(server);
  return rec ? rssMb(rec.pid) : undefined;
}

function printSummary(servers: Server[], e: Endpoints, say: Say): void {
  say('local EFD endpoints:');
  for (const c of e.clusters) say(`  cluster ${c.name}: kafka ${c.kafka}  registry ${c.registry}  connect ${c.connect}`);
  say(`  influxdb: ${e.influxdb.url} (database ${e.influxdb.database})`);
  if (e.postgres) say(`  postgres: ${e.postgres.jdbcUrl} (user ${e.postgres.user})`);
  if (e.kubernetes)
    say(
      `  kubernetes: ${e.kubernetes.server}, KUBECONFIG=${e.kubernetes.kubeconfig} (contexts ${e.kubernetes.contexts.join(', ')}; no kubelet: pods do not run)`,
    );
  if (e.replication)
    say(
      `  replication ${e.replication.flow}: connect ${e.replication.connect}  source registry ${e.replication.sourceRegistry}  remote registry ${e.replication.remoteRegistry}`,
    );
  if (e.objectStores)
    say(`  object stores: s3 ${e.objectStores.s3.endpoint} (SeaweedFS)  gcs ${e.objectStores.gcs.endpoint} (fake-gcs-server)`);
  say(`  written to ${paths.endpoints()}`);
  let total = 0;
  const parts = servers.map((s) => {
    const mb = rssOf(s.name) ?? 0;
    total += mb;
    return `${s.name} ${mb}`;
  });
  say(`RSS MB: ${parts.join(', ')}; total ${total}`);
}

async function wipe(say: Say): Promise<void> {
  await stopAll(say);
  fs.rmSync(paths.data(), { recursive: true, force: true });
  // PostgreSQL's cluster may live outside the state dir (a folder its user can reach)
  if (postgresInstalled()) fs.rmSync(path.dirname(reachableDataDir(postgresDataDir())), { recursive: true, force: true });
  say(`fresh: wiped ${paths.data()}`);
}

// ----------------------------------------------------------------- down ----

async function stopAll(say: Say): Promise<string[]> {
  const names = listPidServers();
  // Connect first (it writes to Kafka), the Kubernetes servers before their etcd, then the rest together.
  const first = (n: string) => n.startsWith('connect-') || n.startsWith('kube-');
  const order = [names.filter(first), names.filter((n) => !first(n))];
  const stopped: string[] = [];
  for (const group of order) {
    await Promise.all(
      group.map(async (name) => {
        const pid = readPid(name)?.pid;
        const result = await stopServer(name);
        if (result !== 'not-running') stopped.push(name);
        say(result === 'not-running' ? `${name}: was not running (stale pid file removed)` : `${name}: ${result} (pid ${pid})`);
      }),
    );
  }
  return stopped;
}

/** Stops only the processes this tool started (by their pid files). */
export async function down(opts: { say?: Say } = {}): Promise<string[]> {
  const say = opts.say ?? defaultSay;
  return withLock(async () => {
    const stopped = await stopAll(say);
    removeEndpoints();
    if (stopped.length === 0) say('local EFD: nothing was running');
    return stopped;
  }, say);
}

// --------------------------------------------------------------- status ----

export interface ServerStatus {
  server: string;
  state: 'up' | 'starting' | 'down';
  pid?: number;
  ports: number[];
  rssMb?: number;
  url: string;
}

export async function status(opts: { say?: Say } = {}): Promise<ServerStatus[]> {
  const say = opts.say ?? defaultSay;
  const rows: ServerStatus[] = [];
  for (const s of serversFor(knownClusters(), k8sKnown(), objectStoresKnown())) {
    const rec = runningPid(s.name);
    const listening = rec ? await isListening(s.ports[0]) : false;
    rows.push({
      server: s.name,
      state: rec ? (listening ? 'up' : 'starting') : 'down',
      pid: rec?.pid,
      ports: s.ports,
      rssMb: rec ? rssMb(rec.pid) : undefined,
      url: s.url,
    });
  }
  printStatus(rows, say);
  return rows;
}

function printStatus(rows: ServerStatus[], say: Say): void {
  const table = formatTable(
    ['SERVER', 'STATE', 'PID', 'PORTS', 'RSS MB', 'URL'],
    rows.map((r) => [r.server, r.state, r.pid || null, r.ports.join(','), r.rssMb, r.url]),
  );
  for (const line of table) say(line);
  const total = rows.reduce((sum, r) => sum + (r.rssMb ?? 0), 0);
  const upCount = rows.filter((r) => r.state === 'up').length;
  say(`${upCount}/${rows.length} up; total RSS ${total} MB; state dir ${stateDir()}`);
}

// ----------------------------------------------------------------- logs ----

export interface LogsOptions {
  server?: string;
  lines?: number;
  say?: Say;
}

export function logs(opts: LogsOptions = {}): void {
  const say = opts.say ?? defaultSay;
  const lines = opts.lines ?? 50;
  const available = fs.existsSync(paths.logs())
    ? fs
        .readdirSync(paths.logs())
        .filter((f) => f.endsWith('.log'))
        .map((f) => f.replace(/\.log$/, ''))
        .sort()
    : [];
  if (opts.server) {
    if (!available.includes(opts.server)) {
      throw new EfdError(
        `no log for server '${opts.server}' in ${paths.logs()}; ` +
          `available: ${available.join(', ') || '(none: run `npm run efd:up` first)'}`,
      );
    }
    say(tailFile(logFile(opts.server), lines));
    return;
  }
  if (available.length === 0) throw new EfdError(`no logs in ${paths.logs()}: run \`npm run efd:up\` first`);
  for (const name of available) {
    say(`==> ${logFile(name)} <==`);
    say(tailFile(logFile(name), lines));
  }
}
