import * as path from 'path';
import { parse } from 'yaml';
import { synthesizedReleases } from '../test/helm-releases';
import { readChartDefaults, unknownKeys } from './chart-keys';

/** A small umbrella chart written for these tests (the pinned charts' defaults are checked in chart-keys.conformance.test.ts). */
const UMBRELLA = path.resolve(__dirname, '..', 'test', 'fixtures', 'charts', 'umbrella');

describe('Helm values keys against chart defaults', () => {
  const releases = synthesizedReleases();

  it('synthesizes the platform releases for every site', () => {
    // cp, influxdb, chronograf, kapacitor on every site; telegraf where the site turns it on (gcp); per
    // replication flow (summit, test-stand → ldf) its Connect at the source and its remote registry at ldf.
    expect(releases.length).toBe(4 * 4 + 1 + 2 * 2);
    expect(
      releases
        .map(([name]) => name)
        .filter((n) => /replication/.test(n))
        .sort(),
    ).toEqual([
      'ldf-efd replication-inbound_registry-summit_release_0714C8E4',
      'ldf-efd replication-inbound_registry-test-stand_release_5EE8E0B4',
      'summit-replication replication_connect_release_F0041FA2',
      'test-stand-replication replication_connect_release_F0041FA2',
    ]);
    expect(new Set(releases.map(([, r]) => `${r.chart}@${r.version}`))).toEqual(
      new Set(['cp-helm-charts@0.6.1', 'influxdb@4.12.5', 'chronograf@1.2.6', 'kapacitor@1.4.7', 'telegraf@1.8.74']),
    );
    // Telegraf's own env placeholders, escaped for Terraform ($${…}), which hands Helm `${INFLUXDB_USER}`.
    const telegraf = releases.find(([, r]) => r.chart === 'telegraf')?.[1] as { values: string[] };
    expect(parse(telegraf.values[0]).config.outputs).toEqual([
      {
        influxdb: {
          urls: ['http://influxdb.influxdb.svc.cluster.local:8086'],
          database: 'telegraf',
          username: '$${INFLUXDB_USER}',
          password: '$${INFLUXDB_PASSWORD}',
          skip_database_creation: false,
        },
      },
    ]);
  });

  it('fails a misspelt key, at any depth, in the umbrella chart too', () => {
    const chart = readChartDefaults(UMBRELLA);
    expect(unknownKeys({ replicaCount: 2, persistance: { size: '1Gi' } }, chart)).toEqual(['persistance']);
    expect(unknownKeys({ persistence: { sise: '1Gi', storageClass: 'ssd' } }, chart)).toEqual(['persistence.sise']);
    expect(unknownKeys({ setDefaultUser: { user: { existingSecret: 'x', pasword: 'y' } } }, chart)).toEqual([
      'setDefaultUser.user.pasword',
    ]);
    expect(
      unknownKeys(
        { 'sub-a': { enabled: false, brokers: 3, heapOption: '-Xmx1G', configurationOverrides: { 'log.retention.hours': '24' } } },
        chart,
      ),
    ).toEqual(['sub-a.heapOption']);
  });

  it('accepts commented-out keys and anything under a free-form map', () => {
    const chart = readChartDefaults(UMBRELLA);
    expect(chart.commented).toEqual(new Set(['storageClass', 'existingSecret']));
    expect([...chart.subcharts.keys()]).toEqual(['sub-a']);
    expect(
      unknownKeys(
        { config: { http: { 'auth-enabled': true }, meta: { dir: '/x' } }, podAnnotations: { a: 'b' }, extra: { any: { depth: 1 } } },
        chart,
      ),
    ).toEqual([]);
  });
});
