/**
 * Shared pieces of the connector constructs (not a construct): the contract a connector construct
 * fulfils for the ConnectorSet, prop validation that names site and field, Secret references as
 * Kafka Connect config-provider placeholders, and the converter settings of Avro topics.
 *
 * Secrets: connector configs never carry secret values. A key that needs one gets
 * `${dir:<mount>/<secret>:<key>}` — Kafka's DirectoryConfigProvider (Kafka ≥ 2.7, Confluent 6.1)
 * reads the file `<key>` of the Secret `<secret>` mounted at `<mount>/<secret>` in the Connect pods
 * when the task starts. The worker needs `config.providers=dir` and
 * `config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider`, and
 * each Secret listed by {@link ConnectorSet.secrets} mounted under the mount path: the ConnectorSet has
 * its Kafka platform mount them as connectors are added.
 */
import { ConnectorSpec, CONNECTOR_NAME, SECRET_KEY } from '../../config/connector-spec';
import { DEFAULT_SECRETS_MOUNT } from '../../config/connectors';
import { K8S_NAME, KAFKA_TOPIC } from '../../config/names';

export type { ConnectorSpec };

/** What a connector construct gives the ConnectorSet. */
export interface IConnector {
  /** Connector name on the worker. */
  readonly connectorName: string;
  /** The desired connector (config, optional topic regex for the manager to expand). */
  readonly spec: ConnectorSpec;
  /** Kubernetes Secrets its config references (to mount into the Connect pods). */
  readonly secrets: string[];
  /** Where its config expects the Connect pods to mount those Secrets. */
  readonly secretsMountPath: string;
}

/** The Confluent Avro converter (in the cp-kafka-connect image the Connect image builds on). */
export const AVRO_CONVERTER = 'io.confluent.connect.avro.AvroConverter';
export const STRING_CONVERTER = 'org.apache.kafka.connect.storage.StringConverter';
export const BYTE_ARRAY_CONVERTER = 'org.apache.kafka.connect.converters.ByteArrayConverter';

/** Throws `site "<site>": connectors.<id>.<field>: <message>`. */
export function fail(site: string, id: string, field: string, message: string): never {
  throw new Error(`site "${site}": connectors.${id}.${field}: ${message}`);
}

/** A Kubernetes Secret key. */
export interface SecretKey {
  /** Name of an existing Secret in the Kafka namespace. */
  readonly secret: string;
  readonly key: string;
}

const SECRET_KEY_NAME = /^[-._a-zA-Z0-9]+$/;

export function checkSecretKey(site: string, id: string, field: string, ref: SecretKey): void {
  if (!K8S_NAME.test(ref.secret))
    fail(site, id, `${field}.secret`, `expected the name of an existing Kubernetes Secret (lowercase RFC 1123), got "${ref.secret}"`);
  if (!SECRET_KEY_NAME.test(ref.key))
    fail(site, id, `${field}.key`, `expected a Secret key (letters, digits, "-", "_", "."), got "${ref.key}"`);
}

/**
 * Sets config keys to Secret references (each checked first, named by its props field in errors);
 * returns the Secrets they read, each once, for the Connect pods to mount.
 */
export function secretConfig(
  site: string,
  id: string,
  config: Record<string, string>,
  mount: string,
  refs: { field: string; configKey: string; ref: SecretKey }[],
): string[] {
  for (const r of refs) checkSecretKey(site, id, r.field, r.ref);
  for (const r of refs) config[r.configKey] = secretRef(r.ref, mount);
  return [...new Set(refs.map((r) => r.ref.secret))];
}

/** `${dir:<mount>/<secret>:<key>}`: resolved by the worker's DirectoryConfigProvider at task start. */
export function secretRef(ref: SecretKey, mount = DEFAULT_SECRETS_MOUNT): string {
  return `\${dir:${mount}/${ref.secret}:${ref.key}}`;
}

/** Path of a Secret key file in the Connect pods (for plugins that take a file path). */
export function secretPath(ref: SecretKey, mount = DEFAULT_SECRETS_MOUNT): string {
  return `${mount}/${ref.secret}/${ref.key}`;
}

/** Props every connector construct takes. */
export interface ConnectorCommonProps {
  /** Site name, for error messages. */
  readonly site: string;
  /** Connector name on the worker. */
  readonly name?: string;
  /** Explicit topic list. Give this or `topicsRegex`. */
  readonly topics?: string[];
  /** Topics whose whole name matches (Java/JS regex subset). */
  readonly topicsRegex?: string;
  /**
   * How `topicsRegex` reaches the worker: `expand` (default) — the connect manager writes the matching
   * topics into `topics` and refreshes the list when topics appear; `native` — Connect's own
   * `topics.regex` (for plugins that handle topics dynamically).
   */
  readonly topicsMode?: 'expand' | 'native';
  /** @default 1 */
  readonly tasksMax?: number;
  /** Schema registry URL for the Avro converter (KafkaPlatform.schemaRegistryUrl). */
  readonly schemaRegistryUrl: string;
  /**
   * Dead-letter topic for records the connector cannot convert or write (`errors.tolerance=all`,
   * context headers on). @default none: a bad record fails the task (`errors.tolerance=none`)
   */
  readonly deadLetterTopic?: string;
  /** Where the Connect pods mount Secrets. @default {@link DEFAULT_SECRETS_MOUNT} */
  readonly secretsMountPath?: string;
  /** Extra connector keys, applied last (escape hatch; still checked for literal secrets). */
  readonly extraConfig?: Record<string, string>;
}

/** Validates the common props and returns the framework-level config and topic selection. */
export function commonConfig(
  id: string,
  p: ConnectorCommonProps,
  defaults: { name: string; topicsRegex?: string },
): { name: string; config: Record<string, string>; topicsRegex?: string } {
  const name = p.name ?? defaults.name;
  if (!CONNECTOR_NAME.test(name)) fail(p.site, id, 'name', `expected a connector name of letters, digits, ".", "_" or "-", got "${name}"`);
  if (p.topics && p.topicsRegex) fail(p.site, id, 'topics', 'give either topics or topicsRegex, not both');
  const regex = p.topics ? undefined : (p.topicsRegex ?? defaults.topicsRegex);
  if (!p.topics && !regex) fail(p.site, id, 'topicsRegex', 'expected the topics to read: topics (a list) or topicsRegex');
  if (p.topics) {
    if (p.topics.length === 0) fail(p.site, id, 'topics', 'expected at least one topic');
    for (const t of p.topics) if (!KAFKA_TOPIC.test(t)) fail(p.site, id, 'topics', `"${t}" is not a valid Kafka topic name`);
  }
  if (regex !== undefined) {
    try {
      new RegExp(regex);
    } catch (err) {
      fail(p.site, id, 'topicsRegex', `not a valid regular expression: ${(err as Error).message}`);
    }
  }
  const tasks = p.tasksMax ?? 1;
  if (!Number.isInteger(tasks) || tasks < 1) fail(p.site, id, 'tasksMax', `expected an integer ≥ 1, got ${tasks}`);
  if (!/^https?:\/\/\S+$/.test(p.schemaRegistryUrl))
    fail(p.site, id, 'schemaRegistryUrl', `expected an http(s) URL, got "${p.schemaRegistryUrl}"`);
  const config: Record<string, string> = { 'tasks.max': String(tasks) };
  if (p.topics) config.topics = p.topics.join(',');
  else if ((p.topicsMode ?? 'expand') === 'native') config['topics.regex'] = regex as string;
  if (p.deadLetterTopic !== undefined) {
    if (!KAFKA_TOPIC.test(p.deadLetterTopic)) fail(p.site, id, 'deadLetterTopic', `"${p.deadLetterTopic}" is not a valid Kafka topic name`);
    if (regex && new RegExp(`^(?:${regex})$`).test(p.deadLetterTopic))
      fail(p.site, id, 'deadLetterTopic', `"${p.deadLetterTopic}" matches the connector's own topicsRegex`);
    Object.assign(config, {
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': p.deadLetterTopic,
      'errors.deadletterqueue.context.headers.enable': 'true',
      'errors.log.enable': 'true',
    });
  }
  const expand = !p.topics && (p.topicsMode ?? 'expand') === 'expand';
  return { name, config, topicsRegex: expand ? regex : undefined };
}

/** Avro value converter against the registry; keys as strings (SAL keys are strings or null). */
export function avroConverters(schemaRegistryUrl: string, key: 'string' | 'bytes' = 'string'): Record<string, string> {
  return {
    'key.converter': key === 'string' ? STRING_CONVERTER : BYTE_ARRAY_CONVERTER,
    'value.converter': AVRO_CONVERTER,
    'value.converter.schema.registry.url': schemaRegistryUrl,
  };
}

/** Applies `extraConfig` last, refusing literal secret values. */
export function withExtra(
  site: string,
  id: string,
  config: Record<string, string>,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (SECRET_KEY.test(k) && !v.includes('${')) {
      fail(site, id, `extraConfig["${k}"]`, 'holds a literal secret; reference a Kubernetes Secret through a config provider (${dir:...})');
    }
  }
  return { ...config, ...(extra ?? {}) };
}
