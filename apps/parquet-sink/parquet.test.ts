/** Avro → Parquet, read back by an independent reader (DuckDB): columns, types and values. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { avroType } from '../lib/avro-type';
import { encodeParquet, parquetPlan, parquetRow, UnsupportedSchemaError } from './parquet';

const schema = {
  type: 'record',
  name: 'ATDome_position',
  namespace: 'lsst.sal',
  fields: [
    { name: 'sal_created', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'salIndex', type: 'int' },
    { name: 'azimuth', type: 'double' },
    { name: 'ratio', type: 'float' },
    { name: 'counter', type: 'long' },
    { name: 'inPosition', type: 'boolean' },
    { name: 'mode', type: { type: 'enum', name: 'Mode', symbols: ['IDLE', 'MOVING'] } },
    { name: 'label', type: 'string' },
    { name: 'raw', type: 'bytes' },
    { name: 'torque', type: { type: 'array', items: 'double' } },
    { name: 'maybe', type: ['null', 'double'], default: null },
    { name: 'stats', type: ['null', { type: 'array', items: ['null', 'double'] }], default: null },
  ],
};

const values = [
  {
    sal_created: Date.UTC(2026, 0, 9, 7, 1, 2, 345),
    salIndex: 1,
    azimuth: 12.5,
    ratio: 0.25,
    counter: 2n ** 60n + 7n,
    inPosition: true,
    mode: 'MOVING',
    label: 'héllo',
    raw: Buffer.from([0, 255]),
    torque: [1.5, -2, 3],
    maybe: null,
    stats: [1, null, 3],
  },
  {
    sal_created: Date.UTC(2026, 0, 9, 7, 1, 3),
    salIndex: 2,
    azimuth: NaN,
    ratio: -1,
    counter: -5,
    inPosition: false,
    mode: 'IDLE',
    label: '',
    raw: Buffer.alloc(0),
    torque: [],
    maybe: 4.25,
    stats: null,
  },
];

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-test-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function query(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql.replace('$F', `'${file}'`))).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    c.closeSync();
  }
}

describe('Avro record → Parquet (parquetjs), read back with DuckDB', () => {
  it('maps every SAL field type to its column type and keeps the values', async () => {
    const type = avroType(schema);
    // through Avro bytes, as the sink decodes them (exact longs)
    const decoded = values.map((v) => type.fromBuffer(type.toBuffer(v)) as Record<string, unknown>);
    const plan = parquetPlan(schema, 'GZIP');
    const body = await encodeParquet(
      plan,
      decoded.map((v) => parquetRow(plan, v)),
      { metadata: { 'efd.schema_id': '42' } },
    );
    const file = path.join(dir, 'a.parquet');
    fs.writeFileSync(file, body);

    const cols = await query(file, 'DESCRIBE SELECT * FROM $F');
    expect(Object.fromEntries(cols.map((c) => [c.column_name, c.column_type]))).toEqual({
      sal_created: 'TIMESTAMP',
      salIndex: 'INTEGER',
      azimuth: 'DOUBLE',
      ratio: 'FLOAT',
      counter: 'BIGINT',
      inPosition: 'BOOLEAN',
      mode: 'VARCHAR',
      label: 'VARCHAR',
      raw: 'BLOB',
      torque: 'DOUBLE[]',
      maybe: 'DOUBLE',
      stats: 'DOUBLE[]',
    });
    const rows = await query(
      file,
      'SELECT epoch_ms(sal_created) AS t, salIndex, azimuth, ratio, counter::VARCHAR AS counter, inPosition, mode, label, hex(raw) AS raw, torque, maybe, stats FROM $F ORDER BY salIndex',
    );
    expect(rows).toEqual([
      {
        t: String(Date.UTC(2026, 0, 9, 7, 1, 2, 345)),
        salIndex: 1,
        azimuth: 12.5,
        ratio: 0.25,
        counter: String(2n ** 60n + 7n),
        inPosition: true,
        mode: 'MOVING',
        label: 'héllo',
        raw: '00FF',
        torque: [1.5, -2, 3],
        maybe: null,
        stats: [1, null, 3],
      },
      {
        t: String(Date.UTC(2026, 0, 9, 7, 1, 3)),
        salIndex: 2,
        azimuth: 'NaN',
        ratio: -1,
        counter: '-5',
        inPosition: false,
        mode: 'IDLE',
        label: '',
        raw: '',
        torque: [],
        maybe: 4.25,
        stats: null,
      },
    ]);
    const meta = await query(
      file,
      "SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata($F) WHERE decode(key) LIKE 'efd.%' OR decode(key) = 'avro.schema'",
    );
    expect(Object.fromEntries(meta.map((m) => [m.k, m.v]))).toEqual({ 'efd.schema_id': '42', 'avro.schema': JSON.stringify(schema) });
    const codecs = await query(file, 'SELECT DISTINCT compression FROM parquet_metadata($F)');
    expect(codecs).toEqual([{ compression: 'GZIP' }]);
  });

  it('refuses what has no Parquet column, naming the field', () => {
    const rec = (type: unknown) => ({ type: 'record', name: 'T', fields: [{ name: 'f', type }] });
    expect(() => parquetPlan(rec({ type: 'map', values: 'int' }))).toThrow(UnsupportedSchemaError);
    expect(() => parquetPlan(rec({ type: 'map', values: 'int' }))).toThrow('field T.f: type "map"');
    expect(() => parquetPlan(rec(['int', 'string']))).toThrow('field T.f: union ["int","string"] is not ["null", T]');
    expect(() => parquetPlan(rec({ type: 'array', items: { type: 'array', items: 'int' } }))).toThrow('field T.f[]');
    expect(() => parquetPlan('string')).toThrow('schema is not an Avro record');
  });
});
