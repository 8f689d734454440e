/**
 * The Kafka consumer of the EFD apps: one factory ({@link createConsumer}) over @platformatic/kafka
 * (default) or kafkajs (`EFD_KAFKA_CLIENT=kafkajs`), with the one shape both apps use: a consumer
 * group, per-partition batches handed to `eachBatch` (one batch of a partition at a time, up to
 * `partitionsConcurrency` partitions at once), and offsets committed only for what the app says is
 * done — either every `autoCommitIntervalMs` for the batches whose `eachBatch` resolved, or by the app
 * itself with `commitOffsets` (at-least-once: a crash re-delivers from the last commit).
 *
 * @platformatic/kafka delivers a stream of single records: here they are gathered per partition
 * while a partition's previous batch is still being handled, so batches grow with load (as
 * kafkajs' do). Records the client fetches again after a rebalance or restart, and that were already
 * handed over, are skipped.
 */
import {
  Consumer as PltConsumer,
  IS_CONTROL,
  offsetCommitV8,
  offsetCommitV9,
  type ConsumerOptions as PltConsumerOptions,
  type Message as PltMessage,
  type MessagesStream,
  type RecordsBatch,
} from '@platformatic/kafka';
import type { Consumer as KjsConsumer } from 'kafkajs';
import { connectOrExplain, createKafka, kafkaClientName, parseBrokers, platformaticConnection, retriableKafkaError } from './kafka';
import { backoffDelayMs } from './retry';
import { refusedError } from './kafka-refusal';
import type { KafkaClientName, KafkaOptions } from './kafka';

/** Record headers as consumed: a header that occurs more than once is an array. */
export type ConsumedHeaders = Record<string, Buffer | Buffer[] | undefined>;

/** A consumed record, shaped like kafkajs' KafkaMessage (offsets and timestamps as decimal strings). */
export interface ConsumedMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: ConsumedHeaders;
  offset: string;
  /** Record timestamp, ms since the epoch. */
  timestamp: string;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  /** The partition's high watermark when the records were fetched ('-1' when not known yet). */
  highWatermark: string;
  messages: ConsumedMessage[];
}

/**
 * What a batch handler may ask. An app that asks and hears "not running" or "stale" is taken to give the
 * batch up (every app returns early then): its offsets are not committed, so it is read again.
 */
export interface BatchContext {
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True when the partition was revoked (or the consumer restarted) since the batch was handed over. */
  isStale(): boolean;
  /** Tells the group this member is alive during a long handler (kafkajs; @platformatic/kafka heartbeats on its own). */
  heartbeat(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  /** Default: {@link kafkaClientName}() (env `EFD_KAFKA_CLIENT`, else platformatic). */
  client?: KafkaClientName;
  /** @default 30000 */
  sessionTimeoutMs?: number;
  /** @default 3000 (at most a third of the session timeout) */
  heartbeatIntervalMs?: number;
  /** How long the broker may hold a fetch that has less than `minBytes`. @default 500 */
  maxWaitTimeMs?: number;
  /** @default 1 */
  minBytes?: number;
  /** @default 1 MiB */
  maxBytesPerPartition?: number;
  /** @default 10 MiB */
  maxBytes?: number;
}

export interface RunOptions {
  eachBatch(batch: ConsumedBatch, ctx: BatchContext): Promise<void>;
  /** Partitions handled at once. @default 1 */
  partitionsConcurrency?: number;
  /** Commit the batches whose `eachBatch` resolved every this many ms (0: the app commits with `commitOffsets`). @default 0 */
  autoCommitIntervalMs?: number;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: string;
  /** Text the group keeps with the offset (Kafka offset metadata; the broker's limit is 4 KiB by default). */
  metadata?: string;
}

export interface GroupJoin {
  memberId: string;
  /** topic → partitions assigned to this member. */
  assignment: Record<string, number[]>;
}

export interface EfdConsumer {
  readonly client: KafkaClientName;
  /** Reaches the brokers, so a bad address or credential fails here. */
  connect(): Promise<void>;
  /** Topics to consume; a partition without a committed offset starts at its beginning with `fromBeginning` (else its end). */
  subscribe(o: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  /**
   * Whether {@link addTopics} works while the consumer runs (@platformatic/kafka: yes; kafkajs cannot
   * subscribe a running consumer, so a new topic means a restart).
   */
  readonly addsTopicsLive: boolean;
  /**
   * Consumes these topics too, while running: the member rejoins its group with the longer
   * subscription (one short rebalance; the other topics go on from where they were, nothing restarts).
   */
  addTopics(topics: string[]): Promise<void>;
  /** Joins the group and starts consuming; resolves once started. */
  run(o: RunOptions): Promise<void>;
  /**
   * Commits `offset` (the next offset to read) for each partition, with `metadata` stored beside it when
   * given (read back with the admin client's `groupOffsets`).
   */
  commitOffsets(offsets: OffsetToCommit[]): Promise<void>;
  /** No new batches of these topics are handed over until `resume`. */
  pause(topics: string[]): void;
  resume(topics: string[]): void;
  /** Stops fetching and waits for the batches being handled (their offsets are committed with auto-commit). */
  stop(): Promise<void>;
  /** Stops, leaves the group and closes the connections. */
  disconnect(): Promise<void>;
  onGroupJoin(listener: (e: GroupJoin) => void): void;
  /** The consumer failed; with `restart` it starts again from the committed offsets by itself. */
  onCrash(listener: (e: { error: Error; restart: boolean }) => void): void;
}

/** The consumer of every app; the one place that chooses the client. */
export function createConsumer(opts: KafkaOptions, c: ConsumerOptions): EfdConsumer {
  return (c.client ?? kafkaClientName()) === 'kafkajs' ? kafkajsConsumer(opts, c) : new PlatformaticConsumer(opts, c);
}

function heartbeatMs(c: ConsumerOptions): number {
  const session = c.sessionTimeoutMs ?? 30_000;
  return c.heartbeatIntervalMs ?? Math.min(3000, Math.floor(session / 3));
}

/** Our options as @platformatic/kafka consumer options (exported for the mapping tests). */
export function platformaticConsumerOptions(opts: KafkaOptions, c: ConsumerOptions): PltConsumerOptions<Buffer, Buffer, Buffer, Buffer> {
  const session = c.sessionTimeoutMs ?? 30_000;
  return {
    ...platformaticConnection(opts),
    groupId: c.groupId,
    sessionTimeout: session,
    rebalanceTimeout: Math.max(session, 60_000),
    heartbeatInterval: heartbeatMs(c),
    autocommit: false,
    minBytes: c.minBytes ?? 1,
    maxWaitTime: c.maxWaitTimeMs ?? 500,
    maxBytes: c.maxBytes ?? 10 * 1024 * 1024,
    maxBytesPerPartition: c.maxBytesPerPartition ?? 1024 * 1024,
    // only committed records of transactional producers, as kafkajs reads by default
    isolationLevel: 1,
  };
}

/** @platformatic/kafka's header map as {@link ConsumedHeaders} (undefined when there are none). */
export function consumedHeaders(h: Map<Buffer, Buffer> | undefined): ConsumedHeaders | undefined {
  return h && h.size > 0 ? headersOf(h) : undefined;
}

/** Header pairs as {@link ConsumedHeaders}: a null key as '', a null value as an empty buffer, a repeated key as an array in order. */
function headersOf(pairs: Iterable<[Buffer | null, Buffer | null]>): ConsumedHeaders {
  const out: ConsumedHeaders = {};
  for (const [k, v] of pairs) {
    const key = k ? k.toString() : '';
    const value = v ?? Buffer.alloc(0);
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}

interface PartitionState {
  topic: string;
  partition: number;
  pending: ConsumedMessage[];
  /** Offset after the last record taken in (records below it are skipped). */
  next: bigint;
  /** Offset after the last batch whose eachBatch resolved. */
  handled: bigint;
  committed: bigint;
  busy: boolean;
}

/** Records gathered but not handed over beyond which the stream is paused. */
const MAX_BUFFERED = 20_000;

/** Delay before restarting a failed stream: short (a broker back after an outage is read again within seconds), capped at 5 s. */
export function streamRestartDelayMs(attempt: number): number {
  return backoffDelayMs(attempt, { initialDelayMs: 300, maxDelayMs: 5000 });
}

class PlatformaticConsumer implements EfdConsumer {
  readonly client = 'platformatic' as const;
  readonly addsTopicsLive = true;
  private readonly options: PltConsumerOptions<Buffer, Buffer, Buffer, Buffer>;
  private readonly group: { sessionTimeout: number; rebalanceTimeout: number; heartbeatInterval: number };
  private consumer: PltConsumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** The streams of this consumer: the first over the topics it started with, one more per {@link addTopics}. */
  private streams: MessagesStream<Buffer, Buffer, Buffer, Buffer>[] = [];
  private topics: string[] = [];
  private fromBeginning = false;
  private runOptions: Required<RunOptions> | undefined;
  private readonly parts = new Map<string, PartitionState>();
  private readonly pausedTopics = new Set<string>();
  private readonly highWatermarks = new Map<string, bigint>();
  private topicIds = new Map<string, string>();
  private assigned = new Set<string>();
  private buffered = 0;
  private active = 0;
  private generation = 0;
  private running = false;
  private streamPaused = false;
  private dispatchScheduled = false;
  private commitTimer: NodeJS.Timeout | undefined;
  private commitInFlight: Promise<void> | undefined;
  private idle: (() => void)[] = [];
  private joinListeners: ((e: GroupJoin) => void)[] = [];
  private crashListeners: ((e: { error: Error; restart: boolean }) => void)[] = [];
  private restarting: NodeJS.Timeout | undefined;
  private restarts = 0;

  constructor(
    private readonly kafkaOptions: KafkaOptions,
    c: ConsumerOptions,
  ) {
    this.options = platformaticConsumerOptions(kafkaOptions, c);
    const session = c.sessionTimeoutMs ?? 30_000;
    this.group = { sessionTimeout: session, rebalanceTimeout: Math.max(session, 60_000), heartbeatInterval: heartbeatMs(c) };
  }

  private get(): PltConsumer<Buffer, Buffer, Buffer, Buffer> {
    if (this.consumer) return this.consumer;
    const consumer = new PltConsumer<Buffer, Buffer, Buffer, Buffer>(this.options);
    // The records are taken straight off the stream's fetch responses, in batches (with the partitions'
    // high watermarks, which the stream does not pass on); the stream gets the batches emptied of
    // records, so it still advances its fetch offsets but does not push one object per record (that
    // cost more CPU than the whole of kafkajs' consumer).
    const fetch = consumer.fetch.bind(consumer) as (o: unknown, cb: (e: Error | null, r: unknown) => void) => void;
    (consumer as unknown as { fetch: unknown }).fetch = (o: unknown, cb?: (e: Error | null, r: unknown) => void) => {
      if (!cb) return (fetch as unknown as (o: unknown) => Promise<unknown>)(o);
      fetch(o, (e, r) => {
        if (!e && r) this.takeFetched(o as FetchRequestLike, r as FetchLike);
        cb(e, r);
      });
    };
    consumer.on('consumer:group:join', (p) => this.onJoin(p.memberId, p.assignments ?? []));
    this.consumer = consumer;
    return consumer;
  }

  connect(): Promise<void> {
    return connectOrExplain(
      'consumer',
      parseBrokers(this.kafkaOptions.brokers),
      () => this.get().metadata({ topics: [] }),
      this.kafkaOptions.sasl?.username,
    );
  }

  async subscribe(o: { topics: string[]; fromBeginning?: boolean }): Promise<void> {
    this.topics = [...new Set([...this.topics, ...o.topics])];
    this.fromBeginning = o.fromBeginning ?? false;
  }

  async run(o: RunOptions): Promise<void> {
    if (this.topics.length === 0) throw new Error('the consumer has no topics: subscribe first');
    this.runOptions = { partitionsConcurrency: 1, autoCommitIntervalMs: 0, ...o };
    this.running = true;
    try {
      await this.startStream();
    } catch (err) {
      // like kafkajs' run(): a broker not ready yet (no coordinator, no leader) is retried in the background
      if (!retriableKafkaError(err)) {
        this.running = false;
        throw this.refused(err) ?? err;
      }
      this.crash(err as Error);
    }
    // stopped while the stream was being opened (a SIGTERM during the group join): no commit timer, which
    // nothing would clear and which kept the process alive after its shutdown
    if (this.runOptions.autoCommitIntervalMs > 0 && this.running) {
      this.commitTimer = setInterval(() => void this.commitHandled().catch(() => undefined), this.runOptions.autoCommitIntervalMs);
      this.commitTimer.unref();
    }
  }

  private async startStream(topics = this.topics): Promise<void> {
    const consumer = this.get();
    const md = await consumer.metadata({ topics: this.topics });
    this.topicIds = new Map([...md.topics].map(([name, t]) => [t.id, name]));
    const gen = this.generation;
    const stream = await consumer.consume({
      topics,
      mode: 'committed',
      fallbackMode: this.fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
      ...this.group,
      minBytes: this.options.minBytes,
      maxWaitTime: this.options.maxWaitTime,
      maxBytes: this.options.maxBytes,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
      isolationLevel: this.options.isolationLevel,
    });
    stream.on('data', (m: PltMessage<Buffer, Buffer, Buffer, Buffer>) => this.take(m));
    stream.on('error', (err: Error) => {
      if (this.streams.includes(stream)) this.crash(err);
    });
    if (!this.running || gen !== this.generation) {
      // stopped or crashed while this stream was being opened
      void stream.close().catch(() => undefined);
      return;
    }
    this.streams.push(stream);
    if (this.streamPaused) stream.pause();
  }

  async addTopics(topics: string[]): Promise<void> {
    const added = [...new Set(topics)].filter((t) => !this.topics.includes(t));
    if (added.length === 0) return;
    this.topics = [...this.topics, ...added];
    // not running, or restarting after a crash: the next stream reads every topic
    if (!this.running || this.streams.length === 0) return;
    try {
      await this.startStream(added);
    } catch (err) {
      this.crash(err as Error);
    }
  }

  private pauseStreams(): void {
    for (const s of this.streams) s.pause();
  }

  private resumeStreams(): void {
    for (const s of this.streams) s.resume();
  }

  private onJoin(memberId: string, assignments: { topic: string; partitions: number[] }[]): void {
    this.assigned = new Set(assignments.flatMap((a) => a.partitions.map((p) => `${a.topic}\u0000${p}`)));
    // a revoked partition's gathered records are dropped (its new owner reads them from the commit), and so
    // is where this member had read to: when the partition comes back (a join after a broker restart can
    // leave it out for a moment) the stream reads again from the commit, and none of it may be skipped
    for (const [k, s] of this.parts) {
      if (this.assigned.has(k)) continue;
      this.revoke(k, s);
    }
    const assignment: Record<string, number[]> = {};
    for (const a of assignments) assignment[a.topic] = [...a.partitions].sort((x, y) => x - y);
    for (const l of this.joinListeners) l({ memberId, assignment });
  }

  /** Forgets what was taken of a partition this member does not own (now): it is read again from the commit. */
  private revoke(key: string, s: PartitionState): void {
    this.buffered -= s.pending.length;
    s.pending = [];
    s.next = -1n;
    s.handled = -1n;
    s.committed = -1n;
    if (!s.busy) this.parts.delete(key);
  }

  private takeFetched(req: FetchRequestLike, r: FetchLike): void {
    if (!this.running || this.streams.length === 0) return; // the stream drops this response too
    const requested = new Map<string, bigint>();
    for (const t of req.topics ?? []) for (const p of t.partitions ?? []) requested.set(`${t.topicId}:${p.partition}`, p.fetchOffset);
    let taken = 0;
    for (const t of r.responses ?? []) {
      const topic = this.topicIds.get(t.topicId);
      if (!topic) continue;
      for (const p of t.partitions ?? []) {
        const key = `${topic}\u0000${p.partitionIndex}`;
        if (p.highWatermark >= 0n) this.highWatermarks.set(key, p.highWatermark);
        if (!p.records?.length) continue;
        // a fetch sent before a join that took the partition away: its records are its next owner's
        if (!this.assigned.has(key)) continue;
        let s = this.parts.get(key);
        if (!s) {
          s = { topic, partition: p.partitionIndex, pending: [], next: -1n, handled: -1n, committed: -1n, busy: false };
          this.parts.set(key, s);
        }
        const from = requested.get(`${t.topicId}:${p.partitionIndex}`) ?? -1n;
        const floor = s.next > from ? s.next : from;
        for (const batch of p.records) {
          const records = batch.records;
          batch.records = [];
          if (batch.attributes & IS_CONTROL) continue;
          for (const rec of records) {
            const offset = batch.firstOffset + BigInt(rec.offsetDelta);
            // a batch starts before the fetch offset, or was taken before a rebalance or restart
            if (offset < floor) continue;
            s.pending.push({
              key: rec.key ?? null,
              value: rec.value ?? null,
              headers: recordHeaders(rec.headers),
              offset: offset.toString(),
              timestamp: (batch.firstTimestamp + rec.timestampDelta).toString(),
            });
            s.next = offset + 1n;
            taken++;
          }
        }
      }
    }
    if (taken) this.buffered += taken;
    if (this.buffered >= MAX_BUFFERED && !this.streamPaused) {
      this.streamPaused = true;
      this.pauseStreams();
    }
    if (taken && !this.dispatchScheduled) {
      this.dispatchScheduled = true;
      setImmediate(() => {
        this.dispatchScheduled = false;
        this.dispatch();
      });
    }
  }

  private take(m: PltMessage<Buffer, Buffer, Buffer, Buffer>): void {
    const k = `${m.topic}\u0000${m.partition}`;
    if (!this.assigned.has(k)) return; // fetched before a join that took the partition away
    let s = this.parts.get(k);
    if (!s) {
      s = { topic: m.topic, partition: m.partition, pending: [], next: -1n, handled: -1n, committed: -1n, busy: false };
      this.parts.set(k, s);
    }
    if (m.offset < s.next) return; // fetched again after a rebalance or restart, already taken
    s.next = m.offset + 1n;
    s.pending.push({
      key: m.key ?? null,
      value: m.value ?? null,
      headers: consumedHeaders(m.headers),
      offset: m.offset.toString(),
      timestamp: m.timestamp.toString(),
    });
    this.buffered++;
    if (this.buffered >= MAX_BUFFERED && !this.streamPaused) {
      this.streamPaused = true;
      this.pauseStreams();
    }
    if (!this.dispatchScheduled) {
      this.dispatchScheduled = true;
      // after the rest of this fetch response was taken in
      setImmediate(() => {
        this.dispatchScheduled = false;
        this.dispatch();
      });
    }
  }

  private dispatch(): void {
    const max = this.runOptions?.partitionsConcurrency ?? 1;
    if (!this.running) return;
    for (const [k, s] of this.parts) {
      if (this.active >= max) break;
      if (s.busy || s.pending.length === 0 || this.pausedTopics.has(s.topic)) continue;
      // round robin: the partition started now goes to the back
      this.parts.delete(k);
      this.parts.set(k, s);
      this.handle(s);
    }
    if (this.streamPaused && this.buffered < MAX_BUFFERED / 2 && this.running) {
      this.streamPaused = false;
      this.resumeStreams();
    }
  }

  private handle(s: PartitionState): void {
    const messages = s.pending;
    s.pending = [];
    s.busy = true;
    this.active++;
    this.buffered -= messages.length;
    const gen = this.generation;
    const key = `${s.topic}\u0000${s.partition}`;
    const hw = this.highWatermarks.get(key);
    const batch: ConsumedBatch = {
      topic: s.topic,
      partition: s.partition,
      highWatermark: hw === undefined ? '-1' : hw.toString(),
      messages,
    };
    // A batch counts as handled only when the app was never told to give it up (see BatchContext) and
    // the partition is still this member's: a batch skipped while its partition was away for a moment
    // must not move the commit past its records.
    const stale = () => gen !== this.generation || !this.assigned.has(key);
    const ctx = observedContext({ isRunning: () => this.running, isStale: stale, heartbeat: () => Promise.resolve() });
    this.runOptions!.eachBatch(batch, ctx).then(
      () => {
        if (!ctx.gaveUp() && !stale()) s.handled = BigInt(messages[messages.length - 1].offset) + 1n;
        this.finished(s);
      },
      (err: unknown) => {
        this.finished(s);
        if (gen === this.generation) this.crash(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  private finished(s: PartitionState): void {
    s.busy = false;
    this.active--;
    if (!this.assigned.has(`${s.topic}\u0000${s.partition}`) && s.pending.length === 0 && s.handled <= s.committed) {
      this.parts.delete(`${s.topic}\u0000${s.partition}`);
    }
    if (this.active === 0) for (const w of this.idle.splice(0)) w();
    this.dispatch();
  }

  /** Commits the handled offsets not committed yet (of partitions still assigned). */
  private commitHandled(): Promise<void> {
    if (this.commitInFlight) return this.commitInFlight;
    const todo = [...this.parts.values()].filter((s) => s.handled > s.committed && this.assigned.has(`${s.topic}\u0000${s.partition}`));
    if (todo.length === 0 || !this.consumer) return Promise.resolve();
    const offsets = todo.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.handled, leaderEpoch: -1 }));
    this.commitInFlight = this.consumer
      .commit({ offsets })
      .then(() => {
        for (let i = 0; i < todo.length; i++) if (offsets[i].offset > todo[i].committed) todo[i].committed = offsets[i].offset;
      })
      .finally(() => {
        this.commitInFlight = undefined;
      });
    return this.commitInFlight;
  }

  async commitOffsets(offsets: OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    const consumer = this.get();
    if (offsets.some((o) => o.metadata !== undefined)) return commitWithMetadata(consumer, offsets);
    await consumer.commit({
      offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })),
    });
  }

  pause(topics: string[]): void {
    for (const t of topics) this.pausedTopics.add(t);
    if (this.topics.every((t) => this.pausedTopics.has(t)) && !this.streamPaused) {
      this.streamPaused = true;
      this.pauseStreams();
    }
  }

  resume(topics: string[]): void {
    for (const t of topics) this.pausedTopics.delete(t);
    this.dispatch();
    if (this.streamPaused && this.buffered < MAX_BUFFERED / 2) {
      this.streamPaused = false;
      this.resumeStreams();
    }
  }

  onGroupJoin(listener: (e: GroupJoin) => void): void {
    this.joinListeners.push(listener);
  }

  onCrash(listener: (e: { error: Error; restart: boolean }) => void): void {
    this.crashListeners.push(listener);
  }

  /** A failed stream or handler: start again from the committed offsets, with backoff. */
  /** A refusal of this consumer (its login, its group, its topics) as a KafkaRefusedError naming them. */
  private refused(err: unknown) {
    return refusedError(err, { user: this.kafkaOptions.sasl?.username, group: this.options.groupId, topics: this.topics });
  }

  private crash(error: Error): void {
    if (!this.running) return;
    const refused = this.refused(error);
    if (refused) {
      // never fixes itself: the app is told to stop (restart false), nothing is retried
      this.running = false;
      this.generation++;
      if (this.restarting) clearTimeout(this.restarting);
      if (this.commitTimer) clearInterval(this.commitTimer);
      const old = this.streams;
      this.streams = [];
      for (const s of old) void s.close().catch(() => undefined);
      for (const l of this.crashListeners) l({ error: refused, restart: false });
      return;
    }
    this.generation++;
    const old = this.streams;
    this.streams = [];
    for (const s of this.parts.values()) {
      this.buffered -= s.pending.length;
      s.pending = [];
      s.next = -1n;
    }
    for (const l of this.crashListeners) l({ error, restart: true });
    for (const s of old) void s.close().catch(() => undefined);
    const delay = streamRestartDelayMs(++this.restarts);
    this.restarting = setTimeout(() => {
      this.restarting = undefined;
      if (!this.running) return;
      this.startStream().then(
        () => {
          this.restarts = 0;
        },
        (err: Error) => this.crash(err),
      );
    }, delay);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.pauseStreams();
    this.streamPaused = true;
    if (this.restarting) clearTimeout(this.restarting);
    if (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.commitTimer) clearInterval(this.commitTimer);
    if (this.runOptions?.autoCommitIntervalMs) await this.commitHandled().catch(() => undefined);
    const streams = this.streams;
    this.streams = [];
    await Promise.all(streams.map((s) => s.close().catch(() => undefined)));
  }

  async disconnect(): Promise<void> {
    await this.stop();
    const c = this.consumer;
    this.consumer = undefined;
    if (!c || c.closed) return;
    // Leaves the group (a restarted app gets the partitions at once, not after the session timeout).
    // With the coordinator away the leave cannot be sent: the member then expires after its session
    // timeout; the heartbeats stopped already, so this process never holds two live members.
    const closed = new Promise<void>((resolve, reject) => c.close(true, (err) => (err ? reject(err) : resolve())));
    await withTimeout(closed, DISCONNECT_TIMEOUT_MS, 'leaving the consumer group');
  }
}

/**
 * An OffsetCommit with metadata, as the group member `consumer` is now (its generation and member id),
 * sent to the group's coordinator. @platformatic/kafka 1.35's `commit` always sends null metadata, so
 * the request is made here with the client's own OffsetCommit API (v9, or v8 on older brokers) over its
 * connection pool: same encoding, TLS and SASL as the rest. A broker error (a rebalance under way: the
 * generation is stale) rejects with the client's ResponseError, as `commit` would.
 */
async function commitWithMetadata(consumer: PltConsumer<Buffer, Buffer, Buffer, Buffer>, offsets: OffsetToCommit[]): Promise<void> {
  if (!consumer.memberId) throw new Error(`cannot commit offsets of group ${consumer.groupId}: the consumer has not joined it`);
  const topics = new Map<
    string,
    {
      name: string;
      partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[];
    }
  >();
  for (const o of offsets) {
    let t = topics.get(o.topic);
    if (!t) topics.set(o.topic, (t = { name: o.topic, partitions: [] }));
    t.partitions.push({
      partitionIndex: o.partition,
      committedOffset: BigInt(o.offset),
      committedLeaderEpoch: -1,
      committedMetadata: o.metadata ?? null,
    });
  }
  const versions = (await consumer.listApis()).find((a) => a.name === 'OffsetCommit');
  const api = versions && versions.maxVersion >= 9 && versions.minVersion <= 9 ? offsetCommitV9.api : offsetCommitV8.api;
  const coordinator = await consumer.findGroupCoordinator();
  const connection = (await consumer.connectToBrokers([coordinator])).get(coordinator);
  if (!connection)
    throw new Error(`cannot commit offsets of group ${consumer.groupId}: no connection to its coordinator (broker ${coordinator})`);
  await api.async(connection, consumer.groupId, consumer.generationId, consumer.memberId, null, [...topics.values()]);
}

/** `ctx` that remembers whether the app was ever told the batch is stale or the consumer stopping. */
export function observedContext(ctx: BatchContext): BatchContext & { gaveUp(): boolean } {
  let gaveUp = false;
  return {
    isRunning: () => {
      const r = ctx.isRunning();
      if (!r) gaveUp = true;
      return r;
    },
    isStale: () => {
      const st = ctx.isStale();
      if (st) gaveUp = true;
      return st;
    },
    heartbeat: () => ctx.heartbeat(),
    gaveUp: () => gaveUp,
  };
}

/** How long a disconnect may wait for the group leave (a broker that is down is not waited for). */
const DISCONNECT_TIMEOUT_MS = 5000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

interface FetchLike {
  responses?: {
    topicId: string;
    partitions?: { partitionIndex: number; highWatermark: bigint; records?: RecordsBatch[] }[];
  }[];
}

interface FetchRequestLike {
  topics?: { topicId: string; partitions?: { partition: number; fetchOffset: bigint }[] }[];
}

/** A record's header pairs as {@link ConsumedHeaders} (undefined when there are none). */
export function recordHeaders(h: [Buffer | null, Buffer | null][] | undefined): ConsumedHeaders | undefined {
  return h && h.length > 0 ? headersOf(h) : undefined;
}

function kafkajsConsumer(opts: KafkaOptions, c: ConsumerOptions): EfdConsumer {
  const consumer: KjsConsumer = createKafka(opts).consumer({
    groupId: c.groupId,
    sessionTimeout: c.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: heartbeatMs(c),
    maxWaitTimeInMs: c.maxWaitTimeMs ?? 500,
    minBytes: c.minBytes ?? 1,
    maxBytesPerPartition: c.maxBytesPerPartition ?? 1024 * 1024,
    maxBytes: c.maxBytes ?? 10 * 1024 * 1024,
    allowAutoTopicCreation: false,
  });
  return {
    client: 'kafkajs',
    addsTopicsLive: false,
    addTopics: () => Promise.reject(new Error('kafkajs cannot subscribe a running consumer to more topics: restart it')),
    connect: () => connectOrExplain('consumer', parseBrokers(opts.brokers), () => consumer.connect(), opts.sasl?.username),
    subscribe: (o) => consumer.subscribe({ topics: o.topics, fromBeginning: o.fromBeginning ?? false }),
    run: (o) =>
      consumer.run({
        autoCommit: (o.autoCommitIntervalMs ?? 0) > 0,
        autoCommitInterval: o.autoCommitIntervalMs || null,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: o.partitionsConcurrency ?? 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          const ctx = observedContext({ isRunning, isStale, heartbeat });
          await o.eachBatch(
            {
              topic: batch.topic,
              partition: batch.partition,
              highWatermark: batch.highWatermark,
              messages: batch.messages as unknown as ConsumedMessage[],
            },
            ctx,
          );
          // a batch the app gave up was not handled: its offset is not resolved
          if (ctx.gaveUp() || isStale()) return;
          resolveOffset(batch.messages[batch.messages.length - 1].offset);
          await heartbeat();
        },
      }),
    commitOffsets: (offsets) => consumer.commitOffsets(offsets),
    pause: (topics) => consumer.pause(topics.map((topic) => ({ topic }))),
    resume: (topics) => consumer.resume(topics.map((topic) => ({ topic }))),
    stop: () => consumer.stop(),
    disconnect: () => consumer.disconnect(),
    onGroupJoin(listener) {
      consumer.on(consumer.events.GROUP_JOIN, (e) => listener({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }));
    },
    onCrash(listener) {
      consumer.on(consumer.events.CRASH, (e) => {
        const refused = refusedError(e.payload.error, { user: opts.sasl?.username, group: c.groupId });
        // kafkajs restarts on a retriable error; a refusal never is one (its consumer stops by itself otherwise)
        listener(refused ? { error: refused, restart: false } : { error: e.payload.error, restart: e.payload.restart });
      });
    },
  };
}
