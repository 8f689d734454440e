import { loadSitesFrom, SiteConfigError } from './load';
import { DEFAULT_TOPIC_POLICIES, policyConfigs, policyOf, resolvePolicies, sitePolicies } from './topic-policies';
import { gkeSite, onPremSite } from '../test/sites';

const SUMMIT = `name: summit
role: source
production: true
target: { kind: kubeconfig, context: summit-efd }
storage: { create: false }
`;

function problemsOf(text: string): string {
  try {
    loadSitesFrom([{ file: 'config/sites/summit.yaml', text }]);
  } catch (err) {
    expect(err).toBeInstanceOf(SiteConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('topic policies', () => {
  const policies = resolvePolicies(DEFAULT_TOPIC_POLICIES, { replicationFactor: 3, retention: '7d' });

  it('gives each EFD topic its policy by the first matching pattern, replicated prefixes included', () => {
    const of = (t: string) => policyOf(t, policies)?.name;
    expect(of('lsst.sal.ATDome_logevent_heartbeat')).toBe('events');
    expect(of('summit.lsst.sal.ATDome_logevent_heartbeat')).toBe('events');
    expect(of('lsst.sal.ATDome_position')).toBe('telemetry');
    expect(of('lsst.sal.ATDome_command_moveAzimuth')).toBe('telemetry');
    expect(of('summit.lsst.efd.agg.MTM1M3TS_thermalData')).toBe('telemetry');
    expect(of('lsst.efd.influxdb-sink.dlq')).toBe('dead-letter');
    expect(of('saltransform.deadletter')).toBe('dead-letter');
    expect(of('__consumer_offsets')).toBeUndefined();
    expect(of('connect-configs')).toBeUndefined();
  });

  it('turns a policy into topic configs: compacted events, telemetry deleted after the log retention, INF as -1', () => {
    expect(policyConfigs(policies[0])).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '604800000' });
    expect(policyConfigs(policies[2])).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '604800000' });
    expect(policyConfigs({ ...policies[2], retention: 'INF' })).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1' });
  });

  it("takes the site's replication factor and Kafka log retention for the fields a policy leaves out", () => {
    const summit = sitePolicies(onPremSite({ kafka: { brokers: 3, logRetention: '72h' } }));
    expect(summit.map((p) => [p.name, p.partitions, p.replicationFactor, p.retention])).toEqual([
      ['events', 1, 3, '72h'],
      ['dead-letter', 1, 3, '72h'],
      ['telemetry', 1, 3, '72h'],
    ]);
    expect(
      sitePolicies(gkeSite({ kafka: { brokers: 1 }, retention: { tiers: [{ name: 'raw', duration: '24h', shardDuration: '1h' }] } }))[2],
    ).toMatchObject({
      replicationFactor: 1,
      retention: '24h',
    });
  });

  it('refuses bad policies at load with file, line and field', () => {
    const text =
      SUMMIT +
      `kafka:
  autoCreateTopics: false
  topicPolicies:
    - { name: a, pattern: 'x[.].+', partitions: 0 }
    - { name: a, pattern: 'y[.].+', create: [z.dlq] }
    - { name: b, pattern: '(', create: [x] }
`;
    const msg = problemsOf(text);
    expect(msg).toContain('summit.yaml:9, field kafka.topicPolicies[0].partitions');
    expect(msg).toContain('expected an integer from 1 to 10000 (partitions)');
    expect(msg).toContain('field kafka.topicPolicies[1].name');
    expect(msg).toContain('"a" is used twice');
    expect(msg).toContain('field kafka.topicPolicies[1].create');
    expect(msg).toContain('"z.dlq" does not match the policy\'s pattern y[.].+');
    expect(msg).toContain('summit.yaml:11, field kafka.topicPolicies[2].pattern: expected a valid regular expression');
  });

  it('keeps Kafka auto-creation off on production sites: the default there, refused when set', () => {
    expect(onPremSite().kafka.autoCreateTopics).toBeUndefined();
    const msg = problemsOf(SUMMIT + 'kafka:\n  autoCreateTopics: true\n');
    expect(msg).toMatch(/site "summit", config\/sites\/summit\.yaml:\d+, field kafka\.autoCreateTopics/);
    expect(msg).toContain('expected false on a production site');
  });
});
