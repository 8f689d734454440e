/**
 * `efd influxdb-init` — applies a site's retention tiers (retention policies; drops the continuous
 * queries earlier versions created) to InfluxDB 1.8, idempotently. The site stacks run it as a
 * Kubernetes Job after the InfluxDB release; operators run it by hand with --dry-run to see what
 * would change.
 *
 * `efd influxdb-downsample` — fills the downsampled tiers (downsample.ts): a Deployment beside the
 * sink; with --from/--to it runs a range once (backfill) and exits.
 *
 *   efd influxdb-init --url http://influxdb.influxdb:8086 --site summit
 *   efd influxdb-init --url http://127.0.0.1:8086 --database efd --tiers tiers.json --dry-run
 *   efd influxdb-downsample --url http://influxdb.influxdb:8086 --site summit
 *   efd influxdb-downsample --url http://127.0.0.1:8086 --site summit --from 2024-05-01T00:00:00Z --to 2024-05-02T00:00:00Z
 *
 * Credentials: INFLUXDB_USER / INFLUXDB_PASSWORD (never printed).
 */
import * as fs from 'fs';
import { Command } from 'commander';
import { z } from 'zod';
import { loadSites, SITES_DIR, unknownSitesMessage } from '../../config/load';
import { RetentionTier, retentionTierSchema } from '../../config/schema';
import { applyRetention, connectionFor, formatPlan } from './apply';
import { databaseExists, downsampleMetrics, downsampleRange, Downsampler, formatPass, parseDelays } from './downsample';
import { CliOutput, stdio } from '../lib/cli-output';
import { durationSeconds } from '../../config/duration';
import { createMetricsRegistry, startMetricsServer } from '../lib/metrics';
import { sleep } from '../lib/retry';
import { createShutdown } from '../lib/shutdown';
import { BadInputError } from '../lib/exit-codes';

/** Options of `influxdb-init`. */
export interface InfluxdbInitOptions {
  url?: string;
  database?: string;
  tiers?: string;
  site?: string;
  dryRun?: boolean;
}

const tiersSchema = z.array(retentionTierSchema).min(1, { message: 'expected at least one tier (the raw tier)' });

/**
 * Tiers from --tiers: inline JSON (starts with "[" or "{") or the path of a JSON file; either an
 * array of tiers or `{ "tiers": [...] }` as in a site's `retention`. Errors name the field.
 */
export function parseTiersOption(value: string): RetentionTier[] {
  const inline = /^\s*[[{]/.test(value);
  const where = inline ? '--tiers (inline JSON)' : `--tiers file ${value}`;
  let text = value;
  if (!inline) {
    try {
      text = fs.readFileSync(value, 'utf8');
    } catch (err) {
      throw new BadInputError(
        `${where}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a JSON file or inline JSON such as '[{"name":"raw","duration":"7d","shardDuration":"1h"}]'`,
      );
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`${where}: not valid JSON (${(err as Error).message})`);
  }
  const wrapped = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'tiers' in raw;
  const parsed = tiersSchema.safeParse(wrapped ? (raw as { tiers: unknown }).tiers : raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const field = [...(wrapped ? ['tiers'] : []), ...i.path].map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `  ${field || '(top level)'}: ${i.message}`;
    });
    throw new BadInputError(
      `${where}: expected an array of retention tiers (name, duration, shardDuration, and source/interval/aggregations on downsampled tiers):\n${lines.join('\n')}`,
    );
  }
  return parsed.data;
}

/** The database and tiers the options name: from --site (config/sites) and/or --database/--tiers. */
export function resolveTarget(opts: InfluxdbInitOptions, sitesDir?: string): { database: string; tiers: RetentionTier[] } {
  if (opts.site && opts.tiers) throw new Error('give either --site (tiers from config/sites) or --tiers, not both');
  if (opts.site) {
    const dir = sitesDir ?? SITES_DIR;
    if (!fs.existsSync(dir))
      throw new BadInputError(
        `--site ${opts.site}: no site files here (${dir} does not exist; the influxdb-init image carries none): give --database and --tiers instead, as the stacks do`,
      );
    const sites = loadSites(dir);
    const site = sites.find((s) => s.name === opts.site);
    if (!site) throw new Error(unknownSitesMessage(sites, [opts.site]));
    return { database: opts.database ?? site.influxdb.database, tiers: site.retention.tiers };
  }
  if (!opts.tiers) throw new Error('give --tiers <json-file-or-inline-json> or --site <name> to say which retention tiers to apply');
  if (!opts.database) throw new Error('give --database <name> (the InfluxDB database the EFD writes to, e.g. "efd")');
  return { database: opts.database, tiers: parseTiersOption(opts.tiers) };
}

/** Runs `influxdb-init`; resolves to the exit code. Failures throw with the statement and InfluxDB's message. */
export async function runInfluxdbInit(opts: InfluxdbInitOptions, io: CliOutput = stdio): Promise<number> {
  const url = opts.url ?? process.env.INFLUXDB_URL;
  if (!url) throw new Error('give --url <url> (or set INFLUXDB_URL), e.g. http://influxdb.influxdb:8086');
  const { database, tiers } = resolveTarget(opts);
  const conn = connectionFor(url);
  const result = await applyRetention(conn, database, tiers, { dryRun: opts.dryRun, log: io.out });
  if (opts.dryRun) {
    for (const line of formatPlan(database, conn.url, result.plan)) io.out(line);
    if (!result.unchanged) io.out('influxdb-init: dry run; nothing was applied');
  } else if (result.unchanged) {
    io.out(formatPlan(database, conn.url, [])[0]);
  } else {
    io.out(`influxdb-init: applied ${result.applied.length} statement(s) to database "${database}" at ${conn.url}`);
  }
  return 0;
}

/** Adds `influxdb-init` to the `efd` program. */
export function registerInfluxdbInitCommand(program: Command): Command {
  return program
    .command('influxdb-init')
    .description('create or update the InfluxDB database, retention policies and continuous queries of the retention tiers (idempotent)')
    .option(
      '--url <url>',
      'InfluxDB 1.8 HTTP API, e.g. http://influxdb.influxdb:8086 (default $INFLUXDB_URL); credentials from $INFLUXDB_USER/$INFLUXDB_PASSWORD',
    )
    .option('--database <db>', "database name (default with --site: the site's influxdb.database)")
    .option(
      '--tiers <json-file-or-inline-json>',
      'retention tiers as JSON: an array of {name, duration, shardDuration, source?, interval?, aggregations?}',
    )
    .option('--site <name>', 'read the tiers from config/sites/<name>.yaml instead of --tiers')
    .option('--dry-run', 'print the statements that would run; change nothing')
    .action(async (opts: InfluxdbInitOptions) => {
      process.exitCode = await runInfluxdbInit(opts);
    });
}

/** Options of `influxdb-downsample`. */
export interface InfluxdbDownsampleOptions extends InfluxdbInitOptions {
  delay?: string;
  catchUp?: string;
  concurrency?: string;
  from?: string;
  to?: string;
  metricsPort?: string;
}

function parseTime(flag: string, text: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new Error(`${flag} "${text}" is not a time: expected ISO 8601 such as 2024-05-01T00:00:00Z`);
  return d;
}

function positiveInt(flag: string, text: string | undefined, fallback: number, max = Infinity): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag} "${text}": expected an integer from 1 to ${max}`);
  return n;
}

/**
 * Runs `influxdb-downsample`: with --from/--to one range and exit; otherwise the loop until
 * SIGTERM, serving /metrics and /healthz on --metrics-port. Resolves to the exit code.
 */
export async function runInfluxdbDownsample(opts: InfluxdbDownsampleOptions, io: CliOutput = stdio): Promise<number> {
  const url = opts.url ?? process.env.INFLUXDB_URL;
  if (!url) throw new Error('give --url <url> (or set INFLUXDB_URL), e.g. http://influxdb.influxdb:8086');
  const { database, tiers } = resolveTarget(opts);
  const conn = connectionFor(url);
  const concurrency = positiveInt('--concurrency', opts.concurrency, 1, 16);
  const delaySeconds = parseDelays(opts.delay, tiers);
  if (opts.from || opts.to) {
    if (!opts.from || !opts.to) throw new Error('give both --from and --to to downsample a range once (or neither to run continuously)');
    const range = { from: parseTime('--from', opts.from), to: parseTime('--to', opts.to) };
    if (range.to <= range.from) throw new Error(`--to (${opts.to}) must be after --from (${opts.from})`);
    for (const p of await downsampleRange(conn, database, tiers, range, { concurrency })) io.out(formatPass(p));
    return 0;
  }
  const registry = createMetricsRegistry();
  const metrics = downsampleMetrics(registry);
  let catchUpSeconds = 3600;
  if (opts.catchUp) {
    try {
      catchUpSeconds = durationSeconds(opts.catchUp);
    } catch (err) {
      throw new Error(`--catch-up "${opts.catchUp}": ${(err as Error).message}`);
    }
  }
  const downsampler = new Downsampler(conn, database, tiers, { concurrency, delaySeconds, catchUpSeconds, metrics, log: io.out });
  const shutdown = createShutdown({ timeoutMs: 25_000 });
  shutdown.installSignalHandlers();
  const server = await startMetricsServer({
    registry,
    port: positiveInt('--metrics-port', opts.metricsPort, 9090, 65535),
    health: () => (downsampler.lastError ? { ok: true, reason: `last error: ${downsampler.lastError}` } : true),
  });
  shutdown.onShutdown('metrics', () => server.close());
  // influxdb-init creates the database; wait for it rather than fail a pass per tier.
  while (!(await databaseExists(conn, database).catch(() => false))) {
    io.out(`influxdb-downsample: database "${database}" not found at ${conn.url} yet (influxdb-init creates it); waiting`);
    await sleep(5000);
  }
  const downsampled = tiers
    .slice(1)
    .map((t) => `${t.name} (${t.interval} from ${t.source}, delay ${delaySeconds?.[t.name] ?? durationSeconds(t.interval!)} s)`);
  io.out(
    `influxdb-downsample: database "${database}" at ${conn.url}: ${downsampled.join(', ')}; ${concurrency} measurement(s) at once; metrics ${server.url}`,
  );
  const running = downsampler.run();
  shutdown.onShutdown('downsampler', async () => {
    downsampler.stop();
    await running;
  });
  await shutdown.done;
  return 0;
}

/** Adds `influxdb-downsample` to the `efd` program. */
export function registerInfluxdbDownsampleCommand(program: Command): Command {
  return program
    .command('influxdb-downsample')
    .description(
      'fill the downsampled retention tiers: per measurement SELECT … INTO for each closed interval, off the write path (runs until SIGTERM; --from/--to runs a range once)',
    )
    .option(
      '--url <url>',
      'InfluxDB 1.8 HTTP API, e.g. http://influxdb.influxdb:8086 (default $INFLUXDB_URL); credentials from $INFLUXDB_USER/$INFLUXDB_PASSWORD',
    )
    .option('--database <db>', "database name (default with --site: the site's influxdb.database)")
    .option('--tiers <json-file-or-inline-json>', 'retention tiers as JSON, as for influxdb-init')
    .option('--site <name>', 'read the tiers from config/sites/<name>.yaml instead of --tiers')
    .option(
      '--delay <duration|tier=duration,...>',
      "how long after a window ends it is downsampled, so late points are in it (default: the tier's interval)",
    )
    .option('--catch-up <duration>', 'on start, downsample this far back (default 1h)')
    .option('--concurrency <n>', 'measurements queried at once (default 1)')
    .option('--from <time>', 'with --to: downsample [from, to) once and exit (backfill; re-running is safe)')
    .option('--to <time>', 'end of the --from range')
    .option('--metrics-port <port>', '/metrics and /healthz (default 9090)')
    .action(async (opts: InfluxdbDownsampleOptions) => {
      process.exitCode = await runInfluxdbDownsample(opts);
    });
}
