/**
 * `efd alerts filter --set seed004 --group G | --filters FILE.json [--group NAME]` — one group of filters
 * over the alert stream: consumer group `<prefix>alerts-filter-<G>` reading `<prefix>alerts` (Avro, Confluent
 * wire format), each filter passing at most its cap of alerts per visit to its topic Filter<nnn> (created
 * when missing, one partition, CreateTime: each output keeps its source alert's timestamp). How the selection
 * survives a kill -9: ./filter-run.ts. Every flag has an
 * environment variable (see --help); flags win.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { ALERTS_TOPIC, filterTopicOf } from '../../config/names';
import { startAppRuntime } from '../lib/app';
import {
  addKafkaOptions,
  addRegistryOption,
  consumerGroupSettings,
  givenFlags,
  kafkaOptionsFrom,
  loadConfig,
  producerSettings,
} from '../lib/config';
import { BatchSender, createProducer } from '../lib/kafka';
import { createAdmin } from '../lib/kafka-admin';
import { createConsumer } from '../lib/kafka-consumer';
import { createRegistry } from '../lib/registry';
import { backoffDelayMs, sleep } from '../lib/retry';
import { compileGroup, groupOf } from './filter-lang';
import { AlertDecoder } from './filter-decode';
import { ReadBackCache, readBack, emittedOf } from './filter-readback';
import {
  filterMetrics,
  FilterRunner,
  parseCommitMetadata,
  READBACK_MARGIN_MS,
  SOURCE_PARTITION_HEADER,
  type Committed,
} from './filter-run';
import { alertFieldTypes, FILTER_SETS, loadFilterSet } from './filter-sets';
import { ALERTS_CLIENT_ENV, alertsClientShape } from './options';

const GROUP = consumerGroupSettings('ALERTS_FILTER', { group: 'alerts-filter-<G>', sessionTimeoutMs: 30_000 }, [
  'fromBeginning',
  'sessionTimeoutMs',
]);
const PRODUCER = producerSettings({ lingerMs: 2, created: 'filter topics' });

export const filterSchema = z.object({
  ...alertsClientShape,
  clientId: z.string().min(1).default('alerts-filter'),
  registry: z.string({ error: 'required: schema registry URL (the alerts are decoded with it)' }).min(1),
  set: z.string().min(1).optional(),
  filters: z.string().min(1).optional(),
  group: z.string().min(1).optional(),
  ...GROUP.shape,
  ...PRODUCER.shape,
});
export type FilterConfig = z.output<typeof filterSchema>;

export const FILTER_ENV = {
  ...ALERTS_CLIENT_ENV,
  set: 'ALERTS_FILTER_SET',
  filters: 'ALERTS_FILTER_FILE',
  group: 'ALERTS_FILTER_GROUP',
  ...GROUP.env,
} as const;

export function filterConfig(flags: Record<string, unknown>, env: Record<string, string | undefined> = process.env): FilterConfig {
  return loadConfig(filterSchema, givenFlags(flags, ['fromBeginning']), FILTER_ENV, env);
}

/** The consumer group of a filter group: `<prefix>alerts-filter-<G>`. */
export function filterGroupId(group: string, prefix = ''): string {
  return `${prefix}alerts-filter-${group}`;
}

/** Runs one filter group until SIGTERM/SIGINT. */
export async function runAlertsFilter(c: FilterConfig): Promise<void> {
  // bad definitions fail before anything connects
  const set = loadFilterSet({ set: c.set, filters: c.filters });
  const group = groupOf(set, c.group);
  const filters = compileGroup(group, alertFieldTypes(), set.source);
  if (filters.length === 0) throw new Error(`${set.source} group ${group.name} has no filters`);
  const source = `${c.topicPrefix}${ALERTS_TOPIC}`;
  const groupId = filterGroupId(group.name, c.topicPrefix);
  const topics = filters.map((f) => filterTopicOf(f.output, c.topicPrefix));

  let running = false;
  const rt = await startAppRuntime({
    name: 'alerts-filter',
    logLevel: c.logLevel,
    metricsPort: c.metricsPort,
    health: () => (running ? { ok: true } : { ok: false, reason: 'consumer not running' }),
  });
  const { logger, shutdown } = rt;
  const kafkaOptions = kafkaOptionsFrom(c, logger);
  const admin = createAdmin(kafkaOptions);
  const producer = createProducer(kafkaOptions);
  const sender = new BatchSender(producer, { lingerMs: c.lingerMs });
  const consumer = createConsumer(kafkaOptions, { groupId, sessionTimeoutMs: c.sessionTimeoutMs, maxWaitTimeMs: 100 });
  shutdown.onShutdown('kafka admin', () => admin.disconnect());
  shutdown.onShutdown('kafka producer', async () => {
    await sender.flush();
    await producer.disconnect();
  });
  shutdown.onShutdown('kafka consumer', async () => {
    running = false;
    await consumer.disconnect();
  });

  await admin.connect();
  let partitions = 0;
  for (let attempt = 1; !shutdown.signal.aborted; attempt++) {
    try {
      const [meta] = await admin.topicPartitions([source]);
      if (meta) {
        partitions = meta.partitions.length;
        break;
      }
      if (attempt === 1) logger.info({ topic: source }, `waiting for ${source} to exist (efd alerts produce creates it)`);
    } catch (err) {
      logger.warn({ err: (err as Error).message, attempt }, `Kafka not ready (${(err as Error).message}); retrying`);
    }
    await sleep(backoffDelayMs(attempt, { initialDelayMs: 250, maxDelayMs: 5000 }), shutdown.signal).catch(() => undefined);
  }
  if (shutdown.signal.aborted) return shutdown.done;
  // CreateTime (the broker's default, said here): an output keeps its source alert's timestamp, so a consumer's
  // end-to-end time on a filter topic runs from the producer
  const created = await admin.createTopics(
    topics.map((topic) => ({
      topic,
      partitions: 1,
      replicationFactor: c.replicationFactor,
      configs: { 'message.timestamp.type': 'CreateTime' },
    })),
  );
  if (created.length) logger.info({ topics: created }, `created ${created.length} filter topic(s)`);
  await producer.connect();
  const registry = createRegistry(c.registry, { logger, retry: { attempts: Infinity, maxDelayMs: 10_000 } });
  const decoder = new AlertDecoder({ registry, fields: [...new Set(filters.flatMap((f) => f.fields))] });

  const committedAll = async (): Promise<Map<number, Committed>> => {
    const all = await admin.groupOffsets(groupId, [source]);
    return new Map(
      all.map((o) => [o.partition, { offset: BigInt(o.offset) >= 0n ? BigInt(o.offset) : undefined, metadata: o.metadata ?? null }]),
    );
  };
  const cache = new ReadBackCache(async (fromMs) =>
    emittedOf(await readBack({ kafka: kafkaOptions, admin, groupId: `${groupId}-readback`, topics, fromMs, logger }), topics),
  );
  const runner = new FilterRunner({
    filters,
    topics,
    source,
    partitions: () => partitions,
    decoder,
    metrics: filterMetrics(rt.metrics),
    logger,
    io: {
      send: (topic, messages) =>
        sender.send(topic, messages).finally(() => {
          for (const p of new Set(messages.map((m) => Number(m.headers?.[SOURCE_PARTITION_HEADER])))) cache.settled(p);
        }),
      commit: (partition, offset, metadata) => consumer.commitOffsets([{ topic: source, partition, offset: String(offset), metadata }]),
      committed: async (partition) => (await committedAll()).get(partition) ?? { offset: undefined, metadata: null },
      readBack: (fromMs, partition) => cache.read(fromMs, partition),
    },
  });

  // one read-back for every partition's rebuild at the start: from the earliest time their commits name
  const commits = await committedAll();
  const starts = Array.from({ length: partitions }, (_, p) => {
    const m = parseCommitMetadata(commits.get(p)?.metadata ?? null);
    return m ? Math.min(m.c, ...m.v.map(([, t]) => t)) - READBACK_MARGIN_MS : -Infinity;
  });
  await cache.prefetch(Math.min(...starts));

  consumer.onGroupJoin(({ assignment }) => {
    const mine = new Set(assignment[source] ?? []);
    for (let p = 0; p < partitions; p++) if (!mine.has(p)) runner.forget(p);
    logger.info({ group: groupId, partitions: [...mine] }, `joined ${groupId}: ${mine.size} partition(s) of ${source}`);
  });
  consumer.onCrash(({ error, restart }) => {
    logger.warn(
      { err: error.message, restart },
      `consumer failed (${error.message})${restart ? '; it starts again from the committed offsets' : ''}`,
    );
    if (!restart) void shutdown.trigger('consumer failed');
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [source], fromBeginning: c.fromBeginning });
  await consumer.run({ partitionsConcurrency: Math.max(1, partitions), eachBatch: (b, ctx) => runner.processBatch(b, ctx) });
  running = true;
  logger.info(
    {
      set: set.source,
      group: group.name,
      filters: filters.length,
      source,
      partitions,
      consumerGroup: groupId,
      topics: [topics[0], topics[topics.length - 1]],
    },
    `filtering ${source} with ${filters.length} filter(s) of ${set.source} group ${group.name} into ${topics[0]} … ${topics[topics.length - 1]}`,
  );
  await shutdown.done;
}

/** Adds `efd alerts filter`. */
export function registerFilterCommand(alerts: Command): Command {
  const cmd = alerts
    .command('filter')
    .description('run one group of alert filters: <prefix>alerts → Filter<nnn>, at most the cap (default 20) per visit each')
    .option('--set <name>', `a named filter set: ${Object.keys(FILTER_SETS).join(', ')} (env ${FILTER_ENV.set})`)
    .option('--filters <file>', `a filter file { "groups": [{ "name", "filters": [...] }] } (env ${FILTER_ENV.filters})`)
    .option(
      '--group <name>',
      `the group of the set to run (seed004: 1 … 5; may be left out when the file has one group) (env ${FILTER_ENV.group})`,
    )
    .option(
      '--topic-prefix <prefix>',
      `prefix of the alert topic, the filter topics and the consumer group (env ${FILTER_ENV.topicPrefix})`,
    );
  GROUP.addOptions(cmd);
  PRODUCER.addOptions(cmd);
  addRegistryOption(cmd);
  addKafkaOptions(cmd, 'alerts-filter');
  cmd.action(async (flags: Record<string, unknown>) => {
    await runAlertsFilter(filterConfig(flags));
  });
  return cmd;
}
