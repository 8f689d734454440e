/** Test helpers: sites built from the schema with overrides, as the loader would. */
import { siteSchema, Site, SiteInput } from '../config/schema';

export function gkeSite(overrides: Partial<SiteInput> = {}): Site {
  return siteSchema.parse({
    name: 'gcp',
    role: 'standalone',
    production: false,
    target: { kind: 'gke', project: 'lsst-efd-prototype', region: 'us-central1', zone: 'us-central1-a' },
    ...overrides,
  });
}

export function onPremSite(overrides: Partial<SiteInput> = {}): Site {
  return siteSchema.parse({
    name: 'summit',
    role: 'source',
    production: true,
    target: { kind: 'kubeconfig', kubeconfig: '/etc/efd/kubeconfig', context: 'summit-efd', distribution: 'k3s' },
    storage: { provisioner: 'rancher.io/local-path' },
    ...overrides,
  });
}
