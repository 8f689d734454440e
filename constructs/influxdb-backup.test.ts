import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { parse } from 'yaml';
import { InfluxDbBackup, INFLUXDB_IMAGE } from './influxdb-backup';
import { onPremSite } from '../test/sites';

describe('InfluxDbBackup', () => {
  const site = onPremSite({
    influxdb: { backup: { schedule: '30 2 * * *', retentionDays: 7 } },
    connectors: { objectStore: { kind: 's3', bucket: 'efd-summit', prefix: 'efd/', region: 'us-east-1', credentialsSecret: 'efd-s3' } },
  });

  it("backs up with influxd into an emptyDir, then uploads to the site's object store with the retention", () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    const b = new InfluxDbBackup(stack, 'backup', {
      site,
      image: { repository: 'ghcr.io/lsst-sqre/efd', tag: '0.1.0' },
      influxUrl: 'http://influxdb.influxdb.svc.cluster.local:8086',
      adminSecret: 'influxdb-auth',
    });
    expect(b.url).toBe('s3://efd-summit/efd/influxdb-backup/');
    const cron = Object.values(JSON.parse(Testing.synth(stack)).resource.kubernetes_cron_job_v1)[0] as {
      metadata: { namespace: string };
      spec: {
        schedule: string;
        job_template: {
          spec: {
            template: {
              spec: {
                init_container: { image: string; args: string[] }[];
                container: { image: string; args: string[]; env: { name: string; value_from?: unknown }[] }[];
              };
            };
          };
        };
      };
    };
    expect(cron.metadata.namespace).toBe('influxdb');
    expect(cron.spec.schedule).toBe('30 2 * * *');
    const pod = cron.spec.job_template.spec.template.spec;
    expect(pod.init_container[0].image).toBe(INFLUXDB_IMAGE);
    expect(pod.init_container[0].args).toEqual([
      'backup',
      '-portable',
      '-host',
      'influxdb.influxdb.svc.cluster.local:8088',
      '-db',
      'efd',
      '/backup/dump',
    ]);
    expect(pod.container[0].image).toBe('ghcr.io/lsst-sqre/efd/influxdb-init:0.1.0');
    expect(pod.container[0].args).toEqual([
      'influxdb',
      'backup',
      '--from-dir',
      '/backup/dump',
      '--to',
      's3://efd-summit/efd/influxdb-backup/',
      '--database',
      'efd',
      '--retention-days',
      '7',
      '--url',
      'http://influxdb.influxdb.svc.cluster.local:8086',
      '--region',
      'us-east-1',
    ]);
    expect(pod.container[0].env.map((e) => e.name)).toEqual([
      'LOG_LEVEL',
      'INFLUXDB_USER',
      'INFLUXDB_PASSWORD',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ]);
  });

  it("runs the chart's InfluxDB image", () => {
    const values = parse(fs.readFileSync(path.join(__dirname, '..', 'helm-values', 'influxdb.yaml'), 'utf8')) as { image: { tag: string } };
    expect(INFLUXDB_IMAGE).toBe(`influxdb:${values.image.tag}`);
  });

  it('a site with backups and no object store is refused at load', () => {
    expect(() => onPremSite({ influxdb: { backup: {} } })).toThrow(/expected connectors\.objectStore/);
  });
});
