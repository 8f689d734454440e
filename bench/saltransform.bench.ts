/**
 * saltransform per-message cost: SAL text line, as the Kafka record's bytes → Confluent-wire-format Avro
 * (SalTransformer.transform: the one-pass encoder with its WebAssembly number reader), against bare avsc
 * encoding (`type.toBuffer` + wire header) of the same records — with avsc's own long type, the 64-bit
 * values beyond its range (±(2^53 − 2)) clamped into it, so the baseline is the one of earlier runs; the
 * exact 64-bit long type the apps compile (apps/lib/avro-type.ts) is measured beside it — and against the same encoder with every
 * value read in JavaScript, in the same run. Messages: the generated seed-shaped topic set (1,051 topics,
 * bench/generated-ts-xml.ts) in the seed schedule's mix (telemetry 100×, events 10×, commands 1× per
 * topic), values from salmock. Offline (no Kafka): what the
 * transform itself costs. Goals: ≤ 20 µs/msg, and ≥ 0.5× the bare encode throughput.
 */
import { Type } from 'avsc';
import { avroType } from '../apps/lib/avro-type';
import { wireEncoder } from '../apps/lib/registry';
import { subjectOf } from '../apps/lib/sal/register';
import { planTopics } from '../apps/lib/sal/plan';
import { recordGenerator } from '../apps/lib/sal/values';
import { compileSalTextEncoder } from '../apps/saltransform/fast-encode';
import { formatSalText, layoutFromAvro } from '../apps/lib/sal/sal-text';
import { SalTransformer } from '../apps/saltransform/transform';
import { benchInterface } from './generated-ts-xml';
import { BenchResult, median, withRatio } from './results';

const MESSAGES = 20_000;
const ROUNDS = 7;

interface Item {
  topic: string;
  kind: string;
  line: Buffer;
  rec: Record<string, unknown>;
  encode: (v: unknown) => Buffer;
  /** The record with 64-bit values clamped into avsc's own long range, and avsc's own type. */
  stockRec: Record<string, unknown>;
  stockEncode: (v: unknown) => Buffer;
  /** The same one-pass encoder without the WebAssembly number reader. */
  jsOnly: (line: Buffer, ts: number) => Buffer;
}

/** The largest |long| avsc's own long type encodes. */
const STOCK_LONG = 9007199254740990;
function clampLong(v: unknown): unknown {
  if (typeof v === 'bigint') return v > 0n ? STOCK_LONG : -STOCK_LONG;
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) > STOCK_LONG) return Math.sign(v) * STOCK_LONG;
  return v;
}

export async function run(): Promise<BenchResult[]> {
  const { label, metas, schemas } = benchInterface();
  const ids = new Map([...schemas.keys()].map((t, i) => [t, i + 1]));
  const plan = planTopics(metas);
  const total = plan.reduce((n, p) => n + p.rateHz, 0);
  const items: Item[] = [];
  for (const p of plan) {
    const schema = schemas.get(p.meta.topic) as never;
    const type = avroType(schema);
    const layout = layoutFromAvro(schema);
    const encode = wireEncoder(ids.get(p.meta.topic) as number, type);
    const stockEncode = wireEncoder(ids.get(p.meta.topic) as number, Type.forSchema(schema));
    const jsEncoder = compileSalTextEncoder(layout, schema, ids.get(p.meta.topic) as number, type, { wasm: false });
    if (!jsEncoder) throw new Error(`${p.meta.topic}: no one-pass encoder`);
    const gen = recordGenerator(p.meta, 1);
    const n = Math.max(1, Math.round((p.rateHz / total) * MESSAGES));
    for (let i = 0; i < n; i++) {
      const rec = gen(i, 1_700_000_000_000 + i);
      // as saltransform gets a line: the Kafka record's bytes
      const line = Buffer.from(formatSalText(layout, rec));
      const stockRec = Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, Array.isArray(v) ? v.map(clampLong) : clampLong(v)]));
      items.push({ topic: p.meta.topic, kind: p.meta.kind, line, rec: { ...rec }, encode, stockRec, stockEncode, jsOnly: jsEncoder });
    }
  }
  // shuffle deterministically: topics interleave as on a raw topic
  for (let i = items.length - 1, s = 7; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  const transformer = new SalTransformer({
    latest: async (subject) => {
      const topic = subject.replace(/^lsst\.sal\./, '').replace(/-value$/, '');
      const schema = schemas.get(topic);
      return schema ? { id: ids.get(topic) as number, version: 1, schema: schema as never } : undefined;
    },
  });
  await transformer.prepare(items.map((i) => i.topic));
  for (const it of items.slice(0, 50))
    if (subjectOf(it.topic) && !transformer.transform(it.topic, it.line, 0).ok) throw new Error(`${it.topic}: transform failed`);

  const timeUs = (subset: Item[], fn: (it: Item) => unknown): number => {
    const t0 = process.hrtime.bigint();
    for (const it of subset) fn(it);
    return Number(process.hrtime.bigint() - t0) / 1000 / subset.length;
  };
  const ours = (it: Item) => transformer.transform(it.topic, it.line, 1);
  const bare = (it: Item) => it.stockEncode(it.stockRec);
  const bareExact = (it: Item) => it.encode(it.rec);
  const jsOnly = (it: Item) => it.jsOnly(it.line, 1);
  timeUs(items, ours); // warm-up
  timeUs(items, bare);
  timeUs(items, bareExact);
  timeUs(items, jsOnly);
  const o: number[] = [];
  const b: number[] = [];
  const x: number[] = [];
  const j: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    o.push(timeUs(items, ours));
    b.push(timeUs(items, bare));
    x.push(timeUs(items, bareExact));
    j.push(timeUs(items, jsOnly));
  }
  const perKind = (kind: string) => {
    const subset = items.filter((i) => i.kind === kind);
    const oo: number[] = [];
    const bb: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      oo.push(timeUs(subset, ours));
      bb.push(timeUs(subset, bare));
    }
    return { ours: median(oo), bare: median(bb), n: subset.length };
  };
  const tel = perKind('telemetry');
  const ev = perKind('event');
  const cmd = perKind('command');
  const ourUs = median(o);
  const bareUs = median(b);
  const bytes = Math.round(items.reduce((n, i) => n + i.line.length, 0) / items.length);
  const note = `${items.length} messages, seed mix of ${plan.length} topics, ${label}, mean line ${bytes} B, median of ${ROUNDS}`;
  return [
    withRatio({
      name: 'saltransform.transform.us_per_msg',
      value: ourUs,
      unit: 'µs/msg',
      baseline: bareUs,
      note: `${note}; baseline = bare avsc encode of the same records (avsc's own long, 64-bit values clamped into it); goal ≤ 20 µs`,
    }),
    withRatio({
      name: 'saltransform.transform.msg_per_s',
      value: 1e6 / ourUs,
      unit: 'msg/s',
      baseline: 1e6 / bareUs,
      note: 'throughput vs bare avsc encode; goal ratio ≥ 0.5',
    }),
    withRatio({
      name: 'saltransform.bare_avsc_exact_long.us_per_msg',
      value: median(x),
      unit: 'µs/msg',
      baseline: bareUs,
      note: 'bare avsc encode with the exact 64-bit long type the apps compile (apps/lib/avro-type.ts), unclamped values',
    }),
    withRatio({
      name: 'saltransform.transform.javascript_only.us_per_msg',
      value: median(j),
      unit: 'µs/msg',
      baseline: bareUs,
      note: 'the same one-pass encoder with every value read in JavaScript (no WebAssembly number reader)',
    }),
    withRatio({
      name: 'saltransform.transform.telemetry.us_per_msg',
      value: tel.ours,
      unit: 'µs/msg',
      baseline: tel.bare,
      note: `${tel.n} telemetry messages (large arrays)`,
    }),
    withRatio({
      name: 'saltransform.transform.event.us_per_msg',
      value: ev.ours,
      unit: 'µs/msg',
      baseline: ev.bare,
      note: `${ev.n} event messages`,
    }),
    withRatio({
      name: 'saltransform.transform.command.us_per_msg',
      value: cmd.ours,
      unit: 'µs/msg',
      baseline: cmd.bare,
      note: `${cmd.n} command messages`,
    }),
  ];
}
