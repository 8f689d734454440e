/** Helpers for the saltransform/salmock integration tests (real local EFD). */
import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { sleep } from '../../apps/lib/retry';
import { TestNamespace, waitForTopics } from './env';

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
export async function waitForGroup(admin: Admin, groupId: string, members: number, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    if (groups[0]?.state === 'Stable' && groups[0].members.length === members) return;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `consumer group ${groupId} did not reach ${members} stable members in ${timeoutMs} ms (state ${groups[0]?.state}, ${groups[0]?.members.length} members)`,
      );
    await sleep(250);
  }
}

/** Sum of the high watermarks of these topics (messages written, for single-producer topics). */
export async function totalMessages(admin: Admin, topics: string[]): Promise<number> {
  let n = 0;
  for (const t of topics) {
    for (const p of await admin.fetchTopicOffsets(t)) n += Number(p.high) - Number(p.low);
  }
  return n;
}

/** Topics whose name starts with `prefix`. */
export async function topicsWithPrefix(admin: Admin, prefix: string): Promise<string[]> {
  return (await admin.listTopics()).filter((t) => t.startsWith(prefix));
}

/** Reads every message of `topics` from the beginning until `expected` arrived (or timeout). */
export async function consumeAll(
  kafka: Kafka,
  groupId: string,
  topics: string[],
  expected: number,
  timeoutMs = 30_000,
): Promise<(KafkaMessage & { topic: string })[]> {
  await waitForTopics(kafka, topics); // an app may have created some a moment ago
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const got: (KafkaMessage & { topic: string })[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachBatch: async ({ batch }) => {
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

export const header = (m: Pick<KafkaMessage, 'headers'>, name: string): string | undefined => {
  const v = m.headers?.[name];
  return v === undefined ? undefined : String(Array.isArray(v) ? v[0] : v);
};
