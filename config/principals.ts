/**
 * Who may do what in a site's Kafka, as data: one principal (a SCRAM-SHA-512 user) per app or
 * platform component that connects to it, each declaring the topics it reads, writes, creates or
 * manages and the consumer groups it uses. Everything is derived from the site and the replication
 * topology by the same naming rules the stacks use (config/names.ts, config/topology.ts, the groups
 * `<site>-<workload>` the constructs pass as `--group`), so a principal cannot drift from what its app
 * is configured to touch; ./acls.ts turns the declarations into Kafka ACL bindings.
 *
 * At an aggregator the replicated topics carry their source's prefix (`summit.lsst.sal.*`), and the
 * source's replication connects to the aggregator's Kafka as `replication-<source>`: that user lives in
 * the aggregator's cluster although its workload runs at the source (`runsAt`).
 *
 * Only `admin` is a super user (broker `super.users`, no ACLs); the read-only user `readonly` is for
 * people (consoles, notebooks); every other principal is an app.
 */
import { z } from 'zod';
import type { Site } from './schema';
import { aggregatedTopicsRegex, aggregatedTopicsRegexOf, salTopicsRegex } from './names';
import { remoteTopic, type ReplicationFlow, type Topology } from './topology';
import { sitePolicies } from './topic-policies';
import { literal, normalizeRefs, prefixed, topicRefsOf, type ResourceRef } from './topic-refs';

export type { ResourceRef } from './topic-refs';

/** The SASL mechanism every principal authenticates with. */
export const KAFKA_SASL_MECHANISM = 'SCRAM-SHA-512';
/** The super user: creates the users and ACLs, operators' break-glass. */
export const ADMIN_USER = 'admin';
/** The read-only user of a site, for people. */
export const READONLY_USER = 'readonly';
/** Consumer groups people may use with the read-only user: `readonly-<anything>`. */
export const READONLY_GROUP_PREFIX = 'readonly-';
/** Key of the password in a principal's Secret. */
export const PASSWORD_KEY = 'password';

/** The Kubernetes Secret holding a user's password (key {@link PASSWORD_KEY}). */
export const kafkaUserSecret = (user: string) => `kafka-user-${user}`;

/** The environment variable the users Job reads a user's password from (its Secret's key, never a literal). */
export const passwordEnvOf = (user: string) => `KAFKA_USER_PASSWORD_${user.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

export interface Principal {
  /** The Kafka (SCRAM) user; unique in its cluster. */
  readonly user: string;
  /** The site whose Kafka holds the user. */
  readonly cluster: string;
  /** The site where what connects as it runs (another site only for replication into an aggregator). */
  readonly runsAt: string;
  /** The app or platform component (`saltransform`, `schema-registry`, `people` …). */
  readonly app: string;
  /**
   * What runs as it, as the stacks name it: Deployments and Jobs by name, Helm charts as
   * `<release>/<chart>` (`cp/cp-kafka-connect`).
   */
  readonly workloads: readonly string[];
  /** Kubernetes Secret with its password (key `password`). */
  readonly secret: string;
  /** Topics it consumes: READ, DESCRIBE. */
  readonly reads: readonly ResourceRef[];
  /** Topics it produces to: WRITE, DESCRIBE. */
  readonly writes: readonly ResourceRef[];
  /** Topics it creates: CREATE. */
  readonly creates: readonly ResourceRef[];
  /** Topics it only looks up (lists, offsets): DESCRIBE. */
  readonly describes: readonly ResourceRef[];
  /** Topics whose configs it reads: DESCRIBE_CONFIGS. */
  readonly describesConfigs: readonly ResourceRef[];
  /** Topics whose configs and partitions it changes: ALTER_CONFIGS, ALTER. */
  readonly alters: readonly ResourceRef[];
  /** Consumer groups it joins, commits in or reads the offsets of: GROUP READ. */
  readonly groups: readonly ResourceRef[];
  /** Groups it only looks at (checkpoints of other groups' offsets): GROUP DESCRIBE. */
  readonly describesGroups: readonly ResourceRef[];
  /** The super user (broker `super.users`): {@link ADMIN_USER} only. */
  readonly superUser: boolean;
}

const refSchema = z.strictObject({ name: z.string().min(1), pattern: z.enum(['LITERAL', 'PREFIXED']) });
const refs = z.array(refSchema);

/** A principal as JSON (the users Job's `--principals-json`): what {@link sitePrincipals} returns, checked. */
export const principalSchema = z.strictObject({
  user: z.string().regex(/^[A-Za-z0-9._-]+$/, { message: 'expected a Kafka user name (letters, digits, ".", "_", "-")' }),
  cluster: z.string().min(1),
  runsAt: z.string().min(1),
  app: z.string().min(1),
  workloads: z.array(z.string()),
  secret: z.string().min(1),
  reads: refs,
  writes: refs,
  creates: refs,
  describes: refs,
  describesConfigs: refs,
  alters: refs,
  groups: refs,
  describesGroups: refs,
  superUser: z.boolean(),
});

type Access = Pick<Principal, 'reads' | 'writes' | 'creates' | 'describes' | 'describesConfigs' | 'alters' | 'groups' | 'describesGroups'>;

function principal(
  site: Site,
  o: { user: string; app: string; workloads: string[]; runsAt?: string; superUser?: boolean } & Partial<Access>,
): Principal {
  const n = (r?: readonly ResourceRef[]) => normalizeRefs(r ?? []);
  return {
    user: o.user,
    cluster: site.name,
    runsAt: o.runsAt ?? site.name,
    app: o.app,
    workloads: o.workloads,
    secret: kafkaUserSecret(o.user),
    reads: n(o.reads),
    writes: n(o.writes),
    creates: n(o.creates),
    describes: n(o.describes),
    describesConfigs: n(o.describesConfigs),
    alters: n(o.alters),
    groups: n(o.groups),
    describesGroups: n(o.describesGroups),
    superUser: o.superUser ?? false,
  };
}

/** The raw SAL text topics of a subsystem (`<Subsystem>_{commands,events,telemetry}`, apps/lib/sal/sal-text.ts). */
export const rawTopicsOf = (subsystem: string) => ['commands', 'events', 'telemetry'].map((k) => `${subsystem}_${k}`);

/** The Avro topics saltransform writes for a subsystem: `lsst.sal.<Subsystem>_…` (EFDB_Topic names start with it). */
export const avroTopicsOf = (subsystem: string) => prefixed(`lsst.sal.${subsystem}_`);

/** saltransform's dead-letter topic (apps/saltransform: `<prefix>saltransform.deadletter`). */
export const SALTRANSFORM_DLQ = 'saltransform.deadletter';

/** The topics of the registry that decodes a flow's records at the aggregator, as replicated there. */
const schemasAt = (flow: ReplicationFlow) => literal(remoteTopic(flow.prefix, flow.settings.schemasTopic));

/** A Helm chart's workload name (`<release>/<chart>`) and the Kafka names cp-helm-charts derives from it. */
export const chartWorkload = (release: string, chart: string) => `${release}/${chart}`;
/** cp-kafka-connect's worker group and its storage topics' prefix: `<release>-cp-kafka-connect` (`-config`, `-offset`, `-status`). */
export const connectWorkerName = (release: string) => `${release}-cp-kafka-connect`;

/** The platform's Helm release (constructs/kafka-platform.ts default) and a source's replication release. */
export const PLATFORM_RELEASE = 'cp';
export const replicationRelease = (source: string) => `replication-${source}`;
/** The remote registry of a replicated source at the aggregator (constructs/replication/inbound.ts). */
export const remoteRegistry = (prefix: string) => `remote-registry-${prefix}`;
/** MirrorMaker 2's heartbeats topic (emitted at the source, replicated as `<prefix>.heartbeats`). */
export const HEARTBEATS = 'heartbeats';

/** The influxdb-sink's Deployment name (constructs/connectors/influxdb-sink-flags.ts influxDbSinkName). */
const sinkName = (prefix?: string, aggregated = false) => `influxdb-sink${aggregated ? '-agg' : ''}${prefix ? `-${prefix}` : ''}`;

/**
 * The principals of a site's Kafka: its apps', its platform's, the replication into it (at an aggregator)
 * and out of it (at a source), the admin and the read-only user. Sorted by user.
 */
export function sitePrincipals(site: Site, topology: Topology): Principal[] {
  const out: Principal[] = [];
  const add = (o: Parameters<typeof principal>[1]) => out.push(principal(site, o));
  const inbound = topology.flows.filter((f) => f.aggregator === site.name);
  const outbound = topology.flows.find((f) => f.source === site.name);
  /** The topic prefixes at this site: its own ('') and each replicated source's (`summit.`). */
  const prefixes = ['', ...inbound.map((f) => `${f.prefix}.`)];
  const group = (workload: string) => literal(`${site.name}-${workload}`);
  const c = site.connectors;

  add({ user: ADMIN_USER, app: 'admin', workloads: [], superUser: true });
  add({
    user: READONLY_USER,
    app: 'people',
    workloads: [],
    reads: prefixes.map((p) => prefixed(`${p}lsst.`)),
    groups: [prefixed(READONLY_GROUP_PREFIX)],
  });

  // Topics as code: the declared topics created, the policies' topics' configs and partitions set.
  const policies = sitePolicies(site);
  const managed = policies.flatMap((p) => topicRefsOf(p.pattern, prefixes));
  add({
    user: 'topics-apply',
    app: 'topics-apply',
    workloads: ['kafka-topics-apply'],
    creates: policies.flatMap((p) => p.create.map(literal)),
    describes: managed,
    describesConfigs: managed,
    alters: managed,
  });

  const subsystems = site.apps.subsystems;
  if (site.apps.saltransform.enabled) {
    const raw = subsystems.flatMap(rawTopicsOf).map(literal);
    add({
      user: 'saltransform',
      app: 'saltransform',
      workloads: ['saltransform'],
      reads: raw,
      // it creates the raw topics it consumes when missing (--create-topics, the default)
      creates: raw,
      writes: [...subsystems.map(avroTopicsOf), literal(SALTRANSFORM_DLQ)],
      groups: [group('saltransform')],
    });
  }
  if (site.apps.salmock.enabled) {
    add({ user: 'salmock', app: 'salmock', workloads: ['salmock'], writes: subsystems.flatMap(rawTopicsOf).map(literal) });
  }

  const sink = (name: string, topicsRegex: string, dlq: string) =>
    add({
      user: name,
      app: 'influxdb-sink',
      workloads: [name],
      reads: topicRefsOf(topicsRegex),
      writes: [literal(dlq)],
      groups: [group(name)],
    });
  const dlq = c.influxDbSink.deadLetterTopic;
  if (c.influxDbSink.runIn === 'app') sink(sinkName(), c.influxDbSink.topicsRegex, dlq);
  for (const f of inbound) {
    sink(sinkName(f.prefix), f.remoteTopicsRegex, `${dlq}.${f.prefix}`);
    if (f.settings.schemas === 'remote-registry') {
      add({
        user: remoteRegistry(f.prefix),
        app: 'schema-registry',
        workloads: [chartWorkload(remoteRegistry(f.prefix), 'cp-schema-registry')],
        reads: [schemasAt(f)],
        describesConfigs: [schemasAt(f)],
        groups: [literal(remoteRegistry(f.prefix))],
      });
    }
  }

  if (site.apps.aggregator.enabled) {
    for (const p of inbound.length ? inbound.map((f) => f.prefix) : ['']) {
      const pfx = p ? `${p}.` : '';
      const name = p ? `aggregator-${p}` : 'aggregator';
      const aggregated = topicRefsOf(aggregatedTopicsRegex(pfx));
      add({
        user: name,
        app: 'aggregator',
        workloads: [name],
        reads: topicRefsOf(salTopicsRegex(pfx)),
        writes: aggregated,
        creates: aggregated,
        groups: [group(name)],
      });
      sink(sinkName(p || undefined, true), aggregatedTopicsRegex(pfx), `${dlq}.agg${p ? `.${p}` : ''}`);
    }
  }

  const o = c.objectStore;
  if (o?.runIn === 'app') {
    add({
      user: 'parquet-sink',
      app: 'parquet-sink',
      workloads: ['parquet-sink'],
      reads: topicRefsOf(o.topicsRegex),
      writes: [literal(o.deadLetterTopic)],
      groups: [group('parquet-sink')],
    });
  }

  if (site.kafka.schemaRegistry) {
    const schemas = [literal('_schemas')];
    add({
      user: 'schema-registry',
      app: 'schema-registry',
      workloads: [chartWorkload(PLATFORM_RELEASE, 'cp-schema-registry')],
      reads: schemas,
      writes: schemas,
      creates: schemas,
      describesConfigs: schemas,
      groups: [literal('schema-registry')],
    });
  }

  if (site.kafka.connect) {
    // The site's Connect workers: their storage topics and group, and the connectors that run in them
    // (a sink connector's group is `connect-<connector name>`; Connect creates a missing dead-letter topic).
    const worker = connectWorkerName(PLATFORM_RELEASE);
    const connectors: { name: string; reads: ResourceRef[]; dlq?: string }[] = [];
    if (c.influxDbSink.runIn === 'connect') connectors.push({ name: 'influxdb-sink', reads: topicRefsOf(c.influxDbSink.topicsRegex), dlq });
    if (o?.runIn === 'connect') connectors.push({ name: `${o.kind}-parquet-sink`, reads: topicRefsOf(o.topicsRegex) });
    if (c.jdbc) {
      const regex = c.jdbc.topicsRegex ?? aggregatedTopicsRegexOf(inbound.length ? inbound.map((f) => f.prefix) : ['']);
      connectors.push({ name: 'jdbc-sink', reads: topicRefsOf(regex), dlq: c.jdbc.deadLetterTopic });
    }
    const internal = [prefixed(`${worker}-`)];
    const dlqs = connectors.flatMap((k) => (k.dlq ? [literal(k.dlq)] : []));
    add({
      user: 'connect',
      app: 'kafka-connect',
      workloads: [chartWorkload(PLATFORM_RELEASE, 'cp-kafka-connect')],
      reads: [...internal, ...connectors.flatMap((k) => k.reads)],
      writes: [...internal, ...dlqs],
      creates: [...internal, ...dlqs],
      describesConfigs: internal,
      groups: [literal(worker), ...connectors.map((k) => literal(`connect-${k.name}`))],
    });
    // It expands the connectors' topicsRegex into topic lists: it lists the topics (the replication's
    // connect manager at a source site, also named connect-manager, runs as it too: MM2 selects its own topics).
    add({
      user: 'connect-manager',
      app: 'connect-manager',
      workloads: ['connect-manager'],
      describes: connectors.flatMap((k) => k.reads),
    });
  }

  if (outbound) {
    // The source side of the replication: what it copies, and the heartbeats it emits here.
    const s = outbound.settings;
    const copied = [...topicRefsOf(s.topicsRegex), ...(s.schemas === 'remote-registry' ? [literal(s.schemasTopic)] : [])];
    const heartbeats = s.heartbeats ? [literal(HEARTBEATS)] : [];
    const offsetSyncs = s.checkpoints ? [literal(`mm2-offset-syncs.${outbound.aggregator}.internal`)] : [];
    add({
      user: replicationRelease(site.name),
      app: 'replication',
      workloads: [chartWorkload(replicationRelease(site.name), 'cp-kafka-connect')],
      reads: [...copied, ...heartbeats, ...offsetSyncs],
      writes: [...heartbeats, ...offsetSyncs],
      creates: [...heartbeats, ...offsetSyncs],
      describesConfigs: s.syncTopicConfigs ? copied : [],
      describesGroups: s.checkpoints ? [prefixed(`${site.name}-`)] : [],
    });
  }
  for (const f of inbound) {
    // The aggregator side: the replication's Connect workers (bootstrap here) and the renamed topics.
    const worker = connectWorkerName(replicationRelease(f.source));
    const internal = [prefixed(`${worker}-`)];
    const renamed = [
      ...topicRefsOf(f.remoteTopicsRegex),
      ...(f.settings.schemas === 'remote-registry' ? [schemasAt(f)] : []),
      ...(f.settings.heartbeats ? [literal(remoteTopic(f.prefix, HEARTBEATS))] : []),
    ];
    const checkpoints = f.settings.checkpoints ? [literal(`${f.prefix}.checkpoints.internal`)] : [];
    add({
      user: replicationRelease(f.source),
      app: 'replication',
      runsAt: f.runsAt,
      workloads: [chartWorkload(replicationRelease(f.source), 'cp-kafka-connect')],
      reads: internal,
      writes: [...internal, ...renamed, ...checkpoints],
      creates: [...internal, ...renamed, ...checkpoints],
      describesConfigs: [...internal, ...renamed],
      alters: f.settings.syncTopicConfigs ? renamed : [],
      groups: [literal(worker)],
    });
  }
  return out.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

/** The principal of `user` in `principals`; throws naming the users there are. */
export function principalOf(principals: readonly Principal[], user: string): Principal {
  const p = principals.find((x) => x.user === user);
  if (!p) throw new Error(`no Kafka principal "${user}"; the principals are ${principals.map((x) => x.user).join(', ')}`);
  return p;
}
