/**
 * The invariant between the principals (config/principals.ts) and what the stacks deploy: every Kafka
 * client in the synthesized stacks (a Deployment, Job or CronJob given Kafka brokers, a Kafka Connect or
 * schema registry of a cp-helm-charts release) runs as a declared principal of the Kafka it connects to,
 * and what its arguments select (groups, topic regexes, dead-letter topics, subsystems) is within what
 * that principal declares. No principal names a workload the stacks do not deploy.
 */
import { Testing, TerraformStack } from 'cdktf';
import { parse as parseYaml } from 'yaml';
import { loadSites } from '../config/load';
import { deriveTopology } from '../config/topology';
import { Principal, rawTopicsOf, sitePrincipals } from '../config/principals';
import { literal, refCovers, topicRefsOf, type ResourceRef } from '../config/topic-refs';
import { buildSites } from './app';

const sites = loadSites();
const topology = deriveTopology(sites);
const built = buildSites(Testing.app(), sites);
const principals = new Map(sites.map((s) => [s.name, sitePrincipals(s, topology)]));

interface Workload {
  stack: string;
  /** The sites whose Kafka it connects to. */
  clusters: string[];
  name: string;
  args: string[];
}

type Container = { args?: string[]; env?: { name: string; value?: string }[] };
const containersOf = (r: Record<string, any>): Container[] =>
  r.spec?.template?.spec?.container ?? r.spec?.job_template?.spec?.template?.spec?.container ?? [];

const CHART_CLIENTS = ['cp-schema-registry', 'cp-kafka-connect', 'cp-ksql-server', 'cp-kafka-rest'];

function workloadsOf(stack: TerraformStack, site: string, aggregator?: string): Workload[] {
  const j = JSON.parse(Testing.synth(stack));
  const out: Workload[] = [];
  for (const type of ['kubernetes_deployment_v1', 'kubernetes_job_v1', 'kubernetes_cron_job_v1']) {
    for (const r of Object.values(j.resource?.[type] ?? {}) as Record<string, any>[]) {
      for (const c of containersOf(r)) {
        const args = c.args ?? [];
        const kafka =
          args.includes('--brokers') || args.includes('--bootstrap-servers') || (c.env ?? []).some((e) => e.name === 'KAFKA_BROKERS');
        if (kafka) out.push({ stack: stack.node.id, clusters: [site], name: r.metadata.name, args });
      }
    }
  }
  for (const r of Object.values(j.resource?.helm_release ?? {}) as Record<string, any>[]) {
    if (r.chart !== 'cp-helm-charts') continue;
    const values = (r.values ?? []).map((v: string) => parseYaml(v) ?? {});
    for (const chart of CHART_CLIENTS) {
      const enabled = values.reduce((on: boolean, v: Record<string, any>) => v[chart]?.enabled ?? on, false);
      // a source's replication Connect reads the source and writes into the aggregator
      if (enabled)
        out.push({ stack: stack.node.id, clusters: aggregator ? [site, aggregator] : [site], name: `${r.name}/${chart}`, args: [] });
    }
  }
  return out;
}

const workloads: Workload[] = built.flatMap((b) => [
  ...workloadsOf(b.efd, b.site.name),
  ...(b.replication ? workloadsOf(b.replication, b.site.name, b.site.replicateTo) : []),
]);
const principalFor = (cluster: string, w: Workload) => principals.get(cluster)!.find((p) => p.workloads.includes(w.name));
const argOf = (args: string[], flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const covered = (refs: readonly ResourceRef[], want: ResourceRef) => refs.some((r) => refCovers(r, want));

/** Kafka clients of the experiment site that have no principal yet (KSQL and the REST proxy, gcp only). */
const WITHOUT_PRINCIPAL = ['gcp-efd cp/cp-kafka-rest at gcp', 'gcp-efd cp/cp-ksql-server at gcp'];

describe('the principals and the stacks', () => {
  it('finds the Kafka clients the stacks deploy', () => {
    expect(workloads.length).toBeGreaterThan(20);
    expect(workloads.map((w) => w.name)).toEqual(
      expect.arrayContaining([
        'saltransform',
        'influxdb-sink',
        'aggregator-summit',
        'kafka-topics-apply',
        'connect-manager',
        'cp/cp-kafka-connect',
      ]),
    );
  });

  it('runs every Kafka client as a principal of each Kafka it connects to (production sites: every one)', () => {
    const missing = workloads.flatMap((w) => w.clusters.filter((c) => !principalFor(c, w)).map((c) => `${w.stack} ${w.name} at ${c}`));
    expect(missing.sort()).toEqual(WITHOUT_PRINCIPAL);
    for (const m of WITHOUT_PRINCIPAL) expect(sites.find((s) => s.name === m.split(' at ')[1])!.production).toBe(false);
  });

  it('declares no workload the stacks do not deploy', () => {
    for (const [cluster, ps] of principals) {
      for (const p of ps)
        for (const name of p.workloads)
          expect([cluster, name, workloads.some((w) => w.name === name && w.clusters.includes(cluster))]).toEqual([cluster, name, true]);
    }
  });

  describe.each(workloads.filter((w) => w.args.length).map((w) => [`${w.stack} ${w.name}`, w] as const))('%s', (_, w) => {
    const p = principalFor(w.clusters[0], w) as Principal;

    it('uses only its own group', () => {
      const group = argOf(w.args, '--group');
      if (group) expect(p.groups).toContainEqual(literal(group));
    });

    it('selects only topics its principal reads and dead-letters only where it writes', () => {
      const regex = argOf(w.args, '--topics-regex');
      if (regex) for (const r of topicRefsOf(regex)) expect([r, covered(p.reads, r)]).toEqual([r, true]);
      const subsystems = argOf(w.args, '--subsystems');
      if (subsystems) {
        const raw = subsystems.split(',').flatMap(rawTopicsOf).map(literal);
        for (const r of raw) expect([r, covered(w.name === 'salmock' ? p.writes : p.reads, r)]).toEqual([r, true]);
      }
      const dlq = argOf(w.args, '--dead-letter-topic') ?? argOf(w.args, '--dlq-topic');
      if (dlq) expect(covered(p.writes, literal(dlq))).toBe(true);
    });
  });

  it('fails a workload whose group is not its principal’s (the check can fail)', () => {
    const sink = workloads.find((w) => w.name === 'influxdb-sink' && w.clusters[0] === 'summit')!;
    const p = principalFor('summit', sink)!;
    expect(p.groups).toContainEqual(literal(argOf(sink.args, '--group')!));
    expect(p.groups).not.toContainEqual(literal('summit-saltransform'));
  });
});
