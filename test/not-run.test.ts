/** notRun: reported as skipped here, failing on CI; checked by running jest on a tiny suite in a child. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');

function runSuite(env: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'efd-not-run-'));
  try {
    writeFileSync(
      join(dir, 'probe.test.js'),
      `const { notRunTest } = require(${JSON.stringify(join(root, 'test', 'not-run.ts'))});\nnotRunTest('no frobnicator here')('frobnicates', () => {});\n`,
    );
    const r = spawnSync(
      process.execPath,
      [
        require.resolve('jest/bin/jest'),
        '--ci',
        '--config',
        JSON.stringify({ rootDir: dir, testEnvironment: 'node', transform: { '^.+\\.(t|j)s$': [require.resolve('@swc/jest'), {}] } }),
      ],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', ...env },
        encoding: 'utf8',
      },
    );
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('notRun', () => {
  it('reports the test as not run, with the reason, and passes outside CI', () => {
    const r = runSuite({});
    expect(r.out).toContain('not run: "frobnicates": no frobnicator here');
    expect(r.out).toMatch(/Tests:\s+1 skipped, 1 total/);
    expect(r.status).toBe(0);
  }, 60_000);

  it('fails on CI (CI=true)', () => {
    const r = runSuite({ CI: 'true' });
    expect(r.out).toContain('cannot run: no frobnicator here');
    expect(r.out).toMatch(/Tests:\s+1 failed, 1 total/);
    expect(r.status).toBe(1);
  }, 60_000);
});
