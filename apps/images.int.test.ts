/**
 * The images as built, without a Docker engine. apps/Dockerfile is the one recipe of every app image:
 * its shape is checked (targets = APP_IMAGES, pinned node:20 slim base, non-root, one bundle each), the
 * apps are bundled exactly as its build stage does (`bundleApps` of apps/images.ts), each target's /app
 * is laid out in a scratch folder that has no node_modules anywhere above it, and its ENTRYPOINT + CMD and
 * real commands (against the local EFD) run there: a module the bundle lacks fails them. The bundles'
 * inputs show what an image holds (no IaC, runtime `dependencies` exactly what the apps import). The
 * Kafka Connect image (apps/connect-image) is checked for its shape and its pinned, checksummed plugins.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { EXIT } from './lib/exit-codes';
import { APP_IMAGES, AppImageName, bundleApps } from './images';
import { CURRENT_DIR, CURRENT_FILES, CURRENT_INTERFACES, CURRENT_MERGED_TOPICS } from './lib/sal/test-fixtures';
import { influxQl } from '../scripts/local-efd/health';
import { TestNamespace, useNamespace, waitFor } from '../test/integration/env';

const root = resolve(__dirname, '..');

// ---------- Dockerfile reading ----------

interface Stage {
  name?: string;
  from: string;
  /** Instructions, continuation lines joined, comments dropped. */
  lines: string[];
}
interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  args: Record<string, string>;
  stages: Stage[];
}

function parseDockerfile(path: string): Dockerfile {
  const text = readFileSync(path, 'utf8').replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ from: from[1], name: from[2], lines: [] });
    else if (stages.length === 0 && /^ARG /.test(line)) {
      const [k, v = ''] = line.slice(4).split('=');
      args[k] = v;
    }
    stages.at(-1)?.lines.push(line);
  }
  return { args, stages };
}

/** A target and the stages it is built on, base first. */
function stageChain(d: Dockerfile, target: string): Stage[] {
  const chain: Stage[] = [];
  let s = d.stages.find((x) => x.name === target);
  while (s) {
    chain.unshift(s);
    const parent: string = s.from;
    s = d.stages.find((x) => x.name === parent);
  }
  return chain;
}

const instructions = (chain: Stage[], op: string) =>
  chain.flatMap((s) => s.lines.filter((l) => l.startsWith(`${op} `)).map((l) => l.slice(op.length + 1).trim()));
const lastJson = (chain: Stage[], op: string): string[] => JSON.parse(instructions(chain, op).at(-1) ?? 'null');

function imageEnv(chain: Stage[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of instructions(chain, 'ENV')) for (const [, k, v] of e.matchAll(/(\w+)=(\S+)/g)) env[k] = v;
  return env;
}

const recipe = parseDockerfile(join(root, 'apps/Dockerfile'));
const appStage = (name: string) => recipe.stages.find((s) => s.name === name);

// ---------- the images, laid out ----------

let work: string;
let bundles: string;
let metafiles: Record<string, Metafile>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'efd-images-'));
  bundles = join(work, 'out');
  metafiles = await bundleApps(bundles);
  for (const image of APP_IMAGES) layOut(image);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const appDir = (image: string) => join(work, image, 'app');
const mapApp = (image: string, p: string) => p.replace(/^\/app(?=\/|$)/, appDir(image));

/** /app of `image` as its target's COPY lines build it: bundles from the build stage, ts_xml (the in-repo fixture stands in for the checksummed download). */
function layOut(image: string): void {
  mkdirSync(appDir(image), { recursive: true });
  for (const copy of instructions(stageChain(recipe, image), 'COPY')) {
    const m = /^--from=(\S+)\s+(\S+)\s+(\S+)$/.exec(copy);
    if (!m) throw new Error(`${image}: COPY without --from=<stage> <src> <dest>: ${copy}`);
    const [, stage, src, dest] = m;
    if (stage === 'build' && /^\/out\/[\w-]+\.js$/.test(src)) cpSync(join(bundles, src.slice('/out/'.length)), mapApp(image, dest));
    else if (stage === 'ts-xml' && src === '/ts_xml') cpSync(CURRENT_INTERFACES, mapApp(image, dest), { recursive: true });
    else throw new Error(`${image}: COPY the test cannot lay out: ${copy}`);
  }
}

/** Runs the image's ENTRYPOINT with these args in its /app (WORKDIR), with the image's ENV and nothing from the repository. */
function runImage(image: string, args: string[], env: Record<string, string> = {}) {
  const chain = stageChain(recipe, image);
  const [bin, ...rest] = lastJson(chain, 'ENTRYPOINT').map((a) => mapApp(image, a));
  expect(bin).toBe('node');
  const imageVars = Object.fromEntries(Object.entries(imageEnv(chain)).map(([k, v]) => [k, mapApp(image, v)]));
  return { command: [...rest, ...args], cwd: appDir(image), env: { PATH: process.env.PATH ?? '', ...imageVars, ...env } };
}

function runImageSync(image: string, args: string[], env: Record<string, string> = {}) {
  const r = runImage(image, args, env);
  return spawnSync(process.execPath, r.command, { cwd: r.cwd, env: r.env, encoding: 'utf8', timeout: 60_000 });
}

// ---------- the recipe ----------

describe('apps/Dockerfile: one recipe for every app image', () => {
  it('is the only app Dockerfile; the Connect image has its own folder', () => {
    const withDockerfile = readdirSync(join(root, 'apps')).filter((d) => existsSync(join(root, 'apps', d, 'Dockerfile')));
    expect(withDockerfile).toEqual(['connect-image']);
  });

  it('has one target per app image, each FROM the shared run stage', () => {
    const targets = recipe.stages.filter((s) => s.from === 'app').map((s) => s.name);
    expect(targets).toEqual([...APP_IMAGES]);
  });

  it('every stage is on the pinned Node 20 slim image', () => {
    expect(recipe.args.NODE_IMAGE).toMatch(/^node:20\.\d+\.\d+-slim$/);
    expect(process.versions.node.split('.')[0]).toBe('20');
    const names = new Set(recipe.stages.map((s) => s.name));
    for (const s of recipe.stages) expect(s.from === '${NODE_IMAGE}' || names.has(s.from)).toBe(true);
  });

  it('the build stage installs the lock and runs the bundler the test runs', () => {
    const build = appStage('build')?.lines.join('\n') ?? '';
    expect(build).toMatch(/^COPY package\.json package-lock\.json \.\/$/m);
    expect(build).toMatch(/^RUN npm install --ignore-scripts --no-audit --no-fund$/m);
    expect(build).toMatch(/^RUN npx tsx apps\/images\.ts \/out$/m);
  });

  it('the run stage is non-root with the bundle as entrypoint', () => {
    const run = appStage('app')?.lines ?? [];
    expect(run).toContain('USER 1000:1000');
    expect(run).toContain('WORKDIR /app');
    expect(JSON.parse(run.find((l) => l.startsWith('ENTRYPOINT '))?.slice(11) ?? 'null')).toEqual(['node', '/app/efd.js']);
  });

  it('downloads only what it checks: ts_xml at a commit, every file against apps/ts-xml.sha256', () => {
    const adds = recipe.stages.flatMap((s) => s.lines.filter((l) => /^ADD /.test(l)).map((l) => ({ stage: s.name, l })));
    expect(adds.map((a) => a.stage)).toEqual(['ts-xml']);
    expect(recipe.stages.flatMap((s) => s.lines).filter((l) => /\b(curl|wget)\b/.test(l))).toEqual([]);
    const tsXml = appStage('ts-xml')?.lines.join('\n') ?? '';
    expect(tsXml).toMatch(/^ARG TS_XML_COMMIT=[0-9a-f]{40}$/m);
    expect(tsXml).toMatch(/ADD https:\/\/github\.com\/lsst-ts\/ts_xml\/archive\/\$\{TS_XML_COMMIT\}\.tar\.gz /);
    expect(tsXml).toMatch(/^COPY apps\/ts-xml\.sha256 \/tmp\/ts-xml\.sha256$/m);
    expect(tsXml).toMatch(/cd \/ts_xml && find \. -type f \| LC_ALL=C sort \| xargs sha256sum \| diff \/tmp\/ts-xml\.sha256 -;/);
    const list = readFileSync(join(root, 'apps/ts-xml.sha256'), 'utf8').trimEnd().split('\n');
    for (const line of list) expect(line).toMatch(/^[0-9a-f]{64} {2}\.\/[\w./-]+$/);
    const paths = list.map((l) => l.slice(66));
    expect([...paths].sort()).toEqual(paths);
    expect(new Set(paths).size).toBe(paths.length);
    // the in-repo fixture's layout (what salschema and salmock read) is the real one's
    for (const f of ['./SALGenerics.xml', './SALSubsystems.xml', './ATDome/ATDome_Events.xml', './Test/Test_Telemetry.xml'])
      expect(paths).toContain(f);
  });

  it('.dockerignore leaves out everything .gitignore does, and .git', () => {
    const norm = (l: string) => l.replace(/^\*\*\//, '').replace(/\/$/, '');
    const lines = (f: string) =>
      readFileSync(join(root, f), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
    const ignored = new Set(lines('.dockerignore').map(norm));
    expect(ignored.has('.git')).toBe(true);
    expect(
      lines('.gitignore')
        .map(norm)
        .filter((l) => !ignored.has(l)),
    ).toEqual([]);
  });
});

// ---------- what the images hold ----------

/** The package an esbuild input belongs to (`@scope/name` or `name`), or undefined for a repository source. */
function packageOf(input: string): string | undefined {
  const i = input.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  const parts = input.slice(i + 'node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

describe('what each image holds (the bundle inputs)', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const runtimeTree = new Set(
    Object.entries(lock.packages)
      .filter(([k, v]) => k && !v.dev)
      .map(([k]) => packageOf(k)),
  );

  it.each(APP_IMAGES)('%s: repository sources from apps/ and config/ only, packages only from the runtime dependency tree', (image) => {
    const inputs = Object.keys(metafiles[image].inputs);
    const sources = inputs.filter((i) => packageOf(i) === undefined);
    expect(sources).toContain(`apps/${image}/main.ts`);
    const outOfLayer = sources.filter((s) => !/^(apps|config)\//.test(s)).sort();
    expect(outOfLayer).toEqual([]);
    expect(sources.filter((s) => /\.test\.ts$|^(stacks|bench|test)\//.test(s))).toEqual([]);
    const packages = [...new Set(inputs.map(packageOf).filter((p): p is string => p !== undefined))];
    expect(packages.filter((p) => !runtimeTree.has(p))).toEqual([]);
    for (const iac of ['cdktf', 'constructs', '@cdktf/provider-google', '@cdktf/provider-helm', '@cdktf/provider-kubernetes'])
      expect(packages).not.toContain(iac);
  });

  it('runtime dependencies are exactly the packages the apps import; the IaC and tools are devDependencies', () => {
    const imported = new Set<string>();
    for (const meta of Object.values(metafiles)) {
      for (const [input, info] of Object.entries(meta.inputs)) {
        if (packageOf(input) !== undefined) continue;
        for (const imp of info.imports) {
          const p = packageOf(imp.path);
          if (p !== undefined) imported.add(p);
        }
      }
    }
    expect([...imported].sort()).toEqual(Object.keys(pkg.dependencies).sort());
    for (const dev of [
      'cdktf',
      'cdktf-cli',
      'constructs',
      '@cdktf/provider-google',
      '@cdktf/provider-helm',
      '@cdktf/provider-kubernetes',
      'esbuild',
      'tsx',
      'typescript',
    ]) {
      expect(pkg.devDependencies[dev]).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it('the laid-out /app resolves no package of the repository (so a module missing from a bundle fails the runs below)', () => {
    for (let d = work; d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, 'node_modules'))).toBe(false);
    const r = runImage('salschema', []);
    const probe = spawnSync(process.execPath, ['-e', "require.resolve('commander')"], { cwd: r.cwd, env: r.env, encoding: 'utf8' });
    expect(probe.status).toBe(1);
    expect(probe.stderr).toMatch(/Cannot find module 'commander'/);
  });

  it.each(APP_IMAGES)('%s: /app is one file (plus ts_xml), figures as built here', (image) => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else files.push(join(d, e.name));
      }
    };
    walk(appDir(image));
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
    const others = files.map((f) => relative(appDir(image), f)).filter((f) => f !== 'efd.js' && !f.startsWith('ts_xml/'));
    expect(others).toEqual([]);
    process.stderr.write(
      `image ${image}: /app ${(bytes / 1e6).toFixed(2)} MB in ${files.length} files (efd.js ${(statSync(join(appDir(image), 'efd.js')).size / 1e6).toFixed(2)} MB)\n`,
    );
  });
});

// ---------- running them ----------

describe.each(APP_IMAGES)('%s image runs', (image) => {
  it('ENTRYPOINT + CMD answers its --help', () => {
    const cmd = lastJson(stageChain(recipe, image), 'CMD');
    expect(cmd).toEqual([image, '--help']);
    const r = runImageSync(image, cmd);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: efd ${image} `));
  });
});

describe('the images do real work through the entrypoint (local EFD)', () => {
  let ns: TestNamespace;
  let prefix: string;
  let kafka: string;
  let registry: string;

  beforeAll(async () => {
    ns = await useNamespace(__filename);
    prefix = `it.${ns.id}.`;
    ({ kafka, registry } = ns.endpoints.clusters[0]);
  }, 180_000);

  afterAll(async () => {
    await ns?.cleanup();
  }, 120_000);

  it('salschema convert writes every fixture schema', () => {
    const dest = join(work, 'avsc');
    const r = runImageSync('salschema', ['salschema', 'convert', '--xml', CURRENT_DIR, '--out', dest]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(`${CURRENT_FILES} ts_xml files, ${CURRENT_MERGED_TOPICS} topics, ${CURRENT_MERGED_TOPICS} schemas written`);
    expect(readdirSync(dest).filter((f) => f.endsWith('.avsc'))).toHaveLength(CURRENT_MERGED_TOPICS);
  });

  it("salschema register (the Job's args: --xml /app/ts_xml) registers the Test topics in the real registry", async () => {
    const r = runImageSync('salschema', [
      'salschema',
      'register',
      '--xml',
      mapApp('salschema', '/app/ts_xml'),
      '--topics',
      '^Test_',
      '--registry',
      registry,
      '--topic-prefix',
      prefix,
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/: [1-9]\d* new subjects, 0 new versions, 0 unchanged, 0 failed\n$/);
    const versions = await fetch(`${registry}/subjects/${encodeURIComponent(`${prefix}lsst.sal.Test_scalars-value`)}/versions`);
    expect(await versions.json()).toEqual([1]);
  }, 60_000);

  it('salmock reads SALMOCK_XML (set by the image) and produces SAL text to the real broker', () => {
    const r = runImageSync('salmock', [
      'salmock',
      '--count',
      '20',
      '--subsystems',
      'Test',
      '--brokers',
      kafka,
      '--topic-prefix',
      prefix,
      '--create-topics',
      '--log-level',
      'warn',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('salmock without brokers exits 2 (usage) naming the flag and its env variable', () => {
    const r = runImageSync('salmock', ['salmock', '--count', '1']);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--brokers \(env KAFKA_BROKERS\)/);
    expect(r.stderr).not.toMatch(/SALMOCK_XML/);
  });

  it('saltransform without configuration exits 2 (usage) naming the flags and env variables to set', () => {
    const r = runImageSync('saltransform', ['saltransform']);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--subsystems \(env SALTRANSFORM_SUBSYSTEMS\) or --topics/);
  });

  /** Starts a long-running app, waits for its /healthz to answer 200, then SIGTERM: it must exit 0. */
  async function startHealthyStop(image: AppImageName, args: string[]): Promise<void> {
    const r = runImage(image, args);
    const child = spawn(process.execPath, r.command, { cwd: r.cwd, env: r.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      const port = await waitFor(
        `${image}'s metrics port`,
        async () => {
          if (child.exitCode !== null) return 'exited';
          // the runtime's "…/healthz on port N" line, or the sink's "metrics":"http://127.0.0.1:N"
          return /on port (\d+)|"metrics":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(stderr)?.slice(1).find(Boolean);
        },
        60_000,
      );
      if (port === 'exited') throw new Error(`${image} exited ${child.exitCode} before serving /healthz`);
      await waitFor(`${image} healthy`, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200, 60_000);
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${stderr}`);
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/Cannot find module|"level":(50|60)/);
  }

  it('saltransform consumes the raw topics and answers /healthz, then stops on SIGTERM', async () => {
    await startHealthyStop('saltransform', [
      'saltransform',
      '--subsystems',
      'Test',
      '--brokers',
      kafka,
      '--registry',
      registry,
      '--topic-prefix',
      prefix,
      '--group',
      ns.name('saltransform'),
      '--metrics-port',
      '0',
    ]);
  }, 150_000);

  it('influxdb-sink consumes lsst.sal.* into the real InfluxDB and answers /healthz, then stops on SIGTERM', async () => {
    await startHealthyStop('influxdb-sink', [
      'influxdb-sink',
      '--brokers',
      kafka,
      '--registry',
      registry,
      '--influxdb-url',
      ns.endpoints.influxdb.url,
      '--database',
      ns.database,
      '--topics-regex',
      `${prefix.replace(/\./g, '\\.')}lsst\\.sal\\..*`,
      '--group',
      ns.name('sink'),
      '--dead-letter-topic',
      `${prefix}sink.deadletter`,
      '--metrics-port',
      '0',
    ]);
  }, 150_000);

  it("connect-manager lists the real Connect worker's connectors", () => {
    const r = runImageSync('connect-manager', ['connectors', 'status', '--all', '--connect-url', ns.endpoints.clusters[0].connect]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('influxdb-init applies retention tiers to the real InfluxDB; influxdb-downsample is in the same image', async () => {
    const tiers = JSON.stringify([{ name: 'raw', duration: '1d', shardDuration: '1h' }]);
    const r = runImageSync('influxdb-init', [
      'influxdb-init',
      '--url',
      ns.endpoints.influxdb.url,
      '--database',
      ns.database,
      '--tiers',
      tiers,
    ]);
    expect(r.status).toBe(0);
    const rps = JSON.stringify(await influxQl(ns.endpoints.influxdb.url, `SHOW RETENTION POLICIES ON "${ns.database}"`));
    expect(rps).toMatch(/"raw","24h0m0s","1h0m0s"/);
    const site = runImageSync('influxdb-init', ['influxdb-init', '--site', 'summit', '--url', ns.endpoints.influxdb.url, '--dry-run']);
    expect(site.status).toBe(EXIT.badInput);
    expect(site.stderr).toMatch(
      /--site summit: no site files here \(.*\/sites does not exist; the influxdb-init image carries none\): give --database and --tiers instead/,
    );
    const help = runImageSync('influxdb-init', ['influxdb-downsample', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: efd influxdb-downsample /);
  }, 60_000);
});

// ---------- the Kafka Connect image ----------

describe('apps/connect-image: pinned base images and plugins, checksummed downloads', () => {
  const dir = join(root, 'apps/connect-image');
  const d = parseDockerfile(join(dir, 'Dockerfile'));
  const all = d.stages.flatMap((s) => s.lines);
  const argsOf = (s: Stage | undefined) =>
    Object.fromEntries((s?.lines ?? []).filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4).split('=') as [string, string]));

  it('builds on pinned images: a Maven stage for the plugins, then cp-kafka-connect at CP_VERSION', () => {
    expect(d.args.CP_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(d.stages.map((s) => s.from)).toEqual(['maven:3.9.9-eclipse-temurin-17', 'confluentinc/cp-kafka-connect:${CP_VERSION}']);
    for (const s of d.stages) for (const [k, v] of Object.entries(argsOf(s))) expect(`${k}=${v}`).toMatch(/=\d+(\.\d+)+$/);
    expect(all.filter((l) => /^ADD /.test(l) || /\b(curl|wget)\b/.test(l))).toEqual([]);
  });

  it('every Maven download is checked: repository checksums strictly (-C), and plugins.sha256 pinned for what is listed', () => {
    const plugins = d.stages[0].lines.join('\n');
    const mvn = plugins.match(/\bmvn [^;]*/g) ?? [];
    expect(mvn.length).toBeGreaterThan(0);
    for (const m of mvn) expect(m).toMatch(/ -C /);
    expect(plugins).toMatch(/^COPY plugins\.sha256 \/build\/plugins\.sha256$/m);
    expect(plugins).toMatch(/cd \/plugins && sha256sum --check --strict \/build\/plugins\.sha256;/);
    const args = argsOf(d.stages[0]);
    const listed = readFileSync(join(dir, 'plugins.sha256'), 'utf8').trimEnd().split('\n');
    for (const line of listed) expect(line).toMatch(/^[0-9a-f]{64} {2}\.\/[\w-]+\/[\w.-]+\.jar$/);
    // the pinned file is the one the fetch line makes of its ARG's version
    expect(listed.map((l) => l.slice(66))).toEqual([`./oracle-jdbc-driver/ojdbc8-${args.ORACLE_JDBC}.jar`]);
    expect(plugins).toMatch(/fetch oracle-jdbc-driver com\.oracle\.database\.jdbc ojdbc8 "\$ORACLE_JDBC"/);
  });

  it('the downloads not pinned by sha256 yet are exactly the ones NOTES.md names', () => {
    const notes = readFileSync(join(dir, 'NOTES.md'), 'utf8');
    const unpinned = [...d.stages[0].lines.join('\n').matchAll(/fetch ([\w-]+) /g)]
      .map((m) => m[1])
      .filter((f) => f !== 'oracle-jdbc-driver');
    expect(unpinned).toEqual(['influxdb-sink', 's3-sink', 'gcs-sink']);
    expect(all.some((l) => /confluent-hub install/.test(l))).toBe(true);
    expect(notes).toMatch(/Not pinned by sha256 yet: `influxdb-sink`, `s3-sink`, `gcs-sink` and the JDBC sink/);
  });
});
