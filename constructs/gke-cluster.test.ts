import { Testing, TerraformStack } from 'cdktf';
import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';
import { ContainerNodePool } from '@cdktf/provider-google/lib/container-node-pool';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { GkeCluster, GkeClusterProps, NODE_ROLES } from './gke-cluster';

function synth(props: Partial<GkeClusterProps> = {}): string {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new GkeCluster(stack, 'gke', { site: 'gcp', project: 'lsst-efd-prototype', location: 'us-central1-a', name: 'efd', ...props });
  return Testing.synth(stack);
}

describe('GkeCluster', () => {
  const defaults = synth();

  it('removes the default pool and enables release channel, Workload Identity and the PD CSI driver', () => {
    expect(defaults).toHaveResourceWithProperties(ContainerCluster, {
      name: 'efd',
      location: 'us-central1-a',
      remove_default_node_pool: true,
      initial_node_count: 1,
      deletion_protection: true,
      release_channel: { channel: 'REGULAR' },
      workload_identity_config: { workload_pool: 'lsst-efd-prototype.svc.id.goog' },
      addons_config: { gce_persistent_disk_csi_driver_config: { enabled: true } },
      lifecycle: { prevent_destroy: true },
    });
    expect(JSON.parse(defaults).resource.google_container_cluster.gke_cluster_5A9E9C1E ?? {}).not.toHaveProperty('private_cluster_config');
  });

  it('defaults to the final prototype: 4 x n1-standard-4, pd-ssd boot disks, one local SSD, GKE metadata server', () => {
    expect(defaults).toHaveResourceWithProperties(ContainerNodePool, {
      name: 'efd-n1-standard-4',
      node_count: 4,
      node_config: expect.objectContaining({
        machine_type: 'n1-standard-4',
        disk_type: 'pd-ssd',
        disk_size_gb: 100,
        local_ssd_count: 1,
        oauth_scopes: ['https://www.googleapis.com/auth/cloud-platform'],
        workload_metadata_config: { mode: 'GKE_METADATA' },
        service_account: expect.stringMatching(/^\$\{google_service_account\.gke_nodes_[0-9A-F]+\.email\}$/),
      }),
    });
  });

  it('gives the node service account only the node roles', () => {
    const members = Object.values(JSON.parse(defaults).resource.google_project_iam_member) as { role: string }[];
    expect(members.map((m) => m.role).sort()).toEqual([...NODE_ROLES].sort());
    expect(defaults).toHaveResourceWithProperties(ProjectIamMember, { role: 'roles/logging.logWriter', project: 'lsst-efd-prototype' });
    expect(defaults).not.toMatch(/roles\/(editor|owner|container\.admin)/);
  });

  it('accepts 3 x n1-standard-2 with private nodes and no protection for experiments', () => {
    const out = synth({ machineType: 'n1-standard-2', nodeCount: 3, localSsdCount: 2, privateNodes: true, deletionProtection: false });
    expect(out).toHaveResourceWithProperties(ContainerNodePool, {
      node_count: 3,
      node_config: expect.objectContaining({ machine_type: 'n1-standard-2', local_ssd_count: 2 }),
    });
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      deletion_protection: false,
      private_cluster_config: { enable_private_nodes: true, enable_private_endpoint: false, master_ipv4_cidr_block: '172.16.0.0/28' },
    });
    expect(out).not.toContain('prevent_destroy');
  });

  it.each([
    [{ machineType: 'n2-standard-4' }, /nodePool\.machineType: expected one of n1-standard-1, .*n1-standard-96, got "n2-standard-4"/],
    [{ machineType: 'n1-highmem-4' }, /machineType: expected one of n1-standard-1, .* got "n1-highmem-4"/],
    [{ nodeCount: 0 }, /nodeCount: expected an integer ≥ 1, got 0/],
    [{ localSsdCount: 9 }, /localSsdCount: expected one of 0, 1, .*, 24 \(the counts GCE accepts on n1 machines\), got 9/],
    [{ bootDiskSizeGb: 5 }, /bootDiskSizeGb: expected at least 10 \(GB\), got 5/],
  ])('rejects %p naming the site', (props, message) => {
    expect(() => synth(props as Partial<GkeClusterProps>)).toThrow(message);
    expect(() => synth(props as Partial<GkeClusterProps>)).toThrow(/site "gcp", GKE cluster "efd"/);
  });
});
