/**
 * The Kafka platform of a site: Confluent Platform from cp-helm-charts —
 * ZooKeeper, brokers, Schema Registry, Kafka Connect, optional KSQL and REST
 * proxy (Control Center off) — sized from the site, with broker settings
 * derived from the retention tiers. `engine` is the seam where a Strimzi
 * platform can be added behind the same properties.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Release } from '@cdktf/provider-helm/lib/release';
import { kafkaRetention } from '../config/retention';
import { defaultReplicationFactor } from '../config/topic-policies';
import type { Site } from '../config/schema';
import { CHARTS } from './charts';
import { HelmChart } from './helm-chart';
import { mergeValues, Values } from './helm-values';
import { connectWorkerValues } from './connectors/connect-workers';

/**
 * The schema registry API the platform serves, as the EFD apps' EFD_REGISTRY_FLAVOR names it:
 * Confluent's cp-schema-registry (API at its root, not Apicurio's ccompat path).
 */
export const REGISTRY_FLAVOR = 'confluent';

export interface KafkaPlatformProps {
  readonly site: Site;
  /** Namespace of the release. @default site.namespaces.kafka */
  readonly namespace?: string;
  /** StorageClass of every volume. @default site.storage.className */
  readonly storageClassName?: string;
  /** Helm release name. @default 'cp' */
  readonly releaseName?: string;
  /** Resources the release waits for (namespaces, StorageClass). */
  readonly dependsOn?: ITerraformDependable[];
}

/** Broker settings derived from the site (documented in the README). */
export interface BrokerSettings {
  replicationFactor: number;
  minInsyncReplicas: number;
  /** `log.retention.hours` when the retention is whole hours, else `log.retention.ms` (-1: forever): never rounded. */
  logRetention: { key: 'log.retention.hours' | 'log.retention.ms'; value: number };
  offsetsRetentionMinutes: number;
  autoCreateTopics: boolean;
}

export function brokerSettings(site: Site): BrokerSettings {
  const k = site.kafka;
  const multi = k.brokers >= 3;
  const { settings, problems } = kafkaRetention(k, site.retention.tiers[0]);
  if (!settings) throw new Error(`site "${site.name}": ${problems.map((p) => `kafka.${p.field}: ${p.message}`).join('; ')}`);
  return {
    replicationFactor: defaultReplicationFactor(k.brokers),
    minInsyncReplicas: multi ? 2 : 1,
    logRetention: settings.log,
    offsetsRetentionMinutes: settings.offsetsMinutes,
    autoCreateTopics: k.autoCreateTopics ?? !site.production,
  };
}

/** In-cluster endpoints of a site's platform (also for stacks that do not build it, e.g. replication). */
export function platformEndpoints(
  site: Site,
  release = 'cp',
  namespace = site.namespaces.kafka,
): { bootstrapServers: string; schemaRegistryUrl?: string; connectUrl?: string } {
  const svc = (name: string) => `${release}-${name}.${namespace}.svc.cluster.local`;
  return {
    bootstrapServers: `${svc('cp-kafka-headless')}:9092`,
    schemaRegistryUrl: site.kafka.schemaRegistry ? `http://${svc('cp-schema-registry')}:8081` : undefined,
    connectUrl: site.kafka.connect ? `http://${svc('cp-kafka-connect')}:8083` : undefined,
  };
}

export class KafkaPlatform extends Construct {
  readonly engine = 'confluent' as const;
  private readonly site: string;
  readonly chart: HelmChart;
  readonly release: Release;
  readonly settings: BrokerSettings;
  /** In-cluster bootstrap servers. */
  readonly bootstrapServers: string;
  /** Schema registry URL (Confluent API), if enabled. */
  readonly schemaRegistryUrl?: string;
  /** Kafka Connect REST URL, if enabled. */
  readonly connectUrl?: string;
  private readonly connectSecrets = new Set<string>();
  private connectSecretsMountPath: string;
  private readonly overrides: () => Values;

  constructor(scope: Construct, id: string, props: KafkaPlatformProps) {
    super(scope, id);
    const { site } = props;
    this.site = site.name;
    const k = site.kafka;
    const namespace = props.namespace ?? site.namespaces.kafka;
    const storageClass = props.storageClassName ?? site.storage.className;
    const release = props.releaseName ?? 'cp';
    if (k.engine !== 'confluent')
      throw new Error(`site "${site.name}": kafka.engine "${String(k.engine)}" is not available; use "confluent"`);
    this.settings = brokerSettings(site);
    const s = this.settings;
    const zk = k.zookeeperServers ?? (k.brokers >= 3 ? 3 : 1);
    const endpoints = platformEndpoints(site, release, namespace);
    this.bootstrapServers = endpoints.bootstrapServers;
    this.schemaRegistryUrl = endpoints.schemaRegistryUrl;
    this.connectUrl = endpoints.connectUrl;
    const heap = `-Xms${k.heap} -Xmx${k.heap}`;
    const resources = { requests: k.brokerResources.requests, limits: k.brokerResources.limits };

    this.connectSecretsMountPath = site.connectors.secretsMountPath;
    this.overrides = () => ({
      'cp-zookeeper': { servers: zk, persistence: { dataDirSize: '10Gi', dataLogDirSize: '10Gi', storageClass } },
      'cp-kafka': {
        brokers: k.brokers,
        heapOptions: heap,
        persistence: { size: `${k.storageGi}Gi`, storageClass },
        resources,
        configurationOverrides: {
          'default.replication.factor': String(s.replicationFactor),
          'min.insync.replicas': String(s.minInsyncReplicas),
          'offsets.topic.replication.factor': String(s.replicationFactor),
          'transaction.state.log.replication.factor': String(s.replicationFactor),
          'transaction.state.log.min.isr': String(s.minInsyncReplicas),
          [s.logRetention.key]: String(s.logRetention.value),
          'offsets.retention.minutes': String(s.offsetsRetentionMinutes),
          'auto.create.topics.enable': String(s.autoCreateTopics),
        },
      },
      'cp-schema-registry': { enabled: k.schemaRegistry },
      // Connect workers: the EFD image with the connector plugins, the secret config provider and the
      // Secrets of the connectors (mountConnectorSecrets) mounted read-only.
      'cp-kafka-connect': mergeValues(
        { enabled: k.connect, image: k.connectImage.repository, imageTag: k.connectImage.tag },
        connectWorkerValues([...this.connectSecrets].sort(), this.connectSecretsMountPath),
      ),
      'cp-ksql-server': { enabled: k.ksql },
      'cp-kafka-rest': { enabled: k.restProxy },
      'cp-control-center': { enabled: k.controlCenter },
    });

    this.chart = new HelmChart(this, 'cp', {
      site: site.name,
      chart: CHARTS.cpHelmCharts,
      name: release,
      namespace,
      preventDestroy: site.production,
      dependsOn: props.dependsOn,
      overrides: this.overrides(),
    });
    this.release = this.chart.release;
  }

  /**
   * Mounts Secrets into the Connect workers at `<mountPath>/<secret>`, read-only. The ConnectorSet
   * calls this with all its Secrets whenever a connector is added, so connectors added later (and
   * in code) are mounted too.
   */
  mountConnectorSecrets(secrets: readonly string[], mountPath: string): void {
    const where = `site "${this.site}": connectors`;
    if (mountPath !== this.connectSecretsMountPath && this.connectSecrets.size > 0) {
      throw new Error(
        `${where}: the Connect workers mount Secrets under ${this.connectSecretsMountPath}, not ${mountPath}; use one secretsMountPath for every connector`,
      );
    }
    this.connectSecretsMountPath = mountPath;
    const added = secrets.filter((s) => !this.connectSecrets.has(s));
    if (added.length === 0) return;
    if (!this.connectUrl)
      throw new Error(
        `${where}: Secrets ${added.join(', ')} are to be mounted into Kafka Connect but kafka.connect is false; enable Kafka Connect or remove the connectors`,
      );
    for (const s of added) this.connectSecrets.add(s);
    this.chart.setOverrides(this.overrides());
  }
}
