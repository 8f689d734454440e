/**
 * A GKE cluster for an EFD site: default pool removed, release channel,
 * Workload Identity, optional private nodes, and one managed pool of
 * n1-standard machines with SSD boot disks and local SSDs, run by a node
 * service account holding only the roles nodes need.
 */
import { Construct } from 'constructs';
import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';
import { ContainerNodePool } from '@cdktf/provider-google/lib/container-node-pool';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { nodePoolSchema } from '../config/schema';
import type { NodePool } from '../config/schema';

/** Roles a GKE node needs (logging, monitoring, pulling images); nothing more. */
export const NODE_ROLES = [
  'roles/logging.logWriter',
  'roles/monitoring.metricWriter',
  'roles/monitoring.viewer',
  'roles/stackdriver.resourceMetadata.writer',
  'roles/artifactregistry.reader',
] as const;

export interface GkeClusterProps {
  /** Site name, for messages and labels. */
  readonly site: string;
  readonly project: string;
  /** Zone (zonal cluster) or region (regional cluster). */
  readonly location: string;
  /** Cluster name. */
  readonly name: string;
  /** Release channel. @default 'REGULAR' */
  readonly releaseChannel?: 'RAPID' | 'REGULAR' | 'STABLE';
  /** Nodes without public IPs. @default false */
  readonly privateNodes?: boolean;
  /** Control-plane /28 when privateNodes is on. @default '172.16.0.0/28' */
  readonly masterIpv4CidrBlock?: string;
  /** Protect cluster and pool: deletion_protection and lifecycle.prevent_destroy. @default true */
  readonly deletionProtection?: boolean;
  /**
   * The node pool, checked against the site schema's rules and defaults (config/schema.ts
   * nodePoolSchema: n1-standard machine types, local SSD counts GCE accepts).
   */
  readonly machineType?: string;
  readonly nodeCount?: number;
  readonly bootDiskType?: string;
  readonly bootDiskSizeGb?: number;
  readonly localSsdCount?: number;
}

/** The pool props parsed by the site schema's nodePoolSchema; errors name site, cluster and field. */
function nodePool(where: string, props: GkeClusterProps): NodePool {
  const input = {
    machineType: props.machineType,
    nodeCount: props.nodeCount,
    bootDiskType: props.bootDiskType,
    bootDiskSizeGb: props.bootDiskSizeGb,
    localSsdCount: props.localSsdCount,
  };
  const parsed = nodePoolSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new Error(
    parsed.error.issues
      .map((i) => {
        const field = String(i.path[0]);
        return `${where}: target.cluster.nodePool.${field}: ${i.message}, got ${JSON.stringify(input[field as keyof typeof input])}`;
      })
      .join('\n'),
  );
}

export class GkeCluster extends Construct {
  readonly cluster: ContainerCluster;
  readonly nodePool: ContainerNodePool;
  readonly nodeServiceAccount: ServiceAccount;
  readonly location: string;

  constructor(scope: Construct, id: string, props: GkeClusterProps) {
    super(scope, id);
    const where = `site "${props.site}", GKE cluster "${props.name}"`;
    const { machineType, nodeCount, bootDiskType, bootDiskSizeGb, localSsdCount } = nodePool(where, props);
    this.location = props.location;

    this.nodeServiceAccount = new ServiceAccount(this, 'nodes', {
      project: props.project,
      accountId: `${props.name}-nodes`.slice(0, 30),
      displayName: `EFD ${props.site} GKE nodes`,
    });
    NODE_ROLES.forEach((role) => {
      new ProjectIamMember(this, `nodes-${role.replace(/^roles\//, '').replace(/\./g, '-')}`, {
        project: props.project,
        role,
        member: `serviceAccount:${this.nodeServiceAccount.email}`,
      });
    });

    const privateNodes = props.privateNodes ?? false;
    const protect = props.deletionProtection ?? true;
    const lifecycle = protect ? { preventDestroy: true } : undefined;
    this.cluster = new ContainerCluster(this, 'cluster', {
      project: props.project,
      name: props.name,
      location: props.location,
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      deletionProtection: protect,
      lifecycle,
      releaseChannel: { channel: props.releaseChannel ?? 'REGULAR' },
      workloadIdentityConfig: { workloadPool: `${props.project}.svc.id.goog` },
      networkingMode: 'VPC_NATIVE',
      ipAllocationPolicy: {},
      privateClusterConfig: privateNodes
        ? { enablePrivateNodes: true, enablePrivateEndpoint: false, masterIpv4CidrBlock: props.masterIpv4CidrBlock ?? '172.16.0.0/28' }
        : undefined,
      addonsConfig: { gcePersistentDiskCsiDriverConfig: { enabled: true } },
      resourceLabels: { site: props.site, app: 'efd' },
    });

    this.nodePool = new ContainerNodePool(this, 'pool', {
      project: props.project,
      name: `${props.name}-${machineType}`,
      location: props.location,
      cluster: this.cluster.name,
      nodeCount,
      lifecycle,
      management: { autoRepair: true, autoUpgrade: true },
      nodeConfig: {
        machineType,
        diskType: bootDiskType,
        diskSizeGb: bootDiskSizeGb,
        localSsdCount,
        serviceAccount: this.nodeServiceAccount.email,
        oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
        workloadMetadataConfig: { mode: 'GKE_METADATA' },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        labels: { site: props.site, 'efd-local-ssd': String(localSsdCount) },
        metadata: { 'disable-legacy-endpoints': 'true' },
      },
    });
  }
}
