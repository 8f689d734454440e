/**
 * `efd alerts consume` — an end user of the mini-broker reading one topic (a filter topic, Filter001 …), as
 * seed 004's two consumers: `print` writes each alert as a JSON line (cutouts as their byte counts) and the
 * status lines; `monitor` drops the alerts and writes only the status lines. A status line is written for a
 * partition each time the consumer reaches its end (everything available then is read):
 *
 *   topic:Filter001, partition:0, status:end, offset:40, key:173310864500012, time:1733108645.734, produced:1733108645.501, e2e_s:0.233
 *
 * `offset` is the partition's end (the next offset: the number of records from the start), `key` the last
 * record's, `time` when it was received, `produced` its record timestamp (the producer stamps when the alert was
 * made or read; a filter keeps its source alert's on the outputs) and `e2e_s` the difference: end-to-end time
 * from the producer to this consumer, through the filter on a filter topic.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { startAppRuntime } from '../lib/app';
import { ConfigError, givenFlags, kafkaOptionsFrom, loadConfig, REGISTRY_ENV, zBool, zInt } from '../lib/config';
import { BadInputError } from '../lib/exit-codes';
import { createAdmin } from '../lib/kafka-admin';
import { ConsumedBatch, ConsumedMessage, createConsumer } from '../lib/kafka-consumer';
import type { Logger } from '../lib/logging';
import { createRegistry, Registry } from '../lib/registry';
import type { Shutdown } from '../lib/shutdown';
import { ALERTS_CLIENT_ENV, alertsClientShape } from './options';
import { epochSeconds, lineFields } from './produce';

export const CONSUME_MODES = ['print', 'monitor'] as const;
export type ConsumeMode = (typeof CONSUME_MODES)[number];

export const consumeSchema = z.object({
  ...alertsClientShape,
  clientId: z.string().min(1).default('alerts-consume'),
  // a hundred end users on one machine: a random port each unless told
  metricsPort: zInt().max(65535).default(0),
  registry: z.string().optional(),
  topic: z.string({ error: 'required: the topic to read, e.g. Filter001' }).min(1),
  mode: z.enum(CONSUME_MODES).default('print'),
  group: z.string().min(1).optional(),
  fromBeginning: zBool.default(false),
  exitAtEnd: zBool.default(false),
});
export type ConsumeConfig = z.output<typeof consumeSchema>;

export const CONSUME_ENV = {
  ...ALERTS_CLIENT_ENV,
  topic: 'ALERTS_CONSUME_TOPIC',
  mode: 'ALERTS_CONSUME_MODE',
  group: 'ALERTS_CONSUME_GROUP',
  fromBeginning: 'ALERTS_CONSUME_FROM_BEGINNING',
  exitAtEnd: 'ALERTS_CONSUME_EXIT_AT_END',
} as const;

export function consumeConfig(flags: Record<string, unknown>, env: Record<string, string | undefined> = process.env): ConsumeConfig {
  const c = loadConfig(consumeSchema, givenFlags(flags, []), CONSUME_ENV, env);
  if (c.mode === 'print' && !c.registry) {
    throw new ConfigError(
      `invalid configuration:\n  --registry (env ${REGISTRY_ENV.registry}): required in --mode print (the alerts are decoded with their registered schema); --mode monitor needs none`,
    );
  }
  return c;
}

/** Edit distance (Levenshtein) of two strings. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** Topics named like `name` (case aside, one inside the other, or a few edits away), nearest first, at most `max`. */
export function likeNamed(name: string, topics: readonly string[], max = 10): string[] {
  const n = name.toLowerCase();
  const scored: [number, string][] = [];
  for (const t of topics) {
    const l = t.toLowerCase();
    const d = distance(n, l);
    if (l === n || l.includes(n) || (n.includes(l) && l.length >= 3) || d <= Math.max(2, Math.floor(n.length / 4))) scored.push([d, t]);
  }
  return scored
    .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1))
    .slice(0, max)
    .map(([, t]) => t);
}

/** The error for a topic that does not exist: it names the topic and the like-named ones. */
export function unknownTopicError(topic: string, topics: readonly string[], brokers: string): BadInputError {
  const like = likeNamed(
    topic,
    topics.filter((t) => !t.startsWith('__')),
  );
  const hint = like.length
    ? `like-named topics there: ${like.join(', ')}`
    : `no topic there is named like it (${topics.filter((t) => !t.startsWith('__')).length} topics; list them with \`efd topics list\`)`;
  return new BadInputError(
    `topic "${topic}" does not exist on ${brokers}; ${hint}. A filter topic exists once its filter ran (efd alerts filter).`,
  );
}

/** The alert as a JSON line's object: cutouts as their byte counts. */
function summarized(alert: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...alert };
  for (const k of ['cutoutDifference', 'cutoutTemplate', 'cutoutScience']) {
    const c = out[k] as { fileName?: string; stampData?: Buffer } | null | undefined;
    if (c && typeof c === 'object') out[k] = { fileName: c.fileName, bytes: c.stampData?.length ?? 0 };
  }
  return out;
}

const BIG = '__bigint__:';

/** JSON with bigints written as exact numerals (longs beyond 2^53) and Buffers as their byte counts. */
export function jsonLine(v: unknown): string {
  const text = JSON.stringify(v, function (this: unknown, _k, x: unknown) {
    if (typeof x === 'bigint') return `${BIG}${x}`;
    if (x && typeof x === 'object' && (x as { type?: unknown }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)) {
      return `<${(x as { data: unknown[] }).data.length} bytes>`;
    }
    return x;
  });
  return text.replace(new RegExp(`"${BIG}(-?\\d+)"`, 'g'), '$1');
}

/** The status line of a partition at its end (see the module doc); `last` is the last record read, if any. */
export function statusLine(o: { topic: string; partition: number; end: string; last?: ConsumedMessage; receivedMs: number }): string {
  const parts = [
    `topic:${o.topic}`,
    `partition:${o.partition}`,
    'status:end',
    `offset:${o.end}`,
    `key:${o.last?.key ? o.last.key.toString() : 'None'}`,
    `time:${epochSeconds(o.receivedMs)}`,
  ];
  if (o.last) {
    const produced = Number(o.last.timestamp);
    parts.push(`produced:${epochSeconds(produced)}`, `e2e_s:${((o.receivedMs - produced) / 1000).toFixed(3)}`);
  }
  return parts.join(', ');
}

/** A {@link statusLine} read back; undefined for another line. */
export function parseStatusLine(
  line: string,
): { topic: string; partition: number; end: number; key?: string; receivedMs: number; producedMs?: number } | undefined {
  const f = lineFields(line.trim());
  if (f.status !== 'end' || f.topic === undefined) return undefined;
  const r = {
    topic: f.topic,
    partition: Number(f.partition),
    end: Number(f.offset),
    ...(f.key && f.key !== 'None' ? { key: f.key } : {}),
    receivedMs: Math.round(Number(f.time) * 1000),
    ...(f.produced !== undefined ? { producedMs: Math.round(Number(f.produced) * 1000) } : {}),
  };
  return Number.isInteger(r.partition) && Number.isInteger(r.end) && Number.isFinite(r.receivedMs) ? r : undefined;
}

export interface ConsumeSummary {
  topic: string;
  group: string;
  messages: number;
  /** Status lines written. */
  ends: number;
}

/** What one end user runs inside: an app runtime started already (its logger; its shutdown stops the user). */
export interface ConsumeRuntime {
  logger: Logger;
  shutdown: Pick<Shutdown, 'signal' | 'onShutdown'>;
}

/**
 * One end user of a topic inside a runtime started already: reads the topic until the runtime shuts down
 * (SIGTERM), or with --exit-at-end until every partition reached its end once. `onRunning` is called once
 * its consumer joined its group and consumes. {@link runAlertsConsume} runs one in a process of its own;
 * {@link runAlertsUsers} many in one process (the experiment's hundred users on two cores).
 */
export async function consumeTopic(
  c: ConsumeConfig,
  rt: ConsumeRuntime,
  out: (line: string) => void,
  onRunning?: () => void,
): Promise<ConsumeSummary> {
  const topic = `${c.topicPrefix}${c.topic}`;
  const group = c.group ?? `${c.topicPrefix}alerts-consume-${c.topic}-${randomBytes(4).toString('hex')}`;
  const { logger, shutdown } = rt;
  const kafkaOptions = kafkaOptionsFrom(c, logger);
  const admin = createAdmin(kafkaOptions);
  await admin.connect();
  let offsets: { partition: number; low: string; high: string }[];
  let committed = new Map<number, bigint>();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) throw unknownTopicError(topic, topics, c.brokers);
    offsets = await admin.topicOffsets(topic);
    if (c.group) {
      committed = new Map(
        (await admin.groupOffsets(c.group, [topic])).filter((o) => BigInt(o.offset) >= 0n).map((o) => [o.partition, BigInt(o.offset)]),
      );
    }
  } finally {
    await admin.disconnect();
  }
  const registry: Registry | undefined = c.mode === 'print' ? createRegistry(c.registry!, { logger }) : undefined;
  const ended = new Set<number>();
  let messages = 0;
  let ends = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  const markEnd = (partition: number) => {
    ends++;
    ended.add(partition);
    if (c.exitAtEnd && ended.size >= offsets.length) resolveDone();
  };
  // partitions with nothing to read from where the group starts are at their end already
  for (const o of offsets) {
    const start = committed.get(o.partition) ?? BigInt(c.fromBeginning ? o.low : o.high);
    if (start >= BigInt(o.high)) {
      out(statusLine({ topic, partition: o.partition, end: o.high, receivedMs: Date.now() }));
      markEnd(o.partition);
    }
  }

  const consumer = createConsumer(kafkaOptions, { groupId: group });
  await consumer.connect();
  shutdown.onShutdown(`kafka consumer of ${topic}`, () => consumer.disconnect());
  shutdown.signal.addEventListener('abort', () => resolveDone());
  await consumer.subscribe({ topics: [topic], fromBeginning: c.fromBeginning });
  const eachBatch = async (batch: ConsumedBatch) => {
    const receivedMs = Date.now();
    if (registry) {
      for (const m of batch.messages) {
        try {
          const alert = (await registry.decode(m.value ?? Buffer.alloc(0))) as Record<string, unknown>;
          const visit = m.headers?.visit;
          out(
            jsonLine({
              topic: batch.topic,
              partition: batch.partition,
              offset: m.offset,
              key: m.key?.toString() ?? null,
              visit: visit ? String(Array.isArray(visit) ? visit[0] : visit) : null,
              timestamp: Number(m.timestamp),
              alert: summarized(alert),
            }),
          );
        } catch (err) {
          logger.warn(
            { topic: batch.topic, partition: batch.partition, offset: m.offset },
            `record not decoded: ${(err as Error).message}`,
          );
        }
      }
    }
    messages += batch.messages.length;
    const last = batch.messages[batch.messages.length - 1];
    if (!last) return;
    const next = BigInt(last.offset) + 1n;
    const hw = BigInt(batch.highWatermark);
    if (hw >= 0n && next >= hw) {
      out(statusLine({ topic: batch.topic, partition: batch.partition, end: next.toString(), last, receivedMs }));
      markEnd(batch.partition);
    }
  };
  await consumer.run({ eachBatch, partitionsConcurrency: Math.max(1, offsets.length), autoCommitIntervalMs: c.group ? 1000 : 0 });
  onRunning?.();
  if (c.exitAtEnd && ended.size >= offsets.length) resolveDone();
  await done;
  await consumer.stop();
  logger.info({ topic, group, messages, ends }, `alerts consume: ${messages} record(s) of ${topic}, ${ends} status line(s)`);
  return { topic, group, messages, ends };
}

/** Reads the topic until stopped (SIGTERM), or with --exit-at-end until every partition reached its end once. */
export async function runAlertsConsume(
  c: ConsumeConfig,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<ConsumeSummary> {
  const rt = await startAppRuntime({ name: 'alerts-consume', logLevel: c.logLevel, metricsPort: c.metricsPort });
  try {
    return await consumeTopic(c, rt, out);
  } finally {
    await rt.shutdown.trigger('alerts consume finished');
  }
}

/**
 * Many end users in one process (one runtime, one /metrics): user i reads `topics[i]` with a consumer and a
 * group of its own, exactly as `efd alerts consume` with `c`'s settings and `--topic topics[i]` would; its
 * lines go to `out(i, line)`. `onRunning` is called once every user consumes. Until SIGTERM (or, with
 * --exit-at-end, every user at its topic's end once).
 */
export async function runAlertsUsers(
  c: ConsumeConfig,
  topics: readonly string[],
  out: (user: number, line: string) => void,
  onRunning?: () => void,
): Promise<ConsumeSummary[]> {
  const rt = await startAppRuntime({ name: 'alerts-users', logLevel: c.logLevel, metricsPort: c.metricsPort });
  // the users' consumers leave their groups at once on shutdown, not one after the other
  const hooks: (() => unknown)[] = [];
  rt.shutdown.onShutdown(`kafka consumers of ${topics.length} users`, () => Promise.allSettled(hooks.map(async (h) => h())));
  const shared: ConsumeRuntime = {
    logger: rt.logger,
    shutdown: { signal: rt.shutdown.signal, onShutdown: (_name, hook) => hooks.push(hook) },
  };
  let running = 0;
  try {
    return await Promise.all(
      topics.map((topic, i) =>
        consumeTopic(
          { ...c, topic },
          shared,
          (l) => out(i, l),
          () => {
            if (++running === topics.length) onRunning?.();
          },
        ),
      ),
    );
  } finally {
    await rt.shutdown.trigger('alerts users finished');
  }
}
