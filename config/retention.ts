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
  /** The field's text is not a duration (the site schema reports that on the field itself). */
  unparsed?: true;
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
        problems.push({ index, field, message: (err as Error).message, unparsed: true });
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
      else if (interval !== undefined && duration !== undefined && interval > duration) {
        problem(
          'interval',
          `expected an interval no longer than the tier's duration (${tier.duration}): a ${tier.interval} point would outlive the tier; got "${tier.interval}"`,
        );
      }
    }
    seen.push(tier.name);
  });
  return problems;
}

/** Kafka's broker settings for how long it keeps logs and consumer offsets, exactly as the site says. */
export interface KafkaRetention {
  /** The broker setting and its value: `log.retention.hours` when the duration is whole hours, else `log.retention.ms` (-1: forever). */
  log: { key: 'log.retention.hours' | 'log.retention.ms'; value: number };
  /** `offsets.retention.minutes` (Kafka has no finer setting). */
  offsetsMinutes: number;
}

/** Kafka's retention fields of a site (config/schema.ts `kafka`) and the raw tier that is their default. */
export interface KafkaRetentionFields {
  logRetention?: string;
  offsetsRetention?: string;
}

export interface KafkaRetentionProblem {
  field: 'logRetention' | 'offsetsRetention';
  message: string;
  /** The text is not a duration (reported on the field that holds it). */
  unparsed?: true;
}

/**
 * The broker retention settings of a site: `kafka.logRetention` (default the raw tier's duration)
 * and `kafka.offsetsRetention` (default the log retention), never rounded. Problems name the field.
 */
export function kafkaRetention(
  kafka: KafkaRetentionFields,
  rawTier: Pick<TierFields, 'duration'>,
): { settings?: KafkaRetention; problems: KafkaRetentionProblem[] } {
  const problems: KafkaRetentionProblem[] = [];
  const logText = kafka.logRetention ?? rawTier.duration;
  const logFrom = kafka.logRetention ? '' : ` (the raw tier's duration, the default of kafka.logRetention)`;
  let logMs: number;
  try {
    logMs = durationSeconds(logText) * 1000;
  } catch (err) {
    return { problems: [{ field: 'logRetention', message: (err as Error).message, unparsed: true }] };
  }
  const offsetsText = kafka.offsetsRetention ?? logText;
  let offsetsSeconds: number | undefined;
  try {
    offsetsSeconds = durationSeconds(offsetsText);
  } catch (err) {
    problems.push({ field: 'offsetsRetention', message: (err as Error).message, unparsed: true });
  }
  if (offsetsSeconds === Infinity) {
    problems.push({
      field: 'offsetsRetention',
      message: kafka.offsetsRetention
        ? 'expected a finite duration: Kafka keeps consumer offsets for a number of minutes (offsets.retention.minutes), never forever'
        : `expected a finite offsetsRetention: the log retention "${logText}"${logFrom} is its default, and Kafka keeps consumer offsets for a number of minutes, never forever`,
    });
  } else if (offsetsSeconds !== undefined && (offsetsSeconds % 60 !== 0 || offsetsSeconds === 0)) {
    problems.push({
      field: 'offsetsRetention',
      message: `expected whole minutes (Kafka's offsets.retention.minutes), at least "1m"; "${offsetsText}"${kafka.offsetsRetention ? '' : ' (the log retention, its default)'} would be rounded`,
    });
  }
  if (logMs === 0) problems.push({ field: 'logRetention', message: `expected a retention of at least "1s", got "${logText}"${logFrom}` });
  if (problems.length) return { problems };
  const log: KafkaRetention['log'] =
    logMs === Infinity
      ? { key: 'log.retention.ms', value: -1 }
      : logMs % 3_600_000 === 0
        ? { key: 'log.retention.hours', value: logMs / 3_600_000 }
        : { key: 'log.retention.ms', value: logMs };
  return { settings: { log, offsetsMinutes: (offsetsSeconds as number) / 60 }, problems };
}
