/**
 * `efd influxdb-init` — applies a site's retention tiers (retention policies and continuous
 * queries) to InfluxDB 1.8, idempotently. The site stacks run it as a Kubernetes Job after the
 * InfluxDB release; operators run it by hand with --dry-run to see what would change.
 *
 *   efd influxdb-init --url http://influxdb.influxdb:8086 --site summit
 *   efd influxdb-init --url http://127.0.0.1:8086 --database efd --tiers tiers.json --dry-run
 *
 * Credentials: INFLUXDB_USER / INFLUXDB_PASSWORD (never printed).
 */
import * as fs from 'fs';
import { Command } from 'commander';
import { z } from 'zod';
import { loadSites } from '../../config/load';
import { RetentionTier, retentionTierSchema } from '../../config/schema';
import { applyRetention, connectionFor, formatPlan } from './apply';
import { CliOutput, stdio } from '../lib/cli-output';

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
      throw new Error(`${where}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a JSON file or inline JSON such as '[{"name":"raw","duration":"7d","shardDuration":"1h"}]'`);
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
  }
  const wrapped = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'tiers' in raw;
  const parsed = tiersSchema.safeParse(wrapped ? (raw as { tiers: unknown }).tiers : raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const field = [...(wrapped ? ['tiers'] : []), ...i.path].map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `  ${field || '(top level)'}: ${i.message}`;
    });
    throw new Error(`${where}: expected an array of retention tiers (name, duration, shardDuration, and source/interval/aggregations on downsampled tiers):\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The database and tiers the options name: from --site (config/sites) and/or --database/--tiers. */
export function resolveTarget(opts: InfluxdbInitOptions, sitesDir?: string): { database: string; tiers: RetentionTier[] } {
  if (opts.site && opts.tiers) throw new Error('give either --site (tiers from config/sites) or --tiers, not both');
  if (opts.site) {
    const sites = loadSites(sitesDir);
    const site = sites.find((s) => s.name === opts.site);
    if (!site) throw new Error(`unknown site "${opts.site}"; known sites: ${sites.map((s) => s.name).join(', ')} (config/sites/*.yaml)`);
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
    .option('--url <url>', 'InfluxDB 1.8 HTTP API, e.g. http://influxdb.influxdb:8086 (default $INFLUXDB_URL); credentials from $INFLUXDB_USER/$INFLUXDB_PASSWORD')
    .option('--database <db>', 'database name (default with --site: the site\'s influxdb.database)')
    .option('--tiers <json-file-or-inline-json>', 'retention tiers as JSON: an array of {name, duration, shardDuration, source?, interval?, aggregations?}')
    .option('--site <name>', 'read the tiers from config/sites/<name>.yaml instead of --tiers')
    .option('--dry-run', 'print the statements that would run; change nothing')
    .action(async (opts: InfluxdbInitOptions) => {
      process.exitCode = await runInfluxdbInit(opts);
    });
}
