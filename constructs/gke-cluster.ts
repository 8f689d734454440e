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

/** Roles a GKE node needs (logging, monitoring, pulling images); nothing more. */
export const NODE_ROLES = [
  'roles/logging.logWriter',
  'roles/monitoring.metricWriter',
  'roles/monitoring.viewer',
  'roles/stackdriver.resourceMetadata.writer',
  'roles/artifactregistry.reader',
] as const;

/** Local SSD counts GCE accepts on n1 machines. */
const N1_LOCAL_SSD_COUNTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 24];

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
  /** Node machine type, an n1-standard-* name. @default 'n1-standard-4' */
  readonly machineType?: string;
  /** Nodes in the pool. @default 4 */
  readonly nodeCount?: number;
  /** @default 'pd-ssd' */
  readonly bootDiskType?: string;
  /** @default 100 */
  readonly bootDiskSizeGb?: number;
  /** Local SSDs per node. @default 1 */
  readonly localSsdCount?: number;
}

export class GkeCluster extends Construct {
  readonly cluster: ContainerCluster;
  readonly nodePool: ContainerNodePool;
  readonly nodeServiceAccount: ServiceAccount;
  /** Cluster name, for the efd stack's data lookup. */
  readonly clusterName: string;
  readonly location: string;

  constructor(scope: Construct, id: string, props: GkeClusterProps) {
    super(scope, id);
    const machineType = props.machineType ?? 'n1-standard-4';
    const nodeCount = props.nodeCount ?? 4;
    const localSsdCount = props.localSsdCount ?? 1;
    const bootDiskSizeGb = props.bootDiskSizeGb ?? 100;
    const where = `site "${props.site}", GKE cluster "${props.name}"`;
    if (!/^n1-standard-(1|2|4|8|16|32|64|96)$/.test(machineType)) {
      throw new Error(`${where}: target.cluster.nodePool.machineType "${machineType}" is not an n1-standard machine type (n1-standard-1 … n1-standard-96)`);
    }
    if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error(`${where}: target.cluster.nodePool.nodeCount must be an integer ≥ 1, got ${nodeCount}`);
    if (!N1_LOCAL_SSD_COUNTS.includes(localSsdCount)) {
      throw new Error(`${where}: target.cluster.nodePool.localSsdCount must be one of ${N1_LOCAL_SSD_COUNTS.join(', ')} on n1 machines, got ${localSsdCount}`);
    }
    if (bootDiskSizeGb < 10) throw new Error(`${where}: target.cluster.nodePool.bootDiskSizeGb must be ≥ 10, got ${bootDiskSizeGb}`);
    this.clusterName = props.name;
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
        diskType: props.bootDiskType ?? 'pd-ssd',
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
