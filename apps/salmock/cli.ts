/**
 * `efd salmock` — mock SAL producer (also the container entrypoint: `efd salmock …`).
 * Every flag has an environment variable (shown in --help); flags win.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { startAppRuntime } from '../lib/app';
import {
  addKafkaOptions,
  addRegistryOption,
  ConfigError,
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
import { BatchSender, createProducers } from '../lib/kafka';
import { createAdmin } from '../lib/kafka-admin';
import { createRegistry } from '../lib/registry';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { formatSalSchemaError } from '../lib/sal/errors';
import { subjectOf } from '../lib/sal/register';
import { planRate, planTopics, seedScheduleFactor } from '../lib/sal/plan';
import { messageFactory, MessageFactory, runSalmock, SalmockSummary } from './run';

/**
 * Producers salmock sends through by default (one request in flight each, topics spread over them): one
 * producer waits a broker round trip per batch and held ~7.7k msg/s of the seed's 29,284 (bench salmock).
 */
export const SALMOCK_PRODUCERS = 4;

const num = z.coerce.number().refine(Number.isFinite, 'expected a number');

const PRODUCER = producerSettings({ lingerMs: 5, created: 'topics' });

export const salmockSchema = z.object({
  ...kafkaConfigShape,
  clientId: z.string().min(1).default('salmock'),
  xml: z.string({ error: 'required: the ts_xml folder whose topics to mock' }).min(1),
  mode: z.enum(['text', 'avro']).default('text'),
  registry: z.string().optional(),
  topicPrefix: z.string().default(''),
  subsystems: zList.optional(),
  kinds: zList.pipe(z.array(z.enum(['command', 'event', 'telemetry']))).optional(),
  topics: z.string().optional(),
  maxTopics: zInt(1).optional(),
  rateFactor: num.pipe(z.number().positive()).default(1),
  seedSchedule: zBool.default(false),
  commandHz: num.pipe(z.number().nonnegative()).optional(),
  eventHz: num.pipe(z.number().nonnegative()).optional(),
  telemetryHz: num.pipe(z.number().nonnegative()).optional(),
  duration: num.pipe(z.number().positive()).optional(),
  count: zInt(1).optional(),
  burst: zBool.default(false),
  seed: zInt().optional(),
  createTopics: zBool.default(false),
  partitions: zInt(1).default(1),
  ...PRODUCER.shape,
  producers: zInt(1).max(64).default(SALMOCK_PRODUCERS),
  maxPending: zInt(1).default(20_000),
});
export type SalmockConfig = z.output<typeof salmockSchema>;

export const SALMOCK_ENV = {
  ...KAFKA_ENV,
  ...REGISTRY_ENV,
  xml: 'SALMOCK_XML',
  mode: 'SALMOCK_MODE',
  topicPrefix: 'SALMOCK_TOPIC_PREFIX',
  subsystems: 'SALMOCK_SUBSYSTEMS',
  kinds: 'SALMOCK_KINDS',
  topics: 'SALMOCK_TOPICS',
  maxTopics: 'SALMOCK_MAX_TOPICS',
  rateFactor: 'SALMOCK_RATE_FACTOR',
  seedSchedule: 'SALMOCK_SEED_SCHEDULE',
  duration: 'SALMOCK_DURATION',
  count: 'SALMOCK_COUNT',
  burst: 'SALMOCK_BURST',
  seed: 'SALMOCK_SEED',
  producers: 'SALMOCK_PRODUCERS',
} as const;

/** Parses flags + env into a validated config (throws ConfigError naming flag and env variable). */
export function salmockConfig(flags: Record<string, unknown>, env: Record<string, string | undefined> = process.env): SalmockConfig {
  const c = loadConfig(salmockSchema, flags, SALMOCK_ENV, env);
  if (c.mode === 'avro' && !c.registry)
    throw new ConfigError('invalid configuration:\n  --registry (env SCHEMA_REGISTRY_URL): required in --mode avro');
  return c;
}

/** Runs salmock with a config; resolves with the summary when the limit is reached or on SIGTERM. */
export async function startSalmock(c: SalmockConfig): Promise<SalmockSummary> {
  const { topics: metas, errors } = loadTopicMetadata(c.xml);
  if (metas.length === 0) {
    throw new Error(
      `no SAL topics found under ${c.xml}${errors.length ? `: ${errors.slice(0, 3).map(formatSalSchemaError).join('; ')}` : ' (is it a ts_xml folder?)'}`,
    );
  }
  const selected = planTopics(metas, {
    subsystems: c.subsystems,
    kinds: c.kinds,
    topics: c.topics,
    maxTopics: c.maxTopics,
    topicPrefix: c.topicPrefix,
  });
  const factor = c.seedSchedule ? seedScheduleFactor(selected.map((p) => p.meta)) * c.rateFactor : c.rateFactor;
  const plan = planTopics(metas, {
    subsystems: c.subsystems,
    kinds: c.kinds,
    topics: c.topics,
    maxTopics: c.maxTopics,
    topicPrefix: c.topicPrefix,
    rateFactor: factor,
    rates: { command: c.commandHz, event: c.eventHz, telemetry: c.telemetryHz },
  });
  const seed = c.seed ?? Math.floor(Math.random() * 0x7fffffff);

  const rt = await startAppRuntime({ name: 'salmock', logLevel: c.logLevel, metricsPort: c.metricsPort, health: () => health() });
  const { logger, shutdown } = rt;
  let health = (): { ok: boolean; reason?: string } => ({ ok: false, reason: 'starting' });
  for (const e of errors) logger.warn({ error: formatSalSchemaError(e) }, `ts_xml problem, topic skipped: ${formatSalSchemaError(e)}`);

  const kafkaOptions = kafkaOptionsFrom(c, logger);
  const producers = createProducers(kafkaOptions, c.producers);
  try {
    let factories: MessageFactory[];
    if (c.mode === 'avro') {
      const registry = createRegistry(c.registry as string, { logger, retry: { attempts: Infinity } });
      factories = [];
      for (const p of plan) {
        const id = await registry.latestId(subjectOf(p.meta.topic, c.topicPrefix));
        factories.push(messageFactory(p, 'avro', seed, await registry.encoder(id)));
      }
    } else {
      factories = plan.map((p) => messageFactory(p, 'text', seed));
    }
    if (c.createTopics) {
      const admin = createAdmin(kafkaOptions);
      await admin.connect();
      try {
        const names = [...new Set(plan.map((p) => (c.mode === 'avro' ? p.avroTopic : p.rawTopic)))];
        const created = await admin.createTopics(
          names.map((topic) => ({ topic, partitions: c.partitions, replicationFactor: c.replicationFactor })),
        );
        if (created.length) logger.info({ topics: created.length }, `created ${created.length} topic(s)`);
      } finally {
        await admin.disconnect();
      }
    }
    await Promise.all(producers.map((p) => p.connect()));
    // On SIGTERM the run stops making messages and waits for the acknowledgements of what it sent (and
    // prints its summary); the producers close after that, not under sends still in flight.
    let running: Promise<unknown> = Promise.resolve();
    shutdown.onShutdown('kafka producers', async () => {
      await running.catch(() => undefined);
      await Promise.all(producers.map((p) => p.disconnect()));
    });
    health = () => ({ ok: true });
    for (const p of producers) p.onDisconnect(() => (health = () => ({ ok: false, reason: 'producer disconnected from Kafka' })));
    const sender = new BatchSender(producers, { lingerMs: c.lingerMs });
    const run = runSalmock(
      { plan, factories, mode: c.mode, durationS: c.duration, count: c.count, burst: c.burst, maxPending: c.maxPending },
      { sender, logger, metrics: rt.metrics, signal: shutdown.signal },
    );
    running = run;
    const summary = await run;
    logger.info(
      { ...summary, seed, scheduledRate: planRate(plan) },
      `salmock: ${summary.produced} messages in ${summary.seconds.toFixed(1)} s (${summary.rate.toFixed(0)} msg/s)`,
    );
    return { ...summary, seed } as SalmockSummary;
  } finally {
    await shutdown.trigger('salmock finished');
  }
}

export function registerSalmockCommand(program: Command): Command {
  const cmd = program
    .command('salmock')
    .description(
      'produce mock SAL messages for the topics of a ts_xml folder at the seed rates (commands 1 Hz, events 10 Hz, telemetry 100 Hz)',
    )
    .option('--xml <folder>', `ts_xml folder whose topics to mock (env ${SALMOCK_ENV.xml})`)
    .addOption(
      new Option('--mode <mode>', `text: SAL text to <Subsystem>_<kind>; avro: Avro to lsst.sal.<topic> (env ${SALMOCK_ENV.mode})`).choices(
        ['text', 'avro'],
      ),
    )
    .option('--topic-prefix <prefix>', `prefix of every Kafka topic and subject (env ${SALMOCK_ENV.topicPrefix})`)
    .option('--subsystems <list>', `only these subsystems, comma-separated (env ${SALMOCK_ENV.subsystems})`)
    .option('--kinds <list>', `only these kinds: command,event,telemetry (env ${SALMOCK_ENV.kinds})`)
    .option('--topics <regex>', `only SAL topics matching (env ${SALMOCK_ENV.topics})`)
    .option('--max-topics <n>', `at most n topics, in name order (env ${SALMOCK_ENV.maxTopics})`)
    .option('--rate-factor <f>', `multiply every rate (env ${SALMOCK_ENV.rateFactor}, default 1)`)
    .option(
      '--seed-schedule',
      `scale the rates so the topics make the seed's 29,284 msg/s in all (times --rate-factor) (env ${SALMOCK_ENV.seedSchedule})`,
    )
    .option('--command-hz <hz>', 'rate per command topic (default 1)')
    .option('--event-hz <hz>', 'rate per event topic (default 10)')
    .option('--telemetry-hz <hz>', 'rate per telemetry topic (default 100)')
    .option('--duration <seconds>', `stop after this long (env ${SALMOCK_ENV.duration})`)
    .option('--count <n>', `stop after n messages in all (env ${SALMOCK_ENV.count})`)
    .option('--burst', `ignore the clock: same topic mix, as fast as Kafka acknowledges (env ${SALMOCK_ENV.burst})`)
    .option('--seed <n>', `seed of the values (default random; env ${SALMOCK_ENV.seed})`)
    .option('--create-topics', 'create missing output topics first (with --partitions, --replication-factor)')
    .option('--partitions <n>', 'partitions of created topics (default 1)')
    .option(
      '--producers <n>',
      `idempotent producers sending at once, each owning a share of the topics (env ${SALMOCK_ENV.producers}, default ${SALMOCK_PRODUCERS})`,
    )
    .option('--max-pending <n>', 'stop generating while this many messages await acknowledgement (default 20000)');
  PRODUCER.addOptions(cmd);
  addRegistryOption(cmd);
  addKafkaOptions(cmd, 'salmock');
  cmd.action(async (flags: Record<string, unknown>) => {
    const summary = await startSalmock(salmockConfig(flags));
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    process.exitCode = summary.failed > 0 ? 1 : 0;
  });
  return cmd;
}
