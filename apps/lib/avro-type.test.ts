import { Type } from 'avsc';
import { avroType, EXACT_LONG, isLong, LONG_MAX, LONG_MIN, longValue } from './avro-type';

/** Zig-zag varint of a 64-bit value, computed here with bigints (the reference). */
function varint(v: bigint): Buffer {
  let z = v < 0n ? -v * 2n - 1n : v * 2n;
  const out: number[] = [];
  while (z > 0x7fn) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

const EDGES = [
  0n,
  1n,
  -1n,
  63n,
  -64n,
  2n ** 30n - 1n,
  2n ** 30n,
  -(2n ** 30n),
  -(2n ** 30n) - 1n,
  2n ** 31n,
  2n ** 48n,
  2n ** 52n,
  2n ** 52n + 1n,
  2n ** 53n - 1n,
  -(2n ** 53n - 1n),
  2n ** 53n,
  2n ** 53n + 1n,
  -(2n ** 53n) - 1n,
  2n ** 62n,
  LONG_MAX,
  LONG_MIN,
  LONG_MIN + 1n,
];

describe('exact 64-bit Avro long', () => {
  it.each(EDGES)('%s: encodes to its zig-zag varint and decodes back exactly', (v) => {
    const bytes = EXACT_LONG.toBuffer(longValue(v));
    expect(bytes.toString('hex')).toBe(varint(v).toString('hex'));
    const back = EXACT_LONG.fromBuffer(bytes) as number | bigint;
    expect(BigInt(back)).toBe(v);
    // a number within ±(2^53 - 1), a bigint beyond
    expect(typeof back).toBe(v >= -(2n ** 53n - 1n) && v <= 2n ** 53n - 1n ? 'number' : 'bigint');
    // a bigint within the safe range encodes the same
    expect(EXACT_LONG.toBuffer(v).equals(bytes)).toBe(true);
  });

  it('writes the same bytes as avsc’s own long wherever that one is exact', () => {
    const stock = Type.forSchema('long');
    for (let i = 0, x = 1; i < 2000; i++, x = (x * 1103515245 + 12345) % 2 ** 31) {
      const v = Math.round((x / 2 ** 31 - 0.5) * 2 ** (1 + (i % 53))) || 0;
      expect(EXACT_LONG.toBuffer(v).equals(stock.toBuffer(v))).toBe(true);
      expect(EXACT_LONG.fromBuffer(stock.toBuffer(v))).toBe(v);
    }
  });

  it('refuses what no Avro long holds, and numbers that are not exact', () => {
    for (const bad of [LONG_MAX + 1n, LONG_MIN - 1n, 2 ** 53, -(2 ** 53), 1.5, NaN, '1', null]) {
      expect(isLong(bad)).toBe(false);
      expect(EXACT_LONG.isValid(bad)).toBe(false);
      expect(() => EXACT_LONG.toBuffer(bad)).toThrow();
    }
  });

  it('every long of a schema is exact: plain, in arrays and unions, timestamp-millis', () => {
    const type = avroType({
      type: 'record',
      name: 'r',
      fields: [
        { name: 't', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'a', type: { type: 'array', items: 'long' } },
        { name: 'u', type: ['null', 'long'] },
        { name: 'i', type: 'int' },
      ],
    });
    const rec = { t: 1_700_000_000_123, a: [LONG_MAX, LONG_MIN, 5], u: 2n ** 60n, i: 7 };
    expect(type.fromBuffer(type.toBuffer(rec))).toEqual(rec);
    expect(type.isValid({ ...rec, u: LONG_MAX + 1n })).toBe(false);
  });

  it('JSON: beyond the safe range a long is its digits', () => {
    expect(EXACT_LONG.toString(LONG_MAX)).toBe('"9223372036854775807"');
    expect(EXACT_LONG.fromString('"9223372036854775807"')).toBe(LONG_MAX);
    expect(EXACT_LONG.fromString('12')).toBe(12);
  });
});
