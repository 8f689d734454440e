/**
 * The records of one Kafka partition waiting to become a Parquet object (pure; the sink feeds it).
 *
 * One open file per partition: contiguous offsets, one schema id, one time folder (the hour, or the
 * day, of the records' Kafka timestamps). A record of another schema or another folder closes the open
 * file and opens the next (a schema change mid-stream starts a new file; a late record of an earlier
 * hour goes to a file of its own in that hour's folder). A file is also closed at `maxRecords`,
 * `maxBytes` (the Avro bytes of its records), or once it is `maxAgeMs` old ({@link PartitionBuffer.due}).
 *
 * What may be committed ({@link PartitionBuffer.commitOffset}): the first offset of the open file
 * (nothing of it is in the store yet), else the offset after the last record taken in. A dead-lettered
 * record ({@link PartitionBuffer.skip}) is "taken in" like a written one.
 */
import { folderStartMs, type PartitionBy } from '../../config/object-store-layout';

export interface FlushBounds {
  /** Records per object at most. */
  maxRecords: number;
  /** Avro bytes per object at most (the Parquet object is usually smaller). */
  maxBytes: number;
  /** An object is written at the latest this long after its first record arrived. */
  maxAgeMs: number;
  partitionBy: PartitionBy;
}

export interface BufferedRecord<R> {
  offset: string;
  /** Kafka timestamp (epoch ms): chooses the time folder. */
  timeMs: number;
  schemaId: number;
  /** Size counted against maxBytes (the record's Avro bytes). */
  bytes: number;
  row: R;
}

export interface OpenFile<R> {
  topic: string;
  partition: number;
  schemaId: number;
  /** Start of the time folder (epoch ms). */
  folderMs: number;
  firstOffset: string;
  lastOffset: string;
  rows: R[];
  bytes: number;
  /** When its first record was taken in (epoch ms, the sink's clock). */
  openedAt: number;
}

export type CloseReason = 'records' | 'bytes' | 'age' | 'schema' | 'time-folder' | 'stop';

export class PartitionBuffer<R> {
  private file: OpenFile<R> | undefined;
  private next: bigint | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly bounds: FlushBounds,
  ) {}

  get open(): OpenFile<R> | undefined {
    return this.file;
  }

  /** Takes a record in; returns the files it closed, each with why (write them in this order). */
  add(rec: BufferedRecord<R>, now: number): { file: OpenFile<R>; reason: CloseReason }[] {
    const closed: { file: OpenFile<R>; reason: CloseReason }[] = [];
    const folderMs = folderStartMs(rec.timeMs, this.bounds.partitionBy);
    const f = this.file;
    if (f && (f.schemaId !== rec.schemaId || f.folderMs !== folderMs)) {
      closed.push({ file: f, reason: f.schemaId !== rec.schemaId ? 'schema' : 'time-folder' });
      this.file = undefined;
    }
    if (!this.file) {
      this.file = {
        topic: this.topic,
        partition: this.partition,
        schemaId: rec.schemaId,
        folderMs,
        firstOffset: rec.offset,
        lastOffset: rec.offset,
        rows: [],
        bytes: 0,
        openedAt: now,
      };
    }
    const cur = this.file;
    cur.rows.push(rec.row);
    cur.bytes += rec.bytes;
    cur.lastOffset = rec.offset;
    this.next = BigInt(rec.offset) + 1n;
    const full = cur.rows.length >= this.bounds.maxRecords ? 'records' : cur.bytes >= this.bounds.maxBytes ? 'bytes' : undefined;
    if (full) {
      closed.push({ file: cur, reason: full });
      this.file = undefined;
    }
    return closed;
  }

  /** A record that goes to the dead-letter topic instead (counts as taken in). */
  skip(offset: string): void {
    this.next = BigInt(offset) + 1n;
  }

  /** The open file when it is `maxAgeMs` old at `now` (not removed: {@link take} it). */
  due(now: number): OpenFile<R> | undefined {
    return this.file && now - this.file.openedAt >= this.bounds.maxAgeMs ? this.file : undefined;
  }

  /** Removes and returns the open file. */
  take(): OpenFile<R> | undefined {
    const f = this.file;
    this.file = undefined;
    return f;
  }

  /** Forgets everything taken in (the partition was revoked: its next owner reads from the last commit). */
  reset(): void {
    this.file = undefined;
    this.next = undefined;
  }

  /** The offset to commit (the next one to read after a restart), or undefined when nothing was taken in. */
  commitOffset(): string | undefined {
    if (this.file) return this.file.firstOffset;
    return this.next === undefined ? undefined : this.next.toString();
  }
}
