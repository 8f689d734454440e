/**
 * The replication sections of a site (zod, no constructs): `replication` on a source site (how its
 * topics and schemas reach the aggregator named by `replicateTo`) and `inbound` on an aggregator site
 * (where the sources reach it). Which flows exist, their prefixes and where each runs are derived from
 * these in ./topology.ts, never declared twice.
 *
 * Example (summit.yaml):
 *   replicateTo: ldf
 *   replication: { engine: mirrormaker2, tasks: 3, producer: { linger.ms: '5' } }
 * Example (ldf.yaml):
 *   inbound: { bootstrapServers: kafka.efd.ldf.example:9094, schemaRegistryUrl: https://registry.efd.ldf.example }
 */
import { z } from 'zod';

const regex = z
  .string()
  .min(1)
  .refine(
    (r) => {
      try {
        new RegExp(r);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected a valid regular expression' },
  );
const topic = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, { message: 'expected a Kafka topic name' });
const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: 'expected a lowercase RFC 1123 name (a-z, 0-9, "-")' });
/** Client settings as Kafka takes them: dotted keys, string values. */
const clientOverrides = z.record(
  z.string().regex(/^[a-z][a-z0-9]*([.-][a-z0-9]+)*$/, { message: 'expected a Kafka client setting such as "linger.ms"' }),
  z.string(),
);
const hostPorts = z.string().regex(/^[A-Za-z0-9.-]+:\d+(,[A-Za-z0-9.-]+:\d+)*$/, { message: 'expected host:port[,host:port…]' });

export const REPLICATION_ENGINES = ['mirrormaker2', 'replicator'] as const;
export const SCHEMA_MODES = ['remote-registry', 'import'] as const;

export const sourceReplicationSchema = z.strictObject({
  /** `mirrormaker2` (open source, default) or `replicator` (Confluent Replicator, licensed). */
  engine: z.enum(REPLICATION_ENGINES).default('mirrormaker2'),
  /** Topic prefix at the aggregator (`<prefix>.<topic>`). @default the site's name */
  prefix: k8sName.optional(),
  /** Topics replicated (whole-name regex). The Avro SAL topics by default. */
  topicsRegex: regex.default('lsst[.]sal[.].*'),
  /**
   * How the aggregator decodes the replicated records: `remote-registry` (default) replicates the
   * registry's storage topic and serves it from a read-only registry at the aggregator (schema ids kept
   * per source); `import` re-registers subjects at the aggregator's registry under the renamed subjects.
   */
  schemas: z.enum(SCHEMA_MODES).default('remote-registry'),
  /** The source registry's storage topic (Confluent `_schemas`; Apicurio kafkasql `kafkasql-journal`). */
  schemasTopic: topic.default('_schemas'),
  /** Replication tasks (partitions are spread over them). */
  tasks: z.number().int().min(1).max(64).default(1),
  /** Heartbeats through the flow (replication liveness and lag in seconds). */
  heartbeats: z.boolean().default(true),
  /** Consumer-group checkpoints (fail-over of consumers to the aggregator); off by default. */
  checkpoints: z.boolean().default(false),
  /** Copy topic configs (retention, cleanup policy) to the aggregator's topics. */
  syncTopicConfigs: z.boolean().default(true),
  /** How often new source topics are looked for (they replicate without a restart). */
  refreshTopicsIntervalSeconds: z.number().int().min(1).max(3600).default(30),
  /** Producer settings of the replication (writes to the aggregator). */
  producer: clientOverrides.default({}),
  /** Consumer settings of the replication (reads the source). */
  consumer: clientOverrides.default({}),
  /** The replication's own Kafka Connect deployment at the source site. */
  connect: z
    .strictObject({
      namespace: k8sName.default('efd-replication'),
      replicas: z.number().int().min(1).max(16).default(1),
      heap: z
        .string()
        .regex(/^\d+[MG]$/, { message: 'expected a JVM heap size such as "512M"' })
        .default('1G'),
    })
    .prefault({}),
  /** Confluent Replicator only: the Secret holding the licence key (key `license`). */
  licenseSecret: k8sName.optional(),
});

export const inboundSchema = z.strictObject({
  /** The aggregator's Kafka as the source sites reach it (over the VPN). */
  bootstrapServers: hostPorts,
  /** The aggregator's schema registry as the source sites reach it (import mode writes there). */
  schemaRegistryUrl: z.string().url({ message: 'expected the registry URL as the sources reach it' }),
  /** Tag key the aggregator's sink writes the source's prefix under (`site=summit`). */
  siteTag: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('site'),
});

export type SourceReplicationInput = z.input<typeof sourceReplicationSchema>;
export type SourceReplication = z.output<typeof sourceReplicationSchema>;
export type Inbound = z.output<typeof inboundSchema>;
