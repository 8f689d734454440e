/**
 * InfluxDB 1.8 for a site (influxdata chart): auth on with the admin user
 * from an existing Secret, no query row limit, persistence on the `ssd`
 * class, resources sized from the prototype's lessons.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Release } from '@cdktf/provider-helm/lib/release';
import type { Site } from '../config/schema';
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
      },
    });
    this.release = this.chart.release;
  }
}
