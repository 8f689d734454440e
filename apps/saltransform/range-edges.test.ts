/**
 * The edges of every SAL integer range, end to end: salmock's ranges, SAL text → saltransform (one-pass
 * and fallback) → Avro → influxdb-sink line protocol, exact (an `unsigned int` of 2^32 − 1 used to be
 * dead-lettered: its Avro type was int). The 64-bit types go as far as avsc encodes numbers exactly (±2^52)
 * and one past it is refused, not corrupted.
 */
import { Type } from 'avsc';
import { wireEncoder } from '../lib/registry';
import { convertTopics } from '../lib/sal/convert';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { loadTsXmlFolder, MULTIBYTE_INTEGER_IDL_TYPES } from '../lib/sal/ts-xml';
import { IDL_INT_RANGE, recordGenerator } from '../lib/sal/values';
import { compileSchema } from '../influxdb-sink/convert';
import { compileSalTextEncoder } from './fast-encode';
import { formatSalText, layoutFromAvro, parseSalText, SalTextError } from '../lib/sal/sal-text';

const meta = loadTopicMetadata(CURRENT_DIR).topics.find((t) => t.topic === 'Test_scalars')!;
const schema = convertTopics(loadTsXmlFolder(CURRENT_DIR).topics).schemas.get('Test_scalars') as never;
const type = Type.forSchema(schema);
const layout = layoutFromAvro(schema);
const enc = compileSalTextEncoder(layout, schema, 4, type)!;
const wire = wireEncoder(4, type);
const integerFields = meta.fields.filter((f) => IDL_INT_RANGE[f.idlType]);

describe('SAL integer range edges, end to end', () => {
  it('salmock ranges: the IDL ones (unsigned int up to 2^32 − 1), 64-bit capped at ±2^52', () => {
    expect(IDL_INT_RANGE).toEqual({
      short: [-32768, 32767],
      'unsigned short': [0, 65535],
      int: [-2147483648, 2147483647],
      'unsigned int': [0, 4294967295],
      long: [-2147483648, 2147483647],
      'unsigned long': [0, 4294967295],
      'long long': [-(2 ** 52), 2 ** 52],
      'unsigned long long': [0, 2 ** 52],
    });
    expect(integerFields.map((f) => f.idlType)).toEqual([...MULTIBYTE_INTEGER_IDL_TYPES]);
  });

  it.each([0, 1])('every integer at its %s edge arrives exactly in Avro and in the InfluxDB line', (edge) => {
    const rec = recordGenerator(meta, 1)(0, 1_700_000_000_000);
    for (const f of integerFields) rec[f.name] = IDL_INT_RANGE[f.idlType]![edge];
    expect(type.isValid(rec)).toBe(true);
    const line = formatSalText(layout, rec);
    const slow = wire(parseSalText(line, layout, 1_700_000_000_000));
    expect(enc.fastOnly(Buffer.from(line), 1_700_000_000_000)!.equals(slow)).toBe(true);
    const back = type.fromBuffer(slow.subarray(5)) as Record<string, unknown>;
    for (const f of integerFields) expect([f.name, back[f.name]]).toEqual([f.name, IDL_INT_RANGE[f.idlType]![edge]]);
    const point = compileSchema(type).line(back, 'lsst.sal.Test_scalars', '1', { droppedFields: 0 });
    for (const f of integerFields) expect(point).toContain(`${f.name}=${IDL_INT_RANGE[f.idlType]![edge]}i`);
  });

  it('one past the exact range of a 64-bit field is refused by both paths, not corrupted', () => {
    const rec = recordGenerator(meta, 1)(0, 1_700_000_000_000);
    const line = formatSalText(layout, rec).replace(/, (-?\d+), (\d+), (-?[\d.e+-]+), (-?[\d.e+-]+), '/, `, ${2 ** 52 + 1}, $2, $3, $4, '`);
    expect(line).toContain(String(2 ** 52 + 1));
    expect(() => parseSalText(line, layout, 1)).toThrow(SalTextError);
    expect(() => enc(Buffer.from(line), 1)).toThrow(SalTextError);
  });
});
