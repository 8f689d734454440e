/**
 * The alert producer of a site's alert mini-broker: one Deployment `alerts-producer` running
 * `efd alerts produce`, a visit of `producer.alertsPerVisit` generated Avro alerts every `producer.interval`
 * into `[<prefix>]alerts` (key alertId, header `visit`), until stopped (a Deployment restarts a process
 * that ends, so it runs without `--visits`).
 * One replica: the visits are one process's sequence, a second producer would send each visit twice.
 */
import { Construct } from 'constructs';
import { AppDeployment } from '../app-deployment';
import { ALERT_APP_ENV, ALERTS_APP, AlertAppsProps, commonAlertArgs } from './common';

export type AlertProducerProps = AlertAppsProps;

/** `produce` and its arguments from the site's `alerts.producer`. */
export function producerArgs(props: AlertProducerProps): string[] {
  const p = props.alerts.producer;
  return [
    'produce',
    '--alerts-per-visit',
    String(p.alertsPerVisit),
    '--interval',
    p.interval,
    '--seed',
    String(p.seed),
    // should the stream's topic be missing (deleted by hand), the producer creates it as the topics Job does
    '--partitions',
    String(props.alerts.topics.alerts.partitions),
    ...(p.cutouts ? [] : ['--no-cutouts']),
    ...commonAlertArgs(props.alerts, props.kafka),
  ];
}

export class AlertProducer extends Construct {
  readonly app: AppDeployment;

  constructor(scope: Construct, id: string, props: AlertProducerProps) {
    super(scope, id);
    this.app = new AppDeployment(this, 'producer', {
      site: props.site.name,
      app: ALERTS_APP,
      name: 'alerts-producer',
      namespace: props.namespace ?? props.alerts.namespace,
      image: props.image,
      replicas: 1,
      args: producerArgs(props),
      env: ALERT_APP_ENV,
      resources: props.alerts.producer.resources,
      dependsOn: props.dependsOn,
    });
  }
}
