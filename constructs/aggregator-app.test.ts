import { Testing, TerraformStack } from 'cdktf';
import { influxDbSinkSchema } from '../config/connectors';
import { aggregatorConfig, registerAggregatorCommand } from '../apps/aggregator/cli';
import { AggregatorApps, aggregatedTier } from './aggregator-app';
import { parsedFlags } from '../test/cli';
import { gkeSite } from '../test/sites';

const image = { repository: 'ghcr.io/lsst-sqre/efd', tag: '0.1.0' };
const kafka = {
  bootstrapServers: 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
  schemaRegistryUrl: 'http://cp-cp-schema-registry.kafka.svc.cluster.local:8081',
};
const influxdb = { url: 'http://influxdb.influxdb.svc.cluster.local:8086', database: 'efd', adminSecret: 'influxdb-auth' };
const tiers = [
  { name: 'raw', duration: '30d', shardDuration: '1d' },
  { name: 'lowres', duration: '3650d', shardDuration: '30d', source: 'raw', interval: '10m' },
];

/** What `efd aggregator <args>` makes of the arguments (the real command, its action replaced). */
async function parsed(args: string[]) {
  return aggregatorConfig(await parsedFlags(registerAggregatorCommand, args), {});
}

describe('AggregatorApps at a site of its own topics', () => {
  const site = gkeSite({ retention: { tiers }, apps: { aggregator: { enabled: true, graceMs: 500, replicas: 2 } } });
  const stack = new TerraformStack(Testing.app(), 'test');
  new AggregatorApps(stack, 'aggregator', { site, image, kafka, influxdb, sinkSettings: influxDbSinkSchema.parse({}) });
  const deployments = Object.values(JSON.parse(Testing.synth(stack)).resource.kubernetes_deployment_v1) as any[];
  const byName = Object.fromEntries(deployments.map((d) => [d.metadata.name, d]));

  it('runs the aggregator on lsst.sal.* with the site settings; the app parses those arguments', async () => {
    const agg = byName.aggregator;
    expect(agg.spec.replicas).toBe('2');
    const args = agg.spec.template.spec.container[0].args as string[];
    expect(args[0]).toBe('aggregator');
    const c = await parsed(args);
    expect(c).toMatchObject({
      topicsRegex: 'lsst[.]sal[.].*',
      registry: kafka.schemaRegistryUrl,
      brokers: kafka.bootstrapServers,
      group: 'gcp-aggregator',
      graceMs: 500,
      metricsPort: 9090,
    });
    expect(c.outRegistry).toBeUndefined();
  });

  it('writes the aggregated topics into InfluxDB with their window start as time, into the longest-kept tier', () => {
    const args = byName['influxdb-sink-agg'].spec.template.spec.container[0].args as string[];
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect(flag('--topics-regex')).toBe('lsst[.]efd[.]agg[.].*');
    expect(flag('--timestamp-field')).toBe('time');
    expect(flag('--retention-policy')).toBe('lowres');
    expect(flag('--dead-letter-topic')).toBe('lsst.efd.influxdb-sink.dlq.agg');
    expect(flag('--group')).toBe('gcp-influxdb-sink-agg');
  });
});

test('the tier of the aggregated measurements: the configured one, else the longest-kept; a name that is no tier is refused', () => {
  expect(aggregatedTier(gkeSite({ retention: { tiers } }))).toBe('lowres');
  expect(aggregatedTier(gkeSite({ retention: { tiers }, apps: { aggregator: { retentionPolicy: 'raw' } } }))).toBe('raw');
  expect(() => gkeSite({ retention: { tiers }, apps: { aggregator: { retentionPolicy: 'forever' } } })).toThrow(
    /expected the name of a retention tier \(raw, lowres\)/,
  );
});
