/**
 * The `ssd` StorageClass every stateful EFD volume uses (Kafka brokers,
 * ZooKeeper, InfluxDB). On GKE: the PD CSI driver with pd-ssd; on-prem: the
 * site's provisioner (k3s: rancher.io/local-path on local SSDs).
 */
import { Construct } from 'constructs';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';

export const GKE_SSD_PROVISIONER = 'pd.csi.storage.gke.io';

export interface SsdStorageClassProps {
  /** Class name. @default 'ssd' */
  readonly name?: string;
  /** CSI/provisioner name. @default 'pd.csi.storage.gke.io' */
  readonly provisioner?: string;
  /** Provisioner parameters. @default { type: 'pd-ssd' } with the GKE provisioner, {} otherwise */
  readonly parameters?: Record<string, string>;
  /** Keep volumes when claims are deleted (production). @default 'Retain' */
  readonly reclaimPolicy?: 'Retain' | 'Delete';
  /** Protect the class from `terraform destroy`. @default false */
  readonly preventDestroy?: boolean;
}

export class SsdStorageClass extends Construct {
  readonly name: string;
  readonly resource: StorageClassV1;

  constructor(scope: Construct, id: string, props: SsdStorageClassProps = {}) {
    super(scope, id);
    this.name = props.name ?? 'ssd';
    const provisioner = props.provisioner ?? GKE_SSD_PROVISIONER;
    const parameters = props.parameters ?? (provisioner === GKE_SSD_PROVISIONER ? { type: 'pd-ssd' } : {});
    // local-path volumes cannot grow; every CSI driver here can.
    const expandable = provisioner !== 'rancher.io/local-path';
    this.resource = new StorageClassV1(this, 'class', {
      metadata: { name: this.name, labels: { 'app.kubernetes.io/part-of': 'efd' } },
      storageProvisioner: provisioner,
      parameters,
      reclaimPolicy: props.reclaimPolicy ?? 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: expandable,
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
  }
}
