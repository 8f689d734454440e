import { loadSites, loadSitesFrom } from '../../config/load';
import { deriveTopology, ReplicationFlow } from '../../config/topology';
import { validateSpecs } from '../../config/connector-spec';
import { literalRegex, mirrorMaker2Specs, MIRROR_SOURCE } from './mirrormaker2';
import { replicationSpecs, siteReplicationEndpoints } from './replication';
import { replicatorKeyProblems, REPLICATOR_CLASS } from './replicator';
import { Testing } from 'cdktf';
import { ReplicationStack } from '../../stacks/replication-stack';

const sites = loadSites();
const byName = (n: string) => sites.find((s) => s.name === n)!;
const flows = deriveTopology(sites).flows;
const summit = flows.find((f) => f.source === 'summit')!;

function flowWith(replication: string): ReplicationFlow {
  return sitesWith(replication).flow;
}
function sitesWith(replication: string) {
  const t = 'target: {kind: kubeconfig, context: c}\nstorage: {provisioner: p}\n';
  const s = loadSitesFrom([
    {
      file: 'ldf.yaml',
      text: `name: ldf\nrole: aggregator\nproduction: false\n${t}inbound: {bootstrapServers: "ldf:9094", schemaRegistryUrl: "http://ldf-registry:8081"}\n`,
    },
    { file: 'summit.yaml', text: `name: summit\nrole: source\nproduction: false\n${t}replicateTo: ldf\nreplication: ${replication}\n` },
  ]);
  return { flow: deriveTopology(s).flows[0], source: s.find((x) => x.name === 'summit')!, aggregator: s.find((x) => x.name === 'ldf')! };
}

/** The Deployments of a `<source>-replication` stack, by name. */
function replicationDeployments(replication: string): Record<string, any> {
  const stack = new ReplicationStack(Testing.app(), 'summit-replication', sitesWith(replication));
  const json = JSON.parse(Testing.synth(stack));
  return Object.fromEntries(Object.values(json.resource.kubernetes_deployment_v1 ?? {}).map((d: any) => [d.metadata.name, d]));
}
const endpoints = {
  sourceBootstrapServers: 'summit-kafka:9092',
  sourceSchemaRegistryUrl: 'http://summit-registry:8081',
  targetReplicationFactor: 3,
  sourceReplicationFactor: 1,
};

describe('mirrormaker2 engine', () => {
  it('renames to <site>.<topic> with the default policy, replicates the schemas topic, keeps offset-syncs on the source', () => {
    const specs = replicationSpecs(summit, siteReplicationEndpoints(byName('summit'), byName('ldf')));
    expect(specs.map((s) => s.name)).toEqual(['replication-summit-source', 'replication-summit-heartbeat']);
    expect(validateSpecs(specs, 'test')).toHaveLength(2);
    expect(specs[0].config).toMatchObject({
      'connector.class': MIRROR_SOURCE,
      'source.cluster.alias': 'summit',
      'target.cluster.alias': 'ldf',
      'source.cluster.bootstrap.servers': 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
      'target.cluster.bootstrap.servers': 'kafka-bootstrap.efd.ldf.example:9094',
      'replication.policy.class': 'org.apache.kafka.connect.mirror.DefaultReplicationPolicy',
      'replication.policy.separator': '.',
      topics: 'lsst[.]sal[.].*,_schemas',
      'tasks.max': '3',
      'replication.factor': '3',
      'sync.topic.configs.enabled': 'true',
      'refresh.topics.enabled': 'true',
      'emit.offset-syncs.enabled': 'false',
      'producer.override.linger.ms': '5',
      'producer.override.compression.type': 'lz4',
      'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    });
    // The heartbeat is emitted at the source (it travels with the data as summit.heartbeats).
    expect(specs[0].config['offset-syncs.topic.location']).toBeUndefined();
    expect(specs[1].config).toMatchObject({
      'producer.override.bootstrap.servers': 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
      'target.cluster.bootstrap.servers': 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
      'emit.heartbeats.interval.seconds': '1',
    });
  });

  it('adds checkpoints and consumer overrides on request, leaves the schemas topic out in import mode', () => {
    const specs = mirrorMaker2Specs(
      flowWith('{schemas: import, checkpoints: true, heartbeats: false, consumer: {max.poll.records: "2000"}, tasks: 2}'),
      endpoints,
    );
    expect(specs.map((s) => s.name)).toEqual(['replication-summit-source', 'replication-summit-checkpoint']);
    expect(specs[0].config).toMatchObject({
      topics: 'lsst[.]sal[.].*',
      'emit.offset-syncs.enabled': 'true',
      'offset-syncs.topic.location': 'source',
      'source.consumer.max.poll.records': '2000',
      'tasks.max': '2',
      'offset-syncs.topic.replication.factor': '1',
    });
    expect(specs[1].config).toMatchObject({
      'connector.class': 'org.apache.kafka.connect.mirror.MirrorCheckpointConnector',
      'checkpoints.topic.replication.factor': '3',
      'source.consumer.max.poll.records': '2000',
    });
  });

  it('refuses a topics regex MirrorMaker 2 would split at its comma', () => {
    expect(() => mirrorMaker2Specs(flowWith('{topicsRegex: "lsst[.]sal[.]A{1,2}"}'), endpoints)).toThrow(
      /site "summit": replication.topicsRegex: MirrorMaker 2 splits "topics" at commas/,
    );
    expect(literalRegex('kafkasql-journal.v1')).toBe('kafkasql-journal[.]v1');
  });
});

describe('replicator engine', () => {
  it('renames with topic.rename.format, translates schemas into the aggregator registry, licence from a Secret; every key documented', () => {
    const [spec] = replicationSpecs(
      flowWith('{engine: replicator, licenseSecret: confluent-license, schemas: import}'),
      endpoints,
      '/opt/efd/connect-secrets',
    );
    expect(spec.name).toBe('replication-summit-replicator');
    expect(spec.config).toMatchObject({
      'connector.class': REPLICATOR_CLASS,
      'topic.rename.format': 'summit.${topic}',
      'topic.regex': 'lsst[.]sal[.].*',
      'src.kafka.bootstrap.servers': 'summit-kafka:9092',
      'dest.kafka.bootstrap.servers': 'ldf:9094',
      'schema.registry.topic': '_schemas',
      'schema.registry.url': 'http://ldf-registry:8081',
      'schema.subject.translator.class': 'io.confluent.connect.replicator.schemas.DefaultSubjectTranslator',
      'confluent.license': '${dir:/opt/efd/connect-secrets/confluent-license:license}',
    });
    expect(replicatorKeyProblems(spec.config)).toEqual([]);
    expect(validateSpecs([spec], 'test')).toHaveLength(1);
  });

  it('replicates the schemas topic as data for the remote registry; flags undocumented keys and values', () => {
    const [spec] = replicationSpecs(flowWith('{engine: replicator, licenseSecret: lic}'), endpoints);
    expect(spec.config['topic.regex']).toBe('lsst[.]sal[.].*|_schemas');
    expect(spec.config['schema.registry.url']).toBeUndefined();
    expect(replicatorKeyProblems({ ...spec.config, 'topic.renames': 'x', 'topic.auto.create': 'yes' })).toEqual([
      '"topic.auto.create" = "yes": expected one of true, false',
      '"topic.renames" is not a documented Replicator key',
    ]);
    expect(replicatorKeyProblems({ 'connector.class': REPLICATOR_CLASS })).toEqual([
      '"src.kafka.bootstrap.servers" is required',
      '"dest.kafka.bootstrap.servers" is required',
      '"topic.rename.format" is required',
    ]);
  });
});

describe('import mode', () => {
  it('MirrorMaker 2: the stack runs the schema import (salschema import --watch) from the source registry to the aggregator, renamed, ids kept', () => {
    const d = replicationDeployments('{schemas: import}');
    expect(Object.keys(d).sort()).toEqual(['connect-manager', 'schema-import-summit']);
    const c = d['schema-import-summit'].spec.template.spec.container[0];
    expect(c.image).toMatch(/\/salschema:/);
    expect(c.args).toEqual([
      'salschema',
      'import',
      '--from',
      'http://cp-cp-schema-registry.kafka.svc.cluster.local:8081',
      '--to',
      'http://ldf-registry:8081',
      '--prefix',
      'summit',
      '--topics-regex',
      'lsst[.]sal[.].*',
      '--target-flavor',
      'confluent',
      '--watch',
      '60',
      '--metrics-port',
      '9090',
    ]);
    expect(d['schema-import-summit'].metadata.namespace).toBe('efd-replication');
  });

  it('no schema import for the remote registry (the default), nor for Replicator (it translates schemas itself)', () => {
    expect(Object.keys(replicationDeployments('{}'))).toEqual(['connect-manager']);
    expect(Object.keys(replicationDeployments('{engine: replicator, licenseSecret: lic, schemas: import}'))).toEqual(['connect-manager']);
  });
});
