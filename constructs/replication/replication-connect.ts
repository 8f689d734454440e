/**
 * The Kafka Connect deployment of one replication flow, of its own (seed 001: "a Kafka Connect
 * deployment of its own"), at the source site: cp-helm-charts with only cp-kafka-connect, whose
 * workers keep their internal topics in and produce to the aggregator's Kafka (remote producing).
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Release } from '@cdktf/provider-helm/lib/release';
import { CHARTS } from '../charts';
import { HelmChart } from '../helm-chart';
import { mergeValues } from '../helm-values';
import { DEFAULT_SECRETS_MOUNT } from '../../config/connectors';
import { connectWorkerValues } from '../connectors/connect-workers';

export interface ReplicationConnectProps {
  readonly site: string;
  readonly namespace: string;
  /** Helm release name; also names the worker group and its topics at the aggregator, so unique per source. @default `replication-<site>` */
  readonly releaseName?: string;
  /** The worker's Kafka: the aggregator's, as the source site reaches it. */
  readonly bootstrapServers: string;
  /** Replication factor of the worker's config/offset/status topics at the aggregator. */
  readonly replicationFactor: number;
  readonly replicas: number;
  /** JVM heap, e.g. "1G". */
  readonly heap: string;
  readonly image: { repository: string; tag: string };
  /** Worker settings (configurationOverrides). */
  readonly workerConfig: Record<string, string>;
  /** Secrets the connectors reference (mounted read-only under `secretsMountPath`). @default [] */
  readonly secrets?: string[];
  readonly secretsMountPath?: string;
  readonly preventDestroy: boolean;
  readonly dependsOn?: ITerraformDependable[];
}

/** The release name (unique per source: it names the worker group at the aggregator). */
export const replicationReleaseName = (site: string) => `replication-${site}`;

/** The workers' in-cluster REST URL. */
export function replicationConnectUrl(site: string, namespace: string, release = replicationReleaseName(site)): string {
  return `http://${release}-cp-kafka-connect.${namespace}.svc.cluster.local:8083`;
}

export class ReplicationConnect extends Construct {
  readonly chart: HelmChart;
  readonly release: Release;
  /** The workers' REST URL (in-cluster). */
  readonly connectUrl: string;

  private readonly props: ReplicationConnectProps;
  private readonly secrets: Set<string>;
  private secretsMountPath: string;

  constructor(scope: Construct, id: string, props: ReplicationConnectProps) {
    super(scope, id);
    this.props = props;
    this.secrets = new Set(props.secrets ?? []);
    this.secretsMountPath = props.secretsMountPath ?? DEFAULT_SECRETS_MOUNT;
    const release = props.releaseName ?? replicationReleaseName(props.site);
    this.connectUrl = replicationConnectUrl(props.site, props.namespace, release);
    this.chart = new HelmChart(this, 'connect', {
      site: props.site,
      chart: { ...CHARTS.cpHelmCharts, valuesFile: 'replication-connect.yaml' },
      name: release,
      namespace: props.namespace,
      preventDestroy: props.preventDestroy,
      dependsOn: props.dependsOn,
      overrides: this.overrides(),
    });
    this.release = this.chart.release;
  }

  /** Mounts Secrets into the workers at `<mountPath>/<secret>`, read-only (the ConnectorSet calls this on every add). */
  mountConnectorSecrets(secrets: readonly string[], mountPath: string): void {
    if (mountPath !== this.secretsMountPath && this.secrets.size > 0) {
      throw new Error(
        `site "${this.props.site}": replication connectors: the workers mount Secrets under ${this.secretsMountPath}, not ${mountPath}; use one secretsMountPath for every connector`,
      );
    }
    this.secretsMountPath = mountPath;
    const added = secrets.filter((s) => !this.secrets.has(s));
    if (added.length === 0) return;
    for (const s of added) this.secrets.add(s);
    this.chart.setOverrides(this.overrides());
  }

  private overrides(): Record<string, unknown> {
    const props = this.props;
    const rf = String(props.replicationFactor);
    return {
      'cp-kafka-connect': mergeValues(connectWorkerValues([...this.secrets].sort(), this.secretsMountPath), {
        replicaCount: props.replicas,
        image: props.image.repository,
        imageTag: props.image.tag,
        heapOptions: `-Xms${props.heap} -Xmx${props.heap}`,
        kafka: { bootstrapServers: props.bootstrapServers },
        configurationOverrides: {
          ...connectWorkerValues([]).configurationOverrides,
          ...props.workerConfig,
          'config.storage.replication.factor': rf,
          'offset.storage.replication.factor': rf,
          'status.storage.replication.factor': rf,
        },
      }),
    };
  }
}
