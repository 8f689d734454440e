/**
 * Builds every stack of every site into one cdktf App. Stack names are
 * `<site>-<part>` so `cdktf deploy gcp-efd` addresses one part of one site.
 */
import { App } from 'cdktf';
import type { Site } from '../config/schema';
import { ClusterStack } from './cluster-stack';
import { EfdStack } from './efd-stack';

export interface SiteStacks {
  site: Site;
  cluster?: ClusterStack;
  efd: EfdStack;
}

export interface StackInfo {
  site: string;
  stack: string;
  part: string;
  role: Site['role'];
  target: string;
  production: boolean;
}

export function buildSites(app: App, sites: Site[]): SiteStacks[] {
  return sites.map((site) => {
    const cluster = site.target.kind === 'gke' ? new ClusterStack(app, `${site.name}-cluster`, { site }) : undefined;
    const efd = new EfdStack(app, `${site.name}-efd`, { site });
    return { site, cluster, efd };
  });
}

function describeTarget(site: Site): string {
  const t = site.target;
  return t.kind === 'gke' ? `GKE ${t.project}/${t.zone ?? t.region}/${t.cluster.name} (${t.cluster.nodePool.nodeCount} x ${t.cluster.nodePool.machineType})` : `kubeconfig ${t.kubeconfig} context ${t.context}`;
}

/** The stacks the sites produce, without building them (for `efd sites`). */
export function listStacks(sites: Site[]): StackInfo[] {
  return sites.flatMap((site) => {
    const parts = site.target.kind === 'gke' ? ['cluster', 'efd'] : ['efd'];
    return parts.map((part) => ({ site: site.name, stack: `${site.name}-${part}`, part, role: site.role, target: describeTarget(site), production: site.production }));
  });
}
