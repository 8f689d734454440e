/**
 * kill -9 of the connect manager mid-stream, then restart (issue 21): the manager in `--watch` mode owns a
 * Debezium JDBC sink (JdbcSinkConnector's config, into PostgreSQL) whose topics come from a regex; Avro
 * records (the shared registry, Apicurio's converter as in constructs/connectors/jdbc-sink.int.test.ts)
 * flow into those topics from the apps' producer while new matching topics keep appearing. The manager
 * (`efd connectors apply --watch`, its own process: bin/efd) is killed with SIGKILL as soon as its PUT of a
 * longer topic list shows on the worker (polled every 50 ms: at the end of that cycle, while the worker
 * restarts the connector's task with the new topics), two more topics appear while it is dead, then it is
 * started again and one more topic appears after that. The audit:
 *  (a) the connector was never deleted or recreated: the worker's config topic holds no tombstone for
 *      it (a DELETE writes one), the restarted manager logged no create, no delete and no conflict
 *      (it adopted the connector by its mark and only updated its topic list), the mark is the same,
 *      the connector and its task are RUNNING, and the sink's committed offsets never went back;
 *  (b) every topic that appeared, the ones born while the manager was dead too, is in the connector's
 *      topic list within the watch interval (plus a margin for this busy 2-core machine) of the restarted
 *      manager's first log line, and a topic born after the restart within the interval of its birth;
 *  (c) every record produced is a row in PostgreSQL: the connector inserts (no primary key, so a record
 *      written twice is two rows) with its topic/partition/offset added by InsertField, and every offset
 *      0..N-1 of every partition of every topic is there (0 lost); duplicates are counted and printed.
 * Not done: a kill inside the manager's PUT itself (between request and reply) — the manager has no hook
 * to stop it there and the window is a few ms; the manager keeps no state of its own, so what a restart
 * finds is the worker's config either with or without that PUT, both of which the cases above cover.
 * Servers: the local EFD's Kafka a, registry a, Connect a and PostgreSQL (a PostgreSQL or Connect worker of
 * this test's own when the shared one lacks it, as in jdbc-sink.int.test.ts). Cleaned up in afterAll,
 * also after a failure: the manager, the connector, its consumer group and the audit's, the topics and
 * subjects (ns.cleanup), the database.
 * Run: npx jest --selectProjects integration apps/connect-manager/connect-manager-faults --runInBand
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { Type } from 'avsc';
import { Client } from 'pg';
import { MANAGED_BY_KEY } from '../../config/connector-spec';
import { JdbcSinkConnector } from '../../constructs/connectors/jdbc-sink-connector';
import { LocalProcess } from '../../scripts/local-efd/replication';
import type { PostgresEndpoints } from '../../scripts/local-efd/postgres';
import { apicurioAvroConverter, openJdbcSinkEnv } from '../../test/integration/jdbc-sink-env';
import { EfdChild, spawnEfd } from '../../test/integration/efd-process';
import { TestNamespace, useNamespace, waitFor, withAdmin } from '../../test/integration/env';
import { createProducer, type EfdProducer } from '../lib/kafka';
import { createConsumer } from '../lib/kafka-consumer';
import { createRegistry, wireEncoder } from '../lib/registry';
import { ConnectClient, validationErrors } from './connect-client';

jest.setTimeout(300_000);

/** The manager's reconcile interval (s), and the margin allowed over it on this busy 2-core machine. */
const WATCH_S = 3;
const MARGIN_MS = 12_000;
const PARTITIONS = 2;
const say = (line: string) => process.stderr.write(`[connect manager faults] ${line}\n`);

let ns: TestNamespace;
let pg: PostgresEndpoints;
let sql: Client;
let connect: ConnectClient;
let configTopic: string;
let connectorName: string;
let managerId: string;
let desiredFile: string;
let started: LocalProcess[] = [];
const children: EfdChild[] = [];
const groups: string[] = [];

beforeAll(async () => {
  ns = await useNamespace(__filename);
  ({ pg, sql, connect, configTopic, started } = await openJdbcSinkEnv(ns));
  connectorName = ns.name('cmk-jdbc');
  managerId = ns.name('mgr');
  desiredFile = path.join(ns.tmpDir, 'connectors.json');
}, 15 * 60_000);

afterAll(async () => {
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      say(`cleanup: ${what}: ${(err as Error).message}`);
    }
  };
  stopProducing = true;
  await producing?.catch(() => undefined);
  for (const c of children) await attempt('stop the manager', () => c.kill9());
  await attempt('producer', async () => producer?.disconnect());
  if (connect && connectorName) {
    await attempt(`delete ${connectorName}`, async () => {
      await connect.delete(connectorName).catch(() => undefined);
      await waitFor(`${connectorName} gone`, async () => (await connect.status(connectorName)) === undefined, 60_000);
    });
  }
  // the sink's group (Connect names it connect-<connector>) and the audit's; empty once the connector is gone
  if (ns) {
    await attempt('consumer groups', () =>
      waitFor(
        'consumer groups deleted',
        async () => {
          const admin = ns.kafka().admin();
          await admin.connect();
          try {
            const known = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
            const ours = [`connect-${connectorName}`, ...groups].filter((g) => known.has(g));
            if (ours.length) await admin.deleteGroups(ours);
            return true;
          } finally {
            await admin.disconnect();
          }
        },
        30_000,
      ),
    );
  }
  await sql?.end().catch(() => undefined);
  if (ns && pg) {
    await attempt(`database ${ns.database}`, async () => {
      const admin = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${ns.database} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    });
  }
  for (const p of started.reverse()) await attempt('private server', () => p.stop());
  await ns?.cleanup();
}, 240_000);

// ------------------------------------------------------------------ records ----

const SCHEMA = {
  type: 'record',
  name: 'CmkRecord',
  namespace: 'efd.it',
  fields: [
    { name: 'seq', type: 'long' },
    { name: 'sent_ms', type: 'long' },
  ],
};

const topicOf = (i: number) => ns.topic(`cmk.t${i}`);
/** The table the plugin names after the topic (dots → `_`; PostgreSQL folds it to lower case). */
const tableOf = (topic: string) => topic.replace(/[.-]/g, '_').toLowerCase();

interface Flow {
  topic: string;
  encode: (v: unknown) => Buffer;
  /** Records acknowledged by the brokers. */
  acked: number;
  createdAt: number;
}

const flows: Flow[] = [];
let producer: EfdProducer | undefined;
let producing: Promise<void> | undefined;
let stopProducing = false;
let sendFailures = 0;

/** A new matching topic (PARTITIONS partitions), its value schema registered; records flow into it from now on. */
async function addTopic(i: number): Promise<Flow> {
  const topic = topicOf(i);
  await withAdmin(ns.kafkaOptions(), (admin) => admin.createTopics([{ topic, partitions: PARTITIONS, replicationFactor: 1 }]));
  const id = await createRegistry(ns.endpoints.clusters[0].registry).register(`${topic}-value`, SCHEMA as never);
  const flow = { topic, encode: wireEncoder(id, Type.forSchema(SCHEMA as never)), acked: 0, createdAt: Date.now() };
  flows.push(flow);
  return flow;
}

/** Every 200 ms, 4 records to every topic (unkeyed: spread over the partitions), until stopped. */
async function produceLoop(): Promise<void> {
  producer = createProducer(ns.kafkaOptions(), { allowAutoTopicCreation: false });
  await producer.connect();
  while (!stopProducing) {
    const batch = flows.map((f) => ({
      flow: f,
      n: 4,
      messages: Array.from({ length: 4 }, (_, k) => ({ value: f.encode({ seq: f.acked + k, sent_ms: Date.now() }) })),
    }));
    try {
      await producer.sendBatch({ topicMessages: batch.map((b) => ({ topic: b.flow.topic, messages: b.messages })) });
      for (const b of batch) b.flow.acked += b.n;
    } catch (err) {
      sendFailures++;
      say(`send failed: ${(err as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---------------------------------------------------------------- connector ----

/** JdbcSinkConnector's config with the local specifics (PostgreSQL, the Secret in this test's folder, Apicurio's converter). */
function desiredSpec(): { name: string; config: Record<string, string>; topicsRegex?: string } {
  const scope = new TerraformStack(Testing.app(), 'cmk');
  const c = new JdbcSinkConnector(scope, 'jdbc', {
    site: 'local',
    name: connectorName,
    schemaRegistryUrl: ns.endpoints.clusters[0].registry,
    dialect: 'postgresql',
    topicsRegex: `${ns.topic('cmk.').replace(/\./g, '\\.')}t[0-9]+`,
    // every record a row of its own: a record written twice is two rows, so the audit counts duplicates
    insertMode: 'insert',
    tablePrefixes: false,
    secretsMountPath: path.join(ns.tmpDir, 'secrets'),
    connection: {
      url: { secret: 'efd-pg', key: 'jdbc-url' },
      user: { secret: 'efd-pg', key: 'jdbc-user' },
      password: { secret: 'efd-pg', key: 'jdbc-password' },
    },
  });
  const config: Record<string, string> = { ...c.spec.config };
  for (const k of Object.keys(config)) if (k.startsWith('value.converter')) delete config[k];
  Object.assign(config, {
    ...apicurioAvroConverter(ns),
    'value.converter.apicurio.registry.headers.enabled': 'false',
    // a topic's records produced before the manager added it are read too
    'consumer.override.auto.offset.reset': 'earliest',
    // each row says which record it is
    transforms: 'coords',
    'transforms.coords.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
    'transforms.coords.topic.field': 'kafka_topic',
    'transforms.coords.partition.field': 'kafka_partition',
    'transforms.coords.offset.field': 'kafka_offset',
  });
  return { ...c.spec, config };
}

function startManager(): EfdChild {
  const cluster = ns.endpoints.clusters[0];
  const c = spawnEfd([
    'connectors',
    'apply',
    '--desired',
    desiredFile,
    '--connect-url',
    connect.url,
    '--brokers',
    cluster.kafka,
    '--manager-id',
    managerId,
    '--watch',
    String(WATCH_S),
    '--log-level',
    'info',
  ]);
  children.push(c);
  return c;
}

/** The manager's log messages (pino JSON lines), with their times and levels. */
function logOf(c: EfdChild): { time: number; level: number; msg: string }[] {
  return c
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { time: string; level: number; msg: string })
    .map((l) => ({ time: Date.parse(l.time), level: l.level, msg: l.msg }));
}

const topicsOf = async () => (await connect.config(connectorName))?.topics?.split(',') ?? [];

async function running(): Promise<boolean> {
  const s = await connect.status(connectorName);
  return s?.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING');
}

/** The sink's committed offsets as the worker reports them (`GET /connectors/<name>/offsets`), by topic/partition. */
async function sinkOffsets(): Promise<Map<string, number>> {
  const res = await fetch(`${connect.url}/connectors/${connectorName}/offsets`);
  if (!res.ok) throw new Error(`GET offsets of ${connectorName}: HTTP ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as {
    offsets: { partition: { kafka_topic: string; kafka_partition: number }; offset: { kafka_offset: number } }[];
  };
  return new Map(body.offsets.map((o) => [`${o.partition.kafka_topic}/${o.partition.kafka_partition}`, Number(o.offset.kafka_offset)]));
}

/**
 * The worker's config-topic records of the connector, read from the beginning to the high watermark
 * (the topic is compacted: offsets may have gaps, so the end is an offset, not a count): a PUT writes
 * its config under `connector-<name>`, a DELETE a tombstone (null value) there.
 */
async function configRecords(): Promise<{ configs: number; tombstones: number }> {
  const group = ns.name(`cfg-audit-${groups.length}`);
  groups.push(group);
  const ends = await withAdmin(ns.kafkaOptions(), (admin) => admin.topicOffsets(configTopic));
  const end = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const read = new Map<number, number>();
  const ours: (Buffer | null)[] = [];
  const consumer = createConsumer(ns.kafkaOptions(), { groupId: group, maxWaitTimeMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [configTopic], fromBeginning: true });
    await consumer.run({
      eachBatch: async (b) => {
        for (const m of b.messages) {
          if (m.key?.toString() === `connector-${connectorName}`) ours.push(m.value);
          read.set(b.partition, Number(m.offset) + 1);
        }
      },
    });
    await waitFor(`${configTopic} read to its end`, async () => [...end].every(([p, e]) => e === 0 || (read.get(p) ?? 0) >= e), 60_000);
  } finally {
    await consumer.disconnect();
  }
  return { configs: ours.filter((v) => v?.length).length, tombstones: ours.filter((v) => !v?.length).length };
}

/** Per topic and partition, how many rows each offset has in PostgreSQL. */
async function rowsByOffset(topic: string): Promise<Map<string, number>> {
  try {
    const r = await sql.query(`SELECT kafka_partition AS p, kafka_offset AS o, count(*) AS n FROM ${tableOf(topic)} GROUP BY 1, 2`);
    return new Map(r.rows.map((x: { p: number; o: string; n: string }) => [`${x.p}/${x.o}`, Number(x.n)]));
  } catch (err) {
    if (/does not exist/.test((err as Error).message)) return new Map();
    throw err;
  }
}

/** High watermark of every partition of the topic. */
async function watermarks(topic: string): Promise<number[]> {
  const offs = await withAdmin(ns.kafkaOptions(), (admin) => admin.topicOffsets(topic));
  return offs.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
}

// --------------------------------------------------------------------- test ----

test('kill -9 of the connect manager mid-stream, then restart: the connector is adopted, not recreated; every new topic joins its list; every record reaches PostgreSQL', async () => {
  const t0 = Date.now();
  const phase = (what: string) => say(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const spec = desiredSpec();
  fs.writeFileSync(desiredFile, JSON.stringify({ connectors: [spec] }, null, 2));
  const validation = await connect.validate({ ...spec.config, name: connectorName, topics: topicOf(0) });
  expect(validationErrors(validation)).toEqual([]);

  let next = 0;
  await addTopic(next++);
  producing = produceLoop();
  const first = startManager();
  await waitFor(
    'the manager created the connector, its task RUNNING',
    async () => (await topicsOf()).includes(topicOf(0)) && running(),
    120_000,
  );
  phase('connector created by the manager and RUNNING');
  await waitFor('the first rows in PostgreSQL', async () => (await rowsByOffset(topicOf(0))).size > 0, 120_000);
  phase('first rows in PostgreSQL');

  // a topic appears while the manager watches: added on its next cycle
  const t1 = await addTopic(next++);
  await waitFor(`${t1.topic} in the list`, async () => (await topicsOf()).includes(t1.topic), WATCH_S * 1000 + MARGIN_MS);
  phase(`${t1.topic} added by the first manager after ${((Date.now() - t1.createdAt) / 1000).toFixed(1)} s`);

  // another appears, and the manager is killed the moment its PUT of the longer list landed: in the
  // middle of its cycle, while the worker restarts the connector's task with the new topics
  const t2 = await addTopic(next++);
  const landed = Date.now() + WATCH_S * 1000 + MARGIN_MS;
  while (!(await topicsOf()).includes(t2.topic)) {
    if (Date.now() > landed) throw new Error(`${t2.topic} not in the list ${WATCH_S} s + ${MARGIN_MS / 1000} s after it appeared`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await first.kill9();
  expect(first.proc.signalCode).toBe('SIGKILL');
  const state = await connect.status(connectorName);
  phase(
    `manager killed with SIGKILL ${((Date.now() - t2.createdAt) / 1000).toFixed(1)} s after ${t2.topic} appeared, as its PUT landed (task ${state?.tasks.map((t) => t.state).join(',') || 'not assigned'}; the manager had ${logOf(first).filter((l) => /^~ update/.test(l.msg)).length > 1 ? 'already' : 'not yet'} logged that update)`,
  );
  const before = { config: (await connect.config(connectorName))!, offsets: await sinkOffsets() };

  // topics born while no manager runs: nobody adds them
  const dead = [await addTopic(next++)];
  await new Promise((r) => setTimeout(r, 2000));
  dead.push(await addTopic(next++));
  await new Promise((r) => setTimeout(r, 2 * WATCH_S * 1000));
  const whileDead = await topicsOf();
  for (const f of dead) expect(whileDead).not.toContain(f.topic);
  // (its task may be restarting from an update the first manager made just before it died)
  await waitFor('the connector RUNNING without a manager', running, 60_000);
  phase(`${dead.length} topics appeared while the manager was dead, the connector RUNNING without it`);

  // restart: the new manager adopts the connector and brings every topic in within its interval
  const spawned = Date.now();
  const second = startManager();
  const everyTopic = () => flows.map((f) => f.topic);
  await waitFor(
    'every topic in the list after the restart',
    async () => {
      const list = await topicsOf();
      return everyTopic().every((t) => list.includes(t));
    },
    90_000,
  );
  const complete = Date.now();
  const firstLine = logOf(second)[0]?.time ?? spawned;
  const afterStart = complete - firstLine;
  phase(
    `restarted manager: first log line ${((firstLine - spawned) / 1000).toFixed(1)} s after the spawn, every topic in the list ${(afterStart / 1000).toFixed(1)} s after it (interval ${WATCH_S} s)`,
  );
  expect(afterStart).toBeLessThan(WATCH_S * 1000 + MARGIN_MS);

  // and a topic born after the restart joins within the interval too
  const late = await addTopic(next++);
  await waitFor(`${late.topic} in the list`, async () => (await topicsOf()).includes(late.topic), WATCH_S * 1000 + MARGIN_MS);
  const lateMs = Date.now() - late.createdAt;
  phase(`${late.topic} added by the restarted manager ${(lateMs / 1000).toFixed(1)} s after it appeared`);

  await new Promise((r) => setTimeout(r, 5000));
  stopProducing = true;
  await producing;
  phase(`producing stopped: ${flows.reduce((n, f) => n + f.acked, 0)} records acknowledged on ${flows.length} topics`);
  expect(sendFailures).toBe(0);

  // (c) every record a row: every offset 0..N-1 of every partition, duplicates counted
  const expected = new Map<string, number[]>();
  for (const f of flows) {
    const hw = await watermarks(f.topic);
    expect(hw.reduce((a, b) => a + b, 0)).toBe(f.acked); // one idempotent producer: records = acknowledged
    expected.set(f.topic, hw);
  }
  const complete2 = async () => {
    for (const [topic, hw] of expected) {
      const rows = await rowsByOffset(topic);
      if (rows.size < hw.reduce((a, b) => a + b, 0)) return false;
    }
    return true;
  };
  // audit what is there after at most 150 s, so a failure names what is missing instead of a timeout
  await waitFor('every record in PostgreSQL', complete2, 150_000).catch(() => undefined);
  phase('sink caught up (or gave up waiting)');
  let lost = 0;
  let duplicates = 0;
  let rowsTotal = 0;
  const report: string[] = [];
  for (const [topic, hw] of expected) {
    const rows = await rowsByOffset(topic);
    const missing: string[] = [];
    let dup = 0;
    for (const [p, n] of hw.entries()) for (let o = 0; o < n; o++) if (!rows.has(`${p}/${o}`)) missing.push(`${p}/${o}`);
    for (const [, n] of rows) {
      rowsTotal += n;
      dup += n - 1;
    }
    lost += missing.length;
    duplicates += dup;
    report.push(
      `${topic}: ${hw.join('+')} records, ${missing.length} missing${missing.length ? ` (first ${missing.slice(0, 5).join(', ')})` : ''}, ${dup} duplicate row(s)`,
    );
  }
  for (const l of report) say(`  ${l}`);
  const produced = flows.reduce((n, f) => n + f.acked, 0);
  say(`audit: ${produced} records produced on ${flows.length} topics, ${rowsTotal} rows, ${lost} lost, ${duplicates} duplicate row(s)`);
  expect(lost).toBe(0);

  // (a) the same connector throughout: never deleted, adopted (not created) by the restarted manager
  await waitFor('the connector and its task RUNNING at the end', running, 60_000);
  const after = { config: (await connect.config(connectorName))!, offsets: await sinkOffsets() };
  expect(after.config[MANAGED_BY_KEY]).toBe(managerId);
  const { topics: _b, ...restBefore } = before.config;
  const { topics: _a, ...restAfter } = after.config;
  expect(restAfter).toEqual(restBefore);
  const wentBack = [...before.offsets].filter(([tp, o]) => (after.offsets.get(tp) ?? -1) < o);
  expect(wentBack).toEqual([]);
  const cfg = await configRecords();
  say(
    `worker config topic ${configTopic}: ${cfg.configs} config record(s) of ${connectorName} (create + topic updates), ${cfg.tombstones} tombstone(s)`,
  );
  expect(cfg.tombstones).toBe(0);
  expect(cfg.configs).toBeGreaterThanOrEqual(3);
  // the managers' plan lines (`+ create`, `~ update`, `- delete`); their errors printed
  const changes = (c: EfdChild) =>
    logOf(c)
      .filter((l) => /^[+~!-] (create|update|delete|conflict) /.test(l.msg))
      .map((l) => l.msg.split(/\s+/).slice(0, 2).join(' '));
  const firstChanges = changes(first);
  const secondChanges = changes(second);
  say(`first manager's changes: ${firstChanges.join(', ')}; restarted manager's: ${secondChanges.join(', ')}`);
  for (const [which, c] of [
    ['first', first],
    ['restarted', second],
  ] as const)
    for (const l of logOf(c).filter((x) => x.level >= 50)) say(`  ${which} manager's error: ${l.msg.slice(0, 300)}`);
  expect(firstChanges[0]).toBe('+ create');
  expect(firstChanges.filter((c) => c !== '~ update').length).toBe(1);
  expect(secondChanges.length).toBeGreaterThanOrEqual(2); // the dead-time topics, then the late one
  expect(secondChanges.filter((c) => c !== '~ update')).toEqual([]);
  // a connector it did not recognise as its own would be a conflict (an error naming the owner)
  expect(logOf(second).filter((l) => /exists on the worker and is/.test(l.msg))).toEqual([]);

  // SIGTERM: the restarted manager exits 0
  expect(await second.stop()).toBe(0);
  phase(`done; ${duplicates} duplicate row(s)`);
});
