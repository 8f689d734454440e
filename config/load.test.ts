import { loadSites, loadSitesFrom, SiteConfigError, unknownSitesMessage } from './load';

const GOOD_GCP = `name: gcp
role: standalone
production: false
target:
  kind: gke
  project: lsst-efd-prototype
  region: us-central1
  cluster:
    nodePool:
      machineType: n1-standard-2
      nodeCount: 3
`;

function problemsOf(text: string, file = 'config/sites/gcp.yaml', extra: { file: string; text: string }[] = []): string {
  try {
    loadSitesFrom([{ file, text }, ...extra]);
  } catch (err) {
    expect(err).toBeInstanceOf(SiteConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

/** The good gcp site with these retention tiers (flow maps, one a line, as `name: raw, duration: 1d, …`). */
const withTiers = (...tiers: string[]) => GOOD_GCP + 'retention:\n  tiers:\n' + tiers.map((t) => `    - {${t}}\n`).join('');

describe('site configuration', () => {
  it('loads the four project sites with their roles', () => {
    const sites = loadSites();
    expect(sites.map((s) => [s.name, s.role, s.production])).toEqual([
      ['gcp', 'standalone', false],
      ['ldf', 'aggregator', true],
      ['summit', 'source', true],
      ['test-stand', 'source', true],
    ]);
  });

  it('fills documented defaults: n1-standard-4 x 4 with pd-ssd and seed-001 retention tiers', () => {
    const [site] = loadSitesFrom([
      {
        file: 'config/sites/gcp.yaml',
        text: 'name: gcp\nrole: standalone\nproduction: false\ntarget: {kind: gke, project: my-project, region: us-central1}\n',
      },
    ]);
    expect(site.target.kind === 'gke' && site.target.cluster.nodePool).toEqual({
      machineType: 'n1-standard-4',
      nodeCount: 4,
      bootDiskType: 'pd-ssd',
      bootDiskSizeGb: 100,
      localSsdCount: 1,
    });
    expect(site.retention.tiers.map((t) => [t.name, t.duration, t.shardDuration])).toEqual([
      ['raw', '7d', '1h'],
      ['intermediate', '30d', '1d'],
      ['lowres', '365d', '7d'],
    ]);
  });

  it('accepts the first prototype: 3 x n1-standard-2', () => {
    const [site] = loadSitesFrom([{ file: 'config/sites/gcp.yaml', text: GOOD_GCP }]);
    expect(site.target.kind === 'gke' && site.target.cluster.nodePool.machineType).toBe('n1-standard-2');
  });

  it('rejects an unknown field, naming site, file, line and field', () => {
    const msg = problemsOf(GOOD_GCP + 'kafak:\n  brokers: 3\n');
    expect(msg).toContain('site "gcp", config/sites/gcp.yaml:12, field kafak: unknown field "kafak"');
  });

  it('rejects a wrong type', () => {
    const msg = problemsOf(GOOD_GCP.replace('nodeCount: 3', 'nodeCount: three'));
    expect(msg).toMatch(/gcp\.yaml:11, field target\.cluster\.nodePool\.nodeCount: expected number, received string/);
  });

  it('rejects a missing target', () => {
    const msg = problemsOf('name: gcp\nrole: standalone\nproduction: false\n');
    expect(msg).toMatch(/field target: .*expected a target of kind "gke"/);
  });

  it('rejects a misspelt n1 machine type', () => {
    const msg = problemsOf(GOOD_GCP.replace('n1-standard-2', 'n1-standrad-2'));
    expect(msg).toMatch(/gcp\.yaml:10, field target\.cluster\.nodePool\.machineType: expected one of n1-standard-1, n1-standard-2/);
  });

  it('rejects negative sizes', () => {
    const msg = problemsOf(GOOD_GCP + 'kafka:\n  storageGi: -5\n  brokers: 0\n');
    expect(msg).toContain(
      'field kafka.storageGi: expected an integer from 1 to 65536 (Gi per broker; a persistent volume holds at most 64 Ti)',
    );
    expect(msg).toContain('field kafka.brokers: expected an integer from 1 to 100 (brokers)');
    expect(msg).toContain('2 problems');
  });

  it('rejects absurd counts and sizes, giving the allowed range', () => {
    const msg = problemsOf(
      GOOD_GCP.replace('nodeCount: 3', 'nodeCount: 100000\n      bootDiskSizeGb: 1000000000') +
        'kafka:\n  brokers: 1000\n  storageGi: 100000000\n  heap: 0G\n  brokerResources: {requests: {cpu: "5000", memory: lots}}\ninfluxdb:\n  storageGi: 1.5\n' +
        'apps:\n  saltransform: {replicas: 500}\n',
    );
    expect(msg).toContain(
      "gcp.yaml:11, field target.cluster.nodePool.nodeCount: expected an integer from 1 to 1000 (nodes per zone; GKE's limit per node pool)",
    );
    expect(msg).toContain(
      'gcp.yaml:12, field target.cluster.nodePool.bootDiskSizeGb: expected an integer from 10 to 65536 (GB; a GCE persistent disk holds 10 GB to 64 TB)',
    );
    expect(msg).toContain('gcp.yaml:14, field kafka.brokers: expected an integer from 1 to 100 (brokers)');
    expect(msg).toContain(
      'gcp.yaml:15, field kafka.storageGi: expected an integer from 1 to 65536 (Gi per broker; a persistent volume holds at most 64 Ti)',
    );
    expect(msg).toContain('gcp.yaml:16, field kafka.heap: expected a JVM heap from 128M to 64G, got "0G"');
    expect(msg).toContain('field kafka.brokerResources.requests.cpu: expected cpu from 1m to 256 cores, got "5000"');
    expect(msg).toContain(
      'field kafka.brokerResources.requests.memory: expected a Kubernetes memory quantity such as "512Mi" or "8Gi", got "lots"',
    );
    expect(msg).toContain(
      'gcp.yaml:19, field influxdb.storageGi: expected an integer from 1 to 65536 (Gi; a persistent volume holds at most 64 Ti)',
    );
    expect(msg).toContain('gcp.yaml:21, field apps.saltransform.replicas: expected an integer from 1 to 64 (replicas)');
    expect(msg).toContain('9 problems');
  });

  it('reports a duration it cannot read once, on its field, with what was likely meant', () => {
    const msg = problemsOf(
      GOOD_GCP +
        'retention:\n  tiers:\n    - name: raw\n      duration: 24 hours\n      shardDuration: 1h\nkafka:\n  logRetention: 3 days\n',
    );
    expect(msg).toContain(
      'site "gcp", config/sites/gcp.yaml:15, field retention.tiers[0].duration: "24 hours" is not a duration: use a number and a unit of s, m, h, d or w, e.g. "24h" (or "INF")',
    );
    expect(msg).toContain(
      'site "gcp", config/sites/gcp.yaml:18, field kafka.logRetention: "3 days" is not a duration: use a number and a unit of s, m, h, d or w, e.g. "3d" (or "INF")',
    );
    expect(msg).toContain('2 problems');
  });

  it('rejects Kafka retentions it would have to round: offsets in seconds, offsets kept forever', () => {
    expect(problemsOf(GOOD_GCP + 'kafka:\n  logRetention: 1d\n  offsetsRetention: 90s\n')).toContain(
      'gcp.yaml:14, field kafka.offsetsRetention: expected whole minutes (Kafka\'s offsets.retention.minutes), at least "1m"; "90s" would be rounded',
    );
    expect(problemsOf(GOOD_GCP + 'kafka:\n  logRetention: INF\n')).toContain(
      'field kafka.offsetsRetention: expected a finite offsetsRetention: the log retention "INF" is its default, and Kafka keeps consumer offsets for a number of minutes, never forever',
    );
    // A log retention that is not whole hours is kept exactly (log.retention.ms, constructs/kafka-platform.ts).
    expect(loadSitesFrom([{ file: 'config/sites/gcp.yaml', text: GOOD_GCP + 'kafka:\n  logRetention: 90m\n' }])[0].kafka.logRetention).toBe(
      '90m',
    );
  });

  it('rejects a downsampling interval longer than its tier', () => {
    const msg = problemsOf(
      withTiers('name: raw, duration: 1d, shardDuration: 1h', 'name: low, duration: 7d, shardDuration: 1d, source: raw, interval: 30d'),
    );
    expect(msg).toContain(
      'gcp.yaml:15, field retention.tiers[1].interval: expected an interval no longer than the tier\'s duration (7d): a 30d point would outlive the tier; got "30d"',
    );
  });

  it('names a site replicating to itself as such (not as a role mismatch)', () => {
    const summit =
      'name: summit\nrole: source\nproduction: true\ntarget: {kind: kubeconfig, context: s}\nstorage: {provisioner: p}\nreplicateTo: summit\n';
    const msg = problemsOf(summit, 'config/sites/summit.yaml');
    expect(msg).toContain('site "summit", config/sites/summit.yaml, field replicateTo: a site cannot replicate to itself ("summit")');
    expect(msg).not.toMatch(/role|aggregator site/);
  });

  it('rejects a duplicate site name', () => {
    const msg = problemsOf(GOOD_GCP, 'config/sites/gcp.yaml', [{ file: 'config/sites/gcp.yml', text: GOOD_GCP }]);
    expect(msg).toContain(
      'site "gcp", config/sites/gcp.yml, field name: duplicate site name: "gcp" is already defined in config/sites/gcp.yaml',
    );
  });

  it('rejects an on-prem site without a kubeconfig context', () => {
    const msg = problemsOf(
      'name: summit\nrole: source\nproduction: true\ntarget:\n  kind: kubeconfig\n  kubeconfig: /etc/k3s.yaml\nstorage: {provisioner: rancher.io/local-path}\n',
      'config/sites/summit.yaml',
    );
    expect(msg).toMatch(/site "summit", config\/sites\/summit\.yaml:4, field target\.context: missing; expected string/);
  });

  it('rejects a site whose name differs from its file', () => {
    expect(problemsOf(GOOD_GCP, 'config/sites/gke.yaml')).toContain('field name: expected "gke" to match the file name');
  });

  it('rejects a retention tier reading from an unknown tier and a shard longer than its tier', () => {
    const msg = problemsOf(
      withTiers('name: raw, duration: 1h, shardDuration: 1d', 'name: low, duration: 30d, shardDuration: 1d, source: rwa, interval: 1m'),
    );
    expect(msg).toContain("field retention.tiers[0].shardDuration: expected a shard duration no longer than the tier's duration (1h)");
    expect(msg).toContain('field retention.tiers[1].source: expected the name of an earlier tier (raw)');
  });

  it('rejects the mock producer on a production site', () => {
    const summit =
      'name: summit\nrole: source\nproduction: true\ntarget: {kind: kubeconfig, context: s}\nstorage: {provisioner: p}\napps:\n  salmock: {enabled: true}\n';
    expect(problemsOf(summit, 'config/sites/summit.yaml')).toContain('field apps.salmock.enabled: expected false on a production site');
  });

  it('rejects a shard duration under an hour', () => {
    const msg = problemsOf(withTiers('name: raw, duration: 1d, shardDuration: 30m'));
    expect(msg).toContain(
      'field retention.tiers[0].shardDuration: InfluxDB raises shard durations under 1h to 1h; expected "1h" or longer, got "30m"',
    );
  });

  it('rejects the tiers influxdb-init would refuse: a retention under an hour, an infinite interval', () => {
    const msg = problemsOf(
      withTiers('name: raw, duration: 30m, shardDuration: 1h', 'name: low, duration: 30d, shardDuration: 1d, source: raw, interval: INF'),
    );
    expect(msg).toContain(
      'field retention.tiers[0].duration: InfluxDB keeps data at least 1h; expected "1h" or longer (or "INF"), got "30m"',
    );
    expect(msg).toContain('field retention.tiers[1].interval: expected a finite interval such as "30s"');
  });

  it('rejects replication to a site that is not an aggregator', () => {
    const summit =
      'name: summit\nrole: source\nproduction: true\nreplicateTo: gcp\ntarget: {kind: kubeconfig, context: s}\nstorage: {provisioner: p}\n';
    expect(problemsOf(GOOD_GCP, 'config/sites/gcp.yaml', [{ file: 'config/sites/summit.yaml', text: summit }])).toContain(
      'field replicateTo: expected an aggregator site; "gcp" has role standalone',
    );
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problemsOf('name: gcp\nrole: [standalone\n')).toMatch(/gcp\.yaml:[23], field \(top level\): YAML syntax/);
  });
});

describe('unknownSitesMessage', () => {
  const sites = [{ name: 'gcp' }, { name: 'summit' }];
  it('names every unknown site and the known ones; nothing when all are known', () => {
    expect(unknownSitesMessage(sites, ['summit', 'moon', 'mars'])).toBe(
      'unknown site "moon", "mars"; known sites: gcp, summit (config/sites/*.yaml)',
    );
    expect(unknownSitesMessage(sites, ['gcp', 'summit'])).toBeUndefined();
    expect(unknownSitesMessage(sites, [])).toBeUndefined();
  });
});
