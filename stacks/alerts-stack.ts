/**
 * `<site>-alerts`: the alert mini-broker of seed 004 on a site's cluster (sites with an `alerts` section,
 * config/alerts.ts) — its own namespace, a Job creating the alert stream and the filter topics in the EFD's
 * Kafka, the producer, one filter Deployment per filter group and the consumers (one Deployment per filter
 * topic). Like the EFD stack it reaches the cluster through ClusterAccess (the GKE cluster of
 * `<site>-cluster`, by name); it refers to nothing of `<site>-efd`, whose Kafka and registry its apps use at
 * run time by their in-cluster addresses: `cdktf deploy gcp-alerts` after gcp-efd, and `cdktf destroy
 * gcp-alerts` deletes the namespace and what runs in it, neither the cluster nor the EFD. The topics stay
 * in Kafka (its data, kept by their retention; `efd topics` removes them).
 */
import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { alertTopicPolicies, AlertsSettings } from '../config/alerts';
import { siteSchema, type Site } from '../config/schema';
import { defaultReplicationFactor } from '../config/topic-policies';
import { AlertConsumers } from '../constructs/alerts/alert-consumers';
import { AlertFilters } from '../constructs/alerts/alert-filters';
import { AlertProducer } from '../constructs/alerts/alert-producer';
import { ALERTS_TOPICS_JOB, type AlertAppsProps } from '../constructs/alerts/common';
import { ClusterAccess } from '../constructs/cluster-access';
import { EfdNamespaces } from '../constructs/efd-namespaces';
import { applyInvariants } from '../constructs/invariants';
import { KafkaTopicsJob } from '../constructs/kafka-topics-job';
import { platformEndpoints } from '../constructs/kafka-platform';
import { configureBackend } from './backend';

export interface AlertsStackProps {
  /** The site, or what of it the stack reads (alertsStackSite): the same Terraform either way. */
  readonly site: Site;
}

/**
 * What of a site the alerts stack reads, as a site: its name, role, protection, cluster, backend, storage,
 * namespaces, Kafka brokers and registry, app images and alerts section — the rest at its defaults. The
 * stack's props (stacks/app.ts planSites), so a change elsewhere in the site (a tier, a connector) leaves
 * the stack's props, and the 100-odd objects built from them, as they were.
 */
export function alertsStackSite(site: Site): Site {
  return siteSchema.parse({
    name: site.name,
    role: site.role,
    production: site.production,
    // ClusterAccess reads the cluster's project, location and name, not its node pool.
    target:
      site.target.kind === 'gke'
        ? {
            kind: 'gke',
            project: site.target.project,
            region: site.target.region,
            zone: site.target.zone,
            cluster: { name: site.target.cluster.name },
          }
        : site.target,
    backend: site.backend,
    storage: site.storage,
    namespaces: site.namespaces,
    kafka: { brokers: site.kafka.brokers, schemaRegistry: site.kafka.schemaRegistry },
    apps: { imageRepository: site.apps.imageRepository, imageTag: site.apps.imageTag },
    alerts: site.alerts,
  });
}

export class AlertsStack extends TerraformStack {
  readonly alerts: AlertsSettings;
  readonly topics: KafkaTopicsJob;
  readonly producer: AlertProducer;
  readonly filters: AlertFilters;
  readonly consumers: AlertConsumers;

  constructor(scope: Construct, id: string, props: AlertsStackProps) {
    super(scope, id);
    const { site } = props;
    if (!site.alerts) throw new Error(`site "${site.name}": an alerts stack needs the site's alerts section (config/alerts.ts)`);
    const alerts = site.alerts;
    this.alerts = alerts;
    configureBackend(this, site, id);
    new ClusterAccess(this, 'access', { site });
    const namespace = alerts.namespace;
    const namespaces = new EfdNamespaces(this, 'namespaces', {
      site: site.name,
      namespaces: { alerts: namespace },
      preventDestroy: site.production,
    });
    const endpoints = platformEndpoints(site);
    if (!endpoints.schemaRegistryUrl)
      throw new Error(`site "${site.name}": alerts are Avro in the schema registry; set kafka.schemaRegistry: true`);
    const kafka = { bootstrapServers: endpoints.bootstrapServers, schemaRegistryUrl: endpoints.schemaRegistryUrl };
    const image = { repository: site.apps.imageRepository, tag: site.apps.imageTag };
    // The topics exist, with their partitions and retention, before anything produces or consumes them.
    this.topics = new KafkaTopicsJob(this, 'topics', {
      site,
      image,
      bootstrapServers: kafka.bootstrapServers,
      namespace,
      name: ALERTS_TOPICS_JOB,
      policies: alertTopicPolicies(alerts, defaultReplicationFactor(site.kafka.brokers)),
      dependsOn: [namespaces.resources[namespace]],
    });
    const apps: AlertAppsProps = { site, alerts, image, kafka, namespace, dependsOn: [this.topics.job.job] };
    this.producer = new AlertProducer(this, 'producer', apps);
    this.filters = new AlertFilters(this, 'filters', apps);
    this.consumers = new AlertConsumers(this, 'consumers', apps);
    applyInvariants(this, site);
  }
}
