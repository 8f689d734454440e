/**
 * A local Kubernetes API for `efd local up --k8s`: etcd, kube-apiserver and kube-controller-manager on
 * 127.0.0.1, with certificates and a service-account signing key made here by openssl on the first start
 * (in `<state>/k8s`), and a kubeconfig whose contexts are named as the sites expect (a kubeconfig site's
 * `target.context`; for a GKE site the context `gcloud container clusters get-credentials` writes,
 * `gke_<project>_<location>_<cluster>`), all pointing at the one local API server.
 *
 * No kubelet and no scheduler: objects are stored, validated, defaulted and admitted as on a cluster (and
 * the controller manager makes ReplicaSets from Deployments, service accounts for namespaces, finalizes
 * namespace deletion), but no pod runs.
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { Site } from '../../config/schema';
import { HOST, K8S_PORTS, paths } from './layout';
import type { Server } from './procs';
import { EfdError, requireTool, run } from './shell';

type Say = (line: string) => void;

export interface KubernetesEndpoints {
  /** `https://127.0.0.1:6443` */
  server: string;
  /** Kubeconfig with the admin user (system:masters) and one context per site. */
  kubeconfig: string;
  contexts: string[];
}

/** The kubeconfig context a site's stack uses. */
export function siteContext(site: Site): string {
  const t = site.target;
  return t.kind === 'kubeconfig' ? t.context : `gke_${t.project}_${t.zone ?? t.region}_${t.cluster.name}`;
}

export const LOCAL_CONTEXT = 'efd-local';

const k8sFile = (name: string) => path.join(paths.k8s(), name);
const apiserverUrl = () => `https://${HOST}:${K8S_PORTS.apiserver}`;

export function kubernetesEndpoints(contexts: string[]): KubernetesEndpoints {
  return { server: apiserverUrl(), kubeconfig: k8sFile('kubeconfig'), contexts: [LOCAL_CONTEXT, ...contexts] };
}

// ---------------------------------------------------------- certificates ----

interface Leaf {
  name: string;
  subject: string;
  ext: string;
}

const LEAVES: Leaf[] = [
  {
    name: 'apiserver',
    subject: '/CN=kube-apiserver',
    ext:
      'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n' +
      'extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  },
  {
    name: 'admin',
    subject: '/O=system:masters/CN=efd-admin',
    ext: 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  },
  {
    name: 'controller-manager',
    subject: '/CN=system:kube-controller-manager',
    ext: 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  },
];

/** A CA, the API server's serving certificate, two client certificates and the service-account key pair (once). */
async function ensureCertificates(say: Say): Promise<void> {
  const done = k8sFile('certs.done');
  if (fs.existsSync(done)) return;
  const openssl = requireTool('openssl', 'to make the local Kubernetes API certificates', '`apt-get install openssl`');
  fs.mkdirSync(paths.k8s(), { recursive: true, mode: 0o700 });
  const logFile = path.join(paths.logs(), 'k8s-certs.log');
  const ssl = (args: string[], what: string) => run(openssl, args, { cwd: paths.k8s(), logFile, what });
  say(`kubernetes: making a CA, certificates and a service-account key in ${paths.k8s()}`);
  await ssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=efd-local-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    'local CA',
  );
  for (const leaf of LEAVES) {
    fs.writeFileSync(k8sFile(`${leaf.name}.ext`), leaf.ext);
    await ssl(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${leaf.name}.key`, '-out', `${leaf.name}.csr`, '-subj', leaf.subject],
      `${leaf.name} key`,
    );
    await ssl(
      [
        'x509',
        '-req',
        '-in',
        `${leaf.name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${leaf.name}.crt`,
        '-days',
        '3650',
        '-extfile',
        `${leaf.name}.ext`,
      ],
      `${leaf.name} certificate`,
    );
  }
  await ssl(['genrsa', '-out', 'sa.key', '2048'], 'service-account signing key');
  await ssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], 'service-account public key');
  fs.writeFileSync(done, new Date().toISOString());
}

/** A kubeconfig for `user` (client certificate `<user>.crt`) with the given contexts, all on the local API server. */
function kubeconfig(user: string, contexts: string[]): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: LOCAL_CONTEXT, cluster: { server: apiserverUrl(), 'certificate-authority': k8sFile('ca.crt') } }],
    users: [{ name: user, user: { 'client-certificate': k8sFile(`${user}.crt`), 'client-key': k8sFile(`${user}.key`) } }],
    contexts: contexts.map((name) => ({ name, context: { cluster: LOCAL_CONTEXT, user } })),
    'current-context': contexts[0],
  });
}

function writeKubeconfigs(contexts: string[]): void {
  const all = [LOCAL_CONTEXT, ...contexts.filter((c) => c !== LOCAL_CONTEXT)];
  fs.writeFileSync(k8sFile('kubeconfig'), kubeconfig('admin', all), { mode: 0o600 });
  fs.writeFileSync(k8sFile('controller-manager.kubeconfig'), kubeconfig('controller-manager', [LOCAL_CONTEXT]), { mode: 0o600 });
}

// -------------------------------------------------------------- probes ----

/** GET `url` over TLS with the admin certificate (or none); the status, 0 when nothing answers. */
export function httpsStatus(url: string, opts: { admin?: boolean; timeoutMs?: number } = {}): Promise<number> {
  return new Promise((resolve) => {
    const tls = opts.admin
      ? { ca: fs.readFileSync(k8sFile('ca.crt')), cert: fs.readFileSync(k8sFile('admin.crt')), key: fs.readFileSync(k8sFile('admin.key')) }
      : { rejectUnauthorized: false }; // a loopback health probe of a self-signed serving certificate
    const req = https.get(url, { ...tls, timeout: opts.timeoutMs ?? 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok && /"health":\s*"true"/.test(await res.text());
  } catch {
    return false;
  }
}

// ------------------------------------------------------------- servers ----

/** etcd, kube-apiserver, kube-controller-manager, in start order; `contexts` are the sites' kubeconfig contexts. */
export function k8sServers(contexts: string[]): Server[] {
  const etcdUrl = `http://${HOST}:${K8S_PORTS.etcd}`;
  const etcd: Server = {
    name: 'etcd',
    ports: [K8S_PORTS.etcd, K8S_PORTS.etcdPeer],
    url: etcdUrl,
    heap: '(Go)',
    readyTimeoutMs: 60_000,
    async prepare() {
      fs.mkdirSync(path.join(paths.data(), 'etcd'), { recursive: true, mode: 0o700 });
    },
    command: () => ({
      cmd: paths.etcd(),
      args: [
        '--name',
        'efd-local',
        '--data-dir',
        path.join(paths.data(), 'etcd'),
        '--listen-client-urls',
        etcdUrl,
        '--advertise-client-urls',
        etcdUrl,
        '--listen-peer-urls',
        `http://${HOST}:${K8S_PORTS.etcdPeer}`,
        '--initial-advertise-peer-urls',
        `http://${HOST}:${K8S_PORTS.etcdPeer}`,
        '--initial-cluster',
        `efd-local=http://${HOST}:${K8S_PORTS.etcdPeer}`,
        '--listen-metrics-urls',
        '',
        '--quota-backend-bytes',
        String(2 * 1024 ** 3),
        '--snapshot-count',
        '10000',
        '--logger',
        'zap',
        '--log-level',
        'warn',
      ],
    }),
    ready: () => httpOk(`${etcdUrl}/health`),
  };
  const apiserver: Server = {
    name: 'kube-apiserver',
    needs: 'etcd',
    ports: [K8S_PORTS.apiserver],
    url: apiserverUrl(),
    heap: '(Go)',
    readyTimeoutMs: 180_000,
    async prepare(say) {
      await ensureCertificates(say);
      writeKubeconfigs(contexts);
    },
    command: () => ({
      cmd: path.join(paths.kubernetesBin(), 'kube-apiserver'),
      args: [
        `--etcd-servers=${etcdUrl}`,
        `--bind-address=${HOST}`,
        `--advertise-address=${HOST}`,
        `--secure-port=${K8S_PORTS.apiserver}`,
        `--tls-cert-file=${k8sFile('apiserver.crt')}`,
        `--tls-private-key-file=${k8sFile('apiserver.key')}`,
        `--client-ca-file=${k8sFile('ca.crt')}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${k8sFile('sa.pub')}`,
        `--service-account-signing-key-file=${k8sFile('sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        // Small: one client at a time on a 2-core machine.
        '--profiling=false',
        '--enable-priority-and-fairness=false',
        '--max-requests-inflight=100',
        '--max-mutating-requests-inflight=50',
        // The one address is loopback, which the kubernetes Service's endpoints may not hold.
        '--endpoint-reconciler-type=none',
        '--event-ttl=10m',
        '--v=0',
      ],
    }),
    ready: async () => (await httpsStatus(`${apiserverUrl()}/readyz`, { admin: true })) === 200,
  };
  const controllerManager: Server = {
    name: 'kube-controller-manager',
    needs: 'kube-apiserver',
    ports: [K8S_PORTS.controllerManager],
    url: `https://${HOST}:${K8S_PORTS.controllerManager}`,
    heap: '(Go)',
    readyTimeoutMs: 120_000,
    async prepare() {
      writeKubeconfigs(contexts);
    },
    command: () => {
      const kc = k8sFile('controller-manager.kubeconfig');
      return {
        cmd: path.join(paths.kubernetesBin(), 'kube-controller-manager'),
        args: [
          `--kubeconfig=${kc}`,
          `--authentication-kubeconfig=${kc}`,
          `--authorization-kubeconfig=${kc}`,
          `--bind-address=${HOST}`,
          `--secure-port=${K8S_PORTS.controllerManager}`,
          '--leader-elect=false',
          `--service-account-private-key-file=${k8sFile('sa.key')}`,
          `--root-ca-file=${k8sFile('ca.crt')}`,
          '--use-service-account-credentials=false',
          '--profiling=false',
          '--v=0',
          `--cert-dir=${path.join(paths.k8s(), 'controller-manager')}`,
        ],
      };
    },
    ready: async () => (await httpsStatus(`https://${HOST}:${K8S_PORTS.controllerManager}/healthz`)) === 200,
  };
  return [etcd, apiserver, controllerManager];
}

/** Throws with what to do when the local API server does not answer (bounded: one 2 s probe). */
export async function requireKubernetes(): Promise<void> {
  if (!fs.existsSync(k8sFile('kubeconfig'))) {
    throw new EfdError(`no local Kubernetes API: ${k8sFile('kubeconfig')} does not exist. Start it with \`npx efd local up --k8s\`.`);
  }
  const status = await httpsStatus(`${apiserverUrl()}/readyz`, { admin: true });
  if (status !== 200) {
    throw new EfdError(
      `the local Kubernetes API server ${apiserverUrl()} is ${status === 0 ? 'not answering' : `not ready (HTTP ${status})`}. ` +
        'Start it with `npx efd local up --k8s` (logs: `npx efd local logs kube-apiserver`).',
    );
  }
}
