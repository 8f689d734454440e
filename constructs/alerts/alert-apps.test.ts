import { Testing, TerraformStack } from 'cdktf';
import type { AlertsInput } from '../../config/alerts';
import { produceConfig, registerAlertsCommand } from '../../apps/alerts/cli';
import { consumeConfig } from '../../apps/alerts/consume';
import { filterConfig } from '../../apps/alerts/filter-cli';
import { groupOf } from '../../apps/alerts/filter-lang';
import { namedFilterSet } from '../../apps/alerts/filter-sets';
import { parsedFlags } from '../../test/cli';
import { gkeSite } from '../../test/sites';
import { AlertConsumers } from './alert-consumers';
import { AlertFilters } from './alert-filters';
import { AlertProducer } from './alert-producer';
import type { AlertAppsProps } from './common';

const image = { repository: 'ghcr.io/lsst-sqre/efd', tag: '0.1.0' };
const kafka = {
  bootstrapServers: 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
  schemaRegistryUrl: 'http://cp-cp-schema-registry.kafka.svc.cluster.local:8081',
};
const platform = ['--brokers', kafka.bootstrapServers, '--registry', kafka.schemaRegistryUrl];

/** The Deployments the three constructs synthesize for a site with these alerts settings, by name. */
function deployments(alerts: AlertsInput = {}): Record<string, any> {
  const site = gkeSite({ alerts });
  const stack = new TerraformStack(Testing.app(), 'test');
  const props: AlertAppsProps = { site, alerts: site.alerts!, image, kafka };
  new AlertProducer(stack, 'producer', props);
  new AlertFilters(stack, 'filters', props);
  new AlertConsumers(stack, 'consumers', props);
  const all = Object.values(JSON.parse(Testing.synth(stack)).resource.kubernetes_deployment_v1) as any[];
  return Object.fromEntries(all.map((d) => [d.metadata.name, d]));
}
const container = (d: any) => d.spec.template.spec.container[0];

const LOADERS = { produce: produceConfig, filter: filterConfig, consume: consumeConfig } as const;

/**
 * What `efd alerts <sub> <args>` makes of a Deployment's arguments: the real commands (their actions
 * replaced) and the app's own config loader, so a flag the app does not know, or a value it refuses, fails.
 */
async function parsed(args: string[]): Promise<Record<string, unknown>> {
  const [app, sub] = args;
  expect(app).toBe('alerts');
  const load = LOADERS[sub as keyof typeof LOADERS];
  if (!load) throw new Error(`efd alerts has no subcommand ${sub} (args ${args.join(' ')})`);
  const flags = await parsedFlags((program) => registerAlertsCommand(program).commands.find((c) => c.name() === sub)!, args);
  return load(flags, {}) as unknown as Record<string, unknown>;
}

describe('the alert apps with the default settings (seed 004)', () => {
  const byName = deployments();

  it('are one producer, 5 filter groups and 100 consumers, all in the alerts namespace on the alerts image', () => {
    const names = Object.keys(byName);
    expect(names).toHaveLength(106);
    expect(names.filter((n) => n.startsWith('alerts-filter-')).sort()).toEqual([1, 2, 3, 4, 5].map((g) => `alerts-filter-${g}`));
    expect(names.filter((n) => n.startsWith('alerts-consumer-'))).toHaveLength(100);
    for (const d of Object.values(byName)) {
      expect([d.metadata.name, d.metadata.namespace, container(d).image]).toEqual([
        d.metadata.name,
        'alerts',
        'ghcr.io/lsst-sqre/efd/alerts:0.1.0',
      ]);
      expect(container(d).env).toEqual([
        { name: 'EFD_REGISTRY_FLAVOR', value: 'confluent' },
        { name: 'LOG_LEVEL', value: 'info' },
      ]);
    }
  });

  it('produce a visit of 10,000 alerts every 39 s with seed 4, cutouts on, until stopped, from one replica', () => {
    const p = byName['alerts-producer'];
    expect(p.spec.replicas).toBe('1');
    expect(container(p).args).toEqual([
      'alerts',
      'produce',
      '--alerts-per-visit',
      '10000',
      '--interval',
      '39s',
      '--seed',
      '4',
      '--partitions',
      '6',
      ...platform,
      '--metrics-port',
      '9090',
    ]);
    expect(container(p).resources).toEqual({ requests: { cpu: '1', memory: '512Mi' }, limits: { memory: '1Gi' } });
  });

  it('filter with seed004, one group per Deployment, one replica each', () => {
    for (const g of [1, 2, 3, 4, 5]) {
      const f = byName[`alerts-filter-${g}`];
      expect(f.spec.replicas).toBe('1');
      expect(container(f).args).toEqual([
        'alerts',
        'filter',
        '--set',
        'seed004',
        '--group',
        String(g),
        ...platform,
        '--metrics-port',
        '9090',
      ]);
      expect(container(f).resources).toEqual({ requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    }
  });

  it('consume each filter topic in monitor mode, one user each', () => {
    for (const [n, topic] of [
      ['001', 'Filter001'],
      ['042', 'Filter042'],
      ['100', 'Filter100'],
    ]) {
      const c = byName[`alerts-consumer-filter${n}`];
      expect(c.spec.replicas).toBe('1');
      expect(container(c).args).toEqual([
        'alerts',
        'consume',
        '--topic',
        topic,
        '--mode',
        'monitor',
        ...platform,
        '--metrics-port',
        '9090',
      ]);
      expect(container(c).resources).toEqual({ requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '192Mi' } });
    }
  });
});

describe('the apps parse every Deployment’s arguments (stack ↔ app agreement)', () => {
  it('default settings: the producer, the 5 filter groups (each a group of seed004) and the 100 consumers', async () => {
    const byName = deployments();
    const common = { brokers: kafka.bootstrapServers, registry: kafka.schemaRegistryUrl, topicPrefix: '', metricsPort: 9090 };
    const producer = await parsed(container(byName['alerts-producer']).args);
    expect(producer).toMatchObject({ ...common, alertsPerVisit: 10_000, interval: 39_000, seed: 4, partitions: 6, cutouts: true });
    expect(producer.visits).toBeUndefined(); // until stopped: a Deployment restarts a process that ends
    const set = namedFilterSet('seed004');
    for (const g of [1, 2, 3, 4, 5]) {
      const c = await parsed(container(byName[`alerts-filter-${g}`]).args);
      expect(c).toMatchObject({ ...common, set: 'seed004', group: String(g) });
      expect(c.filters).toBeUndefined();
      expect(groupOf(set, c.group as string).filters).toHaveLength(20);
    }
    const consumers = Object.values(byName).filter((d) => d.metadata.name.startsWith('alerts-consumer-'));
    expect(consumers).toHaveLength(100);
    for (const d of consumers) {
      const c = await parsed(container(d).args);
      expect(c).toMatchObject({ ...common, topic: d.metadata.name.replace('alerts-consumer-filter', 'Filter'), mode: 'monitor' });
      expect(c.group).toBeUndefined(); // each user a group of its own
    }
  });

  it('site settings: the prefix, no cutouts, print mode reach the apps as they mean them', async () => {
    const byName = deployments({
      topicPrefix: 'exp1.',
      producer: { alertsPerVisit: 500, interval: '10s', seed: 7, cutouts: false },
      consumers: { count: 3, mode: 'print' },
    });
    expect(await parsed(container(byName['alerts-producer']).args)).toMatchObject({
      topicPrefix: 'exp1.',
      alertsPerVisit: 500,
      interval: 10_000,
      seed: 7,
      cutouts: false,
    });
    expect(await parsed(container(byName['alerts-filter-5']).args)).toMatchObject({ topicPrefix: 'exp1.', group: '5' });
    expect(await parsed(container(byName['alerts-consumer-filter003']).args)).toMatchObject({
      topicPrefix: 'exp1.',
      topic: 'Filter003',
      mode: 'print',
      registry: kafka.schemaRegistryUrl,
    });
  });

  it('a flag the app does not know fails (the check can fail)', async () => {
    const args = container(deployments()['alerts-filter-1']).args as string[];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true); // commander's own error line
    try {
      await expect(parsed([...args, '--filter-cap', '30'])).rejects.toThrow(/unknown option '--filter-cap'/);
      await expect(parsed(['alerts', 'consume', '--topic', 'Filter001', '--mode', 'tail', ...platform])).rejects.toThrow(/tail/);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('the alert apps follow the site settings', () => {
  const byName = deployments({
    namespace: 'alerts-exp',
    topicPrefix: 'exp1.',
    topics: { alerts: { partitions: 12 } },
    producer: {
      alertsPerVisit: 500,
      interval: '10s',
      seed: 7,
      cutouts: false,
      resources: { requests: { cpu: '2', memory: '1Gi' } },
    },
    filters: { replicas: 3, resources: { requests: { cpu: '1', memory: '300Mi' } } },
    consumers: { count: 130, mode: 'print', resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } } },
  });
  const prefixed = [...platform, '--topic-prefix', 'exp1.', '--metrics-port', '9090'];

  it('the producer: seed, no cutouts, the prefix, its resources', () => {
    const p = byName['alerts-producer'];
    expect(p.metadata.namespace).toBe('alerts-exp');
    expect(container(p).args).toEqual([
      'alerts',
      'produce',
      '--alerts-per-visit',
      '500',
      '--interval',
      '10s',
      '--seed',
      '7',
      '--partitions',
      '12',
      '--no-cutouts',
      ...prefixed,
    ]);
    expect(container(p).resources).toEqual({ requests: { cpu: '2', memory: '1Gi' } });
  });

  it('the filters: 3 replicas per group sharing the stream, the prefix', () => {
    expect(byName['alerts-filter-3'].spec.replicas).toBe('3');
    expect(container(byName['alerts-filter-3']).args).toEqual(['alerts', 'filter', '--set', 'seed004', '--group', '3', ...prefixed]);
    expect(container(byName['alerts-filter-3']).resources).toEqual({ requests: { cpu: '1', memory: '300Mi' } });
  });

  it('130 consumers: 2 for Filter001–030, 1 for the others, printing', () => {
    const consumers = Object.values(byName).filter((d) => d.metadata.name.startsWith('alerts-consumer-'));
    expect(consumers.reduce((n, d) => n + Number(d.spec.replicas), 0)).toBe(130);
    expect([byName['alerts-consumer-filter030'].spec.replicas, byName['alerts-consumer-filter031'].spec.replicas]).toEqual(['2', '1']);
    expect(container(byName['alerts-consumer-filter031']).args).toEqual([
      'alerts',
      'consume',
      '--topic',
      'Filter031',
      '--mode',
      'print',
      ...prefixed,
    ]);
    expect(container(byName['alerts-consumer-filter031']).resources).toEqual({
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { memory: '256Mi' },
    });
  });

  it('fewer consumers than topics: the topics without users have no Deployment', () => {
    const few = deployments({ consumers: { count: 3 } });
    expect(Object.keys(few).filter((n) => n.startsWith('alerts-consumer-'))).toEqual([
      'alerts-consumer-filter001',
      'alerts-consumer-filter002',
      'alerts-consumer-filter003',
    ]);
  });
});
