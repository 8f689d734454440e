// The platform invariants (issue 6): each made to fire and not to fire.
import { Aspects } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { stringify } from 'yaml';
import { KafkaAutoCreateOff } from './kafka-auto-create-off';
import { KafkaRetentionCoversShards } from './kafka-retention-covers-shards';
import { ReplicationFactor } from './replication-factor';
import { SsdVolumes } from './ssd-volumes';
import { TierDurationsAscend } from './tier-durations-ascend';
import { invariantErrors, newStack } from './testing';
import type { IAspect } from 'cdktf';

function cpRelease(kafka: Record<string, unknown>, aspect: IAspect): string[] {
  const stack = newStack();
  new Release(stack, 'cp', {
    name: 'cp',
    chart: 'cp-helm-charts',
    repository: 'https://confluentinc.github.io/cp-helm-charts/',
    version: '0.6.1',
    values: [stringify({ 'cp-kafka': kafka })],
  });
  Aspects.of(stack).add(aspect);
  return invariantErrors(stack);
}

describe('invariant kafka-retention-covers-shards', () => {
  it('fires when Kafka keeps less than one raw shard', () => {
    expect(cpRelease({ configurationOverrides: { 'log.retention.hours': '12' } }, new KafkaRetentionCoversShards('gcp', '1d'))).toEqual([
      'invariant kafka-retention-covers-shards: site "gcp", helm_release.cp: Kafka log retention (12 h) is shorter than the raw tier\'s shard duration (1d); raise kafka.logRetention',
    ]);
  });
  it('does not fire when retention covers the shard', () => {
    expect(cpRelease({ configurationOverrides: { 'log.retention.hours': '24' } }, new KafkaRetentionCoversShards('gcp', '1h'))).toEqual([]);
  });
  it('reads an exact log.retention.ms: 30 minutes do not cover a 1 h shard, -1 (forever) does', () => {
    expect(cpRelease({ configurationOverrides: { 'log.retention.ms': '1800000' } }, new KafkaRetentionCoversShards('gcp', '1h'))).toEqual([
      'invariant kafka-retention-covers-shards: site "gcp", helm_release.cp: Kafka log retention (0.5 h) is shorter than the raw tier\'s shard duration (1h); raise kafka.logRetention',
    ]);
    expect(cpRelease({ configurationOverrides: { 'log.retention.ms': '-1' } }, new KafkaRetentionCoversShards('gcp', '1h'))).toEqual([]);
  });
});

describe('invariant replication-factor', () => {
  it('fires when RF < min.insync.replicas + 1 on 3 brokers', () => {
    expect(
      cpRelease(
        { brokers: 3, configurationOverrides: { 'default.replication.factor': '2', 'min.insync.replicas': '2' } },
        new ReplicationFactor('ldf'),
      ),
    ).toEqual([expect.stringContaining('default.replication.factor 2 must be ≥ min.insync.replicas 2 + 1 with 3 brokers')]);
  });
  it('does not fire on 3/2, nor on a one-broker site', () => {
    expect(
      cpRelease(
        { brokers: 3, configurationOverrides: { 'default.replication.factor': '3', 'min.insync.replicas': '2' } },
        new ReplicationFactor('ldf'),
      ),
    ).toEqual([]);
    expect(
      cpRelease(
        { brokers: 1, configurationOverrides: { 'default.replication.factor': '1', 'min.insync.replicas': '1' } },
        new ReplicationFactor('ldf'),
      ),
    ).toEqual([]);
  });
});

describe('invariant tier-durations-ascend', () => {
  const tiers = (d2: string) => [
    { name: 'raw', duration: '7d', shardDuration: '1h' },
    { name: 'low', duration: d2, shardDuration: '1d', source: 'raw', interval: '1m' },
  ];
  it('fires when a downsampled tier expires first', () => {
    const stack = newStack();
    Aspects.of(stack).add(new TierDurationsAscend('summit', tiers('3d')));
    expect(invariantErrors(stack)).toEqual([expect.stringContaining('retention.tiers[1] "low" keeps 3d, not longer than "raw" (7d)')]);
  });
  it('does not fire on ascending tiers', () => {
    const stack = newStack();
    Aspects.of(stack).add(new TierDurationsAscend('summit', tiers('30d')));
    expect(invariantErrors(stack)).toEqual([]);
  });
});

describe('invariant ssd-volumes', () => {
  const influx = (persistence: Record<string, unknown>, production = true) => {
    const stack = newStack();
    new Release(stack, 'influxdb', {
      name: 'influxdb',
      chart: 'influxdb',
      repository: 'https://helm.influxdata.com/',
      version: '4.12.5',
      values: [stringify({ persistence })],
    });
    Aspects.of(stack).add(new SsdVolumes('summit', production, 'ssd'));
    return invariantErrors(stack);
  };
  it('fires on chart persistence off the ssd class on a production site', () => {
    expect(influx({ enabled: true, size: '1Ti' })).toEqual([
      expect.stringContaining('persistence.storageClass is unset (cluster default); set it to "ssd"'),
    ]);
    expect(influx({ enabled: true, storageClass: 'standard' })).toHaveLength(1);
  });
  it('fires on a StatefulSet claim template on another class', () => {
    const stack = newStack();
    new StatefulSetV1(stack, 'sts', {
      metadata: { name: 'x' },
      spec: {
        serviceName: 'x',
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { container: [{ name: 'x', image: 'x' }] } },
        volumeClaimTemplate: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'hdd', resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    });
    Aspects.of(stack).add(new SsdVolumes('summit', true, 'ssd'));
    expect(invariantErrors(stack)).toEqual([expect.stringContaining('storage_class_name is hdd; use "ssd"')]);
  });
  it('does not fire on ssd, disabled persistence, or experiment sites', () => {
    expect(influx({ enabled: true, storageClass: 'ssd' })).toEqual([]);
    expect(influx({ enabled: false })).toEqual([]);
    expect(influx({ enabled: true }, false)).toEqual([]);
  });
});

describe('invariant kafka-auto-create-off', () => {
  it('fires on a production site whose brokers create topics, or leave it to the Kafka default (true)', () => {
    expect(cpRelease({ configurationOverrides: { 'auto.create.topics.enable': 'true' } }, new KafkaAutoCreateOff('summit', true))).toEqual([
      expect.stringMatching(
        /^invariant kafka-auto-create-off: site "summit", helm_release\.cp: auto\.create\.topics\.enable is "true" on a production site; set kafka\.autoCreateTopics: false in config\/sites\/summit\.yaml/,
      ),
    ]);
    expect(cpRelease({ configurationOverrides: {} }, new KafkaAutoCreateOff('summit', true))).toEqual([
      expect.stringContaining("auto.create.topics.enable is not set (Kafka's default: true) on a production site"),
    ]);
  });
  it('does not fire when it is off, nor on a non-production site', () => {
    expect(cpRelease({ configurationOverrides: { 'auto.create.topics.enable': 'false' } }, new KafkaAutoCreateOff('summit', true))).toEqual(
      [],
    );
    expect(cpRelease({ configurationOverrides: { 'auto.create.topics.enable': 'true' } }, new KafkaAutoCreateOff('gcp', false))).toEqual(
      [],
    );
  });
});
