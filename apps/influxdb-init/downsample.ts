/**
 * `efd influxdb-downsample` — fills the downsampled retention tiers off the write path: for every
 * closed interval of each downsampled tier it runs the tier's `SELECT … INTO` once per measurement
 * (influxql.ts `downsampleQuery`), bounded to that time range, a few measurements at a time.
 *
 * Why not a continuous query: InfluxDB's CQ `SELECT mean(*) … FROM /.*\/ GROUP BY time(30s), *`
 * plans the union of every measurement's fields for every measurement. At the mock-SAL
 * experiment's load (276 measurements, 17,150 fields) one run over a minute of data took 211 s on
 * this 2-core machine, and the sink's writes timed out (`500 timeout`) while it ran; the same
 * query per measurement took 3.7 s in all, the slowest 0.3 s, and writes go on between them.
 *
 * When a window is done. A window [t, t + interval) of a tier fed by the raw tier is downsampled
 * once `delay` (default: one interval, the lateness the CQs' `FOR 2 × interval` tolerated) has
 * passed after its end; a tier fed by another downsampled tier waits until its source has done the
 * window. A point that reaches the raw tier later than that is not in the downsampled tier until
 * the range is run again (`--from/--to`, or a restart within `--catch-up`). Re-running a range is
 * safe: it writes the same points (same series, same time) with the same values, so nothing is
 * counted twice, and late points that arrived meanwhile are then included.
 *
 * State: only in memory. On start it downsamples the last `--catch-up` (default 1 h), so a restart
 * or a short outage leaves no gap; a query that fails leaves the tier's watermark where it was, and
 * the next pass runs that range again.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { durationSeconds } from '../../config/duration';
import type { RetentionTier } from '../../config/schema';
import { influxQuery, InfluxConnection } from './apply';
import { checkTiers, downsampleQuery, parseDatabases, seriesRows, tierIntervalSeconds, TimeRange } from './influxql';

export interface DownsampleOptions {
  /** Seconds after a window's end before it is downsampled, per tier name; default its interval. */
  delaySeconds?: Record<string, number>;
  /** How far back the first pass starts. @default 3600 */
  catchUpSeconds?: number;
  /** Measurements queried at once. @default 1 */
  concurrency?: number;
  /** Progress lines: one per pass that did something, and every failure. */
  log?: (line: string) => void;
  metrics?: DownsampleMetrics;
}

/** What one tier's part of a pass did. */
export interface TierPass {
  tier: string;
  range: TimeRange;
  measurements: number;
  /** Points written into the tier. */
  written: number;
  seconds: number;
  /** The measurement whose query took longest, and how long. */
  slowest?: { measurement: string; seconds: number };
  /** Measurements whose query failed (the range is run again next pass). */
  failed: { measurement: string; error: string }[];
}

export function downsampleMetrics(registry: Registry) {
  return {
    passSeconds: new Histogram({
      name: 'influxdb_downsample_pass_seconds',
      help: "Duration of one tier's downsampling pass over every measurement",
      labelNames: ['tier'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    querySeconds: new Histogram({
      name: 'influxdb_downsample_query_seconds',
      help: "Duration of one measurement's SELECT … INTO",
      labelNames: ['tier'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    written: new Counter({
      name: 'influxdb_downsample_points_written_total',
      help: 'Points written into downsampled tiers',
      labelNames: ['tier'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'influxdb_downsample_query_errors_total',
      help: 'Failed downsampling queries (their range is run again)',
      labelNames: ['tier'],
      registers: [registry],
    }),
    watermark: new Gauge({
      name: 'influxdb_downsample_watermark_seconds',
      help: 'Unix time up to which the tier is downsampled',
      labelNames: ['tier'],
      registers: [registry],
    }),
  };
}
export type DownsampleMetrics = ReturnType<typeof downsampleMetrics>;

/** Start of the interval holding `seconds` (intervals aligned to the epoch, as GROUP BY time() aligns them). */
const floorTo = (seconds: number, interval: number) => Math.floor(seconds / interval) * interval;

/**
 * The range a tier may downsample now, in Unix seconds, or undefined when no whole window is due:
 * from its watermark (or, before its first range, the window holding `origin`: the first pass's
 * time less the catch-up) to the last window that ended `delay` ago and that its source tier has
 * done (`sourceDone`; undefined for the raw tier).
 */
export function dueRange(
  interval: number,
  now: number,
  delay: number,
  origin: number,
  done: number | undefined,
  sourceDone?: number,
): { from: number; to: number } | undefined {
  const from = done ?? floorTo(origin, interval);
  let to = floorTo(now - delay, interval);
  if (sourceDone !== undefined) to = Math.min(to, floorTo(sourceDone, interval));
  return to > from ? { from, to } : undefined;
}

/** Measurement names of the database (one index for all its RPs). */
export async function listMeasurements(conn: InfluxConnection, database: string): Promise<string[]> {
  const result = await influxQuery(conn, 'SHOW MEASUREMENTS', database);
  return (result.series ?? []).flatMap(seriesRows).map((r) => String(r.name));
}

/** Runs `work` over `items`, at most `concurrency` at once. */
async function eachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(runners);
}

/**
 * Downsamples one tier over `range`, one measurement at a time (`concurrency` at once). Never
 * throws for a measurement: failures are returned, so the caller keeps the range to run again.
 */
export async function downsampleTier(
  conn: InfluxConnection,
  database: string,
  tier: RetentionTier,
  measurements: string[],
  range: TimeRange,
  opts: DownsampleOptions = {},
): Promise<TierPass> {
  const started = process.hrtime.bigint();
  const pass: TierPass = { tier: tier.name, range, measurements: measurements.length, written: 0, seconds: 0, failed: [] };
  await eachLimited(measurements, opts.concurrency ?? 1, async (measurement) => {
    const t0 = process.hrtime.bigint();
    try {
      const result = await influxQuery(conn, downsampleQuery(database, tier, measurement, range), database);
      const written = (result.series ?? []).flatMap(seriesRows).reduce((n, r) => n + (Number(r.written) || 0), 0);
      pass.written += written;
      opts.metrics?.written.inc({ tier: tier.name }, written);
    } catch (err) {
      pass.failed.push({ measurement, error: (err as Error).message });
      opts.metrics?.errors.inc({ tier: tier.name });
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    opts.metrics?.querySeconds.observe({ tier: tier.name }, seconds);
    if (!pass.slowest || seconds > pass.slowest.seconds) pass.slowest = { measurement, seconds };
  });
  pass.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  opts.metrics?.passSeconds.observe({ tier: tier.name }, pass.seconds);
  return pass;
}

/**
 * Downsamples every downsampled tier over `range`, in tier order (a tier after its source), once:
 * backfills, re-runs after late data, tests. Throws when a query failed, naming the measurements.
 */
export async function downsampleRange(
  conn: InfluxConnection,
  database: string,
  tiers: RetentionTier[],
  range: TimeRange,
  opts: DownsampleOptions = {},
): Promise<TierPass[]> {
  checkTiers(database, tiers);
  const measurements = await listMeasurements(conn, database);
  const passes: TierPass[] = [];
  for (const tier of tiers.slice(1)) {
    const interval = tierIntervalSeconds(tier);
    const aligned = {
      from: new Date(floorTo(range.from.getTime() / 1000, interval) * 1000),
      to: new Date(Math.ceil(range.to.getTime() / 1000 / interval) * interval * 1000),
    };
    const pass = await downsampleTier(conn, database, tier, measurements, aligned, opts);
    passes.push(pass);
    if (pass.failed.length) {
      throw new Error(
        `influxdb-downsample: tier "${tier.name}" of database "${database}" at ${conn.url}: ${pass.failed.length} of ${pass.measurements} measurement(s) failed, e.g. ${pass.failed[0].measurement}: ${pass.failed[0].error}`,
      );
    }
  }
  return passes;
}

/** A line for the log about one tier's pass. */
export function formatPass(p: TierPass): string {
  const slowest = p.slowest ? `, slowest ${p.slowest.measurement} ${p.slowest.seconds.toFixed(3)} s` : '';
  const failed = p.failed.length
    ? `; ${p.failed.length} failed (run again next pass), e.g. ${p.failed[0].measurement}: ${p.failed[0].error}`
    : '';
  return `influxdb-downsample: ${p.tier} ${p.range.from.toISOString()} → ${p.range.to.toISOString()}: ${p.measurements} measurement(s), ${p.written} point(s) written in ${p.seconds.toFixed(2)} s${slowest}${failed}`;
}

/**
 * The long-running downsampler: passes over the tiers whenever a window is due, until `stop()`.
 * `pass()` is exposed for tests (a given `now`).
 */
export class Downsampler {
  private readonly done = new Map<string, number>();
  /** Where tiers without a watermark start: the first pass's time less the catch-up. */
  private origin: number | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Result of the last pass that ran a query (for /healthz and tests). */
  lastPasses: TierPass[] = [];
  lastError: string | undefined;

  constructor(
    private readonly conn: InfluxConnection,
    private readonly database: string,
    private readonly tiers: RetentionTier[],
    private readonly opts: DownsampleOptions = {},
  ) {
    checkTiers(database, tiers);
    if (tiers.length < 2)
      throw new Error(`influxdb-downsample: database "${database}" has no downsampled tier (only "${tiers[0]?.name}"); nothing to do`);
  }

  private delay(tier: RetentionTier): number {
    return this.opts.delaySeconds?.[tier.name] ?? tierIntervalSeconds(tier);
  }

  /** Unix seconds up to which `tier` is downsampled (undefined before its first pass). */
  watermark(tier: string): number | undefined {
    return this.done.get(tier);
  }

  /** One pass at `now` (Unix seconds): every due range of every tier, in tier order. */
  async pass(now = Date.now() / 1000): Promise<TierPass[]> {
    const passes: TierPass[] = [];
    let measurements: string[] | undefined;
    this.origin ??= now - (this.opts.catchUpSeconds ?? 3600);
    for (const tier of this.tiers.slice(1)) {
      const interval = tierIntervalSeconds(tier);
      const sourceDone = tier.source === this.tiers[0].name ? undefined : (this.done.get(tier.source!) ?? -Infinity);
      const due = dueRange(interval, now, this.delay(tier), this.origin, this.done.get(tier.name), sourceDone);
      if (!due) continue;
      try {
        measurements ??= await listMeasurements(this.conn, this.database);
      } catch (err) {
        this.lastError = (err as Error).message;
        this.opts.log?.(
          `influxdb-downsample: cannot list the measurements of "${this.database}" at ${this.conn.url}: ${this.lastError}; trying again next pass`,
        );
        return passes;
      }
      const range = { from: new Date(due.from * 1000), to: new Date(due.to * 1000) };
      const p = await downsampleTier(this.conn, this.database, tier, measurements, range, this.opts);
      passes.push(p);
      this.opts.log?.(formatPass(p));
      if (p.failed.length) {
        this.lastError = p.failed[0].error;
        continue; // watermark stays: the whole range runs again (idempotent)
      }
      this.lastError = undefined;
      this.done.set(tier.name, due.to);
      this.opts.metrics?.watermark.set({ tier: tier.name }, due.to);
    }
    if (passes.length) this.lastPasses = passes;
    return passes;
  }

  /** Seconds from `now` until the next window of any tier is due (at least 1 s, at most 60 s). */
  nextDueIn(now = Date.now() / 1000): number {
    let next = Infinity;
    for (const tier of this.tiers.slice(1)) {
      const interval = tierIntervalSeconds(tier);
      const done = this.done.get(tier.name) ?? floorTo(this.origin ?? now - (this.opts.catchUpSeconds ?? 3600), interval);
      next = Math.min(next, done + interval + this.delay(tier));
    }
    return Math.min(60, Math.max(1, next - now + 0.05));
  }

  /** Passes until stop(); a pass that failed is retried after 5 s. */
  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.pass();
      } catch (err) {
        this.lastError = (err as Error).message;
        this.opts.log?.(`influxdb-downsample: pass failed: ${this.lastError}`);
      }
      if (this.stopped) break;
      const wait = this.lastError ? 5 : this.nextDueIn();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, wait * 1000);
      });
    }
  }

  /** Stops after the query in flight. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }
}

/** Whether `database` exists (the downsampler waits for influxdb-init). */
export async function databaseExists(conn: InfluxConnection, database: string): Promise<boolean> {
  return parseDatabases((await influxQuery(conn, 'SHOW DATABASES')).series ?? []).includes(database);
}

/** `--delay` values: one duration for every tier, or `tier=duration,…`. */
export function parseDelays(text: string | undefined, tiers: RetentionTier[]): Record<string, number> | undefined {
  if (!text) return undefined;
  const names = tiers.slice(1).map((t) => t.name);
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.includes('=') ? part.split('=', 2) : [undefined, part];
    let seconds: number;
    try {
      seconds = durationSeconds(value);
    } catch (err) {
      throw new Error(`--delay "${part}": ${(err as Error).message}`);
    }
    if (name === undefined) for (const n of names) out[n] = seconds;
    else if (!names.includes(name)) throw new Error(`--delay "${part}": no downsampled tier "${name}"; the tiers are ${names.join(', ')}`);
    else out[name] = seconds;
  }
  return out;
}
