/**
 * SAL text → Avro binary in one pass, without building a record object or decoding the line to a
 * string: the record's bytes are read in place and each value is written straight into the Avro
 * encoding of the topic's schema
 * (zig-zag varints, little-endian float/double, length-prefixed strings, one block per array).
 * The bytes are identical to avsc's encoding of the record `parseSalText` builds (unit-tested on every
 * fixture topic). Longs are exact over the signed 64-bit range: within ±2^52 as numbers, beyond from
 * their digits (plain digits only; other forms go to the parser, which refuses them or reads them). A line in any other form (a problem, non-ASCII text, nan/inf, a null field) falls back
 * to `parseSalText`, which reads it or names the problem.
 */
import { Type } from 'avsc';
import { WIRE_HEADER_BYTES, wireHeader } from '../lib/registry';
import * as decimal from './decimal';
import { NumberReader } from './number-reader';
import { isSpace, LONG_LIMIT as LONG_LIMIT_EXPORT, OPEN_BYTES, parseSalText, SalLayout } from '../lib/sal/sal-text';
import type { AvroPrimitive } from '../lib/sal/avro';
import { LONG_MAX, LONG_MIN } from '../lib/avro-type';

/** SAL text line (the Kafka record's bytes, or text) → Confluent wire-format Avro message. */
export interface SalTextEncoder {
  (line: string | Buffer, kafkaTimestampMs: number): Buffer;
  /** The fast path alone: undefined where it would fall back to the text parser (for tests). */
  fastOnly(line: Buffer, kafkaTimestampMs: number): Buffer | undefined;
}

// Hot imports bound once: under tsx/esbuild's CommonJS output an imported name is a getter call per use.
const scanDecimal = decimal.scanDecimal;
const scanned = decimal.scanned;
const LONG_LIMIT = LONG_LIMIT_EXPORT;
const isSpaceByte = isSpace;
const OPEN = OPEN_BYTES;

/** One WebAssembly reader for every topic's encoder (one line at a time: each message loads its own). */
let sharedReader: NumberReader | undefined;
let readerProblem: string | undefined;

/** The shared reader; undefined (values read in JavaScript) where WebAssembly cannot run, e.g. node --jitless. */
function numberReader(): NumberReader | undefined {
  if (sharedReader || readerProblem) return sharedReader;
  try {
    sharedReader = new NumberReader();
  } catch (err) {
    readerProblem = `WebAssembly number reader unavailable (${(err as Error).message}): numbers are read in JavaScript, about 1.7x slower`;
  }
  return sharedReader;
}

/** Why the encoders read every number in JavaScript, when the WebAssembly reader could not start. */
export function numberReaderProblem(): string | undefined {
  return readerProblem;
}

const EFD_ORDER = ['kafka_timestamp', 'sal_revcode', 'sal_created', 'sal_ingested', 'sal_origin', 'sal_host'];

class Out {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;
  /** Little-endian float/double stores straight into buf (far cheaper than byte-by-byte copies). */
  view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.length);
  }
  /** Avro int/long: zig-zag varint (exact for |n| ≤ 2^52). */
  long(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (n >= -1073741824 && n < 1073741824) {
      let z = (n << 1) ^ (n >> 31);
      while (z & ~0x7f) {
        buf[this.pos++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      buf[this.pos++] = z;
      return;
    }
    // |n| ≥ 2^30: zig-zag as an exact double, then its 28 low bits and the bits above
    const z = n >= 0 ? n * 2 : -n * 2 - 1;
    const low = z % 268435456;
    this.lowHigh(low, (z - low) / 268435456);
  }
  float(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }
  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  /** Avro long of a zig-zag value 0 ≤ z < 2^64 (a 64-bit value beyond ±2^52). */
  zigzag(z: bigint): void {
    this.ensure(10);
    this.lowHigh(Number(z & 0xfffffffn), Number(z >> 28n)); // high < 2^36: exact
  }
  /** A zig-zag value of 28 bits or more as varint groups: its `low` 28 bits, then `high` (the bits above, < 2^36). */
  private lowHigh(low: number, high: number): void {
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = (low & 0x7f) | 0x80;
    buf[pos++] = ((low >>> 7) & 0x7f) | 0x80;
    buf[pos++] = ((low >>> 14) & 0x7f) | 0x80;
    buf[pos++] = ((low >>> 21) & 0x7f) | (high > 0 ? 0x80 : 0);
    // beyond 2^31 the bit operators would wrap: % and / stay exact
    while (high > 0) {
      buf[pos++] = high > 0x7f ? (high % 128) | 0x80 : high;
      high = Math.floor(high / 128);
    }
    this.pos = pos;
  }
  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }
}

/** The line is not in the plain form the fast path reads; the caller falls back to the text parser. */
class Bail extends Error {}
const BAIL = new Bail();

/** A cursor over the bytes between "(" and ")" of a SAL text line. */
class ByteCursor {
  pos = 0;
  close = 0;
  /** Where the last number read by {@link number} starts. */
  tokenStart = 0;
  b: Buffer = Buffer.alloc(0);

  reset(b: Buffer, open: number, close: number): void {
    this.b = b;
    this.pos = open;
    this.close = close;
  }
  skipSpace(): void {
    this.pos = this.skipFrom(this.pos);
  }
  private skipFrom(p: number): number {
    const b = this.b;
    const close = this.close;
    while (p < close) {
      const c = b[p];
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      p++;
    }
    return p;
  }
  /** "," then the next number (the common case of a value after the first): BAIL at the list's end. */
  nextNumber(): number {
    const p = this.skipFrom(this.pos);
    if (p >= this.close || this.b[p] !== 44) throw BAIL;
    this.pos = p + 1;
    return this.number();
  }
  /** The plain decimal at pos (after spaces), which must end at a separator, a space or the list's end. */
  number(): number {
    const p = this.skipFrom(this.pos);
    const v = scanDecimal(this.b, p, this.close);
    if (v === undefined || !this.delimited(scanned.end)) throw BAIL;
    this.tokenStart = p;
    this.pos = scanned.end;
    return v;
  }
  /** Moves past the "," after a value; false at the end of the list. */
  next(): boolean {
    this.skipSpace();
    if (this.pos >= this.close) return false;
    if (this.b[this.pos] !== 44) throw BAIL;
    this.pos++;
    return true;
  }
  /** The end of the token at pos is a separator, a space or the list's end. */
  private delimited(i: number): boolean {
    if (i >= this.close) return true;
    const c = this.b[i];
    return c === 44 || isSpaceByte(c);
  }
  /** The next value (after spaces) is a quoted string. */
  atQuote(): boolean {
    this.skipSpace();
    return this.pos < this.close && this.b[this.pos] === 39;
  }
  boolean(): boolean {
    this.skipSpace();
    const b = this.b;
    const p = this.pos;
    let n: number;
    if (b[p] === 116 && b[p + 1] === 114 && b[p + 2] === 117 && b[p + 3] === 101)
      n = 4; // true
    else if (b[p] === 102 && b[p + 1] === 97 && b[p + 2] === 108 && b[p + 3] === 115 && b[p + 4] === 101)
      n = 5; // false
    else if (b[p] === 49 || b[p] === 48)
      n = 1; // 1, 0
    else throw BAIL;
    if (p + n > this.close || !this.delimited(p + n)) throw BAIL;
    this.pos = p + n;
    return b[p] === 116 || b[p] === 49;
  }
  /** A quoted ASCII string ('' stands for '), written as an Avro string. */
  string(out: Out): void {
    this.skipSpace();
    const b = this.b;
    const close = this.close;
    if (this.pos >= close || b[this.pos] !== 39) throw BAIL;
    const from = this.pos + 1;
    let escapes = 0;
    let j = from;
    for (;;) {
      if (j >= close) throw BAIL; // unterminated: the parser names it
      const c = b[j];
      if (c === 39) {
        if (b[j + 1] !== 39 || j + 1 >= close) break;
        escapes++;
        j += 2;
        continue;
      }
      if (c >= 0x80) throw BAIL; // UTF-8 text: the parser's decoding rules apply
      j++;
    }
    const n = j - from - escapes;
    out.long(n);
    out.ensure(n);
    if (escapes === 0) {
      b.copy(out.buf, out.pos, from, j);
      out.pos += n;
    } else {
      const o = out.buf;
      let p = out.pos;
      for (let i = from; i < j; i++) {
        o[p++] = b[i];
        if (b[i] === 39) i++;
      }
      out.pos = p;
    }
    this.pos = j + 1;
  }
}

/**
 * A long beyond ±2^52 from its digits (bytes `from`..`to`, plain digits with an optional sign), exactly;
 * BAIL for any other form or a value outside [-2^63, 2^63 − 1] (the parser names it).
 */
function writeExactLong(out: Out, b: Buffer, from: number, to: number): void {
  let i = from;
  const neg = b[i] === 45;
  if (neg || b[i] === 43) i++;
  while (i < to - 1 && b[i] === 48) i++;
  const digits = to - i;
  if (digits < 1 || digits > 19) throw BAIL;
  // up to 10 leading digits and the last 9, each an exact number
  let hi = 0;
  let lo = 0;
  const split = to - Math.min(9, digits);
  for (let k = i; k < to; k++) {
    const d = b[k] - 48;
    if (d < 0 || d > 9) throw BAIL;
    if (k < split) hi = hi * 10 + d;
    else lo = lo * 10 + d;
  }
  const m = BigInt(hi) * 1_000_000_000n + BigInt(lo);
  const v = neg ? -m : m;
  if (v < LONG_MIN || v > LONG_MAX) throw BAIL;
  out.zigzag(v < 0n ? -v * 2n - 1n : v * 2n);
}

/** A number read for a numeric type, written in its Avro encoding (`cur`: where it was read, for longs). */
function writeNumber(out: Out, v: number, type: AvroPrimitive, cur: ByteCursor): void {
  switch (type) {
    case 'double':
      out.double(v);
      return;
    case 'float':
      out.float(v);
      return;
    case 'int':
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw BAIL;
      out.long(v);
      return;
    default: // long
      if (!Number.isInteger(v)) throw BAIL;
      if (v >= -LONG_LIMIT && v <= LONG_LIMIT) out.long(v);
      else writeExactLong(out, cur.b, cur.tokenStart, cur.pos);
  }
}

const NUMERIC = new Set<AvroPrimitive>(['double', 'float', 'int', 'long']);

/** The value after the next "," (BAIL at the list's end), in its Avro encoding. */
function writeNext(out: Out, cur: ByteCursor, type: AvroPrimitive, numeric: boolean): void {
  if (numeric) {
    writeNumber(out, cur.nextNumber(), type, cur);
    return;
  }
  if (!cur.next()) throw BAIL;
  switch (type) {
    case 'boolean':
      out.bool(cur.boolean());
      return;
    case 'string':
      cur.string(out);
      return;
    case 'bytes':
      // a quoted ASCII string is its own bytes (encoded as a string is); else one byte 0..255
      if (cur.atQuote()) cur.string(out);
      else {
        const v = cur.number();
        if (!Number.isInteger(v) || v < 0 || v > 255) throw BAIL;
        out.ensure(2);
        out.buf[out.pos++] = 2; // length 1, zig-zag
        out.buf[out.pos++] = v;
      }
      return;
    default:
      // null is rare: the text parser handles it
      throw BAIL;
  }
}

function isTimestamp(t: unknown): boolean {
  return typeof t === 'object' && t !== null && (t as { type?: string }).type === 'long';
}

export interface EncoderOptions {
  /**
   * Read numeric arrays with the WebAssembly reader (default true). false keeps every value on the
   * JavaScript path: the same bytes, slower (the benchmark's comparison).
   */
  wasm?: boolean;
}

/**
 * A one-pass encoder for a topic whose schema starts with the six EFD fields in the usual order
 * (as salschema writes them); undefined for any other shape (use parse + avsc then).
 * The returned function gives the Confluent wire-format message, or throws the SalTextError of the line.
 */
export function compileSalTextEncoder(
  layout: SalLayout,
  schema: { fields?: { name: string; type: unknown }[] },
  schemaId: number,
  type: Type,
  options: EncoderOptions = {},
): SalTextEncoder | undefined {
  const fields = schema.fields ?? [];
  if (fields.length !== EFD_ORDER.length + layout.fields.length) return undefined;
  for (let i = 0; i < EFD_ORDER.length; i++) if (fields[i].name !== EFD_ORDER[i]) return undefined;
  if (!isTimestamp(fields[0].type) || fields[1].type !== 'string' || !isTimestamp(fields[2].type) || !isTimestamp(fields[3].type))
    return undefined;
  if (fields[4].type !== 'int' || fields[5].type !== 'int') return undefined;
  for (let i = 0; i < layout.fields.length; i++) if (fields[EFD_ORDER.length + i].name !== layout.fields[i].name) return undefined;
  const header = wireHeader(schemaId);
  const out = new Out();
  const cur = new ByteCursor();
  const items = layout.fields;
  const reader = options.wasm === false ? undefined : numberReader();

  /** The message, or BAIL (thrown) when the line is not in the plain form read here. */
  const fast = (line: Buffer, ts: number): Buffer => {
    const open = line.indexOf(OPEN) + 2;
    let close = line.length - 1;
    while (close >= open && isSpaceByte(line[close])) close--;
    if (open < 2 || close < open || line[close] !== 41 /* ) */) throw BAIL;
    cur.reset(line, open, close);
    out.pos = 0;
    out.ensure(WIRE_HEADER_BYTES);
    header.copy(out.buf, 0);
    out.pos = WIRE_HEADER_BYTES;
    out.long(ts);
    cur.string(out);
    for (let k = 0; k < 2; k++) {
      const ms = Math.round(cur.nextNumber() * 1000);
      if (!Number.isFinite(ms) || Math.abs(ms) > LONG_LIMIT) throw BAIL;
      out.long(ms);
    }
    for (let k = 0; k < 2; k++) writeNumber(out, cur.nextNumber(), 'int', cur);
    let loaded = false;
    for (let f = 0; f < items.length; f++) {
      const it = items[f];
      if (it.array) {
        out.long(it.count);
        if (reader && NUMERIC.has(it.type)) {
          // the common large arrays: read in WebAssembly straight into the output; a value it leaves
          // (rare forms, see assembly/numbers.ts) is read here, then it resumes
          out.ensure(it.count * 10 + 1);
          if (!loaded) {
            reader.load(line);
            loaded = true;
          }
          const float = it.type === 'double' || it.type === 'float';
          for (let done = 0; done < it.count;) {
            const left = it.count - done;
            done += float
              ? reader.floats(cur.pos, left, it.type === 'double' ? 8 : 4, out.buf, out.pos)
              : reader.varints(cur.pos, left, it.type === 'int', out.buf, out.pos);
            out.pos += reader.written;
            cur.pos = reader.end;
            if (done < it.count) {
              writeNumber(out, cur.nextNumber(), it.type, cur);
              done++;
            }
          }
        } else {
          const numeric = NUMERIC.has(it.type);
          for (let k = 0; k < it.count; k++) writeNext(out, cur, it.type, numeric);
        }
        out.long(0);
      } else {
        writeNext(out, cur, it.type, NUMERIC.has(it.type));
      }
    }
    cur.skipSpace();
    if (cur.pos < close) throw BAIL;
    const msg = Buffer.allocUnsafe(out.pos);
    out.buf.copy(msg, 0, 0, out.pos);
    return msg;
  };

  const encode = (line: string | Buffer, ts: number): Buffer => {
    const bytes = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
    try {
      return fast(bytes, ts);
    } catch (err) {
      if (err !== BAIL) throw err;
      // the text parser names the problem (SalTextError), or reads what the fast path does not
      const rec = parseSalText(typeof line === 'string' ? line : line.toString('utf8'), layout, ts);
      return Buffer.concat([header, type.toBuffer(rec)]);
    }
  };
  encode.fastOnly = (line: Buffer, ts: number): Buffer | undefined => {
    try {
      return fast(line, ts);
    } catch (err) {
      if (err === BAIL) return undefined;
      throw err;
    }
  };
  return encode;
}
