/**
 * Avro records → Parquet files, with @dsnp/parquetjs (pure JavaScript: bundles into the app image
 * with no native or WebAssembly part, and writes standard 3-level LISTs that DuckDB and pyarrow read
 * as lists).
 *
 * Field mapping (one column per top-level field of the record schema):
 *   boolean → BOOLEAN, int → INT32, long → INT64 (exact 64-bit), float → FLOAT, double → DOUBLE,
 *   string and enum → UTF8, bytes → BYTE_ARRAY, long with logicalType timestamp-millis/-micros →
 *   TIMESTAMP_MILLIS/_MICROS, `["null", T]` → optional T, array of T (T itself nullable or not) →
 *   LIST of T. Nested records, maps, fixed, arrays of arrays and unions of two non-null types are
 *   refused ({@link UnsupportedSchemaError}: the records go to the dead-letter topic).
 * The Avro schema and its registry id are kept in the file's key-value metadata (`avro.schema`,
 * `efd.schema_id`).
 */
import { Writable } from 'node:stream';
import { ParquetSchema, ParquetWriter } from '@dsnp/parquetjs';

export class UnsupportedSchemaError extends Error {}

/** Column compression (parquetjs sets it per column; Brotli is left out: it loads a WebAssembly module). */
export type Compression = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP';
export const COMPRESSIONS: readonly Compression[] = ['UNCOMPRESSED', 'SNAPPY', 'GZIP'];

type Leaf = 'BOOLEAN' | 'INT32' | 'INT64' | 'FLOAT' | 'DOUBLE' | 'UTF8' | 'BYTE_ARRAY' | 'TIMESTAMP_MILLIS' | 'TIMESTAMP_MICROS';

/** How one Avro field becomes a column, and how its values convert. */
interface Column {
  name: string;
  leaf: Leaf;
  optional: boolean;
  /** A LIST column; `elementOptional`: its items may be null. */
  list: boolean;
  elementOptional: boolean;
}

export interface ParquetPlan {
  columns: Column[];
  schema: ParquetSchema;
  /** The Avro schema as JSON text (file metadata). */
  avro: string;
}

const PRIMITIVE: Record<string, Leaf> = {
  boolean: 'BOOLEAN',
  int: 'INT32',
  long: 'INT64',
  float: 'FLOAT',
  double: 'DOUBLE',
  string: 'UTF8',
  bytes: 'BYTE_ARRAY',
};

type AvroSchemaNode = string | { type: unknown; logicalType?: string; items?: unknown; symbols?: unknown } | unknown[];

/** `["null", T]` or `[T, "null"]` → [T, true]; anything else → [s, false]. */
function unwrapNullable(s: AvroSchemaNode, where: string): [AvroSchemaNode, boolean] {
  if (!Array.isArray(s)) return [s, false];
  const others = s.filter((b) => b !== 'null');
  if (others.length !== 1 || s.length !== 2)
    throw new UnsupportedSchemaError(`${where}: union ${JSON.stringify(s)} is not ["null", T]; only nullable single types map to Parquet`);
  return [others[0] as AvroSchemaNode, true];
}

function leafOf(s: AvroSchemaNode, where: string): Leaf {
  if (typeof s === 'string') {
    const p = PRIMITIVE[s];
    if (p) return p;
    throw new UnsupportedSchemaError(`${where}: type "${s}" (a named type reference) does not map to a Parquet column`);
  }
  if (Array.isArray(s)) throw new UnsupportedSchemaError(`${where}: nested union ${JSON.stringify(s)}`);
  if (s.type === 'long' && s.logicalType === 'timestamp-millis') return 'TIMESTAMP_MILLIS';
  if (s.type === 'long' && s.logicalType === 'timestamp-micros') return 'TIMESTAMP_MICROS';
  if (s.type === 'enum') return 'UTF8';
  if (typeof s.type === 'string' && PRIMITIVE[s.type]) return PRIMITIVE[s.type];
  throw new UnsupportedSchemaError(
    `${where}: type ${JSON.stringify(s.type)} (records, maps, fixed, nested arrays) does not map to a Parquet column`,
  );
}

/** The Parquet layout of an Avro record schema; throws {@link UnsupportedSchemaError} naming the field. */
export function parquetPlan(avroSchema: unknown, compression: Compression = 'SNAPPY'): ParquetPlan {
  const rec = avroSchema as { type?: string; name?: string; fields?: { name: string; type: AvroSchemaNode }[] };
  if (!rec || rec.type !== 'record' || !Array.isArray(rec.fields))
    throw new UnsupportedSchemaError(`schema is not an Avro record (type ${JSON.stringify(rec?.type)})`);
  const columns: Column[] = rec.fields.map((f) => {
    const where = `field ${rec.name ?? '?'}.${f.name}`;
    const [t, optional] = unwrapNullable(f.type, where);
    if (typeof t === 'object' && !Array.isArray(t) && t.type === 'array') {
      const [item, elementOptional] = unwrapNullable(t.items as AvroSchemaNode, `${where}[]`);
      return { name: f.name, leaf: leafOf(item, `${where}[]`), optional, list: true, elementOptional };
    }
    return { name: f.name, leaf: leafOf(t, where), optional, list: false, elementOptional: false };
  });
  const def: Record<string, unknown> = {};
  for (const c of columns) {
    def[c.name] = c.list
      ? {
          type: 'LIST',
          optional: c.optional,
          fields: { list: { repeated: true, fields: { element: { type: c.leaf, optional: c.elementOptional, compression } } } },
        }
      : { type: c.leaf, optional: c.optional, compression };
  }
  return { columns, schema: new ParquetSchema(def as ConstructorParameters<typeof ParquetSchema>[0]), avro: JSON.stringify(avroSchema) };
}

function leafValue(v: unknown, leaf: Leaf): unknown {
  if (v === null || v === undefined) return v;
  switch (leaf) {
    case 'TIMESTAMP_MILLIS':
      return new Date(Number(v));
    case 'TIMESTAMP_MICROS':
      return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'INT64':
      return typeof v === 'bigint' ? v : BigInt(v as number);
    default:
      return v;
  }
}

/** One decoded Avro record as a parquetjs row of the plan. */
export function parquetRow(plan: ParquetPlan, value: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of plan.columns) {
    const v = value[c.name];
    if (v === null || v === undefined) {
      row[c.name] = null;
    } else if (c.list) {
      row[c.name] = { list: (v as unknown[]).map((x) => ({ element: leafValue(x, c.leaf) })) };
    } else {
      row[c.name] = leafValue(v, c.leaf);
    }
  }
  return row;
}

/** Writes `rows` (from {@link parquetRow}) as one Parquet file; resolves to its bytes. */
export async function encodeParquet(
  plan: ParquetPlan,
  rows: Record<string, unknown>[],
  opts: { metadata?: Record<string, string>; rowGroupSize?: number } = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  // parquetjs types the stream as an fs.WriteStream, but uses only write/end
  const writer = await ParquetWriter.openStream(plan.schema, out as unknown as Parameters<typeof ParquetWriter.openStream>[1], {
    rowGroupSize: opts.rowGroupSize ?? 50_000,
  });
  writer.setMetadata('avro.schema', plan.avro);
  for (const [k, v] of Object.entries(opts.metadata ?? {})) writer.setMetadata(k, v);
  for (const r of rows) await writer.appendRow(r);
  await writer.close();
  return Buffer.concat(chunks);
}
