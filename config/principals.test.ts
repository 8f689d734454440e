import { loadSites } from './load';
import { deriveTopology } from './topology';
import { ADMIN_USER, Principal, principalOf, READONLY_USER, sitePrincipals } from './principals';
import { aclsOf, allows, AclBinding, clusterAcls, GRANTS, superUsers } from './acls';
import type { ResourceRef } from './topic-refs';
import type { Site } from './schema';

const sites = loadSites();
const topology = deriveTopology(sites);
const site = (name: string) => sites.find((s) => s.name === name) as Site;
const principalsOf = (name: string) => sitePrincipals(site(name), topology);
const table = (bs: readonly AclBinding[]) =>
  bs.map((b) => `${b.principal} ${b.permission} ${b.operation} ${b.resourceType}:${b.patternType}:${b.resourceName}`).join('\n');

describe.each(sites.map((s) => s.name))('site %s', (name) => {
  const principals = principalsOf(name);
  const bindings = clusterAcls(principals);

  it("derives the ACLs of its Kafka (snapshot: review a change like a firewall rule's)", () => {
    expect(
      principals.map((p) => `${p.user} (${p.app}${p.runsAt !== name ? ` at ${p.runsAt}` : ''}): ${p.workloads.join(', ')}`),
    ).toMatchSnapshot('principals');
    expect(`\n${table(bindings)}\n`).toMatchSnapshot('acls');
  });

  it('has the admin as its only super user, and a read-only user for people that writes nothing', () => {
    expect(principals.filter((p) => p.superUser).map((p) => p.user)).toEqual([ADMIN_USER]);
    expect(superUsers(principals, ['User:ANONYMOUS'])).toBe('User:admin;User:ANONYMOUS');
    const ro = aclsOf(principalOf(principals, READONLY_USER));
    expect(ro.length).toBeGreaterThan(0);
    expect(ro.filter((b) => !['READ', 'DESCRIBE'].includes(b.operation))).toEqual([]);
  });

  it('grants no ACL wider than a declaration: each binding is a declared resource with its field’s operations', () => {
    for (const p of principals) {
      const declared = new Set(
        GRANTS.flatMap((g) =>
          (p[g.field] as readonly ResourceRef[]).flatMap((r) => g.operations.map((op) => `${g.resourceType}:${r.pattern}:${r.name}:${op}`)),
        ),
      );
      for (const b of aclsOf(p)) {
        expect(b.principal).toBe(`User:${p.user}`);
        expect(declared.has(`${b.resourceType}:${b.patternType}:${b.resourceName}:${b.operation}`)).toBe(true);
        expect(b.resourceType).not.toBe('CLUSTER');
      }
    }
  });

  it('names no resource "*" or "", and cuts no prefix inside a name (a prefix ends at ".", "_" or "-")', () => {
    for (const b of bindings) {
      expect(b.resourceName).not.toMatch(/^\*?$/);
      if (b.patternType === 'PREFIXED') expect([b.principal, b.resourceName]).toEqual([b.principal, expect.stringMatching(/[._-]$/)]);
    }
  });

  it('gives every app a Secret of its own and a user unique in the cluster', () => {
    expect(new Set(principals.map((p) => p.user)).size).toBe(principals.length);
    expect(new Set(principals.map((p) => p.secret)).size).toBe(principals.length);
  });
});

describe('what the derivation allows and refuses', () => {
  const summit = clusterAcls(principalsOf('summit'));
  const ldf = clusterAcls(principalsOf('ldf'));

  it('the sink reads and describes the Avro topics, writes only its dead-letter topic, uses only its group', () => {
    expect(allows(summit, 'influxdb-sink', 'TOPIC', 'lsst.sal.ATDome_position', 'READ')).toBe(true);
    expect(allows(summit, 'influxdb-sink', 'TOPIC', 'lsst.sal.ATDome_position', 'DESCRIBE')).toBe(true);
    expect(allows(summit, 'influxdb-sink', 'TOPIC', 'lsst.sal.ATDome_position', 'WRITE')).toBe(false);
    expect(allows(summit, 'influxdb-sink', 'TOPIC', 'lsst.efd.influxdb-sink.dlq', 'WRITE')).toBe(true);
    expect(allows(summit, 'influxdb-sink', 'TOPIC', 'lsst.efd.influxdb-sink.dlq', 'CREATE')).toBe(false);
    expect(allows(summit, 'influxdb-sink', 'GROUP', 'summit-influxdb-sink', 'READ')).toBe(true);
    expect(allows(summit, 'influxdb-sink', 'GROUP', 'summit-saltransform', 'READ')).toBe(false);
    expect(allows(summit, 'influxdb-sink', 'TOPIC', 'ATDome_telemetry', 'READ')).toBe(false);
  });

  it('saltransform reads (and creates) raw topics of its subsystems, writes their Avro topics and its dead letters', () => {
    expect(allows(summit, 'saltransform', 'TOPIC', 'ATDome_telemetry', 'READ')).toBe(true);
    expect(allows(summit, 'saltransform', 'TOPIC', 'ATDome_telemetry', 'CREATE')).toBe(true);
    expect(allows(summit, 'saltransform', 'TOPIC', 'ATDome_telemetry', 'WRITE')).toBe(false);
    expect(allows(summit, 'saltransform', 'TOPIC', 'lsst.sal.ATDome_position', 'WRITE')).toBe(true);
    expect(allows(summit, 'saltransform', 'TOPIC', 'lsst.sal.ATDomeTrajectory_x', 'WRITE')).toBe(false);
    expect(allows(summit, 'saltransform', 'TOPIC', 'lsst.sal.ATDome_position', 'READ')).toBe(false);
    expect(allows(summit, 'saltransform', 'TOPIC', 'lsst.sal.ATDome_position', 'CREATE')).toBe(false);
    expect(allows(summit, 'saltransform', 'TOPIC', 'saltransform.deadletter', 'WRITE')).toBe(true);
    expect(allows(summit, 'saltransform', 'GROUP', 'summit-saltransform', 'READ')).toBe(true);
    expect(allows(summit, 'saltransform', 'GROUP', 'summit-influxdb-sink', 'READ')).toBe(false);
    expect(allows(summit, 'saltransform', 'GROUP', 'summit-influxdb-sink', 'DESCRIBE')).toBe(false);
  });

  it('at the aggregator each source’s apps reach only its prefixed topics', () => {
    expect(allows(ldf, 'influxdb-sink-summit', 'TOPIC', 'summit.lsst.sal.ATDome_position', 'READ')).toBe(true);
    expect(allows(ldf, 'influxdb-sink-summit', 'TOPIC', 'test-stand.lsst.sal.ATDome_position', 'READ')).toBe(false);
    expect(allows(ldf, 'aggregator-summit', 'TOPIC', 'summit.lsst.efd.agg.ATDome_position', 'CREATE')).toBe(true);
    expect(allows(ldf, 'aggregator-summit', 'TOPIC', 'test-stand.lsst.efd.agg.ATDome_position', 'WRITE')).toBe(false);
    expect(allows(ldf, 'replication-summit', 'TOPIC', 'summit.lsst.sal.ATDome_position', 'WRITE')).toBe(true);
    expect(allows(ldf, 'replication-summit', 'TOPIC', 'test-stand.lsst.sal.ATDome_position', 'WRITE')).toBe(false);
    expect(allows(ldf, 'replication-summit', 'TOPIC', 'lsst.sal.ATDome_position', 'WRITE')).toBe(false);
    expect(allows(ldf, 'readonly', 'TOPIC', 'summit.lsst.sal.ATDome_position', 'READ')).toBe(true);
    expect(allows(ldf, 'readonly', 'TOPIC', 'summit.lsst.sal.ATDome_position', 'WRITE')).toBe(false);
  });

  it("the source's replication user reads what it copies at the source and writes only its heartbeats there", () => {
    expect(allows(summit, 'replication-summit', 'TOPIC', 'lsst.sal.ATDome_position', 'READ')).toBe(true);
    expect(allows(summit, 'replication-summit', 'TOPIC', '_schemas', 'READ')).toBe(true);
    expect(allows(summit, 'replication-summit', 'TOPIC', 'heartbeats', 'WRITE')).toBe(true);
    expect(allows(summit, 'replication-summit', 'TOPIC', 'lsst.sal.ATDome_position', 'WRITE')).toBe(false);
    expect(principalOf(principalsOf('ldf'), 'replication-summit').runsAt).toBe('summit');
  });
});

describe('derivation rules', () => {
  const base = principalOf(principalsOf('summit'), 'influxdb-sink');
  it('refuses a resource "*" for anyone but the super user', () => {
    const wild: Principal = { ...base, reads: [{ name: '*', pattern: 'LITERAL' }] };
    expect(() => aclsOf(wild)).toThrow('principal influxdb-sink: reads names "*": only the super user reaches every TOPIC');
    expect(aclsOf({ ...wild, superUser: true })).toEqual([]);
  });
  it('refuses the same user twice in a cluster', () => {
    expect(() => clusterAcls([base, base])).toThrow('Kafka user "influxdb-sink" is declared twice in the cluster of site "summit"');
  });
});
