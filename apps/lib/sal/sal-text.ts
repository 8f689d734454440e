/**
 * The SAL text format: what SAL's Kafka writer puts on the raw topics `<Subsystem>_<kind>`
 * (kind = commands | events | telemetry), one message per Kafka record, shaped like the value list of
 * an SQL insert. saltransform parses it; salmock writes it.
 *
 *   line   = topic ":(" values ")"            whitespace allowed around every token
 *   topic  = EFDB_Topic, e.g. MTM1M3TS_thermalData, ATDome_command_moveAzimuth, ATDome_logevent_azimuthState
 *   values = value *("," value)
 *   value  = number | string | true | false | null
 *   string = "'" text "'"                     a quote inside the text is doubled: 'it''s'
 *   number = decimal as in JSON (-12, 3.5, 1e-3); for float/double also nan, inf, -inf (any case)
 *
 * Values, in order:
 *   1. the five SAL stamps: sal_revcode (string), sal_created and sal_ingested (Unix seconds, decimal;
 *      converted to milliseconds for the Avro timestamp-millis fields), sal_origin (int), sal_host (int);
 *   2. every ts_xml item in ts_xml order; an item with Count N > 1 contributes N consecutive values.
 * Item values by Avro type: boolean = true|false|1|0; int = integer in [-2^31, 2^31-1]; long = integer
 * in [-2^63, 2^63-1], exact (read as a bigint beyond ±(2^53 − 1); there only plain digits, since
 * 1e19 or 9007199254740993.0 went through a double); float/double = number; string = quoted;
 * bytes = one byte 0..255, or a quoted string (its UTF-8 bytes). An `unsigned long long` above
 * 2^63 − 1 has no Avro long: it is refused (dead-lettered) with the field named.
 *
 * Example (ATDome_command_moveAzimuth, one double item `azimuth`):
 *   ATDome_command_moveAzimuth:( 'a1b2c3d4', 1553036183.123, 1553036183.125, 12, 34, 270.5 )
 */
import { LONG_MAX, LONG_MIN } from '../avro-type';
import type { AvroPrimitive } from './avro';
import type { TopicMeta } from './metadata';
import type { TopicKind } from './ts-xml';

/** Raw topic kind names SAL's Kafka writer uses: `<Subsystem>_<kind>`. */
export const RAW_KIND: Readonly<Record<TopicKind, string>> = { command: 'commands', event: 'events', telemetry: 'telemetry' };
/** Raw topic of a SAL topic: `[prefix]<Subsystem>_<kind>`. */
export function rawTopicOf(meta: Pick<TopicMeta, 'subsystem' | 'kind'>, prefix = ''): string {
  return `${prefix}${meta.subsystem}_${RAW_KIND[meta.kind]}`;
}

/** The SAL stamps every line starts with, in order. */
export const SAL_STAMPS = ['sal_revcode', 'sal_created', 'sal_ingested', 'sal_origin', 'sal_host'] as const;

/** Record fields that are not ts_xml items (filled from the stamps, or by the transformer). */
export const EFD_RECORD_FIELDS: ReadonlySet<string> = new Set(['kafka_timestamp', ...SAL_STAMPS]);

/** One ts_xml item as the text format sees it. */
export interface SalField {
  name: string;
  /** Avro type of one value. */
  type: AvroPrimitive;
  /** Values in the line (1, or the array length). */
  count: number;
  array: boolean;
}

/** The value layout of one topic. */
export interface SalLayout {
  topic: string;
  fields: SalField[];
  /** Values per line: 5 stamps + the sum of the counts. */
  values: number;
}

export type SalTextErrorCode = 'syntax' | 'field-count' | 'bad-value' | 'unknown-topic' | 'schema';

/** A line that cannot be turned into a record; `code` is the dead-letter reason class. */
export class SalTextError extends Error {
  constructor(
    readonly code: SalTextErrorCode,
    message: string,
    readonly topic?: string,
  ) {
    super(message);
    this.name = 'SalTextError';
  }
}

export function makeLayout(topic: string, fields: SalField[]): SalLayout {
  return { topic, fields, values: SAL_STAMPS.length + fields.reduce((n, f) => n + f.count, 0) };
}

/** Layout of a topic from ts_xml metadata (salmock). */
export function layoutFromMeta(meta: Pick<TopicMeta, 'topic' | 'fields'>): SalLayout {
  return makeLayout(
    meta.topic,
    meta.fields.map((f) => ({ name: f.name, type: f.avroType, count: f.count, array: f.array })),
  );
}

const PRIMITIVES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/**
 * Layout of a topic from its registered Avro schema (saltransform): the fields after the EFD fields;
 * arrays take their length from `sal_count` (written by salschema).
 */
export function layoutFromAvro(schema: { name?: string; fields?: unknown[] }, topic = schema.name ?? '?'): SalLayout {
  const fields: SalField[] = [];
  for (const raw of schema.fields ?? []) {
    const f = raw as { name: string; type: unknown; sal_count?: unknown };
    if (EFD_RECORD_FIELDS.has(f.name)) continue;
    const t = f.type as string | { type?: string; items?: unknown; logicalType?: string };
    if (typeof t === 'string' && PRIMITIVES.has(t)) {
      fields.push({ name: f.name, type: t as AvroPrimitive, count: 1, array: false });
    } else if (typeof t === 'object' && t.type === 'array' && typeof t.items === 'string' && PRIMITIVES.has(t.items)) {
      const count = Number(f.sal_count);
      if (!Number.isInteger(count) || count < 1) {
        throw new SalTextError(
          'schema',
          `schema of ${topic}: array field ${f.name} has no sal_count, so its length in SAL text is unknown; register schemas made by efd salschema`,
          topic,
        );
      }
      fields.push({ name: f.name, type: t.items as AvroPrimitive, count, array: true });
    } else if (typeof t === 'object' && (t.type === 'long' || t.type === 'int') && t.logicalType) {
      fields.push({ name: f.name, type: t.type, count: 1, array: false });
    } else {
      throw new SalTextError(
        'schema',
        `schema of ${topic}: field ${f.name} has type ${JSON.stringify(t)}, which SAL text cannot carry`,
        topic,
      );
    }
  }
  return makeLayout(topic, fields);
}

const TOPIC_RE = /^[A-Za-z0-9_]+$/;
/** `:(` as bytes: ends a line's topic and opens its values. */
export const OPEN_BYTES = Buffer.from(':(');

/**
 * The topic name of a line (text before `:(`); throws a syntax error when there is none. Of a record's
 * bytes only the head is decoded (the body is read as bytes by the encoder).
 */
export function salTextTopic(line: string | Buffer): string {
  if (typeof line !== 'string') {
    const i = line.indexOf(OPEN_BYTES);
    return salTextTopic(i > 0 ? line.toString('utf8', 0, i + 2) : line.toString('utf8'));
  }
  const i = line.indexOf(':(');
  const topic = i > 0 ? line.slice(0, i).trim() : '';
  if (!topic || !TOPIC_RE.test(topic)) {
    throw new SalTextError('syntax', `not a SAL text line: expected "<topic>:( values )" at the start, got ${preview(line)}`);
  }
  return topic;
}

function preview(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
/** Milliseconds of the SAL stamps (sal_created, sal_ingested) are numbers within ±2^52. */
export const LONG_LIMIT = 2 ** 52;

const PLAIN_INTEGER = /^[+-]?\d+$/;

/**
 * A long value: a number when it is a safe integer, a bigint beyond (exact over [-2^63, 2^63 − 1]).
 * Throws a plain Error naming the problem: not an integer, out of the long range, or inexact.
 */
export function parseLong(tok: string): number | bigint {
  if (PLAIN_INTEGER.test(tok)) {
    if (tok.length <= 15) return Number(tok); // ≤ 15 digits: a safe integer
    const b = BigInt(tok);
    if (b < LONG_MIN || b > LONG_MAX) {
      throw new Error(
        `${tok} is out of the Avro long range [-2^63, 2^63-1] (an unsigned long long above 2^63-1 cannot be stored: the EFD keeps 64-bit integers signed)`,
      );
    }
    return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
  }
  const n = parseNumber(tok);
  if (!Number.isInteger(n)) throw new Error(`${preview(tok)} is not an integer`);
  if (!Number.isSafeInteger(n)) throw new Error(`${tok} is beyond ±(2^53-1) in a form read as a double: write it as plain digits`);
  return n;
}

/** Space, tab, newline or carriage return (a character code or byte). */
export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Cursor over the value list of one line. */
export class Cursor {
  pos: number;
  constructor(
    readonly s: string,
    start: number,
    readonly close: number,
  ) {
    this.pos = start;
  }
  skipSpace(): void {
    const s = this.s;
    while (this.pos < this.close && isSpace(s.charCodeAt(this.pos))) this.pos++;
  }
  /** Moves past the separator after a value; false when the list ended. */
  next(): boolean {
    this.skipSpace();
    if (this.pos >= this.close) return false;
    if (this.s.charCodeAt(this.pos) !== 44 /* , */) {
      throw new Error(`expected "," after a value at column ${this.pos + 1}, got ${preview(this.s.slice(this.pos, this.pos + 20))}`);
    }
    this.pos++;
    return true;
  }
  atQuote(): boolean {
    this.skipSpace();
    return this.pos < this.close && this.s.charCodeAt(this.pos) === 39;
  }
  /** Reads a quoted string (after atQuote()). */
  quoted(): string {
    const s = this.s;
    let i = this.pos + 1;
    let out = '';
    let from = i;
    for (;;) {
      const j = s.indexOf("'", i);
      if (j === -1 || j >= this.close) throw new Error(`unterminated string starting at column ${this.pos + 1}`);
      if (s.charCodeAt(j + 1) === 39) {
        out += s.slice(from, j + 1);
        i = j + 2;
        from = i;
        continue;
      }
      out += s.slice(from, j);
      this.pos = j + 1;
      return out;
    }
  }
  /** Reads a bare token (number, true, false, null) up to the next "," or the end. */
  bare(): string {
    this.skipSpace();
    const s = this.s;
    let end = s.indexOf(',', this.pos);
    if (end === -1 || end > this.close) end = this.close;
    let stop = end;
    while (stop > this.pos && isSpace(s.charCodeAt(stop - 1))) stop--;
    const tok = s.slice(this.pos, stop);
    this.pos = end;
    return tok;
  }
}

function parseNumber(tok: string): number {
  // Number() accepts '', ' ', hex and binary: only decimal forms are valid here
  const c = tok.charCodeAt(0);
  if (tok.length === 0 || !((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46)) return NaN;
  if (tok.length > 1 && (tok.charCodeAt(1) === 120 || tok.charCodeAt(1) === 88 || tok.charCodeAt(1) === 98 || tok.charCodeAt(1) === 111))
    return NaN;
  return Number(tok);
}

function specialFloat(tok: string): number | undefined {
  switch (tok.toLowerCase()) {
    case 'nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      return undefined;
  }
}

/** Reads one value of `type`; throws a plain Error with the reason (wrapped by the caller). */
export function readValue(cur: Cursor, type: AvroPrimitive): unknown {
  if (type === 'string') {
    if (!cur.atQuote()) throw new Error(`expected a quoted string, got ${preview(cur.bare())}`);
    return cur.quoted();
  }
  if (type === 'bytes') {
    if (cur.atQuote()) return Buffer.from(cur.quoted(), 'utf8');
    const tok = cur.bare();
    const n = parseNumber(tok);
    if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error(`${preview(tok)} is not a byte (0..255) or a quoted string`);
    return Buffer.from([n]);
  }
  if (cur.atQuote()) throw new Error(`expected a ${type}, got a quoted string`);
  const tok = cur.bare();
  switch (type) {
    case 'double':
    case 'float': {
      let n = parseNumber(tok);
      if (Number.isNaN(n)) {
        const sp = specialFloat(tok);
        if (sp === undefined) throw new Error(`${preview(tok)} is not a number`);
        n = sp;
      }
      // a float field holds the float32 nearest to the text (what the Avro float carries)
      return type === 'float' ? Math.fround(n) : n;
    }
    case 'int': {
      const n = parseNumber(tok);
      if (!Number.isInteger(n)) throw new Error(`${preview(tok)} is not an integer`);
      if (n < INT_MIN || n > INT_MAX) throw new Error(`${tok} is out of the int range [-2^31, 2^31-1]`);
      return n;
    }
    case 'long':
      return parseLong(tok);
    case 'boolean':
      if (tok === 'true' || tok === '1') return true;
      if (tok === 'false' || tok === '0') return false;
      throw new Error(`${preview(tok)} is not a boolean (true, false, 1 or 0)`);
    case 'null':
      if (tok === 'null') return null;
      throw new Error(`${preview(tok)} is not null`);
  }
  throw new Error(`unsupported type ${String(type)}`);
}

/** Counts the values of a line, tolerating bad ones (for the error message). */
function countValues(s: string, open: number, close: number): number {
  if (s.slice(open, close).trim() === '') return 0;
  let n = 1;
  let inString = false;
  for (let i = open; i < close; i++) {
    const c = s.charCodeAt(i);
    if (c === 39) inString = !inString;
    else if (c === 44 && !inString) n++;
  }
  return n;
}

function fieldCountError(layout: SalLayout, s: string, open: number, close: number): SalTextError {
  const items = layout.values - SAL_STAMPS.length;
  return new SalTextError(
    'field-count',
    `${layout.topic}: expected ${layout.values} values (${SAL_STAMPS.length} SAL stamps + ${items} item values), got ${countValues(s, open, close)}`,
    layout.topic,
  );
}

/** Value bounds of a line: index after "(" and index of the final ")". */
export function bounds(line: string, topic: string): { open: number; close: number } {
  const open = line.indexOf(':(') + 2;
  let close = line.length - 1;
  while (close >= open && isSpace(line.charCodeAt(close))) close--;
  if (close < open || line.charCodeAt(close) !== 41 /* ) */) {
    throw new SalTextError('syntax', `${topic}: line does not end with ")": ${preview(line.slice(-40))}`, topic);
  }
  return { open, close };
}

/**
 * Parses a line of `layout.topic` into an Avro record (EFD fields first, then items).
 * `kafkaTimestampMs` fills `kafka_timestamp`. Throws {@link SalTextError} (syntax | field-count | bad-value).
 */
export function parseSalText(line: string, layout: SalLayout, kafkaTimestampMs: number): Record<string, unknown> {
  const topic = layout.topic;
  const { open, close } = bounds(line, topic);
  const cur = new Cursor(line, open, close);
  let index = 0;
  let where = 'sal_revcode';
  const read = (type: AvroPrimitive): unknown => {
    if (index > 0 && !cur.next()) throw fieldCountError(layout, line, open, close);
    index++;
    return readValue(cur, type);
  };
  try {
    const rec: Record<string, unknown> = { kafka_timestamp: kafkaTimestampMs };
    rec.sal_revcode = read('string');
    where = 'sal_created';
    rec.sal_created = Math.round((read('double') as number) * 1000);
    where = 'sal_ingested';
    rec.sal_ingested = Math.round((read('double') as number) * 1000);
    where = 'sal_origin';
    rec.sal_origin = read('int');
    where = 'sal_host';
    rec.sal_host = read('int');
    for (const f of layout.fields) {
      if (f.array) {
        const arr = new Array<unknown>(f.count);
        for (let k = 0; k < f.count; k++) {
          where = `${f.name}[${k}]`;
          arr[k] = read(f.type);
        }
        rec[f.name] = arr;
      } else {
        where = f.name;
        rec[f.name] = read(f.type);
      }
    }
    for (const stamp of [rec.sal_created as number, rec.sal_ingested as number]) {
      if (!Number.isFinite(stamp) || Math.abs(stamp) > LONG_LIMIT) {
        throw new SalTextError('bad-value', `${topic}: sal_created and sal_ingested must be Unix seconds (finite, within ±2^52 ms)`, topic);
      }
    }
    cur.skipSpace();
    if (cur.pos < close) throw fieldCountError(layout, line, open, close);
    return rec;
  } catch (err) {
    if (err instanceof SalTextError) throw err;
    // a value missing (or extra) in the middle shows up as a type error further on: name the real cause
    const unterminated = (err as Error).message.startsWith('unterminated');
    if (!unterminated && countValues(line, open, close) !== layout.values) throw fieldCountError(layout, line, open, close);
    const type = where.startsWith('sal_') ? '' : `, ${layout.fields.find((f) => where === f.name || where.startsWith(`${f.name}[`))?.type}`;
    throw new SalTextError('bad-value', `${topic}: value ${index} (${where}${type}): ${(err as Error).message}`, topic);
  }
}

/**
 * Shortest decimal that reads back (through a double, then float32) as the same float32 — how a C
 * writer prints a float, and 6–9 digits instead of a double's 17.
 */
export function float32Text(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  for (let p = 6; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return s;
  }
  return v.toPrecision(9);
}

function formatValue(v: unknown, type: AvroPrimitive): string {
  switch (type) {
    case 'string':
      return `'${String(v).replace(/'/g, "''")}'`;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bytes': {
      const b = v as Buffer;
      return b.length === 1 ? String(b[0]) : `'${b.toString('utf8').replace(/'/g, "''")}'`;
    }
    case 'null':
      return 'null';
    case 'float':
      return float32Text(v as number);
    default: {
      const n = v as number;
      if (Number.isNaN(n)) return 'nan';
      if (n === Infinity) return 'inf';
      if (n === -Infinity) return '-inf';
      return String(n);
    }
  }
}

/** The five stamps of a record as SAL text (milliseconds written as Unix seconds). */
export function formatSalStamps(rec: Record<string, unknown>): string {
  return `${formatValue(rec.sal_revcode, 'string')}, ${(rec.sal_created as number) / 1000}, ${(rec.sal_ingested as number) / 1000}, ${rec.sal_origin}, ${rec.sal_host}`;
}

/** The item values of a record as SAL text (arrays flattened), '' when the topic has no items. */
export function formatSalItems(layout: SalLayout, rec: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const f of layout.fields) {
    const v = rec[f.name];
    if (f.array) {
      const arr = v as unknown[];
      for (let k = 0; k < f.count; k++) parts.push(formatValue(arr[k], f.type));
    } else {
      parts.push(formatValue(v, f.type));
    }
  }
  return parts.join(', ');
}

/** Assembles a line from its parts. */
export function salTextLine(topic: string, stamps: string, items: string): string {
  return items ? `${topic}:( ${stamps}, ${items} )` : `${topic}:( ${stamps} )`;
}

/**
 * Writes a record as a SAL text line (the inverse of {@link parseSalText}; `kafka_timestamp` is not
 * part of the line). Stamps in the record are milliseconds, written as Unix seconds.
 */
export function formatSalText(layout: SalLayout, rec: Record<string, unknown>): string {
  return salTextLine(layout.topic, formatSalStamps(rec), formatSalItems(layout, rec));
}
