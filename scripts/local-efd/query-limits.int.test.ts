/**
 * The query limits are enforced by the real InfluxDB, in both forms it gets them:
 *  - the local EFD's influxdb.conf ([coordinator]/[data] keys written by influxConfigText, the test-site
 *    defaults), on an InfluxDB of the test's own started from that config: the shared local EFD's server
 *    takes a new config only at its next start, which tests must not force;
 *  - a site's Helm release: the INFLUXDB_* environment overrides constructs/influxdb.ts renders, on a
 *    server whose config file has no limit at all.
 * Either way a SELECT over one series more than max-select-series is refused with InfluxDB's error, and one
 * at the limit is answered.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { parse } from 'yaml';
import { InfluxDb } from '../../constructs/influxdb';
import { NO_QUERY_LIMITS, QUERY_LIMIT_DEFAULTS } from '../../config/query-limits';
import { gkeSite } from '../../test/sites';
import { notRun } from '../../test/not-run';
import { influxQl } from './health';
import { paths } from './layout';
import { LOCAL_QUERY_LIMITS } from './configs';
import { PrivateInflux, startPrivateInflux } from './private-influx';

jest.setTimeout(180_000);

/** `n` series of measurement `m` (tag s = 0…n-1), one point each. */
async function writeSeries(url: string, db: string, m: string, n: number): Promise<void> {
  const body = Array.from({ length: n }, (_, i) => `${m},s=${i} v=${i} 1700000000000000000`).join('\n');
  const res = await fetch(`${url}/write?db=${db}`, { method: 'POST', body });
  if (res.status !== 204) throw new Error(`write ${m}: ${res.status} ${await res.text()}`);
}

/** The env a non-production site's InfluxDB release gets (the gcp site kind: the same defaults as the local EFD). */
function releaseEnv(): Record<string, string> {
  const stack = new TerraformStack(Testing.app(), 'limits');
  new InfluxDb(stack, 'influxdb', { site: gkeSite() });
  const release = Object.values(JSON.parse(Testing.synth(stack)).resource.helm_release)[0] as { values: string[] };
  const env = (parse(release.values[0]) as { env: { name: string; value: string }[] }).env;
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
}

const influxd = path.join(paths.influxBin(), 'influxd');

if (!fs.existsSync(influxd)) {
  notRun('InfluxDB enforces the query limits', `no InfluxDB build at ${influxd} (npm run efd:up installs it)`);
} else {
  describe('InfluxDB query limits on the real server', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-query-limits-'));
    const servers: PrivateInflux[] = [];
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const limit = LOCAL_QUERY_LIMITS.maxSelectSeries;

    async function expectSeriesLimit(server: PrivateInflux): Promise<void> {
      await influxQl(server.url, 'CREATE DATABASE limits');
      await writeSeries(server.url, 'limits', 'at_limit', limit);
      await writeSeries(server.url, 'limits', 'over_limit', limit + 1);
      const ok = (await influxQl(server.url, 'SELECT count(v) FROM at_limit', 'limits')) as {
        results: { series: { values: [string, number][] }[] }[];
      };
      expect(ok.results[0].series[0].values[0][1]).toBe(limit);
      await expect(influxQl(server.url, 'SELECT v FROM over_limit', 'limits')).rejects.toThrow(
        `max-select-series limit exceeded: (${limit + 1}/${limit})`,
      );
    }

    it("the local EFD's config: the test-site defaults as [coordinator]/[data] keys", async () => {
      expect(LOCAL_QUERY_LIMITS).toEqual(QUERY_LIMIT_DEFAULTS.test);
      const server = await startPrivateInflux({ name: 'influx-conf', dir });
      servers.push(server);
      const conf = fs.readFileSync(server.configFile, 'utf8');
      expect(conf).toContain(`  max-select-series = ${limit}\n`);
      expect(conf).toContain('  query-timeout = "120s"\n');
      expect(conf).toContain('  max-series-per-database = 1000000\n');
      await expectSeriesLimit(server);
    });

    it("a site's Helm release: the INFLUXDB_* environment overrides over a config without limits", async () => {
      const env = releaseEnv();
      expect(env.INFLUXDB_COORDINATOR_MAX_SELECT_SERIES).toBe(String(limit));
      const server = await startPrivateInflux({ name: 'influx-env', dir, limits: NO_QUERY_LIMITS, env });
      servers.push(server);
      expect(fs.readFileSync(server.configFile, 'utf8')).toContain('  max-select-series = 0\n');
      await expectSeriesLimit(server);
    });
  });
}
