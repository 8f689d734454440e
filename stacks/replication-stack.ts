/**
 * `<site>-replication`: one source site's replication into its aggregator, on the source's cluster —
 * the flow's namespace, its own Kafka Connect (producing to the aggregator) and the connect manager
 * applying the replication connectors. `cdktf deploy summit-replication` does that one thing.
 */
import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import type { Site } from '../config/schema';
import type { ReplicationFlow } from '../config/topology';
import { ClusterAccess } from '../constructs/cluster-access';
import { EfdNamespaces } from '../constructs/efd-namespaces';
import { applyInvariants } from '../constructs/invariants';
import { Replication } from '../constructs/replication/replication';
import { configureBackend } from './backend';

export interface ReplicationStackProps {
  readonly flow: ReplicationFlow;
  readonly source: Site;
  readonly aggregator: Site;
}

export class ReplicationStack extends TerraformStack {
  readonly replication: Replication;

  constructor(scope: Construct, id: string, props: ReplicationStackProps) {
    super(scope, id);
    const { flow, source, aggregator } = props;
    configureBackend(this, source, id);
    new ClusterAccess(this, 'access', { site: source });
    const namespace = flow.settings.connect.namespace;
    const namespaces = new EfdNamespaces(this, 'namespaces', {
      site: source.name,
      namespaces: { replication: namespace },
      preventDestroy: source.production,
    });
    this.replication = new Replication(this, 'replication', {
      flow,
      source,
      aggregator,
      namespace,
      dependsOn: [namespaces.resources[namespace]],
    });
    applyInvariants(this, source);
  }
}
