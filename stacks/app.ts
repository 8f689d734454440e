/**
 * Builds every stack of every site into one cdktf App. Stack names are
 * `<site>-<part>` so `cdktf deploy gcp-efd` addresses one part of one site.
 */
import { App } from 'cdktf';
import type { Site } from '../config/schema';
import { ClusterStack } from './cluster-stack';
import { EfdStack } from './efd-stack';

export { listStacks } from './names';
export type { StackInfo } from './names';

export interface SiteStacks {
  site: Site;
  cluster?: ClusterStack;
  efd: EfdStack;
}

export function buildSites(app: App, sites: Site[]): SiteStacks[] {
  return sites.map((site) => {
    const cluster = site.target.kind === 'gke' ? new ClusterStack(app, `${site.name}-cluster`, { site }) : undefined;
    const efd = new EfdStack(app, `${site.name}-efd`, { site });
    return { site, cluster, efd };
  });
}

