/**
 * The site's topic policies applied to its Kafka by a Job (`topics-apply` of the connect-manager image,
 * apps/connect-manager/topics.ts) on every apply: declared topics created, partitions added, configs set
 * as the policies say (config/topic-policies.ts; the site's `kafka.topicPolicies`). The resolved policies
 * are its argument, so a policy change changes the Job and Terraform runs it again. A conflict (a topic
 * with more partitions than its policy) fails the Job, and the apply with it, before anything changed.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Site } from '../config/schema';
import { sitePolicies, type TopicPolicy } from '../config/topic-policies';
import type { AppImage } from './app-deployment';
import { AppJob } from './app-job';

export interface KafkaTopicsJobProps {
  readonly site: Site;
  readonly image: AppImage;
  readonly bootstrapServers: string;
  /** @default site.namespaces.apps */
  readonly namespace?: string;
  /** The policies the Job applies (another stack's topics, e.g. the alerts'). @default sitePolicies(site) */
  readonly policies?: TopicPolicy[];
  /** Job name. @default 'kafka-topics-apply' */
  readonly name?: string;
  /** The Kafka release (and the namespace) the Job waits for. */
  readonly dependsOn?: ITerraformDependable[];
}

export class KafkaTopicsJob extends Construct {
  readonly job: AppJob;
  readonly policies: TopicPolicy[];

  constructor(scope: Construct, id: string, props: KafkaTopicsJobProps) {
    super(scope, id);
    const { site } = props;
    this.policies = props.policies ?? sitePolicies(site);
    this.job = new AppJob(this, 'job', {
      site: site.name,
      name: props.name ?? 'kafka-topics-apply',
      app: 'topics-apply',
      imageName: 'connect-manager',
      namespace: props.namespace ?? site.namespaces.apps,
      image: props.image,
      args: ['--bootstrap-servers', props.bootstrapServers, '--policies-json', JSON.stringify(this.policies)],
      dependsOn: props.dependsOn,
    });
  }
}
