import { changedPaths, diffStack, renderDiff } from './stack-diff';

const release = (values: string, version = '4.12.5') => ({
  chart: 'influxdb',
  repository: 'https://helm.influxdata.com/',
  version,
  values: [values],
});

describe('stack diff', () => {
  it('lists leaf paths that changed', () => {
    expect(changedPaths({ a: 1, b: { c: [1, 2], d: 'x' } }, { a: 1, b: { c: [1, 3], e: 'y' } })).toEqual(['b.c[1]', 'b.d', 'b.e']);
    expect(changedPaths({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it('reports added, removed and changed resources with Helm values as a YAML diff', () => {
    const base = {
      resource: {
        helm_release: { influxdb: release('persistence:\n  size: 128Gi\n') },
        kubernetes_namespace_v1: { old: { metadata: { name: 'old' } } },
      },
    };
    const head = {
      resource: {
        helm_release: { influxdb: release('persistence:\n  size: 256Gi\n', '4.12.6') },
        kubernetes_namespace_v1: { fresh: { metadata: { name: 'fresh' } } },
      },
    };
    const d = diffStack('gcp-efd', base, head);
    expect(d.status).toBe('changed');
    expect(d.added).toEqual(['kubernetes_namespace_v1.fresh']);
    expect(d.removed).toEqual(['kubernetes_namespace_v1.old']);
    expect(d.changed).toEqual([
      {
        address: 'helm_release.influxdb',
        paths: ['values', 'version'],
        valuesDiff: expect.stringContaining('-  size: 128Gi\n+  size: 256Gi'),
      },
    ]);
    const text = renderDiff([d, diffStack('summit-efd', head, head)]);
    expect(text).toContain('Synth diff: 1 of 2 stacks changed');
    expect(text).toContain('  ~ helm_release.influxdb\n      values\n      version\n');
    expect(text).not.toContain('summit-efd');
  });

  it('marks whole stacks added or removed', () => {
    expect(diffStack('x', undefined, { resource: {} }).status).toBe('added');
    expect(diffStack('x', { resource: {} }, undefined).status).toBe('removed');
    expect(diffStack('x', { resource: {} }, { resource: {} }).status).toBe('unchanged');
  });
});
