/**
 * The filters of a site's alert mini-broker: one Deployment per filter group of the set,
 * `alerts-filter-<G>` running `efd alerts filter --set <set> --group G` — the group's consumer group
 * (`[<prefix>]alerts-filter-<G>`) reads the whole stream and writes each of its filters' alerts (at most
 * the cap a visit) to the filter's topic. `filters.replicas` replicas per group share the stream's partitions.
 */
import { Construct } from 'constructs';
import { alertFilterGroups } from '../../config/alerts';
import { AppDeployment } from '../app-deployment';
import { ALERT_APP_ENV, ALERTS_APP, AlertAppsProps, commonAlertArgs } from './common';

export type AlertFiltersProps = AlertAppsProps;

/** `filter` and its arguments for filter group `group`. */
export function filterArgs(props: AlertFiltersProps, group: number): string[] {
  return ['filter', '--set', props.alerts.filters.set, '--group', String(group), ...commonAlertArgs(props.alerts, props.kafka)];
}

export class AlertFilters extends Construct {
  /** Per filter group (1-based). */
  readonly groups: Record<number, AppDeployment> = {};

  constructor(scope: Construct, id: string, props: AlertFiltersProps) {
    super(scope, id);
    const f = props.alerts.filters;
    for (const group of alertFilterGroups(props.alerts)) {
      this.groups[group] = new AppDeployment(this, `group-${group}`, {
        site: props.site.name,
        app: ALERTS_APP,
        name: `alerts-filter-${group}`,
        namespace: props.namespace ?? props.alerts.namespace,
        image: props.image,
        replicas: f.replicas,
        args: filterArgs(props, group),
        env: ALERT_APP_ENV,
        resources: f.resources,
        dependsOn: props.dependsOn,
      });
    }
  }
}
