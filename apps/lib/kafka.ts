/**
 * Kafka for the EFD apps: the producer factory (one place that chooses the client), the message type
 * the apps produce, and a {@link BatchSender} that batches per topic and lingers a few ms.
 *
 * Producers run on @platformatic/kafka by default (about 4× the messages per CPU-second of kafkajs
 * with the same settings, see bench/kafka-clients.bench.ts); `EFD_KAFKA_CLIENT=kafkajs` (or
 * `client: 'kafkajs'`) selects kafkajs instead; consumers and admin clients likewise (kafka-consumer.ts, kafka-admin.ts).
 */
import type { ConnectionOptions } from 'node:tls';
import {
  compatibilityPartitioner,
  Producer as PltProducer,
  type AdminOptions as PltAdminOptions,
  type ProducerOptions as PltProducerOptions,
} from '@platformatic/kafka';
import { CompressionTypes, Kafka, logLevel as KafkaLogLevel, LogEntry, logCreator, Message as KafkajsMessage, SASLOptions } from 'kafkajs';
import { explainRefusal, kafkaRefusal, refusedError } from './kafka-refusal';
import type { Logger } from './logging';
import { backoffDelayMs } from './retry';

/** SASL mechanisms the apps offer (`--sasl-mechanism`). */
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaOptions {
  /** Bootstrap servers: `host:port` list or comma-separated string. */
  brokers: string | string[];
  clientId: string;
  /** `true` for TLS with the system CAs, or Node TLS options (ca, cert, key …). */
  ssl?: boolean | ConnectionOptions;
  /** SASL: `{ mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password }`. */
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  /** kafkajs logs go to this logger (default: kafkajs' own console logger at WARN). */
  logger?: Logger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Retries of a failed request (default 5; 0 for a quick yes/no such as a preflight check). */
  retries?: number;
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

/**
 * Errors kafkajs logs while a topic is being created (auto-created on first produce, or just created
 * by the app): it retries them itself, so they are logged at debug, not error.
 */
const TRANSIENT_KAFKA_ERRORS = /does not host this topic-partition|no leader for this topic-partition|leader is not available/i;

/** kafkajs log entries → the app's pino logger (child `component: kafkajs`). */
export function kafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () => (entry: LogEntry) => {
    const { message, ...rest } = entry.log;
    const fields = { namespace: entry.namespace, ...rest };
    const transient = typeof rest.error === 'string' && TRANSIENT_KAFKA_ERRORS.test(rest.error);
    switch (transient ? KafkaLogLevel.DEBUG : entry.level) {
      case KafkaLogLevel.ERROR:
        child.error(fields, message);
        break;
      case KafkaLogLevel.WARN:
        child.warn(fields, message);
        break;
      case KafkaLogLevel.INFO:
        child.info(fields, message);
        break;
      default:
        child.debug(fields, message);
    }
  };
}

/** A kafkajs client (consumers, admin; producers only with `EFD_KAFKA_CLIENT=kafkajs`). */
export function createKafka(opts: KafkaOptions): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka({
    clientId: opts.clientId,
    brokers: parseBrokers(opts.brokers),
    ssl: opts.ssl,
    sasl: opts.sasl as SASLOptions | undefined,
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    requestTimeout: opts.requestTimeoutMs ?? 30000,
    logLevel: kafkaLogLevel(opts.logger),
    ...(opts.retries !== undefined ? { retry: { retries: opts.retries } } : {}),
    ...(opts.logger ? { logCreator: kafkaLogCreator(opts.logger) } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// The producer: one factory, two clients

/** The Kafka client library behind {@link createProducer}. */
export type KafkaClientName = 'platformatic' | 'kafkajs';
export const KAFKA_CLIENTS: readonly KafkaClientName[] = ['platformatic', 'kafkajs'];
/** Environment variable choosing the producer client (default platformatic). */
export const KAFKA_CLIENT_ENV = 'EFD_KAFKA_CLIENT';

/** The client named by `value` (default: `EFD_KAFKA_CLIENT`, else platformatic); throws naming the choices. */
export function kafkaClientName(value: string | undefined = process.env[KAFKA_CLIENT_ENV]): KafkaClientName {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'platformatic';
  if ((KAFKA_CLIENTS as readonly string[]).includes(v)) return v as KafkaClientName;
  throw new Error(`${KAFKA_CLIENT_ENV}="${value}" is not a Kafka client: use ${KAFKA_CLIENTS.join(' (default) or ')}`);
}

export type HeaderValue = string | Buffer;
/** Record headers; an array repeats the header (Kafka allows a key more than once). */
export type OutgoingHeaders = Record<string, HeaderValue | HeaderValue[] | undefined>;

/** A record the apps produce. */
export interface OutgoingMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: OutgoingHeaders;
  /** Record timestamp, ms since the epoch (default: when the client builds the batch). */
  timestamp?: number;
  /** Explicit partition (default: by key, Java-compatible murmur2; round-robin without a key). */
  partition?: number;
}

export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

export type Compression = 'none' | 'gzip';

/**
 * The EFD producer: idempotent (retries never duplicate), acks=all, one request in flight per broker
 * (sequence numbers are assigned before sending). `sendBatch` resolves when every record is acknowledged.
 */
export interface EfdProducer {
  readonly client: KafkaClientName;
  /** Connects (and gets the idempotent producer id), so a bad address or credential fails here. */
  connect(): Promise<void>;
  sendBatch(request: { topicMessages: TopicMessages[]; compression?: Compression }): Promise<void>;
  disconnect(): Promise<void>;
  /** Called once the producer is closed. */
  onDisconnect(listener: () => void): void;
}

export interface ProducerOptions {
  /** Let the broker create a topic on first produce (default true, as kafkajs did). */
  allowAutoTopicCreation?: boolean;
  /** Default: {@link kafkaClientName}() (env `EFD_KAFKA_CLIENT`, else platformatic). */
  client?: KafkaClientName;
}

/** The producer of every app; the one place that chooses the client. */
export function createProducer(opts: KafkaOptions, p: ProducerOptions = {}): EfdProducer {
  const client = p.client ?? kafkaClientName();
  return client === 'kafkajs' ? kafkajsProducer(opts, p) : platformaticProducer(opts, p);
}

/**
 * `count` producers of one client, each with its own connection and idempotent producer id. Behind one
 * {@link BatchSender} they keep up to `count` produce requests in flight: either client sends one request
 * at a time per idempotent producer (@platformatic/kafka advances a partition's sequence number only once
 * the broker replied, kafkajs needs maxInFlightRequests 1 for idempotence), so one producer waits a round
 * trip per batch. The sender gives each topic to one producer, which keeps per-partition order and sequences.
 */
export function createProducers(opts: KafkaOptions, count: number, p: ProducerOptions = {}): EfdProducer[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`the number of producers must be a whole number ≥ 1, not ${count}`);
  return Array.from({ length: count }, () => createProducer(opts, p));
}

const SASL_MECHANISMS: Record<SaslMechanism, 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
};

/** Retry delay like kafkajs' default: 300 ms, doubling, at most 30 s. */
export function retryDelayMs(attempt: number): number {
  return backoffDelayMs(attempt, { initialDelayMs: 300, maxDelayMs: 30_000 });
}

/** The connection part of every @platformatic/kafka client's options (producer, consumer, admin). */
export type PlatformaticConnection = Omit<PltAdminOptions, 'retryDelay'> & {
  retryDelay: (client: unknown, operationId: string, attempt: number, retries?: number, error?: Error) => number;
};

/**
 * The client's own retry delay: a refusal (login or ACL) is tried again at once, so its few bounded
 * attempts end in milliseconds (@platformatic/kafka 1.35 retries a failed login: it arrives wrapped in a
 * retriable network error, and the idempotent producer raises `retries` ≤ 1 to unlimited, so they are
 * kept at 5); anything else waits as kafkajs would.
 */
export function platformaticRetryDelay(_client: unknown, _op: string, attempt: number, _retries?: number, error?: Error): number {
  return error && kafkaRefusal(error) ? 0 : retryDelayMs(attempt);
}

/** Our connection options as the settings every @platformatic/kafka client shares (TLS and SASL only when set). */
export function platformaticConnection(opts: KafkaOptions): PlatformaticConnection {
  const o: PlatformaticConnection = {
    clientId: opts.clientId,
    bootstrapBrokers: parseBrokers(opts.brokers),
    connectTimeout: opts.connectionTimeoutMs ?? 3000,
    requestTimeout: opts.requestTimeoutMs ?? 30000,
    timeout: opts.requestTimeoutMs ?? 30000,
    retries: opts.retries ?? 5,
    retryDelay: platformaticRetryDelay,
  };
  if (opts.ssl) o.tls = opts.ssl === true ? {} : opts.ssl;
  if (opts.sasl) {
    const mechanism = SASL_MECHANISMS[opts.sasl.mechanism];
    if (!mechanism)
      throw new Error(`SASL mechanism "${opts.sasl.mechanism}" is not supported: use ${Object.keys(SASL_MECHANISMS).join(', ')}`);
    o.sasl = { mechanism, username: opts.sasl.username, password: opts.sasl.password };
  }
  return o;
}

/** Our connection options as @platformatic/kafka producer options (exported for the mapping tests). */
export function platformaticOptions(opts: KafkaOptions, p: ProducerOptions = {}): PltProducerOptions<Buffer, Buffer, Buffer, Buffer> {
  return {
    ...platformaticConnection(opts),
    idempotent: true,
    acks: -1,
    autocreateTopics: p.allowAutoTopicCreation ?? true,
    partitioner: javaCompatiblePartitioner(),
  };
}

/**
 * A keyed record goes where kafkajs' default partitioner and the Java client put it (murmur2 & 0x7fffffff);
 * a keyless one round-robin per topic (@platformatic/kafka's compatibilityPartitioner alone sends every
 * keyless record to partition 0). The client takes the result modulo the partition count.
 */
export function javaCompatiblePartitioner(): NonNullable<PltProducerOptions<Buffer, Buffer, Buffer, Buffer>['partitioner']> {
  const next = new Map<string, number>();
  return (message, key) => {
    if (key) return compatibilityPartitioner(message, key);
    const n = next.get(message.topic) ?? 0;
    next.set(message.topic, (n + 1) % 0x7fffffff);
    return n;
  };
}

/**
 * @platformatic/kafka 1.35 writes a record's timestamp as a delta from the batch's first one, and a
 * delta of 2^31 ms (24.8 days) or more comes out wrong (its 64-bit varint loses the high bits). Records
 * whose timestamps span that much are sent in separate requests, in order.
 */
export const MAX_TIMESTAMP_SPAN_MS = 2 ** 31 - 1;

/** Consecutive runs of `ts` whose spread stays under {@link MAX_TIMESTAMP_SPAN_MS}, as [start, end) index pairs. */
export function timestampRuns(ts: number[]): [number, number][] {
  const runs: [number, number][] = [];
  let start = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < ts.length; i++) {
    const nlo = Math.min(lo, ts[i]);
    const nhi = Math.max(hi, ts[i]);
    if (nhi - nlo > MAX_TIMESTAMP_SPAN_MS) {
      runs.push([start, i]);
      start = i;
      lo = hi = ts[i];
    } else {
      lo = nlo;
      hi = nhi;
    }
  }
  if (ts.length) runs.push([start, ts.length]);
  return runs;
}

function buf(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}

/** Our headers as the Buffer map @platformatic/kafka writes (a repeated header gets one key object per value). */
export function platformaticHeaders(h: OutgoingHeaders): Map<Buffer, Buffer> {
  const out = new Map<Buffer, Buffer>();
  for (const k in h) {
    const v = h[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.set(Buffer.from(k), buf(x));
    else out.set(Buffer.from(k), buf(v));
  }
  return out;
}

/**
 * An error of either client as one line: the message, then the causes and aggregated errors underneath
 * (@platformatic/kafka reports "Producing messages failed." with the broker's reasons inside).
 */
export function kafkaErrorMessage(err: unknown, depth = 0, response?: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // a ResponseError carries the broker's response; its ProtocolErrors only the path into it
  response = (err as { response?: unknown }).response ?? response;
  const parts = [err.message + errorWhere(err, response)];
  const inner: unknown[] = [];
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors)) inner.push(...errors);
  if (err.cause !== undefined) inner.push(err.cause);
  if (depth < 4) {
    const seen = new Set<string>([err.message]);
    for (const e of inner) {
      const m = kafkaErrorMessage(e, depth + 1, response);
      if (!seen.has(m)) {
        seen.add(m);
        parts.push(m);
      }
    }
  }
  return parts.length === 1 ? parts[0] : `${parts[0]} (${parts.slice(1).join('; ')})`;
}

/** `" on topic t partition p: broker message"` for a produce response error of @platformatic/kafka. */
function errorWhere(err: Error, response: unknown): string {
  const e = err as { path?: unknown; serverErrorMessage?: unknown };
  let where = '';
  const m = typeof e.path === 'string' ? /^\/responses\/(\d+)\/partitionResponses\/(\d+)/.exec(e.path) : null;
  if (m) {
    const r = (response as { responses?: { name?: string; partitionResponses?: { index?: number }[] }[] } | undefined)?.responses?.[
      Number(m[1])
    ];
    if (r?.name) where = ` on topic ${r.name} partition ${r.partitionResponses?.[Number(m[2])]?.index ?? m[2]}`;
  }
  if (typeof e.serverErrorMessage === 'string' && e.serverErrorMessage) where += `: ${e.serverErrorMessage}`;
  return where;
}

function platformaticProducer(opts: KafkaOptions, p: ProducerOptions): EfdProducer {
  const options = platformaticOptions(opts, p);
  const producer = new PltProducer<Buffer, Buffer, Buffer, Buffer>(options);
  return {
    client: 'platformatic',
    connect: () =>
      connectOrExplain(
        'producer',
        options.bootstrapBrokers as string[],
        () => producer.initIdempotentProducer({ idempotent: true, acks: -1 }),
        opts.sasl?.username,
      ),
    async sendBatch(request) {
      try {
        await sendPlatformatic(request);
      } catch (err) {
        throw explainRefusal(err, {
          user: opts.sasl?.username,
          topics: request.topicMessages.map((t) => t.topic),
          resourceType: 'TOPIC',
          operation: 'WRITE',
        });
      }
    },
    async disconnect() {
      if (!producer.closed) await producer.close();
    },
    onDisconnect(listener) {
      producer.once('client:close', listener);
    },
  };

  async function sendPlatformatic({ topicMessages, compression }: Parameters<EfdProducer['sendBatch']>[0]): Promise<void> {
    const now = Date.now();
    const messages = [];
    const ts: number[] = [];
    let spread = false;
    for (const { topic, messages: ms } of topicMessages) {
      for (const m of ms) {
        const t = m.timestamp ?? now;
        if (t !== now) spread = true;
        ts.push(t);
        messages.push({
          topic,
          key: m.key == null ? undefined : buf(m.key),
          value: m.value == null ? undefined : buf(m.value),
          headers: m.headers ? platformaticHeaders(m.headers) : undefined,
          timestamp: BigInt(t),
          partition: m.partition,
        });
      }
    }
    const runs = spread ? timestampRuns(ts) : [[0, messages.length] as [number, number]];
    for (const [a, b] of runs)
      await producer.send({ messages: runs.length === 1 ? messages : messages.slice(a, b), compression: compression ?? 'none' });
  }
}

function kafkajsProducer(opts: KafkaOptions, p: ProducerOptions): EfdProducer {
  const producer = createKafka(opts).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: p.allowAutoTopicCreation ?? true,
  });
  return {
    client: 'kafkajs',
    connect: () => connectOrExplain('producer', parseBrokers(opts.brokers), () => producer.connect(), opts.sasl?.username),
    async sendBatch({ topicMessages, compression }) {
      try {
        await producer.sendBatch({
          acks: -1,
          compression: compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
          topicMessages: topicMessages.map(({ topic, messages }) => ({ topic, messages: messages.map(kafkajsMessage) })),
        });
      } catch (err) {
        throw explainRefusal(err, {
          user: opts.sasl?.username,
          topics: topicMessages.map((t) => t.topic),
          resourceType: 'TOPIC',
          operation: 'WRITE',
        });
      }
    },
    disconnect: () => producer.disconnect(),
    onDisconnect(listener) {
      producer.on(producer.events.DISCONNECT, listener);
    },
  };
}

/**
 * The error of a client that could not connect: which client, to which brokers, why; `retriable` when worth
 * retrying. A refusal (login, or the ACL the connect needed) is a {@link KafkaRefusedError} naming `user`.
 */
export function connectError(client: 'producer' | 'consumer' | 'admin client', brokers: string[], err: unknown, user?: string): Error {
  const refused = refusedError(err, { user, doing: `connecting the Kafka ${client} to ${brokers.join(', ')}` });
  if (refused) return refused;
  const e = new Error(`connecting the Kafka ${client} to ${brokers.join(', ')} failed: ${kafkaErrorMessage(err)}`, { cause: err });
  // kafkajs marks its own errors `retriable` (kept as the cause); a broker not up yet is worth retrying with either client
  return Object.assign(e, { retriable: retriableKafkaError(err) });
}

/** Runs a client's `connect`, its failure turned into a {@link connectError} naming the client and brokers. */
export async function connectOrExplain(
  client: 'producer' | 'consumer' | 'admin client',
  brokers: string[],
  connect: () => Promise<unknown>,
  user?: string,
): Promise<void> {
  try {
    await connect();
  } catch (err) {
    throw connectError(client, brokers, err, user);
  }
}

/**
 * Whether an error is worth retrying later: kafkajs' `retriable`, or @platformatic/kafka's `canRetry`
 * somewhere in its causes (connection refused, timeouts, no leader yet), unless credentials or
 * options were refused (authentication, authorization and user errors never fix themselves).
 */
export function retriableKafkaError(err: unknown): boolean {
  if (kafkaRefusal(err)) return false;
  let retry = false;
  let fatal = false;
  const visit = (e: unknown, depth: number) => {
    if (!(e instanceof Error) || depth > 6) return;
    const x = e as { retriable?: unknown; canRetry?: unknown; code?: unknown; errors?: unknown };
    if (x.retriable === true || x.canRetry === true) retry = true;
    if (x.retriable === false && depth === 0) fatal = true;
    if (x.code === 'PLT_KFK_AUTHENTICATION' || x.code === 'PLT_KFK_USER') fatal = true;
    if (Array.isArray(x.errors)) for (const c of x.errors) visit(c, depth + 1);
    if (e.cause !== undefined) visit(e.cause, depth + 1);
  };
  visit(err, 0);
  return retry && !fatal;
}

/** kafkajs wants the timestamp as a string; everything else is the same shape. */
function kafkajsMessage(m: OutgoingMessage): KafkajsMessage {
  return (m.timestamp === undefined ? m : { ...m, timestamp: String(m.timestamp) }) as KafkajsMessage;
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
  compression?: Compression;
}

interface Pending {
  topic: string;
  messages: OutgoingMessage[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

function sizeOf(v: OutgoingMessage['value'] | OutgoingMessage['key']): number {
  if (v == null) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** One producer of a {@link BatchSender} with its own queue and at most one request in flight. */
interface Lane {
  producer: Pick<EfdProducer, 'sendBatch'>;
  queue: Pending[];
  /** Messages queued and not yet taken into a request. */
  waiting: number;
  timer: NodeJS.Timeout | undefined;
  inFlight: Promise<void> | undefined;
}

/**
 * Batches produce calls across topics into one `sendBatch` of an {@link EfdProducer} (acks=all), one batch in flight
 * per producer: while a batch is in flight the next one accumulates, so batches grow with load. Each `send`
 * promise resolves when its messages are acknowledged, or rejects with the send error.
 *
 * Given several producers (each its own connection and idempotent producer id, see {@link createProducers}),
 * each is a lane with its own queue, and up to that many requests are in flight at once: a topic goes to
 * one lane for the sender's lifetime (assigned round-robin on first use), so its records keep their order
 * and every partition is written by one producer id with gap-free sequence numbers.
 */
export class BatchSender {
  private readonly lanes: Lane[];
  private readonly laneOfTopic = new Map<string, Lane>();
  private queued = 0;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private readonly maxTopicBytes: number;
  private readonly compression: Compression;

  constructor(producers: Pick<EfdProducer, 'sendBatch'> | readonly Pick<EfdProducer, 'sendBatch'>[], opts: BatchSenderOptions = {}) {
    const list = Array.isArray(producers) ? producers : [producers as Pick<EfdProducer, 'sendBatch'>];
    if (list.length === 0) throw new Error('BatchSender needs at least one producer');
    this.lanes = list.map((producer) => ({ producer, queue: [], waiting: 0, timer: undefined, inFlight: undefined }));
    this.lingerMs = opts.lingerMs ?? 5;
    this.maxBatch = opts.maxBatchMessages ?? 10_000;
    this.maxTopicBytes = opts.maxTopicBytes ?? 900 * 1024;
    this.compression = opts.compression ?? 'none';
  }

  /** Messages waiting or in flight. */
  get pending(): number {
    return this.queued;
  }

  /** How many producers send (requests that can be in flight at once). */
  get laneCount(): number {
    return this.lanes.length;
  }

  private laneOf(topic: string): Lane {
    let lane = this.laneOfTopic.get(topic);
    if (!lane) this.laneOfTopic.set(topic, (lane = this.lanes[this.laneOfTopic.size % this.lanes.length]));
    return lane;
  }

  /** Queues messages for a topic; resolves once Kafka acknowledged all of them. */
  send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const lane = this.laneOf(topic);
    // split into chunks that fit the per-topic byte budget and the message cap
    const chunks: { messages: OutgoingMessage[]; bytes: number }[] = [];
    let cur: OutgoingMessage[] = [];
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
    const one = (c: { messages: OutgoingMessage[]; bytes: number }) =>
      new Promise<void>((resolve, reject) => {
        lane.queue.push({ topic, messages: c.messages, bytes: c.bytes, resolve, reject });
        this.queued += c.messages.length;
        lane.waiting += c.messages.length;
      });
    const done = chunks.length === 1 ? one(chunks[0]) : Promise.all(chunks.map(one)).then(() => undefined);
    if (!lane.inFlight) {
      if (lane.waiting >= this.maxBatch || chunks.length > 1) this.kick(lane);
      else lane.timer ??= setTimeout(() => this.kick(lane), this.lingerMs);
    }
    return done;
  }

  /** Sends everything queued now and waits for all acknowledgements. */
  async flush(): Promise<void> {
    await Promise.all(
      this.lanes.map(async (lane) => {
        while (lane.queue.length > 0 || lane.inFlight) {
          if (!lane.inFlight) this.kick(lane);
          await lane.inFlight?.catch(() => undefined);
        }
      }),
    );
  }

  private kick(lane: Lane): void {
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
    if (lane.inFlight || lane.queue.length === 0) return;
    const batch = this.takeBatch(lane);
    lane.inFlight = this.sendNow(lane.producer, batch).finally(() => {
      lane.inFlight = undefined;
      if (lane.queue.length > 0) this.kick(lane);
    });
  }

  /** Takes queued sends in order while they fit; a topic whose budget is full keeps its order for the next batch. */
  private takeBatch(lane: Lane): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const topicBytes = new Map<string, number>();
    const full = new Set<string>();
    let n = 0;
    for (const p of lane.queue) {
      const used = topicBytes.get(p.topic) ?? 0;
      const fits =
        !full.has(p.topic) && (n === 0 || n + p.messages.length <= this.maxBatch) && (used === 0 || used + p.bytes <= this.maxTopicBytes);
      if (fits) {
        batch.push(p);
        n += p.messages.length;
        topicBytes.set(p.topic, used + p.bytes);
      } else {
        full.add(p.topic);
        rest.push(p);
      }
    }
    lane.queue = rest;
    lane.waiting -= n;
    return batch;
  }

  private async sendNow(producer: Pick<EfdProducer, 'sendBatch'>, batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    let count = 0;
    for (const p of batch) {
      count += p.messages.length;
      const list = byTopic.get(p.topic);
      if (list) for (const m of p.messages) list.push(m);
      else byTopic.set(p.topic, p.messages.slice());
    }
    try {
      await producer.sendBatch({
        compression: this.compression,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      this.queued -= count;
      for (const p of batch) p.resolve();
    } catch (err) {
      this.queued -= count;
      const topics = [...byTopic.keys()];
      // a refusal already names the user, the topics and the operation
      const named =
        refusedError(err, { topics }) ??
        new Error(
          `producing ${count} message(s) to ${topics.length} topic(s) (${topics.slice(0, 3).join(', ')}${topics.length > 3 ? ', …' : ''}) failed: ${kafkaErrorMessage(err)}`,
          { cause: err },
        );
      for (const p of batch) p.reject(named);
    }
  }
}
