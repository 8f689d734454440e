/**
 * Retention tiers keep data longer as resolution drops: each tier's duration
 * exceeds the one before it, or downsampled data would expire first.
 */
import { IConstruct } from 'constructs';
import { Annotations, IAspect, TerraformStack } from 'cdktf';
import { durationSeconds } from '../../config/duration';
import type { RetentionTier } from '../../config/schema';

export class TierDurationsAscend implements IAspect {
  readonly id = 'tier-durations-ascend';

  constructor(
    private readonly site: string,
    private readonly tiers: RetentionTier[],
  ) {}

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    for (let i = 1; i < this.tiers.length; i++) {
      const [prev, tier] = [this.tiers[i - 1], this.tiers[i]];
      if (durationSeconds(tier.duration) <= durationSeconds(prev.duration)) {
        Annotations.of(node).addError(
          `invariant ${this.id}: site "${this.site}", retention.tiers[${i}] "${tier.name}" keeps ${tier.duration}, not longer than "${prev.name}" (${prev.duration}); lengthen it`,
        );
      }
    }
  }
}
