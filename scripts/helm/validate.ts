/**
 * `efd validate --charts <dir>`: every site stack's helm_release (read from the synth, releases.ts)
 * rendered by the helm CLI from the chart package the operator has (charts.ts; `helm pull` with --pull
 * where the repository is reachable), with the release's exact values and namespace and the site API
 * server's version, and every rendered object submitted to the API server of the site's kubeconfig
 * context: server-side apply with `dryRun=All` and strict field validation (validated, defaulted and
 * admitted as on install; nothing stored but the release's namespace, which the stack declares and a
 * namespaced dry run needs).
 *
 * Per release: accepted (every object), refused (the API server's message per object), missing (no
 * package; what to fetch), checksum (the sums file disagrees), failed (helm could not render it).
 * Before any chart is rendered, each site's context is loaded and its server probed once (bounded), so a
 * missing context is bad input (exit 3) and a server that is down is exit 4, each naming site and context.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { Site } from '../../config/schema';
import { BadInputError, EXIT, UnreachableError, worstExit } from '../../apps/lib/exit-codes';
import { synthSites } from '../synth';
import { siteContext } from '../local-efd/k8s';
import { KubeContext, apply, loadContext, request, serverVersion, servedKind, servedPath } from '../kube/client';
import type { Manifest } from '../kube/manifests';
import { ChartSource, chartFileNames, chartYaml, checksumProblem, findChart, readSums } from './charts';
import { helmBinary, helmError, runHelm } from './helm';
import { HelmRelease, stackReleases } from './releases';

export type ReleaseStatus = 'accepted' | 'refused' | 'missing' | 'checksum' | 'failed';

export interface ObjectVerdict {
  /** `Kind namespace/name`, and the template it came from. */
  object: string;
  template?: string;
  /** The API server's message when it refused the object. */
  refused?: string;
  /** Why it was not submitted (a kind that a CRD of the same chart defines). */
  skipped?: string;
  /** The object as the API server answered the dry run (validated, defaulted, admitted). */
  served?: Manifest;
}

export interface ReleaseVerdict {
  site: string;
  stack: string;
  context: string;
  address: string;
  release: string;
  namespace: string;
  /** `<chart>-<version>` as pinned. */
  chart: string;
  repository?: string;
  status: ReleaseStatus;
  /** The package or folder rendered, and whether its sha256 was checked. */
  source?: ChartSource & { verified: boolean; pulled: boolean };
  objects: ObjectVerdict[];
  /** What went wrong and what to do (missing, checksum, failed). */
  message?: string;
  notes: string[];
  seconds: number;
}

export interface ValidateChartsOptions {
  /** Folder of chart packages (`<chart>-<version>.tgz`) or unpacked charts. */
  charts: string;
  kubeconfig: string;
  /** sha256sum-format file every package used must match. */
  sums?: string;
  /** `helm pull` a missing chart from the release's repository into `charts` first. */
  pull?: boolean;
  helm?: string;
  /** Site → context; default: the site's own (siteContext). */
  context?: (site: Site) => string;
  /** Only these sites / releases (names); all sites are synthesized. */
  sites?: string[];
  releases?: string[];
  /** Change a release before it is rendered (tests: a deliberately bad value, another repository). */
  edit?: (release: HelmRelease) => HelmRelease;
  /** The releases of an earlier {@link siteReleases} of the same sites (saves a synth). */
  discovered?: ReturnType<typeof siteReleases>;
  /** Seconds for one helm run (template, pull). @default 120 */
  helmTimeoutSeconds?: number;
  say?: (line: string) => void;
}

interface Target {
  site: Site;
  context: string;
  release: HelmRelease;
}

const describeObject = (m: Manifest) => `${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata?.name}`;

/** Every site stack's releases from one synth, with their site and context; releases that cannot render as problems. */
export function siteReleases(
  sites: Site[],
  context: (site: Site) => string = siteContext,
): { targets: Target[]; problems: { site: Site; context: string; stack: string; address: string; name: string; message: string }[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-validate-'));
  try {
    const { stacks } = synthSites(sites, path.join(dir, 'out'));
    const targets: Target[] = [];
    const problems: ReturnType<typeof siteReleases>['problems'] = [];
    for (const s of stacks) {
      for (const stack of [s.efd, s.replication].filter((x) => x !== undefined).map((x) => x.node.id)) {
        const doc = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'stacks', stack, 'cdk.tf.json'), 'utf8'));
        const found = stackReleases(doc, stack);
        const ctx = context(s.site);
        targets.push(...found.releases.map((release) => ({ site: s.site, context: ctx, release })));
        problems.push(...found.problems.map((p) => ({ site: s.site, context: ctx, ...p })));
      }
    }
    return { targets, problems };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Server {
  ctx: KubeContext;
  version: string;
  apiVersions: string[];
  namespaces: Set<string>;
}

/** Loads each context and probes its server once: a missing context is bad input, a server that does not answer unreachable. */
async function connect(targets: Target[], kubeconfig: string): Promise<Map<string, Server>> {
  const servers = new Map<string, Server>();
  const missing: string[] = [];
  for (const context of new Set(targets.map((t) => t.context))) {
    const sites = [...new Set(targets.filter((t) => t.context === context).map((t) => `"${t.site.name}"`))].join(', ');
    let ctx: KubeContext;
    try {
      ctx = loadContext(kubeconfig, context);
    } catch (err) {
      missing.push(`site ${sites}: ${(err as Error).message}`);
      continue;
    }
    let version: string;
    try {
      version = await serverVersion(ctx);
    } catch (err) {
      throw new UnreachableError(`site ${sites}, context "${context}": ${(err as Error).message}`, { cause: err });
    }
    // The server's API group versions, for the charts' `.Capabilities.APIVersions`.
    const apis = await request(ctx, 'GET', '/apis');
    const apiVersions = [
      'v1',
      ...((apis.body?.groups ?? []) as { versions: { groupVersion: string }[] }[]).flatMap((g) => g.versions.map((v) => v.groupVersion)),
    ];
    servers.set(context, { ctx, version, apiVersions, namespaces: new Set() });
  }
  if (missing.length)
    throw new BadInputError(
      `${missing.join('\n')}\nWrite the sites' contexts with \`npx efd local up --k8s\` (the local API server), pass --kubeconfig with them, or --context for every site.`,
    );
  return servers;
}

/** The rendered objects of `helm template` output, each with the template it came from; namespaced ones in the release's namespace. */
export function renderedObjects(yamlText: string): { manifest: Manifest; template?: string }[] {
  const out: { manifest: Manifest; template?: string }[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length) throw new Error(`helm template printed YAML that does not parse: ${doc.errors[0].message}`);
    const value = doc.toJS() as Manifest | null;
    if (!value) continue;
    // `# Source: <chart>/templates/<file>`: the document's comment, or its first node's when nothing separates them.
    const comment = `${doc.commentBefore ?? ''}\n${(doc.contents as { commentBefore?: string } | null)?.commentBefore ?? ''}`;
    const template = /Source:\s*(\S+)/.exec(comment)?.[1];
    const items =
      value.kind === 'List' && Array.isArray((value as { items?: unknown }).items)
        ? (value as unknown as { items: Manifest[] }).items
        : [value];
    for (const manifest of items) out.push({ manifest, template });
  }
  return out;
}

/** The group and kind each CustomResourceDefinition among `objects` defines. */
function crdKinds(objects: Manifest[]): Set<string> {
  return new Set(
    objects
      .filter((m) => m.kind === 'CustomResourceDefinition')
      .map((m) => {
        const spec = (m as { spec?: { group?: string; names?: { kind?: string } } }).spec;
        return `${spec?.group}/${spec?.names?.kind}`;
      }),
  );
}

/** The release's namespace exists (applied for real when absent: the stack declares it, and a dry run in a missing namespace is refused). */
async function ensureNamespace(server: Server, namespace: string, notes: string[]): Promise<void> {
  if (server.namespaces.has(namespace)) return;
  const r = await request(server.ctx, 'GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}`);
  if (r.status === 404) {
    await apply(server.ctx, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'efd-validate' });
    notes.push(`namespace ${namespace} created (the stack declares it; a dry run needs it)`);
  }
  server.namespaces.add(namespace);
}

async function judgeRelease(
  t: Target,
  server: Server,
  opts: ValidateChartsOptions,
  bin: string,
  sums?: Map<string, string>,
): Promise<ReleaseVerdict> {
  const t0 = Date.now();
  const r = t.release;
  const timeoutMs = (opts.helmTimeoutSeconds ?? 120) * 1000;
  const v: ReleaseVerdict = {
    site: t.site.name,
    stack: r.stack,
    context: t.context,
    address: r.address,
    release: r.name,
    namespace: r.namespace,
    chart: `${r.chart}-${r.version}`,
    repository: r.repository,
    status: 'accepted',
    objects: [],
    notes: [],
    seconds: 0,
  };
  const done = (status: ReleaseStatus, message?: string) => {
    v.status = status;
    v.message = message;
    v.seconds = (Date.now() - t0) / 1000;
    return v;
  };
  let source = findChart(opts.charts, r.chart, r.version);
  let pulled = false;
  if (!source && opts.pull) {
    if (!r.repository) return done('missing', `not in ${opts.charts}, and the release names no repository to pull it from`);
    const pull = await runHelm(
      bin,
      ['pull', r.chart, '--repo', r.repository, '--version', r.version, '--destination', opts.charts],
      timeoutMs,
    );
    if (pull.code !== 0) {
      const why = helmError(pull);
      const unreachable = /cannot be reached|no such host|connection refused|i\/o timeout|dial tcp|did not finish within/i.test(why);
      return done(
        'missing',
        `not in ${opts.charts} (${chartFileNames(r.chart, r.version).join(', ')}), and \`helm pull ${r.chart} --repo ${r.repository} --version ${r.version}\` failed: ` +
          `${why}. ${
            unreachable
              ? `The repository is not reachable from here: fetch the package where it is and copy it into ${opts.charts}.`
              : 'Check the chart name and version at the repository, or copy the package into the folder.'
          }`,
      );
    }
    source = findChart(opts.charts, r.chart, r.version);
    pulled = true;
    if (!source) return done('missing', `helm pull wrote no ${r.chart}-${r.version}.tgz into ${opts.charts}`);
  }
  if (!source)
    return done(
      'missing',
      `not in ${opts.charts} (looked for ${chartFileNames(r.chart, r.version).join(', ')}). Put the package there: ` +
        `\`helm pull ${r.chart} --repo ${r.repository ?? '<repository>'} --version ${r.version} -d ${opts.charts}\` where the repository is reachable ` +
        '(or run with --pull), or copy the .tgz from a machine that has it.',
    );
  v.source = { ...source, verified: false, pulled };
  if (sums && opts.sums) {
    const problem = checksumProblem(source, sums, opts.sums);
    if (problem) return done('checksum', problem);
    v.source.verified = true;
  }
  // The package must be the chart and version the release pins (a renamed file is not).
  const meta =
    source.kind === 'folder'
      ? chartYaml(source.path)
      : await runHelm(bin, ['show', 'chart', source.path], timeoutMs).then((x) =>
          x.code === 0 ? (parse(x.stdout) as { name?: string; version?: string }) : undefined,
        );
  if (!meta) return done('failed', `${source.path} is not a chart helm can read (no Chart.yaml, or a broken package)`);
  if (meta.name !== r.chart || String(meta.version) !== r.version)
    return done('failed', `${source.path} is chart ${meta.name} ${meta.version}, but the release pins ${r.chart} ${r.version}`);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-values-'));
  let rendered;
  try {
    const files = r.values.map((text, i) => {
      const f = path.join(scratch, `values-${i}.yaml`);
      fs.writeFileSync(f, text);
      return f;
    });
    const args = [
      'template',
      r.name,
      source.path,
      '--namespace',
      r.namespace,
      '--kube-version',
      server.version,
      '--include-crds',
      ...server.apiVersions.flatMap((a) => ['--api-versions', a]),
      ...files.flatMap((f) => ['--values', f]),
      ...r.set.flatMap((s) => [s.string ? '--set-string' : '--set', `${s.name}=${s.value}`]),
    ];
    rendered = await runHelm(bin, args, timeoutMs);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  if (rendered.code !== 0) return done('failed', `helm template failed: ${helmError(rendered)}`);
  let objects: ReturnType<typeof renderedObjects>;
  try {
    objects = renderedObjects(rendered.stdout);
  } catch (err) {
    return done('failed', (err as Error).message);
  }
  const crds = crdKinds(objects.map((o) => o.manifest));
  for (const { manifest: m, template } of objects) {
    const ov: ObjectVerdict = { object: describeObject(m), template };
    v.objects.push(ov);
    if (!m || typeof m !== 'object' || !m.apiVersion || !m.kind || !m.metadata?.name) {
      ov.refused = 'not a Kubernetes object (apiVersion, kind and metadata.name are required)';
      continue;
    }
    try {
      const kind = await servedKind(server.ctx, m.apiVersion, m.kind);
      if (!kind) {
        const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : '';
        if (crds.has(`${group}/${m.kind}`)) ov.skipped = 'its kind is defined by a CRD of this chart, which a dry run does not create';
        else ov.refused = `the API server does not serve ${m.apiVersion} ${m.kind}`;
        continue;
      }
      if (kind.namespaced) {
        m.metadata.namespace ??= r.namespace;
        await ensureNamespace(server, m.metadata.namespace, v.notes);
      } else if (m.metadata.namespace) delete m.metadata.namespace;
      ov.object = describeObject(m);
      ov.served = await apply(server.ctx, m, {
        dryRun: true,
        fieldManager: 'efd-validate',
        path: servedPath(m.apiVersion, kind, m.metadata.name, m.metadata.namespace),
      });
    } catch (err) {
      const e = err as Error & { status?: number };
      // No status: the request did not get an answer, which is the server's problem, not the object's.
      if (e.status === undefined)
        throw new UnreachableError(`site "${t.site.name}", context "${t.context}", release ${r.name}: ${e.message}`, { cause: err });
      ov.refused = e.message;
    }
  }
  return done(v.objects.some((o) => o.refused) ? 'refused' : 'accepted');
}

/** Renders and judges every selected release of every site; throws (before rendering) on a missing context or an unreachable server. */
export async function validateCharts(sites: Site[], opts: ValidateChartsOptions): Promise<ReleaseVerdict[]> {
  if (!fs.existsSync(opts.charts) || !fs.statSync(opts.charts).isDirectory())
    throw new BadInputError(
      `--charts ${opts.charts} is not a folder: give the folder that holds the chart packages (<chart>-<version>.tgz, as \`helm pull\` writes them)`,
    );
  const sums = opts.sums ? readSums(opts.sums) : undefined;
  const bin = helmBinary(opts.helm);
  const found = opts.discovered ?? siteReleases(sites);
  const contextOf = opts.context;
  const { targets: all, problems } = contextOf
    ? {
        targets: found.targets.map((t) => ({ ...t, context: contextOf(t.site) })),
        problems: found.problems.map((p) => ({ ...p, context: contextOf(p.site) })),
      }
    : found;
  const selected = (site: Site, release: string) =>
    (!opts.sites || opts.sites.includes(site.name)) && (!opts.releases || opts.releases.includes(release));
  const targets = all.filter((t) => selected(t.site, t.release.name)).map((t) => (opts.edit ? { ...t, release: opts.edit(t.release) } : t));
  const servers = await connect(targets, opts.kubeconfig);
  const verdicts: ReleaseVerdict[] = problems
    .filter((p) => selected(p.site, p.name))
    .map((p) => ({
      site: p.site.name,
      stack: p.stack,
      context: p.context,
      address: p.address,
      release: p.name,
      namespace: '',
      chart: '',
      status: 'failed',
      objects: [],
      message: `cannot be rendered before \`cdktf apply\`: ${p.message}`,
      notes: [],
      seconds: 0,
    }));
  for (const t of targets) {
    const v = await judgeRelease(t, servers.get(t.context) as Server, opts, bin, sums);
    opts.say?.(reportLine(v));
    verdicts.push(v);
  }
  return verdicts;
}

/** One line per release: site, stack, release, chart, context, and the outcome. */
export function reportLine(v: ReleaseVerdict): string {
  const head = `${v.site} ${v.stack} ${v.release} (${v.chart || v.address}, namespace ${v.namespace || '?'}, context ${v.context})`;
  const judged = v.objects.filter((o) => !o.skipped);
  const accepted = judged.filter((o) => !o.refused).length;
  const src = v.source ? `${v.source.path}${v.source.pulled ? ', pulled' : ''}${v.source.verified ? ', sha256 verified' : ''}` : '';
  const skipped = v.objects.length - judged.length;
  switch (v.status) {
    case 'accepted':
    case 'refused':
      return (
        `${head}: ${v.status === 'accepted' ? 'accepted' : 'REFUSED'}: ${accepted}/${judged.length} objects accepted (server-side dry run)` +
        `${skipped ? `, ${skipped} not submitted (kinds of the chart's own CRDs)` : ''} from ${src} in ${v.seconds.toFixed(1)} s` +
        v.notes.map((n) => `; ${n}`).join('')
      );
    case 'missing':
      return `${head}: CHART MISSING: ${v.message}`;
    case 'checksum':
      return `${head}: WRONG CHECKSUM: ${v.message}`;
    case 'failed':
      return `${head}: FAILED: ${v.message}`;
  }
}

/** Each refused object on its own line, naming release, object, template and the API server's message. */
export function refusalLines(verdicts: ReleaseVerdict[]): string[] {
  return verdicts.flatMap((v) =>
    v.objects
      .filter((o) => o.refused)
      .map((o) => `${v.site} ${v.stack} ${v.release}: ${o.object}${o.template ? ` (${o.template})` : ''} refused: ${o.refused}`),
  );
}

/** Exit code of a run: 0 all accepted; 3 a chart missing or with a wrong checksum; 1 an object refused or a chart that did not render. */
export function validateExit(verdicts: ReleaseVerdict[]): number {
  return worstExit(
    ...verdicts.map((v) =>
      v.status === 'accepted' ? EXIT.ok : v.status === 'missing' || v.status === 'checksum' ? EXIT.badInput : EXIT.failed,
    ),
  );
}

/** The closing line: counts per outcome. */
export function summaryLine(verdicts: ReleaseVerdict[], seconds: number): string {
  const n = (s: ReleaseStatus) => verdicts.filter((v) => v.status === s).length;
  const objects = verdicts.reduce((a, v) => a + v.objects.filter((o) => !o.skipped && !o.refused).length, 0);
  return (
    `${verdicts.length} releases: ${n('accepted')} accepted (${objects} objects), ${n('refused')} refused, ${n('missing')} chart missing, ` +
    `${n('checksum')} wrong checksum, ${n('failed')} failed, in ${seconds.toFixed(1)} s`
  );
}
