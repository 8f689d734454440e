/**
 * Production sites (summit, test stand, LDF) keep their stateful resources
 * behind destroy protection: lifecycle.prevent_destroy on Terraform's side
 * and deletion_protection on the GKE cluster. Experiment sites are exempt.
 */
import { InvariantRule, ResourceView } from './rule';

/** Resource types whose loss loses data or the place data lives. */
export const STATEFUL_TYPES = new Set([
  'google_container_cluster',
  'google_container_node_pool',
  'google_storage_bucket',
  'kubernetes_namespace',
  'kubernetes_namespace_v1',
  'kubernetes_persistent_volume_claim',
  'kubernetes_persistent_volume_claim_v1',
  'kubernetes_storage_class',
  'kubernetes_storage_class_v1',
  'kubernetes_stateful_set',
  'kubernetes_stateful_set_v1',
  'helm_release',
]);

export class DestroyProtection extends InvariantRule {
  readonly id = 'destroy-protection';

  constructor(
    site: string,
    private readonly production: boolean,
  ) {
    super(site);
  }

  protected check(view: ResourceView): string[] {
    if (!this.production || !STATEFUL_TYPES.has(view.type)) return [];
    const problems: string[] = [];
    const lifecycle = view.attrs.lifecycle as { prevent_destroy?: unknown } | undefined;
    if (lifecycle?.prevent_destroy !== true) {
      problems.push(
        'is stateful on a production site but lacks lifecycle.prevent_destroy; set it (or mark the site production: false for experiments)',
      );
    }
    if (view.type === 'google_container_cluster' && view.attrs.deletion_protection !== true) {
      problems.push('is a production cluster without deletion_protection = true');
    }
    return problems;
  }
}
