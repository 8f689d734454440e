import { Testing, TerraformStack } from 'cdktf';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { KafkaTopicsJob } from './kafka-topics-job';
import { onPremSite } from '../test/sites';
import { parsePoliciesJson } from '../apps/connect-manager/topics';

describe('KafkaTopicsJob', () => {
  it("runs topics-apply of the connect-manager image with the site's resolved policies", () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    const site = onPremSite({ kafka: { brokers: 3, logRetention: '72h' } });
    const t = new KafkaTopicsJob(stack, 'topics', {
      site,
      image: { repository: 'ghcr.io/lsst-sqre/efd', tag: '0.1.0' },
      bootstrapServers: 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
    });
    const out = Testing.synth(stack);
    expect(out).toHaveResourceWithProperties(JobV1, {
      metadata: expect.objectContaining({ name: 'kafka-topics-apply', namespace: 'efd-apps' }),
    });
    const job = Object.values(JSON.parse(out).resource.kubernetes_job_v1)[0] as {
      spec: { template: { spec: { container: { image: string; args: string[] }[] } } };
    };
    const c = job.spec.template.spec.container[0];
    expect(c.image).toBe('ghcr.io/lsst-sqre/efd/connect-manager:0.1.0');
    expect(c.args.slice(0, 3)).toEqual(['topics-apply', '--bootstrap-servers', 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092']);
    expect(c.args[3]).toBe('--policies-json');
    // what the Job gets is what the app parses back: the policies, resolved
    expect(parsePoliciesJson(c.args[4])).toEqual(t.policies);
    expect(t.policies.map((p) => [p.name, p.replicationFactor, p.retention, p.cleanupPolicy])).toEqual([
      ['events', 3, '72h', 'compact'],
      ['dead-letter', 3, '72h', 'delete'],
      ['telemetry', 3, '72h', 'delete'],
    ]);
  });

  it("applies another stack's policies under a name of its own (the alerts stack's topics)", () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    const site = onPremSite();
    const policies = [
      {
        name: 'alerts',
        pattern: 'alerts',
        partitions: 6,
        replicationFactor: 3,
        retention: '2h',
        cleanupPolicy: 'delete' as const,
        create: ['alerts'],
      },
    ];
    new KafkaTopicsJob(stack, 'topics', {
      site,
      image: { repository: 'r', tag: 't' },
      bootstrapServers: 'k:9092',
      namespace: 'alerts',
      name: 'alerts-topics-apply',
      policies,
    });
    const job = Object.values(JSON.parse(Testing.synth(stack)).resource.kubernetes_job_v1)[0] as any;
    expect([job.metadata.name, job.metadata.namespace]).toEqual(['alerts-topics-apply', 'alerts']);
    expect(parsePoliciesJson(job.spec.template.spec.container[0].args[4])).toEqual(policies);
  });

  it('the app refuses policies JSON with a bad field, naming it', () => {
    expect(() => parsePoliciesJson('[{"name":"x"}]')).toThrow(/--policies-json: \[0\]\.pattern/);
    expect(() => parsePoliciesJson('nope')).toThrow(/--policies-json: not JSON/);
  });
});
