/**
 * The 1 Hz aggregator (apps/aggregator) where a site runs it (`apps.aggregator.enabled`), each with the
 * influxdb-sink of its aggregated topics:
 *  - at an aggregator site, one per replicated source: its `<prefix>.lsst.sal.*` decoded with the
 *    source's registry (the remote registry, or the site's own in import mode), aggregated into
 *    `<prefix>.lsst.efd.agg.*` whose schemas go to the site's own registry; the sink strips the prefix
 *    and tags the points with the source (`site=summit`), as the raw sinks do;
 *  - elsewhere (a source or standalone site, "at the source"), the site's own `lsst.sal.*` → `lsst.efd.agg.*`.
 * Replicas share the partitions (one consumer group per Deployment). The aggregated measurements
 * (`lsst.efd.agg.<topic>`) go to `apps.aggregator.retentionPolicy`, by default the longest-kept tier.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Site } from '../config/schema';
import { durationSeconds } from '../config/duration';
import { salTopicsRegex } from '../config/names';
import type { ReplicationFlow } from '../config/topology';
import { AppDeployment } from './app-deployment';
import { InfluxDbSinkApp, sourceSink, SourceSinksProps } from './connectors/influxdb-sink-app';
import { REGISTRY_FLAVOR } from './kafka-platform';
import { remoteRegistryUrl, replicatedSource } from './replication/inbound';

/** The retention policy of the aggregated measurements: the configured tier, else the longest-kept one. */
export function aggregatedTier(site: Site): string {
  if (site.apps.aggregator.retentionPolicy) return site.apps.aggregator.retentionPolicy;
  return [...site.retention.tiers].sort((a, b) => durationSeconds(b.duration) - durationSeconds(a.duration))[0].name;
}

/** Prefixes of the aggregated topics a site has: each replicated source's at an aggregator, else the site's own (''). */
export function aggregatorPrefixes(flows?: readonly ReplicationFlow[]): string[] {
  return flows?.length ? flows.map((f) => f.prefix) : [''];
}

export interface AggregatorAppsProps extends SourceSinksProps {
  /** At an aggregator site: the flows into it (one aggregator per source). @default [] (the site's own topics) */
  readonly flows?: ReplicationFlow[];
  readonly dependsOn?: ITerraformDependable[];
}

export class AggregatorApps extends Construct {
  /** Per source prefix ('' for the site's own topics). */
  readonly aggregators: Record<string, AppDeployment> = {};
  readonly sinks: Record<string, InfluxDbSinkApp> = {};

  constructor(scope: Construct, id: string, props: AggregatorAppsProps) {
    super(scope, id);
    const { site, kafka } = props;
    const own = kafka.schemaRegistryUrl;
    if (!own)
      throw new Error(
        `site "${site.name}": apps.aggregator reads and writes Avro and needs the schema registry; set kafka.schemaRegistry: true`,
      );
    const s = site.apps.aggregator;
    const tier = aggregatedTier(site);
    const env = { EFD_REGISTRY_FLAVOR: REGISTRY_FLAVOR, LOG_LEVEL: 'info' };
    const sources: { prefix: string; registry: string; flow?: ReplicationFlow }[] = props.flows?.length
      ? props.flows.map((flow) => ({
          prefix: flow.prefix,
          flow,
          registry: flow.settings.schemas === 'remote-registry' ? remoteRegistryUrl(flow.prefix, site.namespaces.kafka) : own,
        }))
      : [{ prefix: '', registry: own }];
    for (const src of sources) {
      const name = src.prefix ? `aggregator-${src.prefix}` : 'aggregator';
      const args = [
        '--topics-regex',
        salTopicsRegex(src.prefix ? `${src.prefix}.` : ''),
        '--registry',
        src.registry,
        ...(src.registry !== own ? ['--out-registry', own] : []),
        '--brokers',
        kafka.bootstrapServers,
        '--group',
        `${site.name}-${name}`,
        '--client-id',
        `${site.name}-${name}`,
        '--grace-ms',
        String(s.graceMs),
      ];
      this.aggregators[src.prefix] = new AppDeployment(this, name, {
        site: site.name,
        app: 'aggregator',
        name,
        namespace: site.namespaces.apps,
        image: props.image,
        replicas: s.replicas,
        args,
        env,
        resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
        dependsOn: props.dependsOn,
      });
      this.sinks[src.prefix] = sourceSink(this, `sink-${src.prefix || 'own'}`, props, {
        source: src.flow ? replicatedSource(src.flow, own) : undefined,
        aggregated: { retentionPolicy: tier },
        dependsOn: props.dependsOn,
      });
    }
  }
}
