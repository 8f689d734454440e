/**
 * The full seed schedule end to end: `efd experiment --full` (every topic of the generated 1,051-topic set,
 * 29,284 msg/s, 60 s; EFD_BENCH_EXPERIMENT_SECONDS shortens it) on the local EFD. Figures: end-to-end
 * latency (sal_created → InfluxDB ack) median and p99, each stage's median, rates achieved, and whether every
 * message was written. Baseline in the same run: Kafka's own EndToEndLatency tool (one produce → consume
 * hop, acks=all, 3.2 kB records) — the floor of one of the pipeline's two Kafka hops.
 * Goals (issue 13): median ≤ 25 ms, p99 ≤ 150 ms (seed 002 measured 183 ms / 1.34 s).
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSites } from '../config/load';
import { readEndpoints } from '../scripts/local-efd/endpoints';
import { paths } from '../scripts/local-efd/layout';
import { createKafka } from '../apps/lib/kafka';
import { ExperimentError, runExperiment } from '../scripts/experiment/run';
import { experimentSite } from '../scripts/experiment/cli';
import { defaultInterfaces } from '../scripts/experiment/input';
import type { ExperimentReport } from '../scripts/experiment/report';
import { SEED_TOTAL_RATE } from '../apps/lib/sal/plan';
import { BenchResult, withRatio } from './results';

/** Kafka's EndToEndLatency: median and p99 (ms) of `n` produce → consume round trips. */
async function kafkaEndToEnd(bootstrap: string, n: number, size: number): Promise<{ median: number; p99: number }> {
  const topic = `bench.e2e.${process.pid}`;
  const admin = createKafka({ brokers: bootstrap, clientId: 'bench-e2e' }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const r = spawnSync(
      'java',
      ['-cp', `${paths.kafkaLibs()}/*`, 'org.apache.kafka.tools.EndToEndLatency', bootstrap, topic, String(n), 'all', String(size)],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    const m = /Percentiles: 50th = ([\d.]+), 99th = ([\d.]+)/.exec(r.stdout ?? '');
    if (!m) throw new Error(`EndToEndLatency failed: ${r.stderr || r.stdout}`);
    return { median: Number(m[1]), p99: Number(m[2]) };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

export async function run(): Promise<BenchResult[]> {
  const e = readEndpoints();
  const a = e.clusters[0];
  const kafka = await kafkaEndToEnd(a.kafka, 2000, 3200);
  const seconds = Number(process.env.EFD_BENCH_EXPERIMENT_SECONDS ?? 60);
  let report: ExperimentReport;
  try {
    report = await runExperiment({
      endpoints: { kafka: a.kafka, registry: a.registry, influxdb: e.influxdb.url },
      site: experimentSite(loadSites(), undefined),
      xml: defaultInterfaces(),
      seconds,
      rateFactor: 1,
      outDir: path.join(os.tmpdir(), `efd-bench-experiment-${process.pid}`),
      say: (l) => process.stderr.write(`${l}\n`),
      progress: () => undefined,
    });
  } catch (err) {
    if (!(err instanceof ExperimentError)) throw err;
    report = err.report; // a run that did not drain still has figures; the note says it failed
  }
  const s = report.stages;
  const note = `${report.settings.topics} topics, ${seconds} s at ${Math.round(report.settings.scheduledRate)} msg/s scheduled; ${report.status === 'ok' ? `all ${report.written} written, ${report.deadLettered} dead-lettered` : `FAILED: ${report.error?.split('\n')[0]}`}`;
  return [
    withRatio({
      name: 'experiment.full.e2e_median_ms',
      value: s.endToEnd.median,
      unit: 'ms',
      baseline: kafka.median,
      note: `goal ≤ 25 ms; baseline Kafka EndToEndLatency median (one hop, acks=all, 3.2 kB); ${note}`,
    }),
    withRatio({
      name: 'experiment.full.e2e_p99_ms',
      value: s.endToEnd.p99,
      unit: 'ms',
      baseline: kafka.p99,
      note: 'goal ≤ 150 ms; baseline Kafka EndToEndLatency p99',
    }),
    withRatio({ name: 'experiment.full.e2e_max_ms', value: s.endToEnd.max, unit: 'ms' }),
    withRatio({ name: 'experiment.full.into_kafka_median_ms', value: s.intoKafka.median, unit: 'ms', note: `p99 ${s.intoKafka.p99} ms` }),
    withRatio({
      name: 'experiment.full.saltransform_median_ms',
      value: s.saltransform.median,
      unit: 'ms',
      note: `p99 ${s.saltransform.p99} ms`,
    }),
    withRatio({ name: 'experiment.full.sink_median_ms', value: s.sink.median, unit: 'ms', note: `p99 ${s.sink.p99} ms` }),
    withRatio({
      name: 'experiment.full.produced_msg_per_s',
      value: report.throughput.produced.msgPerS,
      unit: 'msg/s',
      baseline: SEED_TOTAL_RATE,
      note: 'baseline: the seed schedule',
    }),
    withRatio({
      name: 'experiment.full.written_points_per_s',
      value: report.throughput.written.pointsPerS,
      unit: 'points/s',
      baseline: SEED_TOTAL_RATE,
      note: `${report.throughput.written.fieldsPerS} fields/s`,
    }),
    withRatio({
      name: 'experiment.full.unaccounted',
      value: report.unaccounted,
      unit: 'messages',
      note: 'produced − written − dead-lettered; goal 0',
    }),
    withRatio({ name: 'experiment.full.drain_s', value: report.drainSeconds, unit: 's', note: 'last point written after salmock stopped' }),
  ];
}
