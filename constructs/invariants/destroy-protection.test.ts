import { Aspects } from 'cdktf';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';
import { DestroyProtection } from './destroy-protection';
import { invariantErrors, newStack } from './testing';

function check(production: boolean, preventDestroy: boolean): string[] {
  const stack = newStack();
  new NamespaceV1(stack, 'kafka', { metadata: { name: 'kafka' }, lifecycle: preventDestroy ? { preventDestroy: true } : undefined });
  new ConfigMapV1(stack, 'settings', { metadata: { name: 'settings' } });
  Aspects.of(stack).add(new DestroyProtection('summit', production));
  return invariantErrors(stack);
}

describe('invariant destroy-protection', () => {
  it('fires on an unprotected stateful resource of a production site, not on stateless ones', () => {
    expect(check(true, false)).toEqual([
      'invariant destroy-protection: site "summit", kubernetes_namespace_v1.kafka: is stateful on a production site but lacks lifecycle.prevent_destroy; set it (or mark the site production: false for experiments)',
    ]);
  });

  it('fires on a production GKE cluster without deletion_protection', () => {
    const stack = newStack();
    new ContainerCluster(stack, 'gke', {
      name: 'efd',
      location: 'us-central1-a',
      deletionProtection: false,
      lifecycle: { preventDestroy: true },
    });
    Aspects.of(stack).add(new DestroyProtection('summit', true));
    expect(invariantErrors(stack)).toEqual([
      expect.stringContaining('google_container_cluster.gke: is a production cluster without deletion_protection = true'),
    ]);
  });

  it('does not fire when protected', () => expect(check(true, true)).toEqual([]));
  it('does not fire on experiment sites', () => expect(check(false, false)).toEqual([]));
});
