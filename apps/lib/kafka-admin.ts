/**
 * The Kafka admin client of the EFD apps, scripts and tests: one factory ({@link createAdmin}) over
 * @platformatic/kafka (default) or kafkajs (`EFD_KAFKA_CLIENT=kafkajs`), with the operations the
 * project uses: list/create (with configs)/delete topics, partition leaders, earliest/latest offsets,
 * offsets by record timestamp, topic configs (read, and set or reset one by one), the cluster's brokers, the
 * consumer groups, a group's members and committed offsets (its lag; set for a group with no members). Every operation works with both clients (the integration test
 * runs each with both).
 */
import {
  Admin as PltAdmin,
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
  ListOffsetTimestamps,
  type AdminOptions as PltAdminOptions,
} from '@platformatic/kafka';
import type { Admin as KjsAdmin } from 'kafkajs';
import {
  connectOrExplain,
  createKafka,
  parseBrokers,
  kafkaClientName,
  kafkaErrorMessage,
  platformaticConnection,
  retriableKafkaError,
  type KafkaClientName,
  type KafkaOptions,
} from './kafka';
import { refusedError, type RefusalContext } from './kafka-refusal';
import { retry, sleep } from './retry';

export interface NewTopic {
  topic: string;
  /** @default 1 */
  partitions?: number;
  /** @default -1 (the broker's default) */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ 'message.timestamp.type': 'LogAppendTime' }`. */
  configs?: Record<string, string>;
}

export interface PartitionOffsets {
  partition: number;
  /** Earliest offset still held. */
  low: string;
  /** The next offset to be written (high watermark). */
  high: string;
}

export interface TopicPartitions {
  topic: string;
  /** Partition index → leader broker id (-1 while it has none), its replicas and in-sync replicas (broker ids). */
  partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[];
}

/** Where a topic config's value comes from: set on the topic, or a broker/default value. */
export type ConfigSource = 'topic' | 'broker' | 'default' | 'unknown';

export interface ConfigEntry {
  name: string;
  /** null for a sensitive value the broker does not disclose. */
  value: string | null;
  source: ConfigSource;
  readOnly: boolean;
  sensitive: boolean;
}

export interface GroupListing {
  groupId: string;
  /** As in {@link GroupDescription}: Stable, Empty, PreparingRebalance, Dead … */
  state: string;
  /** `consumer` for consumer groups, `connect` for Connect workers' groups … */
  protocolType: string;
}

export interface ClusterDescription {
  clusterId: string;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
}

export interface GroupDescription {
  groupId: string;
  /** e.g. Stable, Empty, PreparingRebalance, Dead. */
  state: string;
  members: { memberId: string; clientId: string; assignment: Record<string, number[]> }[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The group's committed offset (-1: none). */
  offset: string;
  /** The metadata committed with it (null: none). */
  metadata?: string | null;
}

export interface EfdAdmin {
  readonly client: KafkaClientName;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  /**
   * Creates the topics (existing ones are left alone and not returned); with `waitForLeaders`
   * (default true) resolves once every partition of them has a leader (at most `timeoutMs`, default 60 s).
   */
  createTopics(topics: NewTopic[], o?: { waitForLeaders?: boolean; timeoutMs?: number }): Promise<string[]>;
  deleteTopics(topics: string[]): Promise<void>;
  /** Raises a topic's partition count to `count` (Kafka only adds partitions; the brokers place the new ones). */
  createPartitions(topic: string, count: number): Promise<void>;
  /** Partitions and their leaders; a topic that does not exist is left out. */
  topicPartitions(topics: string[]): Promise<TopicPartitions[]>;
  /** Earliest and latest offset of every partition of the topic. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /**
   * The largest record timestamp (ms) in the topic, undefined when the topic is absent or empty.
   * @platformatic/kafka: ListOffsets with the MAX_TIMESTAMP spec (Kafka ≥ 3.0); kafkajs (no such spec):
   * the last record of each partition is read.
   */
  newestTimestamp(topic: string, o?: { timeoutMs?: number }): Promise<number | undefined>;
  /**
   * Per partition, the first offset whose record timestamp is at or after `timestampMs` (ListOffsets with a
   * timestamp), or the partition's high watermark when no record is that new. Sorted by partition; [] when
   * the topic does not exist.
   */
  offsetsForTimestamp(topic: string, timestampMs: number): Promise<{ partition: number; offset: string }[]>;
  /** A topic's configs as the broker reports them (defaults included). */
  topicConfigs(topic: string): Promise<Record<string, string>>;
  /** A topic's configs with where each value comes from, sorted by name. */
  topicConfigEntries(topic: string): Promise<ConfigEntry[]>;
  /**
   * Sets (`set`) and resets to the broker's value (`reset`) configs of a topic, leaving the others alone.
   * @platformatic/kafka: IncrementalAlterConfigs. kafkajs (no IncrementalAlterConfigs): the topic's own
   * configs are read and written back whole with these changes (AlterConfigs replaces them all), so a
   * change another client makes between the two requests is lost.
   */
  alterTopicConfigs(topic: string, change: { set?: Record<string, string>; reset?: string[] }): Promise<void>;
  /** The brokers the cluster reports. */
  brokers(): Promise<{ nodeId: number; host: string; port: number }[]>;
  /** Cluster id, controller and brokers (with their racks). */
  describeCluster(): Promise<ClusterDescription>;
  /** Every group the brokers know, sorted by id. */
  listGroups(): Promise<GroupListing[]>;
  describeGroup(groupId: string): Promise<GroupDescription>;
  /**
   * The group's committed offsets of these topics (every partition; -1 where nothing was committed); without
   * `topics`, of every partition it committed an offset for.
   */
  groupOffsets(groupId: string, topics?: string[]): Promise<CommittedOffset[]>;
  /**
   * Sets the group's committed offsets of these partitions (OffsetCommit outside the group, as
   * kafka-consumer-groups --reset-offsets): the broker refuses while the group has members.
   */
  setGroupOffsets(groupId: string, offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
}

const CONFIG_SOURCE: Record<number, ConfigSource> = {
  [ConfigSources.TOPIC_CONFIG]: 'topic',
  [ConfigSources.DYNAMIC_BROKER_CONFIG]: 'broker',
  [ConfigSources.DYNAMIC_DEFAULT_BROKER_CONFIG]: 'broker',
  [ConfigSources.STATIC_BROKER_CONFIG]: 'broker',
  [ConfigSources.DEFAULT_CONFIG]: 'default',
};

/** The broker's config source number (DescribeConfigs v1+, the same in both clients) as a {@link ConfigSource}. */
export function configSource(n: number): ConfigSource {
  return CONFIG_SOURCE[n] ?? 'unknown';
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const byGroupId = (a: GroupListing, b: GroupListing) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0);

/** The admin client of every app; `client` overrides `EFD_KAFKA_CLIENT`. */
export function createAdmin(opts: KafkaOptions, o: { client?: KafkaClientName } = {}): EfdAdmin {
  const admin = (o.client ?? kafkaClientName()) === 'kafkajs' ? kafkajsAdmin(opts) : platformaticAdmin(opts);
  return explainingRefusals(admin, opts.sasl?.username);
}

/** The resources an admin call works on, from its arguments (a group id, a topic, topics or new topics). */
function callContext(method: string, args: unknown[]): RefusalContext {
  const [first] = args;
  if (/group/i.test(method) && typeof first === 'string')
    return { group: first, topics: Array.isArray(args[1]) ? (args[1] as string[]) : undefined };
  const topics =
    typeof first === 'string'
      ? [first]
      : Array.isArray(first)
        ? first.map((t) => (typeof t === 'string' ? t : (t as { topic?: string }).topic)).filter((t): t is string => !!t)
        : undefined;
  const operation = method === 'createTopics' ? 'CREATE' : method === 'deleteTopics' ? 'DELETE' : undefined;
  return { topics, resourceType: 'TOPIC', operation: operation as RefusalContext['operation'] };
}

/** Every operation of `admin` with a refusal turned into a KafkaRefusedError naming `user`, the resource and the operation. */
function explainingRefusals(admin: EfdAdmin, user: string | undefined): EfdAdmin {
  const wrapped: Record<string, unknown> = { client: admin.client };
  for (const [name, fn] of Object.entries(admin)) {
    if (typeof fn !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        const doing = name === 'connect' ? undefined : `admin ${name}`;
        throw refusedError(err, { user, doing, ...callContext(name, args) }) ?? err;
      }
    };
  }
  return wrapped as unknown as EfdAdmin;
}

/** Our connection options as @platformatic/kafka admin options (the connection settings alone, no producer settings). */
export function platformaticAdminOptions(opts: KafkaOptions): PltAdminOptions {
  return platformaticConnection(opts);
}

/** Lag of a group on a topic: per partition, high watermark − committed offset (the whole partition when nothing was committed). */
export function groupLag(offsets: PartitionOffsets[], committed: CommittedOffset[]): { partition: number; lag: number }[] {
  const c = new Map(committed.map((x) => [x.partition, BigInt(x.offset)]));
  return offsets.map((o) => {
    const at = c.get(o.partition) ?? -1n;
    const from = at < 0n ? BigInt(o.low) : at;
    const lag = BigInt(o.high) - from;
    return { partition: o.partition, lag: Number(lag > 0n ? lag : 0n) };
  });
}

/** `PREPARING_REBALANCE` (@platformatic/kafka) → `PreparingRebalance` (the broker's and kafkajs' spelling). */
export function groupState(s: string): string {
  if (!/^[A-Z_]+$/.test(s)) return s;
  return s
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** ListOffsets' timestamp spec for the record with the largest timestamp (KIP-734; @platformatic/kafka 1.35 names only -1 and -2). */
const MAX_TIMESTAMP = -3n as unknown as (typeof ListOffsetTimestamps)['LATEST'];

/**
 * Runs an offset read (ListOffsets) again while Kafka answers it with a retriable error, for up to
 * `timeoutMs` (default 15 s): a broker that has just become a partition's leader (a topic just created, a
 * broker just restarted) answers "not the leader" until its own metadata catches up, although the
 * metadata already names it. Any other error, or the same one past the deadline, surfaces as it came.
 */
export function whileLeadersSettle<T>(op: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return retry(op, { initialDelayMs: 100, maxDelayMs: 1_000 }, (err, f) => {
    if (!retriableKafkaError(err) || Date.now() + f.delayMs > deadline) throw err;
  });
}

async function waitForLeaders(admin: EfdAdmin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const md = await admin.topicPartitions(topics).catch(() => [] as TopicPartitions[]);
    const ready = md.filter((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)).length;
    if (ready === topics.length) return;
    if (Date.now() > deadline)
      throw new Error(`after ${timeoutMs / 1000} s only ${ready} of ${topics.length} new topic(s) have a leader for every partition`);
    await sleep(250);
  }
}

function platformaticAdmin(opts: KafkaOptions): EfdAdmin {
  const options = platformaticAdminOptions(opts);
  let admin: PltAdmin | undefined;
  const get = () => (admin ??= new PltAdmin(options));
  /** The partition count of `topic` and, per ListOffsets timestamp spec, each partition's answer (partition → offset, timestamp). */
  const listOffsets = (topic: string, ...timestamps: bigint[]) => whileLeadersSettle(() => listOffsetsOnce(topic, ...timestamps));
  const listOffsetsOnce = async (topic: string, ...timestamps: bigint[]) => {
    const md = await get().metadata({ topics: [topic] });
    const n = md.topics.get(topic)?.partitionsCount ?? 0;
    const answers = await Promise.all(
      timestamps.map(async (timestamp) => {
        const r = await get().listOffsets({
          topics: [{ name: topic, partitions: Array.from({ length: n }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
        });
        return new Map(r.flatMap((t) => t.partitions).map((p) => [p.partitionIndex, p]));
      }),
    );
    return { n, answers };
  };
  const self: EfdAdmin = {
    client: 'platformatic',
    connect: () =>
      connectOrExplain('admin client', options.bootstrapBrokers as string[], () => get().metadata({ topics: [] }), opts.sasl?.username),
    async disconnect() {
      const a = admin;
      admin = undefined;
      if (a && !a.closed) await a.close();
    },
    listTopics: () => get().listTopics(),
    async createTopics(topics, o = {}) {
      const existing = new Set(await get().listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      // one request per partitions/replicas/configs shape (the client takes them per request)
      const groups = new Map<string, NewTopic[]>();
      for (const t of missing) {
        const k = JSON.stringify([t.partitions ?? 1, t.replicationFactor ?? -1, t.configs ?? {}]);
        groups.set(k, [...(groups.get(k) ?? []), t]);
      }
      for (const group of groups.values()) {
        const t0 = group[0];
        for (let i = 0; i < group.length; i += 250) {
          await get()
            .createTopics({
              topics: group.slice(i, i + 250).map((t) => t.topic),
              partitions: t0.partitions ?? 1,
              replicas: t0.replicationFactor ?? -1,
              configs: Object.entries(t0.configs ?? {}).map(([name, value]) => ({ name, value })),
            })
            .catch((err: unknown) => {
              // another client created one of them meanwhile: that is what was asked
              if (!/already exists/i.test(kafkaErrorMessage(err))) throw err;
            });
        }
      }
      const names = missing.map((t) => t.topic);
      if (names.length && o.waitForLeaders !== false) await waitForLeaders(self, names, o.timeoutMs ?? 60_000);
      return names;
    },
    async deleteTopics(topics) {
      if (topics.length) await get().deleteTopics({ topics });
    },
    async createPartitions(topic, count) {
      // null assignments: the brokers place the new partitions (the protocol's nullable array)
      await get().createPartitions({ topics: [{ name: topic, count, assignments: null as unknown as [] }] });
    },
    async topicPartitions(topics) {
      if (topics.length === 0) return [];
      const existing = new Set(await get().listTopics());
      const want = topics.filter((t) => existing.has(t));
      if (want.length === 0) return [];
      const md = await get().metadata({ topics: want, forceUpdate: true });
      return want.flatMap((topic) => {
        const t = md.topics.get(topic);
        return t
          ? [
              {
                topic,
                partitions: t.partitions.map((p, partition) => ({
                  partition,
                  leader: p?.leader ?? -1,
                  replicas: [...(p?.replicas ?? [])],
                  isr: [...(p?.isr ?? [])],
                })),
              },
            ]
          : [];
      });
    },
    async topicOffsets(topic) {
      const { n, answers } = await listOffsets(topic, ListOffsetTimestamps.EARLIEST, ListOffsetTimestamps.LATEST);
      const [low, high] = answers;
      return Array.from({ length: n }, (_, partition) => ({
        partition,
        low: String(low.get(partition)?.offset ?? 0n),
        high: String(high.get(partition)?.offset ?? 0n),
      }));
    },
    async newestTimestamp(topic) {
      if (!(await get().listTopics()).includes(topic)) return undefined;
      const [newest] = (await listOffsets(topic, MAX_TIMESTAMP)).answers;
      // an empty partition answers offset -1, timestamp -1
      const ts = [...newest.values()].filter((p) => p.offset >= 0n && p.timestamp >= 0n);
      return ts.length ? Math.max(...ts.map((p) => Number(p.timestamp))) : undefined;
    },
    async offsetsForTimestamp(topic, timestampMs) {
      if (!(await get().listTopics()).includes(topic)) return [];
      const { n, answers } = await listOffsets(topic, BigInt(timestampMs), ListOffsetTimestamps.LATEST);
      const [found, high] = answers;
      // no record at or after the timestamp: the broker answers -1
      return Array.from({ length: n }, (_, partition) => {
        const o = found.get(partition)?.offset ?? -1n;
        return { partition, offset: String(o >= 0n ? o : (high.get(partition)?.offset ?? 0n)) };
      });
    },
    async topicConfigs(topic) {
      const r = await get().describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }] });
      const out: Record<string, string> = {};
      for (const c of r[0]?.configs ?? []) if (c.value != null) out[c.name] = c.value;
      return out;
    },
    async topicConfigEntries(topic) {
      const r = await get().describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }] });
      return (r[0]?.configs ?? [])
        .map((c) => ({
          name: c.name,
          value: c.value ?? null,
          source: configSource(c.configSource),
          readOnly: c.readOnly,
          sensitive: c.isSensitive,
        }))
        .sort(byName);
    },
    async alterTopicConfigs(topic, change) {
      const configs = [
        ...Object.entries(change.set ?? {}).map(([name, value]) => ({
          name,
          value,
          configOperation: IncrementalAlterConfigOperationTypes.SET,
        })),
        ...(change.reset ?? []).map((name) => ({ name, configOperation: IncrementalAlterConfigOperationTypes.DELETE })),
      ];
      if (configs.length)
        await get().incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configs }] });
    },
    async brokers() {
      const md = await get().metadata({ topics: [] });
      return [...md.brokers].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port }));
    },
    async describeCluster() {
      const md = await get().metadata({ topics: [], forceUpdate: true });
      return {
        clusterId: md.id,
        controllerId: md.controllerId,
        brokers: [...md.brokers]
          .map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port, rack: b.rack ?? null }))
          .sort((a, b) => a.nodeId - b.nodeId),
      };
    },
    async listGroups() {
      const groups = await get().listGroups();
      return [...groups.values()]
        .map((g) => ({ groupId: g.id, state: groupState(String(g.state)), protocolType: g.protocolType }))
        .sort(byGroupId);
    },
    async describeGroup(groupId) {
      const g = (await get().describeGroups({ groups: [groupId] })).get(groupId);
      if (!g) return { groupId, state: 'Dead', members: [] };
      return {
        groupId,
        state: groupState(String(g.state)),
        members: [...g.members.values()].map((m) => ({
          memberId: m.id,
          clientId: m.clientId,
          assignment: Object.fromEntries(
            [...(m.assignments?.values() ?? [])].map((a) => [a.topic, [...a.partitions].sort((x, y) => x - y)]),
          ),
        })),
      };
    },
    async groupOffsets(groupId, topics) {
      if (!topics) {
        // every partition the group committed an offset for (the broker answers them all for topics = null)
        const all = await get().listConsumerGroupOffsets({ groups: [groupId] });
        return (all[0]?.topics ?? []).flatMap((t) =>
          t.partitions.map((p) => ({
            topic: t.name,
            partition: p.partitionIndex,
            offset: String(p.committedOffset),
            metadata: p.metadata ?? null,
          })),
        );
      }
      const md = await get().metadata({ topics });
      const r = await get().listConsumerGroupOffsets({
        groups: [
          {
            groupId,
            topics: topics.map((name) => ({
              name,
              partitionIndexes: Array.from({ length: md.topics.get(name)?.partitionsCount ?? 0 }, (_, i) => i),
            })),
          },
        ],
      });
      return (r[0]?.topics ?? []).flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.name,
          partition: p.partitionIndex,
          offset: String(p.committedOffset),
          metadata: p.metadata ?? null,
        })),
      );
    },
    async setGroupOffsets(groupId, offsets) {
      const topics = new Map<string, { partition: number; offset: bigint }[]>();
      for (const o of offsets) topics.set(o.topic, [...(topics.get(o.topic) ?? []), { partition: o.partition, offset: BigInt(o.offset) }]);
      if (topics.size)
        await get().alterConsumerGroupOffsets({
          groupId,
          topics: [...topics].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
        });
    },
  };
  return self;
}

function kafkajsAdmin(opts: KafkaOptions): EfdAdmin {
  const admin: KjsAdmin = createKafka(opts).admin();
  const self: EfdAdmin = {
    client: 'kafkajs',
    connect: () => connectOrExplain('admin client', parseBrokers(opts.brokers), () => admin.connect(), opts.sasl?.username),
    disconnect: () => admin.disconnect(),
    listTopics: () => admin.listTopics(),
    async createTopics(topics, o = {}) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      for (let i = 0; i < missing.length; i += 250) {
        await admin.createTopics({
          waitForLeaders: false,
          topics: missing.slice(i, i + 250).map((t) => ({
            topic: t.topic,
            numPartitions: t.partitions ?? 1,
            replicationFactor: t.replicationFactor ?? -1,
            configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
      }
      const names = missing.map((t) => t.topic);
      // kafkajs' own waitForLeaders fails on a broker still creating hundreds of topics ("does not host this topic-partition")
      if (names.length && o.waitForLeaders !== false) await waitForLeaders(self, names, o.timeoutMs ?? 60_000);
      return names;
    },
    async deleteTopics(topics) {
      if (topics.length) await admin.deleteTopics({ topics });
    },
    async createPartitions(topic, count) {
      await admin.createPartitions({ topicPartitions: [{ topic, count }] });
    },
    async topicPartitions(topics) {
      if (topics.length === 0) return [];
      const existing = new Set(await admin.listTopics());
      const want = topics.filter((t) => existing.has(t));
      if (want.length === 0) return [];
      const md = await admin.fetchTopicMetadata({ topics: want });
      return md.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }))
          .sort((a, b) => a.partition - b.partition),
      }));
    },
    async topicOffsets(topic) {
      const r = await whileLeadersSettle(() => admin.fetchTopicOffsets(topic));
      return r.map((p) => ({ partition: p.partition, low: p.low, high: p.high })).sort((a, b) => a.partition - b.partition);
    },
    newestTimestamp: (topic, o) => kafkajsNewestTimestamp(opts, admin, topic, o?.timeoutMs ?? 10_000),
    async offsetsForTimestamp(topic, timestampMs) {
      if (!(await admin.listTopics()).includes(topic)) return [];
      // kafkajs answers the high watermark where no record is that new
      const r = await whileLeadersSettle(() => admin.fetchTopicOffsetsByTimestamp(topic, timestampMs));
      return r.map((p) => ({ partition: p.partition, offset: String(p.offset) })).sort((a, b) => a.partition - b.partition);
    },
    async topicConfigs(topic) {
      const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] });
      const out: Record<string, string> = {};
      for (const c of r.resources[0]?.configEntries ?? []) if (c.configValue != null) out[c.configName] = c.configValue;
      return out;
    },
    topicConfigEntries: (topic) => kafkajsConfigEntries(admin, topic),
    async alterTopicConfigs(topic, change) {
      const reset = new Set(change.reset ?? []);
      const own = (await kafkajsConfigEntries(admin, topic)).filter((c) => c.source === 'topic' && c.value !== null && !reset.has(c.name));
      const next = new Map(own.map((c) => [c.name, c.value as string]));
      for (const [name, value] of Object.entries(change.set ?? {})) next.set(name, value);
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: topic, configEntries: [...next].map(([name, value]) => ({ name, value })) }],
      });
    },
    async brokers() {
      const c = await admin.describeCluster();
      return c.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port }));
    },
    async describeCluster() {
      const c = await admin.describeCluster();
      // kafkajs' DescribeCluster (Metadata) answer drops the racks
      return {
        clusterId: c.clusterId,
        controllerId: c.controller ?? -1,
        brokers: c.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: null })).sort((a, b) => a.nodeId - b.nodeId),
      };
    },
    async listGroups() {
      const { groups } = await admin.listGroups();
      if (groups.length === 0) return [];
      // ListGroups v0 (kafkajs) carries no state: DescribeGroups has it
      const described = new Map((await admin.describeGroups(groups.map((g) => g.groupId))).groups.map((g) => [g.groupId, g.state]));
      return groups
        .map((g) => ({ groupId: g.groupId, state: described.get(g.groupId) ?? 'Unknown', protocolType: g.protocolType }))
        .sort(byGroupId);
    },
    async describeGroup(groupId) {
      const { AssignerProtocol } = await import('kafkajs');
      const g = (await admin.describeGroups([groupId])).groups[0];
      return {
        groupId,
        state: g.state,
        members: g.members.map((m) => {
          let assignment: Record<string, number[]> = {};
          try {
            const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
            if (a) assignment = Object.fromEntries(Object.entries(a.assignment).map(([t, ps]) => [t, [...ps].sort((x, y) => x - y)]));
          } catch {
            /* not a consumer assignment */
          }
          return { memberId: m.memberId, clientId: m.clientId, assignment };
        }),
      };
    },
    async groupOffsets(groupId, topics) {
      // without topics kafkajs asks for every topic the group committed to
      const r = await admin.fetchOffsets(topics ? { groupId, topics } : { groupId });
      return r.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset, metadata: p.metadata ?? null })),
      );
    },
    async setGroupOffsets(groupId, offsets) {
      const topics = new Map<string, { partition: number; offset: string }[]>();
      for (const o of offsets) topics.set(o.topic, [...(topics.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }]);
      for (const [topic, partitions] of topics) await admin.setOffsets({ groupId, topic, partitions });
    },
  };
  return self;
}

async function kafkajsConfigEntries(admin: KjsAdmin, topic: string): Promise<ConfigEntry[]> {
  const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] });
  return (r.resources[0]?.configEntries ?? [])
    .map((c) => ({
      name: c.configName,
      value: c.configValue ?? null,
      source: configSource((c as { configSource?: number }).configSource ?? -1),
      readOnly: c.readOnly,
      sensitive: c.isSensitive,
    }))
    .sort(byName);
}

/** The newest record timestamp with kafkajs: a consumer (own group, no commits) reads the last record of each partition. */
async function kafkajsNewestTimestamp(opts: KafkaOptions, admin: KjsAdmin, topic: string, timeoutMs: number): Promise<number | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const filled = (await whileLeadersSettle(() => admin.fetchTopicOffsets(topic))).filter((p) => Number(p.high) > Number(p.low));
  if (!filled.length) return undefined;
  const consumer = createKafka(opts).consumer({ groupId: `efd-newest-${process.pid}-${Date.now()}`, allowAutoTopicCreation: false });
  let newest: number | undefined;
  let remaining = filled.length;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) newest = Math.max(newest ?? 0, Number(m.timestamp));
          if (batch.messages.length) remaining--;
          if (remaining <= 0) resolve();
        },
      });
      setTimeout(resolve, timeoutMs).unref();
    });
    for (const p of filled) consumer.seek({ topic, partition: p.partition, offset: String(Number(p.high) - 1) });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return newest;
}
