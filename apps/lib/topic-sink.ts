/**
 * What the sinks (influxdb-sink, parquet-sink) share around their batch handling: a
 * {@link TopicConsumer} that follows the matching topics in one group, and the dead-letter producer.
 *
 *  - the dead-letter topic must not match the topics regex (the sink would consume its own dead letters);
 *  - `start` connects the dead-letter producer, then starts consuming; `stop` stops consuming (the
 *    sink's `drain` finishes what was handed over), then disconnects the producer;
 *  - healthy while not stopped and the consumer runs (or waits for its first topic);
 *  - a refusal (the user's login, an ACL it lacks, of the consumer or the dead-letter producer) resolves
 *    {@link TopicSink.fatal} with the error naming the user, the resource and the operation: the app exits.
 */
import type { Counter, Gauge } from 'prom-client';
import { deadLetterMessages, type DeadRecord } from './dead-letter';
import { createProducer, type EfdProducer, type KafkaOptions } from './kafka';
import { refusedError, type KafkaRefusedError } from './kafka-refusal';
import type { BatchContext, ConsumedBatch, ConsumerOptions, EfdConsumer } from './kafka-consumer';
import type { Logger } from './logging';
import { TopicConsumer } from './topic-consumer';

export interface TopicSinkOptions {
  /** The app's name (the dead letters' `efd.dlq.app` header). */
  app: string;
  kafka: KafkaOptions;
  logger: Logger;
  /** Whole-name regex of the topics to consume. */
  topicsRegex: string;
  groupId: string;
  /** Dead-letter topic (must not match topicsRegex). */
  deadLetterTopic: string;
  partitionsConcurrency: number;
  topicRefreshMs: number;
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  /** Set to the number of topics consumed. */
  topics: Gauge;
  /** Counts the dead letters produced, by reason. */
  deadLetters: Counter<'reason'>;
}

/** The fetch settings a sink chooses (the broker holds a fetch 250 ms unless it says otherwise). */
export type SinkFetchOptions = Omit<ConsumerOptions, 'groupId' | 'sessionTimeoutMs'>;

export abstract class TopicSink {
  /** Follows the matching topics (the consumer, its restarts and its group membership). */
  readonly follower: TopicConsumer;
  private producer: EfdProducer | undefined;
  protected stopped = false;
  /** Resolves with the refusal that stopped the sink (never while Kafka lets it work). */
  readonly fatal: Promise<KafkaRefusedError>;
  private refused: ((e: KafkaRefusedError) => void) | undefined;

  constructor(
    private readonly sink: TopicSinkOptions,
    fetch: SinkFetchOptions,
  ) {
    this.fatal = new Promise((resolve) => (this.refused = resolve));
    this.follower = new TopicConsumer({
      kafka: sink.kafka,
      consumer: { groupId: sink.groupId, sessionTimeoutMs: sink.sessionTimeoutMs, maxWaitTimeMs: 250, ...fetch },
      topicsRegex: sink.topicsRegex,
      fromBeginning: sink.fromBeginning,
      partitionsConcurrency: sink.partitionsConcurrency,
      topicRefreshMs: sink.topicRefreshMs,
      logger: sink.logger,
      eachBatch: (consumer, batch, ctx) => this.handleBatch(consumer, batch, ctx),
      drain: (c) => this.drain(c),
      onRestart: () => this.onRestart(),
      onTopics: (topics) => sink.topics.set(topics.length),
      onFatal: (e) => this.refused?.(e),
    });
    if (this.follower.matchesTopic(sink.deadLetterTopic))
      throw new Error(`dead-letter topic ${sink.deadLetterTopic} matches the topics regex ${sink.topicsRegex}; choose another`);
  }

  /** One fetched batch of one partition (the sink commits its offsets with `consumer.commitOffsets`). */
  protected abstract handleBatch(consumer: EfdConsumer, batch: ConsumedBatch, ctx: BatchContext): Promise<void>;

  /** Before `consumer` stops: finish (write + commit) what was handed over while the group membership still holds. */
  protected abstract drain(consumer: EfdConsumer): Promise<void>;

  /** Before a restart from the committed offsets: forget what was buffered (it is read again). */
  protected onRestart(): void {
    // nothing buffered by default
  }

  /** Topics consumed now. */
  get subscribed(): string[] {
    return this.follower.subscribed;
  }

  /** Healthy while the consumer runs (or waits for its first topic). */
  health(): { ok: boolean; reason?: string } {
    if (this.stopped) return { ok: false, reason: 'stopped' };
    return this.follower.health();
  }

  async start(): Promise<void> {
    this.producer = createProducer(this.sink.kafka);
    await this.producer.connect();
    await this.follower.start();
  }

  /** Looks for matching topics now (else every `topicRefreshMs`). */
  refresh(): Promise<void> {
    return this.follower.refresh();
  }

  /** Produces `dead` (all from `topic`/`partition`) to the dead-letter topic and counts them. */
  protected async produceDeadLetters(topic: string, partition: number, dead: readonly DeadRecord[]): Promise<void> {
    if (!this.producer) throw new Error('sink not started');
    try {
      await this.producer.sendBatch({
        topicMessages: [
          {
            topic: this.sink.deadLetterTopic,
            messages: deadLetterMessages(this.sink.app, topic, partition, dead),
          },
        ],
      });
    } catch (err) {
      const refused = refusedError(err, { user: this.sink.kafka.sasl?.username, topics: [this.sink.deadLetterTopic] });
      if (refused) this.refused?.(refused);
      throw refused ?? err;
    }
    for (const d of dead) this.sink.deadLetters.inc({ reason: d.reason });
  }

  /** Stops consuming (after the sink's `drain`), then disconnects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.follower.stop();
    await this.producer?.disconnect().catch(() => undefined);
  }
}
