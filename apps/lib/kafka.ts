/**
 * Kafka client factory (kafkajs) and the producer every app uses:
 * idempotent, acks=all, with a {@link BatchSender} that batches per topic and lingers a few ms
 * (kafkajs has no linger.ms of its own).
 */
import type { ConnectionOptions } from 'node:tls';
import { Admin, CompressionTypes, Kafka, logLevel as KafkaLogLevel, Message, Producer, SASLOptions } from 'kafkajs';
import { kafkaLogCreator, Logger } from './logging';

export interface KafkaOptions {
  /** Bootstrap servers: `host:port` list or comma-separated string. */
  brokers: string | string[];
  clientId: string;
  /** `true` for TLS with the system CAs, or Node TLS options (ca, cert, key …). */
  ssl?: boolean | ConnectionOptions;
  /** SASL: `{ mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password }`. */
  sasl?: SASLOptions;
  /** kafkajs logs go to this logger (default: kafkajs' own console logger at WARN). */
  logger?: Logger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** `"a:9092, b:9092"` → `['a:9092', 'b:9092']`; throws with what to write when empty or without a port. */
export function parseBrokers(brokers: string | string[]): string[] {
  const list = (Array.isArray(brokers) ? brokers : brokers.split(',')).map((b) => b.trim()).filter(Boolean);
  if (list.length === 0) throw new Error('no Kafka bootstrap server given: pass --brokers host:port[,host:port…] or set KAFKA_BROKERS');
  for (const b of list) {
    if (!/^[^\s:]+:\d+$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(b)) {
      throw new Error(`Kafka bootstrap server "${b}" is not host:port (e.g. 127.0.0.1:9092)`);
    }
  }
  return list;
}

function kafkaLogLevel(logger: Logger | undefined): KafkaLogLevel {
  if (!logger) return KafkaLogLevel.WARN;
  const lvl = logger.level;
  if (lvl === 'debug' || lvl === 'trace') return KafkaLogLevel.DEBUG;
  if (lvl === 'info') return KafkaLogLevel.INFO;
  if (lvl === 'warn') return KafkaLogLevel.WARN;
  if (lvl === 'silent') return KafkaLogLevel.NOTHING;
  return KafkaLogLevel.ERROR;
}

/** A kafkajs client. */
export function createKafka(opts: KafkaOptions): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka({
    clientId: opts.clientId,
    brokers: parseBrokers(opts.brokers),
    ssl: opts.ssl,
    sasl: opts.sasl,
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    requestTimeout: opts.requestTimeoutMs ?? 30000,
    logLevel: kafkaLogLevel(opts.logger),
    ...(opts.logger ? { logCreator: kafkaLogCreator(opts.logger) } : {}),
  });
}

/**
 * The EFD producer: idempotent (so retries never duplicate), acks=all (set by {@link BatchSender}),
 * one request in flight per broker connection (kafkajs assigns sequence numbers before sending).
 */
export function createProducer(kafka: Kafka, opts: { allowAutoTopicCreation?: boolean } = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: opts.allowAutoTopicCreation ?? true,
  });
}

/** Creates those of `topics` that do not exist yet (waiting for their leaders); returns the ones it created. */
export async function createMissingTopics(
  admin: Admin,
  topics: string[],
  opts: { partitions: number; replicationFactor: number },
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (missing.length) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: opts.partitions, replicationFactor: opts.replicationFactor })),
    });
  }
  return missing;
}

export interface BatchSenderOptions {
  /** How long a message may wait for companions before a send starts (default 5 ms). */
  lingerMs?: number;
  /** Send as soon as this many messages wait, and never more in one request (default 10,000). */
  maxBatchMessages?: number;
  /**
   * Bytes (keys + values) per topic in one request (default 900 KiB): a topic-partition's record batch
   * must stay under the broker's message.max.bytes (1 MiB by default). Larger sends are split.
   */
  maxTopicBytes?: number;
  compression?: CompressionTypes;
}

interface Pending {
  topic: string;
  messages: Message[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

function sizeOf(v: Message['value'] | Message['key']): number {
  if (v == null) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/**
 * Batches produce calls across topics into one `sendBatch` (acks=all), one batch in flight at a time:
 * while a batch is in flight the next one accumulates, so batches grow with load. Each `send` promise
 * resolves when its messages are acknowledged, or rejects with the send error.
 */
export class BatchSender {
  private queue: Pending[] = [];
  private queued = 0;
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private readonly maxTopicBytes: number;
  private readonly compression: CompressionTypes;

  constructor(private readonly producer: Pick<Producer, 'sendBatch'>, opts: BatchSenderOptions = {}) {
    this.lingerMs = opts.lingerMs ?? 5;
    this.maxBatch = opts.maxBatchMessages ?? 10_000;
    this.maxTopicBytes = opts.maxTopicBytes ?? 900 * 1024;
    this.compression = opts.compression ?? CompressionTypes.None;
  }

  /** Messages waiting or in flight. */
  get pending(): number {
    return this.queued;
  }

  /** Queues messages for a topic; resolves once Kafka acknowledged all of them. */
  send(topic: string, messages: Message[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    // split into chunks that fit the per-topic byte budget and the message cap
    const chunks: { messages: Message[]; bytes: number }[] = [];
    let cur: Message[] = [];
    let bytes = 0;
    for (const m of messages) {
      const b = sizeOf(m.value) + sizeOf(m.key) + 32;
      if (cur.length > 0 && (bytes + b > this.maxTopicBytes || cur.length >= this.maxBatch)) {
        chunks.push({ messages: cur, bytes });
        cur = [];
        bytes = 0;
      }
      cur.push(m);
      bytes += b;
    }
    chunks.push({ messages: cur, bytes });
    const one = (c: { messages: Message[]; bytes: number }) =>
      new Promise<void>((resolve, reject) => {
        this.queue.push({ topic, messages: c.messages, bytes: c.bytes, resolve, reject });
        this.queued += c.messages.length;
        this.waiting += c.messages.length;
      });
    const done = chunks.length === 1 ? one(chunks[0]) : Promise.all(chunks.map(one)).then(() => undefined);
    if (!this.inFlight) {
      if (this.waiting >= this.maxBatch || chunks.length > 1) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.lingerMs);
    }
    return done;
  }

  /** Sends everything queued now and waits for all acknowledgements. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      if (!this.inFlight) this.kick();
      await this.inFlight?.catch(() => undefined);
    }
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.inFlight = this.sendNow(batch).finally(() => {
      this.inFlight = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Takes queued sends in order while they fit; a topic whose budget is full keeps its order for the next batch. */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const topicBytes = new Map<string, number>();
    const full = new Set<string>();
    let n = 0;
    for (const p of this.queue) {
      const used = topicBytes.get(p.topic) ?? 0;
      const fits = !full.has(p.topic) && (n === 0 || n + p.messages.length <= this.maxBatch) && (used === 0 || used + p.bytes <= this.maxTopicBytes);
      if (fits) {
        batch.push(p);
        n += p.messages.length;
        topicBytes.set(p.topic, used + p.bytes);
      } else {
        full.add(p.topic);
        rest.push(p);
      }
    }
    this.queue = rest;
    this.waiting -= n;
    return batch;
  }

  private async sendNow(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    let count = 0;
    for (const p of batch) {
      count += p.messages.length;
      const list = byTopic.get(p.topic);
      if (list) for (const m of p.messages) list.push(m);
      else byTopic.set(p.topic, p.messages.slice());
    }
    try {
      await this.producer.sendBatch({
        acks: -1,
        compression: this.compression,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      this.queued -= count;
      for (const p of batch) p.resolve();
    } catch (err) {
      this.queued -= count;
      const e = err instanceof Error ? err : new Error(String(err));
      const topics = [...byTopic.keys()];
      const named = new Error(
        `producing ${count} message(s) to ${topics.length} topic(s) (${topics.slice(0, 3).join(', ')}${topics.length > 3 ? ', …' : ''}) failed: ${e.message}`,
        { cause: e },
      );
      for (const p of batch) p.reject(named);
    }
  }
}
