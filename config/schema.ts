/**
 * The site schema: everything one EFD site declares. Sites live as YAML in
 * config/sites/<name>.yaml; this schema is the single definition of what they
 * may hold, with the defaults every construct relies on.
 */
import { z } from 'zod';
import { durationField as duration } from './duration';
import { siteConnectorsSchema } from './connectors';
import { heap, intIn, resourcesSchema } from './bounds';
import { IDENTIFIER, K8S_NAME } from './names';
import { kafkaRetention, tierProblems } from './retention';
import { inboundSchema, sourceReplicationSchema } from './replication';
import { queryLimitsSchema } from './query-limits';
import { alertsSchema, alertsStorageProblem } from './alerts';
import { DEFAULT_TOPIC_POLICIES, defaultReplicationFactor, policyProblems, topicPolicySchema } from './topic-policies';

/** Kubernetes object names (RFC 1123 labels). */
const k8sName = z.string().regex(K8S_NAME, { message: 'expected a lowercase RFC 1123 name (a-z, 0-9, "-")' });

/** GCE n1-standard machine types only: the EFD prototype was sized on them. */
export const N1_MACHINE_TYPES = [
  'n1-standard-1',
  'n1-standard-2',
  'n1-standard-4',
  'n1-standard-8',
  'n1-standard-16',
  'n1-standard-32',
  'n1-standard-64',
  'n1-standard-96',
] as const;

/** Local SSD counts GCE accepts on n1 machines. */
export const N1_LOCAL_SSD_COUNTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 24] as const;

export const nodePoolSchema = z.strictObject({
  /** GCE machine type; the seed's final prototype ran n1-standard-4. */
  machineType: z.enum(N1_MACHINE_TYPES, { message: `expected one of ${N1_MACHINE_TYPES.join(', ')}` }).default('n1-standard-4'),
  /** Nodes in the pool (per zone for a zonal cluster); prototype: 4. */
  nodeCount: intIn(1, 1000, "nodes per zone; GKE's limit per node pool").default(4),
  /** Boot disk type: SSD persistent disk. */
  bootDiskType: z.enum(['pd-ssd', 'pd-balanced', 'pd-standard']).default('pd-ssd'),
  bootDiskSizeGb: intIn(10, 65536, 'GB; a GCE persistent disk holds 10 GB to 64 TB').default(100),
  /** Local NVMe SSDs attached to each node (375 GB each). */
  localSsdCount: z
    .number()
    .refine((n) => (N1_LOCAL_SSD_COUNTS as readonly number[]).includes(n), {
      message: `expected one of ${N1_LOCAL_SSD_COUNTS.join(', ')} (the counts GCE accepts on n1 machines)`,
    })
    .default(1),
});

export const gkeClusterSchema = z.strictObject({
  name: k8sName.default('efd'),
  releaseChannel: z.enum(['RAPID', 'REGULAR', 'STABLE']).default('REGULAR'),
  /** Nodes without public IPs (the control plane stays public unless a CIDR says otherwise). */
  privateNodes: z.boolean().default(false),
  /** /28 for the control plane when privateNodes is on. */
  masterIpv4CidrBlock: z
    .string()
    .regex(/^\d+\.\d+\.\d+\.\d+\/28$/, { message: 'expected an IPv4 /28 CIDR' })
    .default('172.16.0.0/28'),
  nodePool: nodePoolSchema.prefault({}),
});

const gkeTarget = z.strictObject({
  kind: z.literal('gke'),
  project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, { message: 'expected a GCP project id' }),
  region: z.string().regex(/^[a-z]+-[a-z]+\d$/, { message: 'expected a GCP region such as "us-central1"' }),
  /** Zonal cluster location; omit for a regional cluster. */
  zone: z
    .string()
    .regex(/^[a-z]+-[a-z]+\d-[a-z]$/, { message: 'expected a GCP zone such as "us-central1-a"' })
    .optional(),
  cluster: gkeClusterSchema.prefault({}),
});

const kubeconfigTarget = z.strictObject({
  kind: z.literal('kubeconfig'),
  /** Path to the kubeconfig file on the operator's machine. */
  kubeconfig: z.string().min(1).default('~/.kube/config'),
  /** The context in that file naming the site's cluster. Required: never rely on a current-context. */
  context: z.string().min(1, { message: "expected the kubeconfig context naming this site's cluster" }),
  /** Kubernetes distribution, informational (the summit runs k3s). */
  distribution: z.enum(['k3s', 'kubernetes', 'openshift']).default('kubernetes'),
});

const backend = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('local'),
    /** Folder of the state file <stack>.tfstate, relative to the stack's folder cdktf.out/stacks/<stack>; default the project's state/. */ dir: z
      .string()
      .optional(),
  }),
  z.strictObject({ kind: z.literal('gcs'), bucket: z.string().min(3), prefix: z.string().min(1) }),
]);

const tierName = z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'expected a lowercase identifier (a-z, 0-9, _)' });

export const AGGREGATIONS = ['mean', 'median', 'min', 'max', 'sum', 'count', 'first', 'last', 'stddev', 'spread'] as const;

export const retentionTierSchema = z.strictObject({
  name: tierName,
  /** How long points are kept in this tier. */
  duration,
  /** InfluxDB shard group duration; must be shorter than `duration`. */
  shardDuration: duration,
  /** Downsampled tiers: the tier they read from. The first (raw) tier has none. */
  source: tierName.optional(),
  /** Downsampled tiers: the GROUP BY time() interval. */
  interval: duration.optional(),
  /** Downsampled tiers: aggregate functions applied to every field (default mean). */
  aggregations: z.array(z.enum(AGGREGATIONS)).min(1).optional(),
});

/** Seed 001: raw 1 week (1 h shards), intermediate 1 month, low resolution 1 year. */
export const DEFAULT_TIERS: z.input<typeof retentionTierSchema>[] = [
  { name: 'raw', duration: '7d', shardDuration: '1h' },
  { name: 'intermediate', duration: '30d', shardDuration: '1d', source: 'raw', interval: '30s', aggregations: ['mean'] },
  { name: 'lowres', duration: '365d', shardDuration: '7d', source: 'intermediate', interval: '10m', aggregations: ['mean'] },
];

const namespaces = z.strictObject({
  kafka: k8sName.default('kafka'),
  influxdb: k8sName.default('influxdb'),
  apps: k8sName.default('efd-apps'),
});

const storage = z.strictObject({
  /** StorageClass every stateful volume of the site uses. */
  className: k8sName.default('ssd'),
  /**
   * Create the class (true) or use one the cluster already has (false).
   * GKE sites create it with the pd.csi driver; on-prem sites name their provisioner.
   */
  create: z.boolean().default(true),
  provisioner: z.string().min(1).optional(),
  parameters: z.record(z.string(), z.string()).optional(),
});

const resources = resourcesSchema;

const kafka = z.strictObject({
  /** Platform engine; only Confluent's cp-helm-charts today (Strimzi fits behind the same construct later). */
  engine: z.enum(['confluent']).default('confluent'),
  /** Broker count: 3 on multi-node sites, 1 allowed on small ones. */
  brokers: intIn(1, 100, 'brokers').default(3),
  /** ZooKeeper ensemble size: 3 on multi-node sites, 1 on small ones. @default brokers >= 3 ? 3 : 1 */
  zookeeperServers: z.union([z.literal(1), z.literal(3), z.literal(5)]).optional(),
  /** Persistent volume per broker. The prototype's 5 Gi filled in days (seed 002). */
  storageGi: intIn(1, 65536, 'Gi per broker; a persistent volume holds at most 64 Ti').default(128),
  /** Broker JVM heap (-Xms = -Xmx). */
  heap: heap.default('1G'),
  brokerResources: resources.prefault({ requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '2Gi' } }),
  /** How long brokers keep messages; default matches the raw retention tier's duration. */
  logRetention: duration.optional(),
  /** Consumer offsets retention; default equals the log retention (seed 002: 1440 min with 24 h logs). */
  offsetsRetention: duration.optional(),
  /**
   * Let producers create topics (auto.create.topics.enable). Off on production sites (refused there): their
   * topics come from the topic policies (`topicPolicies`, `efd topics apply`) and from the apps that create
   * their own (saltransform, aggregator). @default !production
   */
  autoCreateTopics: z.boolean().optional(),
  /** Topic policies by name pattern (config/topic-policies.ts); this list replaces the defaults. */
  topicPolicies: z.array(topicPolicySchema).default(DEFAULT_TOPIC_POLICIES),
  schemaRegistry: z.boolean().default(true),
  connect: z.boolean().default(true),
  ksql: z.boolean().default(false),
  restProxy: z.boolean().default(false),
  controlCenter: z.boolean().default(false),
  /** Kafka Connect image carrying the EFD connector plugins (see apps/connect-image). */
  connectImage: z
    .strictObject({ repository: z.string().min(1), tag: z.string().min(1) })
    .prefault({ repository: 'ghcr.io/lsst-sqre/efd-connect', tag: '6.1.0-efd.1' }),
});

const influxdb = z.strictObject({
  /** Persistent volume for InfluxDB. The prototype's 128 Gi filled in ~7 days at ~700 MB/h (seed 002). */
  storageGi: intIn(1, 65536, 'Gi; a persistent volume holds at most 64 Ti').default(512),
  /** Database the EFD writes to. */
  database: z.string().regex(IDENTIFIER).default('efd'),
  /** Existing Kubernetes Secret with keys influxdb-user and influxdb-password (never a literal in config). */
  adminSecret: k8sName.default('influxdb-auth'),
  resources: resources.optional(),
  chronograf: z.boolean().default(true),
  kapacitor: z.boolean().default(true),
  /** Telegraf collecting InfluxDB's statistics into database "telegraf". */
  telegraf: z.boolean().default(false),
  /**
   * Query limits (max-concurrent-queries, query-timeout, max-select-point, …); each one not set here
   * takes its site kind's default (production or test: config/query-limits.ts). 0 = no limit, refused on production sites.
   */
  queryLimits: queryLimitsSchema.optional(),
  /**
   * Backups: a CronJob runs `influxd backup -portable` of the database on `schedule` into the site's object
   * store (connectors.objectStore: `<prefix><folder><stamp>/`) and deletes backups older than `retentionDays`.
   * Restore: `efd influxdb restore --from …`. Absent: no backups.
   */
  backup: z
    .strictObject({
      /** Cron schedule (UTC), five fields. */
      schedule: z
        .string()
        .regex(/^\S+( \S+){4}$/, { message: 'expected a cron schedule of five fields, e.g. "0 3 * * *"' })
        .default('0 3 * * *'),
      retentionDays: intIn(1, 3650, 'days').default(14),
      /** Folder under the object store's prefix. */
      folder: z
        .string()
        .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/, { message: 'expected a folder such as "influxdb-backup/"' })
        .default('influxdb-backup/'),
    })
    .optional(),
});

/** The subsystems of the fixture ts_xml, the default set the SAL apps handle. */
export const DEFAULT_SUBSYSTEMS = ['ATDome', 'ATMCS', 'ATPtg', 'MTM1M3TS', 'ScriptQueue', 'Test'];

const subsystem = z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { message: 'expected a SAL subsystem name such as "ATDome"' });

const apps = z.strictObject({
  /** Container image registry/repository prefix for the EFD apps (image = <repository>/<app>:<tag>). */
  imageRepository: z.string().min(1).default('ghcr.io/lsst-sqre/efd'),
  imageTag: z.string().min(1).default('0.1.0'),
  /** Schema registry compatibility level the salschema Job registers with. */
  schemaCompatibility: z
    .enum(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'])
    .default('BACKWARD'),
  /** SAL subsystems whose schemas are registered and whose raw topics are transformed. */
  subsystems: z.array(subsystem).min(1).default(DEFAULT_SUBSYSTEMS),
  saltransform: z.strictObject({ enabled: z.boolean().default(false), replicas: intIn(1, 64, 'replicas').default(1) }).prefault({}),
  /**
   * The 1 Hz aggregator (apps/aggregator): at an aggregator site one per replicated source (its
   * `<site>.lsst.sal.*` → `<site>.lsst.efd.agg.*`), elsewhere the site's own `lsst.sal.*` → `lsst.efd.agg.*`;
   * each with an influxdb-sink writing the aggregated topics into `retentionPolicy`.
   */
  aggregator: z
    .strictObject({
      enabled: z.boolean().default(false),
      replicas: intIn(1, 64, 'replicas').default(1),
      /** How late a record may be (behind the newest of its partition) and still count in its window. */
      graceMs: intIn(0, 600_000, 'graceMs').default(2000),
      /** Retention policy (a tier's name) of the aggregated measurements. @default the longest-kept tier */
      retentionPolicy: z.string().optional(),
    })
    .prefault({}),
  /** Mock SAL producer at the seed rates (experiment sites only). */
  salmock: z
    .strictObject({
      enabled: z.boolean().default(false),
      rateFactor: z
        .number()
        .positive()
        .max(1000, { message: 'expected a factor above 0 and at most 1000 (times the seed rates)' })
        .default(1),
    })
    .prefault({}),
});

export const siteSchema = z
  .strictObject({
    name: k8sName,
    description: z.string().default(''),
    /** source: collects from SAL (summit, test stand); aggregator: LDF; standalone: prototype/experiments. */
    role: z.enum(['source', 'aggregator', 'standalone']),
    /** Production sites protect stateful resources from destroy; experiment sites may be torn down. */
    production: z.boolean(),
    target: z.discriminatedUnion('kind', [gkeTarget, kubeconfigTarget], {
      message: 'expected a target of kind "gke" (project, region, cluster) or "kubeconfig" (kubeconfig, context)',
    }),
    backend: backend.prefault({ kind: 'local' }),
    namespaces: namespaces.prefault({}),
    storage: storage.prefault({}),
    kafka: kafka.prefault({}),
    influxdb: influxdb.prefault({}),
    retention: z.strictObject({ tiers: z.array(retentionTierSchema).min(1) }).prefault({ tiers: DEFAULT_TIERS }),
    apps: apps.prefault({}),
    /** Sinks out of Kafka: InfluxDB sink (app or Connect), object store (S3/GCS Parquet), JDBC; the connect manager. */
    connectors: siteConnectorsSchema.prefault({}),
    /** Source sites: the aggregator site their topics replicate to. */
    replicateTo: k8sName.optional(),
    /** Source sites: how the topics and schemas replicate (config/replication.ts; rules in config/topology.ts). */
    replication: sourceReplicationSchema.optional(),
    /** Aggregator sites: where the sources reach the aggregator's Kafka and registry. */
    inbound: inboundSchema.optional(),
    /** The alert mini-broker (seed 004) in a `<site>-alerts` stack of its own (config/alerts.ts); absent: none. */
    alerts: alertsSchema.optional(),
  })
  .superRefine((site, ctx) => {
    if (site.target.kind === 'kubeconfig' && site.storage.create && !site.storage.provisioner) {
      ctx.addIssue({
        code: 'custom',
        path: ['storage', 'provisioner'],
        message: 'expected a provisioner for the on-prem StorageClass (e.g. "rancher.io/local-path"), or storage.create: false',
      });
    }
    if (site.backend.kind === 'gcs' && site.target.kind !== 'gke') {
      ctx.addIssue({ code: 'custom', path: ['backend', 'kind'], message: 'expected "local": the GCS backend is for GKE sites' });
    }
    // Text that is not a duration is reported by its field (durationField); these are the rules between fields.
    for (const p of tierProblems(site.retention.tiers)) {
      if (!p.unparsed) ctx.addIssue({ code: 'custom', path: ['retention', 'tiers', p.index, p.field], message: p.message });
    }
    for (const p of kafkaRetention(site.kafka, site.retention.tiers[0]).problems) {
      if (!p.unparsed) ctx.addIssue({ code: 'custom', path: ['kafka', p.field], message: p.message });
    }
    const aggTier = site.apps.aggregator.retentionPolicy;
    if (aggTier !== undefined && !site.retention.tiers.some((t) => t.name === aggTier)) {
      ctx.addIssue({
        code: 'custom',
        path: ['apps', 'aggregator', 'retentionPolicy'],
        message: `expected the name of a retention tier (${site.retention.tiers.map((t) => t.name).join(', ')})`,
      });
    }
    for (const p of policyProblems(site.kafka.topicPolicies)) {
      ctx.addIssue({ code: 'custom', path: ['kafka', 'topicPolicies', p.index, p.field], message: p.message });
    }
    if (site.kafka.autoCreateTopics && site.production) {
      ctx.addIssue({
        code: 'custom',
        path: ['kafka', 'autoCreateTopics'],
        message:
          'expected false on a production site: topics come from the topic policies (kafka.topicPolicies, `efd topics apply`), not from whoever produces first',
      });
    }
    if (site.influxdb.backup && !site.connectors.objectStore) {
      ctx.addIssue({
        code: 'custom',
        path: ['influxdb', 'backup'],
        message: "expected connectors.objectStore: the backups go to the site's object store (or remove influxdb.backup)",
      });
    }
    if (site.alerts && site.production) {
      ctx.addIssue({
        code: 'custom',
        path: ['alerts'],
        message: 'expected no alerts on a production site: the alert mini-broker is an experiment (seed 004) producing generated alerts',
      });
    }
    if (site.alerts) {
      const rf = site.alerts.topics.replicationFactor ?? defaultReplicationFactor(site.kafka.brokers);
      const problem = alertsStorageProblem(site.alerts, site.kafka, rf);
      if (problem) ctx.addIssue({ code: 'custom', path: ['alerts', 'topics'], message: problem });
    }
    if (site.alerts && !site.kafka.schemaRegistry) {
      ctx.addIssue({
        code: 'custom',
        path: ['kafka', 'schemaRegistry'],
        message: 'expected true: the alerts are Avro in the schema registry (subject <prefix>alerts-value); or remove alerts',
      });
    }
    if (site.apps.salmock.enabled && site.production) {
      ctx.addIssue({
        code: 'custom',
        path: ['apps', 'salmock', 'enabled'],
        message: 'expected false on a production site: salmock writes mock SAL data into the EFD',
      });
    }
  });

export type SiteInput = z.input<typeof siteSchema>;
export type Site = z.output<typeof siteSchema>;
export type GkeTarget = z.output<typeof gkeTarget>;
export type KubeconfigTarget = z.output<typeof kubeconfigTarget>;
export type RetentionTier = z.output<typeof retentionTierSchema>;
export type NodePool = z.output<typeof nodePoolSchema>;
export type Resources = z.output<typeof resources>;
