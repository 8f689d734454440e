import { Aspects } from 'cdktf';
import { InfluxDb } from '../influxdb';
import { InfluxDbQueryLimits } from './influxdb-query-limits';
import { invariantErrors, newStack } from './testing';
import { gkeSite, onPremSite } from '../../test/sites';
import type { Site } from '../../config/schema';
import { NO_QUERY_LIMITS } from '../../config/query-limits';

function errors(site: Site): string[] {
  const stack = newStack();
  new InfluxDb(stack, 'influxdb', { site });
  Aspects.of(stack).add(new InfluxDbQueryLimits(site.name, site.production));
  return invariantErrors(stack);
}

describe('invariant influxdb-query-limits', () => {
  it('passes a production site on its defaults, and a test site with no limit at all', () => {
    expect(errors(onPremSite())).toEqual([]);
    expect(errors(gkeSite({ influxdb: { queryLimits: NO_QUERY_LIMITS } }))).toEqual([]);
  });

  it('refuses a production site that turns a limit off, naming the site, its file and the field', () => {
    expect(errors(onPremSite({ influxdb: { queryLimits: { maxSelectPoint: 0, queryTimeout: '0s' } } }))).toEqual([
      expect.stringMatching(
        /^invariant influxdb-query-limits: site "summit", helm_release\.influxdb_\w+: coordinator query-timeout is 0s \(no limit\) on a production site; set influxdb\.queryLimits\.queryTimeout in config\/sites\/summit\.yaml above 0/,
      ),
      expect.stringMatching(
        /site "summit", .*: coordinator max-select-point is 0 \(no limit\) on a production site; set influxdb\.queryLimits\.maxSelectPoint in config\/sites\/summit\.yaml above 0/,
      ),
    ]);
  });
});
