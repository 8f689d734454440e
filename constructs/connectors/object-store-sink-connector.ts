/**
 * Long-term object-store copy of EFD topics as Parquet with time-based partitioning (seed 001):
 * Aiven's open-source sinks (Maven Central, see apps/connect-image) — S3 (`s3-connector-for-apache-kafka`
 * 2.15.0) for LDF-like sites and S3-compatible stores, GCS (`gcs-connector-for-apache-kafka` 0.13.0)
 * for the GCP site.
 *
 * Objects are laid out Hive-style so Dask/pyarrow prune by time (one rule: config/object-store-layout.ts,
 * which the parquet-sink app follows too):
 *   `<prefix><topic>/year=YYYY/month=MM/day=DD[/hour=HH]/<topic>-<partition>-<start offset>.parquet`
 * through `file.name.template` with the `timestamp` variable (its allowed grouping: topic, partition,
 * start_offset, timestamp). The time is the connector's wall clock (`wallclock`, the documented
 * default) or the Kafka record timestamp (`event`).
 *
 * Keys (both plugins, Aiven commons): `format.output.type=parquet`, `format.output.fields`,
 * `format.output.envelope`, `file.compression.type`, `file.name.template`, `file.name.prefix`,
 * `file.name.timestamp.timezone`, `file.name.timestamp.source`, `file.max.records`; S3:
 * `aws.s3.bucket.name`, `aws.s3.region`, `aws.s3.endpoint`, `aws.access.key.id`,
 * `aws.secret.access.key`; GCS: `gcs.bucket.name`, `gcs.credentials.path`, `gcs.credentials.default`.
 */
import { Construct } from 'constructs';
import { DEFAULT_SECRETS_MOUNT, SAL_TOPICS_REGEX } from '../../config/connectors';
import { fileNameTemplate } from '../../config/object-store-layout';

export { fileNameTemplate };
import type { ConnectorCommonProps, ConnectorSpec, IConnector, SecretKey } from './common';
import { avroConverters, checkSecretKey, commonConfig, fail, secretConfig, secretPath, withExtra } from './common';

export const AIVEN_S3_SINK = 'io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector';
export const AIVEN_GCS_SINK = 'io.aiven.kafka.connect.gcs.GcsSinkConnector';

export type ObjectStoreKind = 's3' | 'gcs';

export interface ObjectStoreSinkConnectorProps extends ConnectorCommonProps {
  /** `s3` (AWS or S3-compatible, LDF) or `gcs` (the GCP site). */
  readonly kind: ObjectStoreKind;
  /** Existing bucket. */
  readonly bucket: string;
  /** Object name prefix, e.g. `efd/raw/` (must end with "/"). @default '' */
  readonly prefix?: string;
  /** Partition folders down to the day or the hour. @default 'hour' */
  readonly partitionBy?: 'day' | 'hour';
  /** Time of the partition folders. @default 'wallclock' */
  readonly timestampSource?: 'wallclock' | 'event';
  /** @default 'UTC' */
  readonly timezone?: string;
  /** Parquet compression. @default 'zstd' */
  readonly compression?: 'none' | 'gzip' | 'snappy' | 'zstd';
  /** Records per file at most (0 = one file per flush). @default 0 */
  readonly maxRecordsPerFile?: number;
  /** S3: bucket region. @default 'us-east-1' */
  readonly region?: string;
  /** S3: endpoint of an S3-compatible store (Ceph, MinIO at the LDF). @default AWS */
  readonly endpoint?: string;
  /**
   * S3: access key id / secret access key from an existing Secret. @default none: the AWS default
   * provider chain (instance profile, IRSA)
   */
  readonly awsCredentials?: { readonly accessKeyId: SecretKey; readonly secretAccessKey: SecretKey };
  /**
   * GCS: a service-account JSON key file from an existing Secret. @default none: application default
   * credentials (Workload Identity on GKE)
   */
  readonly gcsCredentials?: SecretKey;
}

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const GCS_BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

export class ObjectStoreSinkConnector extends Construct implements IConnector {
  readonly connectorName: string;
  readonly spec: ConnectorSpec;
  readonly secrets: string[] = [];
  readonly secretsMountPath: string;

  constructor(scope: Construct, id: string, props: ObjectStoreSinkConnectorProps) {
    super(scope, id);
    const { site, kind } = props;
    if (kind !== 's3' && kind !== 'gcs') fail(site, id, 'kind', `expected "s3" or "gcs", got "${String(kind)}"`);
    const common = commonConfig(id, props, { name: `${kind}-parquet-sink`, topicsRegex: SAL_TOPICS_REGEX });
    const bucketOk = kind === 's3' ? S3_BUCKET.test(props.bucket) && !props.bucket.includes('..') : GCS_BUCKET.test(props.bucket);
    if (!bucketOk) fail(site, id, 'bucket', `"${props.bucket}" is not a valid ${kind.toUpperCase()} bucket name`);
    const prefix = props.prefix ?? '';
    if (prefix && (!prefix.endsWith('/') || prefix.startsWith('/')))
      fail(site, id, 'prefix', `expected a prefix like "efd/raw/" (no leading "/", trailing "/"), got "${prefix}"`);
    const partitionBy = props.partitionBy ?? 'hour';
    if (partitionBy !== 'day' && partitionBy !== 'hour')
      fail(site, id, 'partitionBy', `expected "day" or "hour", got "${String(partitionBy)}"`);
    const source = props.timestampSource ?? 'wallclock';
    if (source !== 'wallclock' && source !== 'event')
      fail(site, id, 'timestampSource', `expected "wallclock" or "event", got "${String(source)}"`);
    const maxRecords = props.maxRecordsPerFile ?? 0;
    if (!Number.isInteger(maxRecords) || maxRecords < 0) fail(site, id, 'maxRecordsPerFile', `expected an integer ≥ 0, got ${maxRecords}`);
    const mount = props.secretsMountPath ?? DEFAULT_SECRETS_MOUNT;
    this.secretsMountPath = mount;

    const config: Record<string, string> = {
      'connector.class': kind === 's3' ? AIVEN_S3_SINK : AIVEN_GCS_SINK,
      ...common.config,
      ...avroConverters(props.schemaRegistryUrl, 'bytes'),
      'format.output.type': 'parquet',
      // The value record's fields become the Parquet columns (no {"value": …} envelope).
      'format.output.fields': 'value',
      'format.output.envelope': 'false',
      'file.compression.type': props.compression ?? 'zstd',
      'file.name.template': fileNameTemplate(partitionBy),
      'file.name.timestamp.timezone': props.timezone ?? 'UTC',
      'file.name.timestamp.source': source,
      'file.max.records': String(maxRecords),
    };
    if (prefix) config['file.name.prefix'] = prefix;

    if (kind === 's3') {
      if (props.gcsCredentials) fail(site, id, 'gcsCredentials', 'only for kind "gcs"');
      config['aws.s3.bucket.name'] = props.bucket;
      config['aws.s3.region'] = props.region ?? 'us-east-1';
      if (props.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(props.region))
        fail(site, id, 'region', `expected an AWS region such as "us-east-1", got "${props.region}"`);
      if (props.endpoint !== undefined) {
        if (!/^https?:\/\/\S+$/.test(props.endpoint)) fail(site, id, 'endpoint', `expected an http(s) URL, got "${props.endpoint}"`);
        config['aws.s3.endpoint'] = props.endpoint;
      }
      if (props.awsCredentials) {
        this.secrets.push(
          ...secretConfig(site, id, config, mount, [
            { field: 'awsCredentials.accessKeyId', configKey: 'aws.access.key.id', ref: props.awsCredentials.accessKeyId },
            { field: 'awsCredentials.secretAccessKey', configKey: 'aws.secret.access.key', ref: props.awsCredentials.secretAccessKey },
          ]),
        );
      }
    } else {
      if (props.awsCredentials || props.endpoint || props.region)
        fail(site, id, props.awsCredentials ? 'awsCredentials' : props.endpoint ? 'endpoint' : 'region', 'only for kind "s3"');
      config['gcs.bucket.name'] = props.bucket;
      if (props.gcsCredentials) {
        checkSecretKey(site, id, 'gcsCredentials', props.gcsCredentials);
        config['gcs.credentials.path'] = secretPath(props.gcsCredentials, mount);
        this.secrets.push(props.gcsCredentials.secret);
      } else {
        config['gcs.credentials.default'] = 'true';
      }
    }
    this.connectorName = common.name;
    this.spec = {
      name: common.name,
      config: withExtra(site, id, config, props.extraConfig),
      ...(common.topicsRegex ? { topicsRegex: common.topicsRegex } : {}),
    };
  }
}
