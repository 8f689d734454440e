/**
 * One replication flow, source → aggregator, behind one set of props for both engines:
 *  - `mirrormaker2` (default): MirrorSourceConnector + heartbeats (+ checkpoints) (./mirrormaker2.ts);
 *  - `replicator`: Confluent Replicator (./replicator.ts), licence key from a Secret.
 * Deploys, at the source site: the flow's own Kafka Connect (./replication-connect.ts) producing to the
 * aggregator, and the connectors as a ConnectorSet ConfigMap applied by a connect manager against that
 * Connect — the same path as every other connector. Import mode with MirrorMaker 2 (which copies no
 * schemas) adds the schema import: `salschema import --watch 60` as a Deployment (apps/salschema/import.ts),
 * re-registering the source's subjects at the aggregator's registry as `<prefix>.<subject>` with the ids
 * the records carry; Replicator translates schemas itself.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Site } from '../../config/schema';
import type { ReplicationFlow } from '../../config/topology';
import type { ConnectorSpec } from '../../config/connector-spec';
import { brokerSettings, platformEndpoints, REGISTRY_FLAVOR } from '../kafka-platform';
import { ConnectorSet } from '../connectors/connector-set';
import { ConnectManager } from '../connectors/connect-manager';
import { AppDeployment } from '../app-deployment';
import { mirrorMaker2Specs, REPLICATION_WORKER_CONFIG, ReplicationEndpoints } from './mirrormaker2';
import { replicatorSpecs } from './replicator';
import { ReplicationConnect } from './replication-connect';

/** The connector specs of a flow for its engine (the one place the engine is chosen). */
export function replicationSpecs(flow: ReplicationFlow, e: ReplicationEndpoints, secretsMountPath?: string): ConnectorSpec[] {
  return flow.settings.engine === 'replicator' ? replicatorSpecs(flow, e, { secretsMountPath }) : mirrorMaker2Specs(flow, e);
}

/** The endpoints of a flow between two sites of the project. */
export function siteReplicationEndpoints(source: Site, aggregator: Site): ReplicationEndpoints {
  const src = platformEndpoints(source);
  return {
    sourceBootstrapServers: src.bootstrapServers,
    sourceSchemaRegistryUrl: src.schemaRegistryUrl,
    targetReplicationFactor: brokerSettings(aggregator).replicationFactor,
    sourceReplicationFactor: brokerSettings(source).replicationFactor,
  };
}

export interface ReplicationProps {
  readonly flow: ReplicationFlow;
  readonly source: Site;
  readonly aggregator: Site;
  /** The namespace the flow's Connect and manager run in (must exist). */
  readonly namespace: string;
  readonly dependsOn?: ITerraformDependable[];
}

export class Replication extends Construct {
  readonly connect: ReplicationConnect;
  readonly connectors: ConnectorSet;
  readonly manager: ConnectManager;
  readonly specs: ConnectorSpec[];
  /** Import mode with MirrorMaker 2: the schema import Deployment. */
  readonly schemaImport?: AppDeployment;

  constructor(scope: Construct, id: string, props: ReplicationProps) {
    super(scope, id);
    const { flow, source, aggregator, namespace } = props;
    if (flow.source !== source.name || flow.aggregator !== aggregator.name) {
      throw new Error(`replication ${flow.source} → ${flow.aggregator}: built with sites ${source.name} → ${aggregator.name}`);
    }
    const endpoints = siteReplicationEndpoints(source, aggregator);
    const secretsMountPath = source.connectors.secretsMountPath;
    this.specs = replicationSpecs(flow, endpoints, secretsMountPath);
    const s = flow.settings;
    const licence = s.engine === 'replicator' && s.licenseSecret ? [s.licenseSecret] : [];
    this.connect = new ReplicationConnect(this, 'connect', {
      site: source.name,
      namespace,
      bootstrapServers: flow.inbound.bootstrapServers,
      replicationFactor: endpoints.targetReplicationFactor,
      replicas: s.connect.replicas,
      heap: s.connect.heap,
      image: source.kafka.connectImage,
      workerConfig: REPLICATION_WORKER_CONFIG,
      secrets: licence,
      secretsMountPath,
      preventDestroy: source.production,
      dependsOn: props.dependsOn,
    });
    const connect = this.connect;
    const kafka = {
      bootstrapServers: endpoints.sourceBootstrapServers,
      schemaRegistryUrl: endpoints.sourceSchemaRegistryUrl,
      connectUrl: connect.connectUrl,
      mountConnectorSecrets: (secrets: readonly string[], mountPath: string) => connect.mountConnectorSecrets(secrets, mountPath),
    };
    // Only the replication connectors: no site connectors here (the InfluxDB settings are therefore unused).
    this.connectors = new ConnectorSet(this, 'connectors', {
      site: source,
      kafka,
      influxdb: { url: '', database: source.influxdb.database, adminSecret: source.influxdb.adminSecret },
      connectors: {},
      namespace,
      configMapName: 'efd-replication-connectors',
    });
    for (const spec of this.specs) this.connectors.add({ connectorName: spec.name, spec, secrets: licence, secretsMountPath });
    this.manager = new ConnectManager(this, 'manager', {
      set: this.connectors,
      image: { repository: source.apps.imageRepository, tag: source.apps.imageTag },
      kafka,
      dependsOn: [this.connect.release, ...(props.dependsOn ?? [])],
    });
    if (s.schemas === 'import' && s.engine === 'mirrormaker2') {
      if (!endpoints.sourceSchemaRegistryUrl)
        throw new Error(
          `site "${source.name}": replication.schemas: import needs the source's schema registry (kafka.schemaRegistry: true) to read the schemas from`,
        );
      this.schemaImport = new AppDeployment(this, 'schema-import', {
        site: source.name,
        app: 'salschema',
        name: `schema-import-${flow.prefix}`,
        namespace,
        image: { repository: source.apps.imageRepository, tag: source.apps.imageTag },
        args: [
          'import',
          '--from',
          endpoints.sourceSchemaRegistryUrl,
          '--to',
          flow.inbound.schemaRegistryUrl,
          '--prefix',
          flow.prefix,
          '--topics-regex',
          s.topicsRegex,
          '--target-flavor',
          REGISTRY_FLAVOR,
          '--watch',
          '60',
        ],
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        dependsOn: props.dependsOn,
      });
    }
  }
}
