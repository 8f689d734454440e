/**
 * Conformance: every Helm values key we set (base values, site overlays, synthesized releases) exists in
 * the pinned charts' default values.yaml (copies under charts/ of the upstream fixtures).
 */
import * as path from 'path';
import { parse } from 'yaml';
import { describeConformance } from '../test/conformance';
import { synthesizedReleases } from '../test/helm-releases';
import { readChartDefaults, unknownKeys } from './chart-keys';
import { CHARTS } from './charts';
import { siteValues } from './helm-values';

describeConformance('Helm values keys exist in the pinned charts', 'charts', (fixtures) => {
  const defaults = (chart: string, version: string) => readChartDefaults(path.join(fixtures, chart, version));
  const releases = synthesizedReleases();

  it.each(releases.map(([name, r]) => [name, r] as const))('%s sets only keys its chart knows', (_name, release) => {
    expect(unknownKeys(parse(release.values[0]), defaults(release.chart, release.version))).toEqual([]);
  });

  it('every site overlay uses known keys too', () => {
    for (const site of ['gcp', 'summit']) {
      for (const chart of Object.values(CHARTS)) {
        expect(unknownKeys(siteValues(chart.valuesFile, site, {}), defaults(chart.chart, chart.version))).toEqual([]);
      }
    }
  });

  it('fails a misspelt key, at any depth, in the umbrella chart too', () => {
    const influxDb = defaults('influxdb', '4.12.5');
    expect(unknownKeys({ persistance: { size: '1Gi' } }, influxDb)).toEqual(['persistance']);
    expect(unknownKeys({ persistence: { sise: '1Gi', storageClass: 'ssd' } }, influxDb)).toEqual(['persistence.sise']);
    expect(unknownKeys({ setDefaultUser: { user: { existingSecret: 'x', pasword: 'y' } } }, influxDb)).toEqual([
      'setDefaultUser.user.pasword',
    ]);
    const cp = defaults('cp-helm-charts', '0.6.1');
    expect(
      unknownKeys({ 'cp-kafka': { brokers: 3, heapOption: '-Xmx1G', configurationOverrides: { 'log.retention.hours': '24' } } }, cp),
    ).toEqual(['cp-kafka.heapOption']);
  });
});
