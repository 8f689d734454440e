/** Chronograf wired to the site's InfluxDB, credentials from the admin Secret. */
import { Construct } from 'constructs';
import type { Site } from '../config/schema';
import { CHARTS } from './charts';
import { HelmChart } from './helm-chart';
import type { InfluxDb } from './influxdb';

export interface ChronografProps {
  readonly site: Site;
  readonly influxdb: InfluxDb;
  /** @default site.namespaces.influxdb */
  readonly namespace?: string;
}

export class Chronograf extends Construct {
  readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: ChronografProps) {
    super(scope, id);
    const { site, influxdb } = props;
    this.chart = new HelmChart(this, 'chronograf', {
      site: site.name,
      chart: CHARTS.chronograf,
      name: 'chronograf',
      namespace: props.namespace ?? site.namespaces.influxdb,
      preventDestroy: site.production,
      dependsOn: [influxdb.release],
      overrides: {
        persistence: { storageClass: site.storage.className },
        env: { INFLUXDB_URL: influxdb.url },
        influxdb: { existingSecret: influxdb.adminSecret },
      },
    });
  }
}
