/**
 * On sites with 3 or more brokers, topics survive a broker loss while still
 * accepting acks=all writes: default.replication.factor ≥ min.insync.replicas + 1.
 */
import { brokerOverrides } from './helm-values-view';
import { InvariantRule, ResourceView } from './rule';

export class ReplicationFactor extends InvariantRule {
  readonly id = 'replication-factor';

  protected check(view: ResourceView): string[] {
    const kafka = brokerOverrides(view);
    if (!kafka || kafka.brokers < 3) return [];
    const rf = Number(kafka.overrides['default.replication.factor'] ?? 1);
    const isr = Number(kafka.overrides['min.insync.replicas'] ?? 1);
    return rf >= isr + 1 ? [] : [`default.replication.factor ${rf} must be ≥ min.insync.replicas ${isr} + 1 with ${kafka.brokers} brokers`];
  }
}
