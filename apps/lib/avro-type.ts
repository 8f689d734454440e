/**
 * The one way the apps compile an Avro schema with avsc: {@link avroType}. Its `long` is exact over the
 * whole signed 64-bit range (avsc's own long refuses, or rounds, values beyond ±2^53):
 *
 * - decoded, a long is a JavaScript number when it is a safe integer (|v| ≤ 2^53 − 1, so timestamps and
 *   every value that fitted before stay numbers), and a bigint beyond;
 * - encoded, a long may be either (a safe-integer number, or a bigint within [-2^63, 2^63 − 1]).
 *
 * Built with avsc's documented custom long type (`LongType.__with`, here on the varint bytes themselves),
 * applied through a type hook to every `long` of a schema, `timestamp-millis` ones included.
 */
import { Schema, Type, types } from 'avsc';

/** Bounds of an Avro long (signed 64-bit). */
export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;

/** A 64-bit integer as the apps hold a long: a number when it is a safe integer, else the bigint. */
export function longValue(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Scratch for one value being encoded (avsc copies it into its output at once). */
const scratch = Buffer.alloc(10);

/** Zig-zag varint bytes → the value (number when safe, else bigint). */
function fromVarint(b: Buffer): number | bigint {
  const n = b.length;
  // low 28 bits and the rest (≤ 36 bits) as exact numbers
  let lo = 0;
  let hi = 0;
  let i = 0;
  for (let mul = 1; i < n && i < 4; i++, mul *= 128) lo += (b[i] & 0x7f) * mul;
  for (let mul = 1; i < n; i++, mul *= 128) hi += (b[i] & 0x7f) * mul;
  if (hi < 33554432) {
    // z < 2^53: exact as a double
    const z = hi * 268435456 + lo;
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }
  const z = (BigInt(hi) << 28n) | BigInt(lo);
  return longValue(z & 1n ? -((z + 1n) >> 1n) : z >> 1n);
}

/** The value → its zig-zag varint bytes (a view of {@link scratch}). */
function toVarint(v: number | bigint): Buffer {
  let pos = 0;
  if (typeof v === 'number' && v >= -1073741824 && v < 1073741824) {
    let z = (v << 1) ^ (v >> 31);
    while (z & ~0x7f) {
      scratch[pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    scratch[pos++] = z;
    return scratch.subarray(0, pos);
  }
  if (typeof v === 'number' && v >= -4503599627370496 && v <= 4503599627370496) {
    // |v| ≤ 2^52: the zig-zag value is an exact double; 28 low bits, then the rest
    const z = v >= 0 ? v * 2 : -v * 2 - 1;
    const low = z % 268435456;
    let high = (z - low) / 268435456;
    scratch[0] = (low & 0x7f) | 0x80;
    scratch[1] = ((low >>> 7) & 0x7f) | 0x80;
    scratch[2] = ((low >>> 14) & 0x7f) | 0x80;
    scratch[3] = ((low >>> 21) & 0x7f) | (high > 0 ? 0x80 : 0);
    pos = 4;
    while (high > 0) {
      scratch[pos++] = high > 0x7f ? (high & 0x7f) | 0x80 : high;
      high >>>= 7;
    }
    return scratch.subarray(0, pos);
  }
  const b = BigInt(v);
  let z = b < 0n ? (-b << 1n) - 1n : b << 1n;
  while (z > 0x7fn) {
    scratch[pos++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  scratch[pos++] = Number(z);
  return scratch.subarray(0, pos);
}

function isValid(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  return typeof v === 'bigint' && v >= LONG_MIN && v <= LONG_MAX;
}

/** JSON (defaults, `Type.toString`): a safe integer as a number, beyond as its digits. */
function fromJson(v: unknown): number | bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return longValue(BigInt(v));
  return v as number;
}

/** avsc's `long`, exact over the signed 64-bit range (see the module doc). */
export const EXACT_LONG: Type = types.LongType.__with(
  {
    fromBuffer: fromVarint,
    toBuffer: toVarint,
    fromJSON: fromJson,
    toJSON: (v: number | bigint) => (typeof v === 'bigint' ? v.toString() : v),
    isValid,
    compare: (a: number | bigint, b: number | bigint) => (a === b ? 0 : a < b ? -1 : 1),
  },
  true, // the buffers are the varint bytes themselves (no unpacking to 8 bytes and back)
);

/** Every `long` of a schema (a reference, or a type object such as a timestamp) is {@link EXACT_LONG}. */
function exactLongHook(schema: Schema): Type | undefined {
  if (schema === 'long') return EXACT_LONG;
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'long') {
    return EXACT_LONG;
  }
  return undefined;
}

/** avsc options that make every long exact (also handed to the schema-registry library). */
export const AVRO_TYPE_OPTIONS = { typeHook: exactLongHook } as const;

/** Compiles a schema with avsc, every long exact ({@link EXACT_LONG}). */
export function avroType(schema: Schema | object): Type {
  return Type.forSchema(schema as Schema, { ...AVRO_TYPE_OPTIONS });
}

/** A value as an exact long: a safe-integer number, or a bigint within the long range. */
export function isLong(v: unknown): v is number | bigint {
  return isValid(v);
}
