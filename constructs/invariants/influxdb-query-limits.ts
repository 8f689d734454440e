/**
 * A production InfluxDB runs with every query limit set: no guard left at 0 ("no limit"), so one
 * runaway query cannot take the control room's InfluxDB down. Read from the release's environment
 * overrides (constructs/influxdb.ts), the form the server gets.
 */
import { INFLUXDB_KEYS, QUERY_LIMIT_FIELDS, influxEnvName } from '../../config/query-limits';
import { durationSeconds } from '../../config/duration';
import { releaseValues } from './helm-values-view';
import { InvariantRule, ResourceView } from './rule';

export class InfluxDbQueryLimits extends InvariantRule {
  readonly id = 'influxdb-query-limits';

  constructor(
    site: string,
    private readonly production: boolean,
  ) {
    super(site);
  }

  protected check(view: ResourceView): string[] {
    if (!this.production || view.attrs.chart !== 'influxdb') return [];
    const env = (releaseValues(view)?.env ?? []) as { name?: string; value?: unknown }[];
    const byName = new Map(Array.isArray(env) ? env.map((e) => [e.name, e.value]) : []);
    return QUERY_LIMIT_FIELDS.flatMap((field) => {
      const { section, key } = INFLUXDB_KEYS[field];
      const value = byName.get(influxEnvName(section, key));
      const unlimited = value === undefined || value === null || limitOf(String(value)) === 0;
      return unlimited
        ? [
            `${section} ${key} is ${value === undefined ? 'not set' : `${String(value)} (no limit)`} on a production site; ` +
              `set influxdb.queryLimits.${field} in config/sites/${this.site}.yaml above 0 (or remove it for the production default, config/query-limits.ts)`,
          ]
        : [];
    });
  }
}

/** A count ("200000000") or a duration ("300s") as a number; 0 is InfluxDB's "no limit". */
function limitOf(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : durationSeconds(text);
}
