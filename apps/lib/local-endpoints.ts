/**
 * The local EFD's endpoints file (`<state>/endpoints.json`), as the apps' `--local` flags, the tests and
 * the benches read it. scripts/local-efd writes it when the local EFD starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface ClusterEndpoints {
  name: string;
  /** Kafka bootstrap `host:port`. */
  kafka: string;
  /** Confluent-compatible registry API URL (what Confluent clients call the registry URL). */
  registry: string;
  /** Registry server root, for its native API and health. */
  registryBase: string;
  connect: string;
}

export interface Endpoints {
  clusters: ClusterEndpoints[];
  influxdb: { url: string; database: string };
  /** PostgreSQL (the JDBC long-term sink's database), when this local EFD runs one. */
  postgres?: { host: string; port: number; database: string; user: string; password: string; jdbcUrl: string };
  /** The local Kubernetes API, when started with `efd local up --k8s`. */
  kubernetes?: { server: string; kubeconfig: string; contexts: string[] };
  /** The object stores of the Parquet copy, when their builds are in the cache (scripts/local-efd/object-stores.ts). */
  objectStores?: ObjectStoreEndpoints;
  /** With 2 clusters: replication a → b (source `summit` → aggregator `ldf`), its worker and registries. */
  replication?: ReplicationEndpoints;
}

export interface ObjectStoreEndpoints {
  /** S3-compatible (SeaweedFS): path-style requests; the keys are not checked. */
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** GCS JSON API (fake-gcs-server, an emulator): no credentials. */
  gcs: { endpoint: string };
}

export interface ReplicationEndpoints {
  /** `summit → ldf` */
  flow: string;
  /** The replication worker's Connect REST URL. */
  connect: string;
  /** Source registry (kafkasql, cluster a; its journal replicates): register schemas here for records that replicate. */
  sourceRegistry: string;
  /** Read-only remote registry at the aggregator (cluster b), serving the replicated journal: decodes `summit.*`. */
  remoteRegistry: string;
}

/** Runtime state of the local EFD (data, logs, pids, endpoints.json): `$EFD_LOCAL_DIR` or `<repo>/.efd-local`. */
export function localStateDir(): string {
  return process.env.EFD_LOCAL_DIR || path.join(REPO_ROOT, '.efd-local');
}

export function localEndpointsFile(): string {
  return path.join(localStateDir(), 'endpoints.json');
}

/** Endpoints of the running local EFD; throws with what to do when it is not up. */
export function readEndpoints(): Endpoints {
  const file = localEndpointsFile();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(
      `Local EFD endpoints file ${file} not found: the local EFD is not running. ` +
        'Start it with `npm run efd:up` (or `npx efd local up`).',
    );
  }
  try {
    const e = JSON.parse(text) as Endpoints;
    if (!Array.isArray(e.clusters) || e.clusters.length === 0 || !e.influxdb?.url) throw new Error('missing keys');
    return e;
  } catch (err) {
    throw new Error(`Local EFD endpoints file ${file} is malformed (${(err as Error).message}). ` + 'Recreate it with `npm run efd:up`.');
  }
}

/** Like readEndpoints but undefined instead of throwing. */
export function tryReadEndpoints(): Endpoints | undefined {
  try {
    return readEndpoints();
  } catch {
    return undefined;
  }
}
