/**
 * The invariants every stack is checked against on every synth. Later
 * capabilities add their rules here.
 */
import { Aspects, TerraformStack } from 'cdktf';
import type { Site } from '../../config/schema';
import { AlertTopics } from './alert-topics';
import { ContainerResources } from './container-resources';
import { DestroyProtection } from './destroy-protection';
import { HelmChartPinned } from './helm-chart-pinned';
import { InfluxDbQueryLimits } from './influxdb-query-limits';
import { KafkaAutoCreateOff } from './kafka-auto-create-off';
import { NoLiteralSecrets } from './no-literal-secrets';
import { KafkaRetentionCoversShards } from './kafka-retention-covers-shards';
import { ReplicationFactor } from './replication-factor';
import { SsdVolumes } from './ssd-volumes';
import { TierDurationsAscend } from './tier-durations-ascend';

export function applyInvariants(stack: TerraformStack, site: Site): void {
  const aspects = Aspects.of(stack);
  aspects.add(new NoLiteralSecrets(site.name));
  aspects.add(new HelmChartPinned(site.name));
  aspects.add(new ContainerResources(site.name));
  aspects.add(new DestroyProtection(site.name, site.production));
  aspects.add(new KafkaRetentionCoversShards(site.name, site.retention.tiers[0].shardDuration));
  aspects.add(new ReplicationFactor(site.name));
  aspects.add(new TierDurationsAscend(site.name, site.retention.tiers));
  aspects.add(new SsdVolumes(site.name, site.production, site.storage.className));
  aspects.add(new InfluxDbQueryLimits(site.name, site.production));
  aspects.add(new KafkaAutoCreateOff(site.name, site.production));
  if (site.alerts) aspects.add(new AlertTopics(site.name, site.alerts));
}
