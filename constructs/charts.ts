/**
 * The Helm charts the EFD deploys, pinned: repository, chart and exact
 * version. A chart bump is a one-line change here that shows in the PR diff.
 */
export interface ChartRef {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
  /** Base values file in helm-values/. */
  readonly valuesFile: string;
}

export const CHARTS = {
  /** Confluent Platform 6.1.0 (deprecated upstream; kept behind the KafkaPlatform `engine` seam). */
  cpHelmCharts: {
    repository: 'https://confluentinc.github.io/cp-helm-charts/',
    chart: 'cp-helm-charts',
    version: '0.6.1',
    valuesFile: 'cp-helm-charts.yaml',
  },
  /** InfluxDB 1.8.10. */
  influxdb: { repository: 'https://helm.influxdata.com/', chart: 'influxdb', version: '4.12.5', valuesFile: 'influxdb.yaml' },
  chronograf: { repository: 'https://helm.influxdata.com/', chart: 'chronograf', version: '1.2.6', valuesFile: 'chronograf.yaml' },
  kapacitor: { repository: 'https://helm.influxdata.com/', chart: 'kapacitor', version: '1.4.7', valuesFile: 'kapacitor.yaml' },
  telegraf: { repository: 'https://helm.influxdata.com/', chart: 'telegraf', version: '1.8.74', valuesFile: 'telegraf.yaml' },
} as const satisfies Record<string, ChartRef>;
