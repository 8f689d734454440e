/**
 * The mock-SAL experiment of seed 002 on an EFD (the local one by default): salschema registers the
 * schemas of a ts_xml folder, influxdb-init applies a site's retention tiers to a fresh database (and
 * influxdb-downsample fills its downsampled tiers), saltransform and influxdb-sink run as real processes, and salmock produces SAL text at the seed
 * schedule (scaled). Done when every produced message is in InfluxDB or dead-lettered — counted, not
 * assumed. Each app's own metrics (scraped once a second from /metrics.json) give throughput and
 * latency per stage:
 *   into Kafka     sal_created → Kafka acknowledges the raw record            (salmock)
 *   saltransform   raw record appended (LogAppendTime) → Avro record acked     (saltransform)
 *   sink           Avro record appended (LogAppendTime) → InfluxDB acks point   (influxdb-sink)
 *   end to end     sal_created → InfluxDB acknowledges the point              (influxdb-sink)
 * The report (JSON + plots) is written even when the run fails.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Site } from '../../config/schema';
import { influxQuery } from '../../apps/influxdb-init/apply';
import { createAdmin } from '../../apps/lib/kafka-admin';
import { silentLogger } from '../../apps/lib/logging';
import { sleep } from '../../apps/lib/retry';
import type { LatencySnapshot } from '../../apps/lib/latency';
import { loadTopicMetadata, TopicMeta } from '../../apps/lib/sal/metadata';
import { formatSalSchemaError } from '../../apps/lib/sal/errors';
import { kafkaTopicOf, schemasFromXml, subjectOf } from '../../apps/lib/sal/register';
import { stableStringify } from '../../apps/lib/sal/convert';
import { createRegistry } from '../../apps/lib/registry';
import { planRate, planTopics, seedScheduleFactor } from '../../apps/lib/sal/plan';
import { rawTopicOf } from '../../apps/lib/sal/sal-text';
import type { SalmockSummary } from '../../apps/salmock/run';
import { EMPTY_SNAPSHOT, quantile } from './latency';
import { buildReport, ExperimentReport, Sample, writeReport } from './report';
import { MetricsSample, scrape } from './scrape';
import { UnreachableError } from '../../apps/lib/exit-codes';

const root = path.resolve(__dirname, '..', '..');
const EFD = [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'apps', 'cli', 'main.ts')];

/** Where the experiment's apps connect. */
export interface ExperimentEndpoints {
  kafka: string;
  registry: string;
  influxdb: string;
}

export interface ExperimentOptions {
  endpoints: ExperimentEndpoints;
  /** Site whose retention tiers the experiment database gets. */
  site: Site;
  /** ts_xml sal_interfaces folder whose topics are mocked. */
  xml: string;
  /** Only these subsystems (default: every subsystem of the folder). */
  subsystems?: string[];
  /** Only SAL topics whose name matches this regular expression. */
  topics?: string;
  /** How long salmock produces, seconds. @default 10 */
  seconds?: number;
  /** Fraction of the seed's 29,284 msg/s (the selected topics are scaled to it first). @default 0.05 */
  rateFactor?: number;
  /** Longest wait for InfluxDB to hold everything after salmock stopped, seconds. @default 180 */
  drainTimeoutSeconds?: number;
  /** Report folder. @default experiments/<id> under the repository */
  outDir?: string;
  /** Render the plots (SVG + PNG). @default true */
  plots?: boolean;
  /** Keep the experiment's topics and database afterwards. @default false (EFD_EXPERIMENT_KEEP=1) */
  keep?: boolean;
  /** Lines for the terminal. */
  say?: (line: string) => void;
  /** The live progress line (overwritten in place on a terminal). */
  progress?: (line: string) => void;
}

export class ExperimentError extends Error {
  constructor(
    message: string,
    readonly report: ExperimentReport,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

function efd(args: string[]): ChildProcess {
  return spawn(process.execPath, [...EFD, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: process.env.EFD_EXPERIMENT_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs an `efd` subcommand to completion; resolves with stdout, rejects with the tail of its output. */
function efdRun(args: string[], onChild?: (c: ChildProcess) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = efd(args);
    onChild?.(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => (out += String(d)));
    child.stderr?.on('data', (d) => (err += String(d)));
    child.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`efd ${args[0]} ${args[1] ?? ''} exited ${code}:\n${(err || out).trim().split('\n').slice(-15).join('\n')}`)),
    );
  });
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

/** Points and fields per measurement, counted by InfluxDB (count of sal_origin, which every point carries). */
async function countInInfluxDb(url: string, db: string): Promise<{ points: number; measurements: number; fields: number }> {
  const { series = [] } = await influxQuery({ url }, 'SELECT count(sal_origin) FROM /.*/', db);
  const { series: keys = [] } = await influxQuery({ url }, 'SHOW FIELD KEYS', db);
  const fieldsOf = new Map(keys.map((s) => [s.name, s.values?.length ?? 0]));
  let points = 0;
  let fields = 0;
  for (const s of series) {
    const n = Number(s.values?.[0]?.[1]) || 0;
    points += n;
    fields += n * (fieldsOf.get(s.name) ?? 0);
  }
  return { points, measurements: series.length, fields };
}

/**
 * Creates the experiment's raw and Avro topics with LogAppendTime, so a record's timestamp is when Kafka
 * appended it, then waits (≤ 120 s) until every partition has a leader.
 */
async function createTopics(brokers: string, names: string[]): Promise<void> {
  const admin = createAdmin({ brokers, clientId: 'efd-experiment', logger: silentLogger() });
  await admin.connect();
  try {
    await admin
      .createTopics(
        names.map((topic) => ({ topic, partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } })),
        { timeoutMs: 120_000 },
      )
      .catch((err: Error) => {
        throw new Error(`Kafka at ${brokers}: ${err.message}`, { cause: err });
      });
  } finally {
    await admin.disconnect();
  }
}

/**
 * The Avro schemas of the selected topics, under a subject prefix named by their content
 * (`efd-experiment-<sha256 of the schemas, 12 hex>.`): runs with the same schemas share one set of subjects.
 */
/** What the experiment (and the faults bench) start saltransform with. */
export interface SaltransformRun {
  subsystems: string[];
  topicPrefix: string;
  subjectPrefix: string;
  group: string;
  metricsPort: number;
  kafka: string;
  registry: string;
}

/** The `efd saltransform` arguments of a {@link SaltransformRun}. */
export function saltransformArgs(r: SaltransformRun): string[] {
  return [
    'saltransform',
    '--subsystems',
    r.subsystems.join(','),
    '--topic-prefix',
    r.topicPrefix,
    '--subject-prefix',
    r.subjectPrefix,
    '--group',
    r.group,
    '--metrics-port',
    String(r.metricsPort),
    '--brokers',
    r.kafka,
    '--registry',
    r.registry,
  ];
}

export function experimentSchemas(xml: string, selected: TopicMeta[]): { prefix: string; subjects: string[] } {
  const wanted = new Set(selected.map((t) => t.topic));
  const schemas = [...schemasFromXml(xml).schemas].filter(([t]) => wanted.has(t)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256');
  for (const [topic, schema] of schemas) hash.update(`${topic}\n${stableStringify(schema)}\n`);
  const prefix = `efd-experiment-${hash.digest('hex').slice(0, 12)}.`;
  return { prefix, subjects: schemas.map(([t]) => subjectOf(t, prefix)) };
}

/**
 * The topics an experiment mocks, and the folder's ts_xml problems (topics skipped, with file and line);
 * throws naming the filter and what the folder has when no topic is left.
 */
export function selectTopics(
  xml: string,
  opts: Pick<ExperimentOptions, 'subsystems' | 'topics'>,
): { topics: TopicMeta[]; problems: string[] } {
  if (!fs.existsSync(xml)) throw new Error(`ts_xml folder ${xml} not found: pass --xml <sal_interfaces folder> (or set EFD_TS_XML)`);
  const { topics, errors } = loadTopicMetadata(xml);
  if (topics.length === 0) {
    throw new Error(`no SAL topics under ${xml}${errors.length ? `: ${errors[0].message}` : ' (is it a ts_xml sal_interfaces folder?)'}`);
  }
  const known = new Set(topics.map((t) => t.subsystem));
  const unknown = (opts.subsystems ?? []).filter((s) => !known.has(s));
  if (unknown.length) {
    throw new Error(`unknown subsystem(s) ${unknown.join(', ')}: ${xml} has ${[...known].sort().join(', ')}`);
  }
  return {
    topics: planTopics(topics, { subsystems: opts.subsystems, topics: opts.topics }).map((p) => p.meta),
    problems: errors.map(formatSalSchemaError),
  };
}

/** Checks that Kafka, the registry and InfluxDB answer; throws naming each one that does not and what to do. */
export async function preflight(e: ExperimentEndpoints): Promise<void> {
  const problems: string[] = [];
  const http = async (what: string, url: string, flag: string) => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.status >= 500) problems.push(`${what} at ${url} answered ${res.status}`);
    } catch (err) {
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (err as Error).message;
      problems.push(`${what} at ${url} does not answer (${cause}): start it, or pass ${flag}`);
    }
  };
  const kafka = async () => {
    const admin = createAdmin({
      brokers: e.kafka,
      clientId: 'efd-experiment-preflight',
      // a stopped broker refuses at once; a busy one (a JVM starting beside it on two cores) may take seconds
      connectionTimeoutMs: 10_000,
      requestTimeoutMs: 10_000,
      retries: 1,
    });
    try {
      await admin.connect();
      await admin.listTopics();
    } catch (err) {
      problems.push(`Kafka at ${e.kafka} does not answer (${(err as Error).message}): start it, or pass --brokers`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
  await Promise.all([
    kafka(),
    http('the schema registry', `${e.registry.replace(/\/$/, '')}/subjects`, '--registry'),
    http('InfluxDB', `${e.influxdb.replace(/\/$/, '')}/ping`, '--influxdb-url'),
  ]);
  if (problems.length) throw new UnreachableError(problems.join('; '));
}

export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentReport> {
  const say = opts.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const progress = opts.progress ?? say;
  const seconds = opts.seconds ?? 10;
  const rateFactor = opts.rateFactor ?? 0.05;
  const drainTimeout = opts.drainTimeoutSeconds ?? 180;
  const stamp = new Date()
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 14);
  // several people share one EFD: two runs started in the same second must not share topics or a database
  const id = `exp${stamp}${randomBytes(2).toString('hex')}`;
  const prefix = `${id}.`;
  const database = `efd_${id}`;
  const outDir = path.resolve(opts.outDir ?? path.join(root, 'experiments', id));
  const { kafka, registry, influxdb } = opts.endpoints;
  const samples: Sample[] = [];
  let summary: SalmockSummary | undefined;
  let inInfluxDb: { points: number; measurements: number; fields: number } | undefined;
  let selected: TopicMeta[] = [];
  let scheduledRate = 0;
  let mockStarted = 0;
  let mockDone = 0;
  let lastWritten = 0; // wall time of the last sample in which the written count grew
  let writtenSoFar = 0;
  const startedAt = new Date();
  const report = (status: 'ok' | 'failed', error?: string): ExperimentReport =>
    buildReport({
      id,
      status,
      error,
      startedAt,
      finishedAt: new Date(),
      settings: {
        site: opts.site.name,
        xml: opts.xml,
        subsystems: opts.subsystems,
        topicsRegex: opts.topics,
        topics: selected.length,
        rateFactor,
        seconds,
        scheduledRate,
        prefix,
        database,
        endpoints: opts.endpoints,
      },
      salmock: summary,
      samples,
      inInfluxDb,
      mockStarted,
      mockDone,
      lastWritten,
    });

  const children: ChildProcess[] = [];
  const stderr: string[] = [];
  // stops the apps (once), then drops the topics and database unless kept; run while the report is written
  let finishing: Promise<void> | undefined;
  const finish = () =>
    (finishing ??= (async () => {
      for (const c of children) if (!c.killed) c.kill('SIGTERM'); // a second SIGTERM would force their exit
      await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
      if (!(opts.keep ?? process.env.EFD_EXPERIMENT_KEEP === '1')) await cleanUp(kafka, influxdb, prefix, database, say);
    })());
  try {
    const { topics, problems } = selectTopics(opts.xml, opts);
    selected = topics;
    if (problems.length) say(`  warning: ${problems.length} ts_xml problem(s), those topics are not mocked; the first: ${problems[0]}`);
    await preflight(opts.endpoints);
    const subsystems = [...new Set(selected.map((t) => t.subsystem))].sort();
    const seedFactor = seedScheduleFactor(selected);
    scheduledRate = planRate(planTopics(selected, { rateFactor: seedFactor * rateFactor }));
    const topicsRegex = opts.topics ?? `^(${subsystems.join('|')})_`;
    say(
      `experiment ${id}: ${selected.length} topics of ${subsystems.length} subsystems, ${seconds} s at ${rateFactor} × the seed schedule (${Math.round(scheduledRate)} msg/s); database ${database} with ${opts.site.name}'s tiers`,
    );

    let phase = Date.now();
    const took = () => {
      const t = ((Date.now() - phase) / 1000).toFixed(1);
      phase = Date.now();
      return `${t} s`;
    };
    // influxdb-init, the schemas and the topics are independent: all three at once
    const since = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
    // The schemas live under a prefix named by their content, shared by every run with the same schemas:
    // a run registers only when the registry lacks some (one listing tells), and leaves nothing behind.
    // (Computed first: it keeps the event loop busy for seconds, which would time out connections started before.)
    const { prefix: schemaPrefix, subjects } = experimentSchemas(opts.xml, selected);
    const init = efdRun(['influxdb-init', '--url', influxdb, '--database', database, '--tiers', JSON.stringify(opts.site.retention.tiers)]);
    const raw = [...new Set(selected.map((t) => rawTopicOf(t, prefix)))];
    const avro = selected.map((t) => kafkaTopicOf(t.topic, prefix));
    const topicsStart = Date.now();
    const topicsMade = createTopics(kafka, [...raw, ...avro]).then(() => since(topicsStart));
    const registering = (async () => {
      const held = new Set(await createRegistry(registry, { logger: silentLogger(), retry: { attempts: 3 } }).listSubjects());
      const missing = subjects.filter((s) => !held.has(s));
      return missing.length
        ? (
            await efdRun([
              'salschema',
              'register',
              '--xml',
              opts.xml,
              '--registry',
              registry,
              '--topic-prefix',
              schemaPrefix,
              '--topics',
              topicsRegex,
            ])
          )
            .trim()
            .split('\n')
            .pop()
        : `all ${subjects.length} schemas already registered under ${schemaPrefix}`;
    })();
    const [registered, , topicsTook] = await Promise.all([registering, init, topicsMade]);
    say(`  influxdb-init + salschema (${took()}): ${registered}`);
    say(`  kafka (${topicsTook}, alongside): ${raw.length} raw and ${avro.length} Avro topics (LogAppendTime)`);

    const common = ['--brokers', kafka, '--registry', registry];
    const [transformPort, sinkPort, mockPort] = [await freePort(), await freePort(), await freePort()];
    if (opts.site.retention.tiers.some((t) => t.source)) {
      // the downsampled tiers, filled off the write path as on a site (stopped before the database is dropped)
      const tiers = JSON.stringify(opts.site.retention.tiers);
      children.push(
        efd([
          'influxdb-downsample',
          '--url',
          influxdb,
          '--database',
          database,
          '--tiers',
          tiers,
          '--catch-up',
          '1m',
          '--metrics-port',
          String(await freePort()),
        ]),
      );
    }
    children.push(
      efd(
        saltransformArgs({
          subsystems,
          topicPrefix: prefix,
          subjectPrefix: schemaPrefix,
          group: `${prefix}saltransform`,
          metricsPort: transformPort,
          kafka,
          registry,
        }),
      ),
      efd([
        'influxdb-sink',
        '--metrics-port',
        String(sinkPort),
        '--influxdb-url',
        influxdb,
        '--database',
        database,
        '--topics-regex',
        `${prefix.replace('.', '[.]')}lsst[.]sal[.].*`,
        '--strip-prefix',
        `${prefix}lsst.sal.`,
        '--group',
        `${prefix}influxdb-sink`,
        '--dead-letter-topic',
        `${prefix}influxdb-sink.dlq`,
        '--topic-refresh-ms',
        '1000',
        '--flush-interval-ms',
        '200',
        '--batch-size',
        '1000',
        ...common,
      ]),
    );
    for (const c of children) c.stderr?.on('data', (d) => stderr.push(String(d)));
    const appDied = () => children.find((c) => c.exitCode !== null);

    // One sample a second of every app's metrics; salmock's last figures come from its summary.
    let mock: MetricsSample | undefined;
    let transform: MetricsSample | undefined;
    let sink: MetricsSample | undefined;
    const t0 = Date.now();
    const poll = async () => {
      const [m, t, s] = await Promise.all([mockDone ? undefined : scrape(mockPort), scrape(transformPort), scrape(sinkPort)]);
      mock = m ?? mock;
      transform = t ?? transform;
      sink = s ?? sink;
      const sample: Sample = {
        t: (Date.now() - t0) / 1000,
        produced: mockDone && summary ? summary.produced : (mock?.sum('salmock_produced_total') ?? 0),
        producedBytes: mockDone && summary ? summary.bytes : (mock?.sum('salmock_produced_bytes_total') ?? 0),
        transformed: transform?.sum('saltransform_produced_total') ?? 0,
        transformedBytes: transform?.sum('saltransform_produced_bytes_total') ?? 0,
        written: sink?.sum('influxdb_sink_points_written_total') ?? 0,
        writtenBytes: sink?.sum('influxdb_sink_bytes_written_total') ?? 0,
        deadLettered: (transform?.sum('saltransform_deadletter_total') ?? 0) + (sink?.sum('influxdb_sink_dead_letters_total') ?? 0),
        writeErrors: sink?.sum('influxdb_sink_write_errors_total') ?? 0,
        latency: {
          intoKafka: (mockDone ? summary?.produceLatency : mock?.latency('salmock_produce_latency_seconds')) ?? EMPTY_SNAPSHOT,
          saltransform: transform?.latency('saltransform_total_seconds') ?? EMPTY_SNAPSHOT,
          sink: sink?.latency('influxdb_sink_record_latency_seconds') ?? EMPTY_SNAPSHOT,
          endToEnd: sink?.latency('influxdb_sink_end_to_end_latency_seconds') ?? EMPTY_SNAPSHOT,
        },
      };
      samples.push(sample);
      if (sample.written > writtenSoFar) {
        writtenSoFar = sample.written;
        lastWritten = Date.now();
      }
      return sample;
    };
    const line = (s: Sample, target: number | undefined) => {
      const e2e: LatencySnapshot = s.latency.endToEnd;
      // the write rate over the last 5 s: the sink writes in batches, so one second may see none
      const prev = samples.find((x) => x.t >= s.t - 5 && x !== s) ?? (samples.length > 1 ? samples[samples.length - 2] : undefined);
      const rate = prev ? (s.written - prev.written) / Math.max(s.t - prev.t, 1e-3) : 0;
      const p = (q: number) => {
        const v = quantile(e2e, q);
        return Number.isFinite(v) ? `${(v * 1000).toFixed(0)} ms` : '–';
      };
      return (
        `  ${s.t.toFixed(0).padStart(3)} s  produced ${s.produced}${target ? `/${target}` : ''}  transformed ${s.transformed}  written ${s.written} (${Math.round(rate)} points/s)` +
        `  dead-lettered ${s.deadLettered}${s.writeErrors ? `  failed writes ${s.writeErrors} (retried)` : ''}  end to end median ${p(0.5)}, p99 ${p(0.99)}`
      );
    };

    // salmock starts once saltransform and the sink consume (joined their groups): records made before
    // would count their start-up as latency
    const ready = async (port: number, name: string) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const died = appDied();
        if (died)
          throw new Error(
            `an app stopped before the experiment started (exit ${died.exitCode}):\n${stderr.join('').trim().split('\n').slice(-15).join('\n')}`,
          );
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`${name} did not become healthy within 120 s (its /healthz on port ${port})`);
        await sleep(250);
      }
    };
    await Promise.all([ready(transformPort, 'saltransform'), ready(sinkPort, 'influxdb-sink')]);
    say(`  saltransform and influxdb-sink consuming (${took()})`);
    mockStarted = Date.now();
    let mockError: Error | undefined;
    const mockRun = efdRun([
      'salmock',
      '--xml',
      opts.xml,
      '--topics',
      topicsRegex,
      '--topic-prefix',
      prefix,
      '--seed-schedule',
      '--rate-factor',
      String(rateFactor),
      '--duration',
      String(seconds),
      '--metrics-port',
      String(mockPort),
      ...common,
    ]).then(
      (out) => {
        summary = JSON.parse(out.trim().split('\n').pop() ?? '{}') as SalmockSummary;
        mockDone = Date.now();
      },
      (err: Error) => {
        mockError = err;
        mockDone = Date.now();
      },
    );
    while (!mockDone) {
      const died = appDied();
      if (died)
        throw new Error(
          `an app stopped during the experiment (exit ${died.exitCode}):\n${stderr.join('').trim().split('\n').slice(-15).join('\n')}`,
        );
      progress(line(await poll(), undefined));
      await Promise.race([sleep(1000), mockRun]);
    }
    if (mockError) throw mockError;
    if (!summary) throw new Error('salmock printed no summary');
    say(
      `  salmock: ${summary.produced} messages on ${summary.topics} topics in ${summary.seconds.toFixed(1)} s (${Math.round(summary.rate)} msg/s)${summary.failed ? `, ${summary.failed} not acknowledged` : ''}`,
    );

    for (;;) {
      const died = appDied();
      if (died)
        throw new Error(
          `an app stopped during the experiment (exit ${died.exitCode}):\n${stderr.join('').trim().split('\n').slice(-15).join('\n')}`,
        );
      const s = await poll();
      progress(line(s, summary.produced));
      if (s.written + s.deadLettered >= summary.produced) break;
      if (Date.now() - mockDone > drainTimeout * 1000) {
        throw new Error(
          `after ${drainTimeout} s the sink wrote ${s.written} of ${summary.produced} points (${s.deadLettered} dead-lettered, saltransform produced ${s.transformed}, ${s.writeErrors} failed writes)`,
        );
      }
      await sleep(1000);
    }
    // every message is accounted for: the apps stop (leaving their groups) while InfluxDB is counted
    for (const c of children) c.kill('SIGTERM');
    inInfluxDb = await countInInfluxDb(influxdb, database);
    const done = report('ok');
    if (inInfluxDb.points + done.deadLettered !== done.produced) {
      throw new Error(
        `${done.produced} produced but InfluxDB holds ${inInfluxDb.points} points and ${done.deadLettered} were dead-lettered`,
      );
    }
    await Promise.all([writeReport(done, outDir, { plots: opts.plots ?? true }), finish()]);
    return done;
  } catch (err) {
    const failed = report('failed', (err as Error).message);
    await writeReport(failed, outDir, { plots: opts.plots ?? true }).catch((e: Error) => say(`  report not written: ${e.message}`));
    throw new ExperimentError((err as Error).message, failed, err);
  } finally {
    await finish();
  }
}

/** Drops the experiment's database and topics (EFD_EXPERIMENT_KEEP=1 keeps them for inspection). */
async function cleanUp(brokers: string, influx: string, prefix: string, database: string, say: (l: string) => void): Promise<void> {
  const admin = createAdmin({ brokers, clientId: 'efd-experiment', logger: silentLogger() });
  const t0 = Date.now();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    await Promise.all([admin.deleteTopics(topics), influxQuery({ url: influx }, `DROP DATABASE "${database}"`)]);
    say(
      `  cleaned up (${((Date.now() - t0) / 1000).toFixed(1)} s): database ${database} and ${topics.length} topics dropped (EFD_EXPERIMENT_KEEP=1 keeps them)`,
    );
  } catch (err) {
    say(`  clean-up incomplete: ${(err as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
