/**
 * Our own Kubernetes objects judged by a real API server: each site's stacks are synthesized, their
 * namespaces, StorageClass, ConfigMaps, Deployments and Jobs converted to manifests (manifests.ts),
 * submitted with server-side apply (strict field validation) through the site's kubeconfig context, and
 * read back: every field we set must be there with the value we set. `dryRun` submits with
 * `dryRun=All` (validated, defaulted, admitted, nothing stored) and compares the answer instead.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Site } from '../../config/schema';
import { synthSites } from '../synth';
import { siteContext } from '../local-efd/k8s';
import { KubeContext, apply, get, loadContext, remove, serverVersion } from './client';
import { Manifest, StackObject, stackObjects } from './manifests';

export interface ObjectVerdict {
  stack: string;
  address: string;
  object: string;
  /** Empty when the server accepted the object and it reads back as we set it. */
  problems: string[];
}

export interface StackVerdict {
  stack: string;
  site: string;
  context: string;
  objects: ObjectVerdict[];
  seconds: number;
}

export interface JudgeOptions {
  kubeconfig: string;
  /** Site name → context; default: the site's own context (siteContext). */
  context?: (site: Site) => string;
  dryRun?: boolean;
  /** Only these stacks (all sites are synthesized: a site's stacks may need the others, e.g. replication). */
  stacks?: string[];
  /** Change the objects before they are submitted (tests: a deliberately bad object). */
  edit?: (stack: string, objects: StackObject[]) => StackObject[];
}

const describe = (m: Manifest) => `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`;

/** Paths where `live` lacks a field of `want` or has another value (`want`'s arrays by index). */
export function missingFields(want: unknown, live: unknown, at = ''): string[] {
  if (want && typeof want === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(want) !== Array.isArray(live))
      return [`${at || '.'}: expected ${JSON.stringify(want).slice(0, 80)}, got ${JSON.stringify(live)?.slice(0, 80)}`];
    return Object.entries(want as Record<string, unknown>).flatMap(([k, v]) =>
      missingFields(v, (live as Record<string, unknown>)[k], Array.isArray(want) ? `${at}[${k}]` : at ? `${at}.${k}` : k),
    );
  }
  return want === live ? [] : [`${at}: expected ${JSON.stringify(want)}, got ${JSON.stringify(live)}`];
}

/** Kinds whose spec is immutable in parts (a StorageClass's provisioner, a Job's template): replaced, not patched. */
const REPLACED = new Set(['StorageClass', 'Job']);

async function judgeStack(ctx: KubeContext, stack: string, objects: StackObject[], dryRun: boolean): Promise<ObjectVerdict[]> {
  const verdicts: ObjectVerdict[] = [];
  if (!dryRun) {
    // Sites share the one local API server: what another site (or an earlier run) left is replaced.
    for (const o of objects.filter((x) => REPLACED.has(x.manifest.kind))) await remove(ctx, o.manifest);
  }
  for (const o of objects) {
    const verdict: ObjectVerdict = { stack, address: o.address, object: describe(o.manifest), problems: [] };
    verdicts.push(verdict);
    try {
      let manifest = o.manifest;
      if (dryRun && REPLACED.has(manifest.kind) && (await get(ctx, manifest))) {
        // a live one (another site's, an earlier run's) cannot take this one's immutable parts: judged as
        // the new object a replacement creates, under a name of its own (nothing is changed on the server)
        manifest = { ...manifest, metadata: { ...manifest.metadata, name: `${manifest.metadata.name.slice(0, 52)}-dry-run` } };
      }
      const answer = await apply(ctx, manifest, { dryRun, fieldManager: `efd-${stack}` });
      const live = dryRun ? answer : await get(ctx, manifest);
      if (!live) verdict.problems.push('accepted, but not found when read back');
      else verdict.problems.push(...missingFields(strip(manifest), live).map((p) => `read back: ${p}`));
    } catch (err) {
      verdict.problems.push(`rejected: ${(err as Error).message}`);
    }
  }
  return verdicts;
}

/** The manifest without what the server owns (nothing yet; kept as the one place to say so). */
const strip = (m: Manifest): Manifest => m;

/** Synthesizes `sites` and judges every object of every stack against the API server of each site's context. */
export async function judgeSites(sites: Site[], opts: JudgeOptions): Promise<StackVerdict[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-judge-'));
  try {
    const { stacks } = synthSites(sites, path.join(dir, 'out'));
    const out: StackVerdict[] = [];
    for (const s of stacks) {
      const context = (opts.context ?? siteContext)(s.site);
      const names = [s.efd, s.replication, s.alerts]
        .filter((x) => x !== undefined)
        .map((x) => x.node.id)
        .filter((n) => !opts.stacks || opts.stacks.includes(n));
      for (const stack of names) {
        const t0 = Date.now();
        const doc = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'stacks', stack, 'cdk.tf.json'), 'utf8'));
        let objects = stackObjects(doc);
        if (opts.edit) objects = opts.edit(stack, objects);
        const ctx = loadContext(opts.kubeconfig, context);
        await reachable(ctx, `site "${s.site.name}", stack ${stack}`);
        out.push({
          stack,
          site: s.site.name,
          context,
          objects: await judgeStack(ctx, stack, objects, !!opts.dryRun),
          seconds: (Date.now() - t0) / 1000,
        });
      }
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One bounded GET /version first, so a server that is down is one error naming site, stack and context. */
async function reachable(ctx: KubeContext, what: string): Promise<void> {
  try {
    await serverVersion(ctx);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
  }
}

/** One line per object with a problem, naming stack, Terraform address and object; empty when all were accepted. */
export function problemLines(verdicts: StackVerdict[]): string[] {
  return verdicts.flatMap((s) => s.objects.flatMap((o) => o.problems.map((p) => `${o.stack}: ${o.address} (${o.object}): ${p}`)));
}
