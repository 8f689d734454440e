/**
 * The parquet-sink app (apps/parquet-sink) as a Deployment: the site's `connectors.objectStore` with
 * `runIn: app` (the default). Raw and aggregated topics → hourly Parquet objects in the site's bucket
 * (layout: config/object-store-layout.ts). Credentials: an S3 site's `credentialsSecret` (keys
 * `aws-access-key-id`, `aws-secret-access-key`) as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; on GCS
 * the pod's identity (Workload Identity; a key-file Secret is refused: not mounted yet). Without a
 * Secret on S3, the pod's identity too (IRSA).
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Site } from '../config/schema';
import type { SiteConnectors } from '../config/connectors';
import { AppDeployment, AppImage, SecretKeyRef } from './app-deployment';
import type { ConnectorKafka } from './connectors/connector-set';
import { REGISTRY_FLAVOR } from './kafka-platform';

export interface ParquetSinkAppProps {
  readonly site: Site;
  readonly image: AppImage;
  readonly kafka: ConnectorKafka;
  /** The site's `connectors.objectStore`. */
  readonly settings: NonNullable<SiteConnectors['objectStore']>;
  readonly dependsOn?: ITerraformDependable[];
}

const fail = (site: string, field: string, message: string): never => {
  throw new Error(`site "${site}": connectors.objectStore.${field}: ${message}`);
};

/** The app's arguments (after `parquet-sink`) for a site's settings. */
export function parquetSinkArgs(site: string, kafka: ConnectorKafka, o: NonNullable<SiteConnectors['objectStore']>): string[] {
  if (!kafka.schemaRegistryUrl)
    fail(site, 'runIn', 'the parquet-sink reads Avro and needs the schema registry (kafka.schemaRegistry: true)');
  if (o.timestampSource !== undefined)
    fail(site, 'timestampSource', "only for runIn: connect (the app's time folders follow the records' Kafka timestamps)");
  if (o.prefix && (!o.prefix.endsWith('/') || o.prefix.startsWith('/')))
    fail(site, 'prefix', `expected a prefix like "efd/raw/" (no leading "/", trailing "/"), got "${o.prefix}"`);
  if (o.kind === 'gcs' && (o.region || o.endpoint)) fail(site, o.region ? 'region' : 'endpoint', 'only for kind "s3"');
  return [
    '--brokers',
    kafka.bootstrapServers,
    '--registry',
    kafka.schemaRegistryUrl!,
    '--store',
    o.kind,
    '--bucket',
    o.bucket,
    ...(o.prefix ? ['--prefix', o.prefix] : []),
    ...(o.endpoint ? ['--endpoint', o.endpoint] : []),
    ...(o.region ? ['--region', o.region] : []),
    '--topics-regex',
    o.topicsRegex,
    '--group',
    `${site}-parquet-sink`,
    '--client-id',
    `${site}-parquet-sink`,
    '--dead-letter-topic',
    o.deadLetterTopic,
    '--partition-by',
    o.partitionBy,
    '--max-records',
    String(o.maxRecords),
    '--flush-interval-ms',
    String(o.flushIntervalMs),
  ];
}

export class ParquetSinkApp extends Construct {
  readonly deployment: AppDeployment;
  readonly args: string[];

  constructor(scope: Construct, id: string, props: ParquetSinkAppProps) {
    super(scope, id);
    const { site, settings: o } = props;
    this.args = parquetSinkArgs(site.name, props.kafka, o);
    const secretEnv: Record<string, SecretKeyRef> = {};
    const env: Record<string, string> = { LOG_LEVEL: 'info', EFD_REGISTRY_FLAVOR: REGISTRY_FLAVOR };
    if (o.credentialsSecret && o.kind === 's3') {
      secretEnv.AWS_ACCESS_KEY_ID = { secret: o.credentialsSecret, key: 'aws-access-key-id' };
      secretEnv.AWS_SECRET_ACCESS_KEY = { secret: o.credentialsSecret, key: 'aws-secret-access-key' };
    }
    // GCS reads a key *file* (GOOGLE_APPLICATION_CREDENTIALS); AppDeployment mounts no Secret volumes yet,
    // so a GCS credentialsSecret is refused rather than ignored (Workload Identity needs none).
    if (o.credentialsSecret && o.kind === 'gcs')
      fail(
        site.name,
        'credentialsSecret',
        'the parquet-sink on GCS uses the pod identity (Workload Identity); omit it, or use runIn: connect',
      );
    this.deployment = new AppDeployment(this, 'app', {
      site: site.name,
      app: 'parquet-sink',
      name: 'parquet-sink',
      namespace: site.namespaces.apps,
      image: props.image,
      args: this.args,
      replicas: o.replicas,
      env,
      secretEnv,
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } },
      dependsOn: props.dependsOn,
    });
  }
}
