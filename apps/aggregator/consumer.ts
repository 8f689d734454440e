/**
 * The aggregator's Kafka consumer, in one module (the apps' consumer code path of today: a kafkajs
 * consumer from apps/lib/kafka's createKafka, as saltransform and the influxdb-sink use): batches per
 * partition, offsets committed by the caller with metadata (never auto-committed), the committed offset
 * and metadata of a partition read back through the admin client.
 */
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../lib/logging';

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: { key: Buffer | null; value: Buffer | null; offset: string; timestamp: string }[];
}

export interface Committed {
  /** -1 when the group has no offset for the partition. */
  offset: bigint;
  metadata: string | null;
}

export interface AggregatorConsumerOptions {
  kafka: Kafka;
  groupId: string;
  logger: Logger;
  sessionTimeoutMs: number;
  concurrency: number;
  fromBeginning: boolean;
  /** Processes one batch; resolves once its outputs are acknowledged, with the commit to make (or none). */
  onBatch: (b: PartitionBatch, heartbeat: () => Promise<void>) => Promise<{ offset: string; metadata: string } | undefined>;
}

/** A consumer group member over a fixed topic list (restarted by the caller when the list changes). */
export class AggregatorConsumer {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  running = false;

  constructor(private readonly o: AggregatorConsumerOptions) {}

  async start(topics: string[]): Promise<void> {
    const { kafka, logger } = this.o;
    this.admin ??= kafka.admin();
    await this.admin.connect();
    const consumer = kafka.consumer({
      groupId: this.o.groupId,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      sessionTimeout: this.o.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.o.sessionTimeoutMs / 3)),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      this.running = false;
      logger.error({ err: e.payload.error?.message, restart: e.payload.restart }, `consumer crashed: ${e.payload.error?.message}`);
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.o.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.concurrency,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const commit = await this.o.onBatch(batch, () => heartbeat().catch(() => undefined));
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        if (commit) {
          try {
            await consumer.commitOffsets([
              { topic: batch.topic, partition: batch.partition, offset: commit.offset, metadata: commit.metadata },
            ]);
          } catch (err) {
            // A rebalance under way: whoever owns the partition next reads it again from the last commit
            // (the aggregator rebuilds its windows from there); the outputs since then come again, equal.
            logger.warn(
              { topic: batch.topic, partition: batch.partition, err: (err as Error).message },
              `offset commit failed (${(err as Error).message}); the partition is read again from its last commit`,
            );
          }
        }
        // (kafkajs heartbeats after the batch; a rebalance it reports there makes it re-join)
      },
    });
    this.running = true;
  }

  /** The group's committed offset and metadata of a partition. */
  async committed(topic: string, partition: number): Promise<Committed> {
    if (!this.admin) throw new Error('consumer not started');
    const [t] = await this.admin.fetchOffsets({ groupId: this.o.groupId, topics: [topic] });
    const p = t?.partitions.find((x) => x.partition === partition);
    return { offset: BigInt(p?.offset ?? '-1'), metadata: p?.metadata ?? null };
  }

  /** Partition count of each topic. */
  async partitions(topics: string[]): Promise<Map<string, number>> {
    if (!this.admin) throw new Error('consumer not started');
    const md = await this.admin.fetchTopicMetadata({ topics });
    return new Map(md.topics.map((t) => [t.name, t.partitions.length]));
  }

  async listTopics(): Promise<string[]> {
    this.admin ??= this.o.kafka.admin();
    await this.admin.connect();
    return this.admin.listTopics();
  }

  get adminClient(): Admin {
    if (!this.admin) throw new Error('consumer not started');
    return this.admin;
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    this.running = false;
    // a crashed consumer's disconnect can hang on its coordinator: bounded
    if (c) await Promise.race([c.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}
