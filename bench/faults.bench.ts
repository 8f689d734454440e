/**
 * The sink under a fault, and its repair (issue 21, "Speed"), on the local EFD's cluster a (Kafka and the
 * registry) with an InfluxDB of the bench's own (startPrivateInflux: the shared one is never stopped).
 *
 * 1. Catch-up after an InfluxDB outage at the experiment's rate. salmock → saltransform (both `efd`
 *    processes, as `efd experiment` runs them) → influxdb-sink (in this process, with `efd experiment`'s
 *    sink flags: batch 1000, flush 200 ms, topic refresh 1 s) → the private InfluxDB. salmock runs
 *    `--seed-schedule --rate-factor 0.05`: `efd experiment`'s short default (0.05 × the seed's 29,284 msg/s
 *    = 1,464 msg/s), over a bounded subset of its default input (the generated 1,051-topic set): the
 *    subsystems MTMount, MTM2 and MTDome (104 topics; the schedule is scaled to the selected topics, as the
 *    experiment does with --subsystems). After a warm-up (≥ 10 s, until the sink is ≤ 2 s of records behind,
 *    ≤ 30 s) the InfluxDB is stopped for 30 s, then started; the catch-up is the time from its restart
 *    (/ping answers) until the sink's committed offset reached, on every Avro partition, the end offset the
 *    partition had at the restart: every record made so far is written (the sink commits a batch only once
 *    InfluxDB acknowledged it). salmock produces through the warm-up and the outage and is stopped (SIGKILL)
 *    at the restart, so the catch-up is the backlog's drain (with salmock producing on, a first run on the
 *    loaded machine did not catch up within 180 s: the sink's headroom over 1,464 msg/s was too small); then
 *    the audit: every record on the raw topics is an Avro record and a point in InfluxDB.
 *    Baselines in the same run: the outage length, and the time the backlog takes at the live sink's rate
 *    (part 2); the catch-up's points/s (records committed from the restart to caught up, over that time)
 *    against the live sink's.
 * 2. Repair throughput against the live sink, on the same data (the Avro topics of part 1, whole range):
 *    the live sink from a fresh consumer group into a new database, then `efd influxdb-sink repair`'s
 *    `repair()` (same config: converter, writer, batch size, in-flight writes) over the same range into
 *    another new database; each rate from the first record read to the last record written and committed;
 *    each runs twice, alternating (live, repair, live, repair), best of two on each side.
 *
 * Bounded: EFD_BENCH_OUTAGE_MS (default 30000) sets the outage; EFD_BENCH_FAULTS_SUBSYSTEMS (comma-separated,
 * default MTMount,MTM2,MTDome) the subsystems, EFD_BENCH_FAULTS_RATE_FACTOR (default 0.05) the rate; every
 * wait is bounded. About 3 minutes by default. Topics (raw, Avro, dead letters), consumer groups and the
 * private InfluxDB are deleted at the end; the schemas are the experiment's content-named shared set
 * (efd-experiment-<hash>.), registered when missing and left, as `efd experiment` leaves them.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { converterFor, influxWriterFor, RunningSink, sinkConfig, startSink, type SinkConfig } from '../apps/influxdb-sink/cli';
import type { Converter } from '../apps/influxdb-sink/convert';
import { repair } from '../apps/influxdb-sink/repair';
import { kafkaOptionsFrom } from '../apps/lib/config';
import { createKafka } from '../apps/lib/kafka';
import { createAdmin, type EfdAdmin } from '../apps/lib/kafka-admin';
import { silentLogger } from '../apps/lib/logging';
import { createRegistry } from '../apps/lib/registry';
import { sleep } from '../apps/lib/retry';
import { planRate, planTopics, seedScheduleFactor } from '../apps/lib/sal/plan';
import { kafkaTopicOf } from '../apps/lib/sal/register';
import { rawTopicOf } from '../apps/lib/sal/sal-text';
import { runRegister } from '../apps/salschema/cli';
import { defaultInterfaces } from '../scripts/experiment/input';
import { experimentSchemas, saltransformArgs, selectTopics } from '../scripts/experiment/run';
import { readEndpoints } from '../scripts/local-efd/endpoints';
import { PrivateInflux, startPrivateInflux } from '../scripts/local-efd/private-influx';
import { freePort } from '../scripts/local-efd/replication';
import { BenchResult, withRatio } from './results';

const OUTAGE_MS = Number(process.env.EFD_BENCH_OUTAGE_MS ?? 30_000);
const SUBSYSTEMS = (process.env.EFD_BENCH_FAULTS_SUBSYSTEMS ?? 'MTMount,MTM2,MTDome')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
/** `efd experiment`'s default --rate-factor (without --full). */
const RATE_FACTOR = Number(process.env.EFD_BENCH_FAULTS_RATE_FACTOR ?? 0.05);
const WARMUP_MS = 10_000;
const WARMUP_MAX_MS = 30_000;
/** Longest wait for the sink to catch up after the restart. */
const CATCH_UP_TIMEOUT_MS = 180_000;
/** `efd experiment`'s influxdb-sink flags. */
const SINK_FLAGS = { batchSize: '1000', flushIntervalMs: '200', topicRefreshMs: '1000' };
const RUNS = 2;

const root = path.resolve(__dirname, '..');
const say = (line: string) => process.stderr.write(`[faults] ${line}\n`);

interface Child {
  proc: ChildProcess;
  out: () => string;
  /** SIGTERM, SIGKILL after 30 s; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/** `efd <args>` as its own process (bin/efd), its output kept. */
function efd(args: string[]): Child {
  const proc = spawn(process.execPath, [path.join(root, 'bin/efd'), ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d) => (out += String(d)));
  proc.stderr?.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    out: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

const healthy = (port: number) =>
  fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.ok,
    () => false,
  );

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Every partition's end offset (high watermark). */
async function ends(admin: EfdAdmin, topics: string[]): Promise<Map<string, bigint>> {
  const m = new Map<string, bigint>();
  const all = await Promise.all(topics.map(async (t) => ({ t, o: await admin.topicOffsets(t) })));
  for (const { t, o } of all) for (const p of o) m.set(key(t, p.partition), BigInt(p.high));
  return m;
}

/** The group's committed offsets (0 where none). */
async function committed(admin: EfdAdmin, group: string, topics: string[]): Promise<Map<string, bigint>> {
  const m = new Map<string, bigint>();
  for (const c of await admin.groupOffsets(group, topics)) m.set(key(c.topic, c.partition), BigInt(c.offset) < 0n ? 0n : BigInt(c.offset));
  return m;
}

const total = (m: Map<string, bigint>) => Number([...m.values()].reduce((a, b) => a + b, 0n));

/** Records in `target` not yet committed in `at`. */
function behind(target: Map<string, bigint>, at: Map<string, bigint>): number {
  let n = 0n;
  for (const [k, end] of target) {
    const c = at.get(k) ?? 0n;
    if (end > c) n += end - c;
  }
  return Number(n);
}

/** Points in the database: per measurement the count of sal_origin (every SAL point has it), summed. */
async function countPoints(influx: PrivateInflux, db: string): Promise<number> {
  const r = (await influx.query('SELECT count(sal_origin) FROM /.*/', db)) as {
    results: { series?: { values: [string, number][] }[] }[];
  };
  return (r.results[0].series ?? []).reduce((n, s) => n + Number(s.values[0]?.[1] ?? 0), 0);
}

export async function run(): Promise<BenchResult[]> {
  const benchStart = Date.now();
  const e = readEndpoints();
  const c = e.clusters[0];
  const xml = defaultInterfaces();
  const { topics: selected } = selectTopics(xml, { subsystems: SUBSYSTEMS });
  const subsystems = [...new Set(selected.map((t) => t.subsystem))].sort();
  const topicsRegex = `^(${subsystems.join('|')})_`;
  const scheduled = planRate(planTopics(selected, { rateFactor: seedScheduleFactor(selected) * RATE_FACTOR }));
  // (computed before any connection: it keeps the event loop busy for a while)
  const { prefix: schemaPrefix, subjects } = experimentSchemas(xml, selected);
  const id = `f${Date.now().toString(36)}`;
  const prefix = `bench.${id}.`;
  const raw = [...new Set(selected.map((t) => rawTopicOf(t, prefix)))];
  const avro = selected.map((t) => kafkaTopicOf(t.topic, prefix));
  const dlq = `${prefix}dlq`;
  const avroRegex = `${prefix.replace(/\./g, '\\.')}lsst\\.sal\\..*`;
  const groups = { transform: `bench-${id}-st`, sink: `bench-${id}-sink` };
  const extraGroups: string[] = [];
  say(
    `${selected.length} topics of ${subsystems.join(', ')} at ${RATE_FACTOR} × the seed schedule (${Math.round(scheduled)} msg/s); outage ${OUTAGE_MS / 1000} s; prefix ${prefix}`,
  );

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-bench-faults-'));
  const admin = createAdmin({ brokers: c.kafka, clientId: `bench-${id}`, logger: silentLogger() });
  const children: Child[] = [];
  const sinks: RunningSink[] = [];
  let influx: PrivateInflux | undefined;
  const config = (database: string, group: string): SinkConfig =>
    sinkConfig(
      {
        brokers: c.kafka,
        registry: c.registry,
        influxdbUrl: influx!.url,
        database,
        topicsRegex: avroRegex,
        group,
        deadLetterTopic: dlq,
        ...SINK_FLAGS,
        logLevel: 'silent',
      },
      {},
    );
  const stopSink = async (s: RunningSink) => {
    sinks.splice(sinks.indexOf(s), 1);
    await s.stop();
  };
  try {
    await admin.connect();
    const quiet = { out: () => undefined, err: (l: string) => process.stderr.write(`${l}\n`) };
    const [started] = await Promise.all([
      startPrivateInflux({ dir }),
      admin.createTopics(
        [...raw, ...avro].map((topic) => ({ topic, partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } })),
        { waitForLeaders: true, timeoutMs: 120_000 },
      ),
      (async () => {
        const held = new Set(await createRegistry(c.registry, { logger: silentLogger(), retry: { attempts: 3 } }).listSubjects());
        if (subjects.every((s) => held.has(s))) return;
        const code = await runRegister({ xml, registry: c.registry, topicPrefix: schemaPrefix, topics: topicsRegex }, quiet);
        if (code !== 0) throw new Error(`salschema register exited ${code}`);
      })(),
    ]);
    influx = started;
    say(
      `private InfluxDB at ${influx.url}, ${raw.length} raw + ${avro.length} Avro topics (${((Date.now() - benchStart) / 1000).toFixed(1)} s)`,
    );

    // ---- 1. catch-up after an InfluxDB outage
    await influx.query('CREATE DATABASE "outage"');
    const [transformPort, mockPort] = [await freePort(), await freePort()];
    const transform = efd(
      saltransformArgs({
        subsystems,
        topicPrefix: prefix,
        subjectPrefix: schemaPrefix,
        group: groups.transform,
        metricsPort: transformPort,
        kafka: c.kafka,
        registry: c.registry,
      }),
    );
    children.push(transform);
    const sink = await startSink(config('outage', groups.sink), { logger: silentLogger(), serveMetrics: false });
    sinks.push(sink);
    await waitFor('saltransform healthy', () => healthy(transformPort), 120_000, 250);
    await waitFor('influxdb-sink healthy', async () => sink.sink.health().ok, 60_000, 250);
    const mock = efd([
      'salmock',
      '--xml',
      xml,
      '--topics',
      topicsRegex,
      '--topic-prefix',
      prefix,
      '--seed-schedule',
      '--rate-factor',
      String(RATE_FACTOR),
      // a bound: it is stopped at the restart
      '--duration',
      String(Math.ceil((WARMUP_MAX_MS + OUTAGE_MS) / 1000) + 120),
      '--metrics-port',
      String(mockPort),
      '--brokers',
      c.kafka,
      '--registry',
      c.registry,
    ]);
    children.push(mock);
    await waitFor('first points written', async () => sink.sink.committed > 0, 90_000, 250);
    // the warm-up: at least WARMUP_MS, and the sink caught up (≤ 2 s of records behind), at most WARMUP_MAX_MS
    const warmStart = Date.now();
    await sleep(WARMUP_MS);
    const lagNow = async () => behind(await ends(admin, avro), await committed(admin, groups.sink, avro));
    const lagBefore = await waitFor(
      'the sink keeping up before the outage',
      async () => {
        const lag = await lagNow();
        return lag <= 2 * scheduled || Date.now() - warmStart > WARMUP_MAX_MS ? { lag } : undefined;
      },
      WARMUP_MAX_MS,
      500,
    ).then((x) => x.lag);
    say(`warm-up ${((Date.now() - warmStart) / 1000).toFixed(1)} s: ${lagBefore} records behind`);
    const rawAtStop = total(await ends(admin, raw));
    const tStop = Date.now();
    await influx.stop();
    await sleep(OUTAGE_MS);
    // salmock stops at the restart (SIGKILL: on SIGTERM it closes its producers under sends in flight), so
    // the catch-up is the backlog's drain: with salmock producing on, it is set by the sink's headroom
    // over the input rate, which on the loaded 2-core machine was too small to end within 180 s
    mock.proc.kill('SIGKILL');
    await mock.stop();
    const produced = total(await ends(admin, raw));
    const inputRate = (produced - rawAtStop) / ((Date.now() - tStop) / 1000);
    // every produced record on the Avro topics (saltransform's last ones) before the restart
    await waitFor('every produced record transformed', async () => total(await ends(admin, avro)) >= produced, 30_000, 250).catch(
      () => undefined,
    );
    // (nothing is committed while InfluxDB is down: what the sink had written before it)
    const committedAtRestart = await committed(admin, groups.sink, avro);
    const endsAtRestart = await ends(admin, avro);
    await influx.start();
    const tRestart = Date.now();
    const outageS = (tRestart - tStop) / 1000;
    const backlog = behind(endsAtRestart, committedAtRestart);
    let resumedAt = 0;
    const caught = await waitFor(
      'the sink caught up after the restart',
      async () => {
        const now = await committed(admin, groups.sink, avro);
        const t = Date.now();
        if (!resumedAt && total(now) > total(committedAtRestart)) resumedAt = t;
        return behind(endsAtRestart, now) === 0 ? { t, now } : undefined;
      },
      CATCH_UP_TIMEOUT_MS,
    );
    const catchUpS = (caught.t - tRestart) / 1000;
    const resumeS = (resumedAt - tRestart) / 1000;
    const writtenInCatchUp = total(caught.now) - total(committedAtRestart);
    const catchUpRate = writtenInCatchUp / catchUpS;
    const afterResumeRate = writtenInCatchUp / Math.max(catchUpS - resumeS, 1e-3);
    say(
      `outage ${outageS.toFixed(1)} s (salmock ${Math.round(inputRate)} msg/s until the restart): backlog ${backlog} records; caught up ${catchUpS.toFixed(1)} s after the restart (first commit after ${resumeS.toFixed(1)} s)`,
    );

    // the audit: every record on the raw topics transformed, and written as one point
    const finalEnds = await ends(admin, avro);
    await waitFor('the sink wrote every record', async () => behind(finalEnds, await committed(admin, groups.sink, avro)) === 0, 90_000);
    const records = total(finalEnds);
    const outagePoints = await countPoints(influx, 'outage');
    await stopSink(sink);
    await transform.stop();
    say(`${produced} raw records (salmock), ${records} Avro records, ${outagePoints} points`);

    // ---- 2. repair vs the live sink on the same records
    const range = { fromMs: benchStart - 60_000, toMs: Date.now() };
    const live = async (n: number) => {
      const db = `live${n}`;
      const group = `bench-${id}-live${n}`;
      extraGroups.push(group);
      await influx!.query(`CREATE DATABASE "${db}"`);
      const s = await startSink(config(db, group), { logger: silentLogger(), serveMetrics: false });
      sinks.push(s);
      const tCall = performance.now();
      const first = await waitFor(
        'live sink: first record',
        async () => (((await s.sink.metrics.recordsConsumed.get()).values[0]?.value ?? 0) > 0 ? performance.now() : undefined),
        60_000,
        5,
      );
      const deadline = Date.now() + 300_000;
      while (s.sink.committed < records) {
        if (Date.now() > deadline) throw new Error(`live sink: ${s.sink.committed}/${records} committed after 300 s`);
        await sleep(5);
      }
      const done = performance.now();
      await stopSink(s);
      const points = await countPoints(influx!, db);
      if (points !== records) throw new Error(`live sink wrote ${points} points for ${records} records`);
      return { rate: records / ((done - first) / 1000), wall: records / ((done - tCall) / 1000) };
    };
    const repaired = async (n: number) => {
      const db = `repair${n}`;
      const group = `bench-${id}-repair${n}`;
      extraGroups.push(group);
      await influx!.query(`CREATE DATABASE "${db}"`);
      const cfg = config(db, group);
      const logger = silentLogger();
      const conv = converterFor(cfg, logger);
      let first = 0;
      // the first batch read is the first schema lookup
      const converter: Converter = {
        prepare: (ids) => {
          first ||= performance.now();
          return conv.prepare(ids);
        },
        convert: (topic, value, ts) => conv.convert(topic, value, ts),
        get stats() {
          return conv.stats;
        },
      };
      const tCall = performance.now();
      const r = await repair({
        kafka: kafkaOptionsFrom(cfg, logger),
        converter,
        writer: influxWriterFor(cfg, logger, new AbortController().signal),
        logger,
        topicsRegex: avroRegex,
        range,
        groupId: group,
        batchSize: cfg.batchSize,
        batchBytes: cfg.batchBytes,
        maxInFlight: cfg.maxInFlight,
      });
      const done = performance.now();
      const points = await countPoints(influx!, db);
      if (r.points !== records || points !== records)
        throw new Error(`repair wrote ${r.points} points (${points} in InfluxDB, ${r.skipped} skipped) for ${records} records`);
      return { rate: records / ((done - first) / 1000), wall: records / ((done - tCall) / 1000) };
    };
    const lives: { rate: number; wall: number }[] = [];
    const repairs: { rate: number; wall: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      lives.push(await live(i));
      repairs.push(await repaired(i));
      say(`run ${i + 1}: live sink ${Math.round(lives[i].rate)} points/s, repair ${Math.round(repairs[i].rate)} points/s`);
    }
    const best = (xs: { rate: number; wall: number }[]) => ({
      rate: Math.max(...xs.map((x) => x.rate)),
      wall: Math.max(...xs.map((x) => x.wall)),
    });
    const liveRate = best(lives);
    const repairRate = best(repairs);
    const runs = (xs: { rate: number }[]) => xs.map((x) => Math.round(x.rate)).join(' and ');

    const setup = `${selected.length} topics of ${subsystems.join('/')} (generated set) at ${RATE_FACTOR} × the seed schedule (${Math.round(scheduled)} msg/s scheduled, ${Math.round(inputRate)} produced during the outage): salmock → saltransform → influxdb-sink (batch 1000, flush 200 ms, as efd experiment) → private InfluxDB 1.8; Kafka/registry of the local EFD's cluster a`;
    return [
      withRatio({
        name: 'faults.influx_outage.catch_up_s',
        value: catchUpS,
        unit: 's',
        baseline: outageS,
        note: `InfluxDB restart (/ping answers) → every record made before it written and committed, vs the outage length; ${backlog} records behind at the restart; ${setup}`,
      }),
      withRatio({
        name: 'faults.influx_outage.catch_up_vs_live_drain_s',
        value: catchUpS,
        unit: 's',
        baseline: backlog / liveRate.rate,
        note: `catch-up vs the time the same backlog takes at the live sink's measured rate (${Math.round(liveRate.rate)} points/s, part 2); includes the writer's retry backoff (≤ 10 s) before the first write: first commit ${resumeS.toFixed(1)} s after the restart`,
      }),
      withRatio({
        name: 'faults.influx_outage.backlog_points',
        value: backlog,
        unit: 'points',
        baseline: Math.round(scheduled * outageS),
        note: `records behind the sink at the restart (Avro end offsets − committed) vs the scheduled rate × the outage; ${lagBefore} were behind when InfluxDB was stopped`,
      }),
      withRatio({
        name: 'faults.influx_outage.resume_s',
        value: resumeS,
        unit: 's',
        note: "InfluxDB restart → the sink's first commit after it (the writer retries with backoff doubling to 10 s); the fault tests' goal: output within 10 s",
      }),
      withRatio({
        name: 'faults.influx_outage.catch_up_points_per_s',
        value: catchUpRate,
        unit: 'points/s',
        baseline: liveRate.rate,
        note: `records committed from the restart until caught up (${writtenInCatchUp}: the backlog) over that time, vs the live sink's rate (part 2); from the first commit after the restart ${Math.round(afterResumeRate)} points/s; salmock stopped at the restart, saltransform idle`,
      }),
      withRatio({
        name: 'faults.influx_outage.lost_points',
        value: produced - outagePoints,
        unit: 'points',
        note: `records salmock produced (on the raw topics) − points in InfluxDB after the outage: ${produced} raw records, ${records} Avro records, ${outagePoints} points; goal 0`,
      }),
      withRatio({
        name: 'faults.repair.points_per_s',
        value: repairRate.rate,
        unit: 'points/s',
        baseline: liveRate.rate,
        note: `efd influxdb-sink repair (in process, same config) of the whole range (${records} records on ${avro.length} topics) into a new database vs the live sink from a fresh group into another; first record read → last written and committed; best of ${RUNS} alternating runs (repair ${runs(repairs)}, live ${runs(lives)}); call → done: repair ${Math.round(repairRate.wall)}, live ${Math.round(liveRate.wall)} points/s`,
      }),
      withRatio({
        name: 'faults.live_sink.points_per_s',
        value: liveRate.rate,
        unit: 'points/s',
        note: `the live sink from a fresh group over the same ${records} records (the baseline of the figures above); ${os.cpus().length} cores shared with Kafka, the registry and InfluxDB`,
      }),
    ];
  } finally {
    await Promise.all(sinks.splice(0).map((s) => s.stop().catch(() => undefined)));
    await Promise.all(children.map((ch) => ch.stop().catch(() => undefined)));
    await influx?.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    const existing = new Set(await admin.listTopics().catch(() => [] as string[]));
    await admin.deleteTopics([...raw, ...avro, dlq].filter((t) => existing.has(t))).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    const kadmin = createKafka({ brokers: c.kafka, clientId: `bench-${id}-cleanup`, logger: silentLogger() }).admin();
    await kadmin
      .connect()
      .then(() => kadmin.deleteGroups([groups.transform, groups.sink, ...extraGroups]))
      .catch(() => undefined);
    await kadmin.disconnect().catch(() => undefined);
    say(`done in ${((Date.now() - benchStart) / 1000).toFixed(0)} s`);
  }
}
