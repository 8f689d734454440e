/**
 * Replication faults on brokers of the test's own (the shared local EFD's brokers are never stopped):
 * two private single-node KRaft brokers (source and aggregator, startPrivateBroker: the cached Kafka the
 * local EFD runs, configured by the same function, on free 127.0.0.1 ports) and a private replication
 * worker whose Kafka is the aggregator (remote producing, as the stacks deploy it). The flow comes from
 * the topology code, its MirrorMaker 2 connectors from mirrorMaker2Specs, applied by the connect
 * manager's watch loop with the restart of failed connectors and tasks, as the `<site>-replication`
 * stack runs it (`--watch … --restart-failed`).
 *  - the source broker stopped for 30 s mid-stream and started again → 0 lost (sequence audit), duplicates counted;
 *  - the aggregator stopped for 30 s → `efd replication status` names it with its address and the
 *    client's error (exit 4), and replication recovers by itself when it is back → 0 lost.
 * Everything is stopped in afterAll, on failure too (and killed with this process if it dies).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { remoteTopic, ReplicationFlow } from '../../config/topology';
import { ConnectClient } from '../../apps/connect-manager/connect-client';
import { status, watch } from '../../apps/connect-manager/manager';
import { silentLogger } from '../../apps/lib/logging';
import { FlowStatus, flowStatus, formatFlowStatus, statusExitCode } from '../../apps/cli/replication';
import { PrivateBroker, startPrivateBroker } from '../../scripts/local-efd/private-broker';
import {
  LocalProcess,
  applyReplication,
  localReplicationFlow,
  localReplicationSpecs,
  startReplicationWorker,
} from '../../scripts/local-efd/replication';
import { createTopic, endOffsets, waitFor } from '../../test/integration/env';

jest.setTimeout(240_000);

const MANAGER = 'efd-replication-faults';
const OUTAGE_MS = 30_000;
const say = (line: string) => process.stderr.write(`[replication faults] ${line}\n`);

let dir: string;
let src: PrivateBroker | undefined;
let dst: PrivateBroker | undefined;
let worker: LocalProcess | undefined;
let flow: ReplicationFlow;
const manager = new AbortController();
let managerLoop: Promise<void> | undefined;
const restarts: string[] = [];

const kafkaOf = (b: PrivateBroker) => new Kafka({ clientId: 'replication-faults', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
/** The test helpers' connection options for a private broker (they make their own clients). */
const optionsOf = (b: PrivateBroker) => ({ clientId: 'replication-faults', brokers: b.bootstrap });

/**
 * Produces seq `from`…`to`-1 in batches of 250 (~1,000 records/s) as JSON; a batch the broker did not
 * take (it is down) is sent again once `ready()` says it is back.
 */
async function produce(b: PrivateBroker, topic: string, from: number, to: number, ready: () => Promise<void> = async () => undefined) {
  const producer = kafkaOf(b).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, retry: { retries: 3 } });
  await producer.connect();
  let resent = 0;
  try {
    for (let start = from; start < to; start += 250) {
      const messages = Array.from({ length: Math.min(250, to - start) }, (_, i) => ({
        key: `k${(start + i) % 7}`,
        value: JSON.stringify({ seq: start + i }),
      }));
      for (;;) {
        await ready();
        try {
          await producer.send({ topic, messages, acks: -1 });
          break;
        } catch {
          resent++;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return { resent };
}

/** Reads `topic` at the aggregator from the beginning until every seq of 0…count-1 is in (or the time is up). */
async function readSeqs(topic: string, group: string, count: number, timeoutMs = 120_000): Promise<number[]> {
  const consumer = kafkaOf(dst as PrivateBroker).consumer({ groupId: group, allowAutoTopicCreation: false });
  const seqs: number[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seqs.push(Number(JSON.parse(String(message.value)).seq));
      },
    });
    await waitFor(`${count} distinct records on ${topic}`, async () => new Set(seqs).size >= count, timeoutMs).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500)); // late duplicates, if any
  } finally {
    await consumer.disconnect();
  }
  return seqs;
}

function audit(seqs: number[], count: number) {
  const seen = new Map<number, number>();
  for (const s of seqs) seen.set(s, (seen.get(s) ?? 0) + 1);
  const lost = Array.from({ length: count }, (_, i) => i).filter((s) => !seen.has(s));
  return { lost, duplicates: seqs.length - seen.size, distinct: seen.size };
}

const currentStatus = () =>
  flowStatus({
    flow,
    connectUrl: (worker as LocalProcess).url,
    sourceBrokers: (src as PrivateBroker).bootstrap,
    targetBrokers: (dst as PrivateBroker).bootstrap,
  });

/** Waits until the flow runs: every connector and task RUNNING, `topic` caught up, status exit 0. */
const healthy = (topic: string, timeoutMs = 120_000): Promise<FlowStatus> =>
  waitFor(
    `replication RUNNING and ${topic} caught up`,
    async () => {
      const s = await currentStatus();
      const ok =
        statusExitCode(s) === 0 &&
        s.connectors.length === 2 &&
        s.connectors.every((c) => c.state === 'RUNNING' && c.tasks.length > 0 && c.tasks.every((t) => t.state === 'RUNNING')) &&
        s.topics.find((t) => t.remote === remoteTopic(flow.prefix, topic))?.lagRecords === 0;
      return ok ? s : undefined;
    },
    timeoutMs,
  );

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-replication-faults-'));
  [src, dst] = await Promise.all([
    startPrivateBroker({ name: 'source-kafka', dir }),
    startPrivateBroker({ name: 'aggregator-kafka', dir }),
  ]);
  worker = await startReplicationWorker({ id: 'faults', bootstrapServers: dst.bootstrap, dir });
  flow = localReplicationFlow({ kafka: dst.bootstrap, registry: 'http://127.0.0.1:9/apis/ccompat/v7' }, { topicsRegex: 'lsst[.]sal[.].*' });
  const specs = localReplicationSpecs(flow, { kafka: src.bootstrap });
  await applyReplication(worker.url, specs, MANAGER);
  // The connect manager as the stack runs it: reconcile every 5 s, then restart FAILED connectors and tasks.
  const client = new ConnectClient(worker.url);
  managerLoop = watch({
    client,
    desired: () => specs,
    managerId: MANAGER,
    intervalSeconds: 5,
    signal: manager.signal,
    logger: silentLogger(),
    onCycle: async () => {
      const rows = await status(client, { managerId: MANAGER, restartFailed: true }).catch(() => []);
      for (const r of rows) for (const x of r.restarted) restarts.push(`${r.name} ${x}`);
    },
  });
  say(`source ${src.bootstrap}, aggregator ${dst.bootstrap}, worker ${worker.url}, files in ${dir}`);
}, 420_000);

afterAll(async () => {
  manager.abort();
  await managerLoop?.catch(() => undefined);
  await worker?.stop(10_000).catch(() => undefined);
  await Promise.all([src?.stop(10_000), dst?.stop(10_000)]).catch(() => undefined);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('the source broker stopped for 30 s mid-stream and started again: 0 lost (sequence audit), duplicates counted', async () => {
  const s = src as PrivateBroker;
  const topic = 'lsst.sal.Faults.sourceDown';
  const remote = remoteTopic(flow.prefix, topic);
  const N = 6000;
  await createTopic(optionsOf(s), topic, 3);
  await produce(s, topic, 0, 500);
  await waitFor(`${remote} replicating`, async () => (await endOffsets(optionsOf(dst as PrivateBroker), remote)) >= 500, 120_000);

  // The stream goes on; the producer waits while the source is down (nobody can write to it then).
  let back: Promise<void> = Promise.resolve();
  const producing = produce(s, topic, 500, N, () => back);
  await new Promise((r) => setTimeout(r, 1500));
  const atStop = await endOffsets(optionsOf(dst as PrivateBroker), remote);
  let release!: () => void;
  back = new Promise((r) => (release = r));
  await s.stop();
  const stoppedAt = Date.now();
  const during = await currentStatus();
  expect(formatFlowStatus(during).join('\n')).toContain(`source Kafka ${s.bootstrap} unreachable: `);
  expect(statusExitCode(during)).toBe(4);
  await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt))));
  const startAt = Date.now();
  await s.start();
  const downFor = (Date.now() - stoppedAt) / 1000;
  const startTook = (Date.now() - startAt) / 1000;
  release();
  const { resent } = await producing;

  const seqs = await readSeqs(remote, 'check-source-down', N);
  const r = audit(seqs, N);
  const st = await healthy(topic);
  say(
    `source down ${downFor.toFixed(1)} s (its start took ${startTook.toFixed(1)} s) with ${atStop}/${N} records at the aggregator: ${seqs.length} records, ${r.distinct} distinct, lost ${r.lost.length}, duplicates ${r.duplicates} (batches re-sent by the producer ${resent}; restarts by the manager: ${restarts.join(', ') || 'none'})`,
  );
  say(formatFlowStatus(st).join('\n'));
  expect(atStop).toBeLessThan(N); // stopped mid-stream
  expect(downFor).toBeGreaterThanOrEqual(OUTAGE_MS / 1000);
  expect(r.lost).toEqual([]);
  expect(r.distinct).toBe(N);
});

test('the aggregator unreachable for 30 s: status names it (address, error; exit 4); replication recovers by itself, 0 lost', async () => {
  const d = dst as PrivateBroker;
  const topic = 'lsst.sal.Faults.aggregatorDown';
  const remote = remoteTopic(flow.prefix, topic);
  const N = 5000;
  await createTopic(optionsOf(src as PrivateBroker), topic, 2);
  await produce(src as PrivateBroker, topic, 0, 500);
  await waitFor(`${remote} replicating`, async () => (await endOffsets(optionsOf(d), remote)) >= 500, 120_000);

  const producing = produce(src as PrivateBroker, topic, 500, N);
  await new Promise((r) => setTimeout(r, 1500));
  const atStop = await endOffsets(optionsOf(d), remote);
  await d.stop();
  const stoppedAt = Date.now();
  const during = await currentStatus();
  const lines = formatFlowStatus(during);
  say(`while the aggregator is down:\n${lines.join('\n')}`);
  expect(lines[0]).toMatch(/^summit → ldf: lag \? records/);
  expect(during.problems).toEqual([
    expect.stringMatching(new RegExp(`^aggregator Kafka ${d.bootstrap.replace(/\./g, '\\.')} unreachable: .*ECONNREFUSED`)),
  ]);
  expect(statusExitCode(during)).toBe(4);
  await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt))));
  const startAt = Date.now();
  await d.start();
  const downFor = (Date.now() - stoppedAt) / 1000;
  const startTook = (Date.now() - startAt) / 1000;
  await producing; // the source takes the whole stream meanwhile

  // Nothing restarts it here but the connect manager's loop (if a task failed): no test step intervenes.
  const seqs = await readSeqs(remote, 'check-aggregator-down', N);
  const r = audit(seqs, N);
  const st = await healthy(topic);
  say(
    `aggregator down ${downFor.toFixed(1)} s (its start took ${startTook.toFixed(1)} s) with ${atStop}/${N} records there: ${seqs.length} records, ${r.distinct} distinct, lost ${r.lost.length}, duplicates ${r.duplicates}; caught up ${((Date.now() - stoppedAt) / 1000 - downFor).toFixed(1)} s after it was back (restarts by the manager: ${restarts.join(', ') || 'none'})`,
  );
  say(formatFlowStatus(st).join('\n'));
  expect(atStop).toBeLessThan(N);
  expect(r.lost).toEqual([]);
  expect(r.distinct).toBe(N);
});
