/**
 * The rules retention tiers follow, in one place: the site schema reports them on the site YAML
 * (config/schema.ts) and influxdb-init on its --tiers input (apps/influxdb-init/influxql.ts).
 * They are InfluxDB 1.8's limits (retention ≥ 1h or INF, shard duration 1h..retention) and the
 * downsampling chain (the first tier is raw, every later one reads an earlier one at an interval).
 */
import { durationSeconds } from './duration';

/** InfluxDB rejects retention durations under one hour and raises shorter shard durations to one hour. */
export const MIN_RETENTION_SECONDS = 3600;

/** The fields of a tier the rules read (config/schema.ts RetentionTier). */
export interface TierFields {
  name: string;
  duration: string;
  shardDuration: string;
  source?: string;
  interval?: string;
}

export interface TierProblem {
  /** Index of the tier in the list. */
  index: number;
  field: keyof TierFields;
  message: string;
}

/** Every rule a tier list breaks, in list order; empty when the tiers are fine. */
export function tierProblems(tiers: readonly TierFields[]): TierProblem[] {
  const problems: TierProblem[] = [];
  const seen: string[] = [];
  tiers.forEach((tier, index) => {
    const problem = (field: keyof TierFields, message: string) => problems.push({ index, field, message });
    const secs = (field: 'duration' | 'shardDuration' | 'interval'): number | undefined => {
      const text = tier[field];
      if (text === undefined) return undefined;
      try {
        return durationSeconds(text);
      } catch (err) {
        problem(field, (err as Error).message);
        return undefined;
      }
    };
    const duration = secs('duration');
    const shard = secs('shardDuration');
    const interval = secs('interval');
    if (seen.includes(tier.name)) problem('name', `expected a unique tier name; "${tier.name}" is used twice`);
    if (duration !== undefined && duration < MIN_RETENTION_SECONDS) {
      problem('duration', `InfluxDB keeps data at least 1h; expected "1h" or longer (or "INF"), got "${tier.duration}"`);
    }
    if (shard === Infinity) problem('shardDuration', 'expected a finite shard duration such as "1h" or "1d"');
    else if (shard !== undefined && shard < MIN_RETENTION_SECONDS) {
      problem('shardDuration', `InfluxDB raises shard durations under 1h to 1h; expected "1h" or longer, got "${tier.shardDuration}"`);
    } else if (shard !== undefined && duration !== undefined && shard > duration) {
      problem(
        'shardDuration',
        `expected a shard duration no longer than the tier's duration (${tier.duration}), got "${tier.shardDuration}"`,
      );
    }
    if (index === 0) {
      if (tier.source) problem('source', 'expected no source on the first (raw) tier');
    } else {
      if (!tier.source || !seen.includes(tier.source)) {
        problem('source', `expected the name of an earlier tier (${seen.join(', ')}), got ${tier.source ? `"${tier.source}"` : 'none'}`);
      }
      if (tier.interval === undefined) problem('interval', 'expected the downsampling interval, e.g. "30s"');
      if (interval === Infinity) problem('interval', 'expected a finite interval such as "30s"');
    }
    seen.push(tier.name);
  });
  return problems;
}
