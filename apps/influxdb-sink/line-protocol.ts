/**
 * InfluxDB line protocol, written by hand for speed (the sink serializes every record), with the
 * escaping rules of InfluxDB 1.8 (the same output as @influxdata/influxdb-client's Point, checked by
 * the unit tests): measurement — `,` and space; tag keys/values and field keys — `,` `=` space and
 * newline; string field values — `"` and `\`.
 *
 * A point is written as bytes into a reused buffer ({@link LineWriter}) and becomes one string at the
 * end, so a record's fields cost no string each. Numbers are formatted without `String(n)`, which
 * was the largest cost of the sink (V8 formats a double or an integer beyond 2^31 in its runtime,
 * ~0.3–0.4 µs each):
 *
 *  - floats: the text is exactly JavaScript's `String(n)` — the shortest decimal that reads back as
 *    the same double (ECMAScript Number::toString), which InfluxDB parses to that double — except
 *    `-0`, written `-0` so InfluxDB stores the negative zero it was given. Values in [1e-6, 1e17)
 *    that are not a power of two are formatted here (exact arithmetic on doubles: Dekker's product
 *    gives a·10^s as an unevaluated sum, so the nearest 15-, 16- and 17-digit decimals and their
 *    distances to a are exact); every case the arithmetic cannot decide with a wide margin (near a
 *    tie or the rounding interval's edge), and every value outside that range, is `String(n)`.
 *    NaN and ±Infinity are refused (InfluxDB cannot store them).
 *  - integers: digits of the safe integer (`i` suffix by the caller); beyond 2^53, `String(n)`.
 */

const MEASUREMENT = /[, \n\r\t]/;
const MEASUREMENT_ALL = /[, \n\r\t]/g;
const KEY = /[, =\n\r\t]/;
const KEY_ALL = /[, =\n\r\t]/g;
const STRING = /["\\]/;
const STRING_ALL = /["\\]/g;
const CONTROL: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeMeasurement(s: string): string {
  return MEASUREMENT.test(s) ? s.replace(MEASUREMENT_ALL, (c) => CONTROL[c] ?? `\\${c}`) : s;
}

/** Tag keys, tag values and field keys. */
export function escapeKey(s: string): string {
  return KEY.test(s) ? s.replace(KEY_ALL, (c) => CONTROL[c] ?? `\\${c}`) : s;
}

export function quoteString(s: string): string {
  return STRING.test(s) ? `"${s.replace(STRING_ALL, (c) => `\\${c}`)}"` : `"${s}"`;
}

/** Text written as a whole into a line (a field key with its separators, a measurement): its UTF-8 bytes. */
export interface Chunk {
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly ascii: boolean;
}

export function chunk(text: string): Chunk {
  const bytes = Buffer.from(text, 'utf8');
  return { text, bytes, ascii: bytes.length === text.length };
}

// ---- float formatting: constants ----

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the high (sign, exponent) word of a double in u32. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;
/** Veltkamp's splitter for doubles: 2^27 + 1. */
const SPLIT = 134217729;
const POW10: number[] = [];
const POW10_HI: number[] = [];
const POW10_LO: number[] = [];
for (let i = 0; i <= 22; i++) {
  const p = Number(`1e${i}`); // exact up to 1e22
  const t = SPLIT * p;
  const h = t - (t - p);
  POW10.push(p);
  POW10_HI.push(h);
  POW10_LO.push(p - h);
}
/** Safety margin of the float fast path's decisions (relative); anything closer is left to String(n). */
const EPS = 1e-7;
const TWO31 = 2147483648;
const TWO53 = 9007199254740992;

/**
 * One line of line protocol, as bytes, reused from point to point: write the parts, then
 * {@link LineWriter.take} the line as a string.
 */
export class LineWriter {
  private buf: Buffer = Buffer.allocUnsafe(16 * 1024);
  private pos = 0;
  private ascii = true;
  /** Digits of the float being written. */
  private readonly dg = new Uint8Array(24);

  /** Bytes written since the last take(). */
  get length(): number {
    return this.pos;
  }

  /** The line written so far (then empty). */
  take(): string {
    const s = this.ascii ? this.buf.toString('latin1', 0, this.pos) : this.buf.toString('utf8', 0, this.pos);
    this.pos = 0;
    this.ascii = true;
    return s;
  }

  /** Drops everything written (after a failed point). */
  reset(): void {
    this.pos = 0;
    this.ascii = true;
  }

  /** Drops what was written since `at` (a length read before). */
  truncate(at: number): void {
    this.pos = at;
  }

  /** Replaces the byte at `at` (the first field's `,` becomes the space before the fields). */
  setByte(at: number, byte: number): void {
    this.buf[at] = byte;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 1024));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  chunk(c: Chunk): void {
    const b = c.bytes;
    const n = b.length;
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    if (n <= 32) for (let i = 0; i < n; i++) buf[p++] = b[i];
    else {
      buf.set(b, p);
      p += n;
    }
    this.pos = p;
    if (!c.ascii) this.ascii = false;
  }

  /** Any text, as UTF-8 (escaping is the caller's). */
  text(s: string): void {
    const n = s.length;
    this.room(3 * n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        this.pos = p + buf.write(s.slice(i), p, 'utf8');
        this.ascii = false;
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** A string field value: `"…"` with `"` and `\` escaped. */
  quoted(s: string): void {
    const n = s.length;
    this.room(3 * n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 34;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        const rest = s.slice(i);
        p += buf.write(STRING.test(rest) ? rest.replace(STRING_ALL, (x) => `\\${x}`) : rest, p, 'utf8');
        this.ascii = false;
        break;
      }
      if (c === 34 || c === 92) buf[p++] = 92;
      buf[p++] = c;
    }
    buf[p++] = 34;
    this.pos = p;
  }

  /** An integer's digits (no suffix); false (nothing written) when `n` is not an integer. */
  int(n: number | bigint): boolean {
    if (typeof n === 'bigint') {
      this.text(n.toString());
      return true;
    }
    if (!Number.isInteger(n)) return false;
    if (n < 0) {
      if (n <= -TWO53) {
        this.text(String(n));
        return true;
      }
      this.byte(45);
      n = -n;
    } else if (n >= TWO53) {
      this.text(String(n));
      return true;
    }
    this.room(17);
    if (n < TWO31) this.digits(n, 0);
    else {
      let q = Math.floor(n / 1e8);
      let r = n - q * 1e8;
      if (r < 0) {
        r += 1e8;
        q--;
      }
      this.digits(q, 0);
      this.digits(r, 8);
    }
    return true;
  }

  /** Digits of 0 ≤ n < 2^31, left-padded with zeros to `width`; room must be made. */
  private digits(n: number, width: number): void {
    let v = n | 0;
    let len = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) len++;
    if (len < width) len = width;
    const buf = this.buf;
    let p = this.pos + len;
    this.pos = p;
    for (let i = 0; i < len; i++) {
      const t = (v / 10) | 0;
      buf[--p] = 48 + v - t * 10;
      v = t;
    }
  }

  /** A float field value (text of String(n), -0 as `-0`); false (nothing written) for NaN and ±Infinity. */
  float(x: number): boolean {
    if (x === 0) {
      if (1 / x < 0) this.text('-0');
      else this.byte(48);
      return true;
    }
    if (x - x !== 0) return false; // NaN, ±Infinity
    if (!this.shortFloat(x)) this.text(String(x));
    return true;
  }

  /** The fast path of float(): false (nothing written) when String(x) must decide. */
  private shortFloat(x: number): boolean {
    const a = x < 0 ? -x : x;
    if (!(a >= 1e-6 && a < 1e17)) return false;
    f64[0] = a;
    const hw = u32[HI];
    if ((hw & 0xfffff) === 0 && u32[LO] === 0) return false; // a power of two: the rounding interval is asymmetric
    const e2 = (hw >>> 20) - 1023; // 2^e2 ≤ a < 2^(e2+1)
    // s: a·10^s has 17 digits before the point
    let s = 16 - Math.floor(e2 * 0.3010299956639812);
    if (s < 0 || s > 22) return false;
    let ph = a * POW10[s];
    if (ph >= 1e17) {
      if (--s < 0) return false;
      ph = a * POW10[s];
    }
    if (ph < 1e16 + 64 || ph > 1e17 - 64) return false;
    // X = a·10^s = ph + pl exactly (Dekker's product; 10^s is exact)
    const t = SPLIT * a;
    const ah = t - (t - a);
    const al = a - ah;
    const bh = POW10_HI[s];
    const bl = POW10_LO[s];
    const pl = ah * bh - ph + ah * bl + al * bh + al * bl;
    // half the rounding interval of a (half an ulp), scaled like X: 2^(e2-53)·10^s
    u32[HI] = (e2 + 970) << 20;
    u32[LO] = 0;
    const half = f64[0] * POW10[s];
    // the nearest 17-digit integer c = q·1e8 + r, and d = X - c (ph ≥ 1e16 > 2^53 is an integer)
    const k = Math.round(pl);
    const d = pl - k;
    if (d > 0.5 - EPS || d < -0.5 + EPS) return false;
    let q = Math.floor(ph / 1e8);
    let r = ph - q * 390625 * 256 + k; // q·1e8 as q·5^8·2^8: exact
    while (r < 0) {
      r += 1e8;
      q--;
    }
    while (r >= 1e8) {
      r -= 1e8;
      q++;
    }
    // 15 digits: the nearest integer to X/100
    const ri = r | 0;
    const v = ri % 100;
    let w = (v + d) / 100;
    if (w > 0.5 - EPS && w < 0.5 + EPS) return false;
    let c = q * 1e6 + (r - v) / 100;
    if (w > 0.5) {
      c++;
      w -= 1;
    }
    let aw = w < 0 ? -w : w;
    if (aw < (half / 100) * (1 - EPS)) {
      let ss = s - 2;
      while (c % 10 === 0) {
        c /= 10;
        ss--;
      }
      let cq = Math.floor(c / 1e8);
      let cr = c - cq * 1e8;
      if (cr < 0) {
        cr += 1e8;
        cq--;
      }
      return this.place(x, cq, cr, 8, ss);
    }
    if (aw <= (half / 100) * (1 + EPS)) return false;
    // 16 digits: the nearest integer to X/10
    const u = ri % 10;
    w = (u + d) / 10;
    if (w > 0.5 - EPS && w < 0.5 + EPS) return false;
    let r16 = (r - u) / 10;
    if (w > 0.5) {
      r16++;
      w -= 1;
    }
    aw = w < 0 ? -w : w;
    if (aw < (half / 10) * (1 - EPS)) {
      if (r16 >= 1e7 || (r16 | 0) % 10 === 0) return false;
      return this.place(x, q, r16, 7, s - 1);
    }
    if (aw <= (half / 10) * (1 + EPS)) return false;
    // 17 digits: c itself (always inside the interval when not a power of two)
    const ad = d < 0 ? -d : d;
    if (ad >= half * (1 - EPS) || u === 0) return false;
    return this.place(x, q, r, 8, s);
  }

  /** Writes sign and the digits of (q·10^width + r)·10^-s (width 7 or 8) placed as Number::toString does. */
  private place(x: number, q: number, r: number, width: number, s: number): boolean {
    const dg = this.dg;
    let k: number;
    if (q > 0) {
      const lq = decimalLength(q);
      k = lq + width;
      put8(dg, k - 8, r); // for width 7 its leading 0 lands on q's last digit, written next
      let v = q | 0;
      let i = lq;
      while (v >= 100) {
        const t = (v / 100) | 0;
        const pr = (v - t * 100) << 1;
        dg[--i] = PAIRS[pr + 1];
        dg[--i] = PAIRS[pr];
        v = t;
      }
      if (v >= 10) {
        dg[--i] = PAIRS[(v << 1) + 1];
        dg[--i] = PAIRS[v << 1];
      } else dg[--i] = 48 + v;
    } else {
      let v = r | 0;
      k = decimalLength(v);
      let i = k;
      while (v >= 10) {
        const t = (v / 10) | 0;
        dg[--i] = 48 + v - t * 10;
        v = t;
      }
      dg[--i] = 48 + v;
    }
    const n = k - s; // digits before the decimal point
    this.room(k + 10);
    const buf = this.buf;
    let p = this.pos;
    if (x < 0) buf[p++] = 45;
    if (s <= 0) {
      for (let i = 0; i < k; i++) buf[p++] = dg[i];
      for (let i = 0; i < -s; i++) buf[p++] = 48;
    } else if (n > 0) {
      for (let i = 0; i < n; i++) buf[p++] = dg[i];
      buf[p++] = 46;
      for (let i = n; i < k; i++) buf[p++] = dg[i];
    } else {
      buf[p++] = 48;
      buf[p++] = 46;
      for (let i = 0; i < -n; i++) buf[p++] = 48;
      for (let i = 0; i < k; i++) buf[p++] = dg[i];
    }
    this.pos = p;
    return true;
  }
}

/** '00'…'99' as ASCII pairs. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Digits of 0 ≤ v < 2^31. */
function decimalLength(v: number): number {
  if (v < 1e4) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : 4;
  if (v < 1e8) return v < 1e5 ? 5 : v < 1e6 ? 6 : v < 1e7 ? 7 : 8;
  return v < 1e9 ? 9 : 10;
}

/** The 8 digits of 0 ≤ v < 1e8 (zero-padded) at dg[i…i+8). */
function put8(dg: Uint8Array, i: number, v: number): void {
  const h = (v / 10000) | 0;
  const l = (v | 0) - h * 10000;
  const h1 = (h / 100) | 0;
  const h2 = (h - h1 * 100) << 1;
  const l1 = (l / 100) | 0;
  const l2 = (l - l1 * 100) << 1;
  dg[i] = PAIRS[h1 << 1];
  dg[i + 1] = PAIRS[(h1 << 1) + 1];
  dg[i + 2] = PAIRS[h2];
  dg[i + 3] = PAIRS[h2 + 1];
  dg[i + 4] = PAIRS[l1 << 1];
  dg[i + 5] = PAIRS[(l1 << 1) + 1];
  dg[i + 6] = PAIRS[l2];
  dg[i + 7] = PAIRS[l2 + 1];
}

const scratch = new LineWriter();

/** Float field value; undefined for NaN and ±Infinity, which InfluxDB refuses. */
export function floatValue(n: number): string | undefined {
  return scratch.float(n) ? scratch.take() : undefined;
}

/** Integer field value (`<n>i`); undefined when not an integer. */
export function intValue(n: number | bigint): string | undefined {
  if (!scratch.int(n)) return undefined;
  scratch.byte(105);
  return scratch.take();
}

/** A whole line: `<measurement>[,<tags>] <fields> <timestamp>`; tags and fields already escaped as `k=v`. */
export function line(measurement: string, tags: string, fields: string, timestamp: string): string {
  return `${measurement}${tags ? `,${tags}` : ''} ${fields} ${timestamp}`;
}
