import { Testing, TerraformStack } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import { parse } from 'yaml';
import { brokerSettings, KafkaPlatform } from './kafka-platform';
import { InfluxDb } from './influxdb';
import { gkeSite, onPremSite } from '../test/sites';

function synth(build: (stack: TerraformStack) => void) {
  const stack = new TerraformStack(Testing.app(), 'test');
  build(stack);
  const out = Testing.synth(stack);
  const releases = Object.values(JSON.parse(out).resource.helm_release) as { values: string[] }[];
  return { out, values: releases.map((r) => parse(r.values[0])) };
}

describe('KafkaPlatform', () => {
  it('derives 3/2 replication, retention from the raw tier and the offsets retention on a 3-broker site', () => {
    const site = onPremSite({ kafka: { brokers: 3, storageGi: 256 } });
    expect(brokerSettings(site)).toEqual({
      replicationFactor: 3,
      minInsyncReplicas: 2,
      logRetention: { key: 'log.retention.hours', value: 168 },
      offsetsRetentionMinutes: 10080,
      autoCreateTopics: false,
    });
    const { out, values } = synth((s) => new KafkaPlatform(s, 'kafka', { site }));
    expect(out).toHaveResourceWithProperties(Release, {
      chart: 'cp-helm-charts',
      version: '0.6.1',
      repository: 'https://confluentinc.github.io/cp-helm-charts/',
      namespace: 'kafka',
      lifecycle: { prevent_destroy: true },
    });
    const kafka = values[0]['cp-kafka'];
    expect(kafka.brokers).toBe(3);
    expect(kafka.persistence).toEqual({ enabled: true, disksPerBroker: 1, size: '256Gi', storageClass: 'ssd' });
    expect(kafka.configurationOverrides).toMatchObject({
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'log.retention.hours': '168',
      'offsets.retention.minutes': '10080',
    });
    expect(values[0]['cp-zookeeper'].servers).toBe(3);
    expect(values[0]['cp-control-center'].enabled).toBe(false);
  });

  it("runs 1 broker / 1 ZooKeeper with RF 1 on a small site and follows the prototype's 24 h raw tier", () => {
    const site = gkeSite({ kafka: { brokers: 1 }, retention: { tiers: [{ name: 'raw', duration: '24h', shardDuration: '1h' }] } });
    const { values } = synth((s) => new KafkaPlatform(s, 'kafka', { site }));
    expect(values[0]['cp-kafka'].configurationOverrides).toMatchObject({
      'default.replication.factor': '1',
      'min.insync.replicas': '1',
      'log.retention.hours': '24',
      'offsets.retention.minutes': '1440',
    });
    expect(values[0]['cp-zookeeper'].servers).toBe(1);
  });

  it('keeps a retention that is not whole hours exactly (log.retention.ms), and INF as forever', () => {
    const tiers = [{ name: 'raw', duration: '1d', shardDuration: '1h' }];
    const exact = gkeSite({ kafka: { logRetention: '90m' }, retention: { tiers } });
    const overrides = synth((s) => new KafkaPlatform(s, 'kafka', { site: exact })).values[0]['cp-kafka'].configurationOverrides;
    // Rounded up to hours, 90m was written as 2 h (and 30m as 1 h).
    expect(overrides['log.retention.ms']).toBe('5400000');
    expect(overrides).not.toHaveProperty('log.retention.hours');
    expect(overrides['offsets.retention.minutes']).toBe('90');
    const forever = gkeSite({ kafka: { logRetention: 'INF', offsetsRetention: '30d' }, retention: { tiers } });
    expect(brokerSettings(forever)).toMatchObject({ logRetention: { key: 'log.retention.ms', value: -1 }, offsetsRetentionMinutes: 43200 });
  });

  it('exposes endpoints for later constructs and switches components', () => {
    const site = gkeSite({ kafka: { ksql: true, restProxy: true, connect: false } });
    let platform!: KafkaPlatform;
    const { values } = synth((s) => (platform = new KafkaPlatform(s, 'kafka', { site })));
    expect(platform.bootstrapServers).toBe('cp-cp-kafka-headless.kafka.svc.cluster.local:9092');
    expect(platform.schemaRegistryUrl).toBe('http://cp-cp-schema-registry.kafka.svc.cluster.local:8081');
    expect(platform.connectUrl).toBeUndefined();
    expect(values[0]['cp-ksql-server'].enabled).toBe(true);
    expect(values[0]['cp-kafka-connect'].enabled).toBe(false);
  });
});

describe('InfluxDb', () => {
  it('takes the admin user from an existing Secret, keeps auth on and no row limit', () => {
    const site = onPremSite();
    let influxDb!: InfluxDb;
    const { out, values } = synth((s) => (influxDb = new InfluxDb(s, 'influxdb', { site })));
    expect(out).toHaveResourceWithProperties(Release, { chart: 'influxdb', version: '4.12.5', namespace: 'influxdb' });
    expect(values[0].setDefaultUser).toEqual({ enabled: true, user: { username: 'admin', existingSecret: 'influxdb-auth' } });
    expect(values[0].config.http).toMatchObject({ 'auth-enabled': true, 'max-row-limit': 0, 'flux-enabled': true });
    expect(values[0].persistence).toMatchObject({ size: '512Gi', storageClass: 'ssd' });
    expect(out).not.toMatch(/password/i);
    expect(influxDb.url).toBe('http://influxdb.influxdb.svc.cluster.local:8086');
    expect(influxDb.database).toBe('efd');
  });

  it('runs with the query limits of its site kind as InfluxDB environment overrides, a YAML value replacing one default', () => {
    const env = (site: ReturnType<typeof onPremSite>) => synth((s) => new InfluxDb(s, 'influxdb', { site })).values[0].env;
    expect(env(onPremSite())).toEqual([
      { name: 'INFLUXDB_COORDINATOR_MAX_CONCURRENT_QUERIES', value: '32' },
      { name: 'INFLUXDB_COORDINATOR_QUERY_TIMEOUT', value: '300s' },
      { name: 'INFLUXDB_COORDINATOR_LOG_QUERIES_AFTER', value: '30s' },
      { name: 'INFLUXDB_COORDINATOR_MAX_SELECT_POINT', value: '200000000' },
      { name: 'INFLUXDB_COORDINATOR_MAX_SELECT_SERIES', value: '200000' },
      { name: 'INFLUXDB_DATA_MAX_SERIES_PER_DATABASE', value: '5000000' },
    ]);
    expect(env(gkeSite())).toEqual([
      { name: 'INFLUXDB_COORDINATOR_MAX_CONCURRENT_QUERIES', value: '8' },
      { name: 'INFLUXDB_COORDINATOR_QUERY_TIMEOUT', value: '120s' },
      { name: 'INFLUXDB_COORDINATOR_LOG_QUERIES_AFTER', value: '10s' },
      { name: 'INFLUXDB_COORDINATOR_MAX_SELECT_POINT', value: '50000000' },
      { name: 'INFLUXDB_COORDINATOR_MAX_SELECT_SERIES', value: '20000' },
      { name: 'INFLUXDB_DATA_MAX_SERIES_PER_DATABASE', value: '1000000' },
    ]);
    const summit = onPremSite({ influxdb: { queryLimits: { queryTimeout: '1h', maxSelectSeries: 50_000 } } });
    expect(env(summit)).toEqual(
      expect.arrayContaining([
        { name: 'INFLUXDB_COORDINATOR_QUERY_TIMEOUT', value: '3600s' },
        { name: 'INFLUXDB_COORDINATOR_MAX_SELECT_SERIES', value: '50000' },
        { name: 'INFLUXDB_COORDINATOR_MAX_CONCURRENT_QUERIES', value: '32' },
      ]),
    );
    // The limits have one home: not also in the chart's config (whose numbers Helm would print as 2e+08).
    const { values } = synth((s) => new InfluxDb(s, 'influxdb', { site: onPremSite() }));
    expect(values[0].config.coordinator).toEqual({ 'write-timeout': '25s' });
    expect(values[0].config.data).toEqual({ 'cache-max-memory-size': '1g' });
  });
});
