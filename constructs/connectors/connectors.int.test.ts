/**
 * The connector constructs' configs against the real local Connect worker
 * (`PUT /connector-plugins/<class>/config/validate`):
 *  - every plugin the worker has installed validates its construct's config with 0 errors; plugins the
 *    local worker lacks (the willena/Aiven jars when Maven Central did not resolve them, Confluent's
 *    Debezium JDBC sink on a worker started before it was installed) are listed as not validated here —
 *    their keys are checked against the documented keys by connectors.test.ts, and the JDBC sink's on a
 *    worker that has it by constructs/connectors/jdbc-sink.int.test.ts;
 *  - the framework half of every config (tasks, topics, error handling, the JDBC RegexRouter
 *    transform) validates with 0 errors on the worker, with the plugin swapped for the FileStreamSink
 *    that ships with Kafka and the Avro converter (Confluent's, absent locally) for the JSON one.
 * Run: npx jest --selectProjects integration constructs/connectors
 */
import { Testing, TerraformStack } from 'cdktf';
import { ConnectClient, validationErrors } from '../../apps/connect-manager/connect-client';
import { renderConfig } from '../../apps/connect-manager/plan';
import { TestNamespace, useNamespace } from '../../test/integration/env';
import { IConnector } from './common';
import { InfluxDbSinkConnector } from './influxdb-sink-connector';
import { JdbcSinkConnector } from './jdbc-sink-connector';
import { ObjectStoreSinkConnector } from './object-store-sink-connector';
import { apicurioAvroConverter } from '../../test/integration/jdbc-sink-env';

jest.setTimeout(120_000);

let ns: TestNamespace;
let connect: ConnectClient;
let installed: Set<string>;

beforeAll(async () => {
  ns = await useNamespace(__filename);
  connect = new ConnectClient(ns.endpoints.clusters[0].connect);
  installed = new Set((await connect.plugins()).map((p) => p.class));
}, 15 * 60_000);

afterAll(async () => {
  await ns?.cleanup();
});

function connectors(): IConnector[] {
  const scope = new TerraformStack(Testing.app(), 'it');
  const registry = ns.endpoints.clusters[0].registry;
  const common = { site: 'local', schemaRegistryUrl: registry, deadLetterTopic: ns.topic('connect-dlq') };
  return [
    new InfluxDbSinkConnector(scope, 'influxDbSink', {
      ...common,
      name: ns.name('influxdb-sink'),
      influxDbUrl: ns.endpoints.influxdb.url,
      database: ns.database,
      retentionPolicy: 'autogen',
      credentials: {
        username: { secret: 'influxdb-auth', key: 'influxdb-user' },
        password: { secret: 'influxdb-auth', key: 'influxdb-password' },
      },
    }),
    new ObjectStoreSinkConnector(scope, 's3', {
      ...common,
      name: ns.name('s3'),
      kind: 's3',
      bucket: 'efd-local',
      endpoint: 'http://127.0.0.1:9000',
      awsCredentials: {
        accessKeyId: { secret: 'efd-s3', key: 'aws-access-key-id' },
        secretAccessKey: { secret: 'efd-s3', key: 'aws-secret-access-key' },
      },
    }),
    new ObjectStoreSinkConnector(scope, 'gcs', { ...common, name: ns.name('gcs'), kind: 'gcs', bucket: 'efd-local' }),
    new JdbcSinkConnector(scope, 'jdbc', {
      ...common,
      name: ns.name('jdbc'),
      dialect: 'postgresql',
      topicsRegex: `it\\.${ns.id}\\.lsst\\.efd\\.agg\\..*`,
      connection: {
        url: { secret: 'efd-pg', key: 'jdbc-url' },
        user: { secret: 'efd-pg', key: 'jdbc-user' },
        password: { secret: 'efd-pg', key: 'jdbc-password' },
      },
    }),
  ];
}

const CONFLUENT_AVRO = 'io.confluent.connect.avro.AvroConverter';

/**
 * Confluent's Avro converter is in the sites' Connect image, not on the local worker (not served here):
 * Apicurio's, reading the same wire format from the local registry, takes its place, as in
 * jdbc-sink.int.test.ts. Returns what was swapped, if anything.
 */
function withLocalConverter(config: Record<string, string>): string | undefined {
  if (config['value.converter'] !== CONFLUENT_AVRO) return undefined;
  for (const k of Object.keys(config)) if (k.startsWith('value.converter')) delete config[k];
  Object.assign(config, apicurioAvroConverter(ns));
  return `${CONFLUENT_AVRO} → Apicurio's`;
}

/** The config the manager would PUT (regex expanded against a sample topic). */
const rendered = (c: IConnector) =>
  renderConfig(c.spec, ['lsst.sal.Test_x', ns.topic('lsst.sal.Test_x'), ns.topic('lsst.efd.agg.Test_x')], 'it')!;

describe('connector configs on the real worker', () => {
  it("each installed plugin validates its construct's config with 0 errors", async () => {
    const report: string[] = [];
    for (const c of connectors()) {
      const config = rendered(c);
      const cls = config['connector.class'];
      if (!installed.has(cls)) {
        report.push(`not installed on the local worker, not validated there: ${cls}`);
        continue;
      }
      const swapped = withLocalConverter(config);
      const r = await connect.validate(config);
      expect({ connector: c.connectorName, errors: validationErrors(r) }).toEqual({ connector: c.connectorName, errors: [] });
      report.push(`validated with 0 errors: ${cls}${swapped ? ` (value.converter: ${swapped})` : ''}`);
    }
    process.stderr.write(`connector plugin validation on ${connect.url}:\n  ${report.join('\n  ')}\n`);
    expect(report).toHaveLength(4);
  });

  it('the framework half of every config (tasks, topics, errors.*, transforms) validates with 0 errors', async () => {
    for (const c of connectors()) {
      const config: Record<string, string> = {
        ...rendered(c),
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
        file: '/dev/null',
      };
      config['value.converter'] = 'org.apache.kafka.connect.json.JsonConverter';
      delete config['value.converter.schema.registry.url'];
      const r = await connect.validate(config);
      expect({ connector: c.connectorName, errors: validationErrors(r) }).toEqual({ connector: c.connectorName, errors: [] });
    }
  });

  it('the worker does report errors (the check is not vacuous)', async () => {
    const bad = {
      ...rendered(connectors()[3]),
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      'transforms.table.type': 'org.example.NoSuchTransform',
      'tasks.max': 'zero',
    };
    const r = await connect.validate(bad);
    expect(r.error_count).toBeGreaterThan(0);
    expect(validationErrors(r).join('\n')).toMatch(/tasks.max/);
  });
});
