/**
 * The lint rules fire: eslint.config.mjs run through ESLint's Node API on small in-memory sources,
 * each linted as if it were a file at the given path (imports resolve against the real tree).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..');

interface Finding {
  file: string;
  line: number;
  rule: string | null;
  message: string;
}

/**
 * Lints each `[path, text]` in one ESLint process (a child: the config is an ES module, which jest's
 * CommonJS runtime cannot import), returning the findings per source.
 */
function lint(sources: [string, string][]): Finding[][] {
  const program = `
    import { ESLint } from 'eslint';
    const sources = JSON.parse(await new Response(process.stdin).text());
    const eslint = new ESLint({ cwd: process.cwd() });
    const out = [];
    for (const [file, text] of sources) {
      const [r] = await eslint.lintText(text, { filePath: file });
      out.push(r.messages.map((m) => ({ file, line: m.line, rule: m.ruleId, message: m.message })));
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    cwd: root,
    input: JSON.stringify(sources),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`eslint failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Finding[][];
}

const LAYER = 'import-x/no-restricted-paths';
const rulesOf = (f: Finding[]) => f.map((x) => x.rule);

describe('lint: the layers run one way', () => {
  // [importing file, import, what it breaks]
  const forbidden: [string, string, RegExp][] = [
    ['apps/connect-manager/probe.ts', '../../scripts/local-efd/endpoints', /apps\/connect-manager builds on apps\/lib and config only/],
    ['apps/saltransform/probe.ts', '../salmock/cli', /apps\/saltransform builds on apps\/lib/],
    ['apps/salmock/probe.ts', '../saltransform/run', /move what two apps share into apps\/lib/],
    ['apps/influxdb-sink/probe.ts', '../../constructs/influxdb', /apps\/influxdb-sink builds on apps\/lib/],
    ['apps/lib/probe.ts', '../salmock/run', /apps\/lib is shared by the apps/],
    ['apps/lib/sal/probe.ts', '../../../stacks/names', /apps\/lib is shared by the apps/],
    ['config/probe.ts', '../constructs/kafka-platform', /config is the bottom layer/],
    ['config/probe.ts', '../scripts/synth', /config is the bottom layer/],
    ['constructs/probe.ts', '../stacks/efd-stack', /constructs build on config only/],
    ['constructs/connectors/probe.ts', '../../apps/connect-manager/plan', /constructs build on config only/],
    ['stacks/probe.ts', '../apps/lib/kafka', /stacks compose constructs/],
    ['scripts/probe.ts', '../test/integration/env', /only tests \(\*\.test\.ts\) import the test helpers/],
    ['apps/saltransform/test-helpers.ts', '../../test/integration/env', /only tests \(\*\.test\.ts\) import the test helpers in test\//],
  ];
  const allowed: [string, string][] = [
    ['apps/salmock/probe.ts', '../lib/sal/sal-text'],
    ['apps/influxdb-init/probe.ts', '../../config/schema'],
    ['apps/cli/probe.ts', '../../scripts/local-efd'],
    ['apps/cli/probe.ts', '../salmock/cli'],
    ['stacks/probe.ts', '../constructs/kafka-platform'],
    ['scripts/probe.ts', '../stacks/names'],
    ['test/integration/probe.ts', '../../scripts/local-efd/health'],
    // tests sit on top: they may drive any app and use the test helpers
    ['apps/saltransform/probe.test.ts', '../salmock/cli'],
    ['apps/salmock/probe.test.ts', '../../test/integration/env'],
  ];
  let forbiddenFindings: Finding[][];
  let allowedFindings: Finding[][];
  beforeAll(() => {
    const all = lint([...forbidden, ...allowed].map(([file, spec]) => [file, `import * as m from '${spec}';\nexport default m;\n`]));
    forbiddenFindings = all.slice(0, forbidden.length);
    allowedFindings = all.slice(forbidden.length);
  }, 60_000);

  it.each(forbidden.map((f, i) => [...f, i] as const))('%s importing %s fails the lint', (_file, _spec, message, i) => {
    expect(forbiddenFindings[i]).toEqual([{ file: _file, line: 1, rule: LAYER, message: expect.stringMatching(message) }]);
  });

  it.each(allowed.map((a, i) => [...a, i] as const))('%s may import %s', (_file, _spec, i) => {
    expect(allowedFindings[i]).toEqual([]);
  });
});

describe('lint: project rules', () => {
  // Built from parts so that this file does not itself hold a root import.
  const pkg = (name: string) => `@cdktf/provider-${name}`;
  const cases: [string, string, string][] = [
    [`import { ContainerCluster } from '${pkg('google')}';`, 'deep path', 'no-restricted-imports'],
    [`import * as k8s from '${pkg('kubernetes')}';`, 'deep path', 'no-restricted-imports'],
    [`export { Release } from '${pkg('helm')}/lib';`, 'deep path', 'no-restricted-imports'],
    [`import { x } from '${pkg('google')}/lib/index';`, 'deep path', 'no-restricted-imports'],
    [`const helm = require('${pkg('helm')}');`, 'deep path', 'no-restricted-syntax'],
    [`const g = import('${pkg('google')}/lib/lazy-index');`, 'deep path', 'no-restricted-syntax'],
    ["it.only('x', () => {});", 'remove .only', 'no-restricted-syntax'],
    ["describe.only('x', () => {});", 'remove .only', 'no-restricted-syntax'],
    ["test.only.each([1])('x %p', () => {});", 'remove .only', 'no-restricted-syntax'],
    ["fit('x', () => {});", 'focused test', 'no-restricted-syntax'],
  ];
  const clean = [
    "import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';",
    "const r = require('@cdktf/provider-helm/lib/release');",
    // skipping is not rejected by the lint: a test that cannot run says so (test/conformance.ts)
    "it.skip('x', () => {});",
  ];
  let found: Finding[][];
  let unresolved: Finding[];
  beforeAll(() => {
    const all = lint([
      ...cases.map(([text]) => ['scripts/probe.test.ts', text] as [string, string]),
      ...clean.map((t) => ['stacks/probe.test.ts', t] as [string, string]),
      ['apps/salmock/probe.ts', "import { nope } from '../lib/no-such-module';\nexport default nope;\n"],
    ]);
    found = all.slice(0, -1);
    unresolved = all[all.length - 1];
  }, 60_000);

  // An import the resolver cannot find would pass the layer rule unchecked, so it fails the lint.
  it('rejects a relative import that does not resolve', () => {
    expect(unresolved).toEqual([
      expect.objectContaining({ rule: 'import-x/no-unresolved', message: expect.stringContaining('../lib/no-such-module') }),
    ]);
  });

  it.each(cases.map((c, i) => [...c, i] as const))('rejects %s', (_text, message, rule, i) => {
    expect(found[i]).toEqual([expect.objectContaining({ rule, message: expect.stringContaining(message) })]);
  });

  it.each(clean.map((c, i) => [c, i] as const))('accepts %s', (_text, i) => {
    expect(rulesOf(found[cases.length + i])).toEqual([]);
  });
});
