// ESLint (flat config): the recommended type-unaware rules, the layers, and the project's own rules.
// `npm run lint` runs it (then tsc); scripts/lint.test.ts proves the layer and project rules fire.
import { readdirSync } from 'node:fs';
import { URL } from 'node:url';
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/** The apps: every folder of apps/ but the shared library (lib) and the CLI on top (cli). */
export const APPS = readdirSync(new URL('./apps', import.meta.url), { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== 'lib' && e.name !== 'cli')
  .map((e) => e.name);

/** Tests (and only tests) sit on top of everything: they may import any layer and the helpers in test/. */
export const TEST_FILES = ['**/*.test.ts'];

const TOP = ['./scripts', './bench', './main.ts'];
const layer = (message) => (zone) => ({ ...zone, message });
/**
 * The layers run one way: config → constructs → stacks; apps/lib → apps; scripts, bench, main.ts and
 * the CLI (apps/cli) on top; test/ (test support) above all, imported only by tests.
 */
export const LAYER_ZONES = [
  layer('config is the bottom layer: it must not import constructs, stacks, apps or scripts')({
    target: './config',
    from: ['./constructs', './stacks', './apps', ...TOP],
  }),
  layer('constructs build on config only: they must not import stacks, apps or scripts')({
    target: './constructs',
    from: ['./stacks', './apps', ...TOP],
  }),
  layer('stacks compose constructs: they must not import apps or scripts')({
    target: './stacks',
    from: ['./apps', ...TOP],
  }),
  layer('apps/lib is shared by the apps: it must not import an app, constructs, stacks or scripts')({
    target: './apps/lib',
    from: ['./apps', './constructs', './stacks', ...TOP],
    except: ['./lib'],
  }),
  ...APPS.map((app) =>
    layer(
      `apps/${app} builds on apps/lib and config only: move what two apps share into apps/lib (no other app, constructs, stacks or scripts)`,
    )({
      target: `./apps/${app}`,
      from: ['./apps', './constructs', './stacks', ...TOP],
      except: ['./lib', `./${app}`],
    }),
  ),
  layer('only tests (*.test.ts) import the test helpers in test/')({
    target: ['./config', './constructs', './stacks', './apps', ...TOP],
    from: './test',
  }),
];

// Provider packages by deep path only: the package root loads every resource class, costing seconds
// and hundreds of MB per test file.
const PROVIDER_ROOT = '^@cdktf/provider-[a-z0-9-]+(/lib)?(/(index|lazy-index))?$';
const PROVIDER_MESSAGE = 'import the provider by deep path (e.g. @cdktf/provider-google/lib/container-cluster), not its root';
const esqueryRegex = (re) => `/${re.replace(/\//g, '\\/')}/`;

export default defineConfig(
  {
    ignores: ['node_modules/', 'cdktf.out/', '.efd-local/', '.gen/', 'dist/', 'state/', 'apps/**/assembly/', '**/*.generated.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Off, each with why; turn one on together with the change that rewrites its findings:
      // - `any` is kept where tests read synthesized JSON;
      '@typescript-eslint/no-explicit-any': 'off',
      // - lazy `require()` keeps cold starts (synth, the CLI, jest mocks) from loading unused modules;
      '@typescript-eslint/no-require-imports': 'off',
      // - noUnusedLocals in tsconfig already rejects unused names (and allows `_`-prefixed parameters);
      '@typescript-eslint/no-unused-vars': 'off',
      // - it would ask for `{ cause }` on 9 rethrown errors, which changes how they print;
      'preserve-caught-error': 'off',
      // - it flags the last `--i` of the hand-unrolled digit loops in line-protocol.ts (a hot path);
      'no-useless-assignment': 'off',
      // - runs of spaces in the tests' expected-output regexes are the column layout under test.
      'no-regex-spaces': 'off',
      // `declare global { namespace … }` is how the ES2022 lib gets WebAssembly and jest its matchers.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      'no-restricted-imports': ['error', { patterns: [{ regex: PROVIDER_ROOT, message: PROVIDER_MESSAGE }] }],
      'no-restricted-syntax': [
        'error',
        {
          selector: `CallExpression[callee.name='require'] > Literal.arguments[value=${esqueryRegex(PROVIDER_ROOT)}]`,
          message: PROVIDER_MESSAGE,
        },
        { selector: `ImportExpression > Literal.source[value=${esqueryRegex(PROVIDER_ROOT)}]`, message: PROVIDER_MESSAGE },
        // Focused tests only: skipping is allowed where a test says why (see test/conformance.ts).
        {
          selector: "MemberExpression[object.name=/^(it|test|describe)$/][property.name='only']",
          message: 'focused test left in; remove .only',
        },
        { selector: 'CallExpression[callee.name=/^f(it|describe)$/]', message: 'focused test left in; use it/describe' },
        // bin/efd runs the sources through tsx's require hook, which does not load TypeScript through import()
        {
          selector: 'ImportExpression > Literal.source[value=/^[.]/]',
          message: "a project module loaded with import() fails under bin/efd (tsx/cjs); use `require('./x') as typeof import('./x')`",
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    ignores: TEST_FILES,
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.d.ts', '.js', '.mjs', '.json', '.node'] })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: LAYER_ZONES }],
      // A relative import the resolver cannot find would pass the layer rule unchecked: fail it instead.
      'import-x/no-unresolved': ['error', { commonjs: true, ignore: ['^[^.]'] }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
