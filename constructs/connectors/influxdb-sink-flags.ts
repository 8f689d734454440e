/**
 * The influxdb-sink app's flags as the stacks run it (pure: no cdktf), keyed by the app's option names
 * as `efd influxdb-sink` parses them (`topicsRegex` is `--topics-regex`). One place for the site's own
 * sink and for the sinks of replicated sources at an aggregator; the integration tests start the app
 * with these very flags (only the endpoints swapped for the local ones).
 *
 * A replicated source (`<prefix>.lsst.sal.*` at the aggregator) is written into the aggregator's
 * database like its own topics, one measurement per source topic with the prefix stripped
 * (`summit.lsst.sal.ATDome.position` → measurement `lsst.sal.ATDome.position`) and a tag naming the
 * source (`site=summit`): the same measurement holds every site's points, so one query covers all
 * sites (`GROUP BY site`) or one (`WHERE site = 'summit'`).
 */
import type { SiteConnectors } from '../../config/connectors';
import { aggregatedTopicsRegex } from '../../config/names';

/** Option name (camelCase) → value; arrays are variadic options. Insertion order is the argument order. */
export type SinkFlags = Record<string, string | string[]>;

/** A source site's replicated topics, as the aggregator's sink for it reads them. */
export interface ReplicatedSource {
  /** The source's prefix at the aggregator (`summit`): the tag value, stripped from topic names. */
  readonly prefix: string;
  /** Tag key naming the source (the aggregator's `inbound.siteTag`, default `site`). */
  readonly siteTag: string;
  /** The replicated topics (whole-name regex, `summit[.](?:lsst[.]sal[.].*)`). */
  readonly topicsRegex: string;
  /** The registry that decodes them: the source's remote registry at the aggregator (or the aggregator's own, import mode). */
  readonly schemaRegistryUrl: string;
}

export interface InfluxDbSinkFlagsInput {
  readonly site: string;
  readonly bootstrapServers: string;
  readonly schemaRegistryUrl: string;
  readonly influxdbUrl: string;
  readonly database: string;
  readonly retentionPolicy: string;
  readonly settings: SiteConnectors['influxDbSink'];
  /** Set for the sink of a replicated source at an aggregator. */
  readonly source?: ReplicatedSource;
  /**
   * The sink of the 1 Hz aggregated topics (apps/aggregator): `[<prefix>.]lsst.efd.agg.*` (the source's
   * topicsRegex is not used), point time from the windows' `time`, its own dead-letter topic and name.
   */
  readonly aggregated?: boolean;
}

/** The Deployment name of a sink (`influxdb-sink`, `influxdb-sink-summit` for a replicated source). */
export const influxDbSinkName = (source?: { prefix: string }, aggregated = false) =>
  `influxdb-sink${aggregated ? '-agg' : ''}${source ? `-${source.prefix}` : ''}`;

export function influxDbSinkFlags(o: InfluxDbSinkFlagsInput): SinkFlags {
  const s = o.settings;
  const src = o.source;
  const agg = o.aggregated ?? false;
  const id = `${o.site}-${influxDbSinkName(src, agg)}`;
  const dlq = `${s.deadLetterTopic}${agg ? '.agg' : ''}`;
  const flags: SinkFlags = {
    brokers: o.bootstrapServers,
    registry: src ? src.schemaRegistryUrl : o.schemaRegistryUrl,
    influxdbUrl: o.influxdbUrl,
    database: o.database,
    retentionPolicy: o.retentionPolicy,
    topicsRegex: agg ? aggregatedTopicsRegex(src ? `${src.prefix}.` : '') : src ? src.topicsRegex : s.topicsRegex,
    // Per source: its unwritable records stay apart from the aggregator's own.
    deadLetterTopic: src ? `${dlq}.${src.prefix}` : dlq,
    timestampField: agg ? 'time' : s.timestampField,
    batchSize: String(s.batchSize),
    flushIntervalMs: String(s.flushIntervalMs),
    group: id,
    clientId: id,
  };
  if (src) {
    flags.staticTag = [`${src.siteTag}=${src.prefix}`];
    flags.stripPrefix = `${src.prefix}.`;
  }
  if (s.tags.length) flags.tag = s.tags.join(',');
  return flags;
}

/** The flags as container arguments (`--topics-regex <regex>`, variadic options with their values in a row). */
export function sinkArgs(flags: SinkFlags): string[] {
  return Object.entries(flags).flatMap(([k, v]) => [
    `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    ...(Array.isArray(v) ? v : [v]),
  ]);
}
