/**
 * `efd aggregator` — the 1 Hz aggregator: SAL telemetry topics (`[<prefix>]lsst.sal.*`, Avro) → per
 * 1 s window count/min/max/mean/median/stdev of every numeric field (arrays element-wise), last value of
 * the others → `[<prefix>]lsst.efd.agg.<topic>` (Avro, schema derived and registered). Commands and
 * events are not aggregated. Replicas in one consumer group share the partitions. Every flag has an
 * environment variable (see --help); flags win.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { regexSchema, salTopicsRegex } from '../../config/names';
import { startAppRuntime } from '../lib/app';
import {
  addConsumerGroupOptions,
  addKafkaOptions,
  addRegistryOption,
  consumerGroupEnv,
  consumerGroupShape,
  givenFlags,
  KAFKA_ENV,
  kafkaConfigShape,
  kafkaOptionsFrom,
  loadConfig,
  REGISTRY_ENV,
  zInt,
  zList,
} from '../lib/config';
import { BatchSender, createKafka, createMissingTopics, createProducer } from '../lib/kafka';
import { createRegistry } from '../lib/registry';
import { backoffDelayMs, sleep } from '../lib/retry';
import { topicKindOfName } from '../lib/sal/ts-xml';
import { topicMatcher } from '../lib/topic-regex';
import { AggregatorConsumer } from './consumer';
import { Aggregator, aggregatorMetrics, isTelemetryTopicName } from './run';

export const aggregatorSchema = z.object({
  ...kafkaConfigShape,
  clientId: z.string().min(1).default('efd-aggregator'),
  registry: z.string({ error: 'required: schema registry URL (the source records are decoded with it)' }).min(1),
  outRegistry: z.string().min(1).optional(),
  topicsRegex: regexSchema.default(salTopicsRegex()),
  ...consumerGroupShape({ group: 'efd-aggregator', lingerMs: 5 }),
  graceMs: zInt().default(2000),
  timeField: z.string().min(1).default('sal_created'),
  groupBy: zList.default(['salIndex']),
  topicRefreshMs: zInt(100).default(10_000),
});
export type AggregatorConfig = z.output<typeof aggregatorSchema>;

export const AGGREGATOR_ENV = {
  ...KAFKA_ENV,
  ...REGISTRY_ENV,
  outRegistry: 'AGGREGATOR_OUT_REGISTRY_URL',
  topicsRegex: 'AGGREGATOR_TOPICS_REGEX',
  ...consumerGroupEnv('AGGREGATOR'),
  graceMs: 'AGGREGATOR_GRACE_MS',
  timeField: 'AGGREGATOR_TIME_FIELD',
  groupBy: 'AGGREGATOR_GROUP_BY',
  topicRefreshMs: 'AGGREGATOR_TOPIC_REFRESH_MS',
} as const;

export function aggregatorConfig(flags: Record<string, unknown>, env: Record<string, string | undefined> = process.env): AggregatorConfig {
  return loadConfig(aggregatorSchema, flags, AGGREGATOR_ENV, env);
}

/** Runs until SIGTERM/SIGINT; resolves once consumer and producer are closed. */
export async function startAggregator(c: AggregatorConfig): Promise<void> {
  let consumer: AggregatorConsumer | undefined;
  let topics: string[] = [];
  const rt = await startAppRuntime({
    name: 'aggregator',
    logLevel: c.logLevel,
    metricsPort: c.metricsPort,
    health: () => (consumer?.running || topics.length === 0 ? { ok: true } : { ok: false, reason: 'consumer not running' }),
  });
  const { logger, shutdown } = rt;
  const metrics = aggregatorMetrics(rt.metrics);
  const sourceRegistry = createRegistry(c.registry, { logger, retry: { attempts: Infinity, maxDelayMs: 10_000 } });
  const outRegistry = c.outRegistry
    ? createRegistry(c.outRegistry, { logger, retry: { attempts: Infinity, maxDelayMs: 10_000 } })
    : sourceRegistry;
  const kafkaOptions = kafkaOptionsFrom(c, logger);
  const kafka = createKafka(kafkaOptions);
  const producer = createProducer(kafkaOptions);
  const sender = new BatchSender(producer, { lingerMs: c.lingerMs });
  const matches = topicMatcher(c.topicsRegex);
  const created = new Set<string>();
  const aggregator: Aggregator = new Aggregator({
    sourceRegistry,
    outRegistry,
    sender,
    metrics,
    logger,
    graceMs: c.graceMs,
    plan: { timeField: c.timeField, groupBy: c.groupBy },
    committed: (t, p) => consumer!.committed(t, p),
    ensureTopic: async (out, source) => {
      if (created.has(out)) return;
      const admin = consumer!.adminClient;
      const partitions = (await consumer!.partitions([source])).get(source) ?? 1;
      const made = await createMissingTopics(admin, [out], { partitions, replicationFactor: c.replicationFactor });
      if (made.length) logger.info({ topic: out, partitions }, `created ${out} with ${partitions} partition(s), as ${source}`);
      created.add(out);
    },
  });
  const newConsumer = () =>
    new AggregatorConsumer({
      kafka,
      groupId: c.group,
      logger,
      sessionTimeoutMs: c.sessionTimeoutMs,
      concurrency: c.concurrency,
      fromBeginning: c.fromBeginning,
      onBatch: (b) => aggregator.processBatch(b),
    });
  const lister = newConsumer();
  shutdown.onShutdown('kafka producer', async () => {
    await sender.flush();
    await producer.disconnect();
  });
  shutdown.onShutdown('kafka consumer', async () => {
    await consumer?.close();
    await lister.close();
  });

  /** The telemetry topics the regex selects; restarts the consumer when they changed. */
  const refresh = async () => {
    const all = await lister.listTopics();
    const next = all.filter((t) => matches(t) && isTelemetryTopicName(t, topicKindOfName)).sort();
    if (next.length === topics.length && next.every((t, i) => t === topics[i]) && (consumer?.running || next.length === 0)) return;
    logger.info(
      { topics: next.length, sample: next.slice(0, 10) },
      `aggregating ${next.length} telemetry topic(s) matching /${c.topicsRegex}/`,
    );
    await consumer?.stop();
    topics = next;
    if (!next.length) return;
    consumer = newConsumer();
    await consumer.start(next);
  };

  await producer.connect();
  for (let attempt = 1; !shutdown.signal.aborted; attempt++) {
    try {
      await refresh();
      break;
    } catch (err) {
      const delay = backoffDelayMs(attempt, { initialDelayMs: 500, maxDelayMs: 10_000 });
      logger.warn({ err: (err as Error).message, attempt }, `Kafka not ready (${(err as Error).message}); retrying in ${delay / 1000} s`);
      await sleep(delay, shutdown.signal);
    }
  }
  const timer = setInterval(
    () => void refresh().catch((err: Error) => logger.warn({ err: err.message }, 'topic refresh failed; keeping the current subscription')),
    c.topicRefreshMs,
  );
  shutdown.onShutdown('topic refresh', () => clearInterval(timer));
  await shutdown.done;
}

export function registerAggregatorCommand(program: Command): Command {
  const cmd = program
    .command('aggregator')
    .description(
      'aggregate SAL telemetry onto a 1 Hz grid: count, min, max, mean, median, stdev per numeric field (arrays element-wise) → lsst.efd.agg.<topic>',
    )
    .option(
      '--topics-regex <regex>',
      `source topics, whole-name match; telemetry only (env ${AGGREGATOR_ENV.topicsRegex}, default ${salTopicsRegex()})`,
    )
    .option(
      '--out-registry <url>',
      `registry the aggregated schemas are registered in (env ${AGGREGATOR_ENV.outRegistry}, default: --registry; at an aggregator site the site's own, when --registry is a source's read-only one)`,
    )
    .option('--grace-ms <ms>', `how late a record may be and still count in its window (env ${AGGREGATOR_ENV.graceMs}, default 2000)`)
    .option('--time-field <field>', `SAL time the windows are cut on (env ${AGGREGATOR_ENV.timeField}, default sal_created)`)
    .option('--group-by <fields>', `fields whose values split a topic into series (env ${AGGREGATOR_ENV.groupBy}, default salIndex)`)
    .option('--topic-refresh-ms <ms>', `how often to look for new topics (env ${AGGREGATOR_ENV.topicRefreshMs}, default 10000)`);
  addConsumerGroupOptions(cmd, AGGREGATOR_ENV, { group: 'efd-aggregator', lingerMs: 5, created: 'aggregated topics' });
  addRegistryOption(cmd);
  addKafkaOptions(cmd, 'efd-aggregator');
  cmd.action(async (flags: Record<string, unknown>) => {
    await startAggregator(aggregatorConfig(givenFlags(flags, ['fromBeginning'])));
  });
  return cmd;
}
