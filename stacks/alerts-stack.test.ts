import { App, Testing } from 'cdktf';
import { loadSites } from '../config/load';
import { gkeSite, onPremSite } from '../test/sites';
import { AlertsStack, alertsStackSite } from './alerts-stack';
import { planSites } from './app';

const terraform = (site: Parameters<typeof alertsStackSite>[0]) =>
  JSON.stringify(new AlertsStack(Testing.app() as App, `${site.name}-alerts`, { site }).toTerraform());

describe('AlertsStack', () => {
  it('is built from what of the site it reads: the same Terraform as from the whole site', () => {
    const gcp = loadSites().find((s) => s.name === 'gcp')!;
    expect(terraform(alertsStackSite(gcp))).toBe(terraform(gcp));
    // A site whose other sections are far from their defaults.
    const busy = gkeSite({
      target: {
        kind: 'gke',
        project: 'other-project-1',
        region: 'europe-west4',
        cluster: { name: 'efd2', releaseChannel: 'STABLE', nodePool: { nodeCount: 7, machineType: 'n1-standard-8' } },
      },
      backend: { kind: 'gcs', bucket: 'state-bucket', prefix: 'x' },
      namespaces: { kafka: 'kafka2', influxdb: 'influx2', apps: 'apps2' },
      kafka: { brokers: 1, logRetention: '3d', heap: '2G' },
      retention: { tiers: [{ name: 'raw', duration: '3d', shardDuration: '1d' }] },
      apps: { imageRepository: 'registry.example/efd', imageTag: '9.9.9', saltransform: { enabled: true } },
      alerts: { namespace: 'broker', consumers: { count: 7 } },
    });
    const trimmed = terraform(alertsStackSite(busy));
    expect(trimmed).toBe(terraform(busy));
    expect(trimmed).toContain('cp-cp-kafka-headless.kafka2.svc.cluster.local:9092');
    expect(trimmed).toContain('registry.example/efd/alerts:9.9.9');
    expect(trimmed).toContain('"prefix":"x/gcp-alerts"');
    expect(trimmed).toContain('"name":"efd2","project":"other-project-1"');
    // One broker: the alerts topics get replication factor 1.
    expect(trimmed).toContain(String.raw`\"replicationFactor\":1`);
  });

  it('planSites gives it the reduced site, only for sites with alerts', () => {
    const sites = loadSites();
    const plans = planSites(sites);
    expect(plans.filter((p) => p.alerts).map((p) => p.alerts?.id)).toEqual(['gcp-alerts']);
    const gcp = plans.find((p) => p.site.name === 'gcp')!;
    expect(gcp.alerts?.props.site).toEqual(alertsStackSite(gcp.site));
    expect(gcp.alerts?.props.site.connectors).not.toEqual(gcp.site.connectors);
  });

  it('on a kubeconfig site: the providers from its context, state in a local file', () => {
    // Alerts are refused on production sites; an on-prem experiment site may run them.
    const site = onPremSite({ name: 'lab', production: false, alerts: {} });
    const tf = JSON.parse(terraform(site));
    expect(tf.provider.kubernetes).toEqual([{ config_path: '/etc/efd/kubeconfig', config_context: 'summit-efd' }]);
    expect(tf.terraform.backend).toEqual({ local: { path: '../../../state/lab-alerts.tfstate' } });
    expect(tf.data).toBeUndefined();
  });

  it('refuses a site without an alerts section, naming it', () => {
    expect(() => new AlertsStack(Testing.app() as App, 'gcp-alerts', { site: gkeSite() })).toThrow(
      'site "gcp": an alerts stack needs the site\'s alerts section (config/alerts.ts)',
    );
  });
});
