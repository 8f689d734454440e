/**
 * A test that cannot run here says so, and on CI (CI=true) fails instead: a check must not pass by
 * skipping itself. (The conformance suites do the same through test/conformance.ts.)
 */

/** True where a test that cannot run is a failure: CI. */
export function mustRun(): boolean {
  return process.env.CI === 'true';
}

/** Registers `title` as not run because of `reason`: skipped with the reason on stderr, failing on CI. */
export function notRun(title: string, reason: string): void {
  if (mustRun()) {
    it(title, () => {
      throw new Error(`cannot run: ${reason} (on CI, CI=true, a test that cannot run is a failure)`);
    });
    return;
  }
  process.stderr.write(`not run: "${title}": ${reason}\n`);
  const skipped = it.skip;
  skipped(`${title} (not run: ${reason})`, () => undefined);
}

/** In place of `test`/`it` for a test that cannot run here: see {@link notRun}. */
export function notRunTest(reason: string): (title: string, ...rest: unknown[]) => void {
  return (title) => notRun(title, reason);
}
