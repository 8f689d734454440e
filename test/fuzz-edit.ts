/**
 * The byte edits the fuzz tests make (ts_xml files, SAL text lines): each gives its name, for the failure
 * message, and the edited bytes. The caller draws the positions and lengths from its seeded generator.
 */

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export type Rng = () => number;

/** One element of `xs`, drawn with `r`. */
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** `b` cut at `i`. */
export const cutAt = (b: Buffer, i: number): [string, Buffer] => [`cut at ${i}`, b.subarray(0, i)];

/** `b` without its `n` bytes from `i`. */
export const deleteAt = (b: Buffer, i: number, n: number): [string, Buffer] => [
  `delete ${n} at ${i}`,
  Buffer.concat([b.subarray(0, i), b.subarray(i + n)]),
];

/** `b` with `s` inserted at `i`. */
export const insertAt = (b: Buffer, i: number, s: string): [string, Buffer] => [
  `insert ${JSON.stringify(s)} at ${i}`,
  Buffer.concat([b.subarray(0, i), Buffer.from(s), b.subarray(i)]),
];
