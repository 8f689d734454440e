/**
 * aggregator throughput on one core: the seed's telemetry mix (the generated seed-shaped set, its
 * telemetry topics at the seed rates, values from salmock, Confluent-wire-format Avro as saltransform
 * writes them) through the aggregator's per-partition batch path (Aggregator.processBatch: decode,
 * window, statistics, encode of the aggregated records, the commit point), against a bare decode of the
 * same records (schema id + avsc fromBuffer: what any consumer of these records does after the fetch),
 * in the same run. Offline: the fetch and the produce (identical for both) are left out, the produce
 * acknowledged at once. A sample = one numeric field value (an array element each).
 * Goal: ≥ 200,000 samples/s.
 */
import { Schema as AvscSchema, Type } from 'avsc';
import { avroType } from '../apps/lib/avro-type';
import { Registry as Metrics } from 'prom-client';
import { silentLogger } from '../apps/lib/logging';
import { wireEncoder } from '../apps/lib/registry';
import { kafkaTopicOf } from '../apps/lib/sal/register';
import { planTopics, seedScheduleFactor } from '../apps/lib/sal/plan';
import { recordGenerator } from '../apps/lib/sal/values';
import type { PartitionBatch } from '../apps/aggregator/consumer';
import { Aggregator, aggregatorMetrics } from '../apps/aggregator/run';
import { aggregationPlan, PlanError } from '../apps/aggregator/schema';
import { benchInterface } from './generated-ts-xml';
import { BenchResult, median, withRatio } from './results';

/** Seconds of telemetry per topic (windows close: the watermark passes them). */
const SECONDS = 3;
/** Records per fetched batch of one partition. */
const BATCH = 500;
const ROUNDS = 5;
const T0 = 1_700_000_000_000;

export async function run(): Promise<BenchResult[]> {
  const { label, metas, schemas } = benchInterface();
  const factor = seedScheduleFactor(metas);
  const telemetry = planTopics(metas, { rateFactor: factor }).filter((p) => p.meta.kind === 'telemetry');
  const ids = new Map<number, AvscSchema>();
  const types = new Map<number, Type>();
  const batches: PartitionBatch[] = [];
  let records = 0;
  let samples = 0;
  /** Topics the aggregator skips (no numeric field…): not in the figures. */
  const skipped: string[] = [];
  for (const [i, p] of telemetry.entries()) {
    const id = i + 1;
    const schema = schemas.get(p.meta.topic) as unknown as AvscSchema;
    const type = avroType(schema);
    ids.set(id, schema);
    types.set(id, type);
    let stats;
    try {
      stats = aggregationPlan(schema).stats;
    } catch (err) {
      if (!(err instanceof PlanError)) throw err;
      skipped.push(`${p.meta.topic} (${err.reason})`);
      continue;
    }
    const encode = wireEncoder(id, type);
    const gen = recordGenerator(p.meta, 1);
    const n = Math.max(4, Math.round(p.rateHz * SECONDS));
    const period = (SECONDS * 1000) / n;
    const topic = kafkaTopicOf(p.meta.topic);
    let batch: PartitionBatch = { topic, partition: 0, messages: [] };
    for (let k = 0; k < n; k++) {
      const rec = gen(k, Math.round(T0 + k * period));
      for (const f of stats) {
        const v = rec[f.name];
        samples += Array.isArray(v) ? v.length : 1;
      }
      batch.messages.push({ key: Buffer.from(p.meta.topic), value: encode(rec), offset: String(k), timestamp: String(T0) });
      if (batch.messages.length === BATCH) {
        batches.push(batch);
        batch = { topic, partition: 0, messages: [] };
      }
    }
    if (batch.messages.length) batches.push(batch);
    records += n;
  }
  const outIds = new Map<string, number>();
  let emitted = 0;
  const aggregator = new Aggregator({
    sourceRegistry: { schema: async (id) => ids.get(id) as AvscSchema },
    outRegistry: {
      register: async (subject) => {
        if (!outIds.has(subject)) outIds.set(subject, 10_000 + outIds.size);
        return outIds.get(subject) as number;
      },
    },
    sender: {
      send: async (_topic, messages) => {
        emitted += messages.length;
      },
    },
    metrics: aggregatorMetrics(new Metrics()),
    logger: silentLogger(),
    graceMs: 500,
    committed: async () => ({ offset: -1n, metadata: null }),
    ensureTopic: async () => undefined,
  });
  /** Each round reads the records at new offsets: every partition starts over (fresh windows). */
  let shift = 0n;
  const ours = async () => {
    shift += 1_000_000n;
    const shifted = batches.map((b) => ({
      ...b,
      messages: b.messages.map((m) => ({ ...m, offset: (BigInt(m.offset) + shift).toString() })),
    }));
    const t0 = process.hrtime.bigint();
    for (const b of shifted) await aggregator.processBatch(b);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  let sink = 0;
  const bare = async () => {
    const t0 = process.hrtime.bigint();
    for (const b of batches)
      for (const m of b.messages) {
        const v = m.value as Buffer;
        const r = (types.get(v.readUInt32BE(1)) as Type).fromBuffer(v.subarray(5)) as Record<string, unknown>;
        if (r.sal_created) sink++;
      }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  await ours(); // warm-up (schemas prepared, output schemas registered)
  await bare();
  emitted = 0;
  const o: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    o.push(await ours());
    b.push(await bare());
  }
  if (sink === 0) throw new Error('nothing decoded');
  const windowsPerRound = emitted / ROUNDS;
  const note = `${records} records (${samples} samples) of ${telemetry.length - skipped.length} telemetry topics at the seed rates${skipped.length ? ` (${skipped.length} skipped: ${skipped.slice(0, 3).join(', ')})` : ''}, ${SECONDS} s each, ${label}; batches of ${BATCH}; median of ${ROUNDS}`;
  return [
    withRatio({
      name: 'aggregator.samples_per_s',
      value: samples / median(o),
      unit: 'samples/s',
      baseline: samples / median(b),
      note: `${note}; baseline = bare decode (schema id + avsc fromBuffer) of the same records; goal ≥ 200,000 samples/s`,
    }),
    withRatio({
      name: 'aggregator.records_per_s',
      value: records / median(o),
      unit: 'records/s',
      baseline: records / median(b),
      note: `${Math.round(windowsPerRound)} aggregated records per round (the windows the watermark closed)`,
    }),
  ];
}
