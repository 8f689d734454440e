/**
 * salmock → saltransform → consumer on the real local EFD: every Avro record decodes (schema from the
 * registry) to exactly what salmock produced (matched by sequence number, compared with the raw SAL
 * text and with the values regenerated from the sequence number); malformed lines land in the
 * dead-letter topic with their reason; count in = count out + dead-lettered.
 */
import { Kafka } from 'kafkajs';
import { silentLogger } from '../lib/logging';
import { createRegistry } from '../lib/registry';
import { useNamespace, TestNamespace, waitFor } from '../../test/integration/env';
import { runRegister } from '../salschema/cli';
import { loadTopicMetadata, TopicMeta } from '../lib/sal/metadata';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { salmockConfig, startSalmock } from '../salmock/cli';
import { HEADER_RUN, HEADER_SEQ } from '../salmock/run';
import { itemValues, recordGenerator } from '../lib/sal/values';
import { DLQ_CODE, DLQ_REASON } from './run';
import { layoutFromMeta, parseSalText } from '../lib/sal/sal-text';
import type { EfdChild } from '../../test/integration/efd-process';
import { consumeAll, header, saltransformArgs, spawnEfd, topicsWithPrefix, totalMessages } from '../../test/integration/efd-process';

const TOPICS = '^(Test|MTM1M3TS)_';
const SEED = 424242;
const COUNT = 3000;
let ns: TestNamespace;
let kafka: Kafka;
let transform: EfdChild | undefined;
const metas = new Map<string, TopicMeta>(loadTopicMetadata(CURRENT_DIR).topics.map((t) => [t.topic, t]));

beforeAll(async () => {
  ns = await useNamespace(__filename);
  kafka = ns.kafka();
});
afterAll(async () => {
  await transform?.stop();
  await ns?.cleanup();
});

test('salmock → saltransform → Avro records equal to what salmock produced; bad lines dead-lettered', async () => {
  const prefix = ns.topic('');
  const cluster = ns.endpoints.clusters[0];
  const out = { out: () => undefined, err: (l: string) => process.stderr.write(`${l}\n`) };
  expect(await runRegister({ xml: CURRENT_DIR, registry: cluster.registry, topicPrefix: prefix, topics: TOPICS }, out)).toBe(0);

  transform = spawnEfd(saltransformArgs(ns, 'Test,MTM1M3TS', ['--unknown-topic-recheck-ms', '0']));

  const summary = await startSalmock(
    salmockConfig(
      {
        xml: CURRENT_DIR,
        brokers: cluster.kafka,
        clientId: 'salmock-it',
        topicPrefix: prefix,
        topics: TOPICS,
        count: String(COUNT),
        burst: true,
        seed: String(SEED),
        metricsPort: '0',
        logLevel: 'warn',
        createTopics: true,
      },
      {},
    ),
  );
  expect(summary).toMatchObject({ produced: COUNT, failed: 0 });

  // malformed lines, one per dead-letter reason, straight onto a raw topic
  const good = (await consumeAll(kafka, ns.name('peek'), [`${prefix}Test_telemetry`], 1, 15_000))[0];
  const goodLine = String(good.value);
  const bad = [
    goodLine.replace(/, [^,]+ \)$/, ' )'), // one value missing → field-count
    goodLine.replace(/^(\w+:\( '[^']*', )[^,]+/, '$1yesterday'), // sal_created not a number → bad-value
    "Test_noSuchTopic:( 'r', 1, 1, 1, 1 )", // unknown-topic
    'this is not SAL text', // syntax
  ];
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: `${prefix}Test_telemetry`, messages: bad.map((value) => ({ value })) });
  await producer.disconnect();
  const totalIn = COUNT + bad.length;

  const admin = kafka.admin();
  await admin.connect();
  try {
    const rawTopics = (await topicsWithPrefix(admin, prefix)).filter((t) => /_(commands|events|telemetry)$/.test(t));
    expect(await totalMessages(admin, rawTopics)).toBe(totalIn);
    const dlqTopic = `${prefix}saltransform.deadletter`;
    const outTopics = await waitFor(
      'saltransform to write every record',
      async () => {
        const outs = await topicsWithPrefix(admin, `${prefix}lsst.sal.`);
        const have = await totalMessages(admin, outs);
        const dlq = (await admin.listTopics()).includes(dlqTopic) ? await totalMessages(admin, [dlqTopic]) : 0;
        return have + dlq >= totalIn ? outs : undefined;
      },
      40_000,
    );

    // count in = count out + dead-lettered
    const outCount = await totalMessages(admin, outTopics);
    const dlqCount = await totalMessages(admin, [dlqTopic]);
    expect({ outCount, dlqCount, sum: outCount + dlqCount }).toEqual({ outCount: COUNT, dlqCount: bad.length, sum: totalIn });

    const raw = await consumeAll(kafka, ns.name('raw'), rawTopics, totalIn);
    const records = await consumeAll(kafka, ns.name('out'), [...outTopics, dlqTopic], totalIn);
    const rawBySeq = new Map(raw.filter((m) => header(m, HEADER_SEQ) !== undefined).map((m) => [header(m, HEADER_SEQ), m]));
    expect(rawBySeq.size).toBe(COUNT);

    const registry = createRegistry(cluster.registry, { logger: silentLogger() });
    const seen = new Set<string>();
    let compared = 0;
    for (const m of records.filter((r) => r.topic !== dlqTopic)) {
      const seq = header(m, HEADER_SEQ) as string;
      expect(header(m, HEADER_RUN)).toBe(String(SEED));
      seen.add(seq);
      const topic = m.topic.slice(`${prefix}lsst.sal.`.length);
      const meta = metas.get(topic) as TopicMeta;
      expect(String(m.key)).toBe(topic);
      const decoded = (await registry.decode(m.value as Buffer)) as Record<string, unknown>;
      const sent = parseSalText(String(rawBySeq.get(seq)?.value), layoutFromMeta(meta), decoded.kafka_timestamp as number);
      expect({ ...decoded }).toEqual(sent); // every field, stamps included
      expect(itemValues(meta, decoded)).toEqual(itemValues(meta, recordGenerator(meta, SEED)(Number(seq), 0)));
      compared++;
    }
    expect(compared).toBe(COUNT);
    expect(seen.size).toBe(COUNT);

    const dead = records.filter((r) => r.topic === dlqTopic);
    expect(dead.map((m) => header(m, DLQ_CODE))).toEqual(['field-count', 'bad-value', 'unknown-topic', 'syntax']);
    expect(dead.map((m) => String(m.value))).toEqual(bad);
    expect(header(dead[0], DLQ_REASON)).toMatch(/Test_\w+: expected \d+ values \(5 SAL stamps \+ \d+ item values\), got \d+/);
    expect(header(dead[2], DLQ_REASON)).toMatch(/unknown topic Test_noSuchTopic: no schema under subject/);
  } finally {
    await admin.disconnect();
  }
}, 60_000);

test('salmock --mode avro writes lsst.sal.<topic> records that decode to the generated values', async () => {
  const prefix = ns.topic('avro.');
  const cluster = ns.endpoints.clusters[0];
  const quiet = { out: () => undefined, err: (l: string) => process.stderr.write(`${l}\n`) };
  expect(await runRegister({ xml: CURRENT_DIR, registry: cluster.registry, topicPrefix: prefix, topics: '^Test_' }, quiet)).toBe(0);
  const summary = await startSalmock(
    salmockConfig(
      {
        xml: CURRENT_DIR,
        brokers: cluster.kafka,
        clientId: 'salmock-avro',
        topicPrefix: prefix,
        topics: '^Test_',
        mode: 'avro',
        registry: cluster.registryBase,
        count: '300',
        burst: true,
        seed: '9',
        metricsPort: '0',
        logLevel: 'warn',
        createTopics: true,
      },
      {},
    ),
  );
  expect(summary).toMatchObject({ produced: 300, failed: 0, mode: 'avro' });
  const admin = kafka.admin();
  await admin.connect();
  const topics = await topicsWithPrefix(admin, `${prefix}lsst.sal.`);
  await admin.disconnect();
  const records = await consumeAll(kafka, ns.name('avro'), topics, 300);
  expect(records).toHaveLength(300);
  const registry = createRegistry(cluster.registry, { logger: silentLogger() });
  for (const m of records) {
    const meta = metas.get(m.topic.slice(`${prefix}lsst.sal.`.length)) as TopicMeta;
    const decoded = (await registry.decode(m.value as Buffer)) as Record<string, unknown>;
    expect(itemValues(meta, decoded)).toEqual(itemValues(meta, recordGenerator(meta, 9)(Number(header(m, HEADER_SEQ)), 0)));
  }
}, 40_000);
