/**
 * `<site>-cluster`: the GKE cluster of a GKE site, kept apart from the EFD
 * platform so either can be destroyed and recreated without the other.
 */
import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import type { GkeTarget, Site } from '../config/schema';
import { GkeCluster } from '../constructs/gke-cluster';
import { configureBackend } from './backend';
import { applyInvariants } from '../constructs/invariants';

export interface ClusterStackProps {
  readonly site: Site;
}

export class ClusterStack extends TerraformStack {
  readonly gke: GkeCluster;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const { site } = props;
    if (site.target.kind !== 'gke')
      throw new Error(`site "${site.name}": a cluster stack needs target.kind "gke", got "${site.target.kind}"`);
    const target: GkeTarget = site.target;
    configureBackend(this, site, id);
    new GoogleProvider(this, 'google', { project: target.project, region: target.region });
    const pool = target.cluster.nodePool;
    this.gke = new GkeCluster(this, 'gke', {
      site: site.name,
      project: target.project,
      location: target.zone ?? target.region,
      name: target.cluster.name,
      releaseChannel: target.cluster.releaseChannel,
      privateNodes: target.cluster.privateNodes,
      masterIpv4CidrBlock: target.cluster.masterIpv4CidrBlock,
      deletionProtection: site.production,
      machineType: pool.machineType,
      nodeCount: pool.nodeCount,
      bootDiskType: pool.bootDiskType,
      bootDiskSizeGb: pool.bootDiskSizeGb,
      localSsdCount: pool.localSsdCount,
    });
    new TerraformOutput(this, 'cluster_name', { value: this.gke.cluster.name });
    new TerraformOutput(this, 'cluster_location', { value: this.gke.cluster.location });
    new TerraformOutput(this, 'cluster_endpoint', { value: this.gke.cluster.endpoint });
    applyInvariants(this, site);
  }
}
