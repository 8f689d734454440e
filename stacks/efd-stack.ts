/**
 * `<site>-efd`: the EFD of one site — namespaces, the `ssd` StorageClass and
 * the seam where the platform (Kafka, InfluxDB), connectors and apps attach.
 */
import { ParquetSinkApp } from '../constructs/parquet-sink-app';
import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import type { Site } from '../config/schema';
import { ClusterAccess } from '../constructs/cluster-access';
import { EfdNamespaces } from '../constructs/efd-namespaces';
import { GKE_SSD_PROVISIONER, SsdStorageClass } from '../constructs/ssd-storage-class';
import { applyInvariants } from '../constructs/invariants';
import { configureBackend } from './backend';
import { KafkaPlatform } from '../constructs/kafka-platform';
import { InfluxDb, influxDbCredentialEnv } from '../constructs/influxdb';
import { Chronograf } from '../constructs/chronograf';
import { Kapacitor } from '../constructs/kapacitor';
import { Telegraf } from '../constructs/telegraf';
import { AppJob } from '../constructs/app-job';
import { KafkaTopicsJob } from '../constructs/kafka-topics-job';
import { InfluxDbBackup } from '../constructs/influxdb-backup';
import { AppDeployment } from '../constructs/app-deployment';
import { GrafanaDashboard } from '../constructs/grafana-dashboard';
import { ConnectorSet } from '../constructs/connectors/connector-set';
import { InfluxDbSinkApp } from '../constructs/connectors/influxdb-sink-app';
import { ConnectManager } from '../constructs/connectors/connect-manager';
import { SalPipeline } from '../constructs/sal-pipeline';
import { AggregatorApps, aggregatorPrefixes } from '../constructs/aggregator-app';
import { ReplicationInbound } from '../constructs/replication/inbound';
import type { ReplicationFlow } from '../config/topology';

export interface EfdStackProps {
  readonly site: Site;
  /** At an aggregator: the replication flows into it (their remote registries and sinks deploy here). @default [] */
  readonly inbound?: ReplicationFlow[];
}

export class EfdStack extends TerraformStack {
  readonly site: Site;
  readonly access: ClusterAccess;
  readonly namespaces: EfdNamespaces;
  /** StorageClass name every stateful volume uses. */
  readonly storageClassName: string;
  readonly kafka: KafkaPlatform;
  readonly influxdb: InfluxDb;
  /** The Job applying retention tiers; later apps that need the tiers depend on it. */
  readonly retentionJob: AppJob;
  readonly topics: KafkaTopicsJob;
  /** Fills the downsampled retention tiers (absent when the site has only a raw tier). */
  readonly downsampler?: AppDeployment;
  /** The site's connectors, synthesized into the connect manager's ConfigMap. */
  readonly connectors: ConnectorSet;
  /** Schema registration, saltransform and salmock, where the site runs them. */
  readonly sal?: SalPipeline;
  /** At an aggregator: a remote registry and a sink per replicated source. */
  readonly inbound?: ReplicationInbound;
  /** The 1 Hz aggregator(s) and the sinks of their aggregated topics (apps.aggregator.enabled). */
  readonly aggregator?: AggregatorApps;

  constructor(scope: Construct, id: string, props: EfdStackProps) {
    super(scope, id);
    const { site } = props;
    this.site = site;
    configureBackend(this, site, id);
    this.access = new ClusterAccess(this, 'access', { site });
    this.namespaces = new EfdNamespaces(this, 'namespaces', {
      site: site.name,
      namespaces: site.namespaces,
      preventDestroy: site.production,
    });
    this.storageClassName = site.storage.className;
    const storage = site.storage.create
      ? new SsdStorageClass(this, 'storage', {
          name: site.storage.className,
          provisioner: site.storage.provisioner ?? (site.target.kind === 'gke' ? GKE_SSD_PROVISIONER : undefined),
          parameters: site.storage.parameters,
          reclaimPolicy: site.production ? 'Retain' : 'Delete',
          preventDestroy: site.production,
        })
      : undefined;
    const prerequisites = [this.namespaces.resources[site.namespaces.kafka], ...(storage ? [storage.resource] : [])];
    this.kafka = new KafkaPlatform(this, 'kafka', { site, storageClassName: this.storageClassName, dependsOn: prerequisites });
    this.influxdb = new InfluxDb(this, 'influxdb', {
      site,
      storageClassName: this.storageClassName,
      dependsOn: [this.namespaces.resources[site.namespaces.influxdb], ...(storage ? [storage.resource] : [])],
    });
    const image = { repository: site.apps.imageRepository, tag: site.apps.imageTag };
    const influxDbCredentials = influxDbCredentialEnv(this.influxdb.adminSecret);
    // Retention tiers (RPs; drops the continuous queries of earlier versions), applied after InfluxDB is up; idempotent on re-runs.
    this.retentionJob = new AppJob(this, 'influxdb-init', {
      site: site.name,
      name: 'influxdb-init',
      app: 'influxdb-init',
      namespace: site.namespaces.influxdb,
      image,
      args: ['--url', this.influxdb.url, '--database', this.influxdb.database, '--tiers', JSON.stringify(site.retention.tiers)],
      secretEnv: influxDbCredentials,
      dependsOn: [this.influxdb.release],
    });
    // The downsampled tiers are filled per measurement, off the write path (apps/influxdb-init/downsample.ts).
    if (site.retention.tiers.length > 1) {
      this.downsampler = new AppDeployment(this, 'influxdb-downsample', {
        site: site.name,
        app: 'influxdb-downsample',
        imageName: 'influxdb-init',
        namespace: site.namespaces.influxdb,
        image,
        args: ['--url', this.influxdb.url, '--database', this.influxdb.database, '--tiers', JSON.stringify(site.retention.tiers)],
        secretEnv: influxDbCredentials,
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        dependsOn: [this.retentionJob.job],
      });
    }
    if (site.influxdb.backup) {
      new InfluxDbBackup(this, 'influxdb-backup', {
        site,
        image,
        influxUrl: this.influxdb.url,
        adminSecret: this.influxdb.adminSecret,
        dependsOn: [this.influxdb.release],
      });
    }
    const appsNamespace = this.namespaces.resources[site.namespaces.apps];
    // Topics as code: the declared topics (the dead-letter topics) exist before the apps that produce to them start.
    this.topics = new KafkaTopicsJob(this, 'kafka-topics', {
      site,
      image,
      bootstrapServers: this.kafka.bootstrapServers,
      dependsOn: [this.kafka.release, appsNamespace],
    });
    const topicsJob = this.topics.job.job;
    this.connectors = new ConnectorSet(this, 'connectors', {
      site,
      kafka: this.kafka,
      influxdb: this.influxdb,
      aggregatedPrefixes: aggregatorPrefixes(props.inbound),
    });
    if (this.connectors.settings.influxDbSink.runIn === 'app') {
      new InfluxDbSinkApp(this, 'influxdb-sink', {
        site,
        image,
        kafka: this.kafka,
        influxdb: this.influxdb,
        settings: this.connectors.settings.influxDbSink,
        dependsOn: [this.retentionJob.job, appsNamespace, topicsJob],
      });
    }
    const objectStore = this.connectors.settings.objectStore;
    if (objectStore?.runIn === 'app') {
      new ParquetSinkApp(this, 'parquet-sink', {
        site,
        image,
        kafka: this.kafka,
        settings: objectStore,
        dependsOn: [this.kafka.release, appsNamespace, topicsJob],
      });
    }
    if (props.inbound?.length) {
      this.inbound = new ReplicationInbound(this, 'replication-inbound', {
        site,
        flows: props.inbound,
        kafka: this.kafka,
        replicationFactor: this.kafka.settings.replicationFactor,
        influxdb: this.influxdb,
        image,
        sinkSettings: this.connectors.settings.influxDbSink,
        registryDependsOn: [this.kafka.release],
        dependsOn: [this.retentionJob.job, appsNamespace],
      });
    }
    if (site.apps.aggregator.enabled) {
      this.aggregator = new AggregatorApps(this, 'aggregator', {
        site,
        image,
        kafka: this.kafka,
        influxdb: this.influxdb,
        sinkSettings: this.connectors.settings.influxDbSink,
        flows: props.inbound,
        dependsOn: [this.retentionJob.job, appsNamespace, ...Object.values(this.inbound?.registries ?? {})],
      });
    }
    if (this.kafka.connectUrl) {
      new ConnectManager(this, 'connect-manager', {
        set: this.connectors,
        image,
        kafka: this.kafka,
        dependsOn: [this.kafka.release, appsNamespace],
      });
    }
    if (site.apps.saltransform.enabled || site.apps.salmock.enabled) {
      this.sal = new SalPipeline(this, 'sal', {
        site,
        image,
        kafka: this.kafka,
        dependsOn: [this.kafka.release, appsNamespace, topicsJob],
      });
    }
    new GrafanaDashboard(this, 'dashboard', {
      site: site.name,
      namespace: site.namespaces.apps,
      dependsOn: [this.namespaces.resources[site.namespaces.apps]],
    });
    if (site.influxdb.chronograf) new Chronograf(this, 'chronograf', { site, influxdb: this.influxdb });
    if (site.influxdb.kapacitor) new Kapacitor(this, 'kapacitor', { site, influxdb: this.influxdb });
    if (site.influxdb.telegraf) new Telegraf(this, 'telegraf', { site, influxdb: this.influxdb });
    applyInvariants(this, site);
  }
}
