/**
 * Decimal text → double without Number(), for the one-pass encoder: the same IEEE double as Number()
 * gives for the same text, or `undefined` when this module cannot be sure (the caller then uses Number()).
 *
 * - Up to 2^53 (15–16 significant digits) with a power of ten ≤ 10^22: both operands are exact, so one
 *   multiplication or division is correctly rounded (Clinger's fast path).
 * - 16–19 significant digits and a negative power ≤ 10^22 (how doubles are printed, e.g. by salmock or
 *   Python's repr): the mantissa is held exactly as a double-double, the quotient's exact remainder
 *   (Dekker) decides between the quotient and its neighbour; (near) ties are declined.
 */

/** 10^0 … 10^22, each exact (parsed from text, so no pow() rounding). */
export const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** 10^-s, approximate (for the remainder, whose tolerance is wide); never for the result itself. */
const INV_POW10 = POW10.map((p) => 1 / p);
/** Below q·2^-54·(1 − 2^-20), a remainder is certainly under half an ulp of q. */
const QUICK_HALF_ULP = 2 ** -54 * (1 - 2 ** -20);
const MANTISSA_LIMIT = 2 ** 53;
const SPLITTER = 134217729; // 2^27 + 1 (Veltkamp)
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** The double next to a positive finite q, upward or downward. */
function nextDouble(q: number, up: boolean): number {
  F64[0] = q;
  const little = U32[0];
  if (up) {
    if (little === 0xffffffff) {
      U32[0] = 0;
      U32[1]++;
    } else U32[0] = little + 1;
  } else if (little === 0) {
    U32[0] = 0xffffffff;
    U32[1]--;
  } else U32[0] = little - 1;
  return F64[0];
}

let tpErr = 0;
/** a·b rounded; the exact rounding error is left in tpErr (Dekker's TwoProduct, no FMA needed). */
function twoProduct(a: number, b: number): number {
  const p = a * b;
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  tpErr = ah * bh - p + ah * bl + al * bh + al * bl;
  return p;
}

/**
 * (hi·10^ld + lo) / 10^s correctly rounded, for hi < 10^15, 1 ≤ ld ≤ 4, lo < 10^ld, s ≤ 22; undefined
 * when the value is within 2^-20 ulp of a halfway point.
 */
export function longDecimal(hi: number, lo: number, ld: number, s: number): number | undefined {
  // m = mh + ml exactly: every partial result is an integer below 2^64, the tails are small integers
  const p = twoProduct(hi, POW10[ld]);
  const e = tpErr;
  const sum = p + lo;
  const bb = sum - p;
  const t = p - (sum - bb) + (lo - bb);
  const tail = t + e;
  const mh = sum + tail;
  const ml = tail - (mh - sum);
  const d = POW10[s];
  const q = mh / d;
  const p2 = twoProduct(q, d);
  const r = mh - p2 - tpErr; // mh - q·d, exact for a correctly rounded q
  // true value = q + delta; delta's error is ~2^-50 of an ulp, far inside the 2^-20 margins below
  let delta = (r + ml) * INV_POW10[s];
  // half an ulp of q is at least q·2^-54: most printed doubles are decided here, without bit fiddling
  if (Math.abs(delta) < q * QUICK_HALF_ULP) return q;
  let c = q;
  for (let step = 0; step < 3; step++) {
    if (delta === 0) return c;
    const n = nextDouble(c, delta > 0);
    const half = Math.abs(n - c) / 2;
    const a = Math.abs(delta);
    if (a < half * (1 - 2 ** -20)) return c;
    if (a <= half * (1 + 2 ** -20)) return undefined;
    delta -= n - c;
    c = n;
  }
  return undefined;
}

/** Significant digits kept in the exact first part of a mantissa; up to 4 more go to the second. */
const HI_DIGITS = 15;
const MAX_DIGITS = HI_DIGITS + 4;

/** Where {@link scanDecimal} stopped (the index after the number); set by every call that returns a number. */
export const scanned = { end: 0 };

/**
 * Reads a plain decimal (sign, digits, optional fraction, optional exponent) from ASCII bytes at
 * `start`, ending before `end` or at the first byte that cannot continue it. Returns the number
 * (identical to Number() of the same text) or undefined if it is not a plain decimal; `scanned.end`
 * tells where the number ended. Values this module cannot round itself go through Number() of the token.
 */
export function scanDecimal(b: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  let c = i < end ? b[i] : 0;
  const neg = c === 45;
  if (neg || c === 43) i++;
  // significant digits go to three small integer accumulators (short dependency chains, no doubles):
  // x: digits 1–9, y: digits 10–15, z: digits 16–19; leading zeros are skipped
  let x = 0;
  let y = 0;
  let z = 0;
  let sig = 0;
  const intStart = i;
  let pointAt = -1;
  for (; i < end; i++) {
    c = b[i];
    const d = c - 48;
    if (d < 0 || d > 9) {
      if (c === 46 && pointAt < 0) {
        pointAt = i;
        continue;
      }
      break;
    }
    if (sig < 9) {
      if (sig === 0 && d === 0) continue;
      x = x * 10 + d;
    } else if (sig < HI_DIGITS) y = y * 10 + d;
    else if (sig < MAX_DIGITS) z = z * 10 + d;
    sig++;
  }
  const scale = pointAt < 0 ? 0 : i - pointAt - 1;
  const digits = i - intStart - (pointAt < 0 ? 0 : 1);
  if (digits === 0) return undefined;
  let exp = 0;
  if (i < end && (c === 101 || c === 69)) {
    c = ++i < end ? b[i] : 0;
    let eneg = false;
    if (c === 45 || c === 43) {
      eneg = c === 45;
      i++;
    }
    const expStart = i;
    for (; i < end && (c = b[i]) >= 48 && c <= 57; i++) exp = exp * 10 + (c - 48);
    if (i === expStart || i - expStart > 5) return undefined;
    if (eneg) exp = -exp;
  }
  scanned.end = i;
  const k = exp - scale;
  // mantissa = m·10^ld + lo, m exact (≤ 15 digits)
  let m = sig <= 9 ? x : x * POW10[Math.min(sig, HI_DIGITS) - 9] + y;
  let lo = 0;
  let ld = 0;
  if (sig > HI_DIGITS) {
    lo = z;
    ld = sig - HI_DIGITS;
  }
  let v: number | undefined;
  if (ld > 0 && ld <= 4) {
    const whole = m * POW10[ld] + lo;
    if (whole < MANTISSA_LIMIT) {
      m = whole; // exact: every partial result is below 2^53
      ld = 0;
    } else if (k <= 0 && k >= -22) v = longDecimal(m, lo, ld, -k);
  }
  if (v === undefined) {
    if (ld > 0 || k > 22 || k < -22) return Number(Buffer.from(b.buffer, b.byteOffset + start, i - start).toString('latin1'));
    v = k >= 0 ? m * POW10[k] : m / POW10[-k];
  }
  return neg ? -v : v;
}
