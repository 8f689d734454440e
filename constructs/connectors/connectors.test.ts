import { Testing, TerraformStack } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { ConnectorSpec } from '../../config/connector-spec';
import { aggregatedTableName, aggregatedTopicsRegexOf } from '../../config/names';
import { gkeSite, onPremSite } from '../../test/sites';
import { ConnectorSet, ConnectorSetProps } from './connector-set';
import { ConnectManager } from './connect-manager';
import { connectWorkerValues } from './connect-workers';
import { InfluxDbSinkApp } from './influxdb-sink-app';
import { parse } from 'yaml';
import { KafkaPlatform } from '../kafka-platform';
import { applyInvariants } from '../invariants';
import { invariantErrors } from '../invariants/testing';
import { InfluxDbSinkConnector, InfluxDbSinkConnectorProps, WILLENA_INFLUXDB_SINK } from './influxdb-sink-connector';
import { DEBEZIUM_JDBC_SINK, JdbcSinkConnector, JdbcSinkConnectorProps } from './jdbc-sink-connector';
import { AIVEN_GCS_SINK, AIVEN_S3_SINK, ObjectStoreSinkConnector, ObjectStoreSinkConnectorProps } from './object-store-sink-connector';
import {
  AIVEN_GCS,
  AIVEN_S3,
  AIVEN_TEMPLATE_VARIABLES,
  DEBEZIUM_JDBC,
  undocumented,
  WILLENA_INFLUXDB,
  WILLENA_PROVIDER_KEYS,
} from './plugin-keys';

const REGISTRY = 'http://cp-cp-schema-registry.kafka.svc.cluster.local:8081';
const scope = () => new TerraformStack(Testing.app(), 'test');

const influxDbProps: InfluxDbSinkConnectorProps = {
  site: 'summit',
  schemaRegistryUrl: REGISTRY,
  influxDbUrl: 'http://influxdb.influxdb.svc.cluster.local:8086',
  database: 'efd',
  retentionPolicy: 'raw',
  credentials: {
    username: { secret: 'influxdb-auth', key: 'influxdb-user' },
    password: { secret: 'influxdb-auth', key: 'influxdb-password' },
  },
};
const s3Props: ObjectStoreSinkConnectorProps = {
  site: 'ldf',
  schemaRegistryUrl: REGISTRY,
  kind: 's3',
  bucket: 'efd-ldf',
  prefix: 'efd/raw/',
  endpoint: 'https://s3.ldf.example',
  awsCredentials: {
    accessKeyId: { secret: 'efd-s3', key: 'aws-access-key-id' },
    secretAccessKey: { secret: 'efd-s3', key: 'aws-secret-access-key' },
  },
};
const jdbcProps: JdbcSinkConnectorProps = {
  site: 'ldf',
  schemaRegistryUrl: REGISTRY,
  dialect: 'oracle',
  topicsRegex: aggregatedTopicsRegexOf(['summit', 'test-stand']),
  connection: {
    url: { secret: 'efd-oracle', key: 'jdbc-url' },
    user: { secret: 'efd-oracle', key: 'jdbc-user' },
    password: { secret: 'efd-oracle', key: 'jdbc-password' },
  },
};

/** Every value that names a secret is a config-provider reference. */
function noLiteralSecrets(spec: ConnectorSpec): void {
  for (const [k, v] of Object.entries(spec.config)) {
    if (/password|secret|user$|connection\.url|access\.key/.test(k))
      expect(v).toMatch(/^\$\{dir:\/opt\/efd\/connect-secrets\/[a-z0-9-]+:[-a-z.]+\}$/);
  }
}

describe('InfluxDbSinkConnector (willena connect-influxdb-sink 1.0.5)', () => {
  it('uses only documented keys, every provider key, and provider classes that exist', () => {
    const c = new InfluxDbSinkConnector(scope(), 'influxDbSink', influxDbProps);
    const cfg = c.spec.config;
    expect(undocumented(cfg, WILLENA_INFLUXDB)).toEqual([]);
    expect(cfg['connector.class']).toBe(WILLENA_INFLUXDB_SINK);
    for (const key of WILLENA_PROVIDER_KEYS) {
      expect(WILLENA_INFLUXDB.providerClasses).toContain(cfg[`${key}.provider.class`]);
    }
    for (const key of WILLENA_PROVIDER_KEYS.filter((k) => cfg[`${k}.provider.class`].endsWith('.Record'))) {
      expect(WILLENA_INFLUXDB.recordFields).toContain(cfg[`${key}.provider.fields`]);
    }
    // Static provider in its explicit form: the short form would swallow influxdb.database.auto.create.
    expect(cfg).toMatchObject({
      'influxdb.database.provider.value': 'efd',
      'influxdb.retention.policy.provider.value': 'raw',
      'influxdb.measurement.provider.fields': 'topic',
      'influxdb.timestamp.provider.fields': 'timestamp',
      'influxdb.tags.provider.efd_site': 'summit',
      'value.converter': 'io.confluent.connect.avro.AvroConverter',
      'value.converter.schema.registry.url': REGISTRY,
    });
    expect(cfg['influxdb.database']).toBeUndefined();
    expect(c.spec.topicsRegex).toBe('lsst[.]sal[.].*');
    expect(cfg.topics).toBeUndefined();
    expect(c.secrets).toEqual(['influxdb-auth']);
    noLiteralSecrets(c.spec);
  });

  it('tags from fields, a timestamp field, native topics.regex and a dead-letter topic', () => {
    const c = new InfluxDbSinkConnector(scope(), 'x', {
      ...influxDbProps,
      tags: ['salIndex'],
      timestamp: { field: 'private_sndStamp' },
      topicsMode: 'native',
      deadLetterTopic: 'lsst.efd.connect.dlq',
    });
    expect(undocumented(c.spec.config, WILLENA_INFLUXDB)).toEqual([]);
    expect(c.spec.config).toMatchObject({
      'influxdb.tags.provider.class': 'io.github.willena.connect.influxdb.providers.Fields$Value',
      'influxdb.tags.provider.fields': 'salIndex',
      'influxdb.timestamp.provider.fields': 'private_sndStamp',
      'topics.regex': 'lsst[.]sal[.].*',
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': 'lsst.efd.connect.dlq',
      'errors.deadletterqueue.context.headers.enable': 'true',
    });
    expect(c.spec.topicsRegex).toBeUndefined();
  });

  it('names site and field in errors', () => {
    expect(() => new InfluxDbSinkConnector(scope(), 'influxDbSink', { ...influxDbProps, influxDbUrl: 'influxdb:8086' })).toThrow(
      'site "summit": connectors.influxDbSink.influxDbUrl: expected an http(s) URL, got "influxdb:8086"',
    );
    expect(() => new InfluxDbSinkConnector(scope(), 'influxDbSink', { ...influxDbProps, topics: ['a'], topicsRegex: 'b' })).toThrow(
      'connectors.influxDbSink.topics: give either topics or topicsRegex, not both',
    );
    expect(() => new InfluxDbSinkConnector(scope(), 'influxDbSink', { ...influxDbProps, topicsRegex: '((' })).toThrow(
      /connectors.influxDbSink.topicsRegex: not a valid regular expression/,
    );
    expect(() => new InfluxDbSinkConnector(scope(), 'influxDbSink', { ...influxDbProps, tasksMax: 0 })).toThrow(
      'connectors.influxDbSink.tasksMax: expected an integer ≥ 1, got 0',
    );
    expect(() => new InfluxDbSinkConnector(scope(), 'influxDbSink', { ...influxDbProps, deadLetterTopic: 'lsst.sal.dlq' })).toThrow(
      /deadLetterTopic: "lsst.sal.dlq" matches the connector's own topicsRegex/,
    );
    expect(
      () =>
        new InfluxDbSinkConnector(scope(), 'influxDbSink', {
          ...influxDbProps,
          credentials: { username: { secret: 'Bad_Name', key: 'u' }, password: { secret: 's', key: 'p' } },
        }),
    ).toThrow('connectors.influxDbSink.credentials.username.secret: expected the name of an existing Kubernetes Secret');
    expect(
      () => new InfluxDbSinkConnector(scope(), 'influxDbSink', { ...influxDbProps, extraConfig: { 'influxdb.password': 'hunter2' } }),
    ).toThrow(/extraConfig\["influxdb.password"\]: holds a literal secret/);
  });
});

describe('ObjectStoreSinkConnector (Aiven S3 2.15.0 / GCS 0.13.0)', () => {
  it('S3: Parquet, hourly Hive-style partitions, documented keys and template variables, secrets by reference', () => {
    const c = new ObjectStoreSinkConnector(scope(), 'objectStore', s3Props);
    const cfg = c.spec.config;
    expect(undocumented(cfg, AIVEN_S3)).toEqual([]);
    expect(cfg).toMatchObject({
      'connector.class': AIVEN_S3_SINK,
      'format.output.type': 'parquet',
      'format.output.fields': 'value',
      'format.output.envelope': 'false',
      'aws.s3.bucket.name': 'efd-ldf',
      'aws.s3.region': 'us-east-1',
      'aws.s3.endpoint': 'https://s3.ldf.example',
      'file.name.prefix': 'efd/raw/',
      'file.name.timestamp.source': 'wallclock',
      'file.name.timestamp.timezone': 'UTC',
      'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    });
    expect(cfg['file.name.template']).toBe(
      '{{topic}}/year={{timestamp:unit=yyyy}}/month={{timestamp:unit=MM}}/day={{timestamp:unit=dd}}/hour={{timestamp:unit=HH}}/{{topic}}-{{partition:padding=true}}-{{start_offset:padding=true}}.parquet',
    );
    const vars = cfg['file.name.template'].match(/\{\{[^}]*\}\}/g) ?? [];
    for (const v of vars) expect(v).toMatch(AIVEN_TEMPLATE_VARIABLES);
    // topic, partition, start_offset and timestamp: the grouping the plugin allows with timestamps
    expect(new Set(vars.map((v) => v.replace(/[{}]/g, '').split(':')[0]))).toEqual(
      new Set(['topic', 'timestamp', 'partition', 'start_offset']),
    );
    expect(c.connectorName).toBe('s3-parquet-sink');
    expect(c.secrets).toEqual(['efd-s3']);
    noLiteralSecrets(c.spec);
  });

  it('GCS: documented keys, daily partitions, Workload Identity by default or a key file from a Secret', () => {
    const gcs = new ObjectStoreSinkConnector(scope(), 'objectStore', {
      site: 'gcp',
      schemaRegistryUrl: REGISTRY,
      kind: 'gcs',
      bucket: 'lsst-efd-prototype-parquet',
      partitionBy: 'day',
      timestampSource: 'event',
    });
    expect(undocumented(gcs.spec.config, AIVEN_GCS)).toEqual([]);
    expect(gcs.spec.config).toMatchObject({
      'connector.class': AIVEN_GCS_SINK,
      'gcs.bucket.name': 'lsst-efd-prototype-parquet',
      'gcs.credentials.default': 'true',
      'file.name.timestamp.source': 'event',
    });
    expect(gcs.spec.config['file.name.template']).not.toMatch(/hour=/);
    const keyed = new ObjectStoreSinkConnector(scope(), 'objectStore', {
      site: 'gcp',
      schemaRegistryUrl: REGISTRY,
      kind: 'gcs',
      bucket: 'b-efd',
      gcsCredentials: { secret: 'efd-gcs', key: 'credentials.json' },
    });
    expect(keyed.spec.config['gcs.credentials.path']).toBe('/opt/efd/connect-secrets/efd-gcs/credentials.json');
    expect(keyed.spec.config['gcs.credentials.default']).toBeUndefined();
    expect(keyed.secrets).toEqual(['efd-gcs']);
  });

  it('validates bucket, prefix and kind-specific fields', () => {
    expect(() => new ObjectStoreSinkConnector(scope(), 'objectStore', { ...s3Props, bucket: 'Bad_Bucket' })).toThrow(
      'site "ldf": connectors.objectStore.bucket: "Bad_Bucket" is not a valid S3 bucket name',
    );
    expect(() => new ObjectStoreSinkConnector(scope(), 'objectStore', { ...s3Props, prefix: 'efd' })).toThrow(
      /connectors.objectStore.prefix: expected a prefix like "efd\/raw\/"/,
    );
    expect(() => new ObjectStoreSinkConnector(scope(), 'objectStore', { ...s3Props, region: 'mars' })).toThrow(
      /connectors.objectStore.region: expected an AWS region/,
    );
    expect(
      () =>
        new ObjectStoreSinkConnector(scope(), 'objectStore', {
          site: 'gcp',
          schemaRegistryUrl: REGISTRY,
          kind: 'gcs',
          bucket: 'b-efd',
          endpoint: 'https://x',
        }),
    ).toThrow('site "gcp": connectors.objectStore.endpoint: only for kind "s3"');
  });
});

/** What Connect's RegexRouter chain makes of a topic (each router: whole-name match, then replaceFirst). */
function routed(cfg: Record<string, string>, topic: string): string {
  let t = topic;
  for (const name of (cfg.transforms ?? '').split(',').filter((n) => n.startsWith('table'))) {
    expect(cfg[`transforms.${name}.type`]).toBe('org.apache.kafka.connect.transforms.RegexRouter');
    const re = new RegExp(`^(?:${cfg[`transforms.${name}.regex`]})$`);
    if (re.test(t)) t = t.replace(re, cfg[`transforms.${name}.replacement`]);
  }
  return t;
}

describe('JdbcSinkConnector (Debezium JDBC sink 3.6)', () => {
  it('upserts by record key into tables created and evolved, documented keys only, credentials from the Secret', () => {
    const c = new JdbcSinkConnector(scope(), 'jdbc', { ...jdbcProps, tablePrefixes: ['summit', 'test-stand'] });
    const cfg = c.spec.config;
    expect(undocumented(cfg, DEBEZIUM_JDBC)).toEqual([]);
    expect(cfg).toEqual({
      'connector.class': DEBEZIUM_JDBC_SINK,
      'tasks.max': '1',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'io.confluent.connect.avro.AvroConverter',
      'value.converter.schema.registry.url': REGISTRY,
      'connection.url': '${dir:/opt/efd/connect-secrets/efd-oracle:jdbc-url}',
      'connection.username': '${dir:/opt/efd/connect-secrets/efd-oracle:jdbc-user}',
      'connection.password': '${dir:/opt/efd/connect-secrets/efd-oracle:jdbc-password}',
      'hibernate.dialect': 'org.hibernate.dialect.OracleDialect',
      'insert.mode': 'upsert',
      'primary.key.mode': 'record_key',
      'primary.key.fields': 'efd_key',
      'schema.evolution': 'basic',
      'collection.name.format': '${topic}',
      'quote.identifiers': 'false',
      'batch.size': '500',
      'use.time.zone': 'UTC',
      transforms: 'key,table_summit,table_test_stand',
      'transforms.key.type': 'org.apache.kafka.connect.transforms.HoistField$Key',
      'transforms.key.field': 'efd_key',
      'transforms.table_summit.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      'transforms.table_summit.regex': 'summit[.]lsst[.]efd[.]agg[.](.+)',
      'transforms.table_summit.replacement': 'summit_$1',
      'transforms.table_test_stand.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      'transforms.table_test_stand.regex': 'test\\-stand[.]lsst[.]efd[.]agg[.](.+)',
      'transforms.table_test_stand.replacement': 'test_stand_$1',
    });
    expect(c.spec.topicsRegex).toBe('(?:summit[.]lsst[.]efd[.]agg[.].*|test\\-stand[.]lsst[.]efd[.]agg[.].*)');
    expect(c.secrets).toEqual(['efd-oracle']);
    noLiteralSecrets(c.spec);
  });

  it('table names: the routers give exactly the naming rule for every source, and leave other topics alone', () => {
    const cfg = new JdbcSinkConnector(scope(), 'jdbc', { ...jdbcProps, tablePrefixes: ['summit', 'test-stand'] }).spec.config;
    for (const topic of ['summit.lsst.efd.agg.ATDome_position', 'test-stand.lsst.efd.agg.MTM1M3_accelerometerData']) {
      expect(routed(cfg, topic)).toBe(aggregatedTableName(topic));
    }
    expect(routed(cfg, 'summit.lsst.efd.agg.ATDome_position')).toBe('summit_ATDome_position');
    expect(routed(cfg, 'test-stand.lsst.efd.agg.ATDome_position')).toBe('test_stand_ATDome_position');
    expect(routed(cfg, 'lsst.sal.ATDome_position')).toBe('lsst.sal.ATDome_position');
    const own = new JdbcSinkConnector(scope(), 'jdbc', { ...jdbcProps, topicsRegex: aggregatedTopicsRegexOf(['']) }).spec.config;
    expect(routed(own, 'lsst.efd.agg.ATDome_position')).toBe('ATDome_position');
    expect(aggregatedTableName('lsst.efd.agg.ATDome_position')).toBe('ATDome_position');
    expect(aggregatedTableName('lsst.sal.ATDome_position')).toBeUndefined();
    const plain = new JdbcSinkConnector(scope(), 'jdbc', { ...jdbcProps, tablePrefixes: false }).spec.config;
    expect(plain.transforms).toBe('key');
    const noKey = new JdbcSinkConnector(scope(), 'jdbc', { ...jdbcProps, insertMode: 'insert', tablePrefixes: false }).spec.config;
    expect(noKey.transforms).toBeUndefined();
  });

  it('PostgreSQL: the same keys with its dialect; insert mode without a key; record_value keys', () => {
    const pg = new JdbcSinkConnector(scope(), 'jdbc', { ...jdbcProps, dialect: 'postgresql', insertMode: 'insert' }).spec.config;
    expect(pg).toMatchObject({
      'hibernate.dialect': 'org.hibernate.dialect.PostgreSQLDialect',
      'insert.mode': 'insert',
      'primary.key.mode': 'none',
    });
    expect(pg['primary.key.fields']).toBeUndefined();
    const rv = new JdbcSinkConnector(scope(), 'jdbc', {
      ...jdbcProps,
      primaryKeyMode: 'record_value',
      primaryKeyFields: ['time', 'salIndex'],
      schemaEvolution: 'none',
      deadLetterTopic: 'lsst.efd.jdbc-sink.dlq',
    }).spec.config;
    expect(rv).toMatchObject({
      'primary.key.mode': 'record_value',
      'primary.key.fields': 'time,salIndex',
      'schema.evolution': 'none',
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': 'lsst.efd.jdbc-sink.dlq',
    });
    expect(undocumented(rv, DEBEZIUM_JDBC)).toEqual([]);
  });

  it('refuses, naming site and field: upsert without a key, record_value without fields, deletes without record keys, bad prefixes, no topics', () => {
    const make = (p: Partial<JdbcSinkConnectorProps>) => () => new JdbcSinkConnector(scope(), 'jdbc', { ...jdbcProps, ...p });
    expect(make({ primaryKeyMode: 'none' })).toThrow('site "ldf": connectors.jdbc.primaryKeyMode: insertMode "upsert" needs a primary key');
    expect(make({ primaryKeyMode: 'record_value' })).toThrow(
      'site "ldf": connectors.jdbc.primaryKeyFields: primaryKeyMode "record_value" needs the key fields',
    );
    expect(make({ insertMode: 'insert', deleteEnabled: true })).toThrow(
      'site "ldf": connectors.jdbc.deleteEnabled: needs primaryKeyMode "record_key"',
    );
    expect(make({ primaryKeyFields: ['bad name'] })).toThrow(
      'site "ldf": connectors.jdbc.primaryKeyFields: "bad name" is not a column name',
    );
    expect(make({ schemaEvolution: 'auto' as never })).toThrow(
      'site "ldf": connectors.jdbc.schemaEvolution: expected none or basic, got "auto"',
    );
    expect(make({ dialect: 'mysql' as never })).toThrow(
      'site "ldf": connectors.jdbc.dialect: expected one of oracle, postgresql, got "mysql"',
    );
    expect(make({ tablePrefixes: ['a/b'] })).toThrow('site "ldf": connectors.jdbc.tablePrefixes: "a/b" is not a topic prefix');
    expect(make({ tablePrefixes: ['summit.'] })).toThrow('site "ldf": connectors.jdbc.tablePrefixes: "summit." is not a topic prefix');
    expect(make({ tablePrefixes: ['a-b', 'a_b'] })).toThrow(
      'site "ldf": connectors.jdbc.tablePrefixes: prefixes a-b, a_b give the same table names',
    );
    expect(make({ batchSize: 0 })).toThrow('site "ldf": connectors.jdbc.batchSize: expected an integer ≥ 1, got 0');
    expect(make({ topicsRegex: undefined })).toThrow('site "ldf": connectors.jdbc.topicsRegex: expected the topics to read');
    expect(make({ connection: { ...jdbcProps.connection, password: { secret: 'efd-oracle', key: 'bad key' } } })).toThrow(
      'site "ldf": connectors.jdbc.connection.password.key: expected a Secret key',
    );
  });
});

/** Kafka endpoints with Connect workers that record the Secrets they are asked to mount. */
function fakePlatform() {
  const mounts: { secrets: string[]; mountPath: string }[] = [];
  return {
    bootstrapServers: 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
    schemaRegistryUrl: REGISTRY,
    connectUrl: 'http://cp-cp-kafka-connect.kafka.svc.cluster.local:8083' as string | undefined,
    mounts,
    mountConnectorSecrets(secrets: readonly string[], mountPath: string) {
      mounts.push({ secrets: [...secrets], mountPath });
    },
  };
}

describe('ConnectorSet', () => {
  const kafka = fakePlatform();
  const influxdb = { url: 'http://influxdb.influxdb.svc.cluster.local:8086', database: 'efd', adminSecret: 'influxdb-auth' };

  function synth(
    props: Omit<ConnectorSetProps, 'kafka' | 'influxdb'> & Partial<Pick<ConnectorSetProps, 'kafka'>>,
    extra?: (set: ConnectorSet) => void,
  ) {
    const stack = scope();
    const set = new ConnectorSet(stack, 'connectors', { kafka, influxdb, ...props });
    extra?.(set);
    const out = Testing.synth(stack);
    const cm = Object.values(JSON.parse(out).resource.kubernetes_config_map_v1)[0] as {
      data: Record<string, string>;
      metadata: { name: string; namespace: string };
    };
    return { out, set, cm, specs: Object.fromEntries(Object.entries(cm.data).map(([k, v]) => [k, JSON.parse(v) as ConnectorSpec])) };
  }

  it("synthesizes a site's connectors into one ConfigMap, one <name>.json per connector", () => {
    const site = onPremSite({ name: 'ldf', role: 'aggregator' });
    const { out, set, cm, specs } = synth({
      site,
      connectors: {
        influxDbSink: { runIn: 'connect', tags: ['salIndex'] },
        objectStore: { runIn: 'connect', kind: 's3', bucket: 'efd-ldf', endpoint: 'https://s3.ldf.example', credentialsSecret: 'efd-s3' },
        jdbc: { dialect: 'oracle', secret: 'efd-oracle' },
      },
    });
    expect(out).toHaveResourceWithProperties(ConfigMapV1, {
      metadata: expect.objectContaining({ name: 'efd-connectors', namespace: 'efd-apps' }),
    });
    expect(Object.keys(cm.data)).toEqual(['influxdb-sink.json', 'jdbc-sink.json', 's3-parquet-sink.json']);
    expect(specs['influxdb-sink.json'].config['influxdb.retention.policy.provider.value']).toBe('raw');
    expect(specs['s3-parquet-sink.json'].topicsRegex).toBe('lsst[.]sal[.].*|lsst[.]efd[.]agg[.].*');
    // Escaped for Terraform (constructs/terraform-literal.ts), which hands `${dir:…}` to Kafka Connect.
    expect(specs['jdbc-sink.json'].config['connection.password']).toBe('$${dir:/opt/efd/connect-secrets/efd-oracle:jdbc-password}');
    expect(set.secrets).toEqual(['efd-oracle', 'efd-s3', 'influxdb-auth']);
    expect(kafka.mounts.at(-1)).toEqual({ secrets: set.secrets, mountPath: '/opt/efd/connect-secrets' });
    const worker = connectWorkerValues(set.secrets);
    expect(worker.configurationOverrides['config.providers']).toBe('dir');
    expect(worker.volumeMounts[0]).toEqual({
      name: 'connector-secret-efd-oracle',
      mountPath: '/opt/efd/connect-secrets/efd-oracle',
      readOnly: true,
    });
    expect(worker.volumes[0]).toEqual({ name: 'connector-secret-efd-oracle', secret: { secretName: 'efd-oracle' } });
    expect(out).not.toMatch(/hunter|AKIA/);
  });

  it('is empty by default (the influxdb-sink app is the default sink) and takes connectors added in code', () => {
    const { cm } = synth({ site: gkeSite() });
    expect(cm.data).toEqual({});
    const { specs } = synth({ site: gkeSite() }, (set) =>
      set.add(
        new ObjectStoreSinkConnector(set, 'gcs', { site: 'gcp', schemaRegistryUrl: REGISTRY, kind: 'gcs', bucket: 'efd-gcp-parquet' }),
      ),
    );
    expect(Object.keys(specs)).toEqual(['gcs-parquet-sink.json']);
  });

  it('names the site and field for bad sections and impossible platforms', () => {
    expect(() => synth({ site: gkeSite(), connectors: { jdbc: { dialect: 'db2', secret: 's', topicsRegex: 'x' } as never } })).toThrow(
      /site "gcp": connectors.jdbc.dialect: /,
    );
    expect(() =>
      synth({
        site: gkeSite(),
        connectors: { objectStore: { runIn: 'connect', kind: 'gcs', bucket: 'b-efd' } },
        kafka: { ...kafka, connectUrl: undefined },
      }),
    ).toThrow('site "gcp": connectors: connectors are declared but kafka.connect is false');
    expect(() =>
      synth({ site: gkeSite(), connectors: { objectStore: { runIn: 'connect', kind: 'gcs', bucket: 'b-efd' } } }, (set) =>
        set.add(new ObjectStoreSinkConnector(set, 'again', { site: 'gcp', schemaRegistryUrl: REGISTRY, kind: 'gcs', bucket: 'b2-efd' })),
      ),
    ).toThrow(/connector name "gcs-parquet-sink" is declared twice/);
  });
});

describe('Connect workers mount the Secrets of every connector', () => {
  const influxdb = { url: 'http://influxdb.influxdb.svc.cluster.local:8086', database: 'efd', adminSecret: 'influxdb-auth' };

  /** The cp-kafka-connect values of the synthesized platform release. */
  function connectValues(stack: TerraformStack) {
    const releases = Object.values(JSON.parse(Testing.synth(stack)).resource.helm_release) as { chart: string; values: string[] }[];
    const cp = releases.find((r) => r.chart === 'cp-helm-charts');
    if (!cp) throw new Error('no cp-helm-charts release in the synth');
    return parse(cp.values[0])['cp-kafka-connect'] as {
      volumes: { name: string; secret: { secretName: string } }[];
      volumeMounts: { name: string; mountPath: string; readOnly: boolean }[];
    };
  }

  it('declared in the site and added in code with ConnectorSet.add(), after the platform exists', () => {
    const site = onPremSite({
      name: 'ldf',
      role: 'aggregator',
      connectors: { objectStore: { runIn: 'connect', kind: 's3', bucket: 'efd-ldf', credentialsSecret: 'efd-s3' } },
    });
    const stack = scope();
    const platform = new KafkaPlatform(stack, 'kafka', { site });
    const set = new ConnectorSet(stack, 'connectors', { site, kafka: platform, influxdb });
    set.add(
      new JdbcSinkConnector(stack, 'jdbc', {
        ...jdbcProps,
        connection: { ...jdbcProps.connection, password: { secret: 'efd-oracle-password', key: 'jdbc-password' } },
      }),
    );
    const connect = connectValues(stack);
    expect(set.secrets).toEqual(['efd-oracle', 'efd-oracle-password', 'efd-s3']);
    expect(connect.volumes.map((v) => v.secret.secretName)).toEqual(set.secrets);
    expect(connect.volumeMounts).toEqual(
      set.secrets.map((s) => ({ name: `connector-secret-${s}`, mountPath: `/opt/efd/connect-secrets/${s}`, readOnly: true })),
    );
    expect(platform.chart.values['cp-kafka-connect']).toEqual(connect);
  });

  it("at the site's secretsMountPath, and none when no connector reads a Secret", () => {
    const site = gkeSite({ connectors: { secretsMountPath: '/etc/connect-secrets' } });
    const stack = scope();
    const platform = new KafkaPlatform(stack, 'kafka', { site });
    const set = new ConnectorSet(stack, 'connectors', { site, kafka: platform, influxdb });
    expect(connectValues(stack).volumes).toEqual([]);
    set.add(
      new ObjectStoreSinkConnector(stack, 'gcs', {
        site: 'gcp',
        schemaRegistryUrl: REGISTRY,
        kind: 'gcs',
        bucket: 'efd-gcp',
        gcsCredentials: { secret: 'efd-gcs', key: 'credentials.json' },
        secretsMountPath: '/etc/connect-secrets',
      }),
    );
    expect(connectValues(stack).volumeMounts).toEqual([
      { name: 'connector-secret-efd-gcs', mountPath: '/etc/connect-secrets/efd-gcs', readOnly: true },
    ]);
  });

  it('refuses a connector whose Secrets would not be where it reads them, and Secrets without Connect', () => {
    const site = gkeSite();
    const stack = scope();
    const set = new ConnectorSet(stack, 'connectors', { site, kafka: new KafkaPlatform(stack, 'kafka', { site }), influxdb });
    expect(() => set.add(new JdbcSinkConnector(stack, 'jdbc', { ...jdbcProps, secretsMountPath: '/elsewhere' }))).toThrow(
      'site "gcp": connectors: connector "jdbc-sink" reads its Secrets under /elsewhere, but the Connect workers mount them under /opt/efd/connect-secrets (connectors.secretsMountPath); give the connector secretsMountPath: "/opt/efd/connect-secrets"',
    );
    const noConnect = gkeSite({ kafka: { connect: false } });
    const other = scope();
    const lonely = new ConnectorSet(other, 'connectors', {
      site: noConnect,
      kafka: new KafkaPlatform(other, 'kafka', { site: noConnect }),
      influxdb,
    });
    expect(() => lonely.add(new JdbcSinkConnector(other, 'jdbc', jdbcProps))).toThrow(
      'site "gcp": connectors: Secrets efd-oracle are to be mounted into Kafka Connect but kafka.connect is false; enable Kafka Connect or remove the connectors',
    );
  });
});

describe('InfluxDbSinkApp and ConnectManager deployments', () => {
  const kafka = fakePlatform();
  const influxdb = { url: 'http://influxdb.influxdb.svc.cluster.local:8086', database: 'efd', adminSecret: 'influxdb-auth' };
  const image = { repository: 'ghcr.io/lsst-sqre/efd', tag: '0.1.0' };

  it('deploy the sink (default settings, raw tier, credentials by Secret reference) and the manager with the ConfigMap mounted; invariants pass', () => {
    const site = onPremSite();
    const stack = new TerraformStack(Testing.app(), 'summit-efd');
    const set = new ConnectorSet(stack, 'connectors', { site, kafka, influxdb, connectors: { influxDbSink: { tags: ['salIndex'] } } });
    const sink = new InfluxDbSinkApp(stack, 'influxdb-sink', { site, image, kafka, influxdb, settings: set.settings.influxDbSink });
    const manager = new ConnectManager(stack, 'connect-manager', { set, image, kafka });
    applyInvariants(stack, site);
    expect(invariantErrors(stack)).toEqual([]);
    const deployments = Object.values(JSON.parse(Testing.synth(stack)).resource.kubernetes_deployment_v1) as {
      spec: {
        template: { spec: { container: { args: string[]; env: unknown[]; image: string; volume_mount: unknown[] }[]; volume: unknown[] } };
      };
    }[];
    const byApp = Object.fromEntries(deployments.map((d) => [d.spec.template.spec.container[0].args[0], d.spec.template.spec]));
    const s = byApp['influxdb-sink'].container[0];
    expect(s.image).toBe('ghcr.io/lsst-sqre/efd/influxdb-sink:0.1.0');
    expect(s.args).toEqual(['influxdb-sink', ...sink.args, '--metrics-port', '9090']);
    expect(sink.args).toEqual(
      expect.arrayContaining([
        '--retention-policy',
        'raw',
        '--topics-regex',
        'lsst[.]sal[.].*',
        '--timestamp-field',
        'sal_created',
        '--tag',
        'salIndex',
        '--registry',
        REGISTRY,
      ]),
    );
    expect(s.env).toEqual(
      expect.arrayContaining([
        { name: 'INFLUXDB_PASSWORD', value_from: { secret_key_ref: { name: 'influxdb-auth', key: 'influxdb-password' } } },
        { name: 'EFD_REGISTRY_FLAVOR', value: 'confluent' },
      ]),
    );
    const m = byApp['connect-manager'];
    expect(m.container[0].args).toEqual([
      'connect-manager',
      '--desired',
      '/etc/efd/connectors',
      '--watch',
      '60',
      '--restart-failed',
      '--metrics-port',
      '9090',
    ]);
    expect(m.container[0].env).toEqual(
      expect.arrayContaining([
        { name: 'CONNECT_MANAGER_ID', value: 'summit-connect-manager' },
        { name: 'CONNECT_URL', value: kafka.connectUrl },
      ]),
    );
    expect(m.container[0].volume_mount).toEqual([{ name: 'efd-connectors', mount_path: '/etc/efd/connectors', read_only: true }]);
    expect(m.volume).toEqual([{ name: 'efd-connectors', config_map: { name: 'efd-connectors' } }]);
    expect(manager.managerId).toBe('summit-connect-manager');
  });

  it('the manager needs Kafka Connect', () => {
    const site = gkeSite();
    const set = new ConnectorSet(scope(), 'connectors', { site, kafka, influxdb });
    expect(() => new ConnectManager(set, 'm', { set, image, kafka: { ...kafka, connectUrl: undefined } })).toThrow(
      'site "gcp": connectors.manager.kafka.connect: the connect manager needs Kafka Connect',
    );
  });
});
