/**
 * The namespaces of one EFD site (Kafka, InfluxDB, apps), labelled with the
 * site and protected from destroy on production sites.
 */
import { Construct } from 'constructs';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';

export interface EfdNamespacesProps {
  readonly site: string;
  /** Role name → namespace name; the same namespace may serve several roles. */
  readonly namespaces: Record<string, string>;
  /** Protect from `terraform destroy`. @default false */
  readonly preventDestroy?: boolean;
}

export class EfdNamespaces extends Construct {
  /** Namespace name per role, e.g. `names.kafka`. */
  readonly names: Record<string, string>;
  readonly resources: Record<string, NamespaceV1> = {};

  constructor(scope: Construct, id: string, props: EfdNamespacesProps) {
    super(scope, id);
    this.names = { ...props.namespaces };
    for (const name of [...new Set(Object.values(props.namespaces))].sort()) {
      this.resources[name] = new NamespaceV1(this, name, {
        metadata: { name, labels: { 'app.kubernetes.io/part-of': 'efd', 'efd.lsst.io/site': props.site } },
        lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
      });
    }
  }
}
