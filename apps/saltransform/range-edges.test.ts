/**
 * The edges of every SAL integer range, end to end: salmock's ranges, SAL text → saltransform (one-pass
 * and fallback) → Avro → influxdb-sink line protocol, exact (an `unsigned int` of 2^32 − 1 used to be
 * dead-lettered: its Avro type was int). The 64-bit types are exact over the whole signed 64-bit range
 * (beyond ±(2^53 − 1) as bigints); an `unsigned long long` above 2^63 − 1 has no Avro long and is refused
 * by both paths with the field named, not corrupted.
 */
import { avroType, longValue } from '../lib/avro-type';
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
const type = avroType(schema);
const layout = layoutFromAvro(schema);
const enc = compileSalTextEncoder(layout, schema, 4, type)!;
const wire = wireEncoder(4, type);
const integerFields = meta.fields.filter((f) => IDL_INT_RANGE[f.idlType]);
const wide = integerFields.filter((f) => f.idlType.includes('long long'));

/** Sends a record through both saltransform paths, decodes it and makes its InfluxDB line. */
function endToEnd(rec: Record<string, unknown>): { back: Record<string, unknown>; point: string } {
  expect(type.isValid(rec)).toBe(true);
  const line = formatSalText(layout, rec);
  const slow = wire(parseSalText(line, layout, 1_700_000_000_000));
  expect(enc.fastOnly(Buffer.from(line), 1_700_000_000_000)!.equals(slow)).toBe(true);
  const back = type.fromBuffer(slow.subarray(5)) as Record<string, unknown>;
  const point = compileSchema(type).line(back, 'lsst.sal.Test_scalars', '1', { droppedFields: 0 });
  return { back, point };
}

describe('SAL integer range edges, end to end', () => {
  it('salmock ranges: the IDL ones (unsigned int up to 2^32 − 1), 64-bit in full', () => {
    expect(IDL_INT_RANGE).toEqual({
      short: [-32768n, 32767n],
      'unsigned short': [0n, 65535n],
      int: [-2147483648n, 2147483647n],
      'unsigned int': [0n, 4294967295n],
      long: [-2147483648n, 2147483647n],
      'unsigned long': [0n, 4294967295n],
      'long long': [-(2n ** 63n), 2n ** 63n - 1n],
      'unsigned long long': [0n, 2n ** 63n - 1n],
    });
    expect(integerFields.map((f) => f.idlType)).toEqual([...MULTIBYTE_INTEGER_IDL_TYPES]);
  });

  it.each([0, 1])('every integer at its %s edge arrives exactly in Avro and in the InfluxDB line', (edge) => {
    const rec = recordGenerator(meta, 1)(0, 1_700_000_000_000);
    for (const f of integerFields) rec[f.name] = longValue(IDL_INT_RANGE[f.idlType]![edge]);
    const { back, point } = endToEnd(rec);
    for (const f of integerFields) expect([f.name, BigInt(back[f.name] as number)]).toEqual([f.name, IDL_INT_RANGE[f.idlType]![edge]]);
    for (const f of integerFields) expect(point).toContain(`${f.name}=${IDL_INT_RANGE[f.idlType]![edge]}i`);
  });

  it.each([2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n + 12345n, 2n ** 63n - 2n])(
    '64-bit value %s (and its negative) arrives exactly',
    (v) => {
      for (const sign of [1n, -1n]) {
        const rec = recordGenerator(meta, 1)(0, 1_700_000_000_000);
        for (const f of wide) rec[f.name] = longValue(f.idlType.startsWith('unsigned') ? v : sign * v);
        const { back, point } = endToEnd(rec);
        for (const f of wide) {
          const want = f.idlType.startsWith('unsigned') ? v : sign * v;
          expect([f.name, typeof back[f.name], BigInt(back[f.name] as bigint)]).toEqual([
            f.name,
            want > 2n ** 53n - 1n || want < -(2n ** 53n - 1n) ? 'bigint' : 'number',
            want,
          ]);
          expect(point).toContain(`${f.name}=${want}i`);
        }
      }
    },
  );

  it.each(['9223372036854775808', '18446744073709551615', '-9223372036854775809', '9007199254740993.0', '1e19'])(
    '%s in a 64-bit field is refused by both paths with the field named, not corrupted',
    (bad) => {
      const rec = recordGenerator(meta, 1)(0, 1_700_000_000_000);
      const field = wide[0];
      rec[field.name] = 424242;
      const line = formatSalText(layout, rec).replace(/\b424242\b/, bad);
      expect(line).toContain(bad);
      const slow = (() => {
        try {
          parseSalText(line, layout, 1);
        } catch (err) {
          return err as SalTextError;
        }
        throw new Error('parseSalText accepted it');
      })();
      expect(slow).toBeInstanceOf(SalTextError);
      expect(slow.code).toBe('bad-value');
      expect(slow.message).toContain(`(${field.name}, long)`);
      expect(slow.message).toMatch(/out of the Avro long range|plain digits/);
      expect(() => enc(Buffer.from(line), 1)).toThrow(slow.message);
    },
  );
});
