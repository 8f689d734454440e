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
 * Topics: the sink follows the matching topics with the apps' {@link TopicConsumer} (a new topic is
 * added to the running consumer within `topicRefreshMs` and read from its beginning; committed
 * offsets carry over a restart).
 *
 * Records that cannot become points (not Avro, unknown schema, no storable field, bad timestamp) or
 * that InfluxDB refuses (400: type conflict, unparsable) go to the dead-letter topic with the reason
 * in headers (`efd.dlq.reason` code, `efd.dlq.message`, origin topic/partition/offset); the sink goes
 * on. InfluxDB unreachable: writes retry with backoff and the partition handlers wait (heartbeating),
 * so nothing is committed or lost until it is back.
 */
import type { KafkaOptions } from '../lib/kafka';
import type { BatchContext, ConsumedBatch, ConsumedMessage, EfdConsumer } from '../lib/kafka-consumer';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LatencyMetric } from '../lib/latency';
import type { Logger } from '../lib/logging';
import { Batcher, DEFAULT_MAX_BYTES } from './batcher';
import { ConversionError, Converter, schemaIdOf } from './convert';
import { InfluxWriter, WriteAbortedError, WriterOptions, type OutageEvent } from './writer';
import { DeadRecord } from '../lib/dead-letter';
import { TopicSink } from '../lib/topic-sink';

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
  /** How often to look for new matching topics. @default 5 s */
  topicRefreshMs?: number;
  /**
   * Consumer session timeout: how long the partitions of a killed sink (kill -9, OOM) wait before
   * another member or its restart gets them. @default 6 s (the broker's group.min.session.timeout.ms;
   * heartbeats every 2 s). A SIGTERM leaves the group at once.
   */
  sessionTimeoutMs?: number;
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
  /** 1 while InfluxDB takes writes, 0 during an outage. */
  influxdbUp: Gauge;
  outages: Counter;
  /** Seconds of the outages that ended (the one in progress: `influxdb_sink_influxdb_down_since_seconds`). */
  outageSeconds: Counter;
  /** Epoch seconds the outage in progress started (0: none). */
  downSince: Gauge;
  /** Points in writes waiting for InfluxDB (retried) now. */
  heldPoints: Gauge;
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
    influxdbUp: (() => {
      const g = new Gauge({
        name: 'influxdb_sink_influxdb_up',
        help: '1 while InfluxDB takes writes, 0 during an outage',
        registers: [registry],
      });
      g.set(1);
      return g;
    })(),
    outages: new Counter({
      name: 'influxdb_sink_influxdb_outages_total',
      help: 'InfluxDB outages (writes failing transiently until it answered again), counted when they start',
      registers: [registry],
    }),
    outageSeconds: new Counter({
      name: 'influxdb_sink_influxdb_outage_seconds_total',
      help: 'Seconds InfluxDB did not take writes, over the outages that ended',
      registers: [registry],
    }),
    downSince: new Gauge({
      name: 'influxdb_sink_influxdb_down_since_seconds',
      help: 'Epoch seconds the InfluxDB outage in progress started (0: InfluxDB takes writes)',
      registers: [registry],
    }),
    heldPoints: new Gauge({
      name: 'influxdb_sink_held_points',
      help: 'Points in writes waiting for InfluxDB (retried with backoff) now',
      registers: [registry],
    }),
  };
}

/** Writer `onOutage` hook feeding the sink metrics. */
export function outageMetricsHook(m: SinkMetrics): (o: OutageEvent) => void {
  return (o) => {
    m.heldPoints.set(o.heldPoints);
    if (o.state === 'started') {
      m.outages.inc();
      m.influxdbUp.set(0);
      m.downSince.set(o.sinceMs / 1000);
    } else if (o.state === 'ended') {
      m.outageSeconds.inc(o.seconds ?? 0);
      m.influxdbUp.set(1);
      m.downSince.set(0);
    }
  };
}

/** Writer `onAttempt` hook feeding the sink metrics. */
export function writerMetricsHook(m: SinkMetrics): WriterOptions['onAttempt'] {
  return (r) => {
    if (r.ok) m.batchLatency.observe(r.seconds);
    else m.writeErrors.inc({ kind: r.kind ?? 'transient' });
  };
}

export class InfluxDbSink extends TopicSink {
  readonly metrics: SinkMetrics;
  private readonly o: Required<Omit<SinkOptions, 'signal'>> & { signal?: AbortSignal };
  private readonly batcher: Batcher<Item>;
  private readonly partitions = new Map<string, Track>();
  private readonly outstanding = new Set<Promise<void>>();
  private outstandingPoints = 0;
  private readonly maxOutstanding: number;
  private waiters: { points: number; resolve: () => void }[] = [];
  /** Kafka records handled (written or dead-lettered) and committed. */
  committed = 0;

  constructor(opts: SinkOptions) {
    const o: InfluxDbSink['o'] = {
      batchSize: 5000,
      batchBytes: DEFAULT_MAX_BYTES,
      flushIntervalMs: 1000,
      lingerMs: 5,
      maxInFlight: 4,
      partitionsConcurrency: 16,
      topicRefreshMs: 5000,
      sessionTimeoutMs: 6000,
      fromBeginning: true,
      maxBytesPerPartition: 512 * 1024,
      ...opts,
    };
    super(
      { app: 'influxdb-sink', ...o, topics: o.metrics.topics, deadLetters: o.metrics.deadLetters },
      {
        maxBytesPerPartition: o.maxBytesPerPartition,
        maxBytes: o.maxBytesPerPartition * 4,
        heartbeatIntervalMs: Math.min(3000, Math.floor(o.sessionTimeoutMs / 3)),
      },
    );
    this.o = o;
    this.maxOutstanding = this.o.batchSize * this.o.maxInFlight * 2;
    // an InfluxDB outage reports every point waiting for it, not only those of the requests being retried
    this.o.writer.pendingPoints = () => this.outstandingPoints;
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

  /**
   * One fetched batch: convert, hand the points to the batcher and return at once, so the consumer
   * fetches the next records while InfluxDB writes these (pipelined). The batch's offsets are
   * committed when InfluxDB acknowledged it and every earlier batch of the partition (in order), after
   * its dead letters were produced. At most `maxOutstanding` points wait for acknowledgement; beyond
   * that the handler waits (heartbeating), which is the back pressure on the consumer.
   */
  protected async handleBatch(consumer: EfdConsumer, batch: ConsumedBatch, p: BatchContext): Promise<void> {
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
          this.follower.restart();
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

  /** Waits until every handed-over batch was written and committed (or failed), before the consumer stops. */
  protected async drain(): Promise<void> {
    while (this.outstanding.size) await Promise.allSettled([...this.outstanding]);
    this.partitions.clear();
  }

  private async deadLetter(topic: string, partition: number, dead: Dead[]): Promise<void> {
    await this.produceDeadLetters(topic, partition, dead);
    this.o.logger.warn(
      { topic, partition, count: dead.length, reason: dead[0].reason, detail: dead[0].detail },
      `${dead.length} record(s) to ${this.o.deadLetterTopic}: ${dead[0].detail}`,
    );
  }
}
