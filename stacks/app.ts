/**
 * Builds every stack of every site into one cdktf App. Stack names are
 * `<site>-<part>` so `cdktf deploy gcp-efd` addresses one part of one site.
 */
import { App } from 'cdktf';
import type { Site } from '../config/schema';
import { ClusterStack } from './cluster-stack';
import { EfdStack } from './efd-stack';
import { ReplicationStack } from './replication-stack';
import { deriveTopology } from '../config/topology';

export { listStacks } from './names';
export type { StackInfo } from './names';

export interface SiteStacks {
  site: Site;
  cluster?: ClusterStack;
  efd: EfdStack;
  /** `<site>-replication` on source sites (from the replication topology). */
  replication?: ReplicationStack;
}

export function buildSites(app: App, sites: Site[]): SiteStacks[] {
  const { flows } = deriveTopology(sites);
  const byName = (name: string) => sites.find((s) => s.name === name) as Site;
  return sites.map((site) => {
    const cluster = site.target.kind === 'gke' ? new ClusterStack(app, `${site.name}-cluster`, { site }) : undefined;
    const efd = new EfdStack(app, `${site.name}-efd`, { site, inbound: flows.filter((f) => f.aggregator === site.name) });
    const flow = flows.find((f) => f.runsAt === site.name);
    const replication = flow
      ? new ReplicationStack(app, flow.stack, { flow, source: site, aggregator: byName(flow.aggregator) })
      : undefined;
    return { site, cluster, efd, replication };
  });
}
