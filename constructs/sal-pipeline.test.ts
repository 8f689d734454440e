import { Testing, TerraformStack } from 'cdktf';
import { SalPipeline } from './sal-pipeline';
import { gkeSite, onPremSite } from '../test/sites';

const image = { repository: 'ghcr.io/lsst-sqre/efd', tag: '0.1.0' };
const kafka = {
  bootstrapServers: 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
  schemaRegistryUrl: 'http://cp-cp-schema-registry.kafka.svc.cluster.local:8081',
};

function synth(site: ReturnType<typeof gkeSite>) {
  const stack = new TerraformStack(Testing.app(), 'test');
  new SalPipeline(stack, 'sal', { site, image, kafka });
  return JSON.parse(Testing.synth(stack)).resource;
}

describe('SalPipeline', () => {
  it("registers the site subsystems' schemas with its compatibility level before saltransform starts", () => {
    const r = synth(
      onPremSite({
        apps: { saltransform: { enabled: true, replicas: 3 }, subsystems: ['ATDome', 'MTM1M3TS'], schemaCompatibility: 'FULL' },
      }),
    );
    const [jobName, job] = Object.entries(r.kubernetes_job_v1)[0] as [string, any];
    expect(job.spec.template.spec.container[0].args).toEqual([
      'salschema',
      'register',
      '--xml',
      '/app/ts_xml',
      '--topics',
      '^(ATDome|MTM1M3TS)_',
      '--registry',
      kafka.schemaRegistryUrl,
      '--compatibility',
      'FULL',
      '--retries',
      '30',
    ]);
    const transform = Object.values(r.kubernetes_deployment_v1)[0] as any;
    expect(transform.spec.replicas).toBe('3');
    expect(transform.depends_on).toEqual([`kubernetes_job_v1.${jobName}`]);
    expect(transform.spec.template.spec.container[0].args).toEqual([
      'saltransform',
      '--subsystems',
      'ATDome,MTM1M3TS',
      '--brokers',
      kafka.bootstrapServers,
      '--registry',
      kafka.schemaRegistryUrl,
      '--group',
      'summit-saltransform',
      '--metrics-port',
      '9090',
    ]);
    expect(transform.spec.template.spec.container[0].env).toContainEqual({ name: 'EFD_REGISTRY_FLAVOR', value: 'confluent' });
  });

  it('runs salmock at the seed schedule scaled by the rate factor on experiment sites', () => {
    const r = synth(gkeSite({ apps: { salmock: { enabled: true, rateFactor: 0.5 } } }));
    const mock = (Object.values(r.kubernetes_deployment_v1) as any[]).find((d) => d.metadata.name === 'salmock');
    expect(mock.spec.template.spec.container[0].args).toEqual(
      expect.arrayContaining(['salmock', '--seed-schedule', '--rate-factor', '0.5']),
    );
  });

  it('refuses a site without a schema registry', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    expect(() => new SalPipeline(stack, 'sal', { site: gkeSite(), image, kafka: { bootstrapServers: 'k:9092' } })).toThrow(
      'site "gcp": apps.saltransform needs the schema registry; set kafka.schemaRegistry: true',
    );
  });
});
