/**
 * InfluxDB 1.8 for a site (influxdata chart): auth on with the admin user
 * from an existing Secret, no query row limit, persistence on the `ssd`
 * class, resources sized from the prototype's lessons, the site's query
 * limits (config/query-limits.ts).
 *
 * The query limits go in as InfluxDB's environment overrides (`env`, INFLUXDB_COORDINATOR_MAX_SELECT_POINT…),
 * not under `config.coordinator`: the chart prints a number of its `config` with `{{ $value }}`
 * (influxdb.formatConfigMap), which Helm renders in scientific notation from 1 000 000 on
 * (200000000 → 2e+08, helm/helm#1707, the chart's own todo), and InfluxDB's TOML decoder refuses
 * a float for an integer key. An env value is a string, exact.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Release } from '@cdktf/provider-helm/lib/release';
import type { Site } from '../config/schema';
import { influxEnv, queryLimits } from '../config/query-limits';
import { CHARTS } from './charts';
import { HelmChart } from './helm-chart';
import type { SecretKeyRef } from './app-deployment';

/** Keys of the InfluxDB admin Secret (site.influxdb.adminSecret); the influxdata charts read the same names. */
export const INFLUXDB_SECRET_KEYS = { user: 'influxdb-user', password: 'influxdb-password' } as const;

/** The admin user and password as references into the admin Secret. */
export function influxDbCredentials(adminSecret: string): { user: SecretKeyRef; password: SecretKeyRef } {
  return {
    user: { secret: adminSecret, key: INFLUXDB_SECRET_KEYS.user },
    password: { secret: adminSecret, key: INFLUXDB_SECRET_KEYS.password },
  };
}

/** The admin credentials as the environment the EFD apps and Telegraf read (INFLUXDB_USER, INFLUXDB_PASSWORD). */
export function influxDbCredentialEnv(adminSecret: string): { INFLUXDB_USER: SecretKeyRef; INFLUXDB_PASSWORD: SecretKeyRef } {
  const { user, password } = influxDbCredentials(adminSecret);
  return { INFLUXDB_USER: user, INFLUXDB_PASSWORD: password };
}

export interface InfluxDbProps {
  readonly site: Site;
  /** @default site.namespaces.influxdb */
  readonly namespace?: string;
  /** @default site.storage.className */
  readonly storageClassName?: string;
  /** Helm release name. @default 'influxdb' */
  readonly releaseName?: string;
  /** Resources the release waits for (namespaces, StorageClass). */
  readonly dependsOn?: ITerraformDependable[];
}

export class InfluxDb extends Construct {
  readonly chart: HelmChart;
  readonly release: Release;
  /** In-cluster HTTP URL. */
  readonly url: string;
  readonly database: string;
  /** Secret holding the admin user and password ({@link INFLUXDB_SECRET_KEYS}). */
  readonly adminSecret: string;

  constructor(scope: Construct, id: string, props: InfluxDbProps) {
    super(scope, id);
    const { site } = props;
    const namespace = props.namespace ?? site.namespaces.influxdb;
    const release = props.releaseName ?? 'influxdb';
    this.url = `http://${release}.${namespace}.svc.cluster.local:8086`;
    this.database = site.influxdb.database;
    this.adminSecret = site.influxdb.adminSecret;
    this.chart = new HelmChart(this, 'influxdb', {
      site: site.name,
      chart: CHARTS.influxdb,
      name: release,
      namespace,
      preventDestroy: site.production,
      dependsOn: props.dependsOn,
      overrides: {
        persistence: { size: `${site.influxdb.storageGi}Gi`, storageClass: props.storageClassName ?? site.storage.className },
        setDefaultUser: { user: { existingSecret: this.adminSecret } },
        resources: site.influxdb.resources,
        env: influxEnv(queryLimits(site)),
      },
    });
    this.release = this.chart.release;
  }
}
