import { longDecimal, scanDecimal, scanned } from './decimal';

function scan(text: string, from = 0): number | undefined {
  const b = Buffer.from(text, 'latin1');
  return scanDecimal(b, from, b.length);
}

describe('scanDecimal', () => {
  it('matches Number() on random decimals of every exponent and precision', () => {
    let plain = 0;
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 20000; n++) {
      const v = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 30 - 15);
      for (const text of [String(v), v.toPrecision(1 + Math.floor(rnd() * 16)), v.toExponential(Math.floor(rnd() * 10))]) {
        const got = scan(text);
        if (got !== undefined && !Object.is(got, Number(text))) throw new Error(`${text}: ${got} != ${Number(text)}`);
        if (got !== undefined) plain++;
      }
    }
    expect(plain).toBeGreaterThan(50000); // most of them are plain decimals (not 1e-7 style with 'e'?)
  });

  it('matches Number() on 16–19 significant digits (the double-double path) and near ties', () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const digit = () => String(Math.floor(rnd() * 10));
    let decided = 0;
    const check = (text: string) => {
      const got = scan(text);
      if (!Object.is(got, Number(text))) throw new Error(`${text}: ${got} != ${Number(text)}`);
      if (scanned.end !== text.length) throw new Error(`${text}: stopped at ${scanned.end}`);
      decided++;
    };
    for (let n = 0; n < 40000; n++) {
      // printed doubles as salmock writes them (17 significant digits, most of them)
      check(String((rnd() - 0.5) * 2e6));
      check(String(rnd() * 10 ** Math.floor(rnd() * 20 - 10)));
      // arbitrary 16–19 digit strings with the point anywhere, and signs
      const len = 16 + Math.floor(rnd() * 4);
      let d = String(1 + Math.floor(rnd() * 9));
      while (d.length < len) d += digit();
      const at = Math.floor(rnd() * (len + 1));
      const sign = rnd() < 0.3 ? '-' : rnd() < 0.1 ? '+' : '';
      check(`${sign}${d.slice(0, at) || '0'}${at < len ? '.' : ''}${d.slice(at)}`);
    }
    // halfway and near-halfway mantissas: 2^53 + 1, + 3 (ties to even), and neighbours, scaled
    for (const base of [2n ** 53n + 1n, 2n ** 53n + 3n, 2n ** 54n + 2n, 2n ** 60n + 2n ** 7n, 10n ** 18n + 64n]) {
      for (const delta of [-1n, 0n, 1n]) {
        const t = String(base + delta);
        for (let at = 0; at <= t.length; at++) check(`${t.slice(0, at) || '0'}.${t.slice(at)}0`.replace(/\.0$/, ''));
      }
    }
    expect(decided).toBeGreaterThan(120000);
  });

  it('longDecimal decides nearly every 17-digit value itself, and always as Number() does', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let undecided = 0;
    const N = 50000;
    for (let n = 0; n < N; n++) {
      const hi = 1e14 + Math.floor(rnd() * 9e14); // 15 digits
      const ld = 1 + Math.floor(rnd() * 4);
      const lo = Math.floor(rnd() * 10 ** ld);
      const s = Math.floor(rnd() * 23);
      const got = longDecimal(hi, lo, ld, s);
      if (got === undefined) {
        undecided++;
        continue;
      }
      const text = `${hi}${String(lo).padStart(ld, '0')}e-${s}`;
      if (!Object.is(got, Number(text))) throw new Error(`${text}: ${got} != ${Number(text)}`);
    }
    // the undecided ones are exact or near ties (e.g. an odd 17-digit integer), left to Number()
    expect(undecided).toBeLessThan(N / 100);
  });

  it('longDecimal decides every printed double of 16–17 digits (what salmock writes) as Number() does', () => {
    let seed = 5;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let n = 0;
    while (n < 50000) {
      const text = String(rnd() * 10 ** Math.floor(rnd() * 12 - 4));
      const m = /^(\d*)\.(\d+)$/.exec(text);
      if (!m) continue;
      const digits = (m[1] + m[2]).replace(/^0+/, '');
      if (digits.length < 16 || digits.length > 19) continue;
      const got = longDecimal(Number(digits.slice(0, 15)), Number(digits.slice(15)), digits.length - 15, m[2].length);
      if (got !== Number(text)) throw new Error(`${text}: ${got} != ${Number(text)}`);
      n++;
    }
    expect(n).toBe(50000);
  });

  it('declines what is not a plain decimal, and stops where the number ends', () => {
    for (const t of ['', '-', '+', '.', 'e5', '1e', '1e+', 'nan', 'inf', '1e123456']) expect(scan(t)).toBeUndefined();
    expect(scan('12.5, 3')).toBe(12.5);
    expect(scanned.end).toBe(4);
    expect(scan('x-0.25e1)', 1)).toBe(-2.5);
    expect(scanned.end).toBe(8);
    expect(Object.is(scan('-0'), -0)).toBe(true);
    expect(scan('1.2.3')).toBe(1.2);
    expect(scanned.end).toBe(3);
    expect(scan('007')).toBe(7);
    expect(scan('0x10')).toBe(0); // the caller sees that x is no separator
    expect(scanned.end).toBe(1);
    expect(scan('1e400')).toBe(Infinity);
    expect(scan('123456789012345678901234567890')).toBe(1.2345678901234568e29);
  });
});
