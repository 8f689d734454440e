/**
 * All Kafka Connect connectors of a site, synthesized into one ConfigMap (`efd-connectors`, one
 * `<name>.json` key per connector) that the connect manager mounts and applies through the Connect
 * REST API. Connectors come from the site's `connectors` section (config/connectors.ts) and from
 * `add()` for connectors declared in code; the ConfigMap data is rendered at synth time, so later
 * additions are included.
 *
 * Declared per site:
 *  - `influxDbSink.runIn: connect` → InfluxDbSinkConnector (the default `app` runs the influxdb-sink
 *    app instead, see InfluxDbSinkApp);
 *  - `objectStore.runIn: connect` → ObjectStoreSinkConnector (S3 or GCS, Parquet, hourly/daily partitions;
 *    the default `app` runs the parquet-sink app instead, see ParquetSinkApp);
 *  - `jdbc` → JdbcSinkConnector (Debezium JDBC sink into Oracle/PostgreSQL, credentials from a Secret): by
 *    default the site's aggregated topics (config/names.ts aggregatedTopicsRegexOf), one table each.
 */
import { Construct } from 'constructs';
import { Lazy } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import type { Site } from '../../config/schema';
import { toConfigMapData } from '../../config/connector-spec';
import { terraformLiterals } from '../terraform-literal';
import { influxDbCredentials } from '../influxdb';
import { IConnector } from './common';
import { InfluxDbSinkConnector } from './influxdb-sink-connector';
import { JdbcSinkConnector } from './jdbc-sink-connector';
import { ObjectStoreSinkConnector } from './object-store-sink-connector';
import { parseSiteConnectors, SiteConnectors, SiteConnectorsInput } from '../../config/connectors';
import { aggregatedTopicsRegexOf } from '../../config/names';

/** What the connector constructs need of the Kafka platform (KafkaPlatform fits). */
export interface ConnectorKafka {
  readonly bootstrapServers: string;
  readonly schemaRegistryUrl?: string;
  readonly connectUrl?: string;
}

/** What the set needs of the Kafka platform: its endpoints and Connect workers that mount Secrets (KafkaPlatform fits). */
export interface ConnectorPlatform extends ConnectorKafka {
  /** Mounts `secrets` read-only at `<mountPath>/<secret>` in the Connect pods. */
  mountConnectorSecrets(secrets: readonly string[], mountPath: string): void;
}

/** What the set needs of InfluxDB (InfluxDb fits). */
export interface ConnectorInfluxDb {
  readonly url: string;
  readonly database: string;
  readonly adminSecret: string;
}

export interface ConnectorSetProps {
  readonly site: Site;
  /** The platform whose Connect workers run the connectors and mount their Secrets. */
  readonly kafka: ConnectorPlatform;
  readonly influxdb: ConnectorInfluxDb;
  /** The site's connectors section. @default the site's `connectors` */
  readonly connectors?: SiteConnectorsInput;
  /** Namespace of the ConfigMap (where the connect manager runs). @default site.namespaces.apps */
  readonly namespace?: string;
  /** @default 'efd-connectors' */
  readonly configMapName?: string;
  /**
   * Prefixes of the site's aggregated topics (aggregatorPrefixes: each replicated source's at an
   * aggregator): the JDBC sink's default topics and its table names. @default [''] (the site's own)
   */
  readonly aggregatedPrefixes?: readonly string[];
}

export class ConnectorSet extends Construct {
  readonly site: Site;
  readonly settings: SiteConnectors;
  readonly namespace: string;
  readonly configMapName: string;
  readonly configMap: ConfigMapV1;
  private readonly members: IConnector[] = [];
  private readonly platform: ConnectorPlatform;

  constructor(scope: Construct, id: string, props: ConnectorSetProps) {
    super(scope, id);
    const { site, kafka, influxdb } = props;
    this.site = site;
    this.platform = kafka;
    this.settings = props.connectors ? parseSiteConnectors(site.name, props.connectors) : site.connectors;
    this.namespace = props.namespace ?? site.namespaces.apps;
    this.configMapName = props.configMapName ?? 'efd-connectors';
    const s = this.settings;
    const wantsConnect = s.influxDbSink.runIn === 'connect' || s.objectStore?.runIn === 'connect' || s.jdbc !== undefined;
    if (wantsConnect && !kafka.connectUrl) {
      throw new Error(
        `site "${site.name}": connectors: connectors are declared but kafka.connect is false; enable Kafka Connect or remove them`,
      );
    }
    const registry = kafka.schemaRegistryUrl;
    if (wantsConnect && !registry) {
      throw new Error(
        `site "${site.name}": connectors: the connectors read Avro and need the schema registry; set kafka.schemaRegistry: true`,
      );
    }
    const common = { site: site.name, schemaRegistryUrl: registry ?? '', secretsMountPath: s.secretsMountPath };

    if (s.influxDbSink.runIn === 'connect') {
      const admin = influxDbCredentials(influxdb.adminSecret);
      this.add(
        new InfluxDbSinkConnector(this, 'influxDbSink', {
          ...common,
          topicsRegex: s.influxDbSink.topicsRegex,
          influxDbUrl: influxdb.url,
          database: influxdb.database,
          retentionPolicy: site.retention.tiers[0].name,
          credentials: { username: admin.user, password: admin.password },
          tags: s.influxDbSink.tags,
          deadLetterTopic: s.influxDbSink.deadLetterTopic,
        }),
      );
    }
    if (s.objectStore?.runIn === 'connect') {
      const o = s.objectStore;
      const secret = o.credentialsSecret;
      this.add(
        new ObjectStoreSinkConnector(this, 'objectStore', {
          ...common,
          kind: o.kind,
          bucket: o.bucket,
          prefix: o.prefix,
          topicsRegex: o.topicsRegex,
          partitionBy: o.partitionBy,
          timestampSource: o.timestampSource,
          region: o.region,
          endpoint: o.endpoint,
          tasksMax: o.tasksMax,
          awsCredentials:
            o.kind === 's3' && secret
              ? { accessKeyId: { secret, key: 'aws-access-key-id' }, secretAccessKey: { secret, key: 'aws-secret-access-key' } }
              : undefined,
          gcsCredentials: o.kind === 'gcs' && secret ? { secret, key: 'credentials.json' } : undefined,
        }),
      );
    }
    if (s.jdbc) {
      const j = s.jdbc;
      const prefixes = props.aggregatedPrefixes ?? [''];
      this.add(
        new JdbcSinkConnector(this, 'jdbc', {
          ...common,
          dialect: j.dialect,
          topicsRegex: j.topicsRegex ?? aggregatedTopicsRegexOf(prefixes),
          tablePrefixes: prefixes,
          deadLetterTopic: j.deadLetterTopic,
          connection: {
            url: { secret: j.secret, key: 'jdbc-url' },
            user: { secret: j.secret, key: 'jdbc-user' },
            password: { secret: j.secret, key: 'jdbc-password' },
          },
          insertMode: j.insertMode,
          primaryKeyMode: j.primaryKeyMode,
          primaryKeyFields: j.primaryKeyFields,
          schemaEvolution: j.schemaEvolution,
          tasksMax: j.tasksMax,
        }),
      );
    }

    this.configMap = new ConfigMapV1(this, 'configmap', {
      metadata: {
        name: this.configMapName,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/name': 'connect-manager', 'app.kubernetes.io/part-of': 'efd', 'efd.lsst.io/site': site.name },
      },
      data: Lazy.anyValue({
        produce: () => {
          const problems = this.problems();
          if (problems.length) throw new Error(problems.join('\n'));
          return terraformLiterals(toConfigMapData(this.members.map((m) => m.spec)));
        },
      }) as unknown as Record<string, string>,
    });
    this.node.addValidation({ validate: () => this.problems() });
  }

  private problems(): string[] {
    const names = this.members.map((m) => m.connectorName);
    return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))].map(
      (n) => `site "${this.site.name}": connectors: connector name "${n}" is declared twice`,
    );
  }

  /**
   * Adds a connector declared in code (its construct may live anywhere in the tree); the Kafka
   * platform mounts its Secrets into the Connect workers.
   */
  add(connector: IConnector): this {
    const mount = this.settings.secretsMountPath;
    if (connector.secrets.length > 0 && connector.secretsMountPath !== mount) {
      throw new Error(
        `site "${this.site.name}": connectors: connector "${connector.connectorName}" reads its Secrets under ${connector.secretsMountPath}, but the Connect workers mount them under ${mount} (connectors.secretsMountPath); give the connector secretsMountPath: "${mount}"`,
      );
    }
    this.members.push(connector);
    this.platform.mountConnectorSecrets(this.secrets, mount);
    return this;
  }

  get connectors(): readonly IConnector[] {
    return this.members;
  }

  /** Secrets the connectors reference, mounted by the platform at `<secretsMountPath>/<name>` in the Connect pods. */
  get secrets(): string[] {
    return [...new Set(this.members.flatMap((m) => m.secrets))].sort();
  }
}
