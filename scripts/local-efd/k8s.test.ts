import { loadSites } from '../../config/load';
import { kubernetesBuildGoMod } from './install';
import { siteContext } from './k8s';

describe('the local Kubernetes API', () => {
  it("names a context per site as the sites expect (kubeconfig context; gcloud's name for GKE)", () => {
    const contexts = Object.fromEntries(loadSites().map((s) => [s.name, siteContext(s)]));
    expect(contexts).toEqual({
      gcp: 'gke_lsst-efd-prototype_us-central1-a_efd',
      ldf: 'ldf-efd',
      summit: 'summit-efd',
      'test-stand': 'tucson-teststand-efd',
    });
  });

  it('builds from k8s.io/kubernetes with each ./staging module replaced by its published version', () => {
    const upstream =
      'module k8s.io/kubernetes\n\ngo 1.26.0\n\ngodebug default=go1.26\n\nrequire (\n\tk8s.io/api v0.0.0\n)\n\nreplace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n\tk8s.io/cri-api => ./staging/src/k8s.io/cri-api\n)\n';
    const mod = kubernetesBuildGoMod(upstream, '1.36.3', '0.36.3');
    expect(mod).toContain('go 1.26.0\n\ngodebug default=go1.26\n\nrequire k8s.io/kubernetes v1.36.3\n');
    expect(mod).toContain('\tk8s.io/kubernetes/cmd/kube-apiserver\n\tk8s.io/kubernetes/cmd/kube-controller-manager\n');
    expect(mod).toContain('replace (\n\tk8s.io/api => k8s.io/api v0.36.3\n\tk8s.io/cri-api => k8s.io/cri-api v0.36.3\n)\n');
    expect(() => kubernetesBuildGoMod('module k8s.io/kubernetes\n', '1.36.3', '0.36.3')).toThrow(/no \.\/staging replace directives/);
  });
});
