/**
 * A hang check for fuzz tests that a noisy machine does not trip: a first run over the limit is timed
 * again (up to `runs` in all) and the fastest run counts, so a GC pause or a busy core does not flag an
 * input, while an input that is slow on every run (a real super-linear path) still is.
 *
 * @param firstMs the time the first run took
 * @param again runs the same work once more
 * @param limitMs the time a run may take
 * @param runs how many runs at most, the first included (default 3)
 * @returns the fastest time seen, in ms (over `limitMs` only when every run was)
 */
export function fastestMs(firstMs: number, again: () => void, limitMs: number, runs = 3): number {
  let best = firstMs;
  for (let k = 1; k < runs && best > limitMs; k++) {
    const t0 = performance.now();
    again();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
