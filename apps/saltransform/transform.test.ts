import { avroType } from '../lib/avro-type';
import type { OutgoingMessage as Message } from '../lib/kafka';
import { Registry } from 'prom-client';
import { wireSchemaId } from '../lib/registry';
import { convertTopics } from '../lib/sal/convert';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';
import { recordGenerator } from '../lib/sal/values';
import { DLQ_CODE, DLQ_REASON, DLQ_SOURCE, processBatch, saltransformMetrics } from './run';
import { formatSalText, layoutFromMeta } from '../lib/sal/sal-text';
import { SalTransformer } from './transform';
import { rawTopics, saltransformConfig } from './cli';

const { topics } = loadTopicMetadata(CURRENT_DIR);
const { schemas } = convertTopics(loadTsXmlFolder(CURRENT_DIR).topics);
const ids = new Map([...schemas.keys()].map((t, i) => [t, 100 + i]));
const lookups: string[] = [];
const latest = async (subject: string) => {
  lookups.push(subject);
  const topic = subject.replace(/^(p|schemas)\.lsst\.sal\./, '').replace(/-value$/, '');
  const schema = schemas.get(topic);
  return schema ? { id: ids.get(topic) as number, version: 1, schema: schema as never } : undefined;
};
const meta = topics.find((t) => t.topic === 'ATDome_position') ?? topics[0];
const lineOf = (m = meta, seq = 1) => formatSalText(layoutFromMeta(m), recordGenerator(m, 5)(seq, 1_700_000_000_000));

function fakeSender() {
  const sent: { topic: string; messages: Message[] }[] = [];
  return { sent, send: async (topic: string, messages: Message[]) => void sent.push({ topic, messages }) };
}

describe('SalTransformer', () => {
  it('without WebAssembly (node --jitless) reads every number in JavaScript: the same bytes, one warning', async () => {
    const wide = topics.filter((t) => t.kind === 'telemetry' && t.fields.some((f) => f.count > 10)).slice(0, 3);
    expect(wide.length).toBe(3);
    const warnings: string[] = [];
    const logger = { warn: (...a: unknown[]) => warnings.push(String(a[a.length - 1])), info: () => undefined, error: () => undefined };
    const real = globalThis.WebAssembly;
    let isolated: typeof import('./transform') | undefined;
    const noWasm = new (class {
      Module = class {
        constructor() {
          throw new Error('WebAssembly is disabled');
        }
      };
    })();
    let slow: SalTransformer;
    try {
      (globalThis as { WebAssembly: unknown }).WebAssembly = noWasm;
      jest.isolateModules(() => {
        isolated = require('./transform') as typeof import('./transform');
      });
      slow = new (isolated as typeof import('./transform')).SalTransformer({ latest, topicPrefix: 'p.', logger: logger as never });
      await slow.prepare(wide.map((m) => m.topic));
    } finally {
      (globalThis as { WebAssembly: unknown }).WebAssembly = real;
    }
    const fast = new SalTransformer({ latest, topicPrefix: 'p.' });
    for (const m of wide) {
      const line = Buffer.from(lineOf(m, 3));
      const a = await fast.transformOne(line, 7);
      const b = await slow.transformOne(line, 7);
      if (!a.ok || !b.ok) throw new Error(`${m.topic}: expected ok`);
      expect(b.value).toEqual(a.value);
    }
    expect(warnings).toEqual([expect.stringContaining('WebAssembly number reader unavailable (WebAssembly is disabled)')]);
  });

  it('encodes a line with the registered schema (wire format, schema id), looking the schema up once', async () => {
    lookups.length = 0;
    const t = new SalTransformer({ latest, topicPrefix: 'p.' });
    const r1 = await t.transformOne(lineOf(), 42);
    const r2 = await t.transformOne(lineOf(meta, 2), 43);
    expect(lookups).toEqual(['p.lsst.sal.ATDome_position-value']);
    if (!r1.ok || !r2.ok) throw new Error('expected ok');
    expect(r1.outTopic).toBe('p.lsst.sal.ATDome_position');
    expect(wireSchemaId(r1.value)).toBe(ids.get('ATDome_position'));
    const type = avroType(schemas.get('ATDome_position') as never);
    const rec = recordGenerator(meta, 5)(1, 1_700_000_000_000);
    expect(type.fromBuffer(r1.value.subarray(5))).toEqual(type.fromBuffer(type.toBuffer({ ...rec, kafka_timestamp: 42 })));
  });

  it('reads the schemas under --subject-prefix when given, and still writes to the prefixed topic', async () => {
    lookups.length = 0;
    const t = new SalTransformer({ latest, topicPrefix: 'p.', subjectPrefix: 'schemas.' });
    const r = await t.transformOne(lineOf(), 42);
    expect(lookups).toEqual(['schemas.lsst.sal.ATDome_position-value']);
    if (!r.ok) throw new Error('expected ok');
    expect(r.outTopic).toBe('p.lsst.sal.ATDome_position');
    expect(wireSchemaId(r.value)).toBe(ids.get('ATDome_position'));
  });

  it('unknown topic → dead letter, re-checked only after the recheck period', async () => {
    lookups.length = 0;
    let now = 0;
    const t = new SalTransformer({ latest, topicPrefix: 'p.', unknownTopicRecheckMs: 1000, now: () => now });
    const line = "Nope_topic:( 'r', 1, 1, 1, 1 )";
    const r = await t.transformOne(line, 0);
    expect(r).toMatchObject({
      ok: false,
      code: 'unknown-topic',
      reason: expect.stringMatching(/unknown topic Nope_topic: no schema under subject p.lsst.sal.Nope_topic-value/),
    });
    await t.transformOne(line, 0);
    now = 1001;
    await t.transformOne(line, 0);
    expect(lookups).toHaveLength(2);
  });

  it('syntax errors need no registry', async () => {
    const t = new SalTransformer({ latest: () => Promise.reject(new Error('must not be called')) });
    expect(await t.transformOne('garbage', 0)).toMatchObject({ ok: false, code: 'syntax' });
  });

  it('registry failures other than "no subject" propagate (the batch is retried, not dead-lettered)', async () => {
    const t = new SalTransformer({ latest: () => Promise.reject(new Error('registry down')) });
    await expect(t.transformOne(lineOf(), 0)).rejects.toThrow('registry down');
  });
});

describe('processBatch', () => {
  it('good lines → their lsst.sal topics with key and headers kept; bad ones → dead-letter with reason; commit = last + 1', async () => {
    const sender = fakeSender();
    const registry = new Registry();
    const metrics = saltransformMetrics(registry);
    const transformer = new SalTransformer({ latest, topicPrefix: 'p.' });
    const good = lineOf();
    const messages = [
      {
        key: Buffer.from('ATDome_position'),
        value: Buffer.from(good),
        headers: { 'salmock-seq': Buffer.from('1') },
        offset: '10',
        timestamp: String(Date.now()),
      },
      { key: null, value: Buffer.from(good.replace(/, [^,]+ \)$/, ' )')), headers: {}, offset: '11', timestamp: '0' },
      { key: null, value: Buffer.from("Nope_x:( 'r', 1, 1, 1, 1 )"), headers: {}, offset: '12', timestamp: '0' },
      { key: null, value: null, headers: {}, offset: '13', timestamp: '0' },
    ];
    const r = await processBatch(
      { topic: 'p.ATDome_telemetry', partition: 2, messages },
      { transformer, sender, dlqTopic: 'p.dlq', metrics },
    );
    expect(r).toEqual({ produced: 1, deadLettered: 3, commitOffset: '14' });
    const out = sender.sent.find((s) => s.topic === 'p.lsst.sal.ATDome_position');
    expect(out?.messages[0]).toMatchObject({ key: Buffer.from('ATDome_position'), headers: { 'salmock-seq': Buffer.from('1') } });
    const dlq = sender.sent.find((s) => s.topic === 'p.dlq')?.messages ?? [];
    expect(dlq.map((m) => (m.headers as Record<string, string>)[DLQ_CODE])).toEqual(['field-count', 'unknown-topic', 'syntax']);
    expect((dlq[0].headers as Record<string, string>)[DLQ_REASON]).toMatch(/ATDome_position: expected \d+ values/);
    expect((dlq[0].headers as Record<string, string>)[DLQ_SOURCE]).toBe('p.ATDome_telemetry/2/11');
    expect(dlq[0].value).toEqual(messages[1].value);
    const text = await registry.metrics();
    expect(text).toMatch(/saltransform_produced_total\{raw_topic="p.ATDome_telemetry"\} 1/);
    expect(text).toMatch(/saltransform_deadletter_total\{raw_topic="p.ATDome_telemetry",reason="syntax"\} 1/);
    expect(text).toMatch(/saltransform_transform_seconds_count 1/);
  });

  it('does not resolve before the sends are acknowledged, and fails when a send fails', async () => {
    const transformer = new SalTransformer({ latest, topicPrefix: 'p.' });
    const metrics = saltransformMetrics(new Registry());
    let release: () => void = () => undefined;
    const slow = { send: () => new Promise<void>((r) => (release = r)) };
    let done = false;
    const p = processBatch(
      { topic: 'raw', partition: 0, messages: [{ key: null, value: Buffer.from(lineOf()), headers: {}, offset: '0', timestamp: '0' }] },
      { transformer, sender: slow, dlqTopic: 'd', metrics },
    ).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    release();
    await p;
    expect(done).toBe(true);
    const failing = { send: () => Promise.reject(new Error('not acknowledged')) };
    await expect(
      processBatch(
        { topic: 'raw', partition: 0, messages: [{ key: null, value: Buffer.from(lineOf()), headers: {}, offset: '0', timestamp: '0' }] },
        { transformer, sender: failing, dlqTopic: 'd', metrics },
      ),
    ).rejects.toThrow('not acknowledged');
  });
});

describe('saltransform config', () => {
  it('raw topics from subsystems and/or explicit topics, with the prefix', () => {
    expect(rawTopics({ subsystems: ['MTM1M3'], topics: ['X_y'], topicPrefix: 'p.' })).toEqual([
      'X_y',
      'p.MTM1M3_commands',
      'p.MTM1M3_events',
      'p.MTM1M3_telemetry',
    ]);
  });
  it('insists on a topic selection and names the flags and env variables', () => {
    expect(() => saltransformConfig({ brokers: 'k:1', clientId: 'c', registry: 'http://r' }, {})).toThrow(
      /--subsystems \(env SALTRANSFORM_SUBSYSTEMS\) or --topics/,
    );
    expect(() => saltransformConfig({ clientId: 'c' }, { SALTRANSFORM_SUBSYSTEMS: 'A' })).toThrow(
      /--brokers \(env KAFKA_BROKERS\)[\s\S]*--registry \(env SCHEMA_REGISTRY_URL\)/,
    );
    const c = saltransformConfig(
      { clientId: 'c' },
      { SALTRANSFORM_SUBSYSTEMS: 'A,B', KAFKA_BROKERS: 'k:1', SCHEMA_REGISTRY_URL: 'http://r', SALTRANSFORM_FROM_BEGINNING: 'false' },
    );
    expect(c).toMatchObject({ subsystems: ['A', 'B'], fromBeginning: false, group: 'saltransform', concurrency: 16, createTopics: true });
  });
});
