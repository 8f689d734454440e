/**
 * The app images as built, without a Docker engine: checks each Dockerfile's shape (multi-stage
 * node:20-slim, non-root, compiled-CLI entrypoint), compiles the apps exactly as the build stage does
 * (`tsc -p apps/tsconfig.build.json`), lays the result out like the image's /app, and runs each
 * image's ENTRYPOINT + CMD, then real commands through the same entrypoint.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CURRENT_DIR, CURRENT_FILES, CURRENT_MERGED_TOPICS } from './lib/sal/test-fixtures';

const root = resolve(__dirname, '..');
const APPS = ['salmock', 'saltransform', 'salschema', 'influxdb-init'] as const;

interface Dockerfile {
  stages: { from: string; lines: string[] }[];
  entrypoint: string[];
  cmd: string[];
}

function parseDockerfile(app: string): Dockerfile {
  const text = readFileSync(join(root, 'apps', app, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages: Dockerfile['stages'] = [];
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (/^FROM /i.test(line)) stages.push({ from: line.split(/\s+/)[1], lines: [] });
    stages.at(-1)?.lines.push(line);
    if (/^ENTRYPOINT /.test(line)) entrypoint = JSON.parse(line.slice('ENTRYPOINT '.length));
    if (/^CMD /.test(line)) cmd = JSON.parse(line.slice('CMD '.length));
  }
  return { stages, entrypoint, cmd };
}

let out: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'efd-image-'));
  // the build stage's compile step, then the runtime layout: /app = compiled tree + node_modules + package.json
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'apps/tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'pipe' });
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
  copyFileSync(join(root, 'package.json'), join(out, 'package.json'));
}, 60_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Runs the image's entrypoint with these args, /app mapped to the compiled tree. */
function runImage(d: Dockerfile, args: string[], env: Record<string, string> = {}) {
  const [bin, ...rest] = d.entrypoint.map((a) => a.replace(/^\/app\//, `${out}/`));
  expect(bin).toBe('node');
  return spawnSync(process.execPath, [...rest, ...args], { cwd: out, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });
}

describe.each(APPS)('%s image', (app) => {
  const d = parseDockerfile(app);

  it('is multi-stage on node:20-slim, compiles with apps/tsconfig.build.json, runs non-root', () => {
    expect(d.stages.length).toBeGreaterThanOrEqual(2);
    expect(d.stages.every((s) => s.from === 'node:20-slim')).toBe(true);
    const build = d.stages[0].lines.join('\n');
    expect(build).toMatch(/npm install --ignore-scripts/);
    expect(build).toMatch(/tsc -p apps\/tsconfig\.build\.json --outDir \/out/);
    expect(build).toMatch(/npm prune --omit=dev/);
    const final = d.stages.at(-1)?.lines.join('\n') ?? '';
    expect(final).toMatch(/^USER 1000:1000$/m);
    expect(final).toMatch(/COPY --from=build/);
    expect(d.entrypoint).toEqual(['node', '/app/apps/cli/main.js']);
    expect(d.cmd[0]).toBe(app);
  });

  it('ENTRYPOINT + CMD starts the compiled app and answers --help', () => {
    const r = runImage(d, d.cmd);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: efd ${app} `));
  });
});

describe('compiled apps do real work through the entrypoint', () => {
  const d = parseDockerfile('salschema');

  it('salschema convert writes every fixture schema', () => {
    const dest = join(out, 'avsc');
    const r = runImage(d, ['salschema', 'convert', '--xml', CURRENT_DIR, '--out', dest]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(`${CURRENT_FILES} ts_xml files, ${CURRENT_MERGED_TOPICS} topics, ${CURRENT_MERGED_TOPICS} schemas written`);
    expect(readdirSync(dest).filter((f) => f.endsWith('.avsc'))).toHaveLength(CURRENT_MERGED_TOPICS);
  });

  it('saltransform without configuration exits 1 naming the flags and env variables to set', () => {
    const r = runImage(parseDockerfile('saltransform'), ['saltransform']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--subsystems \(env SALTRANSFORM_SUBSYSTEMS\) or --topics/);
  });

  it('salmock reads its ts_xml folder from SALMOCK_XML (the image sets it) and checks the brokers', () => {
    const r = runImage(parseDockerfile('salmock'), ['salmock', '--count', '1'], { SALMOCK_XML: CURRENT_DIR });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--brokers \(env KAFKA_BROKERS\)/);
    expect(r.stderr).not.toMatch(/SALMOCK_XML/);
  });
});
