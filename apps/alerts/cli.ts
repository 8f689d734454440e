/**
 * `efd alerts produce|consume` (and `filter`, apps/alerts/filter-cli.ts) — the alert mini-broker of seed 004:
 * a producer of 10,000 Avro alerts per visit every 39 s to `<prefix>alerts`, filters to `Filter001` …, and end
 * users reading a filter topic. Every flag has an environment variable (shown in --help); flags win.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { ALERTS_TOPIC } from '../../config/names';
import { durationSeconds } from '../../config/duration';
import { startAppRuntime } from '../lib/app';
import {
  addKafkaOptions,
  addRegistryOption,
  ConfigError,
  givenFlags,
  KAFKA_ENV,
  kafkaOptionsFrom,
  loadConfig,
  producerSettings,
  zBool,
  zInt,
  zList,
} from '../lib/config';
import { BatchSender, createProducers } from '../lib/kafka';
import { createAdmin } from '../lib/kafka-admin';
import { createRegistry } from '../lib/registry';
import { AlertGenerator, MAX_ALERTS_PER_VISIT } from './generate';
import { checkAlertFiles, fileSource, generatedSource, produceVisits, VisitReport, visitLine } from './produce';
import { ALERT_SCHEMA } from './schema';
import { CONSUME_ENV, CONSUME_MODES, consumeConfig, runAlertsConsume } from './consume';
import { registerFilterCommand } from './filter-cli';
import { ALERTS_CLIENT_ENV, alertsClientShape } from './options';

/** Subject of the alert schema: `<prefix>alerts-value` (the topic's value subject, TopicNameStrategy). */
export function alertsSubject(prefix = ''): string {
  return `${prefix}${ALERTS_TOPIC}-value`;
}

/** Producers of `efd alerts produce` by default: each owns a share of the partitions, one request in flight each. */
export const ALERT_PRODUCERS = 2;
/** Partitions of the alert topic when produce creates it. */
export const ALERT_PARTITIONS = 10;

/** `39s`, `1m`, or a number of seconds (`0.5`) → ms. */
const zInterval = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const text = String(v).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  try {
    return durationSeconds(text) * 1000;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const PRODUCER = producerSettings({ lingerMs: 2, created: 'alert topic' });

export const produceSchema = z.object({
  ...alertsClientShape,
  clientId: z.string().min(1).default('alerts-produce'),
  registry: z.string({ error: 'required: schema registry URL (the alert schema is registered there)' }).min(1),
  visits: zInt(1).optional(),
  alertsPerVisit: zInt(1).max(MAX_ALERTS_PER_VISIT).default(10_000),
  interval: zInterval.default(39_000),
  seed: zInt().optional(),
  fromAvro: zList.optional(),
  cutouts: zBool.default(true),
  partitions: zInt(1).default(ALERT_PARTITIONS),
  producers: zInt(1).max(64).default(ALERT_PRODUCERS),
  ...PRODUCER.shape,
});
export type ProduceConfig = z.output<typeof produceSchema>;

export const PRODUCE_ENV = {
  ...ALERTS_CLIENT_ENV,
  visits: 'ALERTS_VISITS',
  alertsPerVisit: 'ALERTS_PER_VISIT',
  interval: 'ALERTS_INTERVAL',
  seed: 'ALERTS_SEED',
  fromAvro: 'ALERTS_FROM_AVRO',
  cutouts: 'ALERTS_CUTOUTS',
  partitions: 'ALERTS_PARTITIONS',
  producers: 'ALERTS_PRODUCERS',
} as const;

export function produceConfig(flags: Record<string, unknown>, env: Record<string, string | undefined> = process.env): ProduceConfig {
  const c = loadConfig(produceSchema, givenFlags(flags, ['cutouts']), PRODUCE_ENV, env);
  if (c.interval <= 0)
    throw new ConfigError('invalid configuration:\n  --interval (env ALERTS_INTERVAL): expected a positive duration, e.g. 39s');
  return c;
}

export interface ProduceSummary {
  topic: string;
  subject: string;
  schemaId: number;
  seed: number | undefined;
  visits: number;
  alerts: number;
  /** The slowest visit's produce time (first alert made/read → last acknowledged), s. */
  maxProduceS: number;
  reports: VisitReport[];
}

/** Runs the producer: schema registered, topic created when missing, the visits on the cadence; one line per visit on stdout. */
export async function runAlertsProduce(
  c: ProduceConfig,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<ProduceSummary> {
  const topic = `${c.topicPrefix}${ALERTS_TOPIC}`;
  const subject = alertsSubject(c.topicPrefix);
  const seed = c.fromAvro ? undefined : (c.seed ?? Math.floor(Math.random() * 0x7fffffff));
  // bad files fail before anything is registered, created or sent
  if (c.fromAvro) await checkAlertFiles(c.fromAvro);
  const source = c.fromAvro
    ? fileSource(c.fromAvro, c.alertsPerVisit, c.visits ?? c.fromAvro.length)
    : generatedSource(new AlertGenerator({ seed: seed!, alertsPerVisit: c.alertsPerVisit, cutouts: c.cutouts }), c.visits ?? Infinity);

  const rt = await startAppRuntime({ name: 'alerts-produce', logLevel: c.logLevel, metricsPort: c.metricsPort });
  const { logger, shutdown } = rt;
  const kafkaOptions = kafkaOptionsFrom(c, logger);
  const producers = createProducers(kafkaOptions, c.producers);
  try {
    const registry = createRegistry(c.registry, { logger });
    const schemaId = await registry.register(subject, ALERT_SCHEMA as never);
    const admin = createAdmin(kafkaOptions);
    await admin.connect();
    let partitions: number;
    try {
      const created = await admin.createTopics([{ topic, partitions: c.partitions, replicationFactor: c.replicationFactor }]);
      if (created.length) logger.info({ topic, partitions: c.partitions }, `created ${topic} (${c.partitions} partitions)`);
      const [meta] = await admin.topicPartitions([topic]);
      partitions = meta?.partitions.length ?? c.partitions;
    } finally {
      await admin.disconnect();
    }
    await Promise.all(producers.map((p) => p.connect()));
    let running: Promise<unknown> = Promise.resolve();
    shutdown.onShutdown('kafka producers', async () => {
      await running.catch(() => undefined);
      await Promise.all(producers.map((p) => p.disconnect()));
    });
    const senders = producers.map((p) => new BatchSender(p, { lingerMs: c.lingerMs }));
    logger.info(
      { topic, subject, schemaId, partitions, seed, visits: source.visits, alertsPerVisit: c.alertsPerVisit, intervalMs: c.interval },
      `producing to ${topic}: ${Number.isFinite(source.visits) ? source.visits : 'unlimited'} visit(s), one every ${c.interval / 1000} s`,
    );
    const run = produceVisits({
      source,
      sink: { topic, schemaId, partitions, senders },
      intervalMs: c.interval,
      signal: shutdown.signal,
      onVisit: (r) => out(visitLine(r)),
    });
    running = run;
    const reports = await run;
    const summary: ProduceSummary = {
      topic,
      subject,
      schemaId,
      seed,
      visits: reports.length,
      alerts: reports.reduce((n, r) => n + r.alerts, 0),
      maxProduceS: Math.max(0, ...reports.map((r) => r.produceS)),
      reports,
    };
    out(
      `topic:${topic}, visits:${summary.visits}, alerts:${summary.alerts}, max_produce_s:${summary.maxProduceS.toFixed(3)}${seed === undefined ? '' : `, seed:${seed}`}`,
    );
    return summary;
  } finally {
    await shutdown.trigger('alerts produce finished');
  }
}

function registerProduce(alerts: Command): Command {
  const cmd = alerts
    .command('produce')
    .description('send alerts to <prefix>alerts, one visit every --interval (10,000 alerts every 39 s, as seed 004); one line per visit')
    .option('--visits <n>', `visits to send (env ${PRODUCE_ENV.visits}; default: until stopped, or each --from-avro file once)`)
    .option('--alerts-per-visit <n>', `alerts per visit, at most for --from-avro files (env ${PRODUCE_ENV.alertsPerVisit}, default 10000)`)
    .option('--interval <duration>', `visit k starts at t0 + k · interval: 39s, 1m, or seconds (env ${PRODUCE_ENV.interval}, default 39s)`)
    .option('--seed <n>', `seed of the generated alerts (env ${PRODUCE_ENV.seed}, default random, printed)`)
    .option(
      '--from-avro <files...>',
      `send the alerts of these Avro object container files, one file per visit, validated first (env ${PRODUCE_ENV.fromAvro})`,
    )
    .option('--no-cutouts', `generated alerts without the difference and template stamps (env ${PRODUCE_ENV.cutouts}=false)`)
    .option('--topic-prefix <prefix>', `prefix of the topic and subject (env ${PRODUCE_ENV.topicPrefix})`)
    .option(
      '--partitions <n>',
      `partitions of the alert topic when it is created (env ${PRODUCE_ENV.partitions}, default ${ALERT_PARTITIONS})`,
    )
    .option(
      '--producers <n>',
      `idempotent producers, each owning a share of the partitions (env ${PRODUCE_ENV.producers}, default ${ALERT_PRODUCERS})`,
    );
  PRODUCER.addOptions(cmd);
  addRegistryOption(cmd);
  addKafkaOptions(cmd, 'alerts-produce');
  cmd.action(async (flags: Record<string, unknown>) => {
    await runAlertsProduce(produceConfig(flags));
  });
  return cmd;
}

function registerConsume(alerts: Command): Command {
  const cmd = alerts
    .command('consume')
    .description('read an alert topic (a filter topic, Filter001 …): print each alert, or only the end-of-partition status lines')
    .option('--topic <name>', `topic to read, e.g. Filter001 (env ${CONSUME_ENV.topic})`)
    .addOption(
      new Option(
        '--mode <mode>',
        `print: each alert as a JSON line and the status lines; monitor: the status lines only (env ${CONSUME_ENV.mode}, default print)`,
      ).choices([...CONSUME_MODES]),
    )
    .option('--group <id>', `consumer group (env ${CONSUME_ENV.group}; default a new one per run)`)
    .option('--from-beginning', `a new group starts at the beginning of the topic, not its end (env ${CONSUME_ENV.fromBeginning})`)
    .option('--exit-at-end', `stop once every partition reached its end (env ${CONSUME_ENV.exitAtEnd})`)
    .option('--topic-prefix <prefix>', `prefix of the topic name (env ${CONSUME_ENV.topicPrefix})`);
  addRegistryOption(cmd);
  addKafkaOptions(cmd, 'alerts-consume');
  const metricsPort = cmd.options.find((o) => o.long === '--metrics-port');
  if (metricsPort)
    metricsPort.description = `port of /metrics and /healthz (env ${KAFKA_ENV.metricsPort}, default 0 = random: many end users on one machine)`;
  cmd.action(async (flags: Record<string, unknown>) => {
    await runAlertsConsume(consumeConfig(flags));
  });
  return cmd;
}

/** `efd alerts …`: produce, filter (apps/alerts/filter-cli.ts) and consume. */
export function registerAlertsCommand(program: Command): Command {
  const alerts = program
    .command('alerts')
    .description('the alert mini-broker (seed 004): produce alerts per visit, filter them to Filter001 …, consume a filter topic');
  registerProduce(alerts);
  registerFilterCommand(alerts);
  registerConsume(alerts);
  return alerts;
}
