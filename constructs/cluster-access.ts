/**
 * Wires the Kubernetes and Helm providers of a stack to a site's cluster —
 * from the GKE cluster (endpoint, CA, access token of google_client_config)
 * or from a kubeconfig path and context on-prem. Every efd-side stack uses
 * this one construct; no stack configures the providers itself.
 */
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { DataGoogleContainerCluster } from '@cdktf/provider-google/lib/data-google-container-cluster';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import type { Site } from '../config/schema';

export interface ClusterAccessProps {
  readonly site: Site;
}

export class ClusterAccess extends Construct {
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const target = props.site.target;
    if (target.kind === 'gke') {
      new GoogleProvider(this, 'google', { project: target.project, region: target.region });
      const client = new DataGoogleClientConfig(this, 'client');
      const cluster = new DataGoogleContainerCluster(this, 'cluster', {
        name: target.cluster.name,
        location: target.zone ?? target.region,
        project: target.project,
      });
      const connection = {
        host: `https://${cluster.endpoint}`,
        token: client.accessToken,
        clusterCaCertificate: Fn.base64decode(cluster.masterAuth.get(0).clusterCaCertificate),
      };
      this.kubernetes = new KubernetesProvider(this, 'kubernetes', connection);
      this.helm = new HelmProvider(this, 'helm', { kubernetes: connection });
    } else {
      if (!target.context) {
        throw new Error(`site "${props.site.name}": target.context is missing; name the kubeconfig context of the site's cluster`);
      }
      const connection = { configPath: target.kubeconfig, configContext: target.context };
      this.kubernetes = new KubernetesProvider(this, 'kubernetes', connection);
      this.helm = new HelmProvider(this, 'helm', { kubernetes: connection });
    }
  }
}
