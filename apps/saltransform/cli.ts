/**
 * `efd saltransform` — SAL text → Avro transformer (also the container entrypoint: `efd saltransform …`).
 * Every flag has an environment variable (shown in --help); flags win.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { startAppRuntime } from '../lib/app';
import {
  addKafkaOptions,
  addRegistryOption,
  ConfigError,
  consumerGroupSettings,
  GROUP_KEYS,
  givenFlags,
  KAFKA_ENV,
  kafkaConfigShape,
  kafkaOptionsFrom,
  loadConfig,
  producerSettings,
  REGISTRY_ENV,
  zBool,
  zInt,
  zList,
} from '../lib/config';
import { BatchSender, createProducer, retriableKafkaError } from '../lib/kafka';
import { kafkaRefusal, KafkaRefusedError } from '../lib/kafka-refusal';
import { createAdmin, EfdAdmin } from '../lib/kafka-admin';
import { createConsumer } from '../lib/kafka-consumer';
import { Logger } from '../lib/logging';
import { backoffDelayMs, retry, sleep } from '../lib/retry';
import { createRegistry } from '../lib/registry';
import { RAW_KIND, rawTopicOf } from '../lib/sal/sal-text';
import type { TopicKind } from '../lib/sal/ts-xml';
import { processBatch, saltransformMetrics } from './run';
import { SalTransformer } from './transform';

const GROUP = consumerGroupSettings('SALTRANSFORM', { group: 'saltransform' }, [...GROUP_KEYS, 'sessionTimeoutMs']);
const PRODUCER = producerSettings({ lingerMs: 2, created: 'raw topics' });

export const saltransformSchema = z.object({
  ...kafkaConfigShape,
  clientId: z.string().min(1).default('saltransform'),
  registry: z.string({ error: 'required: schema registry URL' }).min(1),
  subsystems: zList.optional(),
  topics: zList.optional(),
  topicPrefix: z.string().default(''),
  subjectPrefix: z.string().optional(),
  ...GROUP.shape,
  ...PRODUCER.shape,
  dlqTopic: z.string().min(1).optional(),
  unknownTopicRecheckMs: zInt().default(30_000),
  createTopics: zBool.default(true),
  partitions: zInt(1).default(1),
});
export type SaltransformConfig = z.output<typeof saltransformSchema>;

export const SALTRANSFORM_ENV = {
  ...KAFKA_ENV,
  ...REGISTRY_ENV,
  subsystems: 'SALTRANSFORM_SUBSYSTEMS',
  topics: 'SALTRANSFORM_TOPICS',
  topicPrefix: 'SALTRANSFORM_TOPIC_PREFIX',
  subjectPrefix: 'SALTRANSFORM_SUBJECT_PREFIX',
  ...GROUP.env,
  dlqTopic: 'SALTRANSFORM_DLQ_TOPIC',
  createTopics: 'SALTRANSFORM_CREATE_TOPICS',
  partitions: 'SALTRANSFORM_PARTITIONS',
} as const;

export function saltransformConfig(
  flags: Record<string, unknown>,
  env: Record<string, string | undefined> = process.env,
): SaltransformConfig {
  const selection = `--subsystems (env ${SALTRANSFORM_ENV.subsystems}) or --topics (env ${SALTRANSFORM_ENV.topics}): say which raw SAL topics to consume`;
  let c: SaltransformConfig;
  try {
    c = loadConfig(saltransformSchema, flags, SALTRANSFORM_ENV, env);
  } catch (err) {
    const noSelection = !flags.subsystems && !flags.topics && !env[SALTRANSFORM_ENV.subsystems] && !env[SALTRANSFORM_ENV.topics];
    if (err instanceof ConfigError && noSelection) throw new ConfigError(`${err.message}\n  ${selection}`);
    throw err;
  }
  if (!c.subsystems?.length && !c.topics?.length) throw new ConfigError(`invalid configuration:\n  ${selection}`);
  return c;
}

/** Raw topics to consume: explicit `topics`, plus `<prefix><Subsystem>_{commands,events,telemetry}` per subsystem. */
export function rawTopics(c: Pick<SaltransformConfig, 'subsystems' | 'topics' | 'topicPrefix'>): string[] {
  const fromSubs = (c.subsystems ?? []).flatMap((subsystem) =>
    (Object.keys(RAW_KIND) as TopicKind[]).map((kind) => rawTopicOf({ subsystem, kind }, c.topicPrefix)),
  );
  return [...new Set([...(c.topics ?? []), ...fromSubs])];
}

/**
 * Makes sure the raw topics exist before subscribing (a consumer cannot subscribe to a missing topic):
 * creates the missing ones, or (createTopics=false) waits for them with a log line naming them.
 */
async function ensureRawTopics(
  admin: EfdAdmin,
  topics: string[],
  c: SaltransformConfig,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  await admin.connect();
  try {
    for (let attempt = 1; !signal.aborted; attempt++) {
      const delay = backoffDelayMs(attempt, { initialDelayMs: 1000, maxDelayMs: 30_000 });
      if (c.createTopics) {
        const created = await admin.createTopics(
          topics.map((topic) => ({ topic, partitions: c.partitions, replicationFactor: c.replicationFactor })),
        );
        if (created.length)
          logger.info({ topics: created }, `created ${created.length} missing raw topic(s) with ${c.partitions} partition(s)`);
        return;
      }
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      logger.warn(
        { missing },
        `waiting for raw topic(s) ${missing.join(', ')} to exist (retry in ${delay / 1000} s; or run with --create-topics)`,
      );
      await sleep(delay, signal);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Start-up attempts against a broker that is not ready yet (about 1.5 min with the backoff). */
const START_ATTEMPTS = 12;

/** Either client marks transient errors retriable (kafkajs `retriable`, @platformatic/kafka `canRetry`); a few arrive wrapped without the flag. */
export function isRetriableStartError(err: unknown): boolean {
  // a login or an ACL refused never fixes itself
  if (kafkaRefusal(err)) return false;
  const e = err as { retriable?: boolean; cause?: { retriable?: boolean }; message?: string };
  if (e?.retriable === true || e?.cause?.retriable === true || retriableKafkaError(err)) return true;
  return /does not host this topic-partition|coordinator is (loading|not available)|leader not available|not the leader|not controller/i.test(
    e?.message ?? '',
  );
}

/** Runs until SIGTERM/SIGINT (or `stop`); resolves once consumer and producer are closed. */
export async function startSaltransform(c: SaltransformConfig): Promise<void> {
  let health: () => { ok: boolean; reason?: string } = () => ({ ok: false, reason: 'starting' });
  const rt = await startAppRuntime({ name: 'saltransform', logLevel: c.logLevel, metricsPort: c.metricsPort, health: () => health() });
  const { logger, shutdown } = rt;
  const metrics = saltransformMetrics(rt.metrics);
  const registry = createRegistry(c.registry, { logger, retry: { attempts: Infinity } });
  const transformer = new SalTransformer({
    latest: (s) => registry.latest(s),
    topicPrefix: c.topicPrefix,
    subjectPrefix: c.subjectPrefix,
    unknownTopicRecheckMs: c.unknownTopicRecheckMs,
    logger,
  });
  const kafkaOptions = kafkaOptionsFrom(c, logger);
  const producer = createProducer(kafkaOptions);
  const consumer = createConsumer(kafkaOptions, { groupId: c.group, maxWaitTimeMs: 100, sessionTimeoutMs: c.sessionTimeoutMs });
  const sender = new BatchSender(producer, { lingerMs: c.lingerMs });
  const dlqTopic = c.dlqTopic ?? `${c.topicPrefix}saltransform.deadletter`;
  const topics = rawTopics(c);

  shutdown.onShutdown('kafka producer', async () => {
    await sender.flush();
    await producer.disconnect();
  });
  shutdown.onShutdown('kafka consumer', () => consumer.disconnect());
  consumer.onGroupJoin((e) => {
    health = () => ({ ok: true });
    logger.info({ memberId: e.memberId, assignment: e.assignment }, 'joined the consumer group');
  });
  let refused: KafkaRefusedError | undefined;
  consumer.onCrash((e) => {
    const reason = `consumer crashed: ${e.error.message}${e.restart ? ' (restarting)' : ''}`;
    health = () => ({ ok: false, reason });
    logger.error({ err: e.error.message, restart: e.restart }, reason);
    if (e.error instanceof KafkaRefusedError) refused ??= e.error;
    if (!e.restart) void shutdown.trigger('consumer crashed without restart');
  });

  // A broker that has just started (or just created the topics) answers with retriable errors for a
  // while: no leader yet, coordinator loading. Those are waited out with backoff; anything else stops.
  const started = await retry(
    async () => {
      await ensureRawTopics(createAdmin(kafkaOptions), topics, c, logger, shutdown.signal);
      if (shutdown.signal.aborted) return false;
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: c.fromBeginning });
      return true;
    },
    { attempts: START_ATTEMPTS, initialDelayMs: 500, maxDelayMs: 10_000, signal: shutdown.signal },
    async (err, { attempt, last, delayMs }) => {
      const message = (err as Error).message;
      if (isRetriableStartError(err) && !last && !shutdown.signal.aborted) {
        logger.warn({ err: message, attempt }, `Kafka not ready (${message}); retrying in ${delayMs / 1000} s`);
        return;
      }
      logger.error({ err: message }, `saltransform cannot start: ${message}`);
      await shutdown.trigger('start-up failed');
      throw new Error(`saltransform cannot start (brokers ${c.brokers}, topics ${topics.join(',')}): ${message}`);
    },
  );
  if (!started) return;
  logger.info(
    { topics, group: c.group, dlqTopic, client: consumer.client },
    `saltransform: consuming ${topics.length} raw topic(s) in group ${c.group}`,
  );
  try {
    await runConsumer();
  } catch (err) {
    // a refusal (its group, its topics) or anything else run() does not retry: stop everything, then fail
    logger.error({ err: (err as Error).message }, `saltransform stops: ${(err as Error).message}`);
    await shutdown.trigger('the consumer could not start');
    throw err;
  }
  await shutdown.done;
  // Kafka refused the user (a write to an Avro topic, its group): exit failing, naming it
  if (refused) throw refused;

  function runConsumer(): Promise<void> {
    return consumer.run({
      // A batch counts as handled only once every output of it was acknowledged (at-least-once), and
      // the handled offsets are committed once a second: a commit round trip per partition batch held
      // each fetch of many partitions for seconds.
      autoCommitIntervalMs: 1000,
      partitionsConcurrency: c.concurrency,
      eachBatch: async (batch, { isRunning, isStale }) => {
        if (!isRunning() || isStale()) return;
        const r = await processBatch(batch, { transformer, sender, dlqTopic, metrics });
        if (r.deadLettered)
          logger.warn(
            { topic: batch.topic, partition: batch.partition, deadLettered: r.deadLettered },
            `${r.deadLettered} message(s) sent to ${dlqTopic}`,
          );
      },
    });
  }
}

export function registerSaltransformCommand(program: Command): Command {
  const cmd = program
    .command('saltransform')
    .description(
      'consume raw SAL text topics, encode Avro with the registered schemas, produce to lsst.sal.<topic>; bad lines go to a dead-letter topic',
    )
    .option(
      '--subsystems <list>',
      `consume <Subsystem>_{commands,events,telemetry} of these subsystems (env ${SALTRANSFORM_ENV.subsystems})`,
    )
    .option('--topics <list>', `or/and these raw topics (env ${SALTRANSFORM_ENV.topics})`)
    .option('--topic-prefix <prefix>', `prefix of every Kafka topic and subject (env ${SALTRANSFORM_ENV.topicPrefix})`)
    .option(
      '--subject-prefix <prefix>',
      `prefix of the schemas' subjects when it is not the topics' (env ${SALTRANSFORM_ENV.subjectPrefix}, default --topic-prefix)`,
    )
    .option('--dlq-topic <topic>', `dead-letter topic (env ${SALTRANSFORM_ENV.dlqTopic}, default <prefix>saltransform.deadletter)`)
    .option(
      '--unknown-topic-recheck-ms <ms>',
      'how long a topic without schema is dead-lettered before the registry is asked again (default 30000)',
    )
    .option('--no-create-topics', 'wait for missing raw topics instead of creating them')
    .option('--partitions <n>', `partitions of raw topics it creates (env ${SALTRANSFORM_ENV.partitions}, default 1)`);
  GROUP.addOptions(cmd);
  PRODUCER.addOptions(cmd);
  addRegistryOption(cmd);
  addKafkaOptions(cmd, 'saltransform');
  cmd.action(async (flags: Record<string, unknown>) => {
    await startSaltransform(saltransformConfig(givenFlags(flags, ['fromBeginning', 'createTopics'])));
  });
  return cmd;
}
