/**
 * `efd connectors apply|status|delete` — the connect manager.
 *
 *   efd connectors apply --desired /etc/efd/connectors --connect-url http://connect:8083 --brokers kafka:9092
 *   efd connectors apply --desired connectors.json --dry-run          # print the plan only
 *   efd connectors apply --desired /etc/efd/connectors --watch 60     # the Deployment: refresh topic lists
 *   efd connectors status [--restart-failed] [--all] [name…]
 *   efd connectors delete [name…] [--dry-run]                         # managed connectors only
 *
 * Settings fall back to the environment: CONNECT_URL, CONNECTORS_DESIRED, KAFKA_BROKERS,
 * CONNECT_MANAGER_ID, LOG_LEVEL. `--local` takes the Connect and Kafka endpoints of the local EFD.
 * One-shot runs exit 1 when the worker refused anything, printing the worker's message.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { loadConfig, zBool, zInt } from '../lib/config';
import { createAdmin } from '../lib/kafka-admin';
import { createLogger, LOG_LEVELS } from '../lib/logging';
import { createShutdown } from '../lib/shutdown';
import { createMetricsRegistry, startMetricsServer } from '../lib/metrics';
import { Counter } from 'prom-client';
import { readEndpoints } from '../lib/local-endpoints';
import { ConnectClient } from './connect-client';
import { readDesired } from './desired';
import { deleteManaged, formatStatus, reconcile, status, TopicLister, unhealthy, watch } from './manager';
import { changesOf, formatPlan } from './plan';
import { CliOutput, stdio } from '../lib/cli-output';
import { exitCodeOf } from '../lib/exit-codes';

export const DEFAULT_MANAGER_ID = 'efd-connect-manager';

const commonShape = {
  connectUrl: z
    .string({ error: 'required: the Kafka Connect REST URL, e.g. http://127.0.0.1:8083' })
    .url({ message: 'expected a URL such as http://127.0.0.1:8083' }),
  managerId: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, { message: 'expected letters, digits, ".", "_" or "-"' })
    .default(DEFAULT_MANAGER_ID),
  logLevel: z.enum(LOG_LEVELS).default('info'),
};
const COMMON_ENV = { connectUrl: 'CONNECT_URL', managerId: 'CONNECT_MANAGER_ID', logLevel: 'LOG_LEVEL' } as const;

const applySchema = z.object({
  ...commonShape,
  desired: z.string({ error: 'required: folder or file of desired connectors (the mounted ConfigMap)' }).min(1),
  brokers: z.string().min(1).optional(),
  dryRun: zBool.default(false),
  adopt: zBool.default(false),
  restartFailed: zBool.default(false),
  watch: zInt(1).optional(),
  metricsPort: zInt().max(65535).optional(),
});
export type ApplyOptions = z.output<typeof applySchema>;

const statusSchema = z.object({ ...commonShape, all: zBool.default(false), restartFailed: zBool.default(false) });
const deleteSchema = z.object({ ...commonShape, dryRun: zBool.default(false) });

/** `--local`: endpoints of the local EFD's first cluster, unless given explicitly. */
function withLocal(flags: Record<string, unknown>): Record<string, unknown> {
  if (!flags.local) return flags;
  const c = readEndpoints().clusters[0];
  const rest = Object.fromEntries(Object.entries(flags).filter(([k]) => k !== 'local'));
  return { connectUrl: c.connect, brokers: c.kafka, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
}

function topicLister(brokers: string | undefined, clientId: string): { list?: TopicLister; close: () => Promise<void> } {
  if (!brokers) return { close: async () => undefined };
  const admin = createAdmin({ brokers, clientId });
  let connected: Promise<void> | undefined;
  return {
    list: async () => {
      connected ??= admin.connect();
      await connected;
      return admin.listTopics();
    },
    close: async () => {
      if (connected) await admin.disconnect();
    },
  };
}

/** Runs `connectors apply`; returns the exit code. Watch mode returns when `signal` aborts. */
export async function runApply(flags: Record<string, unknown>, io: CliOutput = stdio, signal?: AbortSignal): Promise<number> {
  const o = loadConfig(applySchema, withLocal(flags), { ...COMMON_ENV, desired: 'CONNECTORS_DESIRED', brokers: 'KAFKA_BROKERS' });
  const client = new ConnectClient(o.connectUrl);
  const topics = topicLister(o.brokers, o.managerId);
  const base = { client, desired: () => readDesired(o.desired), listTopics: topics.list, managerId: o.managerId, adopt: o.adopt };
  try {
    if (o.watch !== undefined && !o.dryRun) {
      const logger = createLogger({ name: 'connect-manager', level: o.logLevel });
      const shutdown = createShutdown({ logger });
      const remove = signal ? () => undefined : shutdown.installSignalHandlers();
      signal?.addEventListener('abort', () => void shutdown.trigger('stopped'), { once: true });
      const registry = createMetricsRegistry();
      const cycles = new Counter({
        name: 'connect_manager_reconciles_total',
        help: 'Reconcile cycles by result',
        labelNames: ['result'],
        registers: [registry],
      });
      const changes = new Counter({
        name: 'connect_manager_changes_total',
        help: 'Connector creates, updates and deletes applied',
        labelNames: ['kind'],
        registers: [registry],
      });
      const server =
        o.metricsPort === undefined
          ? undefined
          : await startMetricsServer({ registry, port: o.metricsPort, health: () => !shutdown.signal.aborted });
      if (server) shutdown.onShutdown('metrics', () => server.close());
      logger.info(
        { connect: o.connectUrl, desired: o.desired, intervalSeconds: o.watch, metrics: server?.url },
        'connect manager watching',
      );
      await watch({
        ...base,
        intervalSeconds: o.watch,
        signal: shutdown.signal,
        logger,
        onCycle: async (r) => {
          const failed = r instanceof Error || (r.apply?.errors.length ?? 0) > 0;
          cycles.inc({ result: failed ? 'error' : 'ok' });
          if (!(r instanceof Error)) for (const a of r.apply?.applied ?? []) changes.inc({ kind: a.kind });
          if (!o.restartFailed) return;
          const rows = await status(client, { managerId: o.managerId, restartFailed: true }).catch(() => []);
          for (const r of rows.filter((x) => x.restarted.length))
            logger.warn({ connector: r.name, restarted: r.restarted }, `restarted failed ${r.restarted.join(', ')} of ${r.name}`);
        },
      });
      remove();
      await server?.close();
      return 0;
    }
    const r = await reconcile({ ...base, dryRun: o.dryRun });
    for (const line of formatPlan(r.actions)) io.out(line);
    if (o.dryRun) {
      io.out('dry run: nothing applied');
      return r.actions.some((a) => a.kind === 'conflict') ? 1 : 0;
    }
    const applied = r.apply?.applied.length ?? 0;
    if (applied === 0 && changesOf(r.actions).length === 0) io.out('nothing to do');
    else io.out(`applied ${applied} change(s) on ${o.connectUrl}`);
    for (const e of r.apply?.errors ?? []) io.err(`error: ${e.action.kind} ${e.action.name}: ${e.message}`);
    if (o.restartFailed) {
      const rows = await status(client, { managerId: o.managerId, restartFailed: true });
      for (const row of rows.filter((x) => x.restarted.length)) io.out(`restarted ${row.restarted.join(', ')} of ${row.name}`);
    }
    return r.apply?.errors.length ? 1 : 0;
  } finally {
    await topics.close();
  }
}

export async function runStatus(flags: Record<string, unknown>, names: string[], io: CliOutput = stdio): Promise<number> {
  const o = loadConfig(statusSchema, withLocal(flags), COMMON_ENV);
  const rows = await status(new ConnectClient(o.connectUrl), { managerId: o.managerId, all: o.all, restartFailed: o.restartFailed, names });
  for (const line of formatStatus(rows)) io.out(line);
  const bad = unhealthy(rows);
  if (bad.length)
    io.err(
      `${bad.length} connector(s) failed or missing: ${bad.map((b) => b.name).join(', ')}${o.restartFailed ? '' : ' (--restart-failed restarts failed ones)'}`,
    );
  return bad.length ? 1 : 0;
}

export async function runDelete(flags: Record<string, unknown>, names: string[], io: CliOutput = stdio): Promise<number> {
  const o = loadConfig(deleteSchema, withLocal(flags), COMMON_ENV);
  const r = await deleteManaged(new ConnectClient(o.connectUrl), { managerId: o.managerId, names, dryRun: o.dryRun });
  for (const line of formatPlan(r.actions)) io.out(line);
  if (o.dryRun) {
    io.out('dry run: nothing deleted');
    return 0;
  }
  for (const e of r.apply?.errors ?? []) io.err(`error: delete ${e.action.name}: ${e.message}`);
  return r.apply?.errors.length ? 1 : 0;
}

function common(cmd: Command): Command {
  return cmd
    .option('--connect-url <url>', 'Kafka Connect REST URL (env CONNECT_URL)')
    .option('--manager-id <id>', `mark of the connectors this manager owns (env CONNECT_MANAGER_ID, default ${DEFAULT_MANAGER_ID})`)
    .option('--local', 'use the local EFD (npx efd local up): its first Connect worker and Kafka cluster')
    .addOption(new Option('--log-level <level>', 'log level (env LOG_LEVEL)').choices([...LOG_LEVELS]));
}

async function exitWith(run: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await run();
  } catch (err) {
    process.stderr.write(`efd connectors: ${(err as Error).message}\n`);
    process.exitCode = exitCodeOf(err);
  }
}

/** Adds the `connectors` command group to the `efd` program. */
export function registerConnectorsCommand(program: Command): Command {
  const group = program
    .command('connectors')
    .description('Kafka Connect connectors as code: apply the desired set, status, delete (managed connectors only)');
  common(group.command('apply'))
    .description('create or update the desired connectors, delete managed ones no longer desired; expand topic regexes')
    .option('--desired <path>', 'folder of <name>.json specs (the mounted ConfigMap) or one JSON file (env CONNECTORS_DESIRED)')
    .option('--brokers <list>', 'Kafka bootstrap servers, to expand topicsRegex (env KAFKA_BROKERS)')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--watch <seconds>', 'keep running: reconcile every <seconds> (new matching topics are added)')
    .option('--adopt', "take over desired connectors that exist without this manager's mark")
    .option('--restart-failed', 'after applying, restart FAILED connectors and tasks of managed connectors')
    .action((opts: Record<string, unknown>) => exitWith(() => runApply(opts)));
  common(group.command('status'))
    .description('connector and task states of the managed connectors (or the named ones, or --all)')
    .argument('[names...]', 'connectors to show')
    .option('--all', 'include connectors this manager does not manage')
    .option('--restart-failed', 'restart FAILED connectors and tasks')
    .action((names: string[], opts: Record<string, unknown>) => exitWith(() => runStatus(opts, names)));
  common(group.command('delete'))
    .description('delete managed connectors: the named ones, or every one this manager owns')
    .argument('[names...]', 'connectors to delete (default: all managed)')
    .option('--dry-run', 'print what would be deleted')
    .action((names: string[], opts: Record<string, unknown>) => exitWith(() => runDelete(opts, names)));
  // The Deployment's entry point (constructs/connectors/connect-manager.ts): `efd connect-manager …`
  // = `efd connectors apply --watch <s>` with /metrics and /healthz on --metrics-port.
  common(program.command('connect-manager'))
    .description('run the connect manager: apply the desired connectors every --watch seconds (default 60)')
    .option('--desired <path>', 'folder of <name>.json specs (the mounted ConfigMap) or one JSON file (env CONNECTORS_DESIRED)')
    .option('--brokers <list>', 'Kafka bootstrap servers, to expand topicsRegex (env KAFKA_BROKERS)')
    .option('--watch <seconds>', 'reconcile interval', '60')
    .option('--adopt', "take over desired connectors that exist without this manager's mark")
    .option('--restart-failed', 'restart FAILED connectors and tasks of managed connectors every cycle')
    .option('--metrics-port <port>', 'port of /metrics and /healthz')
    .action((opts: Record<string, unknown>) => exitWith(() => runApply(opts)));
  return group;
}
