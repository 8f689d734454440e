/**
 * Builds every stack of every site into one cdktf App. Stack names are
 * `<site>-<part>` so `cdktf deploy gcp-efd` addresses one part of one site.
 */
import { App, TerraformStack } from 'cdktf';
import type { Site } from '../config/schema';
import { ClusterStack, ClusterStackProps } from './cluster-stack';
import { EfdStack, EfdStackProps } from './efd-stack';
import { ReplicationStack, ReplicationStackProps } from './replication-stack';
import { AlertsStack, AlertsStackProps, alertsStackSite } from './alerts-stack';
import { deriveTopology } from '../config/topology';

export { listStacks } from './names';
export type { StackInfo } from './names';

export interface SiteStacks {
  site: Site;
  cluster?: ClusterStack;
  efd: EfdStack;
  /** `<site>-replication` on source sites (from the replication topology). */
  replication?: ReplicationStack;
  /** `<site>-alerts` on sites with an `alerts` section (the alert mini-broker). */
  alerts?: AlertsStack;
}

/** One stack before it is built: its name, the props it is built from, and how. */
export interface PlannedStack<P, S extends TerraformStack> {
  id: string;
  props: P;
  build(app: App): S;
}

/** The stacks of one site as `buildSites` builds them, with nothing built yet. */
export interface SitePlan {
  site: Site;
  cluster?: PlannedStack<ClusterStackProps, ClusterStack>;
  efd: PlannedStack<EfdStackProps, EfdStack>;
  replication?: PlannedStack<ReplicationStackProps, ReplicationStack>;
  alerts?: PlannedStack<AlertsStackProps, AlertsStack>;
}

function planned<P, S extends TerraformStack>(id: string, props: P, Stack: new (app: App, id: string, props: P) => S): PlannedStack<P, S> {
  return { id, props, build: (app) => new Stack(app, id, props) };
}

/** Which stacks each site has and what each is built from: a stack's props are all it reads. */
export function planSites(sites: Site[]): SitePlan[] {
  const { flows } = deriveTopology(sites);
  const byName = (name: string) => sites.find((s) => s.name === name) as Site;
  return sites.map((site) => {
    const flow = flows.find((f) => f.runsAt === site.name);
    return {
      site,
      cluster: site.target.kind === 'gke' ? planned(`${site.name}-cluster`, { site }, ClusterStack) : undefined,
      efd: planned(`${site.name}-efd`, { site, inbound: flows.filter((f) => f.aggregator === site.name) }, EfdStack),
      replication: flow ? planned(flow.stack, { flow, source: site, aggregator: byName(flow.aggregator) }, ReplicationStack) : undefined,
      alerts: site.alerts ? planned(`${site.name}-alerts`, { site: alertsStackSite(site) }, AlertsStack) : undefined,
    };
  });
}

export function buildSites(app: App, sites: Site[]): SiteStacks[] {
  return planSites(sites).map((plan) => ({
    site: plan.site,
    cluster: plan.cluster?.build(app),
    efd: plan.efd.build(app),
    replication: plan.replication?.build(app),
    alerts: plan.alerts?.build(app),
  }));
}
