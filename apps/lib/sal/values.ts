/**
 * Mock SAL values: for a topic and a sequence number, a record whose every value is valid for its
 * ts_xml type (IDL range, Avro type), arrays of exactly Count values, enumerated items one of their
 * named values. Deterministic: the same (run seed, topic, seq) gives the same item values, so an
 * end-to-end check can regenerate what was sent from the sequence number alone.
 *
 * Each topic has {@link VARIANTS} value sets (variant = seq mod VARIANTS), made once and reused: the
 * values still change from message to message, and generating them costs nothing per message (salmock
 * must keep up with the seed schedule, 29,284 msg/s, on one core).
 */
import type { FieldMeta, TopicMeta } from './metadata';
import type { IdlType } from './ts-xml';
import { hashString, mulberry32 } from '../prng';
import { IDL_TO_AVRO } from './avro';
import { IDL_INTEGER_RANGE } from './idl-range';
import { longValue } from '../avro-type';

export { hashString, mulberry32 } from '../prng';

/**
 * Inclusive integer range of each integer IDL type whose Avro type is a number (byte and octet are
 * Avro bytes): the IDL ranges of salschema, the 64-bit ones in full (values beyond ±(2^53 − 1) are
 * bigints, see apps/lib/avro-type.ts).
 */
export const IDL_INT_RANGE: Partial<Record<IdlType, readonly [bigint, bigint]>> = Object.fromEntries(
  Object.entries(IDL_INTEGER_RANGE).filter(([idl]) => IDL_TO_AVRO[idl as IdlType] !== 'bytes'),
);

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:'()";

type Rng = () => number;
type ValueGen = (r: Rng) => unknown;

/** 32 random bits as a bigint. */
function bits32(r: Rng): bigint {
  return BigInt(Math.floor(r() * 4294967296));
}

function intGen(loBig: bigint, hiBig: bigint): ValueGen {
  const span = hiBig - loBig + 1n;
  if (span <= 4294967296n) {
    const lo = Number(loBig);
    const n = Number(span);
    return (r) => lo + Math.floor(r() * n);
  }
  // 64-bit ranges: a random bit length, then a value of it (small, mid-sized and beyond ±2^53 alike),
  // now and then an edge of the range or of the exact doubles
  const edges = [loBig, hiBig, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n].filter((e) => e >= loBig && e <= hiBig);
  const signed = loBig < 0n;
  return (r) => {
    if (r() < 1 / 16) return longValue(edges[Math.floor(r() * edges.length)]);
    const width = 1n + BigInt(Math.floor(r() * 63));
    let v = ((bits32(r) << 32n) | bits32(r)) & ((1n << width) - 1n);
    if (signed && r() < 0.5) v = -v - 1n;
    return longValue(v < loBig ? loBig : v > hiBig ? hiBig : v);
  };
}

function valueGen(f: FieldMeta): ValueGen {
  if (f.enumeration && f.enumeration.length > 0 && f.avroType !== 'string') {
    const values = f.enumeration.map((s) => s.value);
    // an enumerated byte/char/octet item is Avro bytes: one byte holding the value
    if (f.avroType === 'bytes') return (r) => Buffer.from([values[Math.floor(r() * values.length)] & 0xff]);
    return (r) => values[Math.floor(r() * values.length)];
  }
  const range = IDL_INT_RANGE[f.idlType];
  if (range) return intGen(range[0], range[1]);
  switch (f.avroType) {
    case 'boolean':
      return (r) => r() < 0.5;
    case 'float':
      return (r) => Math.fround((r() - 0.5) * 2000);
    case 'double':
      return (r) => (r() - 0.5) * 2e6;
    case 'string':
      return (r) => {
        const n = Math.floor(r() * 13);
        let s = '';
        for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
        return s;
      };
    case 'bytes':
      return (r) => Buffer.from([Math.floor(r() * 256)]);
    case 'null':
      return () => null;
    default:
      return intGen(-2147483648n, 2147483647n);
  }
}

/** Value sets per topic; message `seq` carries set `seq % VARIANTS`. */
export const VARIANTS = 64;

export type RecordGenerator = ((seq: number, nowMs: number) => Record<string, unknown>) & {
  /** Item values of a variant (shared, do not modify). */
  items: (variant: number) => Record<string, unknown>;
};

/**
 * Record generator of a topic: EFD fields (kafka_timestamp and sal_created = `nowMs`, sal_ingested
 * 0–2 ms earlier, sal_revcode from the topic, sal_origin from the run seed, sal_host 1) then the items.
 */
export function recordGenerator(meta: Pick<TopicMeta, 'topic' | 'fields'>, runSeed: number): RecordGenerator {
  const topicHash = hashString(meta.topic);
  const revcode = topicHash.toString(16).padStart(8, '0');
  const origin = runSeed & 0x7fff;
  const gens = meta.fields.map((f) => ({ name: f.name, count: f.count, array: f.array, gen: valueGen(f) }));
  const cache = new Map<number, Record<string, unknown>>();
  const items = (variant: number): Record<string, unknown> => {
    let v = cache.get(variant);
    if (!v) {
      const r = mulberry32(topicHash ^ runSeed ^ Math.imul(variant + 1, 0x9e3779b1));
      v = {};
      for (const g of gens) {
        if (g.array) {
          const arr = new Array<unknown>(g.count);
          for (let i = 0; i < g.count; i++) arr[i] = g.gen(r);
          v[g.name] = arr;
        } else {
          v[g.name] = g.gen(r);
        }
      }
      cache.set(variant, v);
    }
    return v;
  };
  const gen = (seq: number, nowMs: number) => {
    const rec: Record<string, unknown> = {
      kafka_timestamp: nowMs,
      sal_revcode: revcode,
      sal_created: nowMs,
      sal_ingested: nowMs - (seq % 3),
      sal_origin: origin,
      sal_host: 1,
    };
    return Object.assign(rec, items(seq % VARIANTS));
  };
  return Object.assign(gen, { items });
}

/** Item values of a record (without the EFD fields), for comparisons. */
export function itemValues(meta: Pick<TopicMeta, 'fields'>, rec: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(meta.fields.map((f) => [f.name, rec[f.name]]));
}
