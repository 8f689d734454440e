import type { Type } from 'avsc';
import { avroType } from '../lib/avro-type';
import { wireEncoder } from '../lib/registry';
import { convertTopics } from '../lib/sal/convert';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { CURRENT_DIR, LEGACY_DIR } from '../lib/sal/test-fixtures';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';
import { recordGenerator } from '../lib/sal/values';
import { compileSalTextEncoder, SalTextEncoder } from './fast-encode';
import { formatSalText, layoutFromAvro, makeLayout, parseSalText, SalTextError } from '../lib/sal/sal-text';

/** The six fields salschema puts first in every schema, as the one-pass encoder expects them. */
const EFD_FIELDS = [
  { name: 'kafka_timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'sal_revcode', type: 'string' },
  { name: 'sal_created', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'sal_ingested', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'sal_origin', type: 'int' },
  { name: 'sal_host', type: 'int' },
];

function slow(line: string, layout: ReturnType<typeof makeLayout>, type: Type, id: number, ts: number): Buffer | SalTextError {
  try {
    return wireEncoder(id, type)(parseSalText(line, layout, ts));
  } catch (err) {
    return err as SalTextError;
  }
}
function fast(enc: (l: string | Buffer, t: number) => Buffer, line: string | Buffer, ts: number): Buffer | SalTextError {
  try {
    return enc(line, ts);
  } catch (err) {
    return err as SalTextError;
  }
}

describe.each([
  ['current', CURRENT_DIR],
  ['legacy', LEGACY_DIR],
])('one-pass encoder on every %s fixture topic', (_n, dir) => {
  const { topics } = loadTopicMetadata(dir);
  const { schemas } = convertTopics(loadTsXmlFolder(dir).topics);
  it('gives the same bytes as parse + avsc encode', () => {
    const diffs: string[] = [];
    for (const meta of topics) {
      const schema = schemas.get(meta.topic) as never;
      const type = avroType(schema);
      const layout = layoutFromAvro(schema);
      const enc = compileSalTextEncoder(layout, schema, 7, type);
      if (!enc) throw new Error(`${meta.topic}: no fast encoder`);
      for (let seq = 0; seq < 3; seq++) {
        const line = formatSalText(layout, recordGenerator(meta, 3)(seq, 1_700_000_000_123));
        const want = slow(line, layout, type, 7, 5) as Buffer;
        if (!(fast(enc, line, 5) as Buffer).equals(want)) diffs.push(meta.topic);
        // from the record's bytes, without falling back
        const direct = enc.fastOnly(Buffer.from(line), 5);
        if (!direct?.equals(want)) diffs.push(`${meta.topic} (fast path alone)`);
        const jsOnly = compileSalTextEncoder(layout, schema, 7, type, { wasm: false })?.fastOnly(Buffer.from(line), 5);
        if (!jsOnly?.equals(want)) diffs.push(`${meta.topic} (JavaScript path alone)`);
      }
    }
    expect(diffs).toEqual([]);
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
  const { topics } = loadTopicMetadata(CURRENT_DIR);
  const { schemas } = convertTopics(loadTsXmlFolder(CURRENT_DIR).topics);
  // topics with every kind of value: double/float/int/long arrays, strings, booleans, bytes
  const sample = topics.filter((t, i) => i % 9 === 0 || /^Test_(arrays|scalars)$/.test(t.topic));
  const INSERTS = [',', ' ', '.', 'e', 'E', '-', '+', '0', '5', '9', ')', '(', "'", 'x', '\t', 'n', 'i'];

  it('gives the same bytes or the same SalTextError for 4,000 random edits', () => {
    let seed = 17;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const outcomes = { same: 0, errors: 0 };
    const diffs: string[] = [];
    for (let n = 0; n < 4000; n++) {
      const meta = sample[rnd(sample.length)];
      const schema = schemas.get(meta.topic) as never;
      const type = avroType(schema);
      const layout = layoutFromAvro(schema);
      const text = formatSalText(layout, recordGenerator(meta, 1)(n, 1_700_000_000_000));
      // one to three edits inside the value list: delete, insert, duplicate a byte, or cut the line short
      let line = text;
      for (let e = 0, edits = 1 + rnd(3); e < edits; e++) {
        const at = line.indexOf(':(') + 2 + rnd(Math.max(1, line.length - line.indexOf(':(') - 2));
        const op = rnd(4);
        if (op === 0) line = line.slice(0, at) + line.slice(at + 1);
        else if (op === 1) line = line.slice(0, at) + INSERTS[rnd(INSERTS.length)] + line.slice(at);
        else if (op === 2) line = line.slice(0, at) + line[at] + line.slice(at);
        else if (rnd(8) === 0) line = line.slice(0, at);
      }
      const want = slow(line, layout, type, 3, 9);
      for (const wasm of [true, false]) {
        const enc = compileSalTextEncoder(layout, schema, 3, type, { wasm }) as SalTextEncoder;
        const got = fast(enc, line, 9);
        const same =
          want instanceof Buffer
            ? got instanceof Buffer && got.equals(want)
            : got instanceof SalTextError && got.message === (want as SalTextError).message;
        if (!same) diffs.push(`${wasm ? 'wasm' : 'js'} ${meta.topic}: ${line.slice(0, 200)}`);
      }
      if (want instanceof Buffer) outcomes.same++;
      else outcomes.errors++;
    }
    expect(diffs.slice(0, 5)).toEqual([]);
    // both outcomes are exercised: many edits still parse (an extra space, a digit), most do not
    expect(outcomes.same).toBeGreaterThan(400);
    expect(outcomes.errors).toBeGreaterThan(1000);
  });
});
