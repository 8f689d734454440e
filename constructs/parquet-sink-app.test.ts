import { Testing, TerraformStack } from 'cdktf';
import { objectStoreSchema, OBJECT_STORE_TOPICS_REGEX } from '../config/connectors';
import { parquetSinkConfig, registerParquetSinkCommand } from '../apps/parquet-sink/cli';
import { ParquetSinkApp } from './parquet-sink-app';
import { parsedFlags } from '../test/cli';
import { gkeSite } from '../test/sites';

const image = { repository: 'ghcr.io/lsst-sqre/efd', tag: '0.1.0' };
const kafka = {
  bootstrapServers: 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
  schemaRegistryUrl: 'http://cp-cp-schema-registry.kafka.svc.cluster.local:8081',
};

/** What `efd parquet-sink <args>` makes of the arguments (the real command, its action replaced). */
async function parsed(args: string[]) {
  return parquetSinkConfig(await parsedFlags(registerParquetSinkCommand, ['parquet-sink', ...args]), {});
}

function synth(settings: Record<string, unknown>) {
  const stack = new TerraformStack(Testing.app(), 'test');
  const app = new ParquetSinkApp(stack, 'parquet-sink', { site: gkeSite(), image, kafka, settings: objectStoreSchema.parse(settings) });
  const [d] = Object.values(JSON.parse(Testing.synth(stack)).resource.kubernetes_deployment_v1) as any[];
  return { app, d };
}

describe('ParquetSinkApp (connectors.objectStore, runIn: app)', () => {
  it('runs the parquet-sink on raw and aggregated topics with the site settings; the app parses those arguments', async () => {
    const { app, d } = synth({
      kind: 's3',
      bucket: 'efd-ldf-parquet',
      prefix: 'efd/',
      region: 'us-east-1',
      credentialsSecret: 'efd-s3',
      replicas: 2,
    });
    expect(d.metadata.name).toBe('parquet-sink');
    expect(String(d.spec.replicas)).toBe('2');
    const c = d.spec.template.spec.container[0];
    expect(c.args).toEqual(['parquet-sink', ...app.args, '--metrics-port', '9090']);
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'AWS_ACCESS_KEY_ID', value_from: { secret_key_ref: { name: 'efd-s3', key: 'aws-access-key-id' } } },
        { name: 'AWS_SECRET_ACCESS_KEY', value_from: { secret_key_ref: { name: 'efd-s3', key: 'aws-secret-access-key' } } },
      ]),
    );
    const cfg = await parsed(c.args.slice(1));
    expect(cfg).toMatchObject({
      brokers: kafka.bootstrapServers,
      registry: kafka.schemaRegistryUrl,
      store: 's3',
      bucket: 'efd-ldf-parquet',
      prefix: 'efd/',
      region: 'us-east-1',
      topicsRegex: OBJECT_STORE_TOPICS_REGEX,
      group: 'gcp-parquet-sink',
      deadLetterTopic: 'lsst.efd.parquet-sink.dlq',
      partitionBy: 'hour',
      maxRecords: 200_000,
      flushIntervalMs: 600_000,
    });
  });

  it('refuses what the app cannot honour, naming the field', () => {
    expect(() => synth({ kind: 's3', bucket: 'efd-b', timestampSource: 'wallclock' })).toThrow(
      'site "gcp": connectors.objectStore.timestampSource: only for runIn: connect',
    );
    expect(() => synth({ kind: 'gcs', bucket: 'efd-b', credentialsSecret: 'k' })).toThrow('connectors.objectStore.credentialsSecret:');
    expect(() => synth({ kind: 'gcs', bucket: 'efd-b', region: 'us-east-1' })).toThrow('connectors.objectStore.region: only for kind "s3"');
    expect(() => synth({ kind: 's3', bucket: 'efd-b', prefix: '/x' })).toThrow('connectors.objectStore.prefix: expected a prefix like');
  });
});
