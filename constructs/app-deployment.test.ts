import { Testing, TerraformStack } from 'cdktf';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { AppDeployment } from './app-deployment';
import { AppJob } from './app-job';
import { dashboardJson, EFD_PANELS, GrafanaDashboard } from './grafana-dashboard';

const image = { repository: 'ghcr.io/lsst-sqre/efd', tag: '0.1.0' };

function synth(build: (s: TerraformStack) => void): string {
  const stack = new TerraformStack(Testing.app(), 'test');
  build(stack);
  return Testing.synth(stack);
}

describe('AppDeployment', () => {
  const out = synth(
    (s) =>
      new AppDeployment(s, 'saltransform', {
        site: 'summit',
        app: 'saltransform',
        namespace: 'efd-apps',
        image,
        replicas: 3,
        args: ['--brokers', 'cp-cp-kafka-headless.kafka:9092'],
        secretEnv: { KAFKA_PASSWORD: { secret: 'kafka-auth', key: 'password' } },
        envFromConfigMaps: ['efd-endpoints'],
      }),
  );
  const container = () => (Object.values(JSON.parse(out).resource.kubernetes_deployment_v1)[0] as any).spec.template.spec.container[0];

  it('runs the app subcommand of the site image with probes, resources and scrape annotations', () => {
    expect(out).toHaveResourceWithProperties(DeploymentV1, {
      metadata: {
        name: 'saltransform',
        namespace: 'efd-apps',
        labels: { 'app.kubernetes.io/name': 'saltransform', 'app.kubernetes.io/part-of': 'efd', 'efd.lsst.io/site': 'summit' },
      },
    });
    const spec = (Object.values(JSON.parse(out).resource.kubernetes_deployment_v1)[0] as any).spec;
    expect(spec.replicas).toBe('3');
    expect(spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
      'prometheus.io/path': '/metrics',
    });
    expect(container().image).toBe('ghcr.io/lsst-sqre/efd/saltransform:0.1.0');
    expect(container().args).toEqual(['saltransform', '--brokers', 'cp-cp-kafka-headless.kafka:9092', '--metrics-port', '9090']);
    expect(container().liveness_probe.http_get).toEqual({ path: '/healthz', port: '9090' });
    expect(container().resources.requests).toEqual({ cpu: '100m', memory: '256Mi' });
  });

  it('reads secrets by reference only', () => {
    expect(container().env).toEqual([{ name: 'KAFKA_PASSWORD', value_from: { secret_key_ref: { name: 'kafka-auth', key: 'password' } } }]);
    expect(container().env_from).toEqual([{ config_map_ref: { name: 'efd-endpoints' } }]);
  });

  it('rejects negative replicas naming site and app', () => {
    expect(() => synth((s) => new AppDeployment(s, 'x', { site: 'gcp', app: 'salmock', namespace: 'n', image, replicas: -1 }))).toThrow(
      'site "gcp", app salmock: replicas must be an integer ≥ 0, got -1',
    );
  });
});

describe('AppJob', () => {
  it('runs once, waits for completion and never restarts in place', () => {
    const out = synth(
      (s) =>
        new AppJob(s, 'init', {
          site: 'gcp',
          name: 'influxdb-init',
          app: 'influxdb-init',
          namespace: 'influxdb',
          image,
          args: ['--database', 'efd'],
        }),
    );
    expect(out).toHaveResourceWithProperties(JobV1, {
      wait_for_completion: true,
      metadata: expect.objectContaining({ name: 'influxdb-init', namespace: 'influxdb' }),
    });
    const job = Object.values(JSON.parse(out).resource.kubernetes_job_v1)[0] as any;
    expect(job.spec.backoff_limit).toBe(4);
    expect(job.spec.template.spec.restart_policy).toBe('Never');
    expect(job.spec.template.spec.container[0].args).toEqual(['influxdb-init', '--database', 'efd']);
  });
});

describe('GrafanaDashboard', () => {
  it('only charts metrics the EFD apps register', () => {
    const fs = require('fs') as typeof import('fs');
    const path = require('path') as typeof import('path');
    const sources: string[] = [];
    const walk = (dir: string) =>
      fs.readdirSync(dir, { withFileTypes: true }).forEach((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) sources.push(fs.readFileSync(p, 'utf8'));
      });
    walk(path.join(__dirname, '..', 'apps'));
    const registered = new Set(
      sources
        .join('\n')
        .match(/name: '[a-z_]+'/g)
        ?.map((m) => m.slice(7, -1)),
    );
    const used = EFD_PANELS.flatMap(
      (p) => p.exprs.join(' ').match(/\b(salmock|saltransform|influxdb_sink|connect_manager)_[a-z_]+/g) ?? [],
    );
    expect(used.length).toBeGreaterThan(8);
    for (const metric of used) expect([metric, registered.has(metric.replace(/_bucket$/, ''))]).toEqual([metric, true]);
  });

  it('provisions a dashboard ConfigMap for the Grafana sidecar with Kafka, lag and InfluxDB panels', () => {
    const out = synth((s) => new GrafanaDashboard(s, 'dash', { site: 'summit', namespace: 'efd-apps' }));
    expect(out).toHaveResourceWithProperties(ConfigMapV1, {
      metadata: { name: 'efd-dashboard', namespace: 'efd-apps', labels: { grafana_dashboard: '1', 'app.kubernetes.io/part-of': 'efd' } },
    });
    const model = JSON.parse(dashboardJson('summit', EFD_PANELS));
    expect(model.uid).toBe('efd-summit');
    expect(model.panels.map((p: { title: string }) => p.title)).toEqual(
      expect.arrayContaining(['Kafka messages in / s (per topic)', 'Consumer lag (influxdb-sink)', 'InfluxDB write errors / s']),
    );
    expect(model.panels[1].gridPos).toEqual({ h: 8, w: 12, x: 12, y: 0 });
  });
});
