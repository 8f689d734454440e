/**
 * Stack names per site (`<site>-<part>`) without building anything: cheap
 * enough for the CLI and app containers, which must not load cdktf.
 */
import type { Site } from '../config/schema';

export interface StackInfo {
  site: string;
  stack: string;
  part: string;
  role: Site['role'];
  target: string;
  production: boolean;
}

function describeTarget(site: Site): string {
  const t = site.target;
  return t.kind === 'gke'
    ? `GKE ${t.project}/${t.zone ?? t.region}/${t.cluster.name} (${t.cluster.nodePool.nodeCount} x ${t.cluster.nodePool.machineType})`
    : `kubeconfig ${t.kubeconfig} context ${t.context}`;
}

/** The stacks the sites produce, without building them (for `efd sites`). */
export function listStacks(sites: Site[]): StackInfo[] {
  return sites.flatMap((site) => {
    const parts = [
      ...(site.target.kind === 'gke' ? ['cluster', 'efd'] : ['efd']),
      ...(site.replicateTo ? ['replication'] : []),
      ...(site.alerts ? ['alerts'] : []),
    ];
    return parts.map((part) => ({
      site: site.name,
      stack: `${site.name}-${part}`,
      part,
      role: site.role,
      target: describeTarget(site),
      production: site.production,
    }));
  });
}
