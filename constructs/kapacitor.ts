/** Kapacitor subscribed to the site's InfluxDB, credentials from the admin Secret. */
import { Construct } from 'constructs';
import type { Site } from '../config/schema';
import { CHARTS } from './charts';
import { HelmChart } from './helm-chart';
import type { InfluxDb } from './influxdb';

export interface KapacitorProps {
  readonly site: Site;
  readonly influxdb: InfluxDb;
  /** @default site.namespaces.influxdb */
  readonly namespace?: string;
}

export class Kapacitor extends Construct {
  readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: KapacitorProps) {
    super(scope, id);
    const { site, influxdb } = props;
    this.chart = new HelmChart(this, 'kapacitor', {
      site: site.name,
      chart: CHARTS.kapacitor,
      name: 'kapacitor',
      namespace: props.namespace ?? site.namespaces.influxdb,
      preventDestroy: site.production,
      dependsOn: [influxdb.release],
      overrides: {
        persistence: { storageClass: site.storage.className },
        influxURL: influxdb.url,
        existingSecret: influxdb.adminSecret,
      },
    });
  }
}
