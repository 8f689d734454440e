/**
 * What the alert apps' Deployments share (constructs/alerts/*): the props, and the options every
 * `efd alerts produce|filter|consume` takes from the site (Kafka, registry, topic prefix; `--metrics-port`
 * is added by AppDeployment), so the three read the same topics from the same platform.
 */
import type { ITerraformDependable } from 'cdktf';
import type { AlertsSettings } from '../../config/alerts';
import type { Site } from '../../config/schema';
import type { AppImage } from '../app-deployment';
import { REGISTRY_FLAVOR } from '../kafka-platform';

/** The EFD platform the alert apps use (in-cluster addresses; the alerts stack builds none of it). */
export interface AlertsKafka {
  readonly bootstrapServers: string;
  readonly schemaRegistryUrl: string;
}

export interface AlertAppsProps {
  readonly site: Site;
  /** The site's `alerts` section. */
  readonly alerts: AlertsSettings;
  /** Repository and tag of the `alerts` image (apps/alerts/main.ts). */
  readonly image: AppImage;
  readonly kafka: AlertsKafka;
  /** @default alerts.namespace */
  readonly namespace?: string;
  /** What the Deployments wait for (the namespace, the topics Job). */
  readonly dependsOn?: ITerraformDependable[];
}

/** The `efd` subcommand (and image) of the alert apps. */
export const ALERTS_APP = 'alerts';

/** The Job creating the alerts topics (the `alert-topics` invariant finds it by this name). */
export const ALERTS_TOPICS_JOB = 'alerts-topics-apply';

/** `--brokers … --registry … [--topic-prefix …]`, after the subcommand's own arguments. */
export function commonAlertArgs(alerts: AlertsSettings, kafka: AlertsKafka): string[] {
  return [
    '--brokers',
    kafka.bootstrapServers,
    '--registry',
    kafka.schemaRegistryUrl,
    ...(alerts.topicPrefix ? ['--topic-prefix', alerts.topicPrefix] : []),
  ];
}

/** The apps' environment: the platform's registry flavor, info logs. */
export const ALERT_APP_ENV = { EFD_REGISTRY_FLAVOR: REGISTRY_FLAVOR, LOG_LEVEL: 'info' };
