/**
 * MirrorMaker 2 connector configs of one replication flow (pure; no cdktf): the same function feeds
 * the `<site>-replication` stack's ConfigMap and the local EFD's replication worker, and the connect
 * manager applies them in both.
 *
 *  - MirrorSourceConnector: the flow's topics (and, for the remote registry, the registry's storage
 *    topic) from the source into the aggregator as `<prefix>.<topic>` (DefaultReplicationPolicy,
 *    separator "."), records copied byte-for-byte (ByteArrayConverter), topic configs synced, new
 *    topics found every `refreshTopicsIntervalSeconds`; offset-syncs (for checkpoints) kept on the source cluster.
 *  - MirrorHeartbeatConnector: a heartbeat a second into the source's `heartbeats` topic, replicated
 *    with the data as `<prefix>.heartbeats`: replication liveness and lag in seconds at the aggregator.
 *  - MirrorCheckpointConnector (optional): consumer-group checkpoints for fail-over to the aggregator.
 *
 * The Connect worker runs at the source site and produces remotely: its bootstrap (internal topics,
 * producer) is the aggregator's Kafka; the heartbeat connector overrides its producer to the source.
 */
import type { ReplicationFlow } from '../../config/topology';
import { REPLICATION_SEPARATOR } from '../../config/topology';
import type { ConnectorSpec } from '../../config/connector-spec';
import { BYTE_ARRAY_CONVERTER } from '../connectors/common';

export const MM2 = 'org.apache.kafka.connect.mirror.';
export const MIRROR_SOURCE = `${MM2}MirrorSourceConnector`;
export const MIRROR_HEARTBEAT = `${MM2}MirrorHeartbeatConnector`;
export const MIRROR_CHECKPOINT = `${MM2}MirrorCheckpointConnector`;
export const DEFAULT_REPLICATION_POLICY = `${MM2}DefaultReplicationPolicy`;
/** The topic MirrorHeartbeatConnector writes (MM2's fixed name). */
export const HEARTBEATS_TOPIC = 'heartbeats';

/** Everything a replication engine needs beyond the flow: how the worker reaches both clusters. */
export interface ReplicationEndpoints {
  /** The source's Kafka as the replication worker reaches it (in-cluster at the source site). */
  readonly sourceBootstrapServers: string;
  /** The aggregator's Kafka as the worker reaches it. @default flow.inbound.bootstrapServers */
  readonly targetBootstrapServers?: string;
  /** The source's schema registry (Replicator's schema translation, the import job). */
  readonly sourceSchemaRegistryUrl?: string;
  /** Replication factor of topics created at the aggregator. */
  readonly targetReplicationFactor: number;
  /** Replication factor of topics created at the source (offset-syncs, heartbeats). */
  readonly sourceReplicationFactor: number;
  /** Connector names start with this. @default `replication-<source>` */
  readonly namePrefix?: string;
}

export const connectorNamePrefix = (flow: ReplicationFlow, e: ReplicationEndpoints) => e.namePrefix ?? `replication-${flow.source}`;

/** A literal topic name ([a-zA-Z0-9._-]) as a whole-name regex, `[.]` for dots (HCL-safe, see README). */
export const literalRegex = (topic: string) => topic.replace(/\./g, '[.]');

/** MM2's `topics`: comma-separated whole-name regexes; the registry's storage topic for the remote registry. */
export function replicatedTopics(flow: ReplicationFlow): string[] {
  const topics = [flow.settings.topicsRegex];
  if (flow.settings.schemas === 'remote-registry') topics.push(literalRegex(flow.settings.schemasTopic));
  return topics;
}

function prefixed(prefix: string, settings: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [`${prefix}${k}`, v]));
}

function clusters(flow: ReplicationFlow, e: ReplicationEndpoints): Record<string, string> {
  return {
    'source.cluster.alias': flow.prefix,
    'target.cluster.alias': flow.aggregator,
    'source.cluster.bootstrap.servers': e.sourceBootstrapServers,
    'target.cluster.bootstrap.servers': e.targetBootstrapServers ?? flow.inbound.bootstrapServers,
    'replication.policy.class': DEFAULT_REPLICATION_POLICY,
    'replication.policy.separator': REPLICATION_SEPARATOR,
    'key.converter': BYTE_ARRAY_CONVERTER,
    'value.converter': BYTE_ARRAY_CONVERTER,
    'header.converter': BYTE_ARRAY_CONVERTER,
  };
}

export function mirrorMaker2Specs(flow: ReplicationFlow, e: ReplicationEndpoints): ConnectorSpec[] {
  const s = flow.settings;
  const base = connectorNamePrefix(flow, e);
  if (s.topicsRegex.includes(','))
    throw new Error(
      `site "${flow.source}": replication.topicsRegex: MirrorMaker 2 splits "topics" at commas; write the regex without "," (got "${s.topicsRegex}")`,
    );
  const specs: ConnectorSpec[] = [
    {
      name: `${base}-source`,
      config: {
        'connector.class': MIRROR_SOURCE,
        'tasks.max': String(s.tasks),
        ...clusters(flow, e),
        topics: replicatedTopics(flow).join(','),
        'replication.factor': String(e.targetReplicationFactor),
        'sync.topic.configs.enabled': String(s.syncTopicConfigs),
        'sync.topic.acls.enabled': 'false',
        'refresh.topics.enabled': 'true',
        'refresh.topics.interval.seconds': String(s.refreshTopicsIntervalSeconds),
        // Offset syncs serve the checkpoints only (MM2 refuses their settings when they are off); kept on the source.
        'emit.offset-syncs.enabled': String(s.checkpoints),
        ...(s.checkpoints
          ? { 'offset-syncs.topic.location': 'source', 'offset-syncs.topic.replication.factor': String(e.sourceReplicationFactor) }
          : {}),
        // Read from the oldest retained record: a topic created after the start arrives whole.
        'source.consumer.auto.offset.reset': 'earliest',
        ...prefixed('source.consumer.', s.consumer),
        ...prefixed('producer.override.', s.producer),
      },
    },
  ];
  if (s.heartbeats) {
    specs.push({
      name: `${base}-heartbeat`,
      config: {
        'connector.class': MIRROR_HEARTBEAT,
        'tasks.max': '1',
        ...clusters(flow, e),
        // Heartbeats are emitted at the source and travel with the data.
        'target.cluster.bootstrap.servers': e.sourceBootstrapServers,
        'producer.override.bootstrap.servers': e.sourceBootstrapServers,
        'emit.heartbeats.enabled': 'true',
        'emit.heartbeats.interval.seconds': '1',
        'heartbeats.topic.replication.factor': String(e.sourceReplicationFactor),
      },
    });
  }
  if (s.checkpoints) {
    specs.push({
      name: `${base}-checkpoint`,
      config: {
        'connector.class': MIRROR_CHECKPOINT,
        'tasks.max': '1',
        ...clusters(flow, e),
        'emit.checkpoints.enabled': 'true',
        'emit.checkpoints.interval.seconds': '60',
        'sync.group.offsets.enabled': 'false',
        'refresh.groups.interval.seconds': '600',
        'checkpoints.topic.replication.factor': String(e.targetReplicationFactor),
        'offset-syncs.topic.location': 'source',
        ...prefixed('source.consumer.', s.consumer),
      },
    });
  }
  return specs;
}

/** Worker settings the replication Connect deployment needs (client overrides per connector). */
export const REPLICATION_WORKER_CONFIG: Record<string, string> = {
  'connector.client.config.override.policy': 'All',
  'key.converter': BYTE_ARRAY_CONVERTER,
  'value.converter': BYTE_ARRAY_CONVERTER,
};
