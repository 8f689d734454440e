/**
 * The Parquet sink: consumes the topics matching a regex (raw `lsst.sal.*` and aggregated
 * `lsst.efd.agg.*` by default; Avro in the Confluent wire format), decodes each record with the schema
 * registry, and writes per partition time-partitioned Parquet objects (config/object-store-layout.ts)
 * to S3 or GCS.
 *
 * At-least-once, without duplicates: offsets are committed only after the objects holding the
 * records were written (and the batch's dead letters produced). An object's name is fixed by topic,
 * partition, first offset and time folder, so after a crash the records are read again from the last
 * commit and the object starting there is written again under the same name (it replaces the first
 * try). The objects that follow start where their predecessor ended, which depends on when the
 * size/age bounds fired: after a crash between two uploads of one partition, a replaced object can end
 * at another offset than the one written before it, and the next object of the first try then overlaps
 * it (README: known limits).
 *
 * Bad input never stops the sink: a record that is not in the wire format, whose schema id the
 * registry does not know, that does not decode with its schema, or whose schema has no Parquet mapping
 * goes to the dead-letter topic with the reason in headers (`efd.dlq.reason`, `efd.dlq.message`, the
 * origin topic/partition/offset), counted in `parquet_sink_dead_letters_total{reason}`. A schema
 * change mid-stream closes the open object and starts a new one. An unreachable store is retried with
 * backoff (nothing committed meanwhile).
 */
import { Counter, Gauge, Registry as Metrics } from 'prom-client';
import type { Type } from 'avsc';
import { objectKey } from '../../config/object-store-layout';
import type { KafkaOptions } from '../lib/kafka';
import type { BatchContext, ConsumedBatch, ConsumedMessage, EfdConsumer } from '../lib/kafka-consumer';
import type { Logger } from '../lib/logging';
import { RegistryError, WIRE_HEADER_BYTES, wireSchemaId, type Registry } from '../lib/registry';
import { retry } from '../lib/retry';
import { TopicSink } from '../lib/topic-sink';
import { PartitionBuffer, type CloseReason, type FlushBounds, type OpenFile } from './buffer';
import { encodeParquet, parquetPlan, parquetRow, UnsupportedSchemaError, type Compression, type ParquetPlan } from './parquet';
import type { ObjectStore } from './stores';
import { DeadRecord } from '../lib/dead-letter';

export type DeadReason = 'not-avro' | 'unknown-schema' | 'undecodable' | 'unsupported-schema';

export interface ParquetSinkMetrics {
  recordsConsumed: Counter;
  recordsWritten: Counter;
  objectsWritten: Counter<'reason'>;
  bytesWritten: Counter;
  uploadErrors: Counter;
  deadLetters: Counter<'reason'>;
  openRecords: Gauge;
  topics: Gauge;
}

export function parquetSinkMetrics(registry: Metrics): ParquetSinkMetrics {
  const r = [registry];
  return {
    recordsConsumed: new Counter({ name: 'parquet_sink_records_consumed_total', help: 'Kafka records consumed', registers: r }),
    recordsWritten: new Counter({ name: 'parquet_sink_records_written_total', help: 'Records written to Parquet objects', registers: r }),
    objectsWritten: new Counter({
      name: 'parquet_sink_objects_written_total',
      help: 'Parquet objects written, by why they were closed (records, bytes, age, schema, time-folder, stop)',
      labelNames: ['reason'],
      registers: r,
    }),
    bytesWritten: new Counter({ name: 'parquet_sink_bytes_written_total', help: 'Parquet bytes written', registers: r }),
    uploadErrors: new Counter({ name: 'parquet_sink_upload_errors_total', help: 'Failed object writes (retried)', registers: r }),
    deadLetters: new Counter({
      name: 'parquet_sink_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers: r,
    }),
    openRecords: new Gauge({ name: 'parquet_sink_open_records', help: 'Records waiting in open objects', registers: r }),
    topics: new Gauge({ name: 'parquet_sink_topics', help: 'Topics currently consumed', registers: r }),
  };
}

export interface ParquetSinkOptions {
  kafka: KafkaOptions;
  registry: Registry;
  store: ObjectStore;
  logger: Logger;
  metrics: ParquetSinkMetrics;
  topicsRegex: string;
  groupId: string;
  deadLetterTopic: string;
  /** Object name prefix ('' or `efd/`). */
  prefix: string;
  bounds: FlushBounds;
  compression?: Compression;
  /** @default 8 */
  partitionsConcurrency?: number;
  /** How often to look for new matching topics (added to the running consumer). @default 5 s */
  topicRefreshMs?: number;
  /** @default true */
  fromBeginning?: boolean;
  /** How long the partitions of a killed sink wait before another member (or its restart) gets them. @default 6 s (the broker's minimum) */
  sessionTimeoutMs?: number;
  /** Aborted at shutdown: store retries stop. */
  signal?: AbortSignal;
}

type Row = Record<string, unknown>;

type Dead = DeadRecord<DeadReason>;

interface PartitionState {
  buffer: PartitionBuffer<Row>;
  ctx?: BatchContext;
  consumer: EfdConsumer;
  /** Serializes batches, timed flushes and the final flush of the partition. */
  chain: Promise<void>;
  committed?: string;
}

interface Decoder {
  type: Type;
  plan: ParquetPlan;
}

class StoppedError extends Error {}

export class ParquetSink extends TopicSink {
  private readonly o: Required<Omit<ParquetSinkOptions, 'signal'>> & { signal?: AbortSignal };
  private readonly decoders = new Map<number, Promise<Decoder | { dead: DeadReason; detail: string }>>();
  private readonly parts = new Map<string, PartitionState>();
  private timers: NodeJS.Timeout[] = [];
  /** Objects written (keys), for tests and logs. */
  readonly written: string[] = [];

  constructor(opts: ParquetSinkOptions) {
    const o: ParquetSink['o'] = {
      compression: 'SNAPPY',
      partitionsConcurrency: 8,
      topicRefreshMs: 5000,
      fromBeginning: true,
      sessionTimeoutMs: 6000,
      ...opts,
    };
    super(
      { app: 'parquet-sink', ...o, topics: o.metrics.topics, deadLetters: o.metrics.deadLetters },
      { maxBytesPerPartition: 512 * 1024, maxBytes: 4 * 1024 * 1024 },
    );
    this.o = o;
  }

  // buffered records are dropped: the restarted consumer reads them again from the last commit
  protected override onRestart(): void {
    for (const s of this.parts.values()) s.buffer.reset();
    this.parts.clear();
  }

  override async start(): Promise<void> {
    await super.start();
    const tick = Math.max(50, Math.min(1000, Math.floor(this.o.bounds.maxAgeMs / 4)));
    this.timers.push(setInterval(() => this.flushDue(), tick));
  }

  /** Writes the open objects of consumer `c` and commits (while the group membership holds), before it stops. */
  protected async drain(c: EfdConsumer): Promise<void> {
    await Promise.allSettled(
      [...this.parts.values()].filter((s) => s.consumer === c).map((s) => this.serial(s, () => this.closeOpen(s, 'stop'))),
    );
    for (const [k, s] of this.parts) if (s.consumer === c) this.parts.delete(k);
  }

  private serial(s: PartitionState, fn: () => Promise<void>): Promise<void> {
    const run = s.chain.then(fn);
    s.chain = run.catch(() => undefined);
    return run;
  }

  private state(consumer: EfdConsumer, topic: string, partition: number): PartitionState {
    const key = `${topic}\u0000${partition}`;
    let s = this.parts.get(key);
    if (!s || s.consumer !== consumer) {
      s = { buffer: new PartitionBuffer<Row>(topic, partition, this.o.bounds), consumer, chain: Promise.resolve() };
      this.parts.set(key, s);
    }
    return s;
  }

  protected async handleBatch(consumer: EfdConsumer, batch: ConsumedBatch, ctx: BatchContext): Promise<void> {
    if (batch.messages.length === 0 || !ctx.isRunning()) return;
    const s = this.state(consumer, batch.topic, batch.partition);
    if (ctx.isStale()) {
      s.buffer.reset();
      return;
    }
    s.ctx = ctx;
    try {
      await this.serial(s, () => this.take(s, batch));
    } catch (err) {
      if (err instanceof StoppedError) return;
      this.o.logger.error(
        { err: (err as Error).message, topic: batch.topic, partition: batch.partition },
        `batch not stored, restarting the consumer from the committed offsets: ${(err as Error).message}`,
      );
      this.follower.restart();
    }
  }

  /** One batch into the partition's buffer: closed objects written, dead letters produced, then the commit. */
  private async take(s: PartitionState, batch: ConsumedBatch): Promise<void> {
    const dead: Dead[] = [];
    this.o.metrics.recordsConsumed.inc(batch.messages.length);
    for (const m of batch.messages) {
      const d = await this.decode(m);
      if ('dead' in d) {
        dead.push({ message: m, reason: d.dead, detail: d.detail });
        s.buffer.skip(m.offset);
        continue;
      }
      const closed = s.buffer.add(
        { offset: m.offset, timeMs: Number(m.timestamp), schemaId: d.schemaId, bytes: m.value!.length, row: d.row },
        Date.now(),
      );
      for (const c of closed) await this.writeObject(c.file, c.reason);
    }
    this.o.metrics.openRecords.set(this.openRecords());
    if (dead.length) await this.deadLetter(batch.topic, batch.partition, dead);
    await this.commit(s);
  }

  private openRecords(): number {
    let n = 0;
    for (const s of this.parts.values()) n += s.buffer.open?.rows.length ?? 0;
    return n;
  }

  private async decode(m: ConsumedMessage): Promise<{ schemaId: number; row: Row } | { dead: DeadReason; detail: string }> {
    if (!m.value) return { dead: 'not-avro', detail: 'record has no value (tombstone)' };
    let id: number;
    try {
      id = wireSchemaId(m.value);
    } catch (err) {
      return { dead: 'not-avro', detail: (err as Error).message };
    }
    let dec = this.decoders.get(id);
    if (!dec) {
      dec = this.loadDecoder(id);
      this.decoders.set(id, dec);
      // a registry that failed transiently is asked again next time
      dec.catch(() => this.decoders.delete(id));
    }
    const d = await dec;
    if ('dead' in d) return d;
    let value: unknown;
    try {
      value = d.type.fromBuffer(m.value.subarray(WIRE_HEADER_BYTES));
    } catch (err) {
      return { dead: 'undecodable', detail: `does not decode with schema id ${id}: ${(err as Error).message}` };
    }
    return { schemaId: id, row: parquetRow(d.plan, value as Record<string, unknown>) };
  }

  private async loadDecoder(id: number): Promise<Decoder | { dead: DeadReason; detail: string }> {
    try {
      const [schema, type] = await Promise.all([this.o.registry.schema(id), this.o.registry.type(id)]);
      return { type, plan: parquetPlan(schema, this.o.compression) };
    } catch (err) {
      if (err instanceof UnsupportedSchemaError)
        return { dead: 'unsupported-schema', detail: `schema id ${id} has no Parquet mapping: ${err.message}` };
      if (err instanceof RegistryError && err.status === 404)
        return { dead: 'unknown-schema', detail: `schema id ${id} is not in the registry ${this.o.registry.url}` };
      throw err;
    }
  }

  /** Encodes and writes one object, retrying the store until it answers (or the sink stops). */
  private async writeObject(f: OpenFile<Row>, reason: CloseReason): Promise<void> {
    const dec = await this.decoders.get(f.schemaId);
    if (!dec || 'dead' in dec) throw new Error(`no decoder for schema id ${f.schemaId}`);
    const body = await encodeParquet(dec.plan, f.rows, {
      metadata: {
        'efd.schema_id': String(f.schemaId),
        'efd.topic': f.topic,
        'efd.partition': String(f.partition),
        'efd.offsets': `${f.firstOffset}-${f.lastOffset}`,
      },
    });
    const key = objectKey({
      prefix: this.o.prefix,
      topic: f.topic,
      partition: f.partition,
      startOffset: f.firstOffset,
      timeMs: f.folderMs,
      partitionBy: this.o.bounds.partitionBy,
    });
    await retry(
      () => this.o.store.put(key, body),
      { initialDelayMs: 500, maxDelayMs: 30_000, signal: this.o.signal, abortedError: () => new StoppedError('stopping') },
      (err, failure) => {
        this.o.metrics.uploadErrors.inc();
        this.o.logger.warn(
          { err: (err as Error).message, key, attempt: failure.attempt, retryInMs: failure.delayMs },
          `writing ${key} to ${this.o.store.describe} failed (${(err as Error).message}); retrying in ${failure.delayMs} ms`,
        );
      },
    );
    this.written.push(key);
    this.o.metrics.objectsWritten.inc({ reason });
    this.o.metrics.recordsWritten.inc(f.rows.length);
    this.o.metrics.bytesWritten.inc(body.length);
    this.o.logger.debug({ key, records: f.rows.length, bytes: body.length, reason }, `wrote ${key}`);
  }

  private async commit(s: PartitionState): Promise<void> {
    const offset = s.buffer.commitOffset();
    if (offset === undefined || offset === s.committed) return;
    try {
      await s.consumer.commitOffsets([{ topic: s.buffer.topic, partition: s.buffer.partition, offset }]);
      s.committed = offset;
    } catch (err) {
      // a rebalance: the next owner reads again from the last commit (the objects are replaced, not duplicated)
      this.o.logger.debug({ err: (err as Error).message, topic: s.buffer.topic, partition: s.buffer.partition }, 'offset commit failed');
    }
  }

  private async closeOpen(s: PartitionState, reason: CloseReason): Promise<void> {
    if (s.ctx?.isStale()) {
      s.buffer.reset();
      return;
    }
    const f = s.buffer.take();
    if (f) await this.writeObject(f, reason);
    await this.commit(s);
    this.o.metrics.openRecords.set(this.openRecords());
  }

  /** Writes the objects that reached their age bound (each partition in its own turn). */
  private flushDue(): void {
    const now = Date.now();
    for (const s of this.parts.values()) {
      if (!s.buffer.due(now)) continue;
      this.serial(s, async () => {
        if (s.buffer.due(Date.now())) await this.closeOpen(s, 'age');
      }).catch((err: Error) => {
        if (err instanceof StoppedError) return;
        this.o.logger.error({ err: err.message, topic: s.buffer.topic }, `timed write failed, restarting the consumer: ${err.message}`);
        this.follower.restart();
      });
    }
  }

  private async deadLetter(topic: string, partition: number, dead: Dead[]): Promise<void> {
    await this.produceDeadLetters(topic, partition, dead);
    this.o.logger.warn(
      { topic, partition, count: dead.length, reason: dead[0].reason, detail: dead[0].detail },
      `${dead.length} record(s) of ${topic} to ${this.o.deadLetterTopic}: ${dead[0].detail}`,
    );
  }

  /** Writes what is open, commits, and disconnects. */
  override async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await super.stop();
  }
}
