import { avroType } from '../lib/avro-type';
import { expectSameBytesOnEveryTopic, expectSameOutcomeOnEditedLines, fast, slow } from './fast-encode-check';
import { CURRENT_DIR, LEGACY_DIR } from '../lib/sal/test-fixtures';
import { compileSalTextEncoder, SalTextEncoder } from './fast-encode';
import { layoutFromAvro, SalTextError } from '../lib/sal/sal-text';

/** The six fields salschema puts first in every schema, as the one-pass encoder expects them. */
const EFD_FIELDS = [
  { name: 'kafka_timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'sal_revcode', type: 'string' },
  { name: 'sal_created', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'sal_ingested', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'sal_origin', type: 'int' },
  { name: 'sal_host', type: 'int' },
];

describe.each([
  ['current', CURRENT_DIR],
  ['legacy', LEGACY_DIR],
])('one-pass encoder on every %s fixture topic', (_n, dir) => {
  it('gives the same bytes as parse + avsc encode', () => {
    expectSameBytesOnEveryTopic(dir);
  });
});

describe('one-pass encoder on hand-written lines', () => {
  const schema = {
    type: 'record',
    name: 'T',
    namespace: 'lsst.sal',
    fields: [
      ...EFD_FIELDS,
      { name: 'd', type: { type: 'array', items: 'double' }, sal_count: 3 },
      { name: 'f', type: 'float' },
      { name: 'i', type: 'int' },
      { name: 'l', type: 'long' },
      { name: 's', type: 'string' },
      { name: 'b', type: 'bytes' },
      { name: 'o', type: 'boolean' },
    ],
  };
  const type = avroType(schema as never);
  const layout = layoutFromAvro(schema);
  const enc = compileSalTextEncoder(layout, schema, 9, type) as SalTextEncoder;
  const line = (d: string, f = '1.5', i = '7', l = '-9', s = "'é''x'", b = '3') =>
    `T:( 'rev', 1553036183.1235, 1553036183.1, -1, 1073741824, ${d}, ${f}, ${i}, ${l}, ${s}, ${b}, true )`;

  it.each([
    ['plain decimals', '1, -2.5, 0.125'],
    ['exponents and signs', '1e3, -2.5E-7, +4e+2'],
    ['leading dot, trailing dot, negative zero', '.5, 5., -0.0'],
    ['17 digits (slow path)', '-162.23641967773438, 12345678901234567, 0.1'],
    ['beyond 10^22 (slow path)', '1e23, 1e-30, 123456789012345678901234'],
    ['nan and inf', 'nan, -inf, Infinity'],
    ['spaces everywhere', '  1 ,2 ,   3  '],
  ])('%s: same bytes as the slow path', (_w, d) => {
    const l = line(d);
    const got = fast(enc, l, 11);
    expect(got).toBeInstanceOf(Buffer);
    expect(got).toEqual(slow(l, layout, type, 9, 11));
  });

  it('big ints and longs, unicode strings, quoted bytes', () => {
    for (const l of [
      line('1, 2, 3', '-0.1', '-2147483648', '4503599627370496', "''", "'ab'"),
      line('1, 2, 3', '3', '2147483647', '-4503599627370496'),
    ]) {
      expect(fast(enc, l, 1)).toEqual(slow(l, layout, type, 9, 1));
    }
  });

  it.each([
    '4503599627370497',
    '9007199254740993',
    '-9007199254740993',
    '9223372036854775807',
    '-9223372036854775808',
    '+0009223372036854775807',
  ])('long %s (beyond ±2^52): on the fast path, exact, same bytes as the slow path', (l) => {
    const text = line('1, 2, 3', '1.5', '7', l, "'s'");
    const want = slow(text, layout, type, 9, 3);
    expect(want).toBeInstanceOf(Buffer);
    expect(enc.fastOnly(Buffer.from(text), 3)).toEqual(want);
    const back = type.fromBuffer((want as Buffer).subarray(5)) as Record<string, unknown>;
    expect(BigInt(back.l as number | bigint)).toBe(BigInt(l));
  });

  it.each(['0', '255', '+7', '1e2', '-0', "'ab'", "''", "'a''b'"])('bytes %s: on the fast path, same bytes as the slow path', (b) => {
    const l = line('1, 2, 3', '1.5', '7', '-9', "'s'", b);
    const want = slow(l, layout, type, 9, 3);
    expect(want).toBeInstanceOf(Buffer);
    expect(enc.fastOnly(Buffer.from(l), 3)).toEqual(want);
  });

  it.each([
    ['field count', line('1, 2')],
    ['byte above 255', line('1, 2, 3', '1', '1', '1', "'s'", '256')],
    ['negative byte', line('1, 2, 3', '1', '1', '1', "'s'", '-1')],
    ['fractional byte', line('1, 2, 3', '1', '1', '1', "'s'", '2.5')],
    ['bad number', line('1, 2, 3x')],
    ['hex', line('1, 2, 0x3')],
    ['int overflow', line('1, 2, 3', '1', '2147483648')],
    ['long overflow', line('1, 2, 3', '1', '1', '9223372036854775808')],
    ['unsigned long long above 2^63 - 1', line('1, 2, 3', '1', '1', '18446744073709551615')],
    ['long below -2^63', line('1, 2, 3', '1', '1', '-9223372036854775809')],
    ['long beyond 2^53 as a double', line('1, 2, 3', '1', '1', '9007199254740993.0')],
    ['fractional int', line('1, 2, 3', '1', '1.5')],
    ['too many', line('1, 2, 3').replace(' )', ', 1 )')],
    ['no close', line('1, 2, 3').slice(0, -1)],
  ])('%s: the same SalTextError as parseSalText', (_w, l) => {
    const f = fast(enc, l, 0);
    const s = slow(l, layout, type, 9, 0);
    expect(f).toBeInstanceOf(SalTextError);
    expect(f).toEqual(s);
    expect((f as SalTextError).message).toBe((s as SalTextError).message);
  });

  it('declines schemas that do not start with the EFD fields', () => {
    const other = { ...schema, fields: [...schema.fields.slice(1), schema.fields[0]] };
    expect(compileSalTextEncoder(layout, other, 1, avroType(other as never))).toBeUndefined();
  });
});

describe('one-pass encoder on numeric arrays (read in WebAssembly, rare forms in JavaScript)', () => {
  const arrays = ['int', 'long', 'float', 'double'].map((t) => ({ name: t[0], type: { type: 'array', items: t }, sal_count: 3 }));
  const schema = { type: 'record', name: 'A', namespace: 'lsst.sal', fields: [...EFD_FIELDS, ...arrays] };
  const type = avroType(schema as never);
  const layout = layoutFromAvro(schema);
  const enc = compileSalTextEncoder(layout, schema, 4, type) as SalTextEncoder;
  const line = (i: string, l: string, f: string, d: string) => `A:( 'rev', 1553036183.1235, 1553036183.1, 1, 2, ${i}, ${l}, ${f}, ${d} )`;

  it.each([
    ['plain values', '1, -2, 3', '4503599627370496, -1, 0', '0.1, -2.5, 3', '0.1, 123456.78901234567, -3'],
    ['forms left to JavaScript', '1e3, 2.0, -0', '12345678901234560e-1, 1.5e1, +4', '1e23, 1e-30, 0.5', '1.23456789012345678901, 1e-30, 7'],
    ['a left value first and last', '1e1, 2, 3e0', '1e1, 2, 3e0', '1e23, 2, 1e23', '1e-30, 2, 1e-30'],
  ])('%s: same bytes as the slow path, without falling back', (_w, i, l, f, d) => {
    const text = line(i, l, f, d);
    const want = slow(text, layout, type, 4, 8);
    expect(want).toBeInstanceOf(Buffer);
    expect(enc.fastOnly(Buffer.from(text), 8)).toEqual(want);
  });

  it.each([
    ['nan in a float array', line('1, 2, 3', '1, 2, 3', '1, nan, 3', '1, 2, 3')],
    ['a fractional int', line('1, 2.5, 3', '1, 2, 3', '1, 2, 3', '1, 2, 3')],
    ['a bad number in a double array', line('1, 2, 3', '1, 2, 3', '1, 2, 3', '1, 2x, 3')],
    ['a missing value', line('1, 2, 3', '1, 2, 3', '1, 2, 3', '1, 2')],
  ])('%s: the same outcome as parse + avsc', (_w, text) => {
    expect(fast(enc, text, 8)).toEqual(slow(text, layout, type, 4, 8));
  });
});

describe('one-pass encoder on mutated lines (WebAssembly and JavaScript paths against parse + avsc)', () => {
  it('gives the same bytes or the same SalTextError for 4,000 random edits', () => expectSameOutcomeOnEditedLines(CURRENT_DIR));
});
