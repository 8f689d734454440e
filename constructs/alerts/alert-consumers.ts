/**
 * The end users of a site's alert mini-broker: `consumers.count` consumers, each a pod running
 * `efd alerts consume --topic FilterNNN --mode <mode>`, spread evenly over the filter topics
 * (config/alerts.ts consumerReplicas: 100 over 100 topics, one each).
 *
 * One Deployment per filter topic, `alerts-consumer-filter001` …, its replicas that topic's users: a
 * consumer reads one topic, so a Deployment's pods (which all run the same arguments) can only be users
 * of the same topic; per topic, an operator sees each topic's users by name (`kubectl -n alerts logs
 * deploy/alerts-consumer-filter042`), scales one topic's users without touching the others, and a user
 * that fails is one pod of one topic. Each pod is a user of its own (no shared consumer group): every
 * replica reads the whole topic, as separate people would. A topic without users has no Deployment.
 */
import { Construct } from 'constructs';
import { consumerReplicas } from '../../config/alerts';
import { filterTopicOf } from '../../config/names';
import { AppDeployment } from '../app-deployment';
import { ALERT_APP_ENV, ALERTS_APP, AlertAppsProps, commonAlertArgs } from './common';

export type AlertConsumersProps = AlertAppsProps;

/** `consume` and its arguments for the users of filter `n`'s topic. */
export function consumerArgs(props: AlertConsumersProps, n: number): string[] {
  return ['consume', '--topic', filterTopicOf(n), '--mode', props.alerts.consumers.mode, ...commonAlertArgs(props.alerts, props.kafka)];
}

export class AlertConsumers extends Construct {
  /** Per filter number (1-based), for the topics that have users. */
  readonly topics: Record<number, AppDeployment> = {};

  constructor(scope: Construct, id: string, props: AlertConsumersProps) {
    super(scope, id);
    const c = props.alerts.consumers;
    consumerReplicas(props.alerts).forEach((replicas, i) => {
      if (replicas === 0) return;
      const n = i + 1;
      const name = `alerts-consumer-${filterTopicOf(n).toLowerCase()}`;
      this.topics[n] = new AppDeployment(this, name, {
        site: props.site.name,
        app: ALERTS_APP,
        name,
        namespace: props.namespace ?? props.alerts.namespace,
        image: props.image,
        replicas,
        args: consumerArgs(props, n),
        env: ALERT_APP_ENV,
        resources: c.resources,
        dependsOn: props.dependsOn,
      });
    });
  }
}
