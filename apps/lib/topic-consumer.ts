/**
 * The topic-following consumer of the sinks: consumes every topic whose name matches a regex, in one
 * consumer group, and follows the topic list as it changes.
 *
 *  - every `topicRefreshMs` the topics are listed; a new matching topic is added to the running
 *    consumer ({@link EfdConsumer.addTopics}: one short rebalance, the other topics are not stopped),
 *    with kafkajs (which cannot subscribe a running consumer) and when a topic disappeared the consumer
 *    is restarted on the new list (same group: committed offsets carry over);
 *  - a consumer that failed for good, or that the app asks to restart ({@link TopicConsumer.restart}:
 *    a batch it could not store), is stopped and started again from the committed offsets, after 1 s,
 *    and again on every refresh while it does not run (a broker that is down is retried, never fatal);
 *  - a refusal (the user's login, or an ACL it lacks: {@link KafkaRefusedError}) is fatal: following stops
 *    and `onFatal` gets the error naming the user, the resource and the operation, once;
 *  - before a consumer stops, the app's `drain` finishes (writes and commits) what was handed over,
 *    while the group membership still holds; `stop` (SIGTERM) then leaves the group, so a restarted
 *    app gets its partitions back at once.
 *
 * One consumer (one group member) per process at any time: a new one is created only after the old
 * one was stopped and disconnected.
 */
import { createAdmin, type EfdAdmin } from './kafka-admin';
import { createConsumer, type BatchContext, type ConsumedBatch, type ConsumerOptions, type EfdConsumer } from './kafka-consumer';
import type { KafkaOptions } from './kafka';
import { refusedError, type KafkaRefusedError } from './kafka-refusal';
import type { Logger } from './logging';
import { topicMatcher } from './topic-regex';

export interface TopicConsumerOptions {
  kafka: KafkaOptions;
  /** Group and fetch settings of the consumer. */
  consumer: ConsumerOptions;
  /** Whole-name regex of the topics to consume. */
  topicsRegex: string;
  /** Read a newly seen topic (no committed offset) from its beginning. */
  fromBeginning: boolean;
  partitionsConcurrency: number;
  /** How often the topics are listed. */
  topicRefreshMs: number;
  logger: Logger;
  /** A fetched batch of one partition (offsets are committed by the app with `consumer.commitOffsets`). */
  eachBatch(consumer: EfdConsumer, batch: ConsumedBatch, ctx: BatchContext): Promise<void>;
  /** Before `consumer` stops: finish and commit what was handed over (its batches are paused). */
  drain(consumer: EfdConsumer): Promise<void>;
  /** Before a restart from the committed offsets: forget what was buffered (it is read again). */
  onRestart?(): void;
  /** The topics consumed changed (metrics). */
  onTopics?(topics: string[]): void;
  /** Kafka refused the user (login or ACL): the consumer is stopped and not retried; the app should exit. */
  onFatal?(err: KafkaRefusedError): void;
}

/** How long after a failure the consumer is started again. */
const RESTART_DELAY_MS = 1000;

export class TopicConsumer {
  private readonly matches: (t: string) => boolean;
  private admin: EfdAdmin | undefined;
  private consumer: EfdConsumer | undefined;
  private running = false;
  private topics: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartWanted = false;
  private stopped = false;
  private failed: KafkaRefusedError | undefined;
  private listFailing = false;
  /** Consumers started (the first one and every restart), for tests and logs. */
  consumersStarted = 0;

  constructor(private readonly o: TopicConsumerOptions) {
    this.matches = topicMatcher(o.topicsRegex);
  }

  /** Whether a topic name matches the regex. */
  matchesTopic(topic: string): boolean {
    return this.matches(topic);
  }

  /** Topics consumed now. */
  get subscribed(): string[] {
    return [...this.topics];
  }

  /** Healthy while the consumer runs (or there is no topic yet). */
  health(): { ok: boolean; reason?: string } {
    if (this.failed) return { ok: false, reason: this.failed.message };
    if (this.stopped) return { ok: false, reason: 'stopped' };
    if (this.topics.length && !this.running) return { ok: false, reason: 'consumer not running' };
    return { ok: true };
  }

  /** Connects the admin client and starts consuming the matching topics (a broker that is down fails here). */
  async start(): Promise<void> {
    this.admin = createAdmin(this.o.kafka);
    await this.admin.connect();
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.o.topicRefreshMs);
  }

  /** Lists the topics and follows the changes; starts the consumer again if it does not run. Serialized, never rejects. */
  refresh(): Promise<void> {
    this.chain = this.chain
      .then(() => this.step())
      .catch((err: Error) => {
        if (this.fail(err)) return;
        this.o.logger.warn({ err: err.message }, `consumer not started (${err.message}); trying again in ${this.o.topicRefreshMs} ms`);
      });
    return this.chain;
  }

  /** When `err` is a refusal: stops following for good and tells the app (once); true then. */
  private fail(err: unknown): boolean {
    const refused = refusedError(err, { user: this.o.kafka.sasl?.username, group: this.o.consumer.groupId, topics: this.topics });
    if (!refused) return false;
    if (this.failed) return true;
    this.failed = refused;
    if (this.timer) clearInterval(this.timer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.timer = this.restartTimer = undefined;
    this.running = false;
    this.o.logger.error(
      { err: refused.message, user: refused.user, operation: refused.operation, resources: refused.resources },
      refused.message,
    );
    this.o.onFatal?.(refused);
    return true;
  }

  /** Stops the consumer and starts it again from the committed offsets, soon (once, however often asked). */
  restart(): void {
    if (this.stopped || this.failed || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restartWanted = true;
      this.o.onRestart?.();
      void this.refresh();
    }, RESTART_DELAY_MS);
  }

  private async step(): Promise<void> {
    if (this.stopped || this.failed || !this.admin) return;
    let all: string[];
    try {
      all = await this.admin.listTopics();
      if (this.listFailing) this.o.logger.info('listing topics works again');
      this.listFailing = false;
    } catch (err) {
      if (this.fail(err)) return;
      if (!this.listFailing)
        this.o.logger.warn({ err: (err as Error).message }, 'listing topics failed; keeping the current subscription until it works again');
      this.listFailing = true;
      return;
    }
    const next = all.filter(this.matches).sort();
    const added = next.filter((t) => !this.topics.includes(t));
    const removed = this.topics.filter((t) => !next.includes(t));
    if (!this.restartWanted && added.length === 0 && removed.length === 0 && (this.running || next.length === 0)) return;
    const c = this.consumer;
    if (c && this.running && !this.restartWanted && removed.length === 0 && c.addsTopicsLive) {
      this.o.logger.info(
        { topics: next.length, added: added.slice(0, 20), addedCount: added.length },
        `consuming ${added.length} more topic(s) matching /${this.o.topicsRegex}/ (${next.length} in all)`,
      );
      await c.addTopics(added);
      this.setTopics(next);
      return;
    }
    this.restartWanted = false;
    this.o.logger.info(
      { topics: next.length, added: added.slice(0, 20), addedCount: added.length, removed: removed.slice(0, 20) },
      `consuming ${next.length} topic(s) matching /${this.o.topicsRegex}/`,
    );
    await this.stopConsumer();
    this.setTopics(next);
    if (next.length) await this.startConsumer(next);
  }

  private setTopics(topics: string[]): void {
    this.topics = topics;
    this.o.onTopics?.(topics);
  }

  private async startConsumer(topics: string[]): Promise<void> {
    const consumer = createConsumer(this.o.kafka, this.o.consumer);
    this.consumer = consumer;
    this.consumersStarted++;
    consumer.onCrash((e) => {
      if (consumer !== this.consumer) return;
      if (this.fail(e.error)) {
        this.consumer = undefined;
        void consumer.disconnect().catch(() => undefined);
        return;
      }
      this.o.logger.warn(
        { err: e.error?.message, restart: e.restart },
        `consumer failed (${e.error?.message}); ${e.restart ? 'it restarts by itself' : 'restarting it'}`,
      );
      if (!e.restart) {
        this.running = false;
        this.restart();
      }
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: this.o.fromBeginning });
      await consumer.run({
        // offsets are committed by the app once what it handed over is stored
        autoCommitIntervalMs: 0,
        partitionsConcurrency: this.o.partitionsConcurrency,
        eachBatch: (batch, ctx) => this.o.eachBatch(consumer, batch, ctx),
      });
    } catch (err) {
      // never two members: this one is gone before the next refresh creates another
      this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    this.running = true;
  }

  private async stopConsumer(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    this.running = false;
    if (!c) return;
    try {
      // kafkajs throws when the consumer is not in its group (it is rejoining): nothing to pause then
      try {
        c.pause(this.topics);
      } catch {
        /* not in the group */
      }
      await this.o.drain(c);
      await c.stop();
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, `stopping the consumer: ${(err as Error).message}`);
    } finally {
      await c.disconnect().catch((err: Error) => this.o.logger.warn({ err: err.message }, `consumer disconnect: ${err.message}`));
    }
  }

  /** Stops following, drains and stops the consumer (leaving the group), and disconnects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearInterval(this.timer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.chain;
    this.stopped = true;
    await this.stopConsumer();
    await this.admin?.disconnect().catch(() => undefined);
  }
}
