/** Helpers for the saltransform/salmock integration tests (real local EFD). */
import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Admin } from 'kafkajs';
import { salTopicsRegex } from '../../config/names';
import type { EfdAdmin } from '../../apps/lib/kafka-admin';
import { createConsumer, type ConsumedMessage } from '../../apps/lib/kafka-consumer';
import { sleep } from '../../apps/lib/retry';
import { optionsOf, TestKafka, TestNamespace, waitForTopics } from './env';

/** An admin client of a test: the apps' one (createAdmin), or kafkajs' while suites still use it. */
export type TestAdmin = EfdAdmin | Admin;

const isEfdAdmin = (a: TestAdmin): a is EfdAdmin => 'topicOffsets' in a;

const root = resolve(__dirname, '../..');

/** A running `efd …` child process (bin/efd: one node process, so kill -9 hits the app itself). */
export interface EfdChild {
  proc: ChildProcess;
  output: () => string;
  /** SIGKILL, no chance to flush or commit. */
  kill9: () => Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop: () => Promise<number | null>;
}

/**
 * `efd saltransform` arguments for the namespace's topics on its first cluster: `subsystems`, the
 * namespace's topic prefix, the cluster's registry and brokers, group `<namespace>-st`, metrics on a
 * free port; then `extra`.
 */
export function saltransformArgs(ns: TestNamespace, subsystems: string, extra: string[] = []): string[] {
  const cluster = ns.endpoints.clusters[0];
  return [
    'saltransform',
    '--subsystems',
    subsystems,
    '--topic-prefix',
    ns.topic(''),
    '--registry',
    cluster.registry,
    '--brokers',
    cluster.kafka,
    '--group',
    ns.name('st'),
    '--metrics-port',
    '0',
    ...extra,
  ];
}

/**
 * `efd aggregator` arguments for the namespace's SAL topics on its first cluster: group
 * `<namespace>-agg`, 300 ms grace, metrics on a free port; then `extra`.
 */
export function aggregatorArgs(ns: TestNamespace, extra: string[] = []): string[] {
  const cluster = ns.endpoints.clusters[0];
  return [
    'aggregator',
    '--topics-regex',
    salTopicsRegex(ns.topic('')),
    '--registry',
    cluster.registry,
    '--brokers',
    cluster.kafka,
    '--group',
    ns.name('agg'),
    '--grace-ms',
    '300',
    '--metrics-port',
    '0',
    ...extra,
  ];
}

export function spawnEfd(args: string[], env: Record<string, string> = {}): EfdChild {
  const proc = spawn(process.execPath, [resolve(root, 'bin/efd'), ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d) => (out += String(d)));
  proc.stderr?.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) =>
    proc.once('exit', (code) => {
      proc.stdout?.destroy();
      proc.stderr?.destroy();
      r(code);
    }),
  );
  return {
    proc,
    output: () => out,
    kill9: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Waits until the consumer group has `members` members in the Stable state. */
export async function waitForGroup(admin: TestAdmin, groupId: string, members: number, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const g = isEfdAdmin(admin) ? await admin.describeGroup(groupId) : (await admin.describeGroups([groupId])).groups[0];
    if (g?.state === 'Stable' && g.members.length === members) return;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `consumer group ${groupId} did not reach ${members} stable members in ${timeoutMs} ms (state ${g?.state}, ${g?.members.length} members)`,
      );
    await sleep(250);
  }
}

/** Sum of the high watermarks of these topics (messages written, for single-producer topics). */
export async function totalMessages(admin: TestAdmin, topics: string[]): Promise<number> {
  let n = 0;
  for (const t of topics) {
    for (const p of await (isEfdAdmin(admin) ? admin.topicOffsets(t) : admin.fetchTopicOffsets(t))) n += Number(p.high) - Number(p.low);
  }
  return n;
}

/** Topics whose name starts with `prefix`. */
export async function topicsWithPrefix(admin: Pick<TestAdmin, 'listTopics'>, prefix: string): Promise<string[]> {
  return (await admin.listTopics()).filter((t) => t.startsWith(prefix));
}

/** A record read back by {@link consumeAll}. */
export type ReadMessage = ConsumedMessage & { topic: string };

/** Reads every message of `topics` from the beginning (the apps' consumer, group `groupId`) until `expected` arrived (or timeout). */
export async function consumeAll(
  kafka: TestKafka,
  groupId: string,
  topics: string[],
  expected: number,
  timeoutMs = 30_000,
): Promise<ReadMessage[]> {
  await waitForTopics(kafka, topics); // an app may have created some a moment ago
  const consumer = createConsumer(optionsOf(kafka), { groupId, maxWaitTimeMs: 100 });
  const got: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      partitionsConcurrency: 4,
      eachBatch: async (batch) => {
        for (const m of batch.messages) got.push({ ...m, topic: batch.topic });
        if (got.length >= expected) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

export const header = (
  m: { headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined> },
  name: string,
): string | undefined => {
  const v = m.headers?.[name];
  return v === undefined ? undefined : String(Array.isArray(v) ? v[0] : v);
};
