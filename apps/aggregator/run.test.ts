/**
 * The aggregator's batch path with an in-memory registry and producer: bad input (a schema without a
 * numeric field, a schema id the registry does not know, a record that does not decode, a value that is
 * not Avro) is counted per topic and reason and skipped, never thrown; a partition whose batch does not
 * start where its state ended is rebuilt from the committed offset and metadata.
 */
import { Type, Schema as AvscSchema } from 'avsc';
import { Registry as Metrics } from 'prom-client';
import { silentLogger } from '../lib/logging';
import { RegistryError, wireEncoder } from '../lib/registry';
import type { OutgoingMessage } from '../lib/kafka';
import { Aggregator, aggregatorMetrics } from './run';
import type { Committed, PartitionBatch } from './consumer';

const TIMESTAMP = { type: 'long', logicalType: 'timestamp-millis' };
const good = {
  type: 'record',
  name: 'ATDome_position',
  namespace: 'lsst.sal',
  sal_topic_type: 'SALTelemetry',
  fields: [
    { name: 'sal_created', type: TIMESTAMP },
    { name: 'azimuthPosition', type: 'double' },
  ],
};
const textOnly = { ...good, name: 'ATDome_status', fields: [good.fields[0], { name: 'state', type: 'string' }] };
const T0 = 1_700_000_000_000;

function setup(committed: Committed = { offset: -1n, metadata: null }) {
  const schemas = new Map<number, unknown>([
    [1, good],
    [2, textOnly],
  ]);
  const sent: { topic: string; messages: OutgoingMessage[] }[] = [];
  const registry = new Metrics();
  const metrics = aggregatorMetrics(registry);
  const commits: Committed[] = [committed];
  const agg = new Aggregator({
    sourceRegistry: {
      schema: async (id) => {
        const s = schemas.get(id);
        if (!s) throw new RegistryError(`schema id ${id} is not in the schema registry`, 404);
        return s as AvscSchema;
      },
    },
    outRegistry: { register: async () => 100 },
    sender: { send: async (topic, messages) => void sent.push({ topic, messages }) },
    metrics,
    logger: silentLogger(),
    graceMs: 0,
    committed: async () => commits[commits.length - 1],
    ensureTopic: async () => undefined,
  });
  return { agg, sent, metrics: registry, commits };
}

const enc1 = wireEncoder(1, Type.forSchema(good as AvscSchema));
const msg = (offset: number, value: Buffer | null) => ({
  key: Buffer.from('ATDome_position'),
  value,
  offset: String(offset),
  timestamp: '0',
});
const batch = (topic: string, messages: PartitionBatch['messages']): PartitionBatch => ({ topic, partition: 0, messages });
const value = async (m: Metrics, name: string) => (await m.getSingleMetric(name)!.get()).values;

test('windows out, bad records counted by topic and reason, nothing thrown', async () => {
  const { agg, sent, metrics } = setup();
  const topic = 'lsst.sal.ATDome_position';
  const r = await agg.processBatch(
    batch(topic, [
      msg(0, enc1({ sal_created: T0 + 100, azimuthPosition: 1 })),
      msg(1, Buffer.from('not avro')),
      msg(2, Buffer.concat([enc1({ sal_created: T0, azimuthPosition: 1 }).subarray(0, 6)])), // truncated
      msg(3, Buffer.from([0, 0, 0, 0, 9, 1, 2])), // unknown schema id 9
      msg(4, enc1({ sal_created: T0 + 600, azimuthPosition: 3 })),
      msg(5, enc1({ sal_created: T0 + 1200, azimuthPosition: 5 })),
    ]),
  );
  expect(sent).toHaveLength(1);
  expect(sent[0].topic).toBe('lsst.efd.agg.ATDome_position');
  expect(sent[0].messages.map((m) => [m.key, m.partition, m.timestamp])).toEqual([[`ATDome_position/${T0}`, 0, T0]]);
  const out = Type.forSchema(
    (require('./schema') as typeof import('./schema')).aggregationPlan(good).schema as unknown as AvscSchema,
  ).fromBuffer((sent[0].messages[0].value as Buffer).subarray(5));
  expect(out).toMatchObject({ time: T0, count: 2, azimuthPosition_mean: 2, azimuthPosition_median: 2, azimuthPosition_stdev: 1 });
  // the window of offset 5 is open: the commit starts there, the watermark travels in the metadata
  expect(r.offset).toBe('5');
  expect(JSON.parse(r.metadata)).toEqual({ v: 1, wm: T0 + 1200, p: '6' });
  const bad = (await value(metrics, 'aggregator_bad_records_total')).map((v) => [v.labels.reason, v.value]);
  expect(bad.sort()).toEqual([
    ['decode', 1],
    ['not-avro', 1],
    ['unknown-schema', 1],
  ]);
});

test('a topic whose schema has no numeric field: its records are counted and skipped, the offsets move on', async () => {
  const { agg, sent, metrics } = setup();
  const enc2 = wireEncoder(2, Type.forSchema(textOnly as AvscSchema));
  const r = await agg.processBatch(
    batch('lsst.sal.ATDome_status', [msg(0, enc2({ sal_created: T0, state: 'a' })), msg(1, enc2({ sal_created: T0 + 5000, state: 'b' }))]),
  );
  expect(sent).toEqual([]);
  expect(r.offset).toBe('2');
  expect((await value(metrics, 'aggregator_bad_records_total'))[0]).toMatchObject({
    labels: { topic: 'lsst.sal.ATDome_status', reason: 'no-numeric-fields' },
    value: 2,
  });
});

test('a batch that does not continue the state (restart, rebalance) rebuilds it from the committed offset and metadata', async () => {
  const topic = 'lsst.sal.ATDome_position';
  const type = Type.forSchema((require('./schema') as typeof import('./schema')).aggregationPlan(good).schema as unknown as AvscSchema);
  const records = [0, 300, 1100, 900, 1400, 2100].map((dt, i) => msg(i, enc1({ sal_created: T0 + dt, azimuthPosition: i })));
  const first = setup();
  const c1 = await first.agg.processBatch(batch(topic, records.slice(0, 3)));
  expect(c1.offset).toBe('2');
  // a new process gets the partition again from the commit
  const second = setup({ offset: BigInt(c1.offset), metadata: c1.metadata });
  const c2 = await second.agg.processBatch(batch(topic, records.slice(2)));
  const out = [...first.sent, ...second.sent].flatMap((s) => s.messages);
  expect(out.map((m) => m.key)).toEqual([`ATDome_position/${T0}`, `ATDome_position/${T0 + 1000}`]);
  expect(out.map((m) => type.fromBuffer((m.value as Buffer).subarray(5)))).toMatchObject([
    { count: 2, azimuthPosition_mean: 0.5 },
    { count: 2, azimuthPosition_mean: 3 },
  ]);
  expect((await value(second.metrics, 'aggregator_late_records_total'))[0]).toMatchObject({ value: 1 });
  expect(c2.offset).toBe('5');
});
