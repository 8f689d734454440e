/**
 * Production brokers do not create topics on first use (auto.create.topics.enable false): a typo in a
 * producer's topic name would otherwise make a new topic with the broker defaults instead of failing,
 * and the topic policies (config/topic-policies.ts) would not be what made it. Kafka's own default is
 * true, so a missing key fails too.
 */
import { brokerOverrides } from './helm-values-view';
import { InvariantRule, ResourceView } from './rule';

export class KafkaAutoCreateOff extends InvariantRule {
  readonly id = 'kafka-auto-create-off';

  constructor(
    site: string,
    private readonly production: boolean,
  ) {
    super(site);
  }

  protected check(view: ResourceView): string[] {
    const kafka = brokerOverrides(view);
    if (!this.production || !kafka) return [];
    const value = kafka.overrides['auto.create.topics.enable'];
    return value === 'false'
      ? []
      : [
          `auto.create.topics.enable is ${value === undefined ? "not set (Kafka's default: true)" : `"${value}"`} on a production site; ` +
            `set kafka.autoCreateTopics: false in config/sites/${this.site}.yaml (or remove it: off is the production default) and declare the topics in kafka.topicPolicies`,
        ];
  }
}
