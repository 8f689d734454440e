/**
 * SAL text → Avro binary in one pass, without building a record object: the line is read with the
 * SAL text cursor and each value is written straight into the Avro encoding of the topic's schema
 * (zig-zag varints, little-endian float/double, length-prefixed strings, one block per array).
 * The bytes are identical to avsc's encoding of the record `parseSalText` builds (unit-tested on every
 * fixture topic). Any problem in a line falls back to `parseSalText`, which names it.
 */
import { Type } from 'avsc';
import { WIRE_HEADER_BYTES, wireHeader } from '../lib/registry';
import { bounds, Cursor, LONG_LIMIT, parseSalText, readValue, SalLayout } from './sal-text';
import type { AvroPrimitive } from '../salschema/avro';

const EFD_ORDER = ['kafka_timestamp', 'sal_revcode', 'sal_created', 'sal_ingested', 'sal_origin', 'sal_host'];

class Out {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;
  private readonly f32 = new Float32Array(1);
  private readonly f32b = new Uint8Array(this.f32.buffer);
  private readonly f64 = new Float64Array(1);
  private readonly f64b = new Uint8Array(this.f64.buffer);

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
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
    let z = n >= 0 ? n * 2 : -n * 2 - 1;
    while (z >= 128) {
      buf[this.pos++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    buf[this.pos++] = z;
  }
  float(v: number): void {
    this.ensure(4);
    this.f32[0] = v;
    const b = this.f32b;
    const buf = this.buf;
    buf[this.pos] = b[0];
    buf[this.pos + 1] = b[1];
    buf[this.pos + 2] = b[2];
    buf[this.pos + 3] = b[3];
    this.pos += 4;
  }
  double(v: number): void {
    this.ensure(8);
    this.f64[0] = v;
    const b = this.f64b;
    const buf = this.buf;
    const p = this.pos;
    for (let i = 0; i < 8; i++) buf[p + i] = b[i];
    this.pos += 8;
  }
  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }
  string(s: string): void {
    const n = Buffer.byteLength(s);
    this.long(n);
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }
  bytes(b: Buffer): void {
    this.long(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
}

class Malformed extends Error {}

function readNumber(cur: Cursor, type: AvroPrimitive): number {
  const v = cur.fastNumber();
  return v === undefined ? (readValue(cur, type) as number) : v;
}

function writeValue(out: Out, cur: Cursor, type: AvroPrimitive): void {
  switch (type) {
    case 'double':
      out.double(readNumber(cur, type));
      return;
    case 'float':
      out.float(readNumber(cur, type));
      return;
    case 'int': {
      const v = readNumber(cur, type);
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new Malformed();
      out.long(v);
      return;
    }
    case 'long': {
      const v = readNumber(cur, type);
      if (!Number.isInteger(v) || v < -LONG_LIMIT || v > LONG_LIMIT) throw new Malformed();
      out.long(v);
      return;
    }
    case 'boolean':
      out.bool(readValue(cur, type) as boolean);
      return;
    case 'string':
      out.string(readValue(cur, type) as string);
      return;
    case 'bytes':
      out.bytes(readValue(cur, type) as Buffer);
      return;
    case 'null':
      readValue(cur, type);
      return;
  }
}

function isTimestamp(t: unknown): boolean {
  return typeof t === 'object' && t !== null && (t as { type?: string }).type === 'long';
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
): ((line: string, kafkaTimestampMs: number) => Buffer) | undefined {
  const fields = schema.fields ?? [];
  if (fields.length !== EFD_ORDER.length + layout.fields.length) return undefined;
  for (let i = 0; i < EFD_ORDER.length; i++) if (fields[i].name !== EFD_ORDER[i]) return undefined;
  if (!isTimestamp(fields[0].type) || fields[1].type !== 'string' || !isTimestamp(fields[2].type) || !isTimestamp(fields[3].type)) return undefined;
  if (fields[4].type !== 'int' || fields[5].type !== 'int') return undefined;
  for (let i = 0; i < layout.fields.length; i++) if (fields[EFD_ORDER.length + i].name !== layout.fields[i].name) return undefined;
  const header = wireHeader(schemaId);
  const out = new Out();
  const items = layout.fields;

  const fast = (line: string, ts: number): Buffer => {
    const { open, close } = bounds(line, layout.topic);
    const cur = new Cursor(line, open, close);
    out.pos = 0;
    out.ensure(WIRE_HEADER_BYTES);
    header.copy(out.buf, 0);
    out.pos = WIRE_HEADER_BYTES;
    out.long(ts);
    out.string(readValue(cur, 'string') as string);
    for (let k = 0; k < 2; k++) {
      if (!cur.next()) throw new Malformed();
      const sec = readNumber(cur, 'double');
      const ms = Math.round(sec * 1000);
      if (!Number.isFinite(ms) || Math.abs(ms) > LONG_LIMIT) throw new Malformed();
      out.long(ms);
    }
    for (let k = 0; k < 2; k++) {
      if (!cur.next()) throw new Malformed();
      writeValue(out, cur, 'int');
    }
    for (let f = 0; f < items.length; f++) {
      const it = items[f];
      if (it.array) {
        out.long(it.count);
        for (let k = 0; k < it.count; k++) {
          if (!cur.next()) throw new Malformed();
          writeValue(out, cur, it.type);
        }
        out.long(0);
      } else {
        if (!cur.next()) throw new Malformed();
        writeValue(out, cur, it.type);
      }
    }
    cur.skipSpace();
    if (cur.pos < close) throw new Malformed();
    const msg = Buffer.allocUnsafe(out.pos);
    out.buf.copy(msg, 0, 0, out.pos);
    return msg;
  };

  return (line, ts) => {
    try {
      return fast(line, ts);
    } catch {
      // slow path: names the problem (SalTextError), or encodes what the fast path did not expect
      const rec = parseSalText(line, layout, ts);
      const body = type.toBuffer(rec);
      return Buffer.concat([header, body]);
    }
  };
}
