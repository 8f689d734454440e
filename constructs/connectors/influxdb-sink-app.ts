/**
 * The influxdb-sink app as a Deployment: the EFD's default InfluxDB sink (SAL topics → InfluxDB raw
 * tier, arrays flattened, dead-letter topic, Prometheus metrics). Settings come from the site's
 * `connectors.influxDbSink` section; InfluxDB credentials from the admin Secret as environment
 * (INFLUXDB_USER / INFLUXDB_PASSWORD), never literals.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Resources, Site } from '../../config/schema';
import { AppDeployment, AppImage } from '../app-deployment';
import { influxDbCredentialEnv } from '../influxdb';
import { REGISTRY_FLAVOR } from '../kafka-platform';
import { fail } from './common';
import type { ConnectorInfluxDb, ConnectorKafka } from './connector-set';
import { influxDbSinkSchema } from '../../config/connectors';
import type { SiteConnectors } from '../../config/connectors';

export interface InfluxDbSinkAppProps {
  readonly site: Site;
  readonly image: AppImage;
  readonly kafka: ConnectorKafka;
  readonly influxdb: ConnectorInfluxDb;
  /** The site's `connectors.influxDbSink` (ConnectorSet.settings.influxDbSink). @default all defaults */
  readonly settings?: SiteConnectors['influxDbSink'];
  /** @default site.namespaces.apps */
  readonly namespace?: string;
  /** @default requests 500m / 512Mi, memory limit 1Gi */
  readonly resources?: Resources;
  readonly dependsOn?: ITerraformDependable[];
}

export class InfluxDbSinkApp extends Construct {
  readonly deployment: AppDeployment;
  /** The arguments the container runs with (after `influxdb-sink`). */
  readonly args: string[];

  constructor(scope: Construct, id: string, props: InfluxDbSinkAppProps) {
    super(scope, id);
    const { site, kafka, influxdb } = props;
    const s = props.settings ?? influxDbSinkSchema.parse({});
    if (!kafka.schemaRegistryUrl)
      fail(site.name, 'influxDbSink', 'runIn', 'the influxdb-sink reads Avro and needs the schema registry (kafka.schemaRegistry: true)');
    const args = [
      '--brokers',
      kafka.bootstrapServers,
      '--registry',
      kafka.schemaRegistryUrl,
      '--influxdb-url',
      influxdb.url,
      '--database',
      influxdb.database,
      '--retention-policy',
      site.retention.tiers[0].name,
      '--topics-regex',
      s.topicsRegex,
      '--dead-letter-topic',
      s.deadLetterTopic,
      '--timestamp-field',
      s.timestampField,
      '--batch-size',
      String(s.batchSize),
      '--flush-interval-ms',
      String(s.flushIntervalMs),
      '--group-id',
      `${site.name}-influxdb-sink`,
      '--client-id',
      `${site.name}-influxdb-sink`,
    ];
    if (s.tags.length) args.push('--tag', s.tags.join(','));
    this.args = args;
    this.deployment = new AppDeployment(this, 'app', {
      site: site.name,
      app: 'influxdb-sink',
      namespace: props.namespace ?? site.namespaces.apps,
      image: props.image,
      args,
      replicas: s.replicas,
      secretEnv: influxDbCredentialEnv(influxdb.adminSecret),
      env: { LOG_LEVEL: 'info', EFD_REGISTRY_FLAVOR: REGISTRY_FLAVOR },
      resources: props.resources ?? { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
      dependsOn: props.dependsOn,
    });
  }
}
