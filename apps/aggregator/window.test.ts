/**
 * The aggregator's core against a reference computation written out plainly here (group by window,
 * filter finite values, sort, sum in ascending order): exact equality on recorded streams of the fixture
 * ts_xml's telemetry (scalars of every type, arrays), with gaps, jittered and late records, NaN and
 * ±Infinity; and across crashes at every batch boundary (restart from the committed offset and its
 * metadata): no window is emitted twice with different values, none is lost.
 */
import { Schema as AvscSchema } from 'avsc';
import { avroType } from '../lib/avro-type';
import { convertTopics } from '../lib/sal/convert';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';
import { recordGenerator } from '../lib/sal/values';
import { mulberry32 } from '../lib/prng';
import { aggregationPlan, AggregationPlan, STATS } from './schema';
import type { FieldStats } from './stats';
import { Emitted, InputRecord, parseSnapshot, PartitionAggregator } from './window';

const { schemas } = convertTopics(loadTsXmlFolder(CURRENT_DIR).topics);
const metas = new Map(loadTopicMetadata(CURRENT_DIR).topics.map((t) => [t.topic, t]));
const GRACE = 1500;
const T0 = 1_700_000_000_000;

/** A recorded stream of one topic: ~50 Hz with jitter, a 3 s gap, late records (some past the grace), NaN/Infinity. */
function recorded(topic: string, n: number, seed: number): InputRecord[] {
  const schema = schemas.get(topic) as unknown as AvscSchema;
  const type = avroType(schema);
  const gen = recordGenerator(metas.get(topic)!, seed);
  const rnd = mulberry32(seed);
  const floating = new Set(
    (schema as unknown as { fields: { name: string; type: unknown }[] }).fields
      .filter((f) => ['float', 'double'].includes(JSON.stringify(f.type).replace(/.*"items":"|"|}/g, '')))
      .map((f) => f.name),
  );
  const out: InputRecord[] = [];
  let t = T0 + 123;
  for (let i = 0; i < n; i++) {
    t += 20 + Math.floor(rnd() * 5);
    if (i === Math.floor(n / 3)) t += 10_000; // gap: empty windows
    let time = t;
    const r = rnd();
    if (r < 0.03)
      time = t - 1200; // late, within the grace
    else if (r < 0.05) time = t - 4000; // late beyond the grace
    const rec = { ...gen(i, time) };
    for (const [k, v] of Object.entries(rec)) {
      if (!floating.has(k)) continue;
      if (typeof v === 'number' && rnd() < 0.05) rec[k] = rnd() < 0.5 ? NaN : -Infinity;
      if (Array.isArray(v) && rnd() < 0.1) rec[k] = v.map((x, j) => (j === 1 ? NaN : x));
    }
    // as it comes off the wire (float32 rounding; longs as numbers, bigints beyond ±2^53)
    const value = type.fromBuffer(type.toBuffer(rec)) as Record<string, unknown>;
    out.push({ key: topic, offset: BigInt(i + 10), timeMs: time, schemaId: 1, value });
  }
  return out;
}

/** The reference computation: the definitions of stats.ts written plainly (numbers sorted as numbers, reduce), not its code. */
function refStats(xs: unknown[]): FieldStats {
  const v = xs
    .map((x) => (typeof x === 'bigint' ? Number(x) : x))
    .filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
    .sort((a, b) => a - b);
  if (v.length === 0) return { count: 0, min: null, max: null, mean: null, median: null, stdev: null };
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const variance = v.reduce((s, x) => s + (x - mean) * (x - mean), 0) / v.length;
  const m = Math.floor(v.length / 2);
  return {
    count: v.length,
    min: v[0],
    max: v[v.length - 1],
    mean,
    median: v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2,
    stdev: Math.sqrt(variance),
  };
}

/** The reference: late records by the rule, windows by second, statistics per field (per element). */
function reference(records: InputRecord[], plan: AggregationPlan, grace: number): Map<number, Record<string, unknown>> {
  let max = -Infinity;
  const windows = new Map<number, InputRecord[]>();
  for (const r of records) {
    const start = Math.floor(r.timeMs / 1000) * 1000;
    const horizon = max === -Infinity ? -Infinity : Math.floor((max - grace) / 1000) * 1000;
    if (start < horizon) continue;
    max = Math.max(max, r.timeMs);
    if (!windows.has(start)) windows.set(start, []);
    windows.get(start)!.push(r);
  }
  const out = new Map<number, Record<string, unknown>>();
  for (const [start, recs] of windows) {
    const o: Record<string, unknown> = { time: start, count: recs.length };
    const last = [...recs].sort((a, b) => a.timeMs - b.timeMs || Number(a.offset - b.offset)).pop()!;
    for (const f of plan.last) o[f.out] = last.value[f.name] ?? null;
    for (const f of plan.stats) {
      if (!f.array) {
        const s = refStats(recs.map((r) => r.value[f.name]));
        for (const st of STATS) o[`${f.name}_${st}`] = s[st];
      } else {
        const len = Math.max(...recs.map((r) => (r.value[f.name] as unknown[]).length));
        const per = Array.from({ length: len }, (_, e) => refStats(recs.map((r) => (r.value[f.name] as unknown[])[e])));
        for (const st of STATS) o[`${f.name}_${st}`] = per.map((s) => s[st]);
      }
    }
    out.set(start, o);
  }
  return out;
}

function run(records: InputRecord[], plan: AggregationPlan, batch = 37, end = true): { emitted: Emitted[]; late: number } {
  const agg = new PartitionAggregator({ graceMs: GRACE, planOf: () => plan, startOffset: records[0].offset });
  const emitted: Emitted[] = [];
  let late = 0;
  for (let i = 0; i < records.length; i += batch) {
    for (const r of records.slice(i, i + batch)) if (agg.add(r) === 'late') late++;
    emitted.push(...agg.closeReady());
  }
  if (end) emitted.push(...agg.closeAll());
  return { emitted, late };
}

describe.each(['Test_scalars', 'Test_arrays', 'ATMCS_trajectory', 'MTM1M3TS_thermalData'])('%s', (topic) => {
  const plan = aggregationPlan(schemas.get(topic));
  const records = recorded(topic, 1500, 7);

  test('every window equals the reference computation, exactly', () => {
    const ref = reference(records, plan, GRACE);
    const { emitted } = run(records, plan);
    expect(emitted.map((e) => e.start)).toEqual([...ref.keys()].sort((a, b) => a - b));
    for (const e of emitted) expect(e.value).toEqual(ref.get(e.start));
    // the gap: at least three whole seconds without a window
    const starts = emitted.map((e) => e.start);
    expect(starts.some((s, i) => i > 0 && s - starts[i - 1] >= 3000)).toBe(true);
  });

  test('late records within the grace are in their window; later ones are counted and dropped', () => {
    const { emitted, late } = run(records, plan);
    const included = emitted.reduce((n, e) => n + (e.value.count as number), 0);
    expect(late).toBeGreaterThan(10);
    expect(included + late).toBe(records.length);
    // some records 1.2 s behind made it (the grace is 1.5 s): a window holds a record older than its successor's first
    const lateIncluded = records.filter((r, i) => i > 0 && r.timeMs < records[i - 1].timeMs - 1000).length;
    expect(lateIncluded).toBeGreaterThan(late);
  });

  test('the aggregated record encodes with the derived schema', () => {
    const type = avroType(plan.schema as unknown as AvscSchema);
    for (const e of run(records, plan).emitted) expect(type.fromBuffer(type.toBuffer(e.value))).toEqual(e.value);
  });

  test('batch boundaries do not change the result', () => {
    const a = run(records, plan, 1).emitted;
    const b = run(records, plan, 500).emitted;
    expect(b).toEqual(a);
  });
});

test('NaN and ±Infinity are not samples; a window with none of a field has count 0 and nulls', () => {
  const plan = aggregationPlan(schemas.get('Test_scalars'));
  const base = recorded('Test_scalars', 3, 1)[0];
  const recs = [NaN, Infinity, 2.5, -Infinity, 4.5].map((double0, i) => ({
    ...base,
    offset: BigInt(i),
    timeMs: T0 + i,
    value: { ...base.value, double0, float0: NaN },
  }));
  const agg = new PartitionAggregator({ graceMs: 0, planOf: () => plan, startOffset: 0n });
  recs.forEach((r) => agg.add(r));
  const [e] = agg.closeAll();
  expect(e.value).toMatchObject({ count: 5, double0_count: 2, double0_min: 2.5, double0_max: 4.5, double0_mean: 3.5, double0_median: 3.5 });
  expect(e.value.double0_stdev).toBe(1);
  expect(e.value).toMatchObject({ float0_count: 0, float0_min: null, float0_mean: null, float0_stdev: null });
});

test('strings and booleans: the last value by time, then offset, not by arrival', () => {
  const plan = aggregationPlan(schemas.get('Test_scalars'));
  const base = recorded('Test_scalars', 3, 1)[0];
  const agg = new PartitionAggregator({ graceMs: 0, planOf: () => plan, startOffset: 0n });
  agg.add({ ...base, offset: 0n, timeMs: T0 + 500, value: { ...base.value, string0: 'later', boolean0: true } });
  agg.add({ ...base, offset: 1n, timeMs: T0 + 100, value: { ...base.value, string0: 'earlier', boolean0: false } });
  agg.add({ ...base, offset: 2n, timeMs: T0 + 500, value: { ...base.value, string0: 'same time, later offset', boolean0: false } });
  const [e] = agg.closeAll();
  expect(e.value).toMatchObject({ string0: 'same time, later offset', boolean0: false, count: 3 });
});

test('series: one window per source key and salIndex', () => {
  const schema = { ...schemas.get('ATDome_position')! };
  schema.fields = [...schema.fields, { name: 'salIndex', type: 'int' }];
  const plan = aggregationPlan(schema);
  expect(plan.groupBy).toEqual(['salIndex']);
  const agg = new PartitionAggregator({ graceMs: 0, planOf: () => plan, startOffset: 0n });
  let o = 0n;
  for (const salIndex of [1, 2, 1, 2])
    agg.add({ key: 'k', offset: o++, timeMs: T0 + Number(o), schemaId: 1, value: { salIndex, azimuthPosition: salIndex * 10 } });
  const out = agg.closeAll();
  expect(out.map((e) => [e.key, e.value.salIndex, e.value.count, e.value.azimuthPosition_mean])).toEqual([
    [`k/salIndex=1/${T0}`, 1, 2, 10],
    [`k/salIndex=2/${T0}`, 2, 2, 20],
  ]);
});

test('a schema change mid-stream: the window uses its newest schema; older records lack the new field', () => {
  const old = schemas.get('ATDome_position')!;
  const newer = { ...old, fields: [...old.fields, { name: 'extra', type: 'double' as const }] };
  const plans = new Map([
    [1, aggregationPlan(old)],
    [2, aggregationPlan(newer)],
  ]);
  const agg = new PartitionAggregator({ graceMs: 0, planOf: (id) => plans.get(id)!, startOffset: 0n });
  agg.add({ key: 'k', offset: 0n, timeMs: T0 + 1, schemaId: 1, value: { azimuthPosition: 1 } });
  agg.add({ key: 'k', offset: 1n, timeMs: T0 + 2, schemaId: 2, value: { azimuthPosition: 3, extra: 7 } });
  agg.add({ key: 'k', offset: 2n, timeMs: T0 + 1001, schemaId: 1, value: { azimuthPosition: 5 } });
  const [a, b] = agg.closeAll();
  expect(a).toMatchObject({ schemaId: 2, value: { count: 2, azimuthPosition_mean: 2, extra_count: 1, extra_mean: 7 } });
  expect(b).toMatchObject({ schemaId: 1, value: { count: 1, azimuthPosition_mean: 5 } });
  expect(b.value).not.toHaveProperty('extra_count');
});

describe('crash and restart from the committed offset and its metadata', () => {
  const plan = aggregationPlan(schemas.get('Test_arrays'));
  const records = recorded('Test_arrays', 800, 11);
  const byOffset = new Map(records.map((r) => [r.offset, r]));
  const full = run(records, plan, 13, false).emitted; // without the windows still open at the end

  /**
   * Processes batches of `batch`, commits after each (as the shell does, once the emitted windows are
   * acknowledged), crashes right after emitting in batch number `crashAt` (before its commit), restarts from
   * the commit; returns everything emitted by both runs.
   */
  function crashRun(batch: number, crashAt: number): Emitted[] {
    const emitted: Emitted[] = [];
    let commit = { offset: records[0].offset.toString(), metadata: '' };
    let agg = new PartitionAggregator({ graceMs: GRACE, planOf: () => plan, startOffset: records[0].offset });
    let b = 0;
    for (let i = 0; i < records.length; i += batch, b++) {
      for (const r of records.slice(i, i + batch)) agg.add(r);
      emitted.push(...agg.closeReady());
      if (b === crashAt) break;
      commit = agg.commitPoint();
    }
    agg = new PartitionAggregator({
      graceMs: GRACE,
      planOf: () => plan,
      startOffset: BigInt(commit.offset),
      restore: parseSnapshot(commit.metadata),
    });
    for (let o = BigInt(commit.offset); byOffset.has(o); o++) agg.add(byOffset.get(o)!);
    emitted.push(...agg.closeReady());
    return emitted;
  }

  test.each([
    [7, 0],
    [7, 3],
    [7, 40],
    [25, 5],
    [25, 20],
    [100, 2],
    [100, 6],
  ])('batches of %i, crash in batch %i: every window emitted once or again with the same values', (batch, crashAt) => {
    const emitted = crashRun(batch, crashAt);
    const byKey = new Map<string, Emitted>();
    let again = 0;
    for (const e of emitted) {
      const prev = byKey.get(e.key);
      if (prev) {
        again++;
        expect(e.value).toEqual(prev.value);
      } else byKey.set(e.key, e);
    }
    expect([...byKey.values()].map((e) => e.value)).toEqual(full.map((e) => e.value));
    if (crashAt > 0) expect(again).toBeLessThan(full.length);
  });

  test('commit metadata round-trips; foreign metadata is ignored', () => {
    expect(parseSnapshot('{"v":1,"wm":5,"p":"12"}')).toEqual({ wm: 5, p: '12' });
    expect(parseSnapshot('{"v":1,"wm":null,"p":"0"}')).toEqual({ wm: null, p: '0' });
    expect(parseSnapshot('')).toBeUndefined();
    expect(parseSnapshot('something else')).toBeUndefined();
    expect(parseSnapshot('{"v":2,"wm":1,"p":"1"}')).toBeUndefined();
  });
});

test('a long beyond ±2^53 (decoded as a bigint) is a sample, taken as the nearest double', () => {
  const plan = aggregationPlan(schemas.get('Test_scalars'));
  const longField = plan.stats.find((f) => !f.array && f.name.toLowerCase().includes('longlong'));
  expect(longField).toBeDefined();
  const name = longField!.name;
  const agg = new PartitionAggregator({ graceMs: GRACE, planOf: () => plan, startOffset: 1n });
  const big = 2n ** 62n + 1n;
  agg.add({ key: 'k', offset: 1n, timeMs: T0, schemaId: 1, value: { [name]: big } });
  agg.add({ key: 'k', offset: 2n, timeMs: T0 + 10, schemaId: 1, value: { [name]: -big } });
  const [w] = agg.closeAll();
  const v = w.value as Record<string, unknown>;
  expect(v[`${name}_count`]).toBe(2);
  expect(v[`${name}_max`]).toBe(Number(big));
  expect(v[`${name}_min`]).toBe(-Number(big));
  expect(v[`${name}_mean`]).toBe(0);
});
