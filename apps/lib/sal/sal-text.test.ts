import { convertTopics } from './convert';
import { loadTopicMetadata } from './metadata';
import { CURRENT_DIR, CURRENT_MERGED_TOPICS, LEGACY_DIR, LEGACY_TOTAL_TOPICS } from './test-fixtures';
import { loadTsXmlFolder } from './ts-xml';
import { layoutFromAvro, formatSalText, makeLayout, parseSalText, SalTextError, salTextTopic } from './sal-text';
import { expectSalTextRoundTrip } from './sal-text-check';

function errorOf(fn: () => unknown): SalTextError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SalTextError) return err;
    throw err;
  }
  throw new Error('expected a SalTextError');
}

describe.each([
  ['current', CURRENT_DIR, CURRENT_MERGED_TOPICS],
  ['legacy', LEGACY_DIR, LEGACY_TOTAL_TOPICS],
])('every %s fixture topic', (_name, dir, count) => {
  const { topics } = loadTopicMetadata(dir);
  const { schemas } = convertTopics(loadTsXmlFolder(dir).topics);

  it('salmock record → SAL text → parse gives the same record, valid for the Avro schema', () => {
    expect(topics).toHaveLength(count);
    expectSalTextRoundTrip(topics, schemas);
  });
});

describe('SAL text parsing', () => {
  const layout = makeLayout('Test_scalars', [
    { name: 'flag', type: 'boolean', count: 1, array: false },
    { name: 'n', type: 'int', count: 1, array: false },
    { name: 'big', type: 'long', count: 1, array: false },
    { name: 'x', type: 'float', count: 1, array: false },
    { name: 'v', type: 'double', count: 3, array: true },
    { name: 's', type: 'string', count: 1, array: false },
    { name: 'b', type: 'bytes', count: 1, array: false },
  ]);
  const good =
    "Test_scalars:( 'rev1', 1553036183.123, 1553036183.1, 3, 4, 1, -5, 4503599627370496, 1.5, nan, -inf, 2e3, 'it''s, (ok)', 255 )";

  it('parses every type, quoted commas and parentheses, doubled quotes, nan/inf and seconds → ms', () => {
    const r = parseSalText(good, layout, 99);
    expect(r).toEqual({
      kafka_timestamp: 99,
      sal_revcode: 'rev1',
      sal_created: 1553036183123,
      sal_ingested: 1553036183100,
      sal_origin: 3,
      sal_host: 4,
      flag: true,
      n: -5,
      big: 4503599627370496,
      x: 1.5,
      v: [NaN, -Infinity, 2000],
      s: "it's, (ok)",
      b: Buffer.from([255]),
    });
  });

  it.each([
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['9007199254740993', 9007199254740993n],
    ['-9007199254740993', -9007199254740993n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['+0009223372036854775807', 9223372036854775807n],
    ['1e3', 1000],
  ])('long %s is read exactly (a bigint beyond ±(2^53 - 1))', (text, want) => {
    expect(parseSalText(good.replace('4503599627370496', text), layout, 99).big).toBe(want);
  });

  it('writes 64-bit values back as their exact digits', () => {
    const rec = parseSalText(good.replace('4503599627370496', '-9223372036854775808'), layout, 99);
    expect(formatSalText(layout, rec)).toContain(', -9223372036854775808, ');
  });

  it('tolerates extra whitespace and a trailing newline', () => {
    const spaced = good.replace(/, /g, ' ,  ').replace(':( ', ':(') + '\n';
    expect(parseSalText(spaced, layout, 1)).toMatchObject({ s: "it's ,  (ok)", v: [NaN, -Infinity, 2000], b: Buffer.from([255]) });
  });

  it.each([
    ['no topic', "'rev', 1, 2", 'syntax', /expected "<topic>:\( values \)"/],
    ['bad topic name', 'Test scalars:( 1 )', 'syntax', /not a SAL text line/],
  ])('topic: %s', (_what, line, code, message) => {
    const e = errorOf(() => salTextTopic(line));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it.each([
    [
      'one value too few',
      good.replace(', 255 )', ' )'),
      'field-count',
      /Test_scalars: expected 14 values \(5 SAL stamps \+ 9 item values\), got 13/,
    ],
    ['one value too many', good.replace(' 255 )', ' 255, 1 )'), 'field-count', /expected 14 values .*got 15/],
    ['empty list', 'Test_scalars:( )', 'field-count', /got 0/],
    ['bad number', good.replace('1.5', '1.5x'), 'bad-value', /value 9 \(x, float\): "1.5x" is not a number/],
    ['hex is not decimal', good.replace(' -5,', ' 0x10,'), 'bad-value', /value 7 \(n, int\): "0x10" is not an integer/],
    ['int overflow', good.replace(' -5,', ' 2147483648,'), 'bad-value', /n, int\): 2147483648 is out of the int range/],
    [
      'long below -2^63',
      good.replace('4503599627370496', '-9223372036854775809'),
      'bad-value',
      /big, long\): -9223372036854775809 is out of the Avro long range \[-2\^63, 2\^63-1\]/,
    ],
    [
      'unsigned long long above 2^63 - 1 (no Avro long holds it)',
      good.replace('4503599627370496', '18446744073709551615'),
      'bad-value',
      /big, long\): 18446744073709551615 is out of the Avro long range .*cannot be stored/,
    ],
    [
      'long beyond 2^53 written so that it went through a double',
      good.replace('4503599627370496', '9.007199254740993e15'),
      'bad-value',
      /big, long\): 9.007199254740993e15 is beyond ±\(2\^53-1\) in a form read as a double: write it as plain digits/,
    ],
    ['fractional int', good.replace(' -5,', ' 1.5,'), 'bad-value', /not an integer/],
    ['array item', good.replace('-inf', 'oops'), 'bad-value', /value 11 \(v\[1\], double\): "oops" is not a number/],
    ['bad boolean', good.replace(' 4, 1,', ' 4, yes,'), 'bad-value', /flag, boolean\): "yes" is not a boolean/],
    ['string not quoted', good.replace("'it''s, (ok)'", 'plain'), 'bad-value', /expected a quoted string/],
    ['byte out of range', good.replace(' 255 )', ' 256 )'), 'bad-value', /not a byte/],
    ['stamp not a number', good.replace('1553036183.123', 'yesterday'), 'bad-value', /value 2 \(sal_created\)/],
    [
      'unterminated string',
      "Test_scalars:( 'rev1', 1, 2, 3, 4, 1, -5, 1, 1, 1, 1, 1, 'x, 1 )",
      'bad-value',
      /value 13 \(s, string\): unterminated string/,
    ],
    ['missing close paren', good.slice(0, -2), 'syntax', /does not end with "\)"/],
  ])('%s', (_what, line, code, message) => {
    const e = errorOf(() => parseSalText(line, layout, 0));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.topic).toBe('Test_scalars');
  });
});

describe('layoutFromAvro', () => {
  it('refuses arrays without sal_count and types SAL text cannot carry, naming topic and field', () => {
    const base = { name: 'T', fields: [{ name: 'kafka_timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } }] };
    expect(() => layoutFromAvro({ ...base, fields: [...base.fields, { name: 'a', type: { type: 'array', items: 'float' } }] })).toThrow(
      /schema of T: array field a has no sal_count/,
    );
    expect(() => layoutFromAvro({ ...base, fields: [{ name: 'm', type: { type: 'map', values: 'int' } }] })).toThrow(/field m has type/);
    expect(layoutFromAvro(base).values).toBe(5);
  });
});
