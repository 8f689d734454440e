/**
 * `efd influxdb-sink repair`: re-reads a time range of topics from Kafka into InfluxDB, e.g. after
 * points were lost or deleted there. For every partition of the matching topics the range is the
 * offsets from the first record at or after `from` (ListOffsets with a timestamp) up to the first
 * record after `to`, or the partition's end offset when the range reaches the present (taken once at
 * the start: records produced meanwhile are the live sink's). Records are read with a consumer group
 * of its own (default `<sink group>-repair-<from>-<to>`), so the live sink's committed offsets are
 * not touched; each run sets that group's offsets to the range's start first, so a run repeated reads
 * the whole range again. The points are the live sink's (same converter and writer): same measurement,
 * tags and time, so InfluxDB overwrites what it has and a repair repeated changes nothing.
 * Records that cannot become points are counted as skipped (the live sink dead-lettered them already).
 */
import { Batcher, DEFAULT_MAX_BYTES } from './batcher';
import { ConversionError, type Converter, schemaIdOf } from './convert';
import type { InfluxWriter } from './writer';
import { BadInputError, UsageError } from '../lib/exit-codes';
import type { KafkaOptions } from '../lib/kafka';
import { createAdmin, type EfdAdmin } from '../lib/kafka-admin';
import { createConsumer, type ConsumedBatch, type BatchContext, type EfdConsumer } from '../lib/kafka-consumer';
import type { Logger } from '../lib/logging';
import { formatTable } from '../lib/table';
import { topicMatcher } from '../lib/topic-regex';

/** Record timestamps, ms since the epoch, both ends included. */
export interface RepairRange {
  fromMs: number;
  toMs: number;
}

const TIME_HELP = 'expected ISO 8601 (2026-11-01T00:00:00Z; UTC when no zone is given), a date (2026-11-01), epoch milliseconds, or now';
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A time flag's value as epoch ms: ISO 8601 (UTC when no zone), a date, epoch milliseconds, or `now`. */
export function parseTime(flag: string, value: string, nowMs = Date.now()): number {
  const v = value.trim();
  if (v.toLowerCase() === 'now') return nowMs;
  if (/^\d{1,15}$/.test(v)) return Number(v);
  const m = ISO.exec(v);
  if (m) {
    const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7).map((x) => x);
    const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    const fieldsOk =
      day.getUTCFullYear() === Number(y) &&
      day.getUTCMonth() === Number(mo) - 1 &&
      day.getUTCDate() === Number(d) &&
      Number(h) < 24 &&
      Number(mi) < 60 &&
      Number(s) < 60;
    const ms = Date.parse(m[7] || !m[4] ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`);
    if (fieldsOk && Number.isFinite(ms)) return ms;
  }
  throw new UsageError(`${flag}: cannot read "${value}" as a time; ${TIME_HELP}`);
}

/** --from and --to as a range (`nowMs` stands for `now`); --from after --to is a usage error. */
export function parseRange(from: string | undefined, to: string | undefined, nowMs = Date.now()): RepairRange {
  if (from === undefined) throw new UsageError(`--from is required (${TIME_HELP})`);
  if (to === undefined) throw new UsageError(`--to is required (${TIME_HELP})`);
  const range = { fromMs: parseTime('--from', from, nowMs), toMs: parseTime('--to', to, nowMs) };
  if (range.fromMs > range.toMs)
    throw new UsageError(`--from ${iso(range.fromMs)} is after --to ${iso(range.toMs)}: nothing between them to repair; swap them`);
  return range;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The repair's own group: `<sink group>-repair-<from>-<to>` (times as 20261101T000000.000Z). */
export function defaultRepairGroup(sinkGroup: string, r: RepairRange): string {
  const compact = (ms: number) => iso(ms).replace(/[-:]/g, '');
  return `${sinkGroup}-repair-${compact(r.fromMs)}-${compact(r.toMs)}`;
}

/** One partition's records to re-read: offsets [start, end). */
export interface PartitionRange {
  topic: string;
  partition: number;
  start: string;
  end: string;
}

/**
 * The partitions of a topic with records in the range, from the offsets of the first record at or
 * after `from` and of the first record after `to` (both: the end offset when there is none).
 */
export function partitionRanges(
  topic: string,
  atFrom: { partition: number; offset: string }[],
  afterTo: { partition: number; offset: string }[],
): PartitionRange[] {
  const end = new Map(afterTo.map((p) => [p.partition, BigInt(p.offset)]));
  const out: PartitionRange[] = [];
  for (const p of atFrom) {
    const e = end.get(p.partition);
    if (e !== undefined && BigInt(p.offset) < e) out.push({ topic, partition: p.partition, start: p.offset, end: String(e) });
  }
  return out.sort((a, b) => a.partition - b.partition);
}

export interface RepairPlan {
  /** Every topic the regex matched. */
  topics: string[];
  /** The partitions with records in the range. */
  ranges: PartitionRange[];
  /** Each partition's end offset when planned, by `topic\0partition` (where a partition without records in the range is parked). */
  ends: Map<string, string>;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The offsets to re-read. A regex matching no topic is bad input; so is a range with no records
 * ({@link NothingToRepairError}): nothing is written either way.
 */
export async function planRepair(admin: EfdAdmin, topicsRegex: string, range: RepairRange): Promise<RepairPlan> {
  const all = await admin.listTopics();
  const matches = topicMatcher(topicsRegex);
  const topics = all.filter((t) => matches(t)).sort();
  if (topics.length === 0)
    throw new BadInputError(
      `--topics ${topicsRegex} matches none of the ${all.length} topics on the cluster (whole-name match); check the regex`,
    );
  const ranges: PartitionRange[] = [];
  const ends = new Map<string, string>();
  for (const topic of topics) {
    // the end first: a record produced between the two requests is then outside the range, not half in it
    const offsets = await admin.topicOffsets(topic);
    const afterTo = await admin.offsetsForTimestamp(topic, range.toMs + 1);
    const atFrom = await admin.offsetsForTimestamp(topic, range.fromMs);
    for (const o of offsets) ends.set(key(topic, o.partition), o.high);
    ranges.push(...partitionRanges(topic, atFrom, afterTo));
  }
  if (ranges.length === 0) throw new NothingToRepairError(range, topics.length);
  return { topics, ranges, ends };
}

/** The range holds no record in any matching topic (exit code 3, bad input: nothing was written). */
export class NothingToRepairError extends BadInputError {
  constructor(range: RepairRange, topics: number) {
    super(`no records between ${iso(range.fromMs)} and ${iso(range.toMs)} in ${topics} topic${topics === 1 ? '' : 's'}; nothing to repair`);
    this.name = 'NothingToRepairError';
  }
}

export interface RepairOptions {
  kafka: KafkaOptions;
  converter: Converter;
  writer: InfluxWriter;
  logger: Logger;
  topicsRegex: string;
  range: RepairRange;
  groupId: string;
  /** @default 5000 */
  batchSize?: number;
  /** @default 2 MiB */
  batchBytes?: number;
  /** @default 4 */
  maxInFlight?: number;
  /** @default 16 */
  partitionsConcurrency?: number;
  /** Aborted: stop reading (what was written stays written). */
  signal?: AbortSignal;
}

export interface TopicSummary {
  topic: string;
  partitions: number;
  /** Records of the range read. */
  records: number;
  /** Points InfluxDB acknowledged. */
  points: number;
  /** Records that could not become points, or that InfluxDB refused. */
  skipped: number;
  /** From the start of reading until the topic's last partition was written. */
  seconds: number;
  pointsPerSecond: number;
}

export interface RepairSummary {
  group: string;
  range: RepairRange;
  topics: TopicSummary[];
  records: number;
  points: number;
  skipped: number;
  seconds: number;
  pointsPerSecond: number;
}

interface Track {
  topic: string;
  partition: number;
  end: bigint;
  done: boolean;
}

/** Re-reads the range into InfluxDB and resolves with what it read and wrote. */
export async function repair(o: RepairOptions): Promise<RepairSummary> {
  const admin = createAdmin(o.kafka);
  await admin.connect();
  let plan: RepairPlan;
  try {
    plan = await planRepair(admin, o.topicsRegex, o.range);
    const withRange = new Set(plan.ranges.map((r) => r.topic));
    const inRange = new Set(plan.ranges.map((r) => key(r.topic, r.partition)));
    // partitions of these topics without records in the range start at their end (only newer records, ignored)
    const parked = [...plan.ends]
      .map(([k, high]) => ({ k, topic: k.split('\u0000')[0], partition: Number(k.split('\u0000')[1]), offset: high }))
      .filter((p) => withRange.has(p.topic) && !inRange.has(p.k));
    await admin
      .setGroupOffsets(o.groupId, [
        ...plan.ranges.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.start })),
        ...parked.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
      ])
      .catch((err: Error) => {
        throw new Error(
          `cannot set the offsets of group ${o.groupId}: ${err.message} (a repair with this group running? choose another --group)`,
          {
            cause: err,
          },
        );
      });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }

  const tracks = new Map<string, Track>();
  const summaries = new Map<string, TopicSummary>();
  for (const r of plan.ranges) {
    tracks.set(key(r.topic, r.partition), { topic: r.topic, partition: r.partition, end: BigInt(r.end), done: false });
    const s = summaries.get(r.topic) ?? {
      topic: r.topic,
      partitions: 0,
      records: 0,
      points: 0,
      skipped: 0,
      seconds: 0,
      pointsPerSecond: 0,
    };
    s.partitions++;
    summaries.set(r.topic, s);
  }
  let remaining = tracks.size;
  const batcher = new Batcher<string>({
    maxPoints: o.batchSize ?? 5000,
    maxBytes: o.batchBytes ?? DEFAULT_MAX_BYTES,
    maxDelayMs: 1000,
    lingerMs: 5,
    maxInFlight: o.maxInFlight ?? 4,
    lineOf: (l) => l,
    write: (lines) => o.writer.write(lines),
  });
  const consumer = createConsumer(o.kafka, {
    groupId: o.groupId,
    maxBytesPerPartition: 512 * 1024,
    maxBytes: 2 * 1024 * 1024,
    maxWaitTimeMs: 250,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 3000,
  });
  const t0 = Date.now();
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  if (remaining === 0) finish();
  const onAbort = () => fail(new Error('repair stopped before the range was read'));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  consumer.onCrash(({ error, restart }) => {
    if (!restart) fail(error);
  });

  const handle = async (c: EfdConsumer, batch: ConsumedBatch, ctx: BatchContext): Promise<void> => {
    const t = tracks.get(key(batch.topic, batch.partition));
    if (!t || t.done || batch.messages.length === 0 || !ctx.isRunning()) return;
    const s = summaries.get(t.topic)!;
    const messages = batch.messages.filter((m) => BigInt(m.offset) < t.end);
    const beat = setInterval(() => void ctx.heartbeat().catch(() => undefined), 2000);
    try {
      if (messages.length) {
        const ids = new Set<number>();
        for (const m of messages) {
          try {
            ids.add(schemaIdOf(m.value));
          } catch {
            /* skipped below */
          }
        }
        await o.converter.prepare(ids);
        const lines: string[] = [];
        for (const m of messages) {
          try {
            lines.push(o.converter.convert(batch.topic, m.value, m.timestamp));
          } catch (err) {
            if (!(err instanceof ConversionError)) throw err;
            s.skipped++;
          }
        }
        const rejected = await batcher.submit(lines);
        s.records += messages.length;
        s.points += lines.length - rejected.length;
        s.skipped += rejected.length;
        if (rejected.length)
          o.logger.warn(
            { topic: t.topic, partition: t.partition, count: rejected.length, reason: rejected[0].reason },
            'points refused by InfluxDB',
          );
      }
      const last = BigInt(batch.messages[batch.messages.length - 1].offset);
      const next = last + 1n < t.end ? last + 1n : t.end;
      await c.commitOffsets([{ topic: t.topic, partition: t.partition, offset: String(next) }]).catch(() => undefined);
      if (next >= t.end && !t.done) {
        t.done = true;
        s.seconds = (Date.now() - t0) / 1000;
        if (--remaining === 0) finish();
      }
    } finally {
      clearInterval(beat);
    }
  };

  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...summaries.keys()], fromBeginning: false });
    await consumer.run({
      partitionsConcurrency: o.partitionsConcurrency ?? 16,
      eachBatch: async (batch, ctx) => {
        try {
          await handle(consumer, batch, ctx);
        } catch (err) {
          fail(err as Error);
        }
      },
    });
    await finished;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
  }
  const seconds = (Date.now() - t0) / 1000;
  const topics = [...summaries.values()].map((s) => ({ ...s, pointsPerSecond: s.seconds > 0 ? s.points / s.seconds : 0 }));
  const points = topics.reduce((n, s) => n + s.points, 0);
  return {
    group: o.groupId,
    range: o.range,
    topics,
    records: topics.reduce((n, s) => n + s.records, 0),
    points,
    skipped: topics.reduce((n, s) => n + s.skipped, 0),
    seconds,
    pointsPerSecond: seconds > 0 ? points / seconds : 0,
  };
}

/** The summary printed by the command: one row per topic and a total. */
export function summaryLines(s: RepairSummary): string[] {
  const rate = (x: number) => Math.round(x);
  const rows = s.topics.map((t) => [t.topic, t.records, t.points, t.skipped, t.seconds.toFixed(1), rate(t.pointsPerSecond)]);
  rows.push(['total', s.records, s.points, s.skipped, s.seconds.toFixed(1), rate(s.pointsPerSecond)]);
  return [
    `repaired ${iso(s.range.fromMs)} .. ${iso(s.range.toMs)} with group ${s.group}`,
    ...formatTable(['topic', 'records read', 'points written', 'skipped', 'seconds', 'points/s'], rows, { right: [1, 2, 3, 4, 5] }),
  ];
}
