import { loadSites, loadSitesFrom, SiteConfigError } from './load';
import {
  alertFilterGroups,
  alertFilterTopics,
  alertsSchema,
  alertsStorage,
  alertsTopic,
  alertTopicPolicies,
  consumerReplicas,
  spreadOver,
  filterCount,
  type AlertsInput,
} from './alerts';
import { policyConfigs, policyOf } from './topic-policies';

const GCP = `name: gcp
role: standalone
production: false
target: {kind: gke, project: lsst-efd-prototype, region: us-central1}
`;

function problemsOf(text: string, file = 'config/sites/gcp.yaml'): string {
  try {
    loadSitesFrom([{ file, text }]);
  } catch (err) {
    expect(err).toBeInstanceOf(SiteConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

const settings = (input: AlertsInput = {}) => alertsSchema.parse(input);

describe('the alerts section', () => {
  it('is on the gcp site only, with the seed 004 figures', () => {
    const sites = loadSites();
    expect(sites.filter((s) => s.alerts).map((s) => s.name)).toEqual(['gcp']);
    const gcp = sites.find((s) => s.name === 'gcp')?.alerts;
    expect(gcp).toMatchObject({
      namespace: 'alerts',
      topicPrefix: '',
      topics: { alerts: { partitions: 6, retention: '1h' }, filters: { partitions: 1, retention: '6h' } },
      producer: { alertsPerVisit: 10_000, interval: '39s', cutouts: true },
      filters: { set: 'seed004', replicas: 1 },
      consumers: { count: 100, mode: 'monitor' },
    });
  });

  it('fills documented defaults: 6 partitions kept 1 h, filters 1 kept 6 h, a visit of 10,000 every 39 s, 5 × 20 filters, 100 users', () => {
    expect(settings()).toEqual({
      namespace: 'alerts',
      topicPrefix: '',
      topics: { alerts: { partitions: 6, retention: '1h' }, filters: { partitions: 1, retention: '6h' } },
      producer: {
        alertsPerVisit: 10_000,
        interval: '39s',
        seed: 4,
        cutouts: true,
        resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { memory: '1Gi' } },
      },
      filters: { set: 'seed004', replicas: 1, resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '512Mi' } } },
      consumers: { count: 100, mode: 'monitor', resources: { requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '192Mi' } } },
    });
    expect(filterCount('seed004')).toBe(100);
    expect(alertFilterGroups(settings())).toEqual([1, 2, 3, 4, 5]);
  });

  it('names the stream and the 100 filter topics, with the prefix', () => {
    const a = settings({ topicPrefix: 'exp1.' });
    expect(alertsTopic(a)).toBe('exp1.alerts');
    const topics = alertFilterTopics(a);
    expect(topics).toHaveLength(100);
    expect([topics[0], topics[19], topics[99]]).toEqual(['exp1.Filter001', 'exp1.Filter020', 'exp1.Filter100']);
  });

  it.each([
    [100, { 1: 1, 100: 1 }, 100],
    [250, { 1: 3, 50: 3, 51: 2, 100: 2 }, 100],
    [30, { 1: 1, 30: 1, 31: 0, 100: 0 }, 30],
    [0, { 1: 0, 100: 0 }, 0],
  ])('spreads %i consumers evenly over the filter topics, the first ones taking the remainder', (count, some, topicsWithUsers) => {
    const r = consumerReplicas(settings({ consumers: { count } }));
    expect(r).toHaveLength(100);
    expect(r.reduce((a, b) => a + b, 0)).toBe(count);
    for (const [n, replicas] of Object.entries(some)) expect([n, r[Number(n) - 1]]).toEqual([n, replicas]);
    expect(r.filter((x) => x > 0)).toHaveLength(topicsWithUsers);
  });

  it('spreadOver: the same rule for any count and topics (the experiment’s users)', () => {
    expect(spreadOver(10, 4)).toEqual([3, 3, 2, 2]);
    expect(spreadOver(3, 5)).toEqual([1, 1, 1, 0, 0]);
    expect(spreadOver(100, 100).every((n) => n === 1)).toBe(true);
  });

  it('makes topic policies that create exactly the stream and the filter topics, with their partitions and retention', () => {
    const a = settings({ topicPrefix: 'exp1.', topics: { alerts: { partitions: 12, retention: '90m' }, filters: { retention: '2d' } } });
    const [stream, filters] = alertTopicPolicies(a, 3);
    expect(stream).toEqual({
      name: 'alerts',
      pattern: 'exp1[.]alerts',
      partitions: 12,
      replicationFactor: 3,
      retention: '90m',
      cleanupPolicy: 'delete',
      create: ['exp1.alerts'],
    });
    expect(policyConfigs(stream)).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': String(90 * 60_000) });
    expect(filters).toMatchObject({ name: 'alert-filters', partitions: 1, replicationFactor: 3, retention: '2d' });
    expect(filters.create).toEqual(alertFilterTopics(a));
    expect(policyConfigs(filters)['retention.ms']).toBe(String(2 * 86_400_000));
    // The patterns cover their topics whole, and nothing of the EFD (nor an unprefixed alert topic).
    const policies = [stream, filters];
    expect(policyOf('exp1.Filter042', policies)?.name).toBe('alert-filters');
    expect(policyOf('exp1.alerts', policies)?.name).toBe('alerts');
    for (const t of ['alerts', 'Filter042', 'exp1xalerts', 'exp1.Filter42', 'exp1.alerts-value', 'lsst.sal.ATDome_position'])
      expect([t, policyOf(t, policies)]).toEqual([t, undefined]);
  });

  it('takes an explicit replication factor over the broker default', () => {
    const [stream, filters] = alertTopicPolicies(settings({ topics: { replicationFactor: 1 } }), 3);
    expect([stream.replicationFactor, filters.replicationFactor]).toEqual([1, 1]);
  });
});

describe('what the alerts topics keep', () => {
  it("on the gcp site: the stream's 92 visits and the filter topics' 554, 53 GB per broker, under half of its 128 Gi", () => {
    const gcp = loadSites().find((s) => s.name === 'gcp')!;
    const s = alertsStorage(gcp.alerts!, gcp.kafka.brokers, 3);
    expect(Math.round(s.streamVisits)).toBe(92);
    expect(Math.round(s.filterVisits)).toBe(554);
    // 92.3 visits × 10,000 alerts × 18,000 bytes; 553.8 visits × 100 filters × 20 × 18,000 bytes (RF 3 on 3 brokers: all on each)
    expect((s.streamBytes / 1e9).toFixed(1)).toBe('16.6');
    expect((s.filterBytes / 1e9).toFixed(1)).toBe('19.9');
    expect(s.bytesPerBroker).toBeLessThan((128 * 2 ** 30) / 2);
  });

  it('spreads the replicas over the brokers, and drops the cutouts when they are off', () => {
    const a = settings({ producer: { cutouts: false } });
    const six = alertsStorage(a, 6, 3);
    const three = alertsStorage(a, 3, 3);
    expect(six.bytesPerBroker).toBeCloseTo(three.bytesPerBroker / 2);
    expect(three.streamBytes).toBeCloseTo(((3600 / 39) * 10_000 * 400) / 1, 0);
  });

  it('refuses topics that would fill more than half the brokers, with the figures and what to change', () => {
    const msg = problemsOf(`${GCP}kafka: {storageGi: 64}\nalerts:\n  topics: {alerts: {retention: 2h}}\n`);
    expect(msg).toContain(
      "gcp.yaml:7, field alerts.topics: expected the alerts topics to keep at most half of each broker's 64 Gi (kafka.storageGi; the EFD's topics share it): " +
        'they would keep 53.2 GB per broker (the stream 33.2 GB over 2h, the filter topics 19.9 GB over 6h, at 18000 bytes an alert); ' +
        'shorten alerts.topics.*.retention, set alerts.producer.cutouts: false, or raise kafka.storageGi',
    );
    expect(problemsOf(`${GCP}alerts:\n  topics: {filters: {retention: INF}}\n`)).toContain('they would keep unbounded per broker');
    // Without cutouts the same retention fits.
    expect(() =>
      loadSitesFrom([
        {
          file: 'config/sites/gcp.yaml',
          text: `${GCP}kafka: {storageGi: 64}\nalerts:\n  topics: {alerts: {retention: 2h}}\n  producer: {cutouts: false}\n`,
        },
      ]),
    ).not.toThrow();
  });
});

describe('bad alerts sections, named by file, line and field', () => {
  it('refuses alerts on a production site', () => {
    const summit =
      'name: summit\nrole: source\nproduction: true\ntarget: {kind: kubeconfig, context: s}\nstorage: {provisioner: p}\nalerts: {}\n';
    expect(problemsOf(summit, 'config/sites/summit.yaml')).toContain(
      'site "summit", config/sites/summit.yaml:6, field alerts: expected no alerts on a production site: the alert mini-broker is an experiment (seed 004) producing generated alerts',
    );
  });

  it('refuses alerts without the schema registry', () => {
    expect(problemsOf(`${GCP}kafka: {schemaRegistry: false}\nalerts: {}\n`)).toContain(
      'gcp.yaml:5, field kafka.schemaRegistry: expected true: the alerts are Avro in the schema registry',
    );
  });

  it('refuses more filter replicas than the stream has partitions', () => {
    expect(problemsOf(`${GCP}alerts:\n  topics: {alerts: {partitions: 2}}\n  filters: {replicas: 3}\n`)).toContain(
      'gcp.yaml:7, field alerts.filters.replicas: expected at most topics.alerts.partitions (2) replicas',
    );
  });

  it('refuses an unknown filter set, a bad interval, a bad retention, a bad prefix and absurd counts', () => {
    const msg = problemsOf(
      `${GCP}alerts:\n  topicPrefix: "a b"\n  topics: {filters: {retention: 1 day}}\n  producer: {interval: INF, alertsPerVisit: 0}\n` +
        `  filters: {set: seed005}\n  consumers: {count: -1, mode: loud}\n`,
    );
    expect(msg).toContain('gcp.yaml:6, field alerts.topicPrefix: expected a topic prefix');
    expect(msg).toContain(
      'field alerts.topics.filters.retention: "1 day" is not a duration: use a number and a unit of s, m, h, d or w, e.g. "1d"',
    );
    expect(msg).toContain('field alerts.producer.interval: expected a finite duration of at least 1s, got "INF"');
    expect(msg).toContain('field alerts.producer.alertsPerVisit: expected an integer from 1 to 1000000 (alerts a visit)');
    expect(msg).toMatch(/field alerts\.filters\.set: .*"seed004"/);
    expect(msg).toContain('field alerts.consumers.count: expected an integer from 0 to 10000 (consumers)');
    expect(msg).toMatch(/field alerts\.consumers\.mode: .*"monitor"\|"print"/);
    expect(msg).toContain('7 problems');
  });

  it('reports an interval it cannot read once, with what was likely meant', () => {
    const msg = problemsOf(`${GCP}alerts:\n  producer: {interval: 39 secs}\n`);
    expect(msg).toContain(
      'gcp.yaml:6, field alerts.producer.interval: "39 secs" is not a duration: use a number and a unit of s, m, h, d or w, e.g. "39s"',
    );
    expect(msg).toContain('1 problem');
  });

  it('refuses an unknown field in the section', () => {
    expect(problemsOf(`${GCP}alerts:\n  consumer: {count: 3}\n`)).toContain(
      'gcp.yaml:6, field alerts.consumer: unknown field "consumer"; remove it or check its spelling',
    );
  });
});
