/**
 * The EFD Grafana dashboard, provisioned as a ConfigMap that Grafana's
 * dashboard sidecar loads (label grafana_dashboard=1): Kafka throughput,
 * consumer lag, InfluxDB write rate and errors, and the apps' counters.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';

export interface DashboardPanel {
  title: string;
  /** PromQL, one target per expression. */
  exprs: string[];
  unit: string;
}

/** Panels and their PromQL, against the JMX exporter's and the apps' metric names. */
export const EFD_PANELS: DashboardPanel[] = [
  {
    title: 'Kafka messages in / s (per topic)',
    exprs: ['sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total{topic!=""}[1m]))'],
    unit: 'ops',
  },
  {
    title: 'Kafka bytes in / out per s',
    exprs: [
      'sum(rate(kafka_server_brokertopicmetrics_bytesin_total[1m]))',
      'sum(rate(kafka_server_brokertopicmetrics_bytesout_total[1m]))',
    ],
    unit: 'Bps',
  },
  { title: 'Under-replicated partitions', exprs: ['sum(kafka_server_replicamanager_underreplicatedpartitions)'], unit: 'short' },
  { title: 'Consumer lag (influxdb-sink)', exprs: ['sum by (topic) (influxdb_sink_consumer_lag)'], unit: 'short' },
  {
    title: 'InfluxDB write latency p95 (influxdb-sink)',
    exprs: ['histogram_quantile(0.95, sum by (le) (rate(influxdb_sink_batch_latency_seconds_bucket[5m])))'],
    unit: 's',
  },
  { title: 'InfluxDB points written / s', exprs: ['sum(rate(influxdb_sink_points_written_total[1m]))'], unit: 'ops' },
  { title: 'InfluxDB write errors / s', exprs: ['sum(rate(influxdb_sink_write_errors_total[1m]))'], unit: 'ops' },
  {
    title: 'SAL messages produced / s (salmock, saltransform)',
    exprs: ['sum(rate(salmock_produced_total[1m]))', 'sum(rate(saltransform_produced_total[1m]))'],
    unit: 'ops',
  },
  {
    title: 'Dead-lettered records / s',
    exprs: ['sum by (reason) (rate(saltransform_deadletter_total[5m]))', 'sum by (reason) (rate(influxdb_sink_dead_letters_total[5m]))'],
    unit: 'ops',
  },
  {
    title: 'Connect manager changes / reconcile results',
    exprs: [
      'sum by (kind) (increase(connect_manager_changes_total[1h]))',
      'sum by (result) (increase(connect_manager_reconciles_total[1h]))',
    ],
    unit: 'short',
  },
];

export interface GrafanaDashboardProps {
  readonly site: string;
  readonly namespace: string;
  /** @default EFD_PANELS */
  readonly panels?: DashboardPanel[];
  readonly dependsOn?: ITerraformDependable[];
}

/** A Grafana dashboard model (schema 36) with one time-series panel per entry. */
export function dashboardJson(site: string, panels: DashboardPanel[]): string {
  const model = {
    uid: `efd-${site}`,
    title: `EFD ${site}`,
    tags: ['efd', site],
    schemaVersion: 36,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: p.title,
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.exprs.map((expr, j) => ({ refId: String.fromCharCode(65 + j), expr })),
    })),
  };
  return JSON.stringify(model, null, 2);
}

export class GrafanaDashboard extends Construct {
  readonly configMap: ConfigMapV1;

  constructor(scope: Construct, id: string, props: GrafanaDashboardProps) {
    super(scope, id);
    this.configMap = new ConfigMapV1(this, 'dashboard', {
      metadata: {
        name: 'efd-dashboard',
        namespace: props.namespace,
        labels: { grafana_dashboard: '1', 'app.kubernetes.io/part-of': 'efd' },
      },
      data: { 'efd.json': dashboardJson(props.site, props.panels ?? EFD_PANELS) },
      dependsOn: props.dependsOn,
    });
  }
}
