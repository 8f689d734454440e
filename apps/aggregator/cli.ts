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
import { KafkaRefusedError, refusedError } from '../lib/kafka-refusal';
import { startAppRuntime } from '../lib/app';
import {
  addKafkaOptions,
  addRegistryOption,
  configLoader,
  consumerGroupSettings,
  GROUP_KEYS,
  givenFlags,
  KAFKA_ENV,
  kafkaConfigShape,
  kafkaOptionsFrom,
  producerSettings,
  REGISTRY_ENV,
  zInt,
  zList,
} from '../lib/config';
import { BatchSender, createProducer } from '../lib/kafka';
import { createRegistry } from '../lib/registry';
import { backoffDelayMs, sleep } from '../lib/retry';
import { topicKindOfName } from '../lib/sal/ts-xml';
import { topicMatcher } from '../lib/topic-regex';
import { AggregatorConsumer } from './consumer';
import { TopicFollower } from './follow';
import { Aggregator, aggregatorMetrics, isTelemetryTopicName } from './run';

const GROUP = consumerGroupSettings('AGGREGATOR', { group: 'efd-aggregator' }, [...GROUP_KEYS, 'sessionTimeoutMs', 'topicRefreshMs']);
const PRODUCER = producerSettings({ lingerMs: 5, created: 'aggregated topics' });

export const aggregatorSchema = z.object({
  ...kafkaConfigShape,
  clientId: z.string().min(1).default('efd-aggregator'),
  registry: z.string({ error: 'required: schema registry URL (the source records are decoded with it)' }).min(1),
  outRegistry: z.string().min(1).optional(),
  topicsRegex: regexSchema.default(salTopicsRegex()),
  ...GROUP.shape,
  ...PRODUCER.shape,
  graceMs: zInt().default(2000),
  timeField: z.string().min(1).default('sal_created'),
  groupBy: zList.default(['salIndex']),
});
export type AggregatorConfig = z.output<typeof aggregatorSchema>;

export const AGGREGATOR_ENV = {
  ...KAFKA_ENV,
  ...REGISTRY_ENV,
  outRegistry: 'AGGREGATOR_OUT_REGISTRY_URL',
  topicsRegex: 'AGGREGATOR_TOPICS_REGEX',
  ...GROUP.env,
  graceMs: 'AGGREGATOR_GRACE_MS',
  timeField: 'AGGREGATOR_TIME_FIELD',
  groupBy: 'AGGREGATOR_GROUP_BY',
} as const;

export const aggregatorConfig = configLoader(aggregatorSchema, AGGREGATOR_ENV);

/** Runs until SIGTERM/SIGINT; resolves once consumer and producer are closed. */
export async function startAggregator(c: AggregatorConfig): Promise<void> {
  const rt = await startAppRuntime({
    name: 'aggregator',
    logLevel: c.logLevel,
    metricsPort: c.metricsPort,
    health: () => (follower.consumer?.running || !follower.topics.length ? { ok: true } : { ok: false, reason: 'consumer not running' }),
  });
  const { logger, shutdown } = rt;
  const metrics = aggregatorMetrics(rt.metrics);
  const sourceRegistry = createRegistry(c.registry, { logger, retry: { attempts: Infinity, maxDelayMs: 10_000 } });
  const outRegistry = c.outRegistry
    ? createRegistry(c.outRegistry, { logger, retry: { attempts: Infinity, maxDelayMs: 10_000 } })
    : sourceRegistry;
  const kafkaOptions = kafkaOptionsFrom(c, logger);
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
    committed: (t, p) => follower.consumer!.committed(t, p),
    ensureTopic: async (out, source) => {
      if (created.has(out)) return;
      const partitions = (await follower.consumer!.partitions([source])).get(source) ?? 1;
      const made = await follower.consumer!.createTopics([{ topic: out, partitions, replicationFactor: c.replicationFactor }]);
      if (made.length) logger.info({ topic: out, partitions }, `created ${out} with ${partitions} partition(s), as ${source}`);
      created.add(out);
    },
  });
  let refused: KafkaRefusedError | undefined;
  /** Kafka refused the user: stop for good (never retried), exit failing with its message. */
  const fatal = (e: KafkaRefusedError) => {
    refused ??= e;
    void shutdown.trigger('Kafka refused the user');
  };
  const newConsumer = () =>
    new AggregatorConsumer({
      onRefused: fatal,
      kafka: kafkaOptions,
      groupId: c.group,
      logger,
      sessionTimeoutMs: c.sessionTimeoutMs,
      concurrency: c.concurrency,
      fromBeginning: c.fromBeginning,
      onBatch: (b) => aggregator.processBatch(b),
    });
  const lister = newConsumer();
  // the telemetry topics the regex selects; the consumer is replaced when they changed (see follow.ts)
  const follower: TopicFollower<AggregatorConsumer> = new TopicFollower({
    list: async () => (await lister.listTopics()).filter((t) => matches(t) && isTelemetryTopicName(t, topicKindOfName)),
    create: newConsumer,
    onChange: (next) =>
      logger.info(
        { topics: next.length, sample: next.slice(0, 10) },
        `aggregating ${next.length} telemetry topic(s) matching /${c.topicsRegex}/`,
      ),
  });
  shutdown.onShutdown('kafka producer', async () => {
    await sender.flush();
    await producer.disconnect();
  });
  shutdown.onShutdown('kafka consumer', async () => {
    await follower.close();
    await lister.close();
  });

  // registered before the first refresh: a SIGTERM during it must find the hook (one registered later never runs)
  let timer: NodeJS.Timeout | undefined;
  shutdown.onShutdown('topic refresh', () => clearInterval(timer));

  await producer.connect();
  for (let attempt = 1; !shutdown.signal.aborted; attempt++) {
    try {
      await follower.refresh();
      break;
    } catch (err) {
      const r = refusedError(err, { user: kafkaOptions.sasl?.username, group: c.group });
      if (r) {
        fatal(r);
        break;
      }
      const delay = backoffDelayMs(attempt, { initialDelayMs: 500, maxDelayMs: 10_000 });
      logger.warn({ err: (err as Error).message, attempt }, `Kafka not ready (${(err as Error).message}); retrying in ${delay / 1000} s`);
      await sleep(delay, shutdown.signal);
    }
  }
  if (!shutdown.signal.aborted) {
    timer = setInterval(
      () =>
        void follower.refresh().catch((err: Error) => {
          const r = refusedError(err, { user: kafkaOptions.sasl?.username, group: c.group });
          if (r) fatal(r);
          else logger.warn({ err: err.message }, 'topic refresh failed; keeping the current subscription');
        }),
      c.topicRefreshMs,
    );
  }
  await shutdown.done;
  if (refused) {
    logger.error({ err: refused.message }, `aggregator stopped: ${refused.message}`);
    throw refused;
  }
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
    .option('--group-by <fields>', `fields whose values split a topic into series (env ${AGGREGATOR_ENV.groupBy}, default salIndex)`);
  GROUP.addOptions(cmd);
  PRODUCER.addOptions(cmd);
  addRegistryOption(cmd);
  addKafkaOptions(cmd, 'efd-aggregator');
  cmd.action(async (flags: Record<string, unknown>) => {
    await startAggregator(aggregatorConfig(givenFlags(flags, ['fromBeginning'])));
  });
  return cmd;
}
