/**
 * Telegraf collecting InfluxDB's own statistics (/debug/vars: writes, series,
 * memory) into the site's InfluxDB, database `telegraf`; credentials from the
 * admin Secret through environment variables, never literals.
 */
import { Construct } from 'constructs';
import type { Site } from '../config/schema';
import { CHARTS } from './charts';
import { HelmChart } from './helm-chart';
import { containerEnv } from './app-deployment';
import { influxDbCredentialEnv } from './influxdb';
import type { InfluxDb } from './influxdb';

export interface TelegrafProps {
  readonly site: Site;
  readonly influxdb: InfluxDb;
  /** @default site.namespaces.influxdb */
  readonly namespace?: string;
  /** Database the metrics go to. @default 'telegraf' */
  readonly database?: string;
}

export class Telegraf extends Construct {
  readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: TelegrafProps) {
    super(scope, id);
    const { site, influxdb } = props;
    this.chart = new HelmChart(this, 'telegraf', {
      site: site.name,
      chart: CHARTS.telegraf,
      name: 'telegraf',
      namespace: props.namespace ?? site.namespaces.influxdb,
      preventDestroy: site.production,
      dependsOn: [influxdb.release],
      overrides: {
        env: containerEnv({ HOSTNAME: `telegraf-${site.name}` }, influxDbCredentialEnv(influxdb.adminSecret)),
        config: {
          outputs: [
            {
              influxdb: {
                urls: [influxdb.url],
                database: props.database ?? 'telegraf',
                username: '${INFLUXDB_USER}',
                password: '${INFLUXDB_PASSWORD}',
                skip_database_creation: false,
              },
            },
          ],
          inputs: [
            {
              influxdb: {
                urls: [`${influxdb.url}/debug/vars`],
                username: '${INFLUXDB_USER}',
                password: '${INFLUXDB_PASSWORD}',
                timeout: '5s',
              },
            },
          ],
        },
      },
    });
  }
}
