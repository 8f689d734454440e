import { loadSites, loadSitesFrom, SiteConfigError } from './load';
import { deriveTopology, remoteSubject, remoteTopic, remoteTopicsRegex, sourceOfTopic } from './topology';

const target = 'target: {kind: kubeconfig, context: c}\nstorage: {provisioner: p}\n';
const inbound = 'inbound: {bootstrapServers: "agg:9094", schemaRegistryUrl: "http://agg:8081"}\n';
const site = (name: string, role: string, extra = '') => ({
  file: `config/sites/${name}.yaml`,
  text: `name: ${name}\nrole: ${role}\nproduction: false\n${target}${extra}`,
});

function problemsOf(sources: { file: string; text: string }[]): string {
  try {
    loadSitesFrom(sources);
  } catch (err) {
    expect(err).toBeInstanceOf(SiteConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the topology to be rejected');
}

describe('rename policy', () => {
  it('prefixes topics and subjects with the source and finds the source back', () => {
    expect(remoteTopic('summit', 'lsst.sal.ATDome.position')).toBe('summit.lsst.sal.ATDome.position');
    expect(remoteSubject('summit', 'lsst.sal.ATDome.position-value')).toBe('summit.lsst.sal.ATDome.position-value');
    expect(sourceOfTopic('test-stand.lsst.sal.ATDome.position', ['summit', 'test-stand'])).toEqual({
      prefix: 'test-stand',
      topic: 'lsst.sal.ATDome.position',
    });
    expect(sourceOfTopic('lsst.sal.ATDome.position', ['summit'])).toBeUndefined();
    const re = new RegExp(`^(?:${remoteTopicsRegex('summit', 'lsst[.]sal[.].*')})$`);
    expect(re.test('summit.lsst.sal.ATDome.position')).toBe(true);
    expect(re.test('lsst.sal.ATDome.position')).toBe(false);
    expect(re.test('summitXlsst.sal.ATDome.position')).toBe(false);
    expect(re.test('test-stand.lsst.sal.ATDome.position')).toBe(false);
  });
});

describe('topology derivation', () => {
  it('derives the project flows from replicateTo: summit and test-stand into ldf, run at the source', () => {
    const t = deriveTopology(loadSites());
    expect(t.flows.map((f) => [f.source, f.aggregator, f.prefix, f.runsAt, f.stack, f.settings.engine])).toEqual([
      ['summit', 'ldf', 'summit', 'summit', 'summit-replication', 'mirrormaker2'],
      ['test-stand', 'ldf', 'test-stand', 'test-stand', 'test-stand-replication', 'mirrormaker2'],
    ]);
    expect(t.flows[0].settings.tasks).toBe(3);
    expect(t.flows[1].settings).toMatchObject({
      tasks: 1,
      schemas: 'remote-registry',
      heartbeats: true,
      checkpoints: false,
      topicsRegex: 'lsst[.]sal[.].*',
    });
    expect(t.flows[0].inbound.bootstrapServers).toBe('kafka-bootstrap.efd.ldf.example:9094');
    expect(t.aggregators).toEqual([
      {
        aggregator: 'ldf',
        sources: ['summit', 'test-stand'],
        prefixes: ['summit', 'test-stand'],
        topicsRegex: 'summit[.](?:lsst[.]sal[.].*)|test-stand[.](?:lsst[.]sal[.].*)',
      },
    ]);
  });

  it('uses a declared prefix instead of the site name', () => {
    const sites = loadSitesFrom([
      site('agg', 'aggregator', inbound),
      site('src', 'source', 'replicateTo: agg\nreplication: {prefix: cp}\n'),
    ]);
    const t = deriveTopology(sites);
    expect(t.flows[0].prefix).toBe('cp');
    expect(t.flows[0].remoteTopicsRegex).toBe('cp[.](?:lsst[.]sal[.].*)');
    expect(t.aggregators[0].prefixes).toEqual(['cp']);
  });
});

describe('topology validation at load (synth)', () => {
  it('names an unknown aggregator, with the sites that exist', () => {
    expect(problemsOf([site('agg', 'aggregator', inbound), site('src', 'source', 'replicateTo: nowhere\n')])).toContain(
      'site "src", config/sites/src.yaml, field replicateTo: expected an existing site; "nowhere" is not one of agg, src',
    );
  });

  it('rejects a site replicating to itself', () => {
    expect(problemsOf([site('src', 'source', 'replicateTo: src\n')])).toContain(
      'site "src", config/sites/src.yaml, field replicateTo: a site cannot replicate to itself ("src")',
    );
  });

  it('rejects an aggregator that replicates, naming the sources it receives', () => {
    const msg = problemsOf([
      site('agg', 'aggregator', `${inbound}replicateTo: agg2\n`),
      site('agg2', 'aggregator', inbound),
      site('src', 'source', 'replicateTo: agg\n'),
    ]);
    expect(msg).toContain(
      'site "agg", config/sites/agg.yaml, field replicateTo: expected no replicateTo on aggregator "agg" (it receives src): an aggregator does not replicate further',
    );
  });

  it('rejects a loop, naming the sites around it once', () => {
    const msg = problemsOf([site('a', 'source', 'replicateTo: b\n'), site('b', 'source', 'replicateTo: a\n')]);
    expect(msg).toContain(
      'site "a", config/sites/a.yaml, field replicateTo: replication loop a → b → a: replication runs one way, from sources to an aggregator',
    );
    expect(msg.match(/replication loop/g)).toHaveLength(1);
    expect(msg).toContain('site "b", config/sites/b.yaml, field replicateTo: expected an aggregator site; "a" has role source');
  });

  it('rejects two sources with the same prefix at one aggregator, naming both files', () => {
    const msg = problemsOf([
      site('agg', 'aggregator', inbound),
      site('s1', 'source', 'replicateTo: agg\nreplication: {prefix: cp}\n'),
      site('s2', 'source', 'replicateTo: agg\nreplication: {prefix: cp}\n'),
    ]);
    expect(msg).toContain(
      'site "s1", config/sites/s1.yaml, field replication.prefix: two sources replicate to "agg" under the prefix "cp": also "s2" (config/sites/s2.yaml); give each a distinct replication.prefix',
    );
    expect(msg).toContain(
      'site "s2", config/sites/s2.yaml, field replication.prefix: two sources replicate to "agg" under the prefix "cp": also "s1" (config/sites/s1.yaml)',
    );
  });

  it("rejects a prefix that takes another source site's name", () => {
    const msg = problemsOf([
      site('agg', 'aggregator', inbound),
      site('s1', 'source', 'replicateTo: agg\n'),
      site('s2', 'source', 'replicateTo: agg\nreplication: {prefix: s1}\n'),
    ]);
    expect(msg).toContain('site "s1", config/sites/s1.yaml, field replicateTo: two sources replicate to "agg" under the prefix "s1"');
  });

  it('asks the aggregator for its inbound endpoints, and Replicator for its licence Secret', () => {
    const msg = problemsOf([site('agg', 'aggregator'), site('src', 'source', 'replicateTo: agg\nreplication: {engine: replicator}\n')]);
    expect(msg).toContain(
      'site "agg", config/sites/agg.yaml, field inbound: expected inbound.bootstrapServers and inbound.schemaRegistryUrl (how src reach this aggregator)',
    );
    expect(msg).toContain(
      'site "src", config/sites/src.yaml, field replication.licenseSecret: expected the Secret holding the Confluent licence key',
    );
  });

  it('rejects replication settings on a site that does not replicate and inbound on a non-aggregator', () => {
    const msg = problemsOf([site('x', 'standalone', `replication: {tasks: 2}\n${inbound}`)]);
    expect(msg).toContain(
      'site "x", config/sites/x.yaml, field replication: expected only on a source site that names its aggregator in replicateTo',
    );
    expect(msg).toContain('site "x", config/sites/x.yaml, field inbound: expected only on an aggregator site; "x" has role standalone');
  });

  it('rejects bad replication fields with the field path and line', () => {
    expect(problemsOf([site('src', 'source', 'replication:\n  tasks: 0\n  producer: {Linger: "5"}\n')])).toMatch(
      /site "src", config\/sites\/src\.yaml:7, field replication\.tasks: .*>=1/,
    );
  });
});
