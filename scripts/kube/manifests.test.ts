import { stackObjects, toManifest } from './manifests';
import { missingFields } from './judge';

describe('toManifest (provider resource → the object the kubernetes provider creates)', () => {
  it('converts blocks, lists, string integers and Terraform escapes as the provider does', () => {
    const m = toManifest('kubernetes_deployment_v1', 'd', {
      '//': { metadata: {} },
      depends_on: ['x'],
      lifecycle: { prevent_destroy: true },
      metadata: { name: 'app', namespace: 'efd-apps', labels: { 'app.kubernetes.io/name': 'app' } },
      spec: {
        replicas: '2',
        selector: { match_labels: { 'app.kubernetes.io/name': 'app' } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'app' } },
          spec: {
            security_context: { run_as_user: '1000', fs_group: '1000', run_as_non_root: true },
            container: [
              {
                name: 'app',
                image: 'i:1',
                args: ['--x', 'topic $${topic}'],
                env_from: [],
                env: [{ name: 'P', value_from: { secret_key_ref: { name: 's', key: 'k' } } }],
                liveness_probe: { http_get: { path: '/healthz', port: '9090' } },
                port: [{ name: 'metrics', container_port: 9090 }],
                volume_mount: [{ name: 'cm', mount_path: '/etc/x', read_only: true }],
              },
            ],
            volume: [{ name: 'cm', config_map: { name: 'cm' } }],
          },
        },
      },
    });
    expect(m).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: 'efd-apps', labels: { 'app.kubernetes.io/name': 'app' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'app' } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'app' } },
          spec: {
            securityContext: { runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true },
            containers: [
              {
                name: 'app',
                image: 'i:1',
                args: ['--x', 'topic ${topic}'],
                env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
                livenessProbe: { httpGet: { path: '/healthz', port: 9090 } },
                ports: [{ name: 'metrics', containerPort: 9090 }],
                volumeMounts: [{ name: 'cm', mountPath: '/etc/x', readOnly: true }],
              },
            ],
            volumes: [{ name: 'cm', configMap: { name: 'cm' } }],
          },
        },
      },
    });
  });

  it('a StorageClass: storage_provisioner is provisioner, parameters keep their keys', () => {
    expect(
      toManifest('kubernetes_storage_class_v1', 's', {
        metadata: { name: 'ssd' },
        storage_provisioner: 'rancher.io/local-path',
        parameters: { disk_type: 'pd-ssd' },
        reclaim_policy: 'Retain',
      }),
    ).toEqual({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'ssd' },
      provisioner: 'rancher.io/local-path',
      parameters: { disk_type: 'pd-ssd' },
      reclaimPolicy: 'Retain',
    });
  });

  it('fails on a field it does not know, on a live Terraform reference, and on a type we do not declare, naming each', () => {
    expect(() => toManifest('kubernetes_job_v1', 'j', { metadata: { name: 'j' }, spec: { active_deadline_seconds: 5 } })).toThrow(
      'kubernetes_job_v1.j.spec.active_deadline_seconds: a field the manifest converter does not know',
    );
    expect(() =>
      toManifest('kubernetes_config_map_v1', 'c', { metadata: { name: 'c', namespace: '${kubernetes_namespace_v1.x.metadata[0].name}' } }),
    ).toThrow(/kubernetes_config_map_v1\.c\.metadata\.namespace: holds a Terraform reference/);
    expect(() => toManifest('kubernetes_service_v1', 's', { metadata: { name: 's' } })).toThrow(
      /kubernetes_service_v1\.s: not a Kubernetes object type/,
    );
  });

  it("lists a stack's objects, namespaces first", () => {
    const objects = stackObjects({
      resource: {
        kubernetes_config_map_v1: { c: { metadata: { name: 'c', namespace: 'n' }, data: { 'a.json': '{}' } } },
        kubernetes_namespace_v1: { n: { metadata: { name: 'n' } } },
        helm_release: { h: { name: 'h' } },
      },
    });
    expect(objects.map((o) => o.address)).toEqual(['kubernetes_namespace_v1.n', 'kubernetes_config_map_v1.c']);
  });
});

describe('missingFields', () => {
  it('lists what the live object lacks or has otherwise, and ignores what the server added', () => {
    expect(missingFields({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2], d: 3 }, e: 4 })).toEqual([]);
    expect(missingFields({ a: 1, b: { c: [1, 2] } }, { a: '1', b: { c: [1] } })).toEqual([
      'a: expected 1, got "1"',
      'b.c[1]: expected 2, got undefined',
    ]);
  });
});
