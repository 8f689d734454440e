/**
 * Replication on two real local clusters, configured by the same code as the `<site>-replication`
 * stacks: the flow comes from the topology (site YAML → deriveTopology), the MirrorMaker 2 connectors
 * from mirrorMaker2Specs, applied by the connect manager to a replication worker of its own whose
 * Kafka is the aggregator (cluster b). Schemas: remote registry — the source registry's kafkasql journal
 * is replicated with the data and a read-only registry at the aggregator serves it (the local EFD's own
 * registries keep schemas in h2, so this suite starts kafkasql registries of its own).
 *
 * Run: EFD_LOCAL_DIR=… npx jest constructs/replication/replication.int.test.ts --selectProjects integration
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners } from 'kafkajs';
import { remoteTopic, ReplicationFlow } from '../../config/topology';
import { ConnectClient, validationErrors } from '../../apps/connect-manager/connect-client';
import { status } from '../../apps/connect-manager/manager';
import {
  LocalProcess,
  applyReplication,
  localReplicationFlow,
  localReplicationSpecs,
  startKafkasqlRegistry,
  startReplicationWorker,
  testFlowPrefix,
} from '../../scripts/local-efd/replication';
import { HEARTBEATS_TOPIC } from './mirrormaker2';
import {
  TestNamespace,
  createTopic,
  endOffsets,
  expectedClusters,
  topicExists,
  useNamespace,
  waitFor,
  waitForTopics,
} from '../../test/integration/env';
import { flowStatus, formatFlowStatus } from '../../apps/cli/replication';
import { RunningSink, sinkConfig, startSink } from '../../apps/influxdb-sink/cli';
import { silentLogger } from '../../apps/lib/logging';
import { influxQl } from '../../scripts/local-efd/health';
import { influxDbSinkSchema } from '../../config/connectors';
import { influxDbSinkFlags } from '../connectors/influxdb-sink-flags';
import { replicatedSource } from './inbound';
import { arrayOf, avroRecord } from '../../test/avro';

jest.setTimeout(600_000);

const run = expectedClusters() >= 2 ? describe : describe.skip;
let ns: TestNamespace;
const procs: LocalProcess[] = [];
const sinks: RunningSink[] = [];
const MANAGER = 'efd-replication-it';

const positionSchema = (extra: object[] = []) => ({
  type: 'record',
  name: 'position',
  namespace: 'lsst.sal.ATDome',
  fields: [{ name: 'seq', type: 'long' }, { name: 'sal_created', type: 'long' }, { name: 'azimuth', type: 'double' }, ...extra],
});

async function produceAvro(
  kafka: Kafka,
  topic: string,
  registry: SchemaRegistry,
  id: number,
  from: number,
  count: number,
  extra: object = {},
): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  try {
    for (let start = from; start < from + count; start += 500) {
      const n = Math.min(500, from + count - start);
      const messages = await Promise.all(
        Array.from({ length: n }, async (_, i) => ({
          key: `k${(start + i) % 7}`,
          value: await registry.encode(id, { seq: start + i, sal_created: Date.now(), azimuth: (start + i) / 10, ...extra }),
        })),
      );
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

async function produceValues(kafka: Kafka, topic: string, registry: SchemaRegistry, id: number, values: object[]): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 500) {
      const messages = await Promise.all(
        values.slice(i, i + 500).map(async (v, j) => ({ key: `k${(i + j) % 5}`, value: await registry.encode(id, v) })),
      );
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

type InfluxResult = { results: { series?: { name: string; columns: string[]; values: unknown[][] }[] }[] };
const series = async (q: string) => ((await influxQl(ns.endpoints.influxdb.url, q, ns.database)) as InfluxResult).results[0].series ?? [];

/** Reads `topic` from the beginning until `count` records are in (or the timeout), decoding each with `registry`. */
async function readDecoded(kafka: Kafka, topic: string, group: string, registry: SchemaRegistry, count: number, timeoutMs = 120_000) {
  await waitForTopics(kafka, [topic], timeoutMs);
  const consumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false });
  const values: Record<string, unknown>[] = [];
  const arrivals: number[] = [];
  const failures: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        try {
          values.push((await registry.decode(message.value as Buffer)) as Record<string, unknown>);
          arrivals.push(Number(message.timestamp));
        } catch (err) {
          failures.push((err as Error).message);
        }
      },
    });
    // Distinct sequence numbers: duplicates (at-least-once after a fault) do not count twice.
    await waitFor(
      `${count} decoded records on ${topic}`,
      async () => new Set(values.map((v) => v.seq)).size + failures.length >= count,
      timeoutMs,
    );
    await new Promise((r) => setTimeout(r, 1500)); // late duplicates, if any
  } finally {
    await consumer.disconnect();
  }
  return { values, failures, arrivals };
}

/** Sequence audit: every expected seq present; duplicates counted. */
function audit(values: Record<string, unknown>[], from: number, count: number) {
  const seen = new Map<number, number>();
  for (const v of values) seen.set(Number(v.seq), (seen.get(Number(v.seq)) ?? 0) + 1);
  const lost = Array.from({ length: count }, (_, i) => from + i).filter((s) => !seen.has(s));
  const duplicates = [...seen.values()].reduce((a, n) => a + n - 1, 0);
  return { lost, duplicates, distinct: seen.size };
}

run('replication a → b (MirrorMaker 2, remote registry)', () => {
  let flow: ReplicationFlow;
  let worker: LocalProcess;
  let sourceRegistry: LocalProcess;
  let remoteRegistry: LocalProcess;
  let src: SchemaRegistry;
  let remote: SchemaRegistry;
  let journal: string;
  let topic1: string;

  beforeAll(async () => {
    ns = await useNamespace(__filename);
    const [a, b] = ns.endpoints.clusters;
    journal = ns.topic('kafkasql-journal');
    // Start the source registry and the replication worker side by side (each takes 20–45 s here).
    [sourceRegistry, worker] = await Promise.all([
      startKafkasqlRegistry({ name: 'source-registry', bootstrapServers: a.kafka, journalTopic: journal, readOnly: false, dir: ns.tmpDir }),
      startReplicationWorker({ id: ns.name('w'), bootstrapServers: b.kafka, dir: ns.tmpDir }),
    ]);
    procs.push(sourceRegistry, worker);
    src = new SchemaRegistry({ host: sourceRegistry.url });
    // The flow as the stacks derive it (site YAML → topology) and as `local up --clusters 2` runs it: a source
    // site replicating to an aggregator whose inbound is cluster b (here only this suite's topics and journal).
    // A prefix of this run's own: the local EFD's flow also replicates these topics (as summit.<topic>), so only
    // this suite's flow writes <prefix>.<topic> and the audits count its records alone.
    flow = localReplicationFlow(b, {
      prefix: testFlowPrefix(ns.id),
      topicsRegex: `lsst[.]sal[.]${ns.id}[.].*`,
      journalTopic: journal,
      refreshTopicsIntervalSeconds: 5,
    });
  });

  afterAll(async () => {
    for (const sink of sinks) await sink.stop().catch(() => undefined);
    for (const p of procs.reverse()) await p.stop().catch(() => undefined);
    // <prefix>.heartbeats at the aggregator is this run's (its name has no namespace id for cleanup() to find).
    // The source's `heartbeats` (MM2's fixed name) is shared with the local EFD's own flow, which writes it too: kept.
    if (flow) {
      const admin = ns.kafka(1).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [remoteTopic(flow.prefix, HEARTBEATS_TOPIC)] }).catch(() => undefined);
      await admin.disconnect();
    }
    await ns?.cleanup();
  });

  const specs = () => localReplicationSpecs(flow, ns.endpoints.clusters[0], ns.name('replication'));

  test('the worker accepts the generated connector configs (validated by the real plugins)', async () => {
    const client = new ConnectClient(worker.url);
    for (const spec of specs()) {
      const r = await client.validate({ ...spec.config, name: spec.name });
      expect({ name: spec.name, errors: validationErrors(r) }).toEqual({ name: spec.name, errors: [] });
    }
  });

  test("Avro records at the source arrive as <site>.<topic>, decode with the aggregator's read-only registry, 0 lost", async () => {
    const [a, b] = ns.endpoints.clusters;
    const kafkaA = ns.kafka(0);
    const kafkaB = ns.kafka(1);
    topic1 = `lsst.sal.${ns.id}.ATDome.position`;
    const { id } = await src.register({ type: SchemaType.AVRO, schema: JSON.stringify(positionSchema()) }, { subject: `${topic1}-value` });
    await createTopic(kafkaA, topic1, 3);
    const N = 3000;
    await produceAvro(kafkaA, topic1, src, id, 0, N);

    // Applied by the connect manager (as the stacks' manager does), by the function `local up` uses.
    await applyReplication(worker.url, specs(), MANAGER);
    const rows = await status(new ConnectClient(worker.url), { managerId: MANAGER });
    expect(rows.map((row) => [row.name, row.state, row.tasks.map((x) => x.state)])).toEqual([
      [`${ns.name('replication')}-heartbeat`, 'RUNNING', ['RUNNING']],
      [`${ns.name('replication')}-source`, 'RUNNING', ['RUNNING']],
    ]);

    // The remote registry starts once its (replicated) journal exists at the aggregator.
    const remoteJournal = remoteTopic(flow.prefix, journal);
    await waitFor(`${remoteJournal} on cluster b`, () => topicExists(kafkaB, remoteJournal), 120_000);
    remoteRegistry = await startKafkasqlRegistry({
      name: 'remote-registry',
      bootstrapServers: b.kafka,
      journalTopic: remoteJournal,
      readOnly: true,
      dir: ns.tmpDir,
    });
    procs.push(remoteRegistry);
    remote = new SchemaRegistry({ host: remoteRegistry.url });
    // Read-only: the remote registry refuses writes (the source owns its schemas).
    const write = await fetch(`${remoteRegistry.url}/subjects/${encodeURIComponent(`${ns.topic('probe')}-value`)}/versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify({ type: 'string' }) }),
    });
    expect(write.ok).toBe(false);
    expect(await write.text()).toContain('read-only');

    const remote1 = remoteTopic(flow.prefix, topic1);
    expect(remote1).toBe(`${flow.prefix}.lsst.sal.${ns.id}.ATDome.position`);
    await waitFor(`${remote1} on cluster b`, () => topicExists(kafkaB, remote1), 60_000);
    const got = await readDecoded(kafkaB, remote1, ns.name('check1'), remote, N);
    expect(got.failures).toEqual([]);
    const a1 = audit(got.values, 0, N);
    process.stderr.write(
      `[replication] ${remote1}: ${got.values.length} records, ${a1.distinct} distinct, lost ${a1.lost.length}, duplicates ${a1.duplicates}\n`,
    );
    expect(a1.lost).toEqual([]);
    expect(a1.distinct).toBe(N);
    // Partitions and topic configs follow the source.
    const admin = kafkaB.admin();
    await admin.connect();
    const md = await admin.fetchTopicMetadata({ topics: [remote1] });
    await admin.disconnect();
    expect(md.topics[0].partitions).toHaveLength(3);
    void a;
  });

  test('a topic created at the source after the start replicates without a restart; a compatible schema change decodes at the aggregator', async () => {
    const kafkaA = ns.kafka(0);
    const kafkaB = ns.kafka(1);
    const topic2 = `lsst.sal.${ns.id}.ATDome.azimuthCommandedState`;
    const { id } = await src.register({ type: SchemaType.AVRO, schema: JSON.stringify(positionSchema()) }, { subject: `${topic2}-value` });
    await createTopic(kafkaA, topic2, 1);
    const t0 = Date.now();
    await produceAvro(kafkaA, topic2, src, id, 0, 500);
    const got2 = await readDecoded(kafkaB, remoteTopic(flow.prefix, topic2), ns.name('check2'), remote, 500);
    process.stderr.write(
      `[replication] new topic ${topic2}: all 500 at the aggregator ${((Date.now() - t0) / 1000).toFixed(1)} s after its creation (refresh every 5 s)\n`,
    );
    expect(got2.failures).toEqual([]);
    expect(audit(got2.values, 0, 500).lost).toEqual([]);

    // v2 adds a field with a default (BACKWARD compatible) on the first topic.
    const v2 = positionSchema([{ name: 'elevation', type: 'double', default: 0 }]);
    const { id: id2 } = await src.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject: `${topic1}-value` });
    await produceAvro(kafkaA, topic1, src, id2, 3000, 200, { elevation: 42.5 });
    const got = await readDecoded(kafkaB, remoteTopic(flow.prefix, topic1), ns.name('check3'), remote, 3200);
    expect(got.failures).toEqual([]);
    const a = audit(got.values, 0, 3200);
    expect(a.lost).toEqual([]);
    expect(got.values.filter((v) => Number(v.seq) >= 3000).every((v) => v.elevation === 42.5)).toBe(true);
    expect(await remote.getLatestSchemaId(`${topic1}-value`)).toBe(id2);
  });

  test('efd replication status: both topics caught up, heartbeats fresh, every task RUNNING', async () => {
    const [a, b] = ns.endpoints.clusters;
    const s = await waitFor(
      'replication caught up',
      async () => {
        const st = await flowStatus({
          flow,
          connectUrl: worker.url,
          sourceBrokers: a.kafka,
          targetBrokers: b.kafka,
          namePrefix: ns.name('replication'),
        });
        return st.lagRecords === 0 && st.lagSeconds !== undefined && st.topics.length === 2 ? st : undefined;
      },
      60_000,
    );
    process.stderr.write(`[replication] status:\n${formatFlowStatus(s).join('\n')}\n`);
    expect(s.connectors.map((c) => [c.name, c.state, c.tasks.every((t) => t.state === 'RUNNING')])).toEqual([
      [`${ns.name('replication')}-heartbeat`, 'RUNNING', true],
      [`${ns.name('replication')}-source`, 'RUNNING', true],
    ]);
    expect(s.topics.map((t) => [t.remote, t.lagRecords])).toEqual([
      [`${flow.prefix}.lsst.sal.${ns.id}.ATDome.azimuthCommandedState`, 0],
      [`${flow.prefix}.lsst.sal.${ns.id}.ATDome.position`, 0],
    ]);
    expect(s.problems).toEqual([]);
  });
  test("the aggregator's sink (flags of the stacks' sink for a replicated source) writes the source's points into InfluxDB tagged site=<the source's prefix>, measurements named as at the source", async () => {
    const [, b] = ns.endpoints.clusters;
    const kafkaA = ns.kafka(0);
    const topic3 = `lsst.sal.${ns.id}.ATMCS.trajectory`;
    const schema = avroRecord(
      'trajectory',
      { seq: 'long', sal_created: 'double', azimuth: 'double', demand: arrayOf('double') },
      'lsst.sal.ATMCS',
    );
    const { id } = await src.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic3}-value` });
    await createTopic(kafkaA, topic3, 2);
    const N = 2000;
    const T0 = Date.UTC(2026, 10, 1); // SAL style: sal_created in epoch seconds (double), 1 ms apart
    await produceValues(
      kafkaA,
      topic3,
      src,
      id,
      Array.from({ length: N }, (_, i) => ({ seq: i, sal_created: (T0 + i) / 1000, azimuth: i / 4, demand: [i, -i, 0.5] })),
    );

    // The sink as the aggregator's stack configures it for this flow; only the endpoints are the local ones.
    const flags = influxDbSinkFlags({
      site: 'ldf',
      bootstrapServers: b.kafka,
      schemaRegistryUrl: b.registry,
      influxdbUrl: ns.endpoints.influxdb.url,
      database: ns.database,
      retentionPolicy: 'autogen',
      settings: influxDbSinkSchema.parse({}),
      source: replicatedSource(flow, remoteRegistry.url),
    });
    expect(flags).toMatchObject({
      topicsRegex: `${flow.prefix}[.](?:lsst[.]sal[.]${ns.id}[.].*)`,
      registry: remoteRegistry.url,
      staticTag: [`site=${flow.prefix}`],
      stripPrefix: `${flow.prefix}.`,
    });
    sinks.push(
      await startSink(
        sinkConfig(
          { ...flags, group: ns.name('agg-sink'), deadLetterTopic: ns.topic('agg-dlq'), topicRefreshMs: '1000', logLevel: 'silent' },
          {},
        ),
        { logger: silentLogger(), serveMetrics: false },
      ),
    );

    const m3 = `lsst.sal.${ns.id}.ATMCS.trajectory`;
    const count = await waitFor(
      `${N} points in ${m3}`,
      async () => {
        const [row] = await series(`SELECT count(seq), sum(seq) FROM "${m3}" WHERE site = '${flow.prefix}'`);
        return row && row.values[0][1] === N ? row.values[0] : undefined;
      },
      120_000,
    );
    expect(count[2]).toBe((N * (N - 1)) / 2); // every seq once
    const [one] = await series(`SELECT seq, azimuth, demand0, demand1, demand2, site FROM "${m3}" WHERE seq = 1234`);
    expect(one.values).toHaveLength(1);
    expect(Date.parse(one.values[0][0] as string)).toBe(T0 + 1234);
    expect(one.values[0].slice(1)).toEqual([1234, 308.5, 1234, -1234, 0.5, flow.prefix]);

    // Every replicated topic landed under its source name, tagged with the site; none under the prefixed name.
    const measurements = await waitFor(
      'the three replicated measurements',
      async () => {
        const [row] = await series('SHOW MEASUREMENTS');
        const names = (row?.values ?? []).map((v) => String(v[0])).sort();
        return names.length === 3 ? names : undefined;
      },
      60_000,
    );
    expect(measurements).toEqual([`lsst.sal.${ns.id}.ATDome.azimuthCommandedState`, `lsst.sal.${ns.id}.ATDome.position`, m3]);
    const tagged = await series('SHOW TAG VALUES WITH KEY = "site"');
    expect(tagged.map((x) => [x.name, x.values.map((v) => v[1])])).toEqual(measurements.map((m) => [m, [flow.prefix]]));
    // A query across sites is one statement on the measurement, grouped by the tag.
    const bySite = await series(`SELECT count(seq) FROM "${m3}" GROUP BY site`);
    expect(bySite.map((x: any) => [x.tags.site, x.values[0][1]])).toEqual([[flow.prefix, N]]);
  });
  test('fault: kill -9 of the replication worker mid-stream, started again → 0 lost (sequence audit), duplicates counted', async () => {
    const [a, b] = ns.endpoints.clusters;
    const kafkaA = ns.kafka(0);
    const kafkaB = ns.kafka(1);
    const topic4 = `lsst.sal.${ns.id}.ATPtg.timeAndDate`;
    const remote4 = remoteTopic(flow.prefix, topic4);
    const { id } = await src.register({ type: SchemaType.AVRO, schema: JSON.stringify(positionSchema()) }, { subject: `${topic4}-value` });
    await createTopic(kafkaA, topic4, 3);
    const N = 6000;
    await produceAvro(kafkaA, topic4, src, id, 0, 500);
    await waitFor(`${remote4} replicating`, async () => (await endOffsets(kafkaB, remote4)) >= 500, 120_000);

    // The source goes on producing (~1,000 records/s) while the worker dies and comes back.
    const producing = (async () => {
      for (let from = 500; from < N; from += 250) {
        await produceAvro(kafkaA, topic4, src, id, from, 250);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    const atKill = await endOffsets(kafkaB, remote4);
    const port = Number(new URL(worker.url).port);
    await worker.kill9();
    const killedAt = Date.now();
    await producing;
    const whileDown = await endOffsets(kafkaB, remote4);
    worker = await startReplicationWorker({ id: ns.name('w'), bootstrapServers: b.kafka, dir: ns.tmpDir, port });
    procs.push(worker);
    const restartedAfter = (Date.now() - killedAt) / 1000;

    const got = await readDecoded(kafkaB, remote4, ns.name('check4'), remote, N, 180_000);
    const r = audit(got.values, 0, N);
    process.stderr.write(
      `[replication] kill -9 of the worker with ${atKill}/${N} records at the aggregator (${whileDown} while it was down), restarted after ${restartedAfter.toFixed(1)} s: ${got.values.length} records, ${r.distinct} distinct, lost ${r.lost.length}, duplicates ${r.duplicates}\n`,
    );
    expect(got.failures).toEqual([]);
    expect(atKill).toBeLessThan(N); // killed mid-stream
    expect(r.lost).toEqual([]);
    expect(r.distinct).toBe(N);
    const st = await waitFor(
      'replication RUNNING and caught up after the restart',
      async () => {
        const x = await flowStatus({
          flow,
          connectUrl: worker.url,
          sourceBrokers: a.kafka,
          targetBrokers: b.kafka,
          namePrefix: ns.name('replication'),
        });
        return x.lagRecords === 0 && x.connectors.every((c) => c.state === 'RUNNING' && c.tasks.every((t) => t.state === 'RUNNING'))
          ? x
          : undefined;
      },
      120_000,
    );
    expect(st.topics.find((t) => t.remote === remote4)?.lagRecords).toBe(0);
  });
});
