/**
 * Confluent Replicator connector config of one replication flow (pure; no cdktf), the seed's engine:
 * topics renamed by `topic.rename.format` `<prefix>.${topic}`, topic configs synced, records copied as
 * bytes, and schema translation — Replicator reads the source registry's `_schemas` topic and registers
 * each schema at the aggregator's registry under the renamed subject (DefaultSubjectTranslator), which
 * needs that registry in IMPORT mode. The licence key comes from a Secret (config-provider reference).
 *
 * Replicator is licensed and not on the registries this project reaches, so it never runs here: the
 * unit tests check every key against the documented keys below (REPLICATOR_KEYS).
 */
import type { ReplicationFlow } from '../../config/topology';
import { REPLICATION_SEPARATOR } from '../../config/topology';
import type { ConnectorSpec } from '../../config/connector-spec';
import { DEFAULT_SECRETS_MOUNT } from '../../config/connectors';
import { secretRef } from '../connectors/common';
import type { PluginKeys } from '../connectors/plugin-keys';
import { connectorNamePrefix, ReplicationEndpoints } from './mirrormaker2';

export const REPLICATOR_CLASS = 'io.confluent.connect.replicator.ReplicatorSourceConnector';
export const REPLICATOR_BYTES = 'io.confluent.connect.replicator.util.ByteArrayConverter';
export const SUBJECT_TRANSLATOR = 'io.confluent.connect.replicator.schemas.DefaultSubjectTranslator';

/**
 * Replicator 6.1's documented keys (docs.confluent.io, "Replicator Configuration Reference":
 * source/destination topics, source/destination cluster, offset management, schema translation,
 * licence), beside the Connect framework's source-connector keys.
 */
export const REPLICATOR_KEYS: PluginKeys = {
  keys: [
    'name',
    'connector.class',
    'tasks.max',
    'key.converter',
    'value.converter',
    'header.converter',
    'topic.whitelist',
    'topic.blacklist',
    'topic.regex',
    'topic.poll.interval.ms',
    'topic.rename.format',
    'topic.sync',
    'topic.config.sync',
    'topic.config.sync.interval.ms',
    'topic.auto.create',
    'topic.preserve.partitions',
    'topic.create.backoff.ms',
    'topic.timestamp.type',
    'src.kafka.bootstrap.servers',
    'dest.kafka.bootstrap.servers',
    'src.consumer.group.id',
    'src.header.converter',
    'offset.translator.tasks.max',
    'offset.translator.tasks.separate',
    'offset.timestamps.commit',
    'offset.topic.commit',
    'offset.translator.batch.period.ms',
    'offset.translator.batch.size',
    'provenance.header.enable',
    'provenance.header.filter.overrides',
    'schema.registry.topic',
    'schema.registry.url',
    'schema.registry.max.schemas.per.subject',
    'schema.subject.translator.class',
    'schema.registry.client.basic.auth.credentials.source',
    'schema.registry.client.basic.auth.user.info',
    'confluent.license',
    'confluent.topic',
    'confluent.topic.bootstrap.servers',
    'confluent.topic.replication.factor',
  ],
  prefixes: ['src.kafka.', 'dest.kafka.', 'src.consumer.', 'producer.override.', 'confluent.topic.'],
  values: {
    'topic.sync': ['true', 'false'],
    'topic.config.sync': ['true', 'false'],
    'topic.auto.create': ['true', 'false'],
    'topic.preserve.partitions': ['true', 'false'],
    'offset.timestamps.commit': ['true', 'false'],
    'provenance.header.enable': ['true', 'false'],
  },
  required: ['connector.class', 'src.kafka.bootstrap.servers', 'dest.kafka.bootstrap.servers', 'topic.rename.format'],
};

export interface ReplicatorLicence {
  /** Where the Connect pods mount Secrets. @default DEFAULT_SECRETS_MOUNT */
  readonly secretsMountPath?: string;
}

export function replicatorSpecs(flow: ReplicationFlow, e: ReplicationEndpoints, o: ReplicatorLicence = {}): ConnectorSpec[] {
  const s = flow.settings;
  if (!s.licenseSecret)
    throw new Error(
      `site "${flow.source}": replication.licenseSecret: expected the Secret holding the Confluent licence key for engine replicator`,
    );
  const target = e.targetBootstrapServers ?? flow.inbound.bootstrapServers;
  const config: Record<string, string> = {
    'connector.class': REPLICATOR_CLASS,
    'tasks.max': String(s.tasks),
    'key.converter': REPLICATOR_BYTES,
    'value.converter': REPLICATOR_BYTES,
    'header.converter': REPLICATOR_BYTES,
    'src.kafka.bootstrap.servers': e.sourceBootstrapServers,
    'dest.kafka.bootstrap.servers': target,
    'topic.regex': s.topicsRegex,
    'topic.rename.format': `${flow.prefix}${REPLICATION_SEPARATOR}\${topic}`,
    'topic.auto.create': 'true',
    'topic.preserve.partitions': 'true',
    'topic.config.sync': String(s.syncTopicConfigs),
    'topic.poll.interval.ms': String(s.refreshTopicsIntervalSeconds * 1000),
    'offset.timestamps.commit': String(s.checkpoints),
    'provenance.header.enable': 'true',
    'src.consumer.group.id': `${connectorNamePrefix(flow, e)}`,
    'confluent.license': secretRef({ secret: s.licenseSecret, key: 'license' }, o.secretsMountPath ?? DEFAULT_SECRETS_MOUNT),
    'confluent.topic.bootstrap.servers': target,
    'confluent.topic.replication.factor': String(e.targetReplicationFactor),
    ...Object.fromEntries(Object.entries(s.consumer).map(([k, v]) => [`src.consumer.${k}`, v])),
    ...Object.fromEntries(Object.entries(s.producer).map(([k, v]) => [`producer.override.${k}`, v])),
  };
  if (s.schemas === 'import') {
    // Schema translation: the source's _schemas topic → the aggregator's registry (IMPORT mode), subjects renamed.
    Object.assign(config, {
      'schema.registry.topic': s.schemasTopic,
      'schema.registry.url': flow.inbound.schemaRegistryUrl,
      'schema.subject.translator.class': SUBJECT_TRANSLATOR,
    });
  } else {
    // Remote registry: the storage topic travels as data, read by the aggregator's read-only registry.
    config['topic.regex'] = `${s.topicsRegex}|${s.schemasTopic.replace(/\./g, '[.]')}`;
  }
  return [{ name: `${connectorNamePrefix(flow, e)}-replicator`, config }];
}

/** Keys of a Replicator config that are not documented, or values outside the documented ones. */
export function replicatorKeyProblems(config: Record<string, string>): string[] {
  const k = REPLICATOR_KEYS;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!k.keys.includes(key) && !k.prefixes.some((p) => key.startsWith(p))) problems.push(`"${key}" is not a documented Replicator key`);
    if (k.values[key] && !k.values[key].includes(value))
      problems.push(`"${key}" = "${value}": expected one of ${k.values[key].join(', ')}`);
  }
  for (const key of k.required) if (!(key in config)) problems.push(`"${key}" is required`);
  return problems;
}
