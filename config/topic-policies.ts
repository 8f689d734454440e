/**
 * Topics as code: a site's Kafka topic policies, by name pattern. Each policy says how many partitions
 * and replicas a topic of its pattern has, how long Kafka keeps its records and how it cleans them
 * (delete by time, compact by key); `create` names topics that must exist (the dead-letter topics: with
 * auto-creation off nothing else creates them). The first policy whose pattern matches a topic is its
 * policy. `efd topics apply|diff` (apps/cli/admin/topics-apply.ts) and the site's topics Job apply them.
 *
 * One place for the defaults (DEFAULT_TOPIC_POLICIES) and for what a policy means as topic configs
 * (resolvePolicies, policyConfigs).
 */
import { z } from 'zod';
import { durationField, durationMs } from './duration';
import { intIn } from './bounds';
import { regexSchema, topicNameSchema } from './names';

export const CLEANUP_POLICIES = ['delete', 'compact', 'compact,delete'] as const;
export type CleanupPolicy = (typeof CLEANUP_POLICIES)[number];

export const topicPolicySchema = z.strictObject({
  /** Named in errors and in `efd topics diff`. */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, { message: 'expected a lowercase policy name (a-z, 0-9, "-")' }),
  /** Whole-name regular expression of the topics this policy covers (anchored: `^(?:pattern)$`). */
  pattern: regexSchema,
  /** Partitions; apply adds partitions up to it, never removes any (Kafka cannot). @default 1 */
  partitions: intIn(1, 10_000, 'partitions').optional(),
  /** Replicas of each partition. @default the site's default.replication.factor (3 with ≥ 3 brokers, else 1) */
  replicationFactor: intIn(1, 100, 'replicas').optional(),
  /** retention.ms ("INF": -1, kept forever). @default the site's Kafka log retention (kafka.logRetention, else the raw tier) */
  retention: durationField.optional(),
  /** cleanup.policy. @default delete */
  cleanupPolicy: z.enum(CLEANUP_POLICIES).optional(),
  /** Topics of this policy that apply creates when missing. */
  create: z.array(topicNameSchema).optional(),
});
export type TopicPolicyInput = z.output<typeof topicPolicySchema>;

/**
 * The defaults (a site's `kafka.topicPolicies` replaces the whole list):
 *  - events (`…lsst.sal.<CSC>_logevent_<name>`): compacted, so the latest value of each event per key stays
 *    in Kafka whatever its age (a consumer that starts late still sees every CSC's current state);
 *  - telemetry, commands, the aggregated 1 Hz topics and everything else of the EFD: deleted by time, after
 *    the site's Kafka log retention;
 *  - the sinks' and saltransform's dead-letter topics: created by apply, kept by time.
 */
export const DEFAULT_TOPIC_POLICIES: TopicPolicyInput[] = [
  { name: 'events', pattern: String.raw`(.+\.)?lsst\.sal\.[A-Za-z0-9]+[._]logevent_.+`, cleanupPolicy: 'compact' },
  {
    name: 'dead-letter',
    pattern: String.raw`(.+\.)?(lsst\.efd\..+\.dlq|saltransform\.deadletter)`,
    cleanupPolicy: 'delete',
    create: ['lsst.efd.influxdb-sink.dlq', 'lsst.efd.parquet-sink.dlq', 'saltransform.deadletter'],
  },
  { name: 'telemetry', pattern: String.raw`(.+\.)?lsst\.(sal|efd\.agg)\..+`, cleanupPolicy: 'delete' },
];

/** A policy with every default filled in from the site. */
export interface TopicPolicy {
  name: string;
  pattern: string;
  partitions: number;
  replicationFactor: number;
  /** Text as written (or the site's log retention). */
  retention: string;
  cleanupPolicy: CleanupPolicy;
  create: string[];
}

export interface PolicyDefaults {
  replicationFactor: number;
  /** The site's Kafka log retention ("7d", "INF"). */
  retention: string;
}

/** The replication factor of a site's topics by broker count (the brokers' default.replication.factor): 3 with ≥ 3 brokers, else 1. */
export function defaultReplicationFactor(brokers: number): number {
  return brokers >= 3 ? 3 : 1;
}

export function resolvePolicies(policies: readonly TopicPolicyInput[], d: PolicyDefaults): TopicPolicy[] {
  return policies.map((p) => ({
    name: p.name,
    pattern: p.pattern,
    partitions: p.partitions ?? 1,
    replicationFactor: p.replicationFactor ?? d.replicationFactor,
    retention: p.retention ?? d.retention,
    cleanupPolicy: p.cleanupPolicy ?? 'delete',
    create: p.create ?? [],
  }));
}

/** The policy of a topic: the first whose pattern matches its whole name. */
export function policyOf(topic: string, policies: readonly TopicPolicy[]): TopicPolicy | undefined {
  return policies.find((p) => new RegExp(`^(?:${p.pattern})$`).test(topic));
}

/** The topic configs a policy sets (what apply writes and diff compares). */
export function policyConfigs(p: TopicPolicy): Record<string, string> {
  const ms = durationMs(p.retention);
  return { 'cleanup.policy': p.cleanupPolicy, 'retention.ms': String(ms === Infinity ? -1 : ms) };
}

/** Problems between policies: duplicate names, a `create` topic its own pattern does not match. */
export function policyProblems(policies: readonly TopicPolicyInput[]): { index: number; field: string; message: string }[] {
  const out: { index: number; field: string; message: string }[] = [];
  const seen = new Set<string>();
  policies.forEach((p, index) => {
    if (seen.has(p.name)) out.push({ index, field: 'name', message: `expected a unique policy name; "${p.name}" is used twice` });
    seen.add(p.name);
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${p.pattern})$`);
    } catch {
      return; // reported on the pattern itself
    }
    for (const t of p.create ?? []) {
      if (!re.test(t)) out.push({ index, field: 'create', message: `"${t}" does not match the policy's pattern ${p.pattern}` });
    }
  });
  return out;
}

/** A site's policies, resolved: its `kafka.topicPolicies` with the site's replication factor and log retention. */
export function sitePolicies(site: {
  kafka: { brokers: number; logRetention?: string; topicPolicies: readonly TopicPolicyInput[] };
  retention: { tiers: readonly { duration: string }[] };
}): TopicPolicy[] {
  const logRetention = site.kafka.logRetention ?? site.retention.tiers[0].duration;
  return resolvePolicies(site.kafka.topicPolicies, {
    replicationFactor: defaultReplicationFactor(site.kafka.brokers),
    retention: logRetention,
  });
}
