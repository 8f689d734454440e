/**
 * What an aggregator runs for the sources replicating into it (its `<site>-efd` stack), per flow:
 *  - remote-registry mode: a read-only schema registry serving the source's replicated registry topic
 *    (`<prefix>._schemas`), its own registry group (it never joins the aggregator's registry), never
 *    leader (`leader.eligibility=false`: it registers nothing, the source owns its schemas);
 *  - an influxdb-sink for the flow's `<prefix>.lsst.sal.*` topics, decoding with that registry (import
 *    mode: the aggregator's own registry, where the subjects were re-registered), writing into the
 *    aggregator's database with the source's prefix as a tag (./../connectors/influxdb-sink-flags.ts).
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Release } from '@cdktf/provider-helm/lib/release';
import { remoteTopic, ReplicationFlow } from '../../config/topology';
import { CHARTS } from '../charts';
import { HelmChart } from '../helm-chart';
import { InfluxDbSinkApp, sourceSink, SourceSinksProps } from '../connectors/influxdb-sink-app';
import type { ReplicatedSource } from '../connectors/influxdb-sink-flags';

/** The release (and registry group) of a source's remote registry at the aggregator. */
export const remoteRegistryName = (prefix: string) => `remote-registry-${prefix}`;

/** Its in-cluster URL (Confluent API at the root, as the platform's registry). */
export function remoteRegistryUrl(prefix: string, namespace: string): string {
  return `http://${remoteRegistryName(prefix)}-cp-schema-registry.${namespace}.svc.cluster.local:8081`;
}

/** The replicated registry topic a flow's remote registry reads (`summit._schemas`). */
export const remoteSchemasTopic = (flow: ReplicationFlow) => remoteTopic(flow.prefix, flow.settings.schemasTopic);

/** Registry settings of a remote registry (configurationOverrides of cp-schema-registry). */
export function remoteRegistryConfig(flow: ReplicationFlow, replicationFactor: number): Record<string, string> {
  return {
    'kafkastore.topic': remoteSchemasTopic(flow),
    'kafkastore.topic.replication.factor': String(replicationFactor),
    // Its own election group: the default group would join the aggregator's registry.
    'schema.registry.group.id': remoteRegistryName(flow.prefix),
    // Never leader: reads are served from the replicated topic, registrations are refused.
    'leader.eligibility': 'false',
  };
}

/** How the aggregator's sink for a flow finds and tags its topics. */
export function replicatedSource(flow: ReplicationFlow, registryUrl: string): ReplicatedSource {
  return { prefix: flow.prefix, siteTag: flow.inbound.siteTag, topicsRegex: flow.remoteTopicsRegex, schemaRegistryUrl: registryUrl };
}

export interface ReplicationInboundProps extends SourceSinksProps {
  /** The flows into this site (topology: `flows` whose aggregator it is). */
  readonly flows: ReplicationFlow[];
  readonly replicationFactor: number;
  /** What the remote registries wait for (the aggregator's Kafka). */
  readonly registryDependsOn?: ITerraformDependable[];
  /** What the sinks wait for (retention tiers, namespace); each also waits for its registry. */
  readonly dependsOn?: ITerraformDependable[];
}

export class ReplicationInbound extends Construct {
  /** Remote registry release per source prefix (remote-registry mode). */
  readonly registries: Record<string, Release> = {};
  /** Sink per source prefix. */
  readonly sinks: Record<string, InfluxDbSinkApp> = {};

  constructor(scope: Construct, id: string, props: ReplicationInboundProps) {
    super(scope, id);
    const { site, kafka } = props;
    const own = new RegExp(`^(?:${props.sinkSettings.topicsRegex})$`);
    for (const flow of props.flows) {
      if (flow.aggregator !== site.name)
        throw new Error(`site "${site.name}": replication flow ${flow.source} → ${flow.aggregator} is not into this site`);
      const sample = remoteTopic(flow.prefix, 'lsst.sal.ATDome.position');
      if (own.test(sample)) {
        throw new Error(
          `site "${site.name}": connectors.influxDbSink.topicsRegex "${props.sinkSettings.topicsRegex}" matches the replicated topics of "${flow.source}" (${sample}): they would be written twice, untagged; match only this site's topics (e.g. lsst[.]sal[.].*)`,
        );
      }
      let registryUrl = kafka.schemaRegistryUrl;
      if (flow.settings.schemas === 'remote-registry') {
        const namespace = site.namespaces.kafka;
        const chart = new HelmChart(this, `registry-${flow.prefix}`, {
          site: site.name,
          chart: { ...CHARTS.cpHelmCharts, valuesFile: 'remote-registry.yaml' },
          name: remoteRegistryName(flow.prefix),
          namespace,
          preventDestroy: site.production,
          dependsOn: props.registryDependsOn,
          overrides: {
            'cp-schema-registry': {
              kafka: { bootstrapServers: `PLAINTEXT://${kafka.bootstrapServers}` },
              configurationOverrides: remoteRegistryConfig(flow, props.replicationFactor),
            },
          },
        });
        this.registries[flow.prefix] = chart.release;
        registryUrl = remoteRegistryUrl(flow.prefix, namespace);
      }
      if (!registryUrl)
        throw new Error(
          `site "${site.name}": the sink of "${flow.source}"'s replicated topics needs a schema registry (kafka.schemaRegistry: true)`,
        );
      this.sinks[flow.prefix] = sourceSink(this, `sink-${flow.prefix}`, props, {
        source: replicatedSource(flow, registryUrl),
        dependsOn: [...(props.dependsOn ?? []), ...(this.registries[flow.prefix] ? [this.registries[flow.prefix]] : [])],
      });
    }
  }
}
