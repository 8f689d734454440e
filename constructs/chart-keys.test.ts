import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { loadSites } from '../config/load';
import { synthSites } from '../scripts/synth';
import { readChartDefaults, unknownKeys } from './chart-keys';
import { CHARTS } from './charts';
import { siteValues } from './helm-values';

const FIXTURES = path.resolve(__dirname, '..', '..', 'shared', 'fixtures', 'charts');
const defaults = (chart: string, version: string) => readChartDefaults(path.join(FIXTURES, chart, version));

describe('Helm values keys exist in the pinned charts', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-keys-'));
  synthSites(loadSites(), outdir);
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  const releases = fs.readdirSync(path.join(outdir, 'stacks')).flatMap((stack) => {
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    return Object.entries((json.resource?.helm_release ?? {}) as Record<string, { chart: string; version: string; values: string[] }>).map(
      ([name, r]) => [`${stack} ${name}`, r] as const,
    );
  });

  it('synthesizes the platform releases for every site', () => {
    // cp, influxdb, chronograf, kapacitor on every site; telegraf where the site turns it on (gcp).
    expect(releases.length).toBe(4 * 4 + 1);
    expect(new Set(releases.map(([, r]) => `${r.chart}@${r.version}`))).toEqual(
      new Set(['cp-helm-charts@0.6.1', 'influxdb@4.12.5', 'chronograf@1.2.6', 'kapacitor@1.4.7', 'telegraf@1.8.74']),
    );
    const telegraf = releases.find(([, r]) => r.chart === 'telegraf')?.[1] as { values: string[] };
    expect(parse(telegraf.values[0]).config.outputs).toEqual([
      { influxdb: { urls: ['http://influxdb.influxdb.svc.cluster.local:8086'], database: 'telegraf', username: '${INFLUXDB_USER}', password: '${INFLUXDB_PASSWORD}', skip_database_creation: false } },
    ]);
  });

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
    const influx = defaults('influxdb', '4.12.5');
    expect(unknownKeys({ persistance: { size: '1Gi' } }, influx)).toEqual(['persistance']);
    expect(unknownKeys({ persistence: { sise: '1Gi', storageClass: 'ssd' } }, influx)).toEqual(['persistence.sise']);
    expect(unknownKeys({ setDefaultUser: { user: { existingSecret: 'x', pasword: 'y' } } }, influx)).toEqual(['setDefaultUser.user.pasword']);
    const cp = defaults('cp-helm-charts', '0.6.1');
    expect(unknownKeys({ 'cp-kafka': { brokers: 3, heapOption: '-Xmx1G', configurationOverrides: { 'log.retention.hours': '24' } } }, cp)).toEqual(['cp-kafka.heapOption']);
  });
});
