/**
 * The seed's 100 filters (seed004, 5 groups of 20) over 10,000-alert visits on the real local Kafka: five
 * `efd alerts filter` processes, one per group as deployed, each its own consumer group of the whole
 * `<prefix>alerts` (10 partitions, as `efd alerts produce` creates it). A visit (generated, with cutouts:
 * ~17 KB an alert) is sent with the producer's own code (sendVisit); the figure is the seconds from the
 * visit's last alert acknowledged to all 100 filters done — every group's committed source offsets at the
 * topic's end, which a group commits only once its filters' outputs are acknowledged (goal ≤ 5 s).
 * Baseline, in the same run: decoding the visit's 10,000 alerts alone (full Avro decode, this process).
 * Also: the five processes' CPU per visit (their process_cpu_seconds_total), and the produce time.
 * Two visits produced alone first (warm-up, then the producer's time without filters), one warm-up visit with the
 * filters, then VISITS measured ones (median, and the worst). Needs the local EFD.
 */
import { readEndpoints } from '../scripts/local-efd/endpoints';
import { filterTopicOf } from '../config/names';
import { BatchSender, createProducers } from '../apps/lib/kafka';
import { createAdmin } from '../apps/lib/kafka-admin';
import { silentLogger } from '../apps/lib/logging';
import { createRegistry } from '../apps/lib/registry';
import { sleep } from '../apps/lib/retry';
import { filterGroupId } from '../apps/alerts/filter-cli';
import { AlertGenerator } from '../apps/alerts/generate';
import { sendVisit } from '../apps/alerts/produce';
import { ALERT_SCHEMA, alertType } from '../apps/alerts/schema';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { BenchResult, median, withRatio } from './results';

const ALERTS = 10_000;
const VISITS = 3;
const PARTITIONS = 10;
const GROUPS = ['1', '2', '3', '4', '5'];

interface Child {
  proc: ChildProcess;
  output: () => string;
}

function spawnFilter(args: string[]): Child {
  const proc = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'efd'), ...args], {
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d) => (out += String(d)));
  proc.stderr?.on('data', (d) => (out += String(d)));
  return { proc, output: () => out };
}

/** A child's metrics port, from its start-up log line. */
async function metricsPort(c: Child): Promise<number> {
  for (const t0 = Date.now(); Date.now() - t0 < 60_000; await sleep(100)) {
    const m = /"metricsPort":(\d+)/.exec(c.output());
    if (m) return Number(m[1]);
    if (c.proc.exitCode !== null) break;
  }
  throw new Error(`alerts filter did not start:\n${c.output().slice(-2000)}`);
}

async function cpuSeconds(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^process_cpu_seconds_total(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

export async function run(): Promise<BenchResult[]> {
  const cluster = readEndpoints().clusters[0];
  const prefix = `bench.alerts.${Date.now().toString(36)}.`;
  const source = `${prefix}alerts`;
  const kafka = { brokers: cluster.kafka, clientId: 'bench-alerts-filter', logger: silentLogger() };
  const admin = createAdmin(kafka);
  await admin.connect();
  const producers = createProducers(kafka, 2);
  const children: Child[] = [];
  const registry = createRegistry(cluster.registry);
  try {
    const schemaId = await registry.register(`${source}-value`, ALERT_SCHEMA as never);
    await admin.createTopics([{ topic: source, partitions: PARTITIONS, replicationFactor: 1 }]);
    await Promise.all(producers.map((p) => p.connect()));
    const sink = { topic: source, schemaId, partitions: PARTITIONS, senders: producers.map((p) => new BatchSender(p, { lingerMs: 2 })) };
    // the producer alone first (no filter running): what the visit costs to send on this machine
    const gen = new AlertGenerator({ seed: 4, alertsPerVisit: ALERTS, cutouts: true });
    const t0 = Date.now();
    await sendVisit(gen.alerts(gen.visit(100, t0 - 39_000)), sink); // warm-up
    const alone = await sendVisit(gen.alerts(gen.visit(101, t0 - 2 * 39_000)), sink);
    let produced = 2 * ALERTS;
    for (const g of GROUPS) {
      children.push(
        spawnFilter([
          'alerts',
          'filter',
          '--set',
          'seed004',
          '--group',
          g,
          '--topic-prefix',
          prefix,
          '--registry',
          cluster.registry,
          '--brokers',
          cluster.kafka,
          '--metrics-port',
          '0',
        ]),
      );
    }
    const ports = await Promise.all(children.map(metricsPort));
    const groupIds = GROUPS.map((g) => filterGroupId(g, prefix));
    // every group joined (its state rebuilt, nothing to read back) before the first visit
    for (const id of groupIds) {
      for (const t0 = Date.now(); ; await sleep(200)) {
        const d = await admin.describeGroup(id);
        if (d.state === 'Stable' && d.members.length === 1) break;
        if (Date.now() - t0 > 60_000) throw new Error(`group ${id} did not become stable: ${d.state}`);
      }
    }

    /** Seconds from the visit's last ack until every group committed the topic's end. */
    const visit = async (k: number) => {
      const plan = gen.visit(k, t0 + k * 39_000);
      const cpu0 = await Promise.all(ports.map(cpuSeconds));
      const first = performance.now();
      const r = await sendVisit(gen.alerts(plan), sink);
      const acked = performance.now();
      produced += r.alerts;
      for (;;) {
        const done = await Promise.all(
          groupIds.map(async (id) => (await admin.groupOffsets(id, [source])).reduce((n, o) => n + Math.max(0, Number(o.offset)), 0)),
        );
        if (done.every((n) => n >= produced)) break;
        if (performance.now() - acked > 120_000) throw new Error(`visit ${k}: groups at ${done.join(', ')} of ${produced} after 120 s`);
        await sleep(20);
      }
      const seconds = (performance.now() - acked) / 1000;
      const totalS = (performance.now() - first) / 1000;
      const cpu1 = await Promise.all(ports.map(cpuSeconds));
      return { seconds, totalS, produceS: r.produceS, bytes: r.bytes, cpuS: cpu1.reduce((n, c, i) => n + c - cpu0[i], 0) };
    };
    await visit(0); // warm-up: JIT, connections, schema look-ups, topics' metadata
    const runs = [];
    for (let k = 1; k <= VISITS; k++) runs.push(await visit(k));

    // baseline: the visit's alerts decoded alone (full decode), as the filters' work without Kafka
    const type = alertType();
    const encoded = [...gen.alerts(gen.visit(VISITS + 1, t0))].map((a) => type.toBuffer(a));
    for (const b of encoded.slice(0, 2000)) type.fromBuffer(b); // warm-up
    const d0 = performance.now();
    for (const b of encoded) type.fromBuffer(b);
    const decodeS = (performance.now() - d0) / 1000;

    const outputs = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        admin.topicOffsets(filterTopicOf(i + 1, prefix)).then((ps) => ps.reduce((n, p) => n + Number(p.high), 0)),
      ),
    );
    const seconds = runs.map((r) => r.seconds);
    const perVisit = outputs.reduce((a, b) => a + b, 0) / (VISITS + 3);
    const note = `5 processes (one per group of 20, seed004), ${PARTITIONS}-partition alert topic, ${ALERTS} alerts a visit with cutouts (${Math.round(runs[0].bytes / ALERTS)} B each), median of ${VISITS} visits after a warm-up (each ${seconds.map((s) => s.toFixed(2)).join(', ')} s); ${Math.round(perVisit)} alerts passed a visit in all`;
    return [
      withRatio({
        name: 'alerts_filter.visit_done_ms',
        value: median(seconds) * 1000,
        unit: 'ms',
        baseline: decodeS * 1000,
        note: `${note}; from the visit's last alert acknowledged to all 100 filters done (every group committed the end); baseline = decoding the visit's alerts alone in one process; goal ≤ 5 s`,
      }),
      withRatio({
        name: 'alerts_filter.visit_done_worst_ms',
        value: Math.max(...seconds) * 1000,
        unit: 'ms',
        baseline: 5000,
        note: 'the slowest measured visit; baseline = the 5 s goal',
      }),
      withRatio({
        name: 'alerts_filter.cpu_s_per_visit',
        value: median(runs.map((r) => r.cpuS)),
        unit: 'CPU s',
        baseline: decodeS * GROUPS.length,
        note: 'CPU of the five filter processes per visit (process_cpu_seconds_total); baseline = five full decodes of the visit',
      }),
      withRatio({
        name: 'alerts_filter.visit_total_s',
        value: median(runs.map((r) => r.totalS)),
        unit: 's',
        baseline: alone.produceS,
        note: 'from the visit\u2019s first alert made to all 100 filters done; baseline = producing the visit alone (no filter running), same run',
      }),
      withRatio({
        name: 'alerts_filter.produce_s',
        value: median(runs.map((r) => r.produceS)),
        unit: 's',
        baseline: alone.produceS,
        note: 'sendVisit of the visit (first alert made → last acknowledged) while the five filters read it; baseline = the same alone: the two cores shared with them and the broker',
      }),
    ];
  } finally {
    for (const c of children) c.proc.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.proc.exitCode !== null ? r(null) : c.proc.once('exit', r)))));
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics(topics).catch(() => undefined);
    await registry.deleteSubject(`${source}-value`, { permanent: true }).catch(() => undefined);
    await admin.disconnect();
  }
}
