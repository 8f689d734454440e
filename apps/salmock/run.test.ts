import type { OutgoingMessage as Message } from '../lib/kafka';
import { Registry } from 'prom-client';
import { avroType } from '../lib/avro-type';
import { silentLogger } from '../lib/logging';
import { wireEncoder, wireSchemaId } from '../lib/registry';
import { convertTopics } from '../lib/sal/convert';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';
import { parseSalText } from '../lib/sal/sal-text';
import { planTopics } from '../lib/sal/plan';
import { HEADER_RUN, HEADER_SEQ, messageFactory, runSalmock } from './run';
import { itemValues, recordGenerator } from '../lib/sal/values';

const { topics } = loadTopicMetadata(CURRENT_DIR);

function fakeSender(opts: { fail?: boolean; failFirst?: number } = {}) {
  const sent: { topic: string; message: Message }[] = [];
  let calls = 0;
  return {
    sent,
    pending: 0,
    send: async (topic: string, messages: Message[]) => {
      if (opts.fail || calls++ < (opts.failFirst ?? 0)) throw new Error('broker down');
      for (const message of messages) sent.push({ topic, message });
    },
    flush: async () => undefined,
  };
}

const deps = (sender: ReturnType<typeof fakeSender>, metrics = new Registry()) => ({
  sender,
  logger: silentLogger(),
  metrics,
  signal: new AbortController().signal,
});

describe('runSalmock', () => {
  const plan = planTopics(topics, { subsystems: ['ATDome'], topicPrefix: 'x.' });
  const factories = plan.map((p) => messageFactory(p, 'text', 11));

  it('stops at exactly --count, with unique sequence numbers, run header, key = SAL topic', async () => {
    const sender = fakeSender();
    const metrics = new Registry();
    const s = await runSalmock({ plan, factories, mode: 'text', count: 500, burst: true }, deps(sender, metrics));
    expect(s).toMatchObject({ produced: 500, failed: 0, stoppedBy: 'count', topics: plan.length });
    expect(sender.sent).toHaveLength(500);
    const seqs = new Set(sender.sent.map((m) => (m.message.headers as Record<string, string>)[HEADER_SEQ]));
    expect(seqs.size).toBe(500);
    expect(sender.sent.every((m) => (m.message.headers as Record<string, string>)[HEADER_RUN] === '11')).toBe(true);
    expect(new Set(sender.sent.map((m) => m.topic))).toEqual(new Set(['x.ATDome_commands', 'x.ATDome_events', 'x.ATDome_telemetry']));
    const text = await metrics.getSingleMetricAsString('salmock_produced_total');
    expect(text).toMatch(/salmock_produced_total\{mode="text",kind="telemetry"\} \d+/);
  });

  it('stamps strictly increase per SAL topic even in a burst (InfluxDB keeps one point per time)', async () => {
    const sender = fakeSender();
    await runSalmock({ plan, factories, mode: 'text', count: 2000, burst: true }, deps(sender));
    const last = new Map<string, number>();
    for (const { message } of sender.sent) {
      const p = plan.find((q) => q.meta.topic === message.key) as (typeof plan)[number];
      const created = parseSalText(message.value as string, p.layout, 0).sal_created as number;
      expect(created).toBeGreaterThan(last.get(p.meta.topic) ?? 0);
      last.set(p.meta.topic, created);
    }
    expect(last.size).toBeGreaterThan(10);
  });

  it('each text message parses back to the values regenerated from its sequence number', async () => {
    const sender = fakeSender();
    await runSalmock({ plan, factories, mode: 'text', count: 200, burst: true }, deps(sender));
    for (const { message } of sender.sent) {
      const p = plan.find((q) => q.meta.topic === message.key) as (typeof plan)[number];
      const seq = Number((message.headers as Record<string, string>)[HEADER_SEQ]);
      const rec = parseSalText(message.value as string, p.layout, 0);
      expect(itemValues(p.meta, rec)).toEqual(itemValues(p.meta, recordGenerator(p.meta, 11)(seq, 0)));
    }
  });

  it('follows the schedule: ~rate × duration messages, telemetry 100× commands', async () => {
    const sender = fakeSender();
    const s = await runSalmock({ plan, factories, mode: 'text', durationS: 0.5 }, deps(sender));
    const by = (suffix: string) => sender.sent.filter((m) => m.topic.endsWith(suffix)).length;
    expect(s.stoppedBy).toBe('duration');
    expect(by('_telemetry')).toBeGreaterThanOrEqual(40);
    expect(by('_telemetry')).toBeLessThanOrEqual(60);
    expect(s.produced).toBeLessThanOrEqual(s.scheduledRate * 0.6 + plan.length);
  });

  it('counts failures (still unacknowledged after retryForMs of resending) and never reports them as produced', async () => {
    const sender = fakeSender({ fail: true });
    const s = await runSalmock({ plan, factories, mode: 'text', count: 50, burst: true, retryForMs: 100, retryDelayMs: 10 }, deps(sender));
    expect(s).toMatchObject({ produced: 0, failed: 50 });
    expect(s.resent).toBeGreaterThan(0);
  });

  it('sends what Kafka did not acknowledge again (a broker restart): nothing failed, nothing lost', async () => {
    const sender = fakeSender({ failFirst: 5 });
    const metrics = new Registry();
    const s = await runSalmock({ plan, factories, mode: 'text', count: 300, burst: true, retryDelayMs: 5 }, deps(sender, metrics));
    expect(s).toMatchObject({ produced: 300, failed: 0 });
    expect(s.resent).toBeGreaterThan(0);
    const seqs = new Set(sender.sent.map((m) => Number((m.message.headers as Record<string, string>)[HEADER_SEQ])));
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(await metrics.getSingleMetricAsString('salmock_resent_total')).toMatch(new RegExp(`salmock_resent_total ${s.resent}`));
  });

  it('avro mode writes wire-format records of the topic schema', async () => {
    const { schemas } = convertTopics(loadTsXmlFolder(CURRENT_DIR).topics);
    const type = avroType(schemas.get(plan[0].meta.topic) as never);
    const f = messageFactory(plan[0], 'avro', 3, wireEncoder(77, type));
    const { topic, message } = f(9, 1234);
    expect(topic).toBe(`x.lsst.sal.${plan[0].meta.topic}`);
    expect(wireSchemaId(message.value as Buffer)).toBe(77);
    expect(type.fromBuffer((message.value as Buffer).subarray(5))).toEqual(
      type.fromBuffer(type.toBuffer(recordGenerator(plan[0].meta, 3)(9, 1234))),
    );
    expect(() => messageFactory(plan[0], 'avro', 3)).toThrow(/needs the registered schema of x.lsst.sal/);
  });
});
