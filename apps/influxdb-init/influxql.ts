/**
 * Retention tiers → InfluxQL for InfluxDB 1.8. Pure: no I/O, so every statement the init app
 * sends, and every query the downsampler runs, is unit-tested here as text.
 *
 * A site's tiers (config/schema.ts) become one retention policy (RP) each, the first (raw) tier
 * being the database's DEFAULT RP:
 *
 *   CREATE DATABASE "efd"
 *   CREATE RETENTION POLICY "raw" ON "efd" DURATION 1w REPLICATION 1 SHARD DURATION 1h DEFAULT
 *
 * Downsampled tiers are filled by `efd influxdb-downsample` (downsample.ts), not by continuous
 * queries: for every closed interval it runs, one measurement at a time,
 *
 *   SELECT mean(*) INTO "efd"."intermediate"."<m>" FROM "efd"."raw"."<m>"
 *     WHERE time >= '<from>' AND time < '<to>' GROUP BY time(30s), *
 *
 * The continuous query this replaces (`SELECT mean(*) … FROM "efd"."raw"./.*\/ GROUP BY time(30s), *`
 * every 30 s) plans the union of every measurement's fields for every measurement: on the mock-SAL
 * experiment's 276 measurements (17,150 fields) one run over a minute of data took 211 s while the
 * same query per measurement took 3.7 s in all (slowest 0.3 s), and InfluxDB timed out the sink's
 * writes while it ran.
 *
 * `planStatements` compares the tiers with the server's current state and returns only what
 * must change: it creates and alters RPs and drops the CQs earlier versions created
 * (`<database>_<tier>`, or any `<database>_*`); any other RP or CQ is left alone.
 *
 * Field names: InfluxDB names `mean(*)` outputs `mean_<field>`, so a tier downsampled from a
 * downsampled tier holds `mean_mean_<field>`.
 */
import { DURATION_PATTERN, durationSeconds } from '../../config/duration';
import type { RetentionTier } from '../../config/schema';
import { tierProblems } from '../../config/retention';

/** What a statement does; `target` names the database, RP or CQ it acts on. */
export type StatementKind = 'create-database' | 'create-retention-policy' | 'alter-retention-policy' | 'drop-continuous-query';

/** One InfluxQL statement of a plan, with why it is needed (for --dry-run and logs). */
export interface Statement {
  kind: StatementKind;
  target: string;
  influxql: string;
  reason: string;
}

/** A row of `SHOW RETENTION POLICIES ON <db>`, as InfluxDB reports it ("168h0m0s", "0s" = INF). */
export interface ServerRetentionPolicy {
  name: string;
  duration: string;
  shardGroupDuration: string;
  replicaN: number;
  default: boolean;
}

/** A row of `SHOW CONTINUOUS QUERIES` for our database: InfluxDB's re-serialised query text. */
export interface ServerContinuousQuery {
  name: string;
  query: string;
}

/** What the server has for one database. */
export interface ServerState {
  databaseExists: boolean;
  retentionPolicies: ServerRetentionPolicy[];
  continuousQueries: ServerContinuousQuery[];
}

/** The state of a server without the database: the plan is then the full statement list. */
export const EMPTY_STATE: ServerState = { databaseExists: false, retentionPolicies: [], continuousQueries: [] };

/** Tiers that InfluxDB would reject or silently change; lists every problem found. */
export class RetentionTierError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `invalid retention tiers (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    this.name = 'RetentionTierError';
  }
}

// ------------------------------------------------------------------ quoting and durations ----

/** A double-quoted InfluxQL identifier; backslashes and double quotes are escaped. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A single-quoted InfluxQL string literal (time bounds). */
function quoteString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const UNITS: [string, number][] = [
  ['w', 604800],
  ['d', 86400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
];

/**
 * An InfluxQL duration literal for whole seconds, in the largest unit that divides it — the same
 * form InfluxDB prints CQs in (604800 → "1w", 90 → "90s", 5400 → "90m"); Infinity → "INF".
 */
export function formatDuration(seconds: number): string {
  if (seconds === Infinity) return 'INF';
  if (!Number.isInteger(seconds) || seconds < 0)
    throw new Error(`cannot write ${seconds} s as an InfluxQL duration: expected whole seconds`);
  if (seconds === 0) return '0s';
  const [unit, size] = UNITS.find(([, s]) => seconds % s === 0)!;
  return `${seconds / size}${unit}`;
}

const GO_UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, μs: 1e-6, ns: 1e-9 };

/**
 * Seconds in a duration as InfluxDB reports it: Go's form ("168h0m0s", "1h30m0s", "500ms"),
 * also the config form ("7d", "1w") and "INF". Throws naming the text when it is neither.
 */
export function serverDurationSeconds(text: string): number {
  const t = text.trim();
  if (t === 'INF') return Infinity;
  if (t.length === 0) throw new Error('InfluxDB reported an empty duration');
  if (DURATION_PATTERN.test(t)) return durationSeconds(t);
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|h|m|s)/y;
  let total = 0;
  let pos = 0;
  while (pos < t.length) {
    part.lastIndex = pos;
    const m = part.exec(t);
    if (!m) throw new Error(`InfluxDB reported the duration "${text}", which is not a Go duration such as "168h0m0s"`);
    total += Number(m[1]) * GO_UNIT_SECONDS[m[2]];
    pos = part.lastIndex;
  }
  return Math.round(total * 1e9) / 1e9;
}

/** Seconds of a retention duration as reported by the server: "0s" means infinite (INF). */
function serverRetentionSeconds(text: string): number {
  const s = serverDurationSeconds(text);
  return s === 0 ? Infinity : s;
}

// ------------------------------------------------------------------------ validation ----

/** The aggregations of a downsampled tier (default mean). */
export function tierAggregations(tier: RetentionTier): string[] {
  return tier.aggregations && tier.aggregations.length > 0 ? [...tier.aggregations] : ['mean'];
}

/** The name of the CQ earlier versions created to fill `tier`: `<database>_<tier>` (dropped on apply). */
export function continuousQueryName(database: string, tier: string): string {
  return `${database}_${tier}`;
}

/** Prefix of the CQs this app manages on `database`. */
export function managedPrefix(database: string): string {
  return `${database}_`;
}

/**
 * Checks tiers against the rules of the site schema and the limits of InfluxDB 1.8 (retention
 * ≥ 1h or INF, shard duration 1h..retention); throws RetentionTierError naming tier and field.
 */
export function checkTiers(database: string, tiers: RetentionTier[]): void {
  const problems: string[] = [];
  if (!database) problems.push('database: expected a database name');
  if (tiers.length === 0) problems.push('tiers: expected at least one tier (the raw tier)');
  for (const p of tierProblems(tiers)) problems.push(`tier ${p.index} "${tiers[p.index].name}", ${p.field}: ${p.message}`);
  if (problems.length > 0) throw new RetentionTierError(problems);
}

// ----------------------------------------------------------------------- statements ----

/** `CREATE DATABASE "<db>"` (a no-op when it exists in 1.8). */
export function createDatabase(database: string): string {
  return `CREATE DATABASE ${quoteIdent(database)}`;
}

/** `CREATE RETENTION POLICY` for a tier; the first tier is the DEFAULT. */
export function createRetentionPolicy(database: string, tier: RetentionTier, isDefault: boolean): string {
  return (
    `CREATE RETENTION POLICY ${quoteIdent(tier.name)} ON ${quoteIdent(database)} ` +
    `DURATION ${formatDuration(durationSeconds(tier.duration))} REPLICATION 1 ` +
    `SHARD DURATION ${formatDuration(durationSeconds(tier.shardDuration))}${isDefault ? ' DEFAULT' : ''}`
  );
}

/** The clauses an ALTER RETENTION POLICY may carry; only the given ones are written. */
export interface RetentionPolicyChange {
  durationSeconds?: number;
  replication?: number;
  shardDurationSeconds?: number;
  makeDefault?: boolean;
}

/** `ALTER RETENTION POLICY` with only the clauses that change. */
export function alterRetentionPolicy(database: string, rp: string, change: RetentionPolicyChange): string {
  const clauses: string[] = [];
  if (change.durationSeconds !== undefined) clauses.push(`DURATION ${formatDuration(change.durationSeconds)}`);
  if (change.replication !== undefined) clauses.push(`REPLICATION ${change.replication}`);
  if (change.shardDurationSeconds !== undefined) clauses.push(`SHARD DURATION ${formatDuration(change.shardDurationSeconds)}`);
  if (change.makeDefault) clauses.push('DEFAULT');
  if (clauses.length === 0) throw new Error(`ALTER RETENTION POLICY ${rp}: nothing to change`);
  return `ALTER RETENTION POLICY ${quoteIdent(rp)} ON ${quoteIdent(database)} ${clauses.join(' ')}`;
}

/** A time range [from, to) of closed intervals to downsample. */
export interface TimeRange {
  from: Date;
  to: Date;
}

/** The GROUP BY time() interval of a downsampled tier, in seconds; throws for the raw tier. */
export function tierIntervalSeconds(tier: RetentionTier): number {
  if (!tier.source || !tier.interval) {
    throw new Error(`tier "${tier.name}" is not a downsampled tier: expected its source and interval`);
  }
  return durationSeconds(tier.interval);
}

/**
 * The SELECT … INTO that downsamples one measurement of `tier` from its source tier over
 * `range`: every field, grouped by the tier's interval and all tags. Re-running it for the same
 * range overwrites the same points (same series and time), so nothing is counted twice.
 */
export function downsampleQuery(database: string, tier: RetentionTier, measurement: string, range: TimeRange): string {
  const interval = tierIntervalSeconds(tier);
  const fields = tierAggregations(tier)
    .map((a) => `${a}(*)`)
    .join(', ');
  return (
    `SELECT ${fields} INTO ${quoteIdent(database)}.${quoteIdent(tier.name)}.${quoteIdent(measurement)} ` +
    `FROM ${quoteIdent(database)}.${quoteIdent(tier.source!)}.${quoteIdent(measurement)} ` +
    `WHERE time >= ${quoteString(range.from.toISOString())} AND time < ${quoteString(range.to.toISOString())} ` +
    `GROUP BY time(${formatDuration(interval)}), *`
  );
}

/** `DROP CONTINUOUS QUERY` (CQs cannot be altered: a changed one is dropped and recreated). */
export function dropContinuousQuery(database: string, name: string): string {
  return `DROP CONTINUOUS QUERY ${quoteIdent(name)} ON ${quoteIdent(database)}`;
}

/**
 * Every statement that sets up `tiers` on a server that has not got the database: CREATE
 * DATABASE and one RP per tier (the first DEFAULT).
 */
export function retentionStatements(database: string, tiers: RetentionTier[]): Statement[] {
  return planStatements(database, tiers, EMPTY_STATE);
}

// --------------------------------------------------------------------------- planning ----

/** The RP statement for one tier, or nothing when the server already matches. */
function planRetentionPolicy(
  database: string,
  tier: RetentionTier,
  isDefault: boolean,
  current?: ServerRetentionPolicy,
): Statement | undefined {
  if (!current) {
    return {
      kind: 'create-retention-policy',
      target: tier.name,
      influxql: createRetentionPolicy(database, tier, isDefault),
      reason: 'missing',
    };
  }
  const want = { duration: durationSeconds(tier.duration), shard: durationSeconds(tier.shardDuration) };
  const have = { duration: serverRetentionSeconds(current.duration), shard: serverDurationSeconds(current.shardGroupDuration) };
  const change: RetentionPolicyChange = {};
  const reasons: string[] = [];
  if (want.duration !== have.duration) {
    change.durationSeconds = want.duration;
    reasons.push(`duration ${formatDuration(have.duration)} → ${formatDuration(want.duration)} (server reports ${current.duration})`);
  }
  if (current.replicaN !== 1) {
    change.replication = 1;
    reasons.push(`replication ${current.replicaN} → 1`);
  }
  if (want.shard !== have.shard) {
    change.shardDurationSeconds = want.shard;
    reasons.push(
      `shard duration ${formatDuration(have.shard)} → ${formatDuration(want.shard)} (server reports ${current.shardGroupDuration})`,
    );
  }
  if (isDefault && !current.default) {
    change.makeDefault = true;
    reasons.push('not the default retention policy');
  }
  if (reasons.length === 0) return undefined;
  return {
    kind: 'alter-retention-policy',
    target: tier.name,
    influxql: alterRetentionPolicy(database, tier.name, change),
    reason: reasons.join('; '),
  };
}

/**
 * The minimal statements that bring the server to `tiers`: create the database, create missing
 * RPs, ALTER RPs whose duration, shard duration, replication or default differ, and drop the
 * continuous queries earlier versions managed (`<db>_*`): the downsampler fills the tiers now, and
 * a CQ left behind would keep InfluxDB busy with the query that timed out writes. Unmanaged RPs
 * and CQs are left alone; RPs are never dropped (their data would go).
 */
export function planStatements(database: string, tiers: RetentionTier[], state: ServerState): Statement[] {
  checkTiers(database, tiers);
  const rps = state.databaseExists ? state.retentionPolicies : [];
  const cqs = state.databaseExists ? state.continuousQueries : [];
  const plan: Statement[] = [];
  if (!state.databaseExists)
    plan.push({ kind: 'create-database', target: database, influxql: createDatabase(database), reason: 'missing' });
  tiers.forEach((tier, i) => {
    const rp = planRetentionPolicy(
      database,
      tier,
      i === 0,
      rps.find((r) => r.name === tier.name),
    );
    if (rp) plan.push(rp);
  });
  const tierCqs = new Set(tiers.slice(1).map((t) => continuousQueryName(database, t.name)));
  for (const cq of cqs) {
    if (!cq.name.startsWith(managedPrefix(database))) continue;
    const reason = tierCqs.has(cq.name)
      ? 'the tier is downsampled by efd influxdb-downsample (per measurement, off the write path) instead of a continuous query'
      : 'no tier of that name any more';
    plan.push({ kind: 'drop-continuous-query', target: cq.name, influxql: dropContinuousQuery(database, cq.name), reason });
  }
  return plan;
}

// ---------------------------------------------------------------- reading SHOW results ----

/** One series of an InfluxDB /query JSON result. */
export interface SeriesJson {
  name?: string;
  columns: string[];
  values?: unknown[][];
}

/** The rows of a series as objects keyed by column name. */
export function seriesRows(series: SeriesJson): Record<string, unknown>[] {
  return (series.values ?? []).map((row) => Object.fromEntries(series.columns.map((c, i) => [c, row[i]])));
}

/** `SHOW DATABASES` series → database names. */
export function parseDatabases(series: SeriesJson[]): string[] {
  return series.flatMap(seriesRows).map((r) => String(r.name));
}

/** `SHOW RETENTION POLICIES ON <db>` series → RPs. */
export function parseRetentionPolicies(series: SeriesJson[]): ServerRetentionPolicy[] {
  return series.flatMap(seriesRows).map((r) => ({
    name: String(r.name),
    duration: String(r.duration),
    shardGroupDuration: String(r.shardGroupDuration),
    replicaN: Number(r.replicaN),
    default: r.default === true,
  }));
}

/** `SHOW CONTINUOUS QUERIES` series (one per database) → the CQs of `database`. */
export function parseContinuousQueries(series: SeriesJson[], database: string): ServerContinuousQuery[] {
  return series
    .filter((s) => s.name === database)
    .flatMap(seriesRows)
    .map((r) => ({ name: String(r.name), query: String(r.query) }));
}
