/**
 * Reading a filter group's output topics back (the runner's state rebuild, ./filter-run.ts): every record
 * timestamped at or after a time, up to each partition's end offset when the read starts. Records are read
 * with a consumer group of their own (`<group>-readback`, its offsets set to the range's start first, as
 * `efd influxdb-sink repair` does), so the filter group's commits are not touched; when that group still
 * has a member (a runner killed while it read back), a group of this process's own is used instead.
 */
import { EXIT } from '../lib/exit-codes';
import type { KafkaOptions } from '../lib/kafka';
import type { EfdAdmin } from '../lib/kafka-admin';
import { createConsumer, type ConsumedMessage } from '../lib/kafka-consumer';
import type { Logger } from '../lib/logging';
import { SOURCE_PARTITION_HEADER, type EmittedRecord } from './filter-run';

export interface ReadBackOptions {
  kafka: KafkaOptions;
  admin: Pick<EfdAdmin, 'topicOffsets' | 'offsetsForTimestamp' | 'setGroupOffsets'>;
  /** The read-back group (default `<filter group>-readback`). */
  groupId: string;
  topics: readonly string[];
  /** Records timestamped at or after this (ms; -Infinity: from each partition's start). */
  fromMs: number;
  logger?: Logger;
  /** @default 60 s */
  timeoutMs?: number;
}

export interface ReadBackRecord extends ConsumedMessage {
  topic: string;
  partition: number;
}

interface Range {
  topic: string;
  partition: number;
  start: bigint;
  end: bigint;
}

/** The offset ranges to read: from the first record at or after `fromMs` to the end offset now. */
export async function readBackRanges(
  o: Pick<ReadBackOptions, 'admin' | 'topics' | 'fromMs'>,
): Promise<{ ranges: Range[]; parked: Range[] }> {
  const ranges: Range[] = [];
  const parked: Range[] = [];
  for (const topic of o.topics) {
    // the end first: a record produced between the two requests is then outside the range, not half in it
    const ends = await o.admin.topicOffsets(topic);
    const starts = Number.isFinite(o.fromMs) ? await o.admin.offsetsForTimestamp(topic, Math.max(0, o.fromMs)) : undefined;
    for (const e of ends) {
      const end = BigInt(e.high);
      const low = BigInt(e.low);
      const at = starts?.find((s) => s.partition === e.partition);
      let start = at ? BigInt(at.offset) : low;
      if (start < low) start = low;
      (start < end ? ranges : parked).push({ topic, partition: e.partition, start, end });
    }
  }
  return { ranges, parked };
}

/** Every record of the ranges (see the module doc); rejects when they were not read within the timeout. */
export async function readBack(o: ReadBackOptions): Promise<ReadBackRecord[]> {
  const { ranges, parked } = await readBackRanges(o);
  if (ranges.length === 0) return [];
  const offsets = [...ranges, ...parked].map((r) => ({
    topic: r.topic,
    partition: r.partition,
    offset: String(r.start < r.end ? r.start : r.end),
  }));
  let groupId = o.groupId;
  try {
    await o.admin.setGroupOffsets(groupId, offsets);
  } catch (err) {
    // a member of an earlier run still holds the group (until its session times out)
    groupId = `${o.groupId}-${process.pid}-${Date.now()}`;
    o.logger?.info({ group: o.groupId, err: (err as Error).message }, `read-back group ${o.groupId} is busy; reading with ${groupId}`);
    await o.admin.setGroupOffsets(groupId, offsets);
  }
  const todo = new Map(ranges.map((r) => [`${r.topic}\u0000${r.partition}`, r]));
  const got: ReadBackRecord[] = [];
  const consumer = createConsumer(o.kafka, { groupId, maxWaitTimeMs: 100, sessionTimeoutMs: 10_000 });
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  consumer.onCrash(({ error, restart }) => {
    if (!restart) fail(error);
  });
  const timeoutMs = o.timeoutMs ?? 60_000;
  const timer = setTimeout(
    () =>
      fail(
        Object.assign(
          new Error(
            `reading back ${o.topics.length} filter topic(s) did not finish within ${timeoutMs / 1000} s (${todo.size} partition(s) not read to their end)`,
          ),
          { exitCode: EXIT.unreachable },
        ),
      ),
    timeoutMs,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set(ranges.map((r) => r.topic))], fromBeginning: true });
    await consumer.run({
      partitionsConcurrency: 4,
      eachBatch: async (batch) => {
        const k = `${batch.topic}\u0000${batch.partition}`;
        const r = todo.get(k);
        if (!r) return;
        for (const m of batch.messages) {
          const off = BigInt(m.offset);
          if (off >= r.start && off < r.end) got.push({ ...m, topic: batch.topic, partition: batch.partition });
        }
        const last = BigInt(batch.messages[batch.messages.length - 1]?.offset ?? -1);
        if (last + 1n >= r.end) {
          todo.delete(k);
          if (todo.size === 0) finish();
        }
      },
    });
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return got;
}

const headerText = (m: ConsumedMessage, name: string): string | undefined => {
  const v = m.headers?.[name];
  return v === undefined ? undefined : (Array.isArray(v) ? v[0] : v)?.toString();
};

/** Output records as the runner's {@link EmittedRecord}s: filter by topic, source partition and visit from the headers (others skipped). */
export function emittedOf(records: readonly ReadBackRecord[], topics: readonly string[]): EmittedRecord[] {
  const index = new Map(topics.map((t, i) => [t, i]));
  const out: EmittedRecord[] = [];
  for (const r of records) {
    const filter = index.get(r.topic);
    const partition = Number(headerText(r, SOURCE_PARTITION_HEADER));
    const visit = headerText(r, 'visit');
    if (filter === undefined || !Number.isInteger(partition) || !visit || !r.key) continue;
    out.push({ filter, partition, visit, alertId: r.key.toString(), timestampMs: Number(r.timestamp) });
  }
  return out;
}

/**
 * One read-back serving the rebuilds of many partitions: a read from `fromMs` answers every later request
 * from that time on for a partition whose sends all settled before the read started; any other request
 * reads again (and becomes the cached read).
 */
export class ReadBackCache {
  private cached: { fromMs: number; startSeq: number; records: EmittedRecord[] } | undefined;
  private seq = 0;
  private readonly lastSettled = new Map<number, number>();
  /** Reads made (for tests and logs). */
  reads = 0;

  constructor(private readonly load: (fromMs: number) => Promise<EmittedRecord[]>) {}

  /** A send of outputs of source partition `partition` settled (acknowledged or failed). */
  settled(partition: number): void {
    this.lastSettled.set(partition, ++this.seq);
  }

  /** Reads from `fromMs` now (the start: one read for every partition's rebuild). */
  async prefetch(fromMs: number): Promise<void> {
    const startSeq = ++this.seq;
    this.reads++;
    const records = await this.load(fromMs);
    this.cached = { fromMs, startSeq, records };
  }

  /** The output records of source partition `partition` timestamped at or after `fromMs`. */
  async read(fromMs: number, partition: number): Promise<EmittedRecord[]> {
    const c = this.cached;
    if (!c || c.fromMs > fromMs || (this.lastSettled.get(partition) ?? 0) > c.startSeq) await this.prefetch(fromMs);
    return this.cached!.records.filter((r) => r.partition === partition && r.timestampMs >= fromMs);
  }
}
