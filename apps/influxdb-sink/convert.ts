/**
 * Avro record (Confluent wire format) → one InfluxDB point in line protocol.
 *
 *  - measurement: the topic name (seed 002: one measurement per topic, named after it), optionally
 *    with a prefix stripped;
 *  - fields: every value field; Avro int/long → integer (`i`), float/double → float, boolean,
 *    string, enum → its symbol as a string, bytes/fixed → UTF-8 string (trailing NULs dropped);
 *    arrays → `name0..nameN` (seed 002); nested records and maps → `name.sub`; null → no field;
 *    NaN/±Infinity → no field (InfluxDB refuses them; counted); -0 → `-0` (stored as -0);
 *  - a field named `time` → none (InfluxDB refuses it as a field key; `--timestamp-field time` makes it the point's time);
 *  - tags: the configured record fields (as strings; not written as fields), plus static tags;
 *  - time: the configured field (default `sal_created`, the SAL creation time; apps/lib/sal/avro.ts
 *    EFD_FIELDS) — Date, integer epoch (unit by magnitude or configured) or float epoch seconds (SAL's
 *    private_sndStamp style) — else the Kafka record timestamp, or a rejection. Written with
 *    microsecond precision.
 *
 * Compiled once per schema id: a list of emitters built from the avsc Type (field keys made once,
 * as bytes), so the per-record work is a decode plus bytes written into one reused LineWriter and a
 * single string taken from it (line-protocol.ts).
 */
import type { Type } from 'avsc';
import { WIRE_HEADER_BYTES } from '../lib/registry';
import { type Chunk, chunk, escapeKey, escapeMeasurement, LineWriter } from './line-protocol';

/** Why a record cannot become a point; `reason` is the dead-letter header value's code. */
export class ConversionError extends Error {
  constructor(
    readonly reason: 'not-avro' | 'unknown-schema' | 'decode-failed' | 'null-value' | 'no-fields' | 'bad-timestamp' | 'bad-value',
    message: string,
  ) {
    super(message);
    this.name = 'ConversionError';
  }
}

export type TimestampUnit = 'auto' | 's' | 'ms' | 'us' | 'ns';

export interface PointOptions {
  /** Record fields written as tags. */
  tags?: string[];
  /** Tags added to every point. */
  staticTags?: Record<string, string>;
  /** Field holding the point time. @default 'sal_created' */
  timestampField?: string;
  /** Unit of integer timestamps; `auto` guesses from the magnitude. @default 'auto' */
  timestampUnit?: TimestampUnit;
  /** When the field is missing or null: use the Kafka timestamp, or reject the record. @default 'kafka' */
  missingTimestamp?: 'kafka' | 'reject';
  /** Prefix removed from topic names to make the measurement. @default none */
  stripPrefix?: string;
}

/**
 * Writes a value as fields into the line: `,<key>=<value>` for each field (key = the field's
 * escaped name, `,`/`=` included, from {@link Key}).
 */
type Emit = (v: unknown, w: LineWriter, key: Key, stats: ConvertStats) => void;

export interface ConvertStats {
  /** Fields dropped because InfluxDB cannot store them (NaN, ±Infinity). */
  droppedFields: number;
}

interface AvscLike {
  typeName: string;
  fields?: { name: string; type: AvscLike }[];
  itemsType?: AvscLike;
  valuesType?: AvscLike;
  types?: AvscLike[];
  underlyingType?: AvscLike;
  name?: string;
  branchName?: string;
}

/**
 * A field key: its escaped text and the bytes `,<text>=`, with the keys under it (array items
 * `<text>0…`, record and map members `<text>.<sub>`) made once and kept.
 */
class Key {
  readonly field: Chunk;
  private items: Key[] | undefined;
  private subs: Map<string, Key> | undefined;

  constructor(readonly text: string) {
    this.field = chunk(`,${text}=`);
  }

  item(i: number): Key {
    const items = (this.items ??= []);
    return items[i] ?? (items[i] = new Key(`${this.text}${i}`));
  }

  /** `sub` escaped; at most MAX_SUBS are kept (map keys are data). */
  sub(sub: string): Key {
    const subs = (this.subs ??= new Map());
    let k = subs.get(sub);
    if (k === undefined) {
      k = new Key(`${this.text}.${escapeKey(sub)}`);
      if (subs.size < MAX_SUBS) subs.set(sub, k);
    }
    return k;
  }
}

const MAX_SUBS = 10_000;

function bytesToString(b: Buffer): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.toString('utf8', 0, end);
}

function bad(key: Key, v: unknown, what: string): ConversionError {
  return new ConversionError(
    'bad-value',
    `field ${key.text}: expected ${what}, got ${typeof v === 'object' ? JSON.stringify(v)?.slice(0, 60) : String(v)}`,
  );
}

const emitInt: Emit = (v, w, k) => {
  if (v === null || v === undefined) return;
  if (typeof v !== 'number' && typeof v !== 'bigint') throw bad(k, v, 'an integer');
  const at = w.length;
  w.chunk(k.field);
  if (!w.int(v)) {
    w.truncate(at);
    throw bad(k, v, 'an integer');
  }
  w.byte(105); // i
};

const emitFloat: Emit = (v, w, k, stats) => {
  if (v === null || v === undefined) return;
  if (typeof v !== 'number') throw bad(k, v, 'a number');
  if (v - v !== 0) {
    stats.droppedFields++; // NaN, ±Infinity
    return;
  }
  w.chunk(k.field);
  w.float(v);
};

const emitBool: Emit = (v, w, k) => {
  if (v === null || v === undefined) return;
  w.chunk(k.field);
  w.chunk(v ? TRUE : FALSE);
};

const TRUE = chunk('true');
const FALSE = chunk('false');

const emitString: Emit = (v, w, k) => {
  if (v === null || v === undefined) return;
  w.chunk(k.field);
  w.quoted(String(v));
};

const emitBytes: Emit = (v, w, k) => {
  if (v === null || v === undefined) return;
  w.chunk(k.field);
  w.quoted(Buffer.isBuffer(v) ? bytesToString(v) : String(v));
};

const emitDate: Emit = (v, w, k, stats) => {
  if (v === null || v === undefined) return;
  emitInt(v instanceof Date ? v.getTime() : v, w, k, stats);
};

/** By JS type, for unions of several non-null branches. */
const emitDynamic: Emit = (v, w, k, stats) => {
  if (v === null || v === undefined) return;
  if (typeof v === 'number') return emitFloat(v, w, k, stats);
  if (typeof v === 'bigint') return emitInt(v, w, k, stats);
  if (typeof v === 'boolean') return emitBool(v, w, k, stats);
  if (typeof v === 'string') return emitString(v, w, k, stats);
  if (Buffer.isBuffer(v)) return emitBytes(v, w, k, stats);
  if (v instanceof Date) return emitDate(v, w, k, stats);
  if (Array.isArray(v)) return v.forEach((x, i) => emitDynamic(x, w, k.item(i), stats));
  if (typeof v === 'object') {
    for (const [sub, x] of Object.entries(v as Record<string, unknown>)) emitDynamic(x, w, k.sub(sub), stats);
  }
};

function emitterFor(t: AvscLike): Emit {
  const name = t.typeName;
  if (name === 'int' || name === 'long' || name === 'abstract:long') return emitInt; // abstract: the exact 64-bit long
  if (name === 'float' || name === 'double') return emitFloat;
  if (name === 'boolean') return emitBool;
  if (name === 'string' || name === 'enum') return emitString;
  if (name === 'bytes' || name === 'fixed') return emitBytes;
  if (name === 'null') return () => undefined;
  if (name.startsWith('logical:')) {
    const under = t.underlyingType ? emitterFor(t.underlyingType) : emitDynamic;
    return (v, w, k, stats) => (v instanceof Date ? emitDate(v, w, k, stats) : under(v, w, k, stats));
  }
  if (name === 'array') {
    const item = emitterFor(t.itemsType as AvscLike);
    return (v, w, k, stats) => {
      if (v === null || v === undefined) return;
      if (!Array.isArray(v)) throw bad(k, v, 'an array');
      for (let i = 0; i < v.length; i++) item(v[i], w, k.item(i), stats);
    };
  }
  if (name === 'map') {
    const item = emitterFor(t.valuesType as AvscLike);
    return (v, w, k, stats) => {
      if (v === null || v === undefined) return;
      for (const [sub, x] of Object.entries(v as Record<string, unknown>)) item(x, w, k.sub(sub), stats);
    };
  }
  if (name === 'record' || name === 'error') {
    const fields = (t.fields ?? []).map((f) => ({ name: f.name, emit: emitterFor(f.type) }));
    return (v, w, k, stats) => {
      if (v === null || v === undefined) return;
      const r = v as Record<string, unknown>;
      for (const f of fields) f.emit(r[f.name], w, k.sub(f.name), stats);
    };
  }
  if (name === 'union:unwrapped') {
    const branches = (t.types ?? []).filter((b) => b.typeName !== 'null');
    return branches.length === 1 ? emitterFor(branches[0]) : emitDynamic;
  }
  if (name === 'union:wrapped') {
    const byBranch = new Map((t.types ?? []).map((b) => [b.branchName ?? b.name ?? b.typeName, emitterFor(b)]));
    return (v, w, k, stats) => {
      if (v === null || v === undefined) return;
      const [branch, inner] = Object.entries(v as Record<string, unknown>)[0] ?? [];
      (byBranch.get(branch as string) ?? emitDynamic)(inner, w, k, stats);
    };
  }
  return emitDynamic;
}

/** Writes microseconds since the epoch from a timestamp value; false (nothing written) when it is none. */
function writeMicros(w: LineWriter, v: unknown, unit: TimestampUnit): boolean {
  if (v instanceof Date) {
    const ms = v.getTime();
    if (!Number.isFinite(ms)) return false;
    w.int(ms);
    w.chunk(ZEROS3);
    return true;
  }
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return false;
  let u = unit;
  if (u === 'auto') {
    if (!Number.isInteger(v)) u = 's';
    else if (v >= 1e17) u = 'ns';
    else if (v >= 1e14) u = 'us';
    else if (v >= 1e11) u = 'ms';
    else u = 's';
  }
  switch (u) {
    case 'ns':
      w.int(Math.round(v / 1000));
      break;
    case 'us':
      w.int(Math.round(v));
      break;
    case 'ms':
      if (Number.isInteger(v)) {
        w.int(v);
        w.chunk(ZEROS3);
      } else w.int(Math.round(v * 1000));
      break;
    default:
      w.int(Math.round(v * 1e6));
  }
  return true;
}

const ZEROS3 = chunk('000');
const micros = new LineWriter();

/** Microseconds since the epoch (as a string) from a timestamp value. */
export function toMicros(v: unknown, unit: TimestampUnit): string | undefined {
  return writeMicros(micros, v, unit) ? micros.take() : undefined;
}

/** A compiled point writer for one schema. */
export interface CompiledSchema {
  /** Line for a decoded record (throws ConversionError). */
  line(record: Record<string, unknown>, measurement: string, kafkaTimestampMs: string, stats: ConvertStats): string;
}

/** The line being written (conversion is synchronous: one is enough). */
const writer = new LineWriter();

export function compileSchema(type: Type, opts: PointOptions = {}): CompiledSchema {
  const t = type as unknown as AvscLike;
  if (t.typeName !== 'record') throw new ConversionError('bad-value', `schema is a ${t.typeName}, expected an Avro record`);
  const tagNames = new Set(opts.tags ?? []);
  const tsField = opts.timestampField ?? 'sal_created';
  const unit = opts.timestampUnit ?? 'auto';
  const rejectMissing = opts.missingTimestamp === 'reject';
  const staticTags = Object.entries(opts.staticTags ?? {}).map(([k, v]) => `${escapeKey(k)}=${escapeKey(v)}`);
  // InfluxDB refuses a field named `time` (it is the point's time): such a field, as the aggregated
  // topics' window start, is only written as the time (with --timestamp-field time) or not at all
  const fields = (t.fields ?? [])
    .filter((f) => !tagNames.has(f.name) && f.name !== 'time')
    .map((f) => ({ name: f.name, key: new Key(escapeKey(f.name)), emit: emitterFor(f.type) }));
  const tagFields = (t.fields ?? []).filter((f) => tagNames.has(f.name)).map((f) => ({ name: f.name, key: escapeKey(f.name) }));
  const hasTags = staticTags.length > 0 || tagFields.length > 0;
  const hasTsField = (t.fields ?? []).some((f) => f.name === tsField);
  const w = writer;

  const tagsOf = (record: Record<string, unknown>): string => {
    const tags = [...staticTags];
    for (const f of tagFields) {
      const v = record[f.name];
      if (v === null || v === undefined) continue;
      const s = Buffer.isBuffer(v) ? bytesToString(v) : String(v);
      if (s !== '') tags.push(`${f.key}=${escapeKey(s)}`);
    }
    if (tags.length > 1) tags.sort();
    return tags.length ? `,${tags.join(',')}` : '';
  };

  const write = (record: Record<string, unknown>, measurement: string, kafkaTimestampMs: string, stats: ConvertStats): string => {
    w.text(measurement);
    if (hasTags) w.text(tagsOf(record));
    // each field starts with `,`: the first one's becomes the space between tags and fields
    const fieldsAt = w.length;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      f.emit(record[f.name], w, f.key, stats);
    }
    if (w.length === fieldsAt) throw new ConversionError('no-fields', 'record has no field InfluxDB can store (all null, NaN or empty)');
    w.setByte(fieldsAt, 32);
    w.byte(32);
    const raw = hasTsField ? record[tsField] : undefined;
    if (raw !== null && raw !== undefined) {
      if (!writeMicros(w, raw, unit))
        throw new ConversionError('bad-timestamp', `timestamp field ${tsField} holds ${String(raw)}, not an epoch time`);
    } else if (rejectMissing) {
      throw new ConversionError('bad-timestamp', `timestamp field ${tsField} is missing or null`);
    } else {
      w.text(kafkaTimestampMs);
      w.chunk(ZEROS3);
    }
    return w.take();
  };

  return {
    line(record, measurement, kafkaTimestampMs, stats) {
      try {
        return write(record, measurement, kafkaTimestampMs, stats);
      } catch (err) {
        w.reset();
        throw err;
      }
    },
  };
}

/** Schema id of a Confluent-framed value; throws ConversionError otherwise. */
export function schemaIdOf(value: Buffer | null): number {
  if (value === null || value.length === 0) throw new ConversionError('null-value', 'record value is null (tombstone) or empty');
  if (value.length < WIRE_HEADER_BYTES || value[0] !== 0) {
    throw new ConversionError(
      'not-avro',
      `value is not in the Confluent wire format (magic byte 0 + schema id), starts with ${value.subarray(0, 5).toString('hex')}`,
    );
  }
  return value.readUInt32BE(1);
}

export interface Converter {
  /** Loads (and compiles) the schemas of these ids; unknown ids are remembered as failures. */
  prepare(ids: Iterable<number>): Promise<void>;
  /** One record → one line (throws ConversionError). Schemas must have been prepared. */
  convert(topic: string, value: Buffer | null, kafkaTimestampMs: string): string;
  readonly stats: ConvertStats;
}

/**
 * A converter over a schema source (the registry client's cached `type(id)`). A schema id the
 * registry does not know (404) rejects its records; other registry failures propagate (transient:
 * the batch is retried, never dead-lettered).
 */
export function createConverter(schemas: { type(id: number): Promise<Type> }, opts: PointOptions = {}): Converter {
  const compiled = new Map<number, { schema: CompiledSchema; decode: (b: Buffer) => Record<string, unknown> } | ConversionError>();
  const measurements = new Map<string, string>();
  const strip = opts.stripPrefix ?? '';
  const stats: ConvertStats = { droppedFields: 0 };
  const measurementOf = (topic: string) => {
    let m = measurements.get(topic);
    if (m === undefined) {
      m = escapeMeasurement(strip && topic.startsWith(strip) && topic.length > strip.length ? topic.slice(strip.length) : topic);
      measurements.set(topic, m);
    }
    return m;
  };
  return {
    stats,
    async prepare(ids) {
      for (const id of ids) {
        if (compiled.has(id)) continue;
        try {
          const type = await schemas.type(id);
          compiled.set(id, { schema: compileSchema(type, opts), decode: (b) => type.fromBuffer(b) as Record<string, unknown> });
        } catch (err) {
          const e = err as { status?: number; message?: string };
          if (err instanceof ConversionError) compiled.set(id, err);
          else if (e.status === 404)
            compiled.set(id, new ConversionError('unknown-schema', `schema id ${id} is not in the schema registry`));
          else throw err;
        }
      }
    },
    convert(topic, value, kafkaTimestampMs) {
      const id = schemaIdOf(value);
      const c = compiled.get(id);
      if (c === undefined) throw new Error(`schema id ${id} was not prepared`);
      if (c instanceof ConversionError) throw c;
      let record: Record<string, unknown>;
      try {
        record = c.decode((value as Buffer).subarray(WIRE_HEADER_BYTES));
      } catch (err) {
        throw new ConversionError('decode-failed', `Avro decode with schema id ${id} failed: ${(err as Error).message}`);
      }
      return c.schema.line(record, measurementOf(topic), kafkaTimestampMs, stats);
    },
  };
}
