/**
 * InfluxDB query limits of a site: how many queries run at once, how long one may run, how many
 * points and series one SELECT may touch, how many series a database may hold, and after how long a
 * query is logged as slow. One place for the field names, the defaults per site kind and the InfluxDB
 * 1.x config keys they become; the InfluxDB construct (Helm values) and the local EFD's influxdb.conf
 * both render from here.
 *
 * 0 means "no limit" to InfluxDB (its own default for every one of them). A production site must not
 * leave a guard at 0 (constructs/invariants/influxdb-query-limits.ts).
 */
import { z } from 'zod';
import { durationField, durationSeconds } from './duration';
import { intIn } from './bounds';

export const QUERY_LIMIT_FIELDS = [
  'maxConcurrentQueries',
  'queryTimeout',
  'logQueriesAfter',
  'maxSelectPoint',
  'maxSelectSeries',
  'maxSeriesPerDatabase',
] as const;
export type QueryLimitField = (typeof QUERY_LIMIT_FIELDS)[number];

export interface QueryLimits {
  /** Queries running at once; more are refused ("max-concurrent-queries limit exceeded"). */
  maxConcurrentQueries: number;
  /** A query running longer is killed ("query-timeout limit exceeded"). "0s": none. */
  queryTimeout: string;
  /** A query running longer is logged with its text ("Detected slow query"). "0s": never. */
  logQueriesAfter: string;
  /** Points one SELECT may process (checked about every second while it runs). */
  maxSelectPoint: number;
  /** Series one SELECT may touch; refused before it runs ("max-select-series limit exceeded"). */
  maxSelectSeries: number;
  /** Series a database may hold; writes of new series beyond it are dropped ("max-series-per-database limit exceeded"). */
  maxSeriesPerDatabase: number;
}

/** Where each field goes in InfluxDB 1.x's configuration: section and key. */
export const INFLUXDB_KEYS: Record<QueryLimitField, { section: 'coordinator' | 'data'; key: string }> = {
  maxConcurrentQueries: { section: 'coordinator', key: 'max-concurrent-queries' },
  queryTimeout: { section: 'coordinator', key: 'query-timeout' },
  logQueriesAfter: { section: 'coordinator', key: 'log-queries-after' },
  maxSelectPoint: { section: 'coordinator', key: 'max-select-point' },
  maxSelectSeries: { section: 'coordinator', key: 'max-select-series' },
  maxSeriesPerDatabase: { section: 'data', key: 'max-series-per-database' },
};

/**
 * Defaults per site kind.
 * - production: one InfluxDB serving the control room, Chronograf dashboards and notebooks at once; a
 *   runaway query (`SELECT * FROM /.*\/` without a time range) must not take the server down. Seed 002:
 *   under 1 M series at the prototype's load, so 5 M leaves room and still stops a tag explosion.
 * - local/test (non-production sites, the local EFD): a 2-core machine shared by tests; the series and
 *   point limits are sized so that a test can exceed one with a few thousand points.
 */
export const QUERY_LIMIT_DEFAULTS: Record<'production' | 'test', QueryLimits> = {
  production: {
    maxConcurrentQueries: 32,
    queryTimeout: '5m',
    logQueriesAfter: '30s',
    maxSelectPoint: 200_000_000,
    maxSelectSeries: 200_000,
    maxSeriesPerDatabase: 5_000_000,
  },
  test: {
    maxConcurrentQueries: 8,
    queryTimeout: '2m',
    logQueriesAfter: '10s',
    maxSelectPoint: 50_000_000,
    maxSelectSeries: 20_000,
    maxSeriesPerDatabase: 1_000_000,
  },
};

/** Every limit off (0 and "0s"): InfluxDB's own defaults, as a server with no limit in its config runs. */
export const NO_QUERY_LIMITS: QueryLimits = {
  maxConcurrentQueries: 0,
  queryTimeout: '0s',
  logQueriesAfter: '0s',
  maxSelectPoint: 0,
  maxSelectSeries: 0,
  maxSeriesPerDatabase: 0,
};

const count = (unit: string) => intIn(0, Number.MAX_SAFE_INTEGER, `${unit}; 0 means no limit`);

/** The site field `influxdb.queryLimits`: each limit optional, the rest from the site kind's defaults. */
export const queryLimitsSchema = z.strictObject({
  maxConcurrentQueries: count('queries').optional(),
  queryTimeout: durationField.optional(),
  logQueriesAfter: durationField.optional(),
  maxSelectPoint: count('points').optional(),
  maxSelectSeries: count('series').optional(),
  maxSeriesPerDatabase: count('series').optional(),
});
export type QueryLimitsInput = z.output<typeof queryLimitsSchema>;

/** A site's effective limits: what its YAML sets, the defaults of its kind for the rest. */
export function queryLimits(site: { production: boolean; influxdb: { queryLimits?: QueryLimitsInput } }): QueryLimits {
  const defaults = QUERY_LIMIT_DEFAULTS[site.production ? 'production' : 'test'];
  const given = site.influxdb.queryLimits ?? {};
  return Object.fromEntries(QUERY_LIMIT_FIELDS.map((f) => [f, given[f] ?? defaults[f]])) as unknown as QueryLimits;
}

/** A duration as InfluxDB's TOML/env parser (Go's time.ParseDuration) reads it: whole seconds ("7d" → "604800s"). */
function influxDuration(text: string): string {
  return `${durationSeconds(text)}s`;
}

/** The limits as InfluxDB config sections: `{ coordinator: { 'max-select-point': 200000000, … }, data: { … } }`. */
export function influxConfigSections(limits: QueryLimits): Record<'coordinator' | 'data', Record<string, number | string>> {
  const out: Record<'coordinator' | 'data', Record<string, number | string>> = { coordinator: {}, data: {} };
  for (const f of QUERY_LIMIT_FIELDS) {
    const { section, key } = INFLUXDB_KEYS[f];
    const v = limits[f];
    out[section][key] = typeof v === 'string' ? influxDuration(v) : v;
  }
  return out;
}

/** InfluxDB 1.x's environment override of a config key: INFLUXDB_<SECTION>_<KEY>, dashes as underscores. */
export function influxEnvName(section: string, key: string): string {
  return `INFLUXDB_${section}_${key}`.toUpperCase().replace(/-/g, '_');
}

/** The limits as InfluxDB environment overrides (exact decimal strings). */
export function influxEnv(limits: QueryLimits): { name: string; value: string }[] {
  const sections = influxConfigSections(limits);
  return QUERY_LIMIT_FIELDS.map((f) => {
    const { section, key } = INFLUXDB_KEYS[f];
    return { name: influxEnvName(section, key), value: String(sections[section][key]) };
  });
}
