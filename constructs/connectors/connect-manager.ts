/**
 * The connect manager as a Deployment: mounts the ConnectorSet's ConfigMap and runs
 * `efd connect-manager --desired /etc/efd/connectors --watch <interval> --restart-failed`, which applies
 * the connectors through the Connect REST API, refreshes expanded topic lists and deletes managed
 * connectors no longer declared. One replica (two managers would race on the same connectors).
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Resources } from '../../config/schema';
import { AppDeployment, AppImage } from '../app-deployment';
import { fail } from './common';
import type { ConnectorKafka, ConnectorSet } from './connector-set';

export const DESIRED_MOUNT = '/etc/efd/connectors';

export interface ConnectManagerProps {
  readonly set: ConnectorSet;
  readonly image: AppImage;
  readonly kafka: ConnectorKafka;
  /** @default the ConnectorSet's namespace (where its ConfigMap is) */
  readonly namespace?: string;
  /** @default requests 50m / 128Mi, memory limit 256Mi */
  readonly resources?: Resources;
  readonly dependsOn?: ITerraformDependable[];
}

export class ConnectManager extends Construct {
  readonly deployment: AppDeployment;
  /** Mark of the connectors this manager owns (`efd.managed.by`). */
  readonly managerId: string;

  constructor(scope: Construct, id: string, props: ConnectManagerProps) {
    super(scope, id);
    const { set, kafka } = props;
    const site = set.site.name;
    if (!kafka.connectUrl) fail(site, 'manager', 'kafka.connect', 'the connect manager needs Kafka Connect (kafka.connect: true)');
    const namespace = props.namespace ?? set.namespace;
    if (namespace !== set.namespace) fail(site, 'manager', 'namespace', `must be the ConfigMap's namespace ${set.namespace}`);
    this.managerId = `${site}-connect-manager`;
    this.deployment = new AppDeployment(this, 'app', {
      site,
      app: 'connect-manager',
      namespace,
      image: props.image,
      args: ['--desired', DESIRED_MOUNT, '--watch', String(set.settings.manager.intervalSeconds), '--restart-failed'],
      env: { CONNECT_URL: kafka.connectUrl, KAFKA_BROKERS: kafka.bootstrapServers, CONNECT_MANAGER_ID: this.managerId, LOG_LEVEL: 'info' },
      configMapMounts: { [set.configMapName]: DESIRED_MOUNT },
      replicas: set.settings.manager.replicas,
      resources: props.resources ?? { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      dependsOn: [set.configMap, ...(props.dependsOn ?? [])],
    });
  }
}
