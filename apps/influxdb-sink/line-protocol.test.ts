import { Point } from '@influxdata/influxdb-client';
import { mulberry32 } from '../lib/prng';
import { chunk, escapeKey, floatValue, intValue, LineWriter, quoteString } from './line-protocol';

/** Deterministic PRNG, so a failure names a value that reproduces. */
const prng = mulberry32;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** A double from raw bits: sign, biased exponent, 52-bit mantissa as two words. */
function fromBits(sign: number, exponent: number, mantHi: number, mantLo: number): number {
  words[HI] = ((sign << 31) | (exponent << 20) | (mantHi & 0xfffff)) >>> 0;
  words[1 - HI] = mantLo >>> 0;
  return bits[0];
}

/** The straightforward rule: JavaScript's shortest round-trip text; -0 keeps its sign; NaN/±Infinity refused. */
const referenceFloat = (x: number): string | undefined => (!Number.isFinite(x) ? undefined : Object.is(x, -0) ? '-0' : String(x));

/** Doubles of every kind: random bits (all exponents, subnormals), the fast path's range and its edges, measurement-like values. */
function doubles(n: number, seed: number): number[] {
  const r = prng(seed);
  const out: number[] = [];
  /* eslint-disable no-loss-of-precision -- float edge cases, written as the literals the tests mean */
  const edges = [
    0,
    -0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    2.225073858507201e-308,
    Number.MIN_VALUE,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    1e-7,
    1e-6,
    9.999999999999999e-7,
    1.0000000000000002e-6,
    1e15,
    1e16,
    1e17,
    9.999999999999998e16,
    1.0000000000000002e17,
    1e20,
    1e21,
    1.0000000000000001e21,
    123456789012345680000,
    -1e21,
    1e22,
    1e23,
    2 ** 53,
    2 ** 53 - 1,
    2 ** 53 + 1,
    2 ** 53 + 2,
    -(2 ** 53 + 2),
    2 ** 52 + 0.5,
    2 ** 31,
    2 ** 31 - 1,
    -(2 ** 31),
    0.1,
    0.2,
    0.30000000000000004,
    1 / 3,
    2 / 3,
    0.5,
    1,
    -1,
    1.5,
    100,
    123.456,
    Math.PI,
    Math.E,
    -Math.PI * 1e10,
    // exact ties at 16 digits (the 17-digit expansion ends in 5): String(n) rounds them to even
    0.86005401611328125,
    0.88181304931640625,
    629329733034959.25,
    99551068034657.625,
    -0.58051300048828125,
    // shortest needs 17 digits / 16 digits / 15 digits
    0.1 + 0.7,
    1.0000000000000002,
    9007199254740.993,
    4.35,
    1.005,
    8.41e-5,
    0.000123456789012345,
  ];
  /* eslint-enable no-loss-of-precision */
  out.push(...edges, ...edges.map((x) => -x));
  for (let e = -30; e <= 30; e++) out.push(2 ** e, 10 ** e, -(10 ** e), 10 ** e * (1 + 2 ** -52), 10 ** e * (1 - 2 ** -53));
  for (let i = 0; out.length < n; i++) {
    const sign = r() < 0.5 ? 1 : 0;
    switch (i % 8) {
      case 0: // any double, all exponents
        out.push(fromBits(sign, Math.floor(r() * 2047), r() * 2 ** 20, r() * 2 ** 32));
        break;
      case 1: // the fast path's range (2^-20 … 2^57) and around it
        out.push(fromBits(sign, 1023 - 22 + Math.floor(r() * 82), r() * 2 ** 20, r() * 2 ** 32));
        break;
      case 2: // subnormals
        out.push(fromBits(sign, 0, r() * 2 ** 20, r() * 2 ** 32));
        break;
      case 3: // measurement-like full-precision doubles
        out.push(Math.cos(i) * 100);
        break;
      case 4: // float32 values read as doubles (Avro float)
        out.push(Math.fround((r() - 0.5) * 10 ** (r() * 12 - 4)));
        break;
      case 5: // short decimals
        out.push(Math.round((r() - 0.5) * 1e7) / 10 ** Math.floor(r() * 9));
        break;
      case 6: // integers of every size
        out.push(Math.floor((r() - 0.5) * 2 ** (r() * 70)));
        break;
      default: // values near powers of ten
        out.push(10 ** Math.floor(r() * 40 - 10) * (1 + (r() - 0.5) * 1e-14));
    }
  }
  return out;
}

describe('floats', () => {
  it('format exactly as String(n) (shortest round trip) over 100k doubles of every kind; -0 as -0', () => {
    const wrong: string[] = [];
    for (const x of doubles(100_000, 13)) {
      const got = floatValue(x);
      if (got !== referenceFloat(x) && wrong.length < 10) wrong.push(`${referenceFloat(x)} → ${got}`);
    }
    expect(wrong).toEqual([]);
  });

  it('read back as the same double (what InfluxDB parses is what the record held)', () => {
    const wrong: string[] = [];
    for (const x of doubles(30_000, 17)) {
      const s = floatValue(x) as string;
      if (!Object.is(Number(s), x) && wrong.length < 10) wrong.push(`${x} → ${s}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuse NaN and ±Infinity; samples', () => {
    expect([NaN, Infinity, -Infinity].map(floatValue)).toEqual([undefined, undefined, undefined]);
    expect([-0, 0, 1e21, 1e-7, 5e-324, 0.1, -1.5, 2 ** 53 + 2, 629329733034959.25, Math.fround(0.1)].map(floatValue)).toEqual([
      '-0',
      '0',
      '1e+21',
      '1e-7',
      '5e-324',
      '0.1',
      '-1.5',
      '9007199254740994',
      '629329733034959.2',
      '0.10000000149011612',
    ]);
  });
});

describe('integers', () => {
  it('format exactly as `${n}i` for safe integers of every size, and beyond 2^53', () => {
    const r = prng(7);
    const values = [
      0,
      -0,
      1,
      -1,
      9,
      10,
      99999999,
      100000000,
      100000001,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      -(2 ** 31) - 1,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 53,
      2 ** 53 + 2,
      -(2 ** 53),
      1e21,
      -1e21,
    ];
    for (let i = 0; i < 50_000; i++) values.push(Math.floor((r() - 0.5) * 2 ** (r() * 56)), 1767225600000 + i, i * 1e8 - 1);
    const wrong = values.filter((n) => intValue(n) !== `${n}i`).slice(0, 10);
    expect(wrong).toEqual([]);
  });

  it('bigint as is; a non-integer is refused', () => {
    expect(intValue(9223372036854775807n)).toBe('9223372036854775807i');
    expect(intValue(-9223372036854775808n)).toBe('-9223372036854775808i');
    expect([0.5, NaN, Infinity, -1e-300].map(intValue)).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('LineWriter', () => {
  /** Strings with what line protocol escapes, control characters, non-ASCII, astral and lone surrogates. */
  function strings(n: number, seed: number): string[] {
    const r = prng(seed);
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      ',',
      '=',
      '"',
      '\\',
      '\n',
      '\r',
      '\t',
      '\\"',
      'é',
      'µ',
      '日本',
      '😀',
      '\ud800',
      '\udc00',
      '\u0000',
      "'",
      '{',
    ];
    const out = ['', '"', '\\', '\\\\"', 'plain', 'x'.repeat(40_000), '"\\\n'.repeat(20_000)];
    for (let i = 0; i < n; i++) {
      const len = Math.floor(r() ** 3 * 300);
      let s = '';
      for (let k = 0; k < len; k++)
        s += r() < 0.6 ? String.fromCharCode(32 + Math.floor(r() * 95)) : alphabet[Math.floor(r() * alphabet.length)];
      out.push(s);
    }
    return out;
  }

  it('string field values: the bytes of quoteString (the Point rule: `"` and `\\` escaped), as UTF-8', () => {
    const w = new LineWriter();
    const wrong: string[] = [];
    for (const s of strings(3000, 3)) {
      w.quoted(s);
      const got = Buffer.from(w.take(), 'utf8');
      if (!got.equals(Buffer.from(quoteString(s), 'utf8')) && wrong.length < 5) wrong.push(JSON.stringify(s.slice(0, 80)));
    }
    expect(wrong).toEqual([]);
    expect(quoteString('q"\\x')).toBe(new Point('m').stringField('f', 'q"\\x').toLineProtocol()?.split('f=')[1]?.split(' ')[0]);
  });

  it('keeps a line across growth, ASCII and UTF-8 parts, and starts empty after take()', () => {
    const w = new LineWriter();
    const key = chunk(`,${escapeKey('température x')}=`);
    w.text('m');
    for (let i = 0; i < 5000; i++) {
      w.chunk(key);
      w.float(i + 0.25);
    }
    w.text(' 1');
    const line = w.take();
    expect(line.startsWith('m,température\\ x=0.25,température\\ x=1.25')).toBe(true);
    expect(line.endsWith('température\\ x=4999.25 1')).toBe(true);
    expect(line.split(',').length).toBe(5001);
    w.text('abc');
    expect(w.take()).toBe('abc');
    expect(w.take()).toBe('');
  });
});
