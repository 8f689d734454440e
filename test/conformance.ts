/**
 * Conformance suites: the tests judged against upstream material the repository does not carry
 * (real ts_xml releases, the pinned charts' default values, the LSST alert schema).
 *
 * They read `$EFD_FIXTURES`, or `../shared/fixtures` beside the clone. Where neither exists the suite
 * is reported as not run (skipped, with the reason on stderr), so a plain clone's `npm test` passes;
 * with `EFD_REQUIRE_FIXTURES=1` (set by `.ci/run`) or `CI=true` a missing fixture is a failure instead.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { mustRun } from './not-run';

const REPO_ROOT = resolve(__dirname, '..');

/** Where the upstream fixtures are looked for: `$EFD_FIXTURES`, else `../shared/fixtures`. */
export function fixturesRoot(): string {
  return process.env.EFD_FIXTURES ? resolve(process.env.EFD_FIXTURES) : resolve(REPO_ROOT, '..', 'shared', 'fixtures');
}

/** Absolute path of `subpath` under the fixtures root, or undefined when it does not exist. */
export function conformanceFixture(subpath: string): string | undefined {
  const p = resolve(fixturesRoot(), subpath);
  return existsSync(p) ? p : undefined;
}

/** True when a missing fixture must fail the run: EFD_REQUIRE_FIXTURES=1 (set by `.ci/run`), or CI=true. */
export function fixturesRequired(): boolean {
  return process.env.EFD_REQUIRE_FIXTURES === '1' || mustRun();
}

/**
 * A `describe` block that runs only with the upstream fixture `subpath` present; `fn` gets its
 * absolute path. Absent: skipped with the reason printed, or one failing test under EFD_REQUIRE_FIXTURES=1 or CI=true.
 */
export function describeConformance(title: string, subpath: string, fn: (dir: string) => void): void {
  const dir = conformanceFixture(subpath);
  if (dir) {
    describe(`conformance: ${title}`, () => fn(dir));
    return;
  }
  const where = resolve(fixturesRoot(), subpath);
  const reason = `no upstream fixture at ${where} (set EFD_FIXTURES to a copy of shared/fixtures)`;
  if (fixturesRequired()) {
    describe(`conformance: ${title}`, () => {
      it('has its upstream fixtures', () => {
        throw new Error(`${reason}; EFD_REQUIRE_FIXTURES=1 or CI=true makes a missing fixture a failure`);
      });
    });
    return;
  }
  process.stderr.write(`conformance: "${title}" not run: ${reason}\n`);
  const skipped = describe.skip;
  skipped(`conformance: ${title} (not run: ${reason})`, () => {
    it('needs its upstream fixtures', () => undefined);
  });
}
