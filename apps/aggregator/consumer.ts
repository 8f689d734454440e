/**
 * The aggregator's Kafka consumer, in one module, on the apps' clients (apps/lib/kafka-consumer's
 * createConsumer and apps/lib/kafka-admin's createAdmin, as saltransform and the influxdb-sink use):
 * batches per partition, offsets committed by the caller with metadata (never auto-committed), the
 * committed offset and metadata of a partition read back through the admin client.
 */
import { createAdmin, type EfdAdmin, type NewTopic } from '../lib/kafka-admin';
import { createConsumer, type EfdConsumer } from '../lib/kafka-consumer';
import type { KafkaOptions } from '../lib/kafka';
import { KafkaRefusedError } from '../lib/kafka-refusal';
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
  kafka: KafkaOptions;
  groupId: string;
  logger: Logger;
  sessionTimeoutMs: number;
  concurrency: number;
  fromBeginning: boolean;
  /** Processes one batch; resolves once its outputs are acknowledged, with the commit to make (or none). */
  onBatch: (b: PartitionBatch, heartbeat: () => Promise<void>) => Promise<{ offset: string; metadata: string } | undefined>;
  /** Kafka refused the user (its group, its topics): not restarted, the app should exit. */
  onRefused?: (e: KafkaRefusedError) => void;
}

/** A consumer group member over a fixed topic list (restarted by the caller when the list changes). */
export class AggregatorConsumer {
  private consumer: EfdConsumer | undefined;
  private admin: EfdAdmin | undefined;
  running = false;

  constructor(private readonly o: AggregatorConsumerOptions) {}

  private async connectedAdmin(): Promise<EfdAdmin> {
    if (!this.admin) {
      const admin = createAdmin(this.o.kafka);
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  async start(topics: string[]): Promise<void> {
    const { logger } = this.o;
    await this.connectedAdmin();
    const consumer = createConsumer(this.o.kafka, {
      groupId: this.o.groupId,
      maxWaitTimeMs: 250,
      sessionTimeoutMs: this.o.sessionTimeoutMs,
      heartbeatIntervalMs: Math.min(3000, Math.floor(this.o.sessionTimeoutMs / 3)),
    });
    this.consumer = consumer;
    consumer.onCrash((e) => {
      this.running = false;
      logger.error({ err: e.error?.message, restart: e.restart }, `consumer crashed: ${e.error?.message}`);
      if (e.error instanceof KafkaRefusedError) this.o.onRefused?.(e.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.o.fromBeginning });
    await consumer.run({
      autoCommitIntervalMs: 0,
      partitionsConcurrency: this.o.concurrency,
      eachBatch: async (batch, { heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const commit = await this.o.onBatch(batch, () => heartbeat().catch(() => undefined));
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
      },
    });
    this.running = true;
  }

  /** The group's committed offset and metadata of a partition. */
  async committed(topic: string, partition: number): Promise<Committed> {
    if (!this.admin) throw new Error('consumer not started');
    const offsets = await this.admin.groupOffsets(this.o.groupId, [topic]);
    const p = offsets.find((x) => x.topic === topic && x.partition === partition);
    return { offset: BigInt(p?.offset ?? '-1'), metadata: p?.metadata ?? null };
  }

  /** Partition count of each topic. */
  async partitions(topics: string[]): Promise<Map<string, number>> {
    if (!this.admin) throw new Error('consumer not started');
    const md = await this.admin.topicPartitions(topics);
    return new Map(md.map((t) => [t.topic, t.partitions.length]));
  }

  async listTopics(): Promise<string[]> {
    return (await this.connectedAdmin()).listTopics();
  }

  /** Creates those of the topics that do not exist yet (waiting for their leaders); returns the ones it created. */
  async createTopics(topics: NewTopic[]): Promise<string[]> {
    if (!this.admin) throw new Error('consumer not started');
    return this.admin.createTopics(topics);
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
