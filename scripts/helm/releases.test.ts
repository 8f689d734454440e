import { parse } from 'yaml';
import { loadSites } from '../../config/load';
import { CHARTS } from '../../constructs/charts';
import { resolveReference, stackReleases } from './releases';
import { siteReleases } from './validate';

const doc = {
  resource: {
    kubernetes_namespace_v1: { kafka: { metadata: { name: 'kafka' } }, computed: { metadata: [{ generate_name: 'x-' }] } },
    helm_release: {
      telegraf_release_1: {
        name: 'telegraf',
        namespace: '${kubernetes_namespace_v1.kafka.metadata[0].name}',
        repository: 'https://helm.influxdata.com/',
        chart: 'telegraf',
        version: '1.8.74',
        values: ['config:\n  username: $${INFLUXDB_USER}\n  database: ${kubernetes_namespace_v1.kafka.metadata[0].name}\n'],
        set: [{ name: 'replicaCount', value: '2' }],
        set_sensitive: { name: 'password', value: 'p', type: 'string' },
      },
      secret_release_2: {
        name: 'secret',
        namespace: 'kafka',
        chart: 'x',
        version: '1.0.0',
        values: ['password: ${var.password}\nname: ${kubernetes_namespace_v1.computed.metadata[0].name}\n'],
      },
      unpinned_release_3: { name: 'unpinned', chart: 'x' },
    },
  },
};

describe('the Helm releases of a synthesized stack', () => {
  it('as Helm receives them: escapes undone, references the synth knows resolved', () => {
    const { releases } = stackReleases(doc, 's');
    expect(releases).toEqual([
      {
        stack: 's',
        address: 'helm_release.telegraf_release_1',
        name: 'telegraf',
        namespace: 'kafka',
        chart: 'telegraf',
        version: '1.8.74',
        repository: 'https://helm.influxdata.com/',
        values: ['config:\n  username: ${INFLUXDB_USER}\n  database: kafka\n'],
        set: [
          { name: 'replicaCount', value: '2', string: false },
          { name: 'password', value: 'p', string: true },
        ],
      },
    ]);
  });

  it('a value known only at apply time, or a release without a version, is a problem naming release and expression', () => {
    expect(stackReleases(doc, 's').problems).toEqual([
      {
        stack: 's',
        address: 'helm_release.secret_release_2',
        name: 'secret',
        message:
          'values[0] holds Terraform expressions known only at apply time: ${var.password}, ${kubernetes_namespace_v1.computed.metadata[0].name}',
      },
      {
        stack: 's',
        address: 'helm_release.unpinned_release_3',
        name: 'unpinned',
        message: 'has no version (every release pins chart and version)',
      },
    ]);
  });

  it('resolves a reference to a literal attribute of the stack, nothing else', () => {
    expect(resolveReference(doc, 'kubernetes_namespace_v1.kafka.metadata[0].name')).toBe('kafka');
    expect(resolveReference(doc, 'kubernetes_namespace_v1.kafka.metadata.name')).toBe('kafka');
    expect(resolveReference(doc, 'kubernetes_namespace_v1.kafka.metadata[1].name')).toBeUndefined();
    expect(resolveReference(doc, 'kubernetes_namespace_v1.nope.metadata[0].name')).toBeUndefined();
    expect(resolveReference(doc, 'var.password')).toBeUndefined();
    expect(resolveReference(doc, 'data.google_client_config.c.access_token')).toBeUndefined();
  });

  it("every site stack's releases, with the site's context and the values the chart receives", () => {
    const { targets, problems } = siteReleases(loadSites());
    expect(problems).toEqual([]);
    const summit = targets.filter((t) => t.site.name === 'summit');
    expect(
      summit.map((t) => `${t.release.stack} ${t.release.name} ${t.release.chart}-${t.release.version} ${t.release.namespace}`),
    ).toEqual([
      'summit-efd chronograf chronograf-1.2.6 influxdb',
      'summit-efd influxdb influxdb-4.12.5 influxdb',
      'summit-efd cp cp-helm-charts-0.6.1 kafka',
      'summit-efd kapacitor kapacitor-1.4.7 influxdb',
      'summit-replication replication-summit cp-helm-charts-0.6.1 efd-replication',
    ]);
    expect(new Set(summit.map((t) => t.context))).toEqual(new Set(['summit-efd']));
    const chronograf = summit[0].release;
    expect(chronograf.repository).toBe(CHARTS.chronograf.repository);
    expect(parse(chronograf.values[0])).toMatchObject({
      persistence: { enabled: true, storageClass: 'ssd' },
      service: { type: 'ClusterIP' },
    });
    // gcp-efd's Telegraf placeholders reach Helm unescaped, as Telegraf reads them.
    const telegraf = targets.find((t) => t.site.name === 'gcp' && t.release.name === 'telegraf')?.release;
    expect(telegraf?.values[0]).toContain('${INFLUXDB_USER}');
    expect(telegraf?.values[0]).not.toContain('$${');
    // Every release of every site stack (gcp 5, ldf 6 with the inbound registries, summit and test-stand 4 + 1).
    expect(targets.length).toBe(21);
  }, 120_000);
});
