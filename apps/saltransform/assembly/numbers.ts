// AssemblyScript (compiled to WebAssembly by `npm run build:wasm`; not part of the tsc project).
//
// The hot loop of saltransform: the comma-separated decimals of a SAL text array, read from the line's
// bytes in linear memory and stored as little-endian doubles or floats. Each value is the double
// Number() gives for the same text; a value this module cannot be sure of (more than 19 significant
// digits, a power of ten beyond 10^22, a near-halfway 16–19 digit mantissa, any other form) is left to
// the caller: floats() stops before its ",". The rounding method is the one of decimal.ts.

/** 10^0 … 10^22, each exact. */
const POW10: StaticArray<f64> = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];
const MANTISSA_LIMIT: u64 = 1 << 53;
/** Below q·2^-54·(1 − 2^-20), a remainder is certainly under half an ulp of q. */
const QUICK_HALF_ULP: f64 = 5.551115123125783e-17 * (1 - 9.5367431640625e-7);
const MARGIN: f64 = 9.5367431640625e-7; // 2^-20
const SPLITTER: f64 = 134217729; // 2^27 + 1 (Veltkamp)

/** Where floats()/varints() stopped: after the last value stored, i.e. before the "," of the next. */
export let end: i32 = 0;
/** Where varints() stopped writing. */
export let outEnd: i32 = 0;
/** The largest magnitude of an Avro long: 2^63 − 1 (2^63 when negative). */
const LONG_MAX: u64 = 0x7fffffffffffffff;

/** The value of the last decimal read, when read() says it could. */
let value: f64 = 0;

function isSpace(c: u32): bool {
  return c == 32 || c == 9 || c == 10 || c == 13;
}

/** Veltkamp's split of a into its high half (the low half is a − high). */
@inline function high(a: f64): f64 {
  const c = SPLITTER * a;
  return c - (c - a);
}

/** The exact error of a·b's rounding (Dekker's TwoProduct). */
@inline function productError(a: f64, b: f64, p: f64): f64 {
  const ah = high(a);
  const al = a - ah;
  const bh = high(b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** The double next to a positive finite q, upward or downward. */
@inline function nextDouble(q: f64, up: bool): f64 {
  const bits = reinterpret<u64>(q);
  return reinterpret<f64>(up ? bits + 1 : bits - 1);
}

/**
 * w / 10^s correctly rounded for 2^53 ≤ w < 10^19 and s ≤ 22, into `value`; false when it lies within
 * 2^-20 ulp of a halfway point (the caller then leaves the value to Number()).
 */
function longDecimal(w: u64, s: i32): bool {
  const mh = <f64>w; // round to nearest: |w − mh| ≤ 2^10, so ml is exact
  const ml = <f64>(<i64>(w - <u64>mh));
  const d = unchecked(POW10[s]);
  const q = mh / d;
  const p = q * d;
  const r = mh - p - productError(q, d, p); // mh − q·d, exact for a correctly rounded q
  let delta = (r + ml) / d;
  if (Math.abs(delta) < q * QUICK_HALF_ULP) {
    value = q;
    return true;
  }
  let c = q;
  for (let step = 0; step < 3; step++) {
    if (delta == 0) {
      value = c;
      return true;
    }
    const n = nextDouble(c, delta > 0);
    const half = Math.abs(n - c) / 2;
    const a = Math.abs(delta);
    if (a < half * (1 - MARGIN)) {
      value = c;
      return true;
    }
    if (a <= half * (1 + MARGIN)) return false;
    delta -= n - c;
    c = n;
  }
  return false;
}

/**
 * The plain decimal at p (sign, digits, optional point and fraction, optional exponent) into `value`;
 * returns where it ended, or −1 when it is not a plain decimal this module can round itself. The byte
 * that ends it must be a separator, a space or ")" (the line's close, which stops every scan).
 */
function read(p: i32): i32 {
  let c: u32 = load<u8>(p);
  const neg = c == 45;
  if (neg || c == 43) c = load<u8>(++p);
  const first = p;
  let w: u64 = 0;
  let sig = 0;
  let pointAt = -1;
  for (;;) {
    const d = c - 48;
    if (d > 9) {
      if (c == 46 && pointAt < 0) {
        pointAt = p;
        c = load<u8>(++p);
        continue;
      }
      break;
    }
    if (sig != 0 || d != 0) {
      if (sig < 19) w = w * 10 + <u64>d;
      sig++;
    }
    c = load<u8>(++p);
  }
  const digits = p - first - (pointAt < 0 ? 0 : 1);
  if (digits == 0 || sig > 19) return -1;
  let k = pointAt < 0 ? 0 : pointAt + 1 - p;
  if (c == 101 || c == 69) {
    c = load<u8>(++p);
    const eneg = c == 45;
    if (eneg || c == 43) c = load<u8>(++p);
    const expStart = p;
    let exp = 0;
    while (c - 48 <= 9) {
      exp = exp * 10 + <i32>(c - 48);
      c = load<u8>(++p);
    }
    if (p == expStart || p - expStart > 5) return -1;
    k += eneg ? -exp : exp;
  }
  if (c != 44 && c != 41 && !isSpace(c)) return -1;
  let v: f64;
  if (w < MANTISSA_LIMIT) {
    if (k > 22 || k < -22) return -1;
    v = k >= 0 ? <f64>w * unchecked(POW10[k]) : <f64>w / unchecked(POW10[-k]);
  } else {
    if (k > 0 || k < -22 || !longDecimal(w, -k)) return -1;
    v = value;
  }
  value = neg ? -v : v;
  return p;
}

/** Past the spaces, "," and spaces before a value; -1 when there is no ",". */
@inline function afterSeparator(p: i32): i32 {
  let c: u32 = load<u8>(p);
  while (isSpace(c)) c = load<u8>(++p);
  if (c != 44) return -1;
  c = load<u8>(++p);
  while (isSpace(c)) c = load<u8>(++p);
  return p;
}

/**
 * Up to `count` values, each after a "," from `pos`, stored from `out` as little-endian doubles (width 8)
 * or floats (width 4, rounded from the double as Math.fround does). Returns how many were stored; `end`
 * is where the next "," is expected. Stops early before a value it leaves to the caller.
 */
export function floats(pos: i32, count: i32, out: i32, width: i32): i32 {
  let p = pos;
  for (let n = 0; n < count; n++) {
    end = p;
    p = afterSeparator(p);
    if (p < 0) return n;
    p = read(p);
    if (p < 0) return n;
    if (width == 8) store<f64>(out, value);
    else store<f32>(out, <f32>value);
    out += width;
  }
  end = p;
  return count;
}

/**
 * Up to `count` plain integers (optional sign, then digits), each after a "," from `pos`, written from
 * `out` as Avro ints (`int32` true: within ±2^31) or longs (the whole signed 64-bit range): zig-zag varints. Returns how
 * many were written; `end` and `outEnd` are where reading and writing stopped. Stops early before any
 * other form (a point, an exponent, out of range), which the caller reads.
 */
export function varints(pos: i32, count: i32, out: i32, int32: bool): i32 {
  let p = pos;
  for (let n = 0; n < count; n++) {
    end = p;
    outEnd = out;
    p = afterSeparator(p);
    if (p < 0) return n;
    let c: u32 = load<u8>(p);
    const neg = c == 45;
    if (neg || c == 43) c = load<u8>(++p);
    const first = p;
    let w: u64 = 0;
    while (c - 48 <= 9) {
      w = w * 10 + <u64>(c - 48);
      c = load<u8>(++p);
    }
    const digits = p - first;
    // ≤ 19 digits cannot overflow u64 (10^19 − 1 < 2^64)
    if (digits == 0 || digits > 19 || (c != 44 && c != 41 && !isSpace(c))) return n;
    if (int32 ? w > (neg ? 2147483648 : 2147483647) : w > (neg ? LONG_MAX + 1 : LONG_MAX)) return n;
    const v: i64 = neg ? -<i64>w : <i64>w;
    let z: u64 = <u64>((v << 1) ^ (v >> 63));
    while (z > 0x7f) {
      store<u8>(out++, <u8>((z & 0x7f) | 0x80));
      z >>= 7;
    }
    store<u8>(out++, <u8>z);
  }
  end = p;
  outEnd = out;
  return count;
}

/** Where the caller's work space may start: the first 64 KiB page above this module's static data. */
export function workBase(): i32 {
  return <i32>((__heap_base + 0xffff) & ~0xffff);
}
