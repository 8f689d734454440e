/**
 * Smoke suite: every server of the local EFD is real and reachable the way the apps use it.
 * Run: npx jest --selectProjects integration test/integration/smoke.int.test.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, KafkaMessage, Partitioners } from 'kafkajs';
import { REGISTRY_CONTENT_TYPE, registryApiUrl, registryBehaviour, schemaRegistryClientArgs } from '../../apps/lib/registry-compat';
import { influxQl } from '../../scripts/local-efd/health';
import { TestNamespace, createTopic, expectedClusters, useNamespace, waitFor } from './env';
import { notRunTest } from '../not-run';
import { arrayOf, avroRecord } from '../avro';

// The integration project's testTimeout in jest.config.js is not applied per project by Jest; set it here.
jest.setTimeout(120_000);

let ns: TestNamespace;

beforeAll(async () => {
  ns = await useNamespace(__filename);
}, 15 * 60_000); // a cold machine installs the stack first

afterAll(async () => {
  await ns?.cleanup();
});

// ------------------------------------------------------------- helpers ----

async function produce(kafka: Kafka, topic: string, values: (Buffer | string)[]): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

/** Reads `count` messages of `topic` from the beginning. */
async function consume(kafka: Kafka, topic: string, groupId: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message);
      },
    });
    await waitFor(`${count} messages on ${topic}`, async () => got.length >= count, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** JSON over HTTP; registry calls send the Confluent content type, Connect wants application/json. */
async function http<T>(method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> {
  const contentType = url.includes('/apis/ccompat/') ? REGISTRY_CONTENT_TYPE : 'application/json';
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
}

interface ConnectorStatus {
  connector: { state: string };
  tasks: { state: string; trace?: string }[];
}

async function createConnector(connectUrl: string, name: string, config: Record<string, string>): Promise<void> {
  const res = await http<unknown>('POST', `${connectUrl}/connectors`, { name, config });
  if (res.status !== 201) throw new Error(`create connector ${name}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
}

async function waitRunning(connectUrl: string, name: string): Promise<ConnectorStatus> {
  return waitFor(
    `connector ${name} RUNNING`,
    async () => {
      const { status, json } = await http<ConnectorStatus>('GET', `${connectUrl}/connectors/${name}/status`);
      if (status !== 200) return undefined;
      const failed = json.tasks.find((t) => t.state === 'FAILED');
      if (failed) throw new Error(`task FAILED: ${failed.trace?.split('\n')[0]}`);
      const running = json.connector.state === 'RUNNING' && json.tasks.length > 0 && json.tasks.every((t) => t.state === 'RUNNING');
      return running ? json : undefined;
    },
    90_000,
  );
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const temperatureSchema = avroRecord(
  'temperature',
  { private_sndStamp: 'double', salIndex: 'int', temperatureItem: arrayOf('float') },
  'lsst.sal.ESS',
);

// --------------------------------------------------------------- tests ----

test('endpoints file lists the running servers', () => {
  const e = ns.endpoints;
  expect(e.clusters[0]).toMatchObject({ name: 'a', kafka: '127.0.0.1:9092', connect: 'http://127.0.0.1:8083' });
  expect(e.clusters[0].registry).toBe(registryApiUrl(e.clusters[0].registryBase));
  expect(e.influxdb).toEqual({ url: 'http://127.0.0.1:8086', database: 'efd' });
});

test('Avro record through the registry in Confluent wire format with kafkajs', async () => {
  const c = ns.endpoints.clusters[0];
  const topic = ns.topic('avro');
  const registry = new SchemaRegistry(schemaRegistryClientArgs(c.registryBase));
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(temperatureSchema) },
    { subject: `${topic}-value` },
  );
  const value = { private_sndStamp: 1_700_000_000.25, salIndex: 301, temperatureItem: [12.5, -3.25, 0] };
  const encoded = await registry.encode(id, value);
  expect(encoded[0]).toBe(0); // magic byte
  expect(encoded.readInt32BE(1)).toBe(id); // schema id, big-endian

  const kafka = ns.kafka(0);
  await createTopic(kafka, topic);
  await produce(kafka, topic, [encoded]);
  const [msg] = await consume(kafka, topic, ns.name('avro'), 1);
  expect(Buffer.compare(msg.value as Buffer, encoded)).toBe(0);
  // A fresh client has no cache: decoding fetches the schema by id from the registry.
  const decoded = await new SchemaRegistry(schemaRegistryClientArgs(c.registryBase)).decode(msg.value as Buffer);
  expect(decoded).toEqual(value);
});

test('registry Confluent API (config, compatibility, mode) behaves as apps/lib/registry-compat.ts says', async () => {
  const api = registryApiUrl(ns.endpoints.clusters[0].registryBase);
  const behaviour = registryBehaviour();
  const subject = `${ns.topic('compat')}-value`;
  const v1 = { ...temperatureSchema, fields: [{ name: 'a', type: 'int' }] };
  const v2ok = { ...v1, fields: [...v1.fields, { name: 'b', type: 'string', default: '' }] };
  const v2bad = { ...v1, fields: [{ name: 'c', type: 'string' }] };
  const reg = (s: string, schema: object, extra: object = {}) =>
    http<{ id: number; error_code?: number }>('POST', `${api}/subjects/${s}/versions`, { schema: JSON.stringify(schema), ...extra });

  const first = await reg(subject, v1);
  expect(first.status).toBe(200);
  const other = await reg(`${ns.topic('compat2')}-value`, v1);
  expect(other.json.id).toBe(first.json.id); // one id per schema content, like Confluent
  expect((await http<{ schema: string }>('GET', `${api}/schemas/ids/${first.json.id}`)).json.schema).toContain('"a"');

  const put = await http<{ compatibility: string }>('PUT', `${api}/config/${subject}`, { compatibility: 'BACKWARD' });
  expect(put.json.compatibility).toBe('BACKWARD');
  const get = await http<{ compatibilityLevel: string }>('GET', `${api}/config/${subject}?defaultToGlobal=true`);
  expect(get.json.compatibilityLevel).toBe('BACKWARD');
  expect((await http<{ compatibilityLevel: string }>('GET', `${api}/config`)).status).toBe(200);

  const check = (schema: object) =>
    http<{ is_compatible: boolean; messages?: string[] }>('POST', `${api}/compatibility/subjects/${subject}/versions/latest?verbose=true`, {
      schema: JSON.stringify(schema),
    });
  expect((await check(v2ok)).json.is_compatible).toBe(true);
  const bad = await check(v2bad);
  expect(bad.json.is_compatible).toBe(false);
  expect((bad.json.messages?.length ?? 0) > 0).toBe(behaviour.verboseCompatibilityMessages);
  expect((await reg(subject, v2bad)).status).toBe(409);
  const missing = await http<{ is_compatible: boolean }>(
    'POST',
    `${api}/compatibility/subjects/${ns.topic('nosuch')}-value/versions/latest`,
    { schema: JSON.stringify(v1) },
  );
  expect(missing.json.is_compatible).toBe(true);

  // IMPORT mode (replication): Apicurio accepts the mode but not the caller's id/version.
  const importSubject = `${ns.topic('import')}-value`;
  expect((await http<{ mode: string }>('PUT', `${api}/mode/${importSubject}`, { mode: 'IMPORT' })).json.mode).toBe('IMPORT');
  expect((await http<{ mode: string }>('GET', `${api}/mode/${importSubject}`)).json.mode).toBe('IMPORT');
  const imported = await reg(importSubject, { type: 'string' }, { id: 987654, version: 3 });
  expect(imported.json.id === 987654).toBe(behaviour.importKeepsIds);
  await http('PUT', `${api}/mode/${importSubject}`, { mode: 'READWRITE' });

  const roSubject = `${ns.topic('readonly')}-value`;
  await http('PUT', `${api}/mode/${roSubject}`, { mode: 'READONLY' });
  const ro = await reg(roSubject, { type: 'long' });
  expect(ro.status === 200).toBe(!behaviour.readOnlyEnforced);
  await http('PUT', `${api}/mode/${roSubject}`, { mode: 'READWRITE' });
});

test('points written with @influxdata/influxdb-client (/api/v2/write) read back with InfluxQL and Flux', async () => {
  const { url } = ns.endpoints.influxdb;
  const client = new InfluxDB({ url, token: 'x:y' }); // auth is off; 1.8 wants "user:password"
  const writeApi = client.getWriteApi('-', `${ns.database}/autogen`, 'ms');
  const t0 = Date.now() - 10_000;
  for (let i = 0; i < 3; i++) {
    writeApi.writePoint(
      new Point('lsst.sal.ESS.temperature')
        .tag('salIndex', '301')
        .floatField('temperatureItem0', 10 + i)
        .timestamp(new Date(t0 + i * 1000)),
    );
  }
  await writeApi.close();

  const res = (await influxQl(url, 'SELECT "temperatureItem0", "salIndex" FROM "lsst.sal.ESS.temperature"', ns.database)) as {
    results: { series?: { columns: string[]; values: unknown[][] }[] }[];
  };
  const series = res.results[0].series?.[0];
  expect(series?.values.map((row) => row[1])).toEqual([10, 11, 12]);
  expect(series?.values.every((row) => row[2] === '301')).toBe(true);

  const rows = await client
    .getQueryApi('-')
    .collectRows<{ _value: number }>(
      `from(bucket: "${ns.database}/autogen") |> range(start: -1h) |> filter(fn: (r) => r._field == "temperatureItem0")`,
    );
  expect(rows.map((r) => r._value)).toEqual([10, 11, 12]);
});

test('Connect REST: FileStreamSink connector RUNNING and writing the topic to a file', async () => {
  const c = ns.endpoints.clusters[0];
  const plugins = (await http<{ class: string }[]>('GET', `${c.connect}/connector-plugins?connectorsOnly=true`)).json.map((p) => p.class);
  expect(plugins).toEqual(
    expect.arrayContaining([
      'org.apache.kafka.connect.file.FileStreamSinkConnector',
      'org.apache.kafka.connect.mirror.MirrorSourceConnector',
    ]),
  );
  const topic = ns.topic('file');
  const kafka = ns.kafka(0);
  await createTopic(kafka, topic);
  const lines = ['alpha', 'beta', 'gamma'];
  await produce(kafka, topic, lines);
  const file = path.join(ns.tmpDir, 'sink.txt');
  const name = ns.name('file-sink');
  await createConnector(c.connect, name, {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
    'tasks.max': '1',
    topics: topic,
    file,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
  });
  await waitRunning(c.connect, name);
  await waitFor(
    `${file} to hold the topic`,
    async () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim().split('\n').length >= lines.length,
  );
  expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toEqual(lines);
  expect((await http('DELETE', `${c.connect}/connectors/${name}`)).status).toBe(204);
});

const mm2Test = expectedClusters() >= 2 ? test : notRunTest('needs a second Kafka cluster (EFD_TEST_CLUSTERS is below 2)');

mm2Test('MirrorMaker 2 (MirrorSourceConnector on cluster b Connect) copies a topic from a to b byte-for-byte', async () => {
  const [a, b] = ns.endpoints.clusters;
  expect(b).toBeDefined();
  const topic = ns.topic('mm2');
  const registry = new SchemaRegistry(schemaRegistryClientArgs(a.registryBase));
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(temperatureSchema) },
    { subject: `${topic}-value` },
  );
  const records = await Promise.all([1, 2, 3].map((i) => registry.encode(id, { private_sndStamp: i, salIndex: i, temperatureItem: [i] })));
  await createTopic(ns.kafka(0), topic);
  await produce(ns.kafka(0), topic, records);

  const name = ns.name('mm2');
  await createConnector(b.connect, name, {
    'connector.class': 'org.apache.kafka.connect.mirror.MirrorSourceConnector',
    'tasks.max': '1',
    'source.cluster.alias': a.name,
    'target.cluster.alias': b.name,
    'source.cluster.bootstrap.servers': a.kafka,
    'target.cluster.bootstrap.servers': b.kafka,
    topics: escapeRegex(topic),
    'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'replication.factor': '1',
    'offset-syncs.topic.replication.factor': '1',
    'offset-syncs.topic.location': 'target',
    'sync.topic.acls.enabled': 'false',
    'refresh.topics.interval.seconds': '5',
  });
  await waitRunning(b.connect, name);

  const mirrored = `${a.name}.${topic}`; // DefaultReplicationPolicy: "<source alias>.<topic>"
  const adminB = ns.kafka(1).admin();
  await adminB.connect();
  try {
    await waitFor(`topic ${mirrored} on cluster b`, async () => (await adminB.listTopics()).includes(mirrored), 90_000);
  } finally {
    await adminB.disconnect();
  }
  const got = await consume(ns.kafka(1), mirrored, ns.name('mm2-check'), records.length);
  expect(got.map((m) => (m.value as Buffer).toString('hex'))).toEqual(records.map((r) => r.toString('hex')));
  // Same bytes, so a consumer of b decodes them with a's registry (ids are not replicated, see registry-compat.ts).
  expect(await registry.decode(got[0].value as Buffer)).toEqual({ private_sndStamp: 1, salIndex: 1, temperatureItem: [1] });
});
