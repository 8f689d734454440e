import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdktf';
import { loadSites } from '../config/load';
import { aggregatedTopicsRegexOf } from '../config/names';
import { synthSites } from '../scripts/synth';
import { normalizeStack } from './normalize';
import { parsePoliciesJson } from '../apps/connect-manager/topics';
import { EfdStack } from './efd-stack';
import { buildSites } from './app';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { COMMITTED_STACKS, onPremSite, gkeSite } from '../test/sites';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-synth-'));
const sites = loadSites();
synthSites(sites, outdir);
const stackJson = (name: string) => JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('all sites', () => {
  it('produce a cluster stack for GKE, an efd stack for every site, a replication stack for every source and an alerts stack where a site has alerts', () => {
    expect(fs.readdirSync(path.join(outdir, 'stacks')).sort()).toEqual(COMMITTED_STACKS);
  });

  it.each(['gcp-cluster', 'gcp-efd', 'ldf-efd', 'summit-efd', 'summit-replication', 'test-stand-efd', 'test-stand-replication'])(
    '%s matches its normalised snapshot',
    (name) => {
      expect(normalizeStack(stackJson(name))).toMatchSnapshot();
    },
  );

  it('wires the GKE site providers from the cluster, with a GCS backend per stack', () => {
    const gcp = stackJson('gcp-efd');
    expect(gcp.provider.kubernetes[0]).toEqual({
      host: expect.stringMatching(/^https:\/\/\$\{data\.google_container_cluster\.access_cluster_\w+\.endpoint\}$/),
      token: expect.stringMatching(/^\$\{data\.google_client_config\.access_client_\w+\.access_token\}$/),
      cluster_ca_certificate: expect.stringMatching(
        /^\$\{base64decode\(data\.google_container_cluster\.access_cluster_\w+\.master_auth\[0\]\.cluster_ca_certificate\)\}$/,
      ),
    });
    expect(gcp.provider.helm[0].kubernetes).toEqual(gcp.provider.kubernetes[0]);
    expect(gcp.terraform.backend).toEqual({ gcs: { bucket: 'lsst-efd-prototype-tfstate', prefix: 'efd/gcp-efd' } });
    expect(stackJson('gcp-cluster').terraform.backend).toEqual({
      gcs: { bucket: 'lsst-efd-prototype-tfstate', prefix: 'efd/gcp-cluster' },
    });
  });

  it('wires on-prem providers from kubeconfig and context, with local state', () => {
    const summit = stackJson('summit-efd');
    expect(summit.provider.kubernetes).toEqual([{ config_path: '~/.kube/config', config_context: 'summit-efd' }]);
    expect(summit.provider.helm).toEqual([{ kubernetes: { config_path: '~/.kube/config', config_context: 'summit-efd' } }]);
    expect(summit.terraform.backend).toEqual({ local: { path: '../../../state/summit-efd.tfstate' } });
  });

  it('creates the GKE ssd class on pd-ssd and lets the experiment site be destroyed', () => {
    const classes = Object.values(stackJson('gcp-efd').resource.kubernetes_storage_class_v1) as Record<string, unknown>[];
    expect(classes).toEqual([
      expect.objectContaining({
        storage_provisioner: 'pd.csi.storage.gke.io',
        parameters: { type: 'pd-ssd' },
        volume_binding_mode: 'WaitForFirstConsumer',
        allow_volume_expansion: true,
        reclaim_policy: 'Delete',
      }),
    ]);
    expect(JSON.stringify(stackJson('gcp-efd'))).not.toContain('prevent_destroy');
    expect(stackJson('gcp-cluster').resource.google_container_cluster).toEqual({
      gke_cluster_C5D95197: expect.objectContaining({ deletion_protection: false }),
    });
  });

  it('protects every namespace and storage class of production sites', () => {
    for (const name of ['summit-efd', 'test-stand-efd', 'ldf-efd']) {
      const resources = stackJson(name).resource;
      for (const type of ['kubernetes_namespace_v1', 'kubernetes_storage_class_v1']) {
        for (const r of Object.values(resources[type] ?? {}) as { lifecycle?: unknown }[])
          expect(r.lifecycle).toEqual({ prevent_destroy: true });
      }
      expect(Object.keys(resources.kubernetes_namespace_v1)).toHaveLength(3);
    }
    expect(stackJson('ldf-efd').resource.kubernetes_storage_class_v1).toBeUndefined();
  });
});

describe('platform wiring', () => {
  it('applies the retention tiers by a Job after the InfluxDB release, with credentials from the admin Secret', () => {
    const summit = stackJson('summit-efd');
    const [jobName, job] = Object.entries(summit.resource.kubernetes_job_v1)[0] as [string, any];
    expect(jobName).toMatch(/^influxdb-init_job_/);
    expect(job.depends_on).toEqual([expect.stringMatching(/^helm_release\.influxdb_release_/)]);
    const container = job.spec.template.spec.container[0];
    expect(container.args.slice(0, 5)).toEqual([
      'influxdb-init',
      '--url',
      'http://influxdb.influxdb.svc.cluster.local:8086',
      '--database',
      'efd',
    ]);
    expect(JSON.parse(container.args[6]).map((t: { name: string }) => t.name)).toEqual(['raw', 'intermediate', 'lowres']);
    expect(container.env).toEqual([
      { name: 'INFLUXDB_USER', value_from: { secret_key_ref: { name: 'influxdb-auth', key: 'influxdb-user' } } },
      { name: 'INFLUXDB_PASSWORD', value_from: { secret_key_ref: { name: 'influxdb-auth', key: 'influxdb-password' } } },
    ]);
  });

  it('fills the downsampled tiers by the influxdb-downsample Deployment (influxdb-init image) after the init Job', () => {
    const summit = stackJson('summit-efd');
    const [name, deployment] = Object.entries(summit.resource.kubernetes_deployment_v1).find(([n]) =>
      n.startsWith('influxdb-downsample_'),
    ) as [string, any];
    expect(name).toMatch(/^influxdb-downsample_deployment_/);
    expect(deployment.depends_on).toEqual([expect.stringMatching(/^kubernetes_job_v1\.influxdb-init_job_/)]);
    expect(deployment.metadata.namespace).toBe('influxdb');
    const container = deployment.spec.template.spec.container[0];
    expect(container.image).toMatch(/\/influxdb-init:[^/]+$/);
    expect(container.args.slice(0, 5)).toEqual([
      'influxdb-downsample',
      '--url',
      'http://influxdb.influxdb.svc.cluster.local:8086',
      '--database',
      'efd',
    ]);
    expect(JSON.parse(container.args[6]).map((t: { name: string }) => t.name)).toEqual(['raw', 'intermediate', 'lowres']);
    expect(container.args.slice(7)).toEqual(['--metrics-port', '9090']);
    expect(container.env.map((e: { name: string }) => e.name)).toEqual(['INFLUXDB_USER', 'INFLUXDB_PASSWORD']);
  });

  it('ships the Grafana dashboard to every site', () => {
    for (const name of ['gcp-efd', 'summit-efd', 'test-stand-efd', 'ldf-efd']) {
      expect(Object.values(stackJson(name).resource.kubernetes_config_map_v1 ?? {}).map((c: any) => c.metadata.name)).toContain(
        'efd-dashboard',
      );
    }
  });
});

describe('EfdStack', () => {
  it('labels namespaces with the site and merges shared ones', () => {
    const site = onPremSite({ namespaces: { kafka: 'efd', influxdb: 'efd', apps: 'efd' } });
    const stack = new EfdStack(Testing.app(), 'summit-efd', { site });
    const out = Testing.synth(stack);
    expect(out).toHaveResourceWithProperties(NamespaceV1, {
      metadata: { name: 'efd', labels: { 'app.kubernetes.io/part-of': 'efd', 'efd.lsst.io/site': 'summit' } },
    });
    expect(Object.keys(JSON.parse(out).resource.kubernetes_namespace_v1)).toHaveLength(1);
    expect(out).toHaveResourceWithProperties(StorageClassV1, {
      storage_provisioner: 'rancher.io/local-path',
      allow_volume_expansion: false,
    });
    expect(stack.storageClassName).toBe('ssd');
  });

  it('fails synth when an invariant fires, naming the rule and site', () => {
    const site = gkeSite({ production: true });
    const app = Testing.app();
    const stack = new EfdStack(app, 'gcp-efd', { site });
    new NamespaceV1(stack, 'scratch', { metadata: { name: 'scratch' } });
    expect(() => app.synth()).toThrow(/invariant destroy-protection: site "gcp", kubernetes_namespace_v1\.scratch/);
  });
});

describe('replication stacks', () => {
  it("run each source's flow at the source: its own Connect producing to the aggregator, connectors applied by a connect manager", () => {
    const summit = stackJson('summit-replication');
    expect(summit.provider.kubernetes).toEqual([{ config_path: '~/.kube/config', config_context: 'summit-efd' }]);
    expect(summit.terraform.backend).toEqual({ local: { path: '../../../state/summit-replication.tfstate' } });
    const [release] = Object.values(summit.resource.helm_release) as any[];
    expect(release).toMatchObject({
      name: 'replication-summit',
      namespace: 'efd-replication',
      chart: 'cp-helm-charts',
      lifecycle: { prevent_destroy: true },
    });
    expect(release.values[0]).toContain('bootstrapServers: kafka-bootstrap.efd.ldf.example:9094');
    const [cm] = Object.values(summit.resource.kubernetes_config_map_v1) as any[];
    expect(Object.keys(cm.data).sort()).toEqual(['replication-summit-heartbeat.json', 'replication-summit-source.json']);
    expect(JSON.parse(cm.data['replication-summit-source.json']).config.topics).toBe('lsst[.]sal[.].*,_schemas');
    const [manager] = Object.values(summit.resource.kubernetes_deployment_v1) as any[];
    const env = Object.fromEntries(manager.spec.template.spec.container[0].env.map((e: any) => [e.name, e.value]));
    expect(env.CONNECT_URL).toBe('http://replication-summit-cp-kafka-connect.efd-replication.svc.cluster.local:8083');
    const testStand = stackJson('test-stand-replication');
    const [tsRelease] = Object.values(testStand.resource.helm_release) as any[];
    expect(tsRelease.name).toBe('replication-test-stand'); // distinct worker group at the aggregator
    expect(Object.keys(stackJson('ldf-efd').resource)).not.toContain('replication');
  });
});

describe('the aggregator (ldf-efd) writes what it receives', () => {
  const ldf = stackJson('ldf-efd');
  const deployments = ldf.resource.kubernetes_deployment_v1 as Record<string, any>;
  const argsOf = (name: string) => {
    const d = Object.values(deployments).find((x: any) => x.metadata.name === name) as any;
    return d?.spec.template.spec.container[0].args as string[] | undefined;
  };
  const flag = (args: string[], f: string) => args[args.indexOf(f) + 1];

  it.each([
    ['summit', 'summit'],
    ['test-stand', 'test-stand'],
  ])("a sink for %s's replicated topics: decoded with its remote registry, tagged site=%s, measurement without the prefix", (prefix) => {
    const args = argsOf(`influxdb-sink-${prefix}`)!;
    expect(args[0]).toBe('influxdb-sink');
    expect(flag(args, '--topics-regex')).toBe(`${prefix}[.](?:lsst[.]sal[.].*)`);
    expect(flag(args, '--registry')).toBe(`http://remote-registry-${prefix}-cp-schema-registry.kafka.svc.cluster.local:8081`);
    expect(flag(args, '--static-tag')).toBe(`site=${prefix}`);
    expect(flag(args, '--strip-prefix')).toBe(`${prefix}.`);
    expect(flag(args, '--database')).toBe('efd');
    expect(flag(args, '--group')).toBe(`ldf-influxdb-sink-${prefix}`);
    expect(flag(args, '--dead-letter-topic')).toBe(`lsst.efd.influxdb-sink.dlq.${prefix}`);
    // Its own topics stay with the site's sink, untagged and unprefixed.
    expect(flag(argsOf('influxdb-sink')!, '--topics-regex')).toBe('lsst[.]sal[.].*');
  });

  it("the JDBC sink stores each source's aggregated topics (the naming rule), one table per topic, upserted by key", () => {
    const cm = Object.values(ldf.resource.kubernetes_config_map_v1 as Record<string, any>).find(
      (c) => c.metadata.name === 'efd-connectors',
    );
    const jdbc = JSON.parse(cm.data['jdbc-sink.json']);
    expect(jdbc.topicsRegex).toBe(aggregatedTopicsRegexOf(['summit', 'test-stand']));
    expect(new RegExp(`^(?:${jdbc.topicsRegex})$`).test('summit.lsst.efd.agg.ATDome_position')).toBe(true);
    expect(new RegExp(`^(?:${jdbc.topicsRegex})$`).test('summit.lsst.sal.ATDome_position')).toBe(false);
    expect(jdbc.config).toMatchObject({
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      'hibernate.dialect': 'org.hibernate.dialect.OracleDialect',
      'insert.mode': 'upsert',
      'primary.key.mode': 'record_key',
      'schema.evolution': 'basic',
      transforms: 'key,table_summit,table_test_stand',
      'transforms.table_summit.replacement': 'summit_$1',
      'errors.deadletterqueue.topic.name': 'lsst.efd.jdbc-sink.dlq',
    });
  });

  it("a read-only remote registry per source on the aggregator's Kafka, serving the replicated registry topic", () => {
    const releases = Object.values(ldf.resource.helm_release as Record<string, any>).filter((r) => r.name.startsWith('remote-registry-'));
    expect(releases.map((r) => [r.name, r.namespace])).toEqual([
      ['remote-registry-summit', 'kafka'],
      ['remote-registry-test-stand', 'kafka'],
    ]);
    const values = releases[0].values[0] as string;
    expect(values).toContain('kafkastore.topic: summit._schemas');
    expect(values).toContain('schema.registry.group.id: remote-registry-summit');
    expect(values).toContain('leader.eligibility: "false"');
    expect(values).toContain('bootstrapServers: PLAINTEXT://cp-cp-kafka-headless.kafka.svc.cluster.local:9092');
    // Sources run no inbound part.
    expect(
      Object.values(stackJson('summit-efd').resource.kubernetes_deployment_v1 as Record<string, any>).map((d) => d.metadata.name),
    ).not.toContain('influxdb-sink-summit');
  });

  it('refuses an aggregator sink regex that would also take the replicated topics', () => {
    const changed = sites.map((s) =>
      s.name === 'ldf'
        ? { ...s, connectors: { ...s.connectors, influxDbSink: { ...s.connectors.influxDbSink, topicsRegex: '.*lsst[.]sal[.].*' } } }
        : s,
    );
    const app = Testing.app();
    expect(() => buildSites(app, changed)).toThrow(
      'site "ldf": connectors.influxDbSink.topicsRegex ".*lsst[.]sal[.].*" matches the replicated topics of "summit" (summit.lsst.sal.ATDome.position)',
    );
  });
});

describe('the alerts stack (gcp-alerts)', () => {
  const alerts = stackJson('gcp-alerts');
  const resources = alerts.resource as Record<string, Record<string, any>>;
  const deployments = Object.values(resources.kubernetes_deployment_v1);
  const byName = Object.fromEntries(deployments.map((d) => [d.metadata.name, d]));
  const args = (d: any) => d.spec.template.spec.container[0].args as string[];
  /** A consumer Deployment as Filter001's would be: its number, in its name and topic, made 001. */
  const asFirst = (d: unknown) => JSON.stringify(normalizeStack(d)).replace(/([Ff])ilter\d{3}/g, '$1ilter001');

  it('matches its normalised snapshot, the consumers but Filter001 being Filter001 with their own topic', () => {
    const consumers = Object.entries(resources.kubernetes_deployment_v1).filter(([, d]) => d.metadata.name.startsWith('alerts-consumer-'));
    expect(consumers).toHaveLength(100);
    const [first] = consumers.filter(([, d]) => d.metadata.name === 'alerts-consumer-filter001');
    for (const [, d] of consumers) expect([d.metadata.name, asFirst(d)]).toEqual([d.metadata.name, asFirst(first[1])]);
    const shown = structuredClone(alerts);
    for (const [n, d] of consumers) if (d !== first[1]) delete shown.resource.kubernetes_deployment_v1[n];
    shown.resource.kubernetes_deployment_v1['…'] = '99 more consumer Deployments: alerts-consumer-filter001 with their own number';
    expect(normalizeStack(shown)).toMatchSnapshot();
  });

  it("reaches the GKE cluster by name (gcp-cluster's), with its own state, and refers to nothing of gcp-efd", () => {
    expect(alerts.terraform.backend).toEqual({ gcs: { bucket: 'lsst-efd-prototype-tfstate', prefix: 'efd/gcp-alerts' } });
    expect(alerts.provider.kubernetes).toEqual(stackJson('gcp-efd').provider.kubernetes);
    expect(Object.keys(alerts.data).sort()).toEqual(['google_client_config', 'google_container_cluster']);
    expect(Object.values(normalizeStack(alerts.data.google_container_cluster) as object)).toEqual([
      { name: 'efd', location: 'us-central1-a', project: 'lsst-efd-prototype' },
    ]);
    expect(Object.keys(resources).sort()).toEqual(['kubernetes_deployment_v1', 'kubernetes_job_v1', 'kubernetes_namespace_v1']);
    // Every reference is to this stack's own resources or the cluster's data sources: no remote state, no EFD resource.
    const own = new Set(Object.entries(resources).flatMap(([type, rs]) => Object.keys(rs).map((n) => `${type}.${n}`)));
    const refs = [...JSON.stringify(alerts.resource).matchAll(/\$\{([a-z_0-9]+\.[A-Za-z0-9_-]+)/g)].map((m) => m[1]);
    const dependsOn = Object.values(resources).flatMap((rs) => Object.values(rs).flatMap((r: any) => r.depends_on ?? []));
    expect(dependsOn.length).toBeGreaterThan(100);
    expect([...refs, ...dependsOn].filter((r) => !own.has(r))).toEqual([]);
  });

  it('owns its namespace, and everything it runs is in it (destroying the stack touches nothing of the EFD)', () => {
    expect(Object.values(resources.kubernetes_namespace_v1).map((n: any) => [n.metadata, n.lifecycle])).toEqual([
      [{ name: 'alerts', labels: { 'app.kubernetes.io/part-of': 'efd', 'efd.lsst.io/site': 'gcp' } }, undefined],
    ]);
    const namespaces = [...deployments, ...Object.values(resources.kubernetes_job_v1)].map((r) => r.metadata.namespace);
    expect(new Set(namespaces)).toEqual(new Set(['alerts']));
    const efdNamespaces = Object.values(stackJson('gcp-efd').resource.kubernetes_namespace_v1).map((n: any) => n.metadata.name);
    expect(efdNamespaces).not.toContain('alerts');
    // The EFD stack runs none of the alert apps.
    const efdDeployments = Object.values(stackJson('gcp-efd').resource.kubernetes_deployment_v1).map((d: any) => d.metadata.name);
    expect(efdDeployments.filter((n) => n.startsWith('alerts'))).toEqual([]);
  });

  it("creates the stream (6 partitions, 1 h) and Filter001…Filter100 (1 partition, 6 h) in the EFD's Kafka by a Job, first", () => {
    const [[address, job]] = Object.entries(resources.kubernetes_job_v1);
    expect(job.metadata.name).toBe('alerts-topics-apply');
    expect(job.depends_on).toEqual([expect.stringMatching(/^kubernetes_namespace_v1\.namespaces_alerts_/)]);
    const c = job.spec.template.spec.container[0];
    expect(c.image).toBe('ghcr.io/lsst-sqre/efd/connect-manager:0.1.0');
    expect(c.args.slice(0, 3)).toEqual(['topics-apply', '--bootstrap-servers', 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092']);
    const [stream, filters] = parsePoliciesJson(c.args[4]);
    expect(stream).toEqual({
      name: 'alerts',
      pattern: 'alerts',
      partitions: 6,
      replicationFactor: 3,
      retention: '1h',
      cleanupPolicy: 'delete',
      create: ['alerts'],
    });
    expect(filters).toMatchObject({
      name: 'alert-filters',
      partitions: 1,
      replicationFactor: 3,
      retention: '6h',
      cleanupPolicy: 'delete',
    });
    expect(filters.create).toEqual(Array.from({ length: 100 }, (_, i) => `Filter${String(i + 1).padStart(3, '0')}`));
    // Nothing produces or consumes before the topics exist.
    for (const d of deployments) expect([d.metadata.name, d.depends_on]).toEqual([d.metadata.name, [`kubernetes_job_v1.${address}`]]);
  });

  it('runs one producer, 5 filter groups of one replica, and 100 consumers: one per filter topic', () => {
    const replicas = (prefix: string) =>
      deployments.filter((d) => d.metadata.name.startsWith(prefix)).reduce((n, d) => n + Number(d.spec.replicas), 0);
    expect([replicas('alerts-producer'), replicas('alerts-filter-'), replicas('alerts-consumer-')]).toEqual([1, 5, 100]);
    expect(deployments).toHaveLength(106);
    expect(args(byName['alerts-producer']).slice(0, 8)).toEqual([
      'alerts',
      'produce',
      '--alerts-per-visit',
      '10000',
      '--interval',
      '39s',
      '--seed',
      '4',
    ]);
    expect(args(byName['alerts-filter-5']).slice(0, 6)).toEqual(['alerts', 'filter', '--set', 'seed004', '--group', '5']);
    const topics = deployments.filter((d) => d.metadata.name.startsWith('alerts-consumer-')).map((d) => args(d)[3]);
    expect(new Set(topics).size).toBe(100);
    expect(args(byName['alerts-consumer-filter100']).slice(0, 6)).toEqual([
      'alerts',
      'consume',
      '--topic',
      'Filter100',
      '--mode',
      'monitor',
    ]);
    for (const d of deployments)
      expect(args(d).slice(-6)).toEqual([
        '--brokers',
        'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
        '--registry',
        'http://cp-cp-schema-registry.kafka.svc.cluster.local:8081',
        '--metrics-port',
        '9090',
      ]);
  });
});
