/**
 * `efd alerts experiment` — seed 004's mini-broker end to end on the local EFD (./alerts-run.ts): the
 * producer, the 5 filter groups and the users as processes, a report per visit (results.json, summary.txt,
 * receipt-times.png). `--find-max` steps the visit size up and reports the largest kept up with.
 * Registered under `efd alerts` by apps/cli/main.ts (the alerts image, apps/alerts/main.ts, has no
 * experiment). Exit codes: 0 the run completed (kept up or not: the summary says), 1 it failed (the partial
 * report is written), 2 bad flags, 4 Kafka or the registry unreachable.
 */
import type { Command } from 'commander';
import { durationSeconds } from '../../config/duration';
import { MAX_ALERTS_PER_VISIT } from '../../apps/alerts/generate';
import { exitCodeOf, UnreachableError, UsageError } from '../../apps/lib/exit-codes';
import { readEndpoints } from '../local-efd/endpoints';
import { runningPid } from '../local-efd/procs';
import type { AlertsExperimentOptions } from './alerts-run';

export interface AlertsExperimentFlags {
  visits?: string;
  warmUpVisits?: string;
  alertsPerVisit?: string;
  interval?: string;
  users?: string;
  usersPerProcess?: string;
  cutouts?: boolean;
  seed?: string;
  findMax?: string | boolean;
  topicPrefix?: string;
  brokers?: string;
  registry?: string;
  out?: string;
  plots?: boolean;
  json?: boolean;
  keep?: boolean;
  drainTimeout?: string;
}

/** The visit sizes `--find-max` steps through by default (the stretch goal is 100,000). */
export const FIND_MAX_SIZES = [10_000, 20_000, 50_000, 100_000];

function whole(flag: string, v: string | undefined, dflt: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new UsageError(`${flag} must be a whole number from 1 to ${max.toLocaleString('en-US')} (got "${v}")`);
  }
  return n;
}

/** `39s`, `1m`, `0.5` (seconds) → seconds. */
function seconds(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const text = v.trim();
  let s: number;
  try {
    s = /^\d+(\.\d+)?$/.test(text) ? Number(text) : durationSeconds(text);
  } catch (err) {
    throw new UsageError(`${flag} "${v}": ${(err as Error).message}`);
  }
  if (!(s > 0)) throw new UsageError(`${flag} must be a positive duration, e.g. 39s (got "${v}")`);
  return s;
}

/** The sizes of `--find-max [list]`. */
export function findMaxSizes(v: string | boolean | undefined): number[] | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return FIND_MAX_SIZES;
  const sizes = v.split(',').map((x) => whole('--find-max', x.trim(), 0, MAX_ALERTS_PER_VISIT));
  if (sizes.some((x, i) => i > 0 && x <= sizes[i - 1]))
    throw new UsageError(`--find-max ${v}: list the sizes growing, e.g. 10000,20000,50000`);
  return sizes;
}

/** The local EFD's cluster a, and its broker's process when it runs. */
export interface LocalEndpoints {
  kafka: string;
  registry: string;
  brokerPid?: number;
}

/** The local EFD's cluster a (scripts/local-efd readEndpoints; it is not started here) and its broker's pid. */
export function localAlertsEndpoints(): LocalEndpoints {
  const a = readEndpoints().clusters[0];
  return { kafka: a.kafka, registry: a.registry, brokerPid: runningPid(`kafka-${a.name}`)?.pid };
}

/** Flags → options; the local EFD's endpoints unless both --brokers and --registry are given. */
export function alertsExperimentOptions(
  flags: AlertsExperimentFlags,
  localEndpoints: () => LocalEndpoints = localAlertsEndpoints,
): AlertsExperimentOptions {
  const interval = seconds('--interval', flags.interval, 39);
  const opts: AlertsExperimentOptions = {
    endpoints: { kafka: '', registry: '' },
    visits: whole('--visits', flags.visits, 2),
    warmUpVisits: flags.warmUpVisits === '0' ? 0 : whole('--warm-up-visits', flags.warmUpVisits, 1),
    alertsPerVisit: whole('--alerts-per-visit', flags.alertsPerVisit, 10_000, MAX_ALERTS_PER_VISIT),
    intervalS: interval,
    users: whole('--users', flags.users, 100),
    usersPerProcess: whole('--users-per-process', flags.usersPerProcess, 50),
    cutouts: flags.cutouts ?? true,
    seed: whole('--seed', flags.seed, 4),
    prefix: flags.topicPrefix,
    outDir: flags.out,
    plots: flags.plots ?? true,
    keep: flags.keep,
    drainTimeoutS: flags.drainTimeout === undefined ? undefined : seconds('--drain-timeout', flags.drainTimeout, 60),
  };
  let base: LocalEndpoints | undefined;
  if (!(flags.brokers && flags.registry)) {
    try {
      base = localEndpoints();
    } catch (err) {
      throw new UnreachableError(`${(err as Error).message} Or pass --brokers and --registry.`, { cause: err });
    }
  }
  opts.endpoints = { kafka: flags.brokers ?? base!.kafka, registry: flags.registry ?? base!.registry };
  // the local broker's CPU goes in the report when the run uses it
  if (base?.brokerPid !== undefined && opts.endpoints.kafka === base.kafka) opts.brokerPid = base.brokerPid;
  return opts;
}

/** Runs the experiment (or --find-max) and prints its summary (or JSON); resolves with the exit code. */
export async function runAlertsExperimentCommand(flags: AlertsExperimentFlags, localEndpoints?: () => LocalEndpoints): Promise<number> {
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const err = (l: string) => process.stderr.write(`${l}\n`);
  let opts: AlertsExperimentOptions;
  let sizes: number[] | undefined;
  try {
    opts = alertsExperimentOptions(flags, localEndpoints);
    sizes = findMaxSizes(flags.findMax);
  } catch (e) {
    err(`efd alerts experiment: ${(e as Error).message}`);
    return exitCodeOf(e);
  }
  opts.say = flags.json ? err : out;
  const run = require('./alerts-run') as typeof import('./alerts-run');
  const report = require('./alerts-report') as typeof import('./alerts-report');
  try {
    if (sizes) {
      const r = await run.runAlertsFindMax(opts, sizes);
      if (flags.json) out(JSON.stringify(r));
      else report.findMaxSummaryLines(r).forEach(out);
      return 0;
    }
    const r = await run.runAlertsExperiment(opts);
    if (flags.json) out(JSON.stringify(r));
    else report.alertsSummaryLines(r).forEach(out);
    return 0;
  } catch (e) {
    if (e instanceof run.AlertsExperimentError) {
      if (flags.json) out(JSON.stringify(e.report));
      else report.alertsSummaryLines(e.report).forEach(out);
    }
    err(`efd alerts experiment: ${(e as Error).message}`);
    return exitCodeOf(e);
  }
}

/** Adds `efd alerts experiment` to the `alerts` command. */
export function registerAlertsExperimentCommand(alerts: Command, localEndpoints?: () => LocalEndpoints): Command {
  return alerts
    .command('experiment')
    .description(
      'seed 004 end to end on the local EFD: the producer, the 5 filter groups and the users as processes; per visit the produce time, ' +
        "each filter group's and the users' finish after the last ack, alerts per filter; results.json, summary.txt and a plot",
    )
    .option('--visits <n>', 'visits measured (default 2)')
    .option('--warm-up-visits <n>', "visits produced first and reported, not counted: the processes' first work (default 1; 0 for none)")
    .option('--alerts-per-visit <n>', `alerts per visit (default 10000, at most ${MAX_ALERTS_PER_VISIT})`)
    .option('--interval <duration>', 'visit k starts at t0 + k · interval: 39s, 5s, or seconds (default 39s)')
    .option('--users <n>', 'end users (monitor mode), spread over the 100 filter topics as the gcp-alerts stack spreads them (default 100)')
    .option(
      '--users-per-process <n>',
      'users run in one process (each its own consumer and group, consume.ts code): 100 processes do not fit 2 cores (default 50)',
    )
    .option('--no-cutouts', 'alerts without the difference and template stamps')
    .option('--seed <n>', 'seed of the generated alerts (default 4)')
    .option(
      '--find-max [sizes]',
      `run at growing visit sizes (default ${FIND_MAX_SIZES.join(',')}) until one is not kept up with; reports the largest kept up with`,
    )
    .option('--topic-prefix <prefix>', "prefix of the run's topics, groups and subject (default <id>., the run's own)")
    .option('--brokers <host:port>', "Kafka bootstrap servers (default the local EFD's cluster a)")
    .option('--registry <url>', "schema registry URL (default the local EFD's)")
    .option('--out <dir>', 'report folder (default experiments/<id>)')
    .option('--no-plots', 'skip the plot')
    .option('--json', 'print the report as JSON on stdout (progress goes to stderr)')
    .option('--keep', "keep the run's topics and subject (env EFD_EXPERIMENT_KEEP=1)")
    .option('--drain-timeout <duration>', "longest wait after the last visit's ack for the filters and users (default max(60 s, interval))")
    .action(async (flags: AlertsExperimentFlags) => {
      process.exitCode = await runAlertsExperimentCommand(flags, localEndpoints);
    });
}
