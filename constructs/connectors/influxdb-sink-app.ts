/**
 * The influxdb-sink app as a Deployment: the EFD's default InfluxDB sink (SAL topics → InfluxDB raw
 * tier, arrays flattened, dead-letter topic, Prometheus metrics). Settings come from the site's
 * `connectors.influxDbSink` section (flags from ./influxdb-sink-flags.ts); InfluxDB credentials from the
 * admin Secret as environment (INFLUXDB_USER / INFLUXDB_PASSWORD), never literals. At an aggregator, one
 * more per replicated source (`source`): its `<prefix>.lsst.sal.*` topics, decoded with its registry,
 * tagged with its prefix.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Resources, Site } from '../../config/schema';
import { AppDeployment, AppImage } from '../app-deployment';
import { influxDbCredentialEnv } from '../influxdb';
import { REGISTRY_FLAVOR } from '../kafka-platform';
import { fail } from './common';
import type { ConnectorInfluxDb, ConnectorKafka } from './connector-set';
import { influxDbSinkSchema } from '../../config/connectors';
import type { SiteConnectors } from '../../config/connectors';
import { influxDbSinkFlags, influxDbSinkName, ReplicatedSource, sinkArgs, SinkFlags } from './influxdb-sink-flags';

/** What a construct that runs an influxdb-sink per source needs for them (AggregatorApps, ReplicationInbound). */
export interface SourceSinksProps {
  readonly site: Site;
  readonly image: AppImage;
  readonly kafka: ConnectorKafka;
  readonly influxdb: ConnectorInfluxDb;
  /** The site's `connectors.influxDbSink`. */
  readonly sinkSettings: SiteConnectors['influxDbSink'];
}

/** The sink `id` in `scope` with the shared props of {@link SourceSinksProps} and its own `source`, `aggregated`, `dependsOn`. */
export function sourceSink(
  scope: Construct,
  id: string,
  p: SourceSinksProps,
  own: Pick<InfluxDbSinkAppProps, 'source' | 'aggregated' | 'dependsOn'>,
): InfluxDbSinkApp {
  return new InfluxDbSinkApp(scope, id, {
    site: p.site,
    image: p.image,
    kafka: p.kafka,
    influxdb: p.influxdb,
    settings: p.sinkSettings,
    ...own,
  });
}

export interface InfluxDbSinkAppProps {
  readonly site: Site;
  readonly image: AppImage;
  readonly kafka: ConnectorKafka;
  readonly influxdb: ConnectorInfluxDb;
  /** The site's `connectors.influxDbSink` (ConnectorSet.settings.influxDbSink). @default all defaults */
  readonly settings?: SiteConnectors['influxDbSink'];
  /** @default site.namespaces.apps */
  readonly namespace?: string;
  /** @default requests 500m / 512Mi, memory limit 1Gi */
  readonly resources?: Resources;
  readonly dependsOn?: ITerraformDependable[];
  /** At an aggregator: the replicated source this sink writes (its topics, registry, site tag). @default the site's own topics */
  readonly source?: ReplicatedSource;
  /** The sink of the aggregated topics (see influxDbSinkFlags), into this retention policy. @default the raw sink, first tier */
  readonly aggregated?: { retentionPolicy: string };
}

export class InfluxDbSinkApp extends Construct {
  readonly deployment: AppDeployment;
  /** The app's flags (influxDbSinkFlags) and, rendered, the arguments the container runs with (after `influxdb-sink`). */
  readonly flags: SinkFlags;
  readonly args: string[];

  constructor(scope: Construct, id: string, props: InfluxDbSinkAppProps) {
    super(scope, id);
    const { site, kafka, influxdb } = props;
    const s = props.settings ?? influxDbSinkSchema.parse({});
    if (!kafka.schemaRegistryUrl)
      fail(site.name, 'influxDbSink', 'runIn', 'the influxdb-sink reads Avro and needs the schema registry (kafka.schemaRegistry: true)');
    const flags = influxDbSinkFlags({
      site: site.name,
      bootstrapServers: kafka.bootstrapServers,
      schemaRegistryUrl: kafka.schemaRegistryUrl,
      influxdbUrl: influxdb.url,
      database: influxdb.database,
      retentionPolicy: props.aggregated?.retentionPolicy ?? site.retention.tiers[0].name,
      settings: s,
      source: props.source,
      aggregated: props.aggregated !== undefined,
    });
    const args = sinkArgs(flags);
    this.flags = flags;
    this.args = args;
    this.deployment = new AppDeployment(this, 'app', {
      site: site.name,
      app: 'influxdb-sink',
      name: influxDbSinkName(props.source, props.aggregated !== undefined),
      namespace: props.namespace ?? site.namespaces.apps,
      image: props.image,
      args,
      replicas: s.replicas,
      secretEnv: influxDbCredentialEnv(influxdb.adminSecret),
      env: { LOG_LEVEL: 'info', EFD_REGISTRY_FLAVOR: REGISTRY_FLAVOR },
      resources: props.resources ?? { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
      dependsOn: props.dependsOn,
    });
  }
}
