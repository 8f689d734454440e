/**
 * The Helm releases of a stack, read from its synthesized Terraform (cdk.tf.json) as the helm provider
 * would hand them to Helm: release name, namespace, chart, version, repository, and the values text with
 * Terraform's escapes undone (`$${` → `${`). A reference the synth already knows (a namespace's name) is
 * resolved from the stack's own resources; one known only at apply time makes the release a problem
 * that names it, never a guess.
 */
import { terraformTemplateText } from '../../constructs/terraform-literal';

export interface HelmRelease {
  /** The stack and `helm_release.<name>` address in its Terraform. */
  stack: string;
  address: string;
  name: string;
  namespace: string;
  chart: string;
  version: string;
  repository?: string;
  /** Values files in order (`values`), as Helm receives them. */
  values: string[];
  /** `set` / `set_sensitive` entries as `--set`/`--set-string` arguments. */
  set: { name: string; value: string; string: boolean }[];
}

export interface ReleaseProblem {
  stack: string;
  address: string;
  name: string;
  message: string;
}

interface TfRelease {
  name?: string;
  namespace?: string;
  chart?: string;
  version?: string;
  repository?: string;
  values?: string[];
  set?: { name: string; value: string; type?: string }[] | { name: string; value: string; type?: string };
  set_sensitive?: { name: string; value: string; type?: string }[] | { name: string; value: string; type?: string };
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * The value of a reference to the stack's own resources (`kubernetes_namespace_v1.kafka.metadata[0].name`)
 * when the synth holds it as a literal; undefined otherwise (a data source, a variable, a computed attribute).
 */
export function resolveReference(doc: any, expr: string): string | undefined {
  const m = /^([a-z][\w-]*)\.([\w-]+)((?:\.[\w-]+|\[\d+\])*)$/.exec(expr);
  if (!m || m[1] === 'var' || m[1] === 'local' || m[1] === 'data') return undefined;
  let node: unknown = doc?.resource?.[m[1]]?.[m[2]];
  for (const step of m[3].match(/\.[\w-]+|\[\d+\]/g) ?? []) {
    if (step.startsWith('[')) {
      // A block is an object in the JSON synth (one element) or a list.
      if (Array.isArray(node)) node = node[Number(step.slice(1, -1))];
      else if (step !== '[0]') return undefined;
    } else {
      node = node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>)[step.slice(1)] : undefined;
    }
  }
  return typeof node === 'string' && !/\$\{/.test(node.replace(/\$\$\{/g, '')) ? terraformTemplateText(node) : undefined;
}

/** Every `helm_release` of a stack's cdk.tf.json, and the ones that cannot be rendered before apply. */
export function stackReleases(doc: any, stack: string): { releases: HelmRelease[]; problems: ReleaseProblem[] } {
  const releases: HelmRelease[] = [];
  const problems: ReleaseProblem[] = [];
  const all = (doc?.resource?.helm_release ?? {}) as Record<string, TfRelease>;
  for (const [key, r] of Object.entries(all)) {
    const address = `helm_release.${key}`;
    const text = (what: string, s: string | undefined) => {
      try {
        return terraformTemplateText(s ?? '', (expr) => resolveReference(doc, expr));
      } catch (err) {
        throw new Error(`${what} ${(err as Error).message}`);
      }
    };
    try {
      const name = text('name', r.name);
      if (!name || !r.chart || !r.version)
        throw new Error(`has no ${!name ? 'name' : !r.chart ? 'chart' : 'version'} (every release pins chart and version)`);
      releases.push({
        stack,
        address,
        name,
        namespace: text('namespace', r.namespace) || 'default',
        chart: text('chart', r.chart),
        version: text('version', r.version),
        repository: r.repository === undefined ? undefined : text('repository', r.repository),
        values: (r.values ?? []).map((v, i) => text(`values[${i}]`, v)),
        set: [...asList(r.set), ...asList(r.set_sensitive)].map((s) => ({
          name: text('set name', s.name),
          value: text(`set "${s.name}"`, s.value),
          string: s.type === 'string',
        })),
      });
    } catch (err) {
      problems.push({ stack, address, name: r.name ?? key, message: (err as Error).message });
    }
  }
  return { releases, problems };
}
