/**
 * The alert mini-broker of a site (seed 004), its `alerts` section (zod, no constructs): what the
 * `<site>-alerts` stack deploys on the site's cluster beside the EFD, against the EFD's Kafka and schema
 * registry, in a namespace of its own so the stack is destroyed without touching the EFD:
 *  - the topics: the alert stream `[<prefix>]alerts` and the filter topics `[<prefix>]Filter001` … (one per
 *    filter of the set), with their partitions and retention, applied by a Job (`topics-apply`);
 *  - the producer: `efd alerts produce`, a visit of `alertsPerVisit` alerts every `interval`;
 *  - the filters: one Deployment per filter group (`efd alerts filter --set <set> --group G`), each group one
 *    consumer group of the whole stream writing to its filters' topics;
 *  - the consumers: `consumers.count` end users (`efd alerts consume --topic FilterNNN`), spread evenly over
 *    the filter topics, one Deployment per filter topic (see consumerReplicas).
 * The topics may keep at most half of each broker's volume (alertsStorageProblem, checked at load).
 *
 * Absent: no alerts stack. Example (gcp.yaml):
 *   alerts:
 *     topics: { alerts: { partitions: 6, retention: 1h } }
 *     consumers: { count: 100 }
 */
import { z } from 'zod';
import { intIn, resourcesSchema } from './bounds';
import { durationField, durationSeconds } from './duration';
import { ALERTS_TOPIC, filterTopicOf, K8S_NAME } from './names';
import { resolvePolicies, type TopicPolicy } from './topic-policies';

/**
 * The filter sets the filter app ships (`efd alerts filter --set <name>`, apps/alerts/filter-seed004.json) and
 * their shape: seed 004's is 100 filters in 5 groups of 20, filter n of group G = (G − 1) × 20 + n, writing to
 * Filter001 … Filter100, each at most `cap` alerts a visit.
 */
export const ALERT_FILTER_SETS = {
  seed004: { groups: 5, filtersPerGroup: 20, cap: 20 },
} as const;

/**
 * Bytes one alert takes in Kafka, rounded up (Avro in the Confluent wire format, key, `visit` header): the
 * generated alerts of apps/alerts/generate.ts average 17,710 bytes with their two cutouts (30 × 30 float32
 * FITS stamps of 8,640 bytes each) and 362 without. For the storage estimate (alertsStorage).
 */
export const ALERT_BYTES = { cutouts: 18_000, noCutouts: 400 } as const;
export type AlertFilterSetName = keyof typeof ALERT_FILTER_SETS;

/** How many filters (and filter topics) a set has: groups × filters per group. */
export function filterCount(set: AlertFilterSetName): number {
  const s = ALERT_FILTER_SETS[set];
  return s.groups * s.filtersPerGroup;
}

const k8sName = z.string().regex(K8S_NAME, { message: 'expected a lowercase RFC 1123 name (a-z, 0-9, "-")' });

/** A topic prefix: what a topic name may hold, or nothing. */
const topicPrefix = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{0,200}$/, { message: 'expected a topic prefix (a-z, A-Z, 0-9, ".", "_", "-") or ""' });

/** A finite duration of at least one second (a visit interval). */
const interval = durationField.superRefine((text, ctx) => {
  let s: number;
  try {
    s = durationSeconds(text);
  } catch {
    return; // reported by durationField
  }
  if (!(s >= 1 && s < Infinity)) ctx.addIssue({ code: 'custom', message: `expected a finite duration of at least 1s, got "${text}"` });
});

const topicSettings = (partitions: number, retention: string) =>
  z
    .strictObject({
      /** Partitions of each topic. */
      partitions: intIn(1, 1000, 'partitions').default(partitions),
      /** How long Kafka keeps the alerts (retention.ms). */
      retention: durationField.default(retention),
    })
    .prefault({});

export const alertsSchema = z
  .strictObject({
    /** The stack's own namespace: destroying the stack deletes it and everything in it, nothing of the EFD. */
    namespace: k8sName.default('alerts'),
    /** Prefix of every alerts topic and consumer group (the apps' `--topic-prefix`). */
    topicPrefix: topicPrefix.default(''),
    topics: z
      .strictObject({
        /**
         * The alert stream `[<prefix>]alerts`: 6 partitions (2 per broker on 3 brokers; each filter group's
         * replicas share them), kept 1 h: ≈ 92 visits of 10,000 alerts at one every 39 s, 16.6 GB with cutouts
         * (the filters read a visit within seconds; the hour is for their restarts).
         */
        alerts: topicSettings(6, '1h'),
        /**
         * Each filter topic `[<prefix>]FilterNNN` (≤ 20 alerts a visit): 1 partition, kept 6 h (half a night of
         * visits for a user who comes back; 100 topics ≈ 20 GB with cutouts).
         */
        filters: topicSettings(1, '6h'),
        /** Replicas of each partition. @default the site's (3 with ≥ 3 brokers, else 1) */
        replicationFactor: intIn(1, 100, 'replicas').optional(),
      })
      .prefault({}),
    /**
     * The producer, one (a visit is one process's sequence; two would send every visit twice), a visit every
     * interval until stopped (a Deployment restarts a process that ends: a bounded run is `efd alerts produce
     * --visits N` by hand, or the Deployment scaled to 0 and back).
     */
    producer: z
      .strictObject({
        /** Alerts in one visit (seed 004: 10,000, produced in ≤ 1 s). */
        alertsPerVisit: intIn(1, 1_000_000, 'alerts a visit').default(10_000),
        /** The visit cadence: one visit every `interval` (seed 004: 39 s). */
        interval: interval.default('39s'),
        /** Seed of the generated alerts (the same seed, the same alerts). */
        seed: intIn(0, 2 ** 31 - 1, 'seed').default(4),
        /** Image cutouts in the alerts (off: `--no-cutouts`, smaller alerts). */
        cutouts: z.boolean().default(true),
        resources: resourcesSchema.prefault({ requests: { cpu: '1', memory: '512Mi' }, limits: { memory: '1Gi' } }),
      })
      .prefault({}),
    filters: z
      .strictObject({
        /** The filter set (ALERT_FILTER_SETS): its shape gives the groups (Deployments) and the filter topics. */
        set: z.enum(Object.keys(ALERT_FILTER_SETS) as [AlertFilterSetName]).default('seed004'),
        /**
         * Replicas of each group's Deployment: they share the stream's partitions in the group's consumer
         * group (at most the stream's partitions; a replica beyond them would idle).
         */
        replicas: intIn(1, 64, 'replicas').default(1),
        resources: resourcesSchema.prefault({ requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '512Mi' } }),
      })
      .prefault({}),
    consumers: z
      .strictObject({
        /** End users consuming the filter topics at once (seed 004: 100), spread evenly over the filter topics. */
        count: intIn(0, 10_000, 'consumers').default(100),
        /** `monitor`: one status line at each end of stream; `print`: every alert. */
        mode: z.enum(['monitor', 'print']).default('monitor'),
        /** Of each consumer (one pod each): a Node process reading ≤ 20 alerts a visit. */
        resources: resourcesSchema.prefault({ requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '192Mi' } }),
      })
      .prefault({}),
  })
  .superRefine((a, ctx) => {
    if (a.filters.replicas > a.topics.alerts.partitions) {
      ctx.addIssue({
        code: 'custom',
        path: ['filters', 'replicas'],
        message: `expected at most topics.alerts.partitions (${a.topics.alerts.partitions}) replicas: a filter group's replicas share the stream's partitions, one beyond them idles`,
      });
    }
  });

export type AlertsSettings = z.output<typeof alertsSchema>;
export type AlertsInput = z.input<typeof alertsSchema>;

/** The alert stream's topic: `[<prefix>]alerts`. */
export const alertsTopic = (a: AlertsSettings) => `${a.topicPrefix}${ALERTS_TOPIC}`;

/** Every filter topic of the set, in filter order: `[<prefix>]Filter001` … */
export function alertFilterTopics(a: AlertsSettings): string[] {
  return Array.from({ length: filterCount(a.filters.set) }, (_, i) => filterTopicOf(i + 1, a.topicPrefix));
}

/** The filter groups of the set, 1 … groups. */
export function alertFilterGroups(a: AlertsSettings): number[] {
  return Array.from({ length: ALERT_FILTER_SETS[a.filters.set].groups }, (_, i) => i + 1);
}

/**
 * Consumers per filter topic: `count` spread evenly, the first topics taking one more each while a
 * remainder lasts (100 over 100 topics: 1 each; 250: 3 for Filter001–050, 2 for the others; 30: 1 for
 * Filter001–030, none for the others).
 */
export function consumerReplicas(a: AlertsSettings): number[] {
  return spreadOver(a.consumers.count, filterCount(a.filters.set));
}

/** `count` spread over `topics`: each topic ⌊count/topics⌋, the first (count mod topics) one more (the users of {@link consumerReplicas}, and of `efd alerts experiment`). */
export function spreadOver(count: number, topics: number): number[] {
  const each = Math.floor(count / topics);
  const rest = count % topics;
  return Array.from({ length: topics }, (_, i) => each + (i < rest ? 1 : 0));
}

const isDuration = (text: string) => {
  try {
    durationSeconds(text);
    return true;
  } catch {
    return false;
  }
};

/** What the alerts topics keep, at most, per broker (their replicas spread over the brokers), from their settings. */
export interface AlertsStorage {
  /** Visits each topic kind keeps (its retention / the visit interval). */
  streamVisits: number;
  filterVisits: number;
  /** Bytes per broker: the stream's, the filter topics' (every filter at its cap each visit) and their sum. */
  streamBytes: number;
  filterBytes: number;
  bytesPerBroker: number;
}

export function alertsStorage(a: AlertsSettings, brokers: number, replicationFactor: number): AlertsStorage {
  const alertBytes = a.producer.cutouts ? ALERT_BYTES.cutouts : ALERT_BYTES.noCutouts;
  const interval = durationSeconds(a.producer.interval);
  const set = ALERT_FILTER_SETS[a.filters.set];
  const perBroker = replicationFactor / brokers;
  const streamVisits = durationSeconds(a.topics.alerts.retention) / interval;
  const filterVisits = durationSeconds(a.topics.filters.retention) / interval;
  const streamBytes = streamVisits * a.producer.alertsPerVisit * alertBytes * perBroker;
  const filterBytes = filterVisits * filterCount(a.filters.set) * set.cap * alertBytes * perBroker;
  return { streamVisits, filterVisits, streamBytes, filterBytes, bytesPerBroker: streamBytes + filterBytes };
}

/**
 * The alerts topics may fill at most half of each broker's volume (kafka.storageGi): the EFD's own topics
 * share the disks. A problem message naming the figures, or undefined.
 */
export function alertsStorageProblem(a: AlertsSettings, kafka: { brokers: number; storageGi: number }, replicationFactor: number) {
  // a duration that does not parse is reported on its own field
  if (![a.producer.interval, a.topics.alerts.retention, a.topics.filters.retention].every(isDuration)) return undefined;
  const s = alertsStorage(a, kafka.brokers, replicationFactor);
  const volume = kafka.storageGi * 2 ** 30;
  if (s.bytesPerBroker <= volume / 2) return undefined;
  const gb = (b: number) => (b === Infinity ? 'unbounded' : `${(b / 1e9).toFixed(1)} GB`);
  return (
    `expected the alerts topics to keep at most half of each broker's ${kafka.storageGi} Gi (kafka.storageGi; the EFD's topics share it): ` +
    `they would keep ${gb(s.bytesPerBroker)} per broker (the stream ${gb(s.streamBytes)} over ${a.topics.alerts.retention}, the filter topics ` +
    `${gb(s.filterBytes)} over ${a.topics.filters.retention}, at ${a.producer.cutouts ? ALERT_BYTES.cutouts : ALERT_BYTES.noCutouts} bytes an alert); ` +
    'shorten alerts.topics.*.retention, set alerts.producer.cutouts: false, or raise kafka.storageGi'
  );
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, (c) => (c === '.' ? '[.]' : `\\${c}`));

/**
 * The topic policies of the alerts topics (config/topic-policies.ts), for the alerts stack's topics Job:
 * `alerts` (the stream) and `alert-filters` (Filter001 …), each creating its topics.
 */
export function alertTopicPolicies(a: AlertsSettings, defaultReplicationFactor: number): TopicPolicy[] {
  const p = escape(a.topicPrefix);
  return resolvePolicies(
    [
      {
        name: 'alerts',
        pattern: `${p}${escape(ALERTS_TOPIC)}`,
        partitions: a.topics.alerts.partitions,
        retention: a.topics.alerts.retention,
        replicationFactor: a.topics.replicationFactor,
        cleanupPolicy: 'delete',
        create: [alertsTopic(a)],
      },
      {
        name: 'alert-filters',
        pattern: String.raw`${p}Filter\d{3}`,
        partitions: a.topics.filters.partitions,
        retention: a.topics.filters.retention,
        replicationFactor: a.topics.replicationFactor,
        cleanupPolicy: 'delete',
        create: alertFilterTopics(a),
      },
    ],
    { replicationFactor: defaultReplicationFactor, retention: a.topics.alerts.retention },
  );
}
