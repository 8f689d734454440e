/** Test helpers: sites built from the schema with overrides, as the loader would; the committed sites' stacks. */
import { siteSchema, Site, SiteInput } from '../config/schema';

/** A site maker: `defaults` with the caller's overrides on top, parsed by the schema. */
const siteFrom =
  (defaults: SiteInput) =>
  (overrides: Partial<SiteInput> = {}): Site =>
    siteSchema.parse({ ...defaults, ...overrides });

export const gkeSite = siteFrom({
  name: 'gcp',
  role: 'standalone',
  production: false,
  target: { kind: 'gke', project: 'lsst-efd-prototype', region: 'us-central1', zone: 'us-central1-a' },
});

export const onPremSite = siteFrom({
  name: 'summit',
  role: 'source',
  production: true,
  target: { kind: 'kubeconfig', kubeconfig: '/etc/efd/kubeconfig', context: 'summit-efd', distribution: 'k3s' },
  storage: { provisioner: 'rancher.io/local-path' },
});

/** Every stack the committed sites (config/sites/*.yaml) produce, sorted. */
export const COMMITTED_STACKS = [
  'gcp-alerts',
  'gcp-cluster',
  'gcp-efd',
  'ldf-efd',
  'summit-efd',
  'summit-replication',
  'test-stand-efd',
  'test-stand-replication',
];
