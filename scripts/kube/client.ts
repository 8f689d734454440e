/**
 * A small Kubernetes REST client for the judge: a kubeconfig context with a client certificate (or a
 * bearer token), server-side apply (`application/apply-patch+yaml`, strict field validation, optional
 * dry run), GET and DELETE; every request bounded in time. (The official @kubernetes/client-node would
 * bring ~40 packages for these four calls.)
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { BadInputError } from '../../apps/lib/exit-codes';
import { KINDS, Manifest, kindOf } from './manifests';

export interface KubeContext {
  kubeconfig: string;
  context: string;
  server: string;
  tls: https.AgentOptions;
  token?: string;
}

interface Kubeconfig {
  clusters?: { name: string; cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string } }[];
  users?: {
    name: string;
    user: {
      'client-certificate'?: string;
      'client-key'?: string;
      'client-certificate-data'?: string;
      'client-key-data'?: string;
      token?: string;
    };
  }[];
  contexts?: { name: string; context: { cluster: string; user: string } }[];
}

const expandHome = (p: string) => (p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p);

/** The context's server and credentials; a missing file or context is bad input (exit 3) naming it and what exists. */
export function loadContext(kubeconfig: string, context: string): KubeContext {
  const file = expandHome(kubeconfig);
  if (!fs.existsSync(file))
    throw new BadInputError(
      `kubeconfig ${file} does not exist (start the local API with \`npx efd local up --k8s\`, or pass --kubeconfig)`,
    );
  const kc = parse(fs.readFileSync(file, 'utf8')) as Kubeconfig;
  const ctx = kc.contexts?.find((c) => c.name === context);
  if (!ctx)
    throw new BadInputError(
      `kubeconfig ${file} has no context "${context}" (it has: ${(kc.contexts ?? []).map((c) => c.name).join(', ') || 'none'})`,
    );
  const cluster = kc.clusters?.find((c) => c.name === ctx.context.cluster)?.cluster;
  const user = kc.users?.find((u) => u.name === ctx.context.user)?.user;
  if (!cluster || !user)
    throw new BadInputError(
      `kubeconfig ${file}, context "${context}": cluster "${ctx.context.cluster}" or user "${ctx.context.user}" is not defined`,
    );
  const read = (p?: string, data?: string) => (data ? Buffer.from(data, 'base64') : p ? fs.readFileSync(expandHome(p)) : undefined);
  return {
    kubeconfig: file,
    context,
    server: cluster.server,
    token: user.token,
    tls: {
      ca: read(cluster['certificate-authority'], cluster['certificate-authority-data']),
      cert: read(user['client-certificate'], user['client-certificate-data']),
      key: read(user['client-key'], user['client-key-data']),
    },
  };
}

export interface KubeResponse {
  status: number;
  body: any;
}

export class KubeError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: any,
  ) {
    super(message);
  }
}

/** One request; rejects after `timeoutMs` or when the server does not answer, naming server and context. */
export function request(
  ctx: KubeContext,
  method: string,
  urlPath: string,
  body?: unknown,
  contentType = 'application/json',
  timeoutMs = 15_000,
): Promise<KubeResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(urlPath, ctx.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      url,
      {
        method,
        ...ctx.tls,
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
          ...(ctx.token ? { authorization: `Bearer ${ctx.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', (err) =>
      reject(
        new Error(
          `Kubernetes API ${ctx.server} (context "${ctx.context}" of ${ctx.kubeconfig}) did not answer ${method} ${url.pathname}: ${err.message}. ` +
            'Is it running? Start the local one with `npx efd local up --k8s`.',
          // The socket error's code (ECONNREFUSED, ETIMEDOUT) makes it exit 4 (apps/lib/exit-codes.ts).
          { cause: err },
        ),
      ),
    );
    if (payload) req.write(payload);
    req.end();
  });
}

/** The server's version (GET /version, one bounded request): its `gitVersion`, e.g. `v1.36.3`. */
export async function serverVersion(ctx: KubeContext, timeoutMs = 10_000): Promise<string> {
  const r = await request(ctx, 'GET', '/version', undefined, undefined, timeoutMs);
  if (r.status !== 200 || typeof r.body?.gitVersion !== 'string')
    throw new KubeError(
      `Kubernetes API ${ctx.server} (context "${ctx.context}") answered GET /version with HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`,
      r.status,
      r.body,
    );
  return r.body.gitVersion;
}

/** REST path of an object (or of its collection when `withName` is false). */
export function objectPath(m: Manifest): string {
  const k = kindOf(m);
  const base = k.apiVersion.includes('/') ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
  const ns = k.namespaced ? `/namespaces/${encodeURIComponent(m.metadata.namespace ?? 'default')}` : '';
  return `${base}${ns}/${k.plural}/${encodeURIComponent(m.metadata.name)}`;
}

/** The API server's message for a failed request, one line. */
function reason(r: KubeResponse): string {
  return typeof r.body === 'object' && r.body?.message ? String(r.body.message) : `HTTP ${r.status} ${String(r.body).slice(0, 200)}`;
}

/** Server-side apply of `m` (strict field validation; `dryRun` stores nothing); resolves with the object the server returns. */
export async function apply(
  ctx: KubeContext,
  m: Manifest,
  opts: { dryRun?: boolean; fieldManager?: string; path?: string } = {},
): Promise<any> {
  const q = new URLSearchParams({
    fieldManager: opts.fieldManager ?? 'efd',
    force: 'true',
    fieldValidation: 'Strict',
    ...(opts.dryRun ? { dryRun: 'All' } : {}),
  });
  const r = await request(ctx, 'PATCH', `${opts.path ?? objectPath(m)}?${q}`, m, 'application/apply-patch+yaml');
  if (r.status >= 300) throw new KubeError(reason(r), r.status, r.body);
  return r.body;
}

/** A kind as the API server serves it (discovery). */
export interface ServedKind {
  plural: string;
  namespaced: boolean;
}

/** Discovery answers per server, by group/version (undefined: the server does not serve that version). */
const discovered = new Map<string, Promise<Map<string, ServedKind> | undefined>>();

/**
 * How the server of `ctx` serves `kind` of `apiVersion` (its discovery document, one GET per group/version,
 * cached); undefined when it does not serve it (a CRD that is not installed, a removed API version).
 */
export async function servedKind(ctx: KubeContext, apiVersion: string, kind: string): Promise<ServedKind | undefined> {
  const key = `${ctx.server} ${apiVersion}`;
  let kinds = discovered.get(key);
  if (!kinds) {
    kinds = (async () => {
      const r = await request(ctx, 'GET', apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
      if (r.status === 404) return undefined;
      if (r.status >= 300) throw new KubeError(`discovery of ${apiVersion}: ${reason(r)}`, r.status, r.body);
      const list = (r.body?.resources ?? []) as { name: string; kind: string; namespaced: boolean }[];
      return new Map(list.filter((x) => !x.name.includes('/')).map((x) => [x.kind, { plural: x.name, namespaced: x.namespaced }]));
    })();
    discovered.set(key, kinds);
    kinds.catch(() => discovered.delete(key));
  }
  return (await kinds)?.get(kind);
}

/** REST path of an object of a served kind. */
export function servedPath(apiVersion: string, k: ServedKind, name: string, namespace?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = k.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
  return `${base}${ns}/${k.plural}/${encodeURIComponent(name)}`;
}

export async function get(ctx: KubeContext, m: Manifest): Promise<any | undefined> {
  const r = await request(ctx, 'GET', objectPath(m));
  if (r.status === 404) return undefined;
  if (r.status >= 300) throw new KubeError(reason(r), r.status, r.body);
  return r.body;
}

/** Deletes `m` (its dependents in the background); absent is fine. */
export async function remove(ctx: KubeContext, m: Manifest): Promise<void> {
  const r = await request(ctx, 'DELETE', `${objectPath(m)}?propagationPolicy=Background`);
  if (r.status >= 300 && r.status !== 404) throw new KubeError(reason(r), r.status, r.body);
}

export { KINDS };
