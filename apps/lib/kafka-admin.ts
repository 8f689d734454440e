/**
 * The Kafka admin client of the EFD apps, scripts and tests: one factory ({@link createAdmin}) over
 * @platformatic/kafka (default) or kafkajs (`EFD_KAFKA_CLIENT=kafkajs`), with the operations the
 * project uses: list/create (with configs)/delete topics, partition leaders, earliest/latest offsets,
 * topic configs (read, and set or reset one by one), the cluster's brokers, the consumer groups, a group's
 * members and committed offsets (its lag). Every operation works with both clients (the integration test
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
  connectError,
  createKafka,
  kafkaClientName,
  kafkaErrorMessage,
  platformaticConnection,
  type KafkaClientName,
  type KafkaOptions,
} from './kafka';
import { sleep } from './retry';

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
  /** Partitions and their leaders; a topic that does not exist is left out. */
  topicPartitions(topics: string[]): Promise<TopicPartitions[]>;
  /** Earliest and latest offset of every partition of the topic. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
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
  return (o.client ?? kafkaClientName()) === 'kafkajs' ? kafkajsAdmin(opts) : platformaticAdmin(opts);
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
  const self: EfdAdmin = {
    client: 'platformatic',
    async connect() {
      try {
        await get().metadata({ topics: [] });
      } catch (err) {
        throw connectError('admin client', options.bootstrapBrokers as string[], err);
      }
    },
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
      const md = await get().metadata({ topics: [topic] });
      const n = md.topics.get(topic)?.partitionsCount ?? 0;
      const at = async (timestamp: bigint) => {
        const r = await get().listOffsets({
          topics: [{ name: topic, partitions: Array.from({ length: n }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
        });
        return new Map(r.flatMap((t) => t.partitions).map((p) => [p.partitionIndex, p.offset]));
      };
      const [low, high] = await Promise.all([at(ListOffsetTimestamps.EARLIEST), at(ListOffsetTimestamps.LATEST)]);
      return Array.from({ length: n }, (_, partition) => ({
        partition,
        low: String(low.get(partition) ?? 0n),
        high: String(high.get(partition) ?? 0n),
      }));
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
          t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: String(p.committedOffset) })),
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
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: String(p.committedOffset) })),
      );
    },
  };
  return self;
}

function kafkajsAdmin(opts: KafkaOptions): EfdAdmin {
  const admin: KjsAdmin = createKafka(opts).admin();
  const self: EfdAdmin = {
    client: 'kafkajs',
    connect: () => admin.connect(),
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
      const r = await admin.fetchTopicOffsets(topic);
      return r.map((p) => ({ partition: p.partition, low: p.low, high: p.high })).sort((a, b) => a.partition - b.partition);
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
      return r.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })));
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
