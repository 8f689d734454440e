/**
 * Kafka keeps messages at least as long as one shard of the raw InfluxDB
 * tier: if InfluxDB is down for a shard's time, Kafka still holds the data to
 * replay (seed 002: 24 h logs for a 24 h raw policy with 1 h shards).
 */
import { durationSeconds } from '../../config/duration';
import { brokerOverrides } from './helm-values-view';
import { InvariantRule, ResourceView } from './rule';

export class KafkaRetentionCoversShards extends InvariantRule {
  readonly id = 'kafka-retention-covers-shards';

  constructor(
    site: string,
    private readonly rawShardDuration: string,
  ) {
    super(site);
  }

  protected check(view: ResourceView): string[] {
    const kafka = brokerOverrides(view);
    if (!kafka) return [];
    const o = kafka.overrides;
    const seconds = o['log.retention.ms']
      ? Number(o['log.retention.ms']) / 1000
      : o['log.retention.minutes']
        ? Number(o['log.retention.minutes']) * 60
        : Number(o['log.retention.hours'] ?? 168) * 3600;
    const shard = durationSeconds(this.rawShardDuration);
    return seconds >= shard
      ? []
      : [
          `Kafka log retention (${seconds / 3600} h) is shorter than the raw tier's shard duration (${this.rawShardDuration}); raise kafka.logRetention`,
        ];
  }
}
