import { avroType } from '../lib/avro-type';
import { compileWasm, moduleText } from '../../scripts/build-wasm';
import { NumberReader } from './number-reader';
import { NUMBERS_WASM_BASE64 } from './numbers-wasm.generated';

/** A SAL-style value list: ", v1, v2 … )" as read after an array's previous value. */
function list(values: string[]): Buffer {
  return Buffer.from(`${values.map((v) => `, ${v}`).join('')} )`, 'latin1');
}

function readDoubles(reader: NumberReader, values: string[], width = 8): { n: number; got: number[]; end: number } {
  const line = list(values);
  reader.load(line);
  const dst = Buffer.alloc(values.length * width);
  const n = reader.floats(0, values.length, width, dst, 0);
  const got = Array.from({ length: n }, (_, i) => (width === 8 ? dst.readDoubleLE(i * 8) : dst.readFloatLE(i * 4)));
  return { n, got, end: reader.end };
}

describe('the WebAssembly number reader', () => {
  it('is built from its AssemblyScript source (run `npm run build:wasm` after changing it)', () => {
    const built = compileWasm();
    expect(Buffer.from(NUMBERS_WASM_BASE64, 'base64').equals(built)).toBe(true);
    expect(moduleText(built)).toContain(built.toString('base64').slice(0, 100));
  }, 60_000);

  it('stores exactly what Number() gives, or leaves the value to the caller', () => {
    const reader = new NumberReader();
    let seed = 5;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const digit = () => String(Math.floor(rnd() * 10));
    let decided = 0;
    let total = 0;
    for (let round = 0; round < 300; round++) {
      const values: string[] = [];
      for (let i = 0; i < 200; i++) {
        const v = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 30 - 15);
        const pick = rnd();
        if (pick < 0.2)
          values.push(String((rnd() - 0.5) * 2e6)); // as salmock prints them
        else if (pick < 0.4)
          values.push(String(v)); // printed doubles, up to 17 digits, some with e-7 etc.
        else if (pick < 0.6) values.push(v.toPrecision(1 + Math.floor(rnd() * 17)));
        else if (pick < 0.7) values.push(v.toExponential(Math.floor(rnd() * 12)));
        else {
          // 16–19 digits with the point anywhere: the double-double path
          let d = String(1 + Math.floor(rnd() * 9));
          const len = 16 + Math.floor(rnd() * 4);
          while (d.length < len) d += digit();
          const at = Math.floor(rnd() * (len + 1));
          values.push(`${rnd() < 0.3 ? '-' : ''}${d.slice(0, at) || '0'}.${d.slice(at)}`);
        }
      }
      let from = 0;
      while (from < values.length) {
        const rest = values.slice(from);
        const { n, got } = readDoubles(reader, rest);
        for (let i = 0; i < n; i++) if (!Object.is(got[i], Number(rest[i]))) throw new Error(`${rest[i]}: ${got[i]} != ${Number(rest[i])}`);
        decided += n;
        total += n + (n < rest.length ? 1 : 0);
        from += n + 1; // the caller reads the value it left
      }
    }
    expect(total).toBe(60_000);
    // what it leaves: powers beyond ±22 (1.2345e-20 has 10^-24), > 19 digits, near-halfway mantissas
    expect(decided / total).toBeGreaterThan(0.8);
  });

  it('decides every value salmock prints (17 significant digits within ±10^6)', () => {
    let seed = 9;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = Array.from({ length: 50_000 }, () => String((rnd() - 0.5) * 2e6));
    const { n, got } = readDoubles(new NumberReader(), values);
    expect(n).toBe(values.length);
    expect(got.every((g, i) => Object.is(g, Number(values[i])))).toBe(true);
  });

  it('rounds floats from the double, as Math.fround does', () => {
    const values = ['0.1', '-162.23641967773438', '16777217', '0.30000001192092896', '1.0000000596046448', '-0.0', '340282346638528.86'];
    const { n, got } = readDoubles(new NumberReader(), values, 4);
    expect(n).toBe(values.length);
    expect(got).toEqual(values.map((v) => Math.fround(Number(v))));
  });

  it.each([
    ['more than 19 significant digits', '1.23456789012345678901'],
    ['beyond 10^22', '1e23'],
    ['below 10^-22', '1e-30'],
    ['nan', 'nan'],
    ['hex', '0x10'],
    ['a trailing letter', '12a'],
    ['a bare point', '.'],
    ['an empty exponent', '1e'],
    ['a quoted string', "'1'"],
  ])('leaves %s to the caller, stopping before its ","', (_w, bad) => {
    const values = ['1.5', '-2', bad, '4'];
    const { n, got, end } = readDoubles(new NumberReader(), values);
    expect(n).toBe(2);
    expect(got).toEqual([1.5, -2]);
    expect(list(values).subarray(end).toString('latin1')).toBe(`, ${bad}, 4 )`);
  });

  it('stops at the end of a line without a close, even where a longer line left its bytes behind', () => {
    const reader = new NumberReader();
    readDoubles(
      reader,
      Array.from({ length: 50 }, (_, i) => String(i)),
    ); // leaves ", 49 )" further on
    const line = Buffer.from(', 1, 2, 3', 'latin1');
    reader.load(line);
    const dst = Buffer.alloc(80);
    // the last value has no separator after it: left to the caller, nothing read beyond the line
    expect(reader.floats(0, 10, 8, dst, 0)).toBe(2);
    expect(line.subarray(reader.end).toString('latin1')).toBe(', 3');
    expect(reader.varints(0, 10, false, dst, 0)).toBe(2);
    expect(line.subarray(reader.end).toString('latin1')).toBe(', 3');
  });

  it('reads spaces, tabs and signs around the values, and a line larger than its first memory page', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => `${i % 2 ? '+' : '-'}${i}.25`);
    const { n, got } = readDoubles(new NumberReader(), many);
    expect(n).toBe(many.length);
    expect(got[19_999]).toBe(19_999.25);
    const line = Buffer.from(',\t1 ,  2\r\n,3)', 'latin1');
    const reader = new NumberReader();
    reader.load(line);
    const dst = Buffer.alloc(24);
    expect(reader.floats(0, 3, 8, dst, 0)).toBe(3);
    expect([dst.readDoubleLE(0), dst.readDoubleLE(8), dst.readDoubleLE(16)]).toEqual([1, 2, 3]);
  });

  it('writes ints and longs as avsc does, leaving other forms and out-of-range values', () => {
    const reader = new NumberReader();
    const encode = (type: 'int' | 'long', values: string[]) => {
      const line = list(values);
      reader.load(line);
      const dst = Buffer.alloc(values.length * 10);
      const n = reader.varints(0, values.length, type === 'int', dst, 0);
      return { n, bytes: dst.subarray(0, reader.written), rest: line.subarray(reader.end).toString('latin1') };
    };
    const ints = ['0', '-0', '+7', '-1', '63', '-64', '64', '2147483647', '-2147483648', '007'];
    const int = encode('int', ints);
    expect(int.n).toBe(ints.length);
    expect(int.bytes).toEqual(Buffer.concat(ints.map((v) => avroType('int').toBuffer(Number(v)))));
    const longs = [
      '4503599627370496',
      '-4503599627370496',
      '1073741824',
      '-1073741825',
      '281474976710655',
      '9007199254740993',
      '-9007199254740993',
      '9223372036854775807',
      '-9223372036854775808',
      '0009223372036854775807',
    ];
    const long = encode('long', longs.slice(0, -1));
    expect(long.n).toBe(longs.length - 1);
    expect(long.bytes).toEqual(Buffer.concat(longs.slice(0, -1).map((v) => avroType('long').toBuffer(BigInt(v)))));
    // the 64-bit edges, as zig-zag varints written out by hand
    expect(encode('long', ['9223372036854775807']).bytes).toEqual(Buffer.from('feffffffffffffffff01', 'hex'));
    expect(encode('long', ['-9223372036854775808']).bytes).toEqual(Buffer.from('ffffffffffffffffff01', 'hex'));
    for (const [type, bad] of [
      ['int', '2147483648'],
      ['int', '-2147483649'],
      ['long', '9223372036854775808'],
      ['long', '-9223372036854775809'],
      ['long', '18446744073709551615'],
      ['long', '0009223372036854775807'], // more than 19 digits: left to JavaScript
      ['int', '1e3'],
      ['int', '2.0'],
      ['int', '3x'],
      ['int', '-'],
    ] as const) {
      const r = encode(type, ['5', bad, '6']);
      expect([type, bad, r.n, r.rest]).toEqual([type, bad, 1, `, ${bad}, 6 )`]);
      expect(r.bytes).toEqual(Buffer.from([10]));
    }
  });
});
