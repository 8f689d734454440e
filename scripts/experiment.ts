/**
 * The mock-SAL experiment of seed 002 on the local EFD: salschema registers
 * the ts_xml schemas, influxdb-init applies a site's retention tiers to a
 * fresh database, saltransform and influxdb-sink run as real processes, and
 * salmock produces SAL text at the seed schedule (scaled). Done when every
 * produced message is in InfluxDB (or dead-lettered) — counted, not assumed.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { Endpoints } from './local-efd';
import type { Site } from '../config/schema';
import { influxQuery } from '../apps/influxdb-init/apply';

const root = path.resolve(__dirname, '..');
const EFD = [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'apps', 'cli', 'main.ts')];

export interface ExperimentOptions {
  endpoints: Endpoints;
  /** Site whose retention tiers the experiment database gets. */
  site: Site;
  /** ts_xml folder (default: the shared fixtures beside the repository, or $EFD_TS_XML). */
  xml?: string;
  /** How long salmock produces. @default 10 */
  seconds?: number;
  /** Fraction of the seed's 29,284 msg/s. @default 0.05 */
  rateFactor?: number;
  /** Longest wait for InfluxDB to hold everything after salmock stopped. @default 180 */
  drainTimeoutSeconds?: number;
  say?: (line: string) => void;
}

export interface ExperimentResult {
  prefix: string;
  database: string;
  topics: number;
  produced: number;
  producedRate: number;
  deadLettered: number;
  pointsInInfluxDb: number;
  measurements: number;
  /** Seconds from salmock's last message to the last point in InfluxDB. */
  drainSeconds: number;
  /** Points written per second over the whole run (first message to last point). */
  endToEndRate: number;
}

export function defaultXmlFolder(): string {
  return process.env.EFD_TS_XML ?? path.resolve(root, '..', 'shared', 'fixtures', 'ts_xml', 'current');
}

function efd(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [...EFD, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: process.env.EFD_EXPERIMENT_LOG_LEVEL ?? 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs an `efd` subcommand to completion; resolves with stdout, rejects with the tail of stderr. */
function efdRun(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = efd(args);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => (out += String(d)));
    child.stderr?.on('data', (d) => (err += String(d)));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`efd ${args[0]} ${args[1] ?? ''} exited ${code}:\n${(err || out).split('\n').slice(-15).join('\n')}`))));
  });
}

/**
 * Points over all measurements, counted on one EFD field every point carries (sal_origin): count(*)
 * would count each of the thousands of flattened array fields (minutes and 100+ MB of JSON).
 */
async function countPoints(url: string, db: string): Promise<{ points: number; measurements: number }> {
  const { series = [] } = await influxQuery({ url }, 'SELECT count(sal_origin) FROM /.*/', db);
  const points = series.reduce((sum, s) => sum + (Number(s.values?.[0]?.[1]) || 0), 0);
  return { points, measurements: series.length };
}

/** Creates the Avro output topics up front, as they exist on a running EFD (the sink then needs no rebalance per new topic). */
async function createAvroTopics(brokers: string, xml: string, subsystems: string[], prefix: string): Promise<number> {
  const { loadTopicMetadata } = await import('../apps/salschema/metadata');
  const { Kafka, logLevel } = await import('kafkajs');
  const names = loadTopicMetadata(xml).topics.filter((t) => subsystems.includes(t.subsystem)).map((t) => `${prefix}${t.schemaName}`);
  const admin = new Kafka({ clientId: 'efd-experiment', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return names.length;
}

/** A free loopback port for an app's /metrics. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Sum of a Prometheus counter (all label sets) from an app's /metrics; 0 while the app is starting. */
async function metricSum(port: number, name: string): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name) && (l[name.length] === ' ' || l[name.length] === '{'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentResult> {
  const say = opts.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const xml = opts.xml ?? defaultXmlFolder();
  if (!fs.existsSync(xml)) throw new Error(`ts_xml folder ${xml} not found; set EFD_TS_XML to a ts_xml sal_interfaces folder`);
  const seconds = opts.seconds ?? 10;
  const rateFactor = opts.rateFactor ?? 0.05;
  const cluster = opts.endpoints.clusters[0];
  const influx = opts.endpoints.influxdb.url;
  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  const prefix = `exp${stamp}.`;
  const database = `efd_exp_${stamp}`;
  const subsystems = opts.site.apps.subsystems.join(',');

  say(`experiment ${prefix}: topics ${prefix}*, database ${database} (${opts.site.name}'s tiers), ${seconds} s of salmock at ${rateFactor} x the seed schedule`);
  await efdRun(['influxdb-init', '--url', influx, '--database', database, '--tiers', JSON.stringify(opts.site.retention.tiers)]);
  const registered = await efdRun(['salschema', 'register', '--xml', xml, '--registry', cluster.registry, '--topic-prefix', prefix, '--topics', `^(${opts.site.apps.subsystems.join('|')})_`]);
  say(`  salschema: ${registered.trim().split('\n').pop()}`);
  say(`  kafka: ${await createAvroTopics(cluster.kafka, xml, opts.site.apps.subsystems, prefix)} lsst.sal topics created`);

  const common = ['--brokers', cluster.kafka, '--registry', cluster.registry];
  const [transformPort, sinkPort] = [await freePort(), await freePort()];
  const children = [
    efd(['saltransform', '--subsystems', subsystems, '--topic-prefix', prefix, '--group', `${prefix}saltransform`, '--metrics-port', String(transformPort), ...common]),
    efd(['influxdb-sink', '--metrics-port', String(sinkPort), '--influxdb-url', influx, '--database', database, '--topics-regex', `${prefix.replace('.', '[.]')}lsst[.]sal[.].*`, '--strip-prefix', `${prefix}lsst.sal.`, '--group-id', `${prefix}influxdb-sink`, '--dead-letter-topic', `${prefix}influxdb-sink.dlq`, '--topic-refresh-ms', '1000', '--flush-interval-ms', '200', '--batch-size', '1000', ...common]),
  ];
  const stderr: string[] = [];
  for (const c of children) c.stderr?.on('data', (d) => stderr.push(String(d)));
  if (process.env.EFD_EXPERIMENT_DEBUG) children.forEach((c, i) => c.stderr?.on('data', (d) => fs.appendFileSync(`/tmp/exp-app-${i}.log`, String(d))));
  try {
    const started = Date.now();
    const mockOut = await efdRun(['salmock', '--xml', xml, '--subsystems', subsystems, '--topic-prefix', prefix, '--seed-schedule', '--rate-factor', String(rateFactor), '--duration', String(seconds), '--create-topics', '--metrics-port', '0', ...common]);
    const summary = JSON.parse(mockOut.trim().split('\n').pop() ?? '{}') as { produced: number; rate: number; topics: number };
    const mockDone = Date.now();
    say(`  salmock: ${summary.produced} messages on ${summary.topics} topics (${Math.round(summary.rate)} msg/s)`);

    // Progress from the apps' own counters (cheap); the final figure is counted in InfluxDB itself.
    const deadline = mockDone + (opts.drainTimeoutSeconds ?? 180) * 1000;
    let written = 0;
    let dead = 0;
    let lastReport = Date.now();
    for (;;) {
      for (const c of children) if (c.exitCode !== null) throw new Error(`an app stopped during the experiment:\n${stderr.join('').split('\n').slice(-15).join('\n')}`);
      written = await metricSum(sinkPort, 'influxdb_sink_points_written_total');
      dead = (await metricSum(transformPort, 'saltransform_deadletter_total')) + (await metricSum(sinkPort, 'influxdb_sink_dead_letters_total'));
      if (written + dead >= summary.produced) break;
      if (Date.now() > deadline) {
        throw new Error(`after ${opts.drainTimeoutSeconds ?? 180} s the sink wrote ${written} of ${summary.produced} points (${dead} dead-lettered)`);
      }
      if (Date.now() - lastReport > 5000) {
        // where the lag is: saltransform's output, what the sink has read, and its failed writes (retried)
        const transformed = await metricSum(transformPort, 'saltransform_produced_total');
        const consumed = await metricSum(sinkPort, 'influxdb_sink_records_consumed_total');
        const errors = await metricSum(sinkPort, 'influxdb_sink_write_errors_total');
        say(
          `  … ${written} of ${summary.produced} written (transformed ${transformed}, sink read ${consumed}, failed writes ${errors}), ` +
            `${((Date.now() - mockDone) / 1000).toFixed(0)} s after salmock stopped`,
        );
        lastReport = Date.now();
      }
      await sleep(250);
    }
    const end = Date.now();
    const counted = await countPoints(influx, database);
    const result: ExperimentResult = {
      prefix,
      database,
      topics: summary.topics,
      produced: summary.produced,
      producedRate: summary.rate,
      deadLettered: dead,
      pointsInInfluxDb: counted.points,
      measurements: counted.measurements,
      drainSeconds: (end - mockDone) / 1000,
      endToEndRate: counted.points / ((end - started) / 1000),
    };
    say(
      `  InfluxDB: ${result.pointsInInfluxDb} points in ${result.measurements} measurements (${result.deadLettered} dead-lettered); ` +
        `all in ${result.drainSeconds.toFixed(1)} s after salmock stopped, ${Math.round(result.endToEndRate)} points/s end to end`,
    );
    return result;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    if (!process.env.EFD_EXPERIMENT_KEEP) await cleanUp(cluster.kafka, influx, prefix, database, say);
  }
}

/** Drops the experiment's database and topics (EFD_EXPERIMENT_KEEP=1 keeps them for inspection). */
async function cleanUp(brokers: string, influx: string, prefix: string, database: string, say: (l: string) => void): Promise<void> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ clientId: 'efd-experiment', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics });
    await influxQuery({ url: influx }, `DROP DATABASE "${database}"`);
    say(`  cleaned up: database ${database} and ${topics.length} topics dropped (EFD_EXPERIMENT_KEEP=1 keeps them)`);
  } catch (err) {
    say(`  clean-up incomplete: ${(err as Error).message}`);
  } finally {
    await admin.disconnect();
  }
}
