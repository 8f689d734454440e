import { spawnSync } from 'child_process';
import * as path from 'path';
import { buildProgram } from './main';

const root = path.resolve(__dirname, '..', '..');

/** The modules a cold `efd <argv>` process loaded (relative to the project, node_modules packages by name). */
function loadedBy(argv: string[]): string[] {
  const script = `require('tsx/cjs'); const { runCli } = require('./apps/cli/main.ts');
    process.stdout.write = () => true;
    runCli(${JSON.stringify(argv)}).then(() => { process.stderr.write(JSON.stringify(Object.keys(require.cache))); });`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  expect(r.status).toBe(0);
  return (JSON.parse(r.stderr) as string[]).map((f) => {
    const rel = path.relative(root, f);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
    return pkg ? `pkg:${pkg[1]}` : rel;
  });
}

describe('efd subcommands load lazily', () => {
  it('`efd --help` loads no app: only commander and the CLI entry', () => {
    const loaded = loadedBy(['--help']);
    expect(loaded).toContain('apps/cli/main.ts');
    expect(
      loaded
        .filter((f) => f.startsWith('pkg:'))
        .filter((p) => !['pkg:tsx', 'pkg:commander', 'pkg:get-tsconfig', 'pkg:resolve-pkg-maps', 'pkg:esbuild'].includes(p)),
    ).toEqual([]);
    expect(loaded.filter((f) => f.startsWith('apps/') && !f.startsWith('apps/lib/'))).toEqual(['apps/cli/main.ts']);
  }, 60_000);

  it('`efd salschema …` loads salschema, not cdktf or the other apps', () => {
    const loaded = loadedBy(['salschema', 'convert', '--help']);
    expect(loaded).toContain('apps/salschema/cli.ts');
    for (const other of [
      'apps/salmock/cli.ts',
      'apps/influxdb-sink/cli.ts',
      'apps/cli/sites.ts',
      'apps/saltransform/cli.ts',
      'pkg:cdktf',
      'pkg:@platformatic/kafka',
      'pkg:@influxdata/influxdb-client',
    ])
      expect(loaded).not.toContain(other);
  }, 60_000);

  it('lists every command in --help as the full program does', () => {
    expect(buildProgram(['--help']).helpInformation()).toBe(buildProgram().helpInformation());
    // A command's own help is its real one (options included).
    const salmock = buildProgram(['salmock']).commands.find((c) => c.name() === 'salmock');
    expect(salmock?.options.map((o) => o.long)).toContain('--rate-factor');
  });
});
