/**
 * The site's InfluxDB backup (site.influxdb.backup): a CronJob whose init container, the InfluxDB image,
 * runs `influxd backup -portable` of the database over the RPC port into an emptyDir, and whose container,
 * the influxdb-init app, uploads that folder to the site's object store
 * (`<s3|gs>://<bucket>/<prefix><folder><stamp>/`) and deletes backups older than the retention
 * (`efd influxdb backup --from-dir`, apps/influxdb-init/backup.ts). Restore: `efd influxdb restore --from`.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { CronJobV1 } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import type { Site } from '../config/schema';
import { AppImage, containerEnv, SecretKeyRef } from './app-deployment';
import { influxDbCredentialEnv } from './influxdb';
import { terraformLiteral } from './terraform-literal';

/** The InfluxDB image of the backup container: the chart's (helm-values/influxdb.yaml image.tag, checked by the test). */
export const INFLUXDB_IMAGE = 'influxdb:1.8.10-alpine';

export interface InfluxDbBackupProps {
  readonly site: Site;
  readonly image: AppImage;
  /** In-cluster InfluxDB HTTP URL (the RPC port 8088 is on the same host). */
  readonly influxUrl: string;
  readonly adminSecret: string;
  readonly dependsOn?: ITerraformDependable[];
}

/** Where a site's backups go, or undefined when it has none. */
export function backupUrl(site: Site): string | undefined {
  const b = site.influxdb.backup;
  const o = site.connectors.objectStore;
  if (!b || !o) return undefined;
  return `${o.kind === 's3' ? 's3' : 'gs'}://${o.bucket}/${o.prefix}${b.folder}`;
}

export class InfluxDbBackup extends Construct {
  readonly cronJob: CronJobV1;
  readonly url: string;

  constructor(scope: Construct, id: string, props: InfluxDbBackupProps) {
    super(scope, id);
    const { site } = props;
    const b = site.influxdb.backup;
    const o = site.connectors.objectStore;
    const url = backupUrl(site);
    if (!b || !o || !url) throw new Error(`site "${site.name}": influxdb.backup needs connectors.objectStore`);
    this.url = url;
    const rpc = `${new URL(props.influxUrl).hostname}:8088`;
    const secretEnv: Record<string, SecretKeyRef> = { ...influxDbCredentialEnv(props.adminSecret) };
    if (o.credentialsSecret && o.kind === 's3') {
      secretEnv.AWS_ACCESS_KEY_ID = { secret: o.credentialsSecret, key: 'aws-access-key-id' };
      secretEnv.AWS_SECRET_ACCESS_KEY = { secret: o.credentialsSecret, key: 'aws-secret-access-key' };
    }
    const args = ['influxdb', 'backup', '--from-dir', '/backup/dump', '--to', url, '--database', site.influxdb.database];
    args.push('--retention-days', String(b.retentionDays), '--url', props.influxUrl);
    if (o.endpoint) args.push('--endpoint', o.endpoint);
    if (o.region) args.push('--region', o.region);
    const labels = { 'app.kubernetes.io/name': 'influxdb-backup', 'app.kubernetes.io/part-of': 'efd', 'efd.lsst.io/site': site.name };
    this.cronJob = new CronJobV1(this, 'cronjob', {
      metadata: { name: 'influxdb-backup', namespace: site.namespaces.influxdb, labels },
      spec: {
        schedule: b.schedule,
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 2,
            template: {
              metadata: { labels: { 'app.kubernetes.io/name': 'influxdb-backup' } },
              spec: {
                restartPolicy: 'Never',
                volume: [{ name: 'backup', emptyDir: {} }],
                initContainer: [
                  {
                    name: 'influxd-backup',
                    image: INFLUXDB_IMAGE,
                    command: ['influxd'],
                    args: ['backup', '-portable', '-host', rpc, '-db', site.influxdb.database, '/backup/dump'].map(terraformLiteral),
                    volumeMount: [{ name: 'backup', mountPath: '/backup' }],
                    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } },
                  },
                ],
                container: [
                  {
                    name: 'upload',
                    image: `${props.image.repository}/influxdb-init:${props.image.tag}`,
                    args: args.map(terraformLiteral),
                    env: containerEnv({ LOG_LEVEL: 'info' }, secretEnv),
                    volumeMount: [{ name: 'backup', mountPath: '/backup', readOnly: true }],
                    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
                  },
                ],
              },
            },
          },
        },
      },
      dependsOn: props.dependsOn,
    });
  }
}
