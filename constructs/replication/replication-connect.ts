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
import { connectWorkerValues } from '../connectors/site-connectors';

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

  constructor(scope: Construct, id: string, props: ReplicationConnectProps) {
    super(scope, id);
    const release = props.releaseName ?? replicationReleaseName(props.site);
    this.connectUrl = replicationConnectUrl(props.site, props.namespace, release);
    const rf = String(props.replicationFactor);
    this.chart = new HelmChart(this, 'connect', {
      site: props.site,
      chart: { ...CHARTS.cpHelmCharts, valuesFile: 'replication-connect.yaml' },
      name: release,
      namespace: props.namespace,
      preventDestroy: props.preventDestroy,
      dependsOn: props.dependsOn,
      overrides: {
        'cp-kafka-connect': mergeValues(connectWorkerValues(props.secrets ?? [], props.secretsMountPath), {
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
      },
    });
    this.release = this.chart.release;
  }
}
