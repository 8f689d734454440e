/**
 * influxdb-sink throughput on the local EFD (loopback only, bounded): points/s written with
 * write_error 0, against the raw InfluxDB line-protocol write ceiling measured in the same run — the
 * very same points, pre-built, posted directly with the same batch size and concurrency (best of a run
 * before and a run after the sink; the sink likewise runs twice, each into its own database with its own
 * consumer group, and its best run counts). Goal ≥ 0.9× the ceiling; seed 002's prototype reached 16k msg/s.
 *
 * Records: SAL-like telemetry (the EFD fields + 10 doubles + an array of 8 floats, ~25 InfluxDB
 * fields per point) on 8 topics × 2 partitions, produced before the sink starts, as in the seed's
 * "pause the connector, then let it flush" test. The headline rate is the steady state — records
 * committed between 10 % and 90 % of the total, over that time — for the sink and for the ceiling
 * alike (the seed's 16k msg/s is a steady ingest rate too); the end-to-end figures (first record
 * consumed → last commit, first POST → last ack) are reported beside it. EFD_BENCH_SINK_RECORDS sets
 * the count (default 200k).
 * Telegraf (kafka_consumer with the Avro parser and the schema registry → influxdb output, the sink
 * operators use today) then reads the same topics into its own database, with the same batch size and
 * as many records in flight; its progress is InfluxDB's point count. It runs when its binary is in the
 * cache (`npx efd local install-telegraf`); EFD_BENCH_TELEGRAF=0 skips it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { avroType } from '../apps/lib/avro-type';
import { createRegistry } from '../apps/lib/registry';
import { silentLogger } from '../apps/lib/logging';
import { compileSchema } from '../apps/influxdb-sink/convert';
import { escapeMeasurement } from '../apps/influxdb-sink/line-protocol';
import { InfluxWriter } from '../apps/influxdb-sink/writer';
import { sinkConfig, startSink } from '../apps/influxdb-sink/cli';
import { readEndpoints } from '../scripts/local-efd/endpoints';
import { influxQl } from '../scripts/local-efd/health';
import { createKafka } from '../apps/lib/kafka';
import { paths } from '../scripts/local-efd/layout';
import { sleep } from '../apps/lib/retry';
import { BenchResult, withRatio } from './results';
import { runTelegraf } from './telegraf';

const RECORDS = Number(process.env.EFD_BENCH_SINK_RECORDS ?? 200_000);
const TOPICS = 8;
const PARTITIONS = 2;
const BATCH = 5000;
const IN_FLIGHT = 4;

function schemaFor(name: string): object {
  const ts = { type: 'long', logicalType: 'timestamp-millis' };
  return {
    type: 'record',
    name,
    namespace: 'lsst.sal',
    fields: [
      // sal_created is a plain long of ms here: Telegraf's Avro parser (1.39.3) cannot take the point time
      // from a timestamp-millis field (it sees a time.Time and fails "could not parse ... to unix_ms")
      { name: 'kafka_timestamp', type: ts },
      { name: 'sal_revcode', type: 'string' },
      { name: 'sal_created', type: 'long' },
      { name: 'sal_ingested', type: ts },
      { name: 'sal_origin', type: 'int' },
      { name: 'sal_host', type: 'int' },
      { name: 'salIndex', type: 'int' },
      ...Array.from({ length: 10 }, (_, i) => ({ name: `value${i}`, type: 'double' })),
      { name: 'accelerometers', type: { type: 'array', items: 'float' } },
    ],
  };
}

function record(i: number, base: number): Record<string, unknown> {
  const r: Record<string, unknown> = {
    kafka_timestamp: base + i + 3,
    sal_revcode: 'c0ffee01',
    sal_created: base + i,
    sal_ingested: base + i + 1,
    sal_origin: 42,
    sal_host: 7,
    salIndex: i % 4,
    accelerometers: Array.from({ length: 8 }, (_, k) => Math.fround(Math.sin(i + k))),
  };
  for (let k = 0; k < 10; k++) r[`value${k}`] = Math.cos(i * (k + 1)) * 100;
  return r;
}

async function countPoints(url: string, db: string, measurements: string[]): Promise<number> {
  let total = 0;
  for (const m of measurements) {
    const r = (await influxQl(url, `SELECT count("salIndex") FROM "${m}"`, db)) as {
      results: { series?: { values: [string, number][] }[] }[];
    };
    total += Number(r.results[0].series?.[0].values[0][1] ?? 0);
  }
  return total;
}

/** Progress samples (ms, points done) → { end-to-end rate, steady rate between 10 % and 90 % done }. */
function rates(samples: [number, number][], total: number): { overall: number; steady: number } {
  const at = (f: number) => samples.find(([, n]) => n >= f * total)?.[0] ?? samples[samples.length - 1][0];
  const [t0] = samples[0];
  const tEnd = at(1);
  return { overall: total / ((tEnd - t0) / 1000), steady: (0.8 * total) / ((at(0.9) - at(0.1)) / 1000) };
}

/** "progress ms: 10% …, 20% …" (EFD_BENCH_DEBUG). */
function progress(samples: [number, number][], total: number): string {
  const at = (f: number) => (samples.find(([, n]) => n >= f * total)?.[0] ?? 0) - samples[0][0];
  return `progress ms: ${[0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((f) => `${Math.round(f * 100)}% ${at(f).toFixed(0)}`).join(', ')}`;
}

async function ceiling(url: string, db: string, batches: string[][]): Promise<{ overall: number; steady: number }> {
  await influxQl(url, `CREATE DATABASE "${db}"`);
  let errors = 0;
  const w = new InfluxWriter({
    url,
    database: db,
    maxSockets: IN_FLIGHT,
    onAttempt: (a) => {
      if (!a.ok) errors++;
    },
  });
  const queue = [...batches];
  const total = batches.reduce((n, b) => n + b.length, 0);
  let done = 0;
  const samples: [number, number][] = [[performance.now(), 0]];
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        await w.write(b);
        done += b.length;
        samples.push([performance.now(), done]);
      }
    }),
  );
  if (errors) throw new Error(`ceiling run had ${errors} write error(s)`);
  if (process.env.EFD_BENCH_DEBUG) process.stderr.write(`ceiling ${progress(samples, total)}\n`);
  return rates(samples, total);
}

export async function run(): Promise<BenchResult[]> {
  const e = readEndpoints();
  const c = e.clusters[0];
  const id = `b${Date.now().toString(36)}`;
  const prefix = `bench.${id}.lsst.sal.`;
  const topics = Array.from({ length: TOPICS }, (_, i) => `${prefix}Bench${i}_telemetry`);
  const dbs = {
    sinkA: `bench_${id}_sink_a`,
    sinkB: `bench_${id}_sink_b`,
    ceilingA: `bench_${id}_raw_a`,
    ceilingB: `bench_${id}_raw_b`,
    telegraf: `bench_${id}_telegraf`,
  };
  const kafka = createKafka({ brokers: c.kafka, clientId: `bench-${id}`, logger: silentLogger() });
  const admin = kafka.admin();
  const registry = createRegistry(c.registry, { logger: silentLogger() });
  await admin.connect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    // Records, their wire-format values and the same points as pre-built line protocol.
    const base = Date.UTC(2026, 0, 1);
    const lines: string[] = [];
    const perTopic = Math.ceil(RECORDS / TOPICS);
    let produced = 0;
    for (const [t, topic] of topics.entries()) {
      const schema = schemaFor(topic.slice(prefix.length));
      const schemaId = await registry.register(`${topic}-value`, JSON.stringify(schema));
      const encode = await registry.encoder(schemaId);
      const compiled = compileSchema(avroType(schema as never));
      const measurement = escapeMeasurement(topic);
      const n = Math.min(perTopic, RECORDS - produced);
      for (let i0 = 0; i0 < n; i0 += 10_000) {
        const messages = [];
        for (let i = i0; i < Math.min(n, i0 + 10_000); i++) {
          const r = record(i, base + t * 10_000_000);
          messages.push({ value: encode(r), partition: i % PARTITIONS });
          lines.push(compiled.line(r, measurement, '0', { droppedFields: 0 }));
        }
        await producer.send({ topic, acks: -1, messages });
      }
      produced += n;
    }
    const batches: string[][] = [];
    for (let i = 0; i < lines.length; i += BATCH) batches.push(lines.slice(i, i + BATCH));

    const ceilingA = await ceiling(e.influxdb.url, dbs.ceilingA, batches);

    /** One sink run into its own database with its own consumer group: rates, CPU, verified count. */
    const sinkRun = async (db: string, group: string) => {
      await influxQl(e.influxdb.url, `CREATE DATABASE "${db}"`);
      const cfg = sinkConfig(
        {
          brokers: c.kafka,
          registry: c.registry,
          influxdbUrl: e.influxdb.url,
          database: db,
          topicsRegex: `bench\\.${id}\\.lsst\\.sal\\..*`,
          group: group,
          deadLetterTopic: `bench.${id}.dlq`,
          batchSize: String(BATCH),
          maxInFlight: String(IN_FLIGHT),
          logLevel: 'silent',
        },
        {},
      );
      const sink = await startSink(cfg, { logger: silentLogger(), serveMetrics: false });
      let firstAt = 0;
      let cpuAtFirst = process.cpuUsage();
      const samples: [number, number][] = [];
      const deadline = Date.now() + 300_000;
      while (sink.sink.committed < produced) {
        if (!firstAt && ((await sink.sink.metrics.recordsConsumed.get()).values[0]?.value ?? 0) > 0) {
          firstAt = performance.now();
          cpuAtFirst = process.cpuUsage();
          samples.push([firstAt, 0]);
        }
        if (firstAt) samples.push([performance.now(), sink.sink.committed]);
        if (Date.now() > deadline) throw new Error(`sink did not finish: ${sink.sink.committed}/${produced} committed`);
        await sleep(10);
      }
      samples.push([performance.now(), sink.sink.committed]);
      const cpu = process.cpuUsage(cpuAtFirst);
      const cores = (cpu.user + cpu.system) / 1e6 / ((performance.now() - firstAt) / 1000);
      const writeErrors = (await sink.sink.metrics.writeErrors.get()).values.reduce((n, v) => n + v.value, 0);
      const deadLetters = (await sink.sink.metrics.deadLetters.get()).values.reduce((n, v) => n + v.value, 0);
      await sink.stop();
      const written = await countPoints(e.influxdb.url, db, topics);
      if (written !== produced) throw new Error(`sink wrote ${written} points for ${produced} records`);
      if (writeErrors || deadLetters) throw new Error(`sink had ${writeErrors} write error(s), ${deadLetters} dead letter(s)`);
      if (process.env.EFD_BENCH_DEBUG) process.stderr.write(`sink ${progress(samples, produced)}\n`);
      return { ...rates(samples, produced), cores, cpuUsPerPoint: (cpu.user + cpu.system) / produced, writeErrors };
    };
    // best of two runs, as for the ceiling (the same estimator on both sides of the ratio)
    const sinkA = await sinkRun(dbs.sinkA, `bench-${id}-a`);
    const sinkB = await sinkRun(dbs.sinkB, `bench-${id}-b`);
    const sinkRate = { overall: Math.max(sinkA.overall, sinkB.overall), steady: Math.max(sinkA.steady, sinkB.steady) };
    const sinkCores = (sinkA.cores + sinkB.cores) / 2;
    const sinkCpuUs = Math.min(sinkA.cpuUsPerPoint, sinkB.cpuUsPerPoint);
    const writeErrors = sinkA.writeErrors + sinkB.writeErrors;

    let telegraf: { overall: number; steady: number; cores: number } | undefined;
    const telegrafBin = paths.telegraf();
    if (process.env.EFD_BENCH_TELEGRAF !== '0' && fs.existsSync(telegrafBin)) {
      await influxQl(e.influxdb.url, `CREATE DATABASE "${dbs.telegraf}"`);
      const t = await runTelegraf({
        bin: telegrafBin,
        brokers: [c.kafka],
        registry: c.registry,
        topics,
        measurements: topics.map((x) => `lsst.sal.${x.slice(prefix.length)}`),
        influxUrl: e.influxdb.url,
        database: dbs.telegraf,
        expected: produced,
        batch: BATCH,
        inFlight: IN_FLIGHT,
        timeoutMs: 600_000,
      });
      telegraf = { ...rates(t.samples, produced), cores: t.cpuSeconds / t.wallSeconds };
    }

    const ceilingB = await ceiling(e.influxdb.url, dbs.ceilingB, batches);
    const ceilingRate = { overall: Math.max(ceilingA.overall, ceilingB.overall), steady: Math.max(ceilingA.steady, ceilingB.steady) };
    const note = `${produced} SAL-like records (~25 fields) on ${TOPICS}×${PARTITIONS} partitions, batch ${BATCH}, ${IN_FLIGHT} writes in flight; loopback`;
    return [
      withRatio({
        name: 'influxdb_sink.points_per_s',
        value: sinkRate.steady,
        unit: 'points/s',
        baseline: ceilingRate.steady,
        note: `steady state (10 %→90 % of the records committed; best of 2 runs, ${Math.round(sinkA.steady)} and ${Math.round(sinkB.steady)}) vs the raw line-protocol ceiling over the same window (same points pre-built, same batches/concurrency, best of a run before and after); write_error 0; target ratio ≥ 0.9; ${note}`,
      }),
      withRatio({
        name: 'influxdb_sink.end_to_end.points_per_s',
        value: sinkRate.overall,
        unit: 'points/s',
        baseline: ceilingRate.overall,
        note: 'first record consumed → last commit (includes the first fetch and the tail), vs first POST → last ack',
      }),
      withRatio({
        name: 'influxdb_sink.raw_ceiling.points_per_s',
        value: ceilingRate.steady,
        unit: 'points/s',
        note: `steady; runs ${Math.round(ceilingA.steady)} and ${Math.round(ceilingB.steady)}`,
      }),
      withRatio({
        name: 'influxdb_sink.vs_seed_16k.points_per_s',
        value: sinkRate.steady,
        unit: 'points/s',
        baseline: 16_000,
        note: 'baseline = seed 002 prototype ingest, 16k msg/s',
      }),
      ...(telegraf
        ? [
            withRatio({
              name: 'influxdb_sink.vs_telegraf.points_per_s',
              value: sinkRate.steady,
              unit: 'points/s',
              baseline: telegraf.steady,
              note: 'steady state, sink vs Telegraf 1.39.3 kafka_consumer (Avro, schema registry) → influxdb output on the same topics, same batch size and records in flight; goal: ahead (ratio > 1)',
            }),
            withRatio({
              name: 'influxdb_sink.vs_telegraf.end_to_end.points_per_s',
              value: sinkRate.overall,
              unit: 'points/s',
              baseline: telegraf.overall,
              note: 'first point → all points, sink vs Telegraf',
            }),
            withRatio({
              name: 'influxdb_sink.telegraf.cpu_cores',
              value: telegraf.cores,
              unit: 'cores',
              note: 'CPU Telegraf used over its run',
            }),
          ]
        : [
            withRatio({
              name: 'influxdb_sink.vs_telegraf.points_per_s',
              value: 0,
              unit: 'points/s',
              note: `not run: no Telegraf binary at ${telegrafBin} (build it with npx efd local install-telegraf) or EFD_BENCH_TELEGRAF=0`,
            }),
          ]),
      withRatio({ name: 'influxdb_sink.write_errors', value: writeErrors, unit: 'errors', note: 'must be 0 (seed 002: write_error=0)' }),
      withRatio({
        name: 'influxdb_sink.cpu_cores',
        value: sinkCores,
        unit: 'cores',
        note: `CPU the sink process used while writing (machine has ${os.cpus().length} cores shared with Kafka, InfluxDB, the registry and Connect)`,
      }),
      withRatio({
        name: 'influxdb_sink.cpu_us_per_point',
        value: sinkCpuUs,
        unit: 'µs',
        note: `CPU of the sink process (consume, decode, convert, batch, write) per point, first record consumed → last commit; best of 2 runs (${sinkA.cpuUsPerPoint.toFixed(1)} and ${sinkB.cpuUsPerPoint.toFixed(1)})`,
      }),
    ];
  } finally {
    await producer.disconnect().catch(() => undefined);
    const existing = new Set(await admin.listTopics().catch(() => [] as string[]));
    await admin.deleteTopics({ topics: [...topics, `bench.${id}.dlq`].filter((t) => existing.has(t)) }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    for (const db of Object.values(dbs)) await influxQl(e.influxdb.url, `DROP DATABASE "${db}"`).catch(() => undefined);
    for (const t of topics) {
      const api = c.registry;
      await fetch(`${api}/subjects/${encodeURIComponent(`${t}-value`)}`, { method: 'DELETE' }).catch(() => undefined);
      await fetch(`${api}/subjects/${encodeURIComponent(`${t}-value`)}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
    }
  }
}
