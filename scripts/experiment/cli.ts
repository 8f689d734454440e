/**
 * `efd experiment`: the mock-SAL experiment (seed 002) with its report. On the local EFD by default
 * (started when it is not running); `--site` runs it against a site's own endpoints.
 * Exit codes: 0 done with every message accounted for, 1 the run failed (the partial report is
 * written), 2 bad flags or an unknown site/subsystem.
 */
import { Command } from 'commander';
import { App } from 'cdktf';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSites } from '../../config/load';
import type { Site } from '../../config/schema';
import { ExperimentEndpoints, ExperimentError, ExperimentOptions, runExperiment, selectTopics } from './run';
import { summaryLines } from './report';
import { defaultInterfaces } from './input';

export interface ExperimentFlags {
  xml?: string;
  subsystems?: string;
  topics?: string;
  rateFactor?: string;
  duration?: string;
  full?: boolean;
  site?: string;
  allowProduction?: boolean;
  brokers?: string;
  registry?: string;
  influxdbUrl?: string;
  out?: string;
  plots?: boolean;
  json?: boolean;
  keep?: boolean;
  drainTimeout?: string;
}

export class UsageError extends Error {}

function positive(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number (got "${v}")`);
  return n;
}

/** The site the experiment takes its tiers (and, with --site, its endpoints) from. */
export function experimentSite(sites: Site[], name: string | undefined, allowProduction = false): Site {
  if (name === undefined) return sites.find((s) => !s.production) ?? sites[0];
  const site = sites.find((s) => s.name === name);
  if (!site) throw new UsageError(`unknown site "${name}": config/sites has ${sites.map((s) => s.name).join(', ')}`);
  if (site.production && !allowProduction) {
    throw new UsageError(
      `site "${name}" is a production site: the experiment creates topics and a database there; pass --allow-production if you mean it`,
    );
  }
  return site;
}

/** A site's in-cluster endpoints as its stack declares them (reach them from inside the cluster or through port-forwards + the override flags). */
function siteEndpoints(site: Site): ExperimentEndpoints {
  const { buildSites } = require('../../stacks/app') as typeof import('../../stacks/app');
  const [stacks] = buildSites(new App({ outdir: path.join(os.tmpdir(), `efd-experiment-${process.pid}`), skipValidation: true }), [site]);
  const registry = stacks.efd.kafka.schemaRegistryUrl;
  if (!registry) throw new UsageError(`site "${site.name}" runs no schema registry; pass --registry`);
  return { kafka: stacks.efd.kafka.bootstrapServers, registry, influxdb: stacks.efd.influxdb.url };
}

/** Flags → experiment options; endpoints of the local EFD come from `localEndpoints` (started on demand). */
export async function experimentOptions(
  flags: ExperimentFlags,
  localEndpoints: () => Promise<ExperimentEndpoints>,
): Promise<ExperimentOptions> {
  const site = experimentSite(loadSites(), flags.site, flags.allowProduction);
  const full = !!flags.full;
  const xml = flags.xml ?? process.env.EFD_TS_XML ?? defaultInterfaces();
  const subsystems = flags.subsystems
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const settings = {
    site,
    xml,
    subsystems,
    topics: flags.topics,
    seconds: positive('--duration', flags.duration, full ? 60 : 10),
    rateFactor: positive('--rate-factor', flags.rateFactor, full ? 1 : 0.05),
    drainTimeoutSeconds: positive('--drain-timeout', flags.drainTimeout, 180),
    outDir: flags.out,
    plots: flags.plots ?? true,
    keep: flags.keep,
  };
  try {
    selectTopics(xml, settings); // unknown subsystem, no topic, missing folder: a usage error before anything starts
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const given = { kafka: flags.brokers, registry: flags.registry, influxdb: flags.influxdbUrl };
  // the local EFD is started only for what the flags leave open
  const base = flags.site ? siteEndpoints(site) : given.kafka && given.registry && given.influxdb ? undefined : await localEndpoints();
  const opts: ExperimentOptions = {
    ...settings,
    endpoints: {
      kafka: given.kafka ?? base!.kafka,
      registry: given.registry ?? base!.registry,
      influxdb: given.influxdb ?? base!.influxdb,
    },
  };
  return opts;
}

/** Runs the experiment and prints its summary (or its JSON); resolves with the exit code. */
export async function runExperimentCommand(flags: ExperimentFlags, localEndpoints: () => Promise<ExperimentEndpoints>): Promise<number> {
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const err = (l: string) => process.stderr.write(`${l}\n`);
  let opts: ExperimentOptions;
  try {
    opts = await experimentOptions(flags, localEndpoints);
  } catch (e) {
    err(`efd experiment: ${(e as Error).message}`);
    return e instanceof UsageError ? 2 : 1;
  }
  const tty = process.stderr.isTTY;
  const talk = flags.json ? err : out;
  opts.say = (l) => {
    if (tty) process.stderr.write('\r\x1b[2K');
    talk(l);
  };
  // live progress: one line rewritten in place on a terminal, else a line every 5 s
  let lastProgress = 0;
  opts.progress = (l) => {
    if (tty) process.stderr.write(`\r\x1b[2K${l.trim().slice(0, (process.stderr.columns || 200) - 1)}`);
    else if (Date.now() - lastProgress >= 5000) {
      lastProgress = Date.now();
      talk(l);
    }
  };
  try {
    const report = await runExperiment(opts);
    if (tty) process.stderr.write('\r\x1b[2K');
    if (flags.json) out(JSON.stringify(report));
    else summaryLines(report).forEach(out);
    return 0;
  } catch (e) {
    if (tty) process.stderr.write('\r\x1b[2K');
    if (e instanceof ExperimentError) {
      if (flags.json) out(JSON.stringify(e.report));
      else summaryLines(e.report).forEach(out);
    }
    err(`efd experiment: ${(e as Error).message}`);
    return 1;
  }
}

export function registerExperimentCommand(program: Command, localEndpoints: () => Promise<ExperimentEndpoints>): Command {
  return program
    .command('experiment')
    .description(
      'the mock-SAL experiment (seed 002) on the local EFD or a site: counts, throughput and latency per stage, report.json and plots',
    )
    .option('--xml <folder>', 'ts_xml sal_interfaces folder to mock (env EFD_TS_XML; default: the generated 1,051-topic set)')
    .option('--subsystems <list>', 'only these subsystems, comma-separated')
    .option('--topics <regex>', 'only SAL topics whose name matches')
    .option('--rate-factor <f>', 'fraction of the seed schedule (29,284 msg/s over the selected topics); default 0.05, 1 with --full')
    .option('--duration <seconds>', 'how long salmock produces; default 10, 60 with --full')
    .option('--full', 'the whole seed schedule: every topic at rate factor 1 for 60 s')
    .option(
      '--site <name>',
      "a site's endpoints and retention tiers instead of the local EFD (reach its services through port-forwards + --brokers/--registry/--influxdb-url)",
    )
    .option('--allow-production', 'allow --site on a production site')
    .option('--brokers <host:port>', 'Kafka bootstrap servers (overrides the site or local EFD)')
    .option('--registry <url>', 'schema registry URL (overrides)')
    .option('--influxdb-url <url>', 'InfluxDB URL (overrides)')
    .option('--out <dir>', 'report folder (default experiments/<id>)')
    .option('--no-plots', 'skip the SVG/PNG plots')
    .option('--json', 'print the report as JSON on stdout (progress goes to stderr)')
    .option('--keep', "keep the experiment's topics and database (env EFD_EXPERIMENT_KEEP=1)")
    .option('--drain-timeout <seconds>', 'longest wait after salmock for InfluxDB to hold everything (default 180)')
    .action(async (flags: ExperimentFlags) => {
      process.exitCode = await runExperimentCommand(flags, localEndpoints);
    });
}
