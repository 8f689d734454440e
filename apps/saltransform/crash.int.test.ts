/**
 * At-least-once under failure, with scale-out: two saltransform replicas share a consumer group over
 * 2-partition raw topics while salmock produces; one replica is killed with SIGKILL mid-stream and
 * restarted. Every message salmock produced reaches its Avro topic (duplicates allowed, losses not).
 */
import { Kafka } from 'kafkajs';
import { useNamespace, TestNamespace, waitFor } from '../../test/integration/env';
import { runRegister } from '../salschema/cli';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { salmockConfig, startSalmock } from '../salmock/cli';
import { HEADER_SEQ } from '../salmock/run';
import type { EfdChild } from '../../test/integration/efd-process';
import {
  consumeAll,
  header,
  saltransformArgs,
  spawnEfd,
  topicsWithPrefix,
  totalMessages,
  waitForGroup,
} from '../../test/integration/efd-process';

let ns: TestNamespace;
let kafka: Kafka;
const children: EfdChild[] = [];

beforeAll(async () => {
  ns = await useNamespace(__filename);
  kafka = ns.kafka();
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await ns?.cleanup();
});

test('kill -9 of a saltransform replica mid-stream, then restart: nothing is lost', async () => {
  const prefix = ns.topic('');
  const cluster = ns.endpoints.clusters[0];
  const quiet = { out: () => undefined, err: (l: string) => process.stderr.write(`${l}\n`) };
  expect(await runRegister({ xml: CURRENT_DIR, registry: cluster.registry, topicPrefix: prefix, topics: '^ATDome_' }, quiet)).toBe(0);

  const admin = kafka.admin();
  await admin.connect();
  try {
    const raw = ['commands', 'events', 'telemetry'].map((k) => `${prefix}ATDome_${k}`);
    await admin.createTopics({ waitForLeaders: true, topics: raw.map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })) });
    const args = saltransformArgs(ns, 'ATDome', ['--session-timeout-ms', '6000', '--concurrency', '2']);
    const a = spawnEfd(args);
    const b = spawnEfd(args);
    children.push(a, b);
    await waitForGroup(admin, ns.name('st'), 2);

    // ~1,500 msg/s for 8 s; A is killed at 3 s and restarted at 4 s
    const producing = startSalmock(
      salmockConfig(
        {
          xml: CURRENT_DIR,
          brokers: cluster.kafka,
          clientId: 'salmock-crash',
          topicPrefix: prefix,
          subsystems: 'ATDome',
          rateFactor: '10',
          duration: '8',
          seed: '7',
          metricsPort: '0',
          logLevel: 'warn',
        },
        {},
      ),
    );
    await new Promise((r) => setTimeout(r, 3000));
    await a.kill9();
    expect(a.proc.signalCode).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    children.push(spawnEfd(args));
    const summary = await producing;
    expect(summary.failed).toBe(0);
    expect(summary.produced).toBeGreaterThan(2000);

    // the output's record count counts the duplicates a restart re-sends: it can reach `produced` while
    // records are still on their way, so the wait is for every distinct seq (bounded), then the check
    let missing: number[] = [];
    let out: Awaited<ReturnType<typeof consumeAll>> = [];
    let round = 0;
    await waitFor(
      'every produced message transformed',
      async () => {
        const outs = await topicsWithPrefix(admin, `${prefix}lsst.sal.`);
        const n = await totalMessages(admin, outs);
        if (n < summary.produced) return false;
        out = await consumeAll(kafka, ns.name(`check-${round++}`), outs, n);
        const seqs = new Set(out.map((m) => header(m, HEADER_SEQ)));
        missing = [];
        for (let s = 0; s < summary.produced; s++) if (!seqs.has(String(s))) missing.push(s);
        return missing.length === 0;
      },
      60_000,
    ).catch(() => undefined);
    expect(missing).toEqual([]);
    const dlq = (await admin.listTopics()).includes(`${prefix}saltransform.deadletter`);
    expect(dlq).toBe(false);
    process.stderr.write(
      `crash test: ${summary.produced} produced, ${out.length} Avro records (${out.length - new Set(out.map((m) => header(m, HEADER_SEQ))).size} duplicates re-delivered after the kill)\n`,
    );
  } finally {
    await admin.disconnect();
  }
}, 60_000);
