/**
 * The InfluxDB sink: consumes every topic matching a regex (Avro, Confluent wire format), writes one
 * point per record to InfluxDB in batches, and commits Kafka offsets only after InfluxDB acknowledged
 * the batch holding the records (at-least-once; a point written twice is the same point).
 *
 * Pipelined: a fetched batch is converted and handed to the batcher, and the consumer fetches on while
 * InfluxDB writes; each partition commits, in offset order, up to its last batch that was written
 * (and whose dead letters were produced). At most 2 × batchSize × maxInFlight points wait for
 * InfluxDB; beyond that the consumer waits (back pressure, heartbeats continue).
 *
 * Topics: a subscription is a list of topics, so the sink lists topics
 * every `topicRefreshMs` and, when the matching set changes, restarts its consumer on the new list
 * (same group: committed offsets carry over; a new topic is read from its beginning).
 *
 * Records that cannot become points (not Avro, unknown schema, no storable field, bad timestamp) or
 * that InfluxDB refuses (400: type conflict, unparsable) go to the dead-letter topic with the reason
 * in headers (`efd.dlq.reason` code, `efd.dlq.message`, origin topic/partition/offset); the sink goes
 * on. InfluxDB unreachable: writes retry with backoff and the partition handlers wait (heartbeating),
 * so nothing is committed or lost until it is back.
 */
import { createProducer, type EfdProducer, type KafkaOptions } from '../lib/kafka';
import { createAdmin, type EfdAdmin } from '../lib/kafka-admin';
import { createConsumer, type BatchContext, type ConsumedBatch, type ConsumedMessage, type EfdConsumer } from '../lib/kafka-consumer';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LatencyMetric } from '../lib/latency';
import type { Logger } from '../lib/logging';
import { Batcher, DEFAULT_MAX_BYTES } from './batcher';
import { ConversionError, Converter, schemaIdOf } from './convert';
import { InfluxWriter, WriteAbortedError, WriterOptions } from './writer';
import { topicMatcher } from '../lib/topic-regex';
import { DeadRecord, deadLetterMessages } from '../lib/dead-letter';

export interface SinkOptions {
  /** Kafka connection (the consumer, admin and dead-letter producer are the apps' own: {@link createConsumer}). */
  kafka: KafkaOptions;
  converter: Converter;
  writer: InfluxWriter;
  logger: Logger;
  /** From {@link sinkMetrics} (shared with the writer's {@link writerMetricsHook}). */
  metrics: SinkMetrics;
  /** Whole-name regex of the topics to consume. */
  topicsRegex: string;
  groupId: string;
  /** Dead-letter topic (must not match topicsRegex). */
  deadLetterTopic: string;
  /** @default 5000 */
  batchSize?: number;
  /** Line-protocol bytes per write request. @default 2 MiB (batcher DEFAULT_MAX_BYTES) */
  batchBytes?: number;
  /** @default 1000 */
  flushIntervalMs?: number;
  /** @default 5 */
  lingerMs?: number;
  /** Concurrent InfluxDB writes. @default 4 */
  maxInFlight?: number;
  /** Partitions processed at once. @default 16 */
  partitionsConcurrency?: number;
  /** How often to look for new matching topics. @default 10 s */
  topicRefreshMs?: number;
  /** Read a newly seen topic (no committed offset) from its beginning. @default true */
  fromBeginning?: boolean;
  /** Fetch size per partition (a fetch is at most 4 of these). @default 512 KiB: small fetches keep consuming and writing overlapped; a 4 MiB first fetch over 16 partitions took ~1 s to decode before the first write. */
  maxBytesPerPartition?: number;
  /** Aborted when the sink should stop retrying (shutdown). */
  signal?: AbortSignal;
}

interface Item {
  line: string;
  message: ConsumedMessage;
}

type Dead = DeadRecord;

/** A handed-over batch of one partition, committed once it and all before it are done. */
interface Pending {
  next: string;
  count: number;
  highWatermark: string;
  done: boolean;
}

interface Track {
  topic: string;
  partition: number;
  queue: Pending[];
  committing: Promise<void>;
}

export interface SinkMetrics {
  pointsWritten: Counter;
  recordsConsumed: Counter;
  writeErrors: Counter<'kind'>;
  deadLetters: Counter<'reason'>;
  batchLatency: Histogram;
  lag: Gauge<'topic' | 'partition'>;
  topics: Gauge;
  droppedFields: Gauge;
  /** Through the sink: from the Avro record's timestamp (its Kafka append time on LogAppendTime topics) to InfluxDB's acknowledgement. */
  recordLatency: LatencyMetric;
  /** End to end: from the point's time (sal_created by default) to InfluxDB's acknowledgement. */
  endToEndLatency: LatencyMetric;
  bytesWritten: Counter;
}

/** Epoch milliseconds of a line-protocol point (its trailing timestamp, in the writer's microseconds). */
export function pointTimeMs(line: string): number {
  return Number(line.slice(line.lastIndexOf(' ') + 1)) / 1000;
}

export function sinkMetrics(registry: Registry): SinkMetrics {
  return {
    pointsWritten: new Counter({ name: 'influxdb_sink_points_written_total', help: 'Points InfluxDB acknowledged', registers: [registry] }),
    recordsConsumed: new Counter({ name: 'influxdb_sink_records_consumed_total', help: 'Kafka records consumed', registers: [registry] }),
    writeErrors: new Counter({
      name: 'influxdb_sink_write_errors_total',
      help: 'Failed InfluxDB write requests (transient: retried; rejected: points refused, bisected)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'influxdb_sink_dead_letters_total',
      help: 'Records sent to the dead-letter topic',
      labelNames: ['reason'],
      registers: [registry],
    }),
    batchLatency: new Histogram({
      name: 'influxdb_sink_batch_latency_seconds',
      help: 'Duration of successful InfluxDB write requests',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'influxdb_sink_consumer_lag',
      help: 'Records behind the high watermark, per partition, after the last committed batch',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    topics: new Gauge({ name: 'influxdb_sink_topics', help: 'Topics currently consumed', registers: [registry] }),
    droppedFields: new Gauge({
      name: 'influxdb_sink_dropped_fields',
      help: 'Field values not storable in InfluxDB (NaN, Infinity), skipped',
      registers: [registry],
    }),
    recordLatency: new LatencyMetric(
      registry,
      'influxdb_sink_record_latency_seconds',
      'From the Kafka record timestamp to InfluxDB acknowledging its point (seconds)',
    ),
    endToEndLatency: new LatencyMetric(
      registry,
      'influxdb_sink_end_to_end_latency_seconds',
      "From the point's time (sal_created) to InfluxDB acknowledging it (seconds)",
    ),
    bytesWritten: new Counter({
      name: 'influxdb_sink_bytes_written_total',
      help: 'Line-protocol bytes InfluxDB acknowledged',
      registers: [registry],
    }),
  };
}

/** Writer `onAttempt` hook feeding the sink metrics. */
export function writerMetricsHook(m: SinkMetrics): WriterOptions['onAttempt'] {
  return (r) => {
    if (r.ok) m.batchLatency.observe(r.seconds);
    else m.writeErrors.inc({ kind: r.kind ?? 'transient' });
  };
}

export class InfluxDbSink {
  readonly metrics: SinkMetrics;
  private readonly o: Required<Omit<SinkOptions, 'signal'>> & { signal?: AbortSignal };
  private readonly batcher: Batcher<Item>;
  private readonly matches: (t: string) => boolean;
  private consumer: EfdConsumer | undefined;
  private producer: EfdProducer | undefined;
  private admin: EfdAdmin | undefined;
  private topics: string[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private consumerRunning = false;
  private readonly partitions = new Map<string, Track>();
  private readonly outstanding = new Set<Promise<void>>();
  private outstandingPoints = 0;
  private restartPending = false;
  private forceRestart = false;
  private readonly maxOutstanding: number;
  private waiters: { points: number; resolve: () => void }[] = [];
  /** Kafka records handled (written or dead-lettered) and committed. */
  committed = 0;

  constructor(opts: SinkOptions) {
    this.o = {
      batchSize: 5000,
      batchBytes: DEFAULT_MAX_BYTES,
      flushIntervalMs: 1000,
      lingerMs: 5,
      maxInFlight: 4,
      partitionsConcurrency: 16,
      topicRefreshMs: 10_000,
      fromBeginning: true,
      maxBytesPerPartition: 512 * 1024,
      ...opts,
    };
    this.matches = topicMatcher(this.o.topicsRegex);
    this.maxOutstanding = this.o.batchSize * this.o.maxInFlight * 2;
    if (this.matches(this.o.deadLetterTopic))
      throw new Error(`dead-letter topic ${this.o.deadLetterTopic} matches the topics regex ${this.o.topicsRegex}; choose another`);
    this.metrics = this.o.metrics;
    this.batcher = new Batcher<Item>({
      maxPoints: this.o.batchSize,
      maxBytes: this.o.batchBytes,
      maxDelayMs: this.o.flushIntervalMs,
      lingerMs: this.o.lingerMs,
      maxInFlight: this.o.maxInFlight,
      lineOf: (i) => i.line,
      write: (lines) => this.o.writer.write(lines),
    });
  }

  /** Topics consumed now. */
  get subscribed(): string[] {
    return [...this.topics];
  }

  /** Healthy while the consumer runs (or waits for its first topic). */
  health(): { ok: boolean; reason?: string } {
    if (this.stopped) return { ok: false, reason: 'stopped' };
    if (this.topics.length && !this.consumerRunning) return { ok: false, reason: 'consumer not running' };
    return { ok: true };
  }

  async start(): Promise<void> {
    this.admin = createAdmin(this.o.kafka);
    await this.admin.connect();
    this.producer = createProducer(this.o.kafka);
    await this.producer.connect();
    await this.refresh();
    this.refreshTimer = setInterval(() => void this.refresh(), this.o.topicRefreshMs);
  }

  /** Looks for matching topics; restarts the consumer when the set changed. Serialized. */
  refresh(): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.stopped || !this.admin) return;
      let all: string[];
      try {
        all = await this.admin.listTopics();
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, 'listing topics failed; keeping the current subscription');
        return;
      }
      const next = all.filter(this.matches).sort();
      const same = next.length === this.topics.length && next.every((t, i) => t === this.topics[i]);
      if (same && !this.forceRestart && (this.consumerRunning || next.length === 0)) return;
      this.forceRestart = false;
      const added = next.filter((t) => !this.topics.includes(t));
      this.o.logger.info(
        { topics: next.length, added: added.slice(0, 20), addedCount: added.length },
        `subscribing to ${next.length} topic(s) matching /${this.o.topicsRegex}/`,
      );
      await this.stopConsumer();
      this.topics = next;
      this.metrics.topics.set(next.length);
      if (next.length) await this.startConsumer(next);
    });
    return this.chain;
  }

  private async startConsumer(topics: string[]): Promise<void> {
    const consumer = createConsumer(this.o.kafka, {
      groupId: this.o.groupId,
      maxBytesPerPartition: this.o.maxBytesPerPartition,
      maxBytes: this.o.maxBytesPerPartition * 4,
      maxWaitTimeMs: 250,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3000,
    });
    this.consumer = consumer;
    consumer.onCrash((e) => {
      this.consumerRunning = false;
      this.o.logger.error({ err: e.error?.message, restart: e.restart }, `consumer crashed: ${e.error?.message}`);
      if (!e.restart) this.restartSoon();
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.o.fromBeginning });
    await consumer.run({
      // offsets are committed by commitReady, once InfluxDB acknowledged them
      autoCommitIntervalMs: 0,
      partitionsConcurrency: this.o.partitionsConcurrency,
      eachBatch: (batch, ctx) => this.handleBatch(consumer, batch, ctx),
    });
    this.consumerRunning = true;
  }

  private async stopConsumer(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    this.consumerRunning = false;
    if (!c) return;
    try {
      // Finish (write + commit) what was handed over while the group membership still holds.
      c.pause(this.topics);
      await this.drain();
      this.partitions.clear();
      await c.stop();
    } finally {
      await c.disconnect().catch(() => undefined);
    }
  }

  /**
   * One fetched batch: convert, hand the points to the batcher and return at once, so the consumer
   * fetches the next records while InfluxDB writes these (pipelined). The batch's offsets are
   * committed when InfluxDB acknowledged it and every earlier batch of the partition (in order), after
   * its dead letters were produced. At most `maxOutstanding` points wait for acknowledgement; beyond
   * that the handler waits (heartbeating), which is the back pressure on the consumer.
   */
  private async handleBatch(consumer: EfdConsumer, batch: ConsumedBatch, p: BatchContext): Promise<void> {
    if (batch.messages.length === 0 || !p.isRunning() || p.isStale()) return;
    const beat = setInterval(() => void p.heartbeat().catch(() => undefined), 2000);
    try {
      const ids = new Set<number>();
      for (const m of batch.messages) {
        try {
          ids.add(schemaIdOf(m.value));
        } catch {
          /* dead-lettered below */
        }
      }
      await this.o.converter.prepare(ids);
      const items: Item[] = [];
      const dead: Dead[] = [];
      for (const m of batch.messages) {
        try {
          items.push({ line: this.o.converter.convert(batch.topic, m.value, m.timestamp), message: m });
        } catch (err) {
          if (!(err instanceof ConversionError)) throw err;
          dead.push({ message: m, reason: err.reason, detail: err.message });
        }
      }
      this.metrics.recordsConsumed.inc(batch.messages.length);
      this.metrics.droppedFields.set(this.o.converter.stats.droppedFields);
      await this.acquire(items.length);
      const last = batch.messages[batch.messages.length - 1].offset;
      const key = `${batch.topic}\u0000${batch.partition}`;
      let track = this.partitions.get(key);
      if (!track) {
        track = { topic: batch.topic, partition: batch.partition, queue: [], committing: Promise.resolve() };
        this.partitions.set(key, track);
      }
      const entry: Pending = {
        next: (BigInt(last) + 1n).toString(),
        count: batch.messages.length,
        highWatermark: batch.highWatermark,
        done: false,
      };
      track.queue.push(entry);
      const t = track;
      const work = this.batcher
        .submit(items)
        .then(async (rejected) => {
          this.metrics.pointsWritten.inc(items.length - rejected.length);
          this.observeWritten(items, rejected.length ? new Set(rejected.map((r) => r.item)) : undefined);
          for (const r of rejected) dead.push({ message: r.item.message, reason: 'rejected-by-influxdb', detail: r.reason });
          if (dead.length) await this.deadLetter(batch.topic, batch.partition, dead);
          entry.done = true;
          await this.commitReady(consumer, t);
        })
        .catch((err: Error) => {
          // Not acknowledged (stopping, or the dead-letter topic refused): never committed, re-read later.
          if (err instanceof WriteAbortedError) return;
          // The partition cannot commit past this batch: restart the consumer from the committed offsets.
          this.o.logger.error(
            { err: err.message, topic: batch.topic, partition: batch.partition },
            `batch not written, restarting the consumer: ${err.message}`,
          );
          this.restartSoon();
        })
        .finally(() => {
          this.release(items.length);
          this.outstanding.delete(work);
        });
      this.outstanding.add(work);
    } finally {
      clearInterval(beat);
    }
  }

  /** Latency and byte metrics of the points InfluxDB acknowledged now. */
  private observeWritten(items: Item[], rejected: Set<Item> | undefined): void {
    const ackMs = Date.now();
    let bytes = 0;
    for (const it of items) {
      if (rejected?.has(it)) continue;
      bytes += it.line.length;
      this.metrics.endToEndLatency.observe((ackMs - pointTimeMs(it.line)) / 1000);
      const ts = Number(it.message.timestamp);
      if (ts > 0) this.metrics.recordLatency.observe((ackMs - ts) / 1000);
    }
    this.metrics.bytesWritten.inc(bytes);
  }

  private restartSoon(): void {
    if (this.stopped || this.restartPending) return;
    this.restartPending = true;
    setTimeout(() => {
      this.restartPending = false;
      this.forceRestart = true;
      void this.refresh();
    }, 1000);
  }

  /** Commits the partition up to its last contiguous acknowledged batch (serialized per partition). */
  private commitReady(consumer: EfdConsumer, t: Track): Promise<void> {
    t.committing = t.committing.then(async () => {
      let upTo: Pending | undefined;
      let count = 0;
      while (t.queue.length && t.queue[0].done) {
        upTo = t.queue.shift();
        count += upTo!.count;
      }
      if (!upTo) return;
      try {
        await consumer.commitOffsets([{ topic: t.topic, partition: t.partition, offset: upTo.next }]);
        this.committed += count;
        const lag = Number(BigInt(upTo.highWatermark) - BigInt(upTo.next));
        this.metrics.lag.set({ topic: t.topic, partition: String(t.partition) }, Math.max(0, lag));
      } catch (err) {
        // Rebalance: the next owner re-reads from the last committed offset (idempotent points).
        this.o.logger.debug({ err: (err as Error).message, topic: t.topic, partition: t.partition }, 'offset commit failed');
      }
    });
    return t.committing;
  }

  private acquire(points: number): Promise<void> {
    if (this.outstandingPoints === 0 || this.outstandingPoints + points <= this.maxOutstanding) {
      this.outstandingPoints += points;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push({ points, resolve }));
  }

  private release(points: number): void {
    this.outstandingPoints -= points;
    while (
      this.waiters.length &&
      (this.outstandingPoints === 0 || this.outstandingPoints + this.waiters[0].points <= this.maxOutstanding)
    ) {
      const w = this.waiters.shift()!;
      this.outstandingPoints += w.points;
      w.resolve();
    }
  }

  /** Waits until every handed-over batch was written and committed (or failed). */
  private async drain(): Promise<void> {
    while (this.outstanding.size) await Promise.allSettled([...this.outstanding]);
  }

  private async deadLetter(topic: string, partition: number, dead: Dead[]): Promise<void> {
    if (!this.producer) throw new Error('sink not started');
    await this.producer.sendBatch({
      topicMessages: [
        {
          topic: this.o.deadLetterTopic,
          messages: deadLetterMessages('influxdb-sink', topic, partition, dead),
        },
      ],
    });
    for (const d of dead) this.metrics.deadLetters.inc({ reason: d.reason });
    this.o.logger.warn(
      { topic, partition, count: dead.length, reason: dead[0].reason, detail: dead[0].detail },
      `${dead.length} record(s) to ${this.o.deadLetterTopic}: ${dead[0].detail}`,
    );
  }

  /** Stops consuming (pending writes finish unless the signal aborted them), then disconnects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.chain.catch(() => undefined);
    this.stopped = true;
    await this.stopConsumer().catch((err: Error) => this.o.logger.warn({ err: err.message }, 'consumer stop failed'));
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
