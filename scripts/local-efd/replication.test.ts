import { loadSites } from '../../config/load';
import { deriveTopology } from '../../config/topology';
import { mirrorMaker2Specs } from '../../constructs/replication/mirrormaker2';
import { localReplicationFlow, localReplicationSpecs, REPLICATION_PORTS } from './replication';
import { localServers } from './stack';

const b = { kafka: '127.0.0.1:9192', registry: 'http://127.0.0.1:8181/apis/ccompat/v7' };

describe('local replication (local up --clusters 2)', () => {
  it("is the stacks' flow with local endpoints: summit → ldf, the SAL topics and the registry journal, renamed summit.<topic>", () => {
    const flow = localReplicationFlow(b);
    expect([flow.source, flow.aggregator, flow.prefix, flow.stack, flow.inbound.bootstrapServers]).toEqual([
      'summit',
      'ldf',
      'summit',
      'summit-replication',
      '127.0.0.1:9192',
    ]);
    expect(flow.remoteTopicsRegex).toBe('summit[.](?:lsst[.]sal[.].*)');
    const [source, heartbeat] = localReplicationSpecs(flow, { kafka: '127.0.0.1:9092' });
    expect(source.config).toMatchObject({
      topics: 'lsst[.]sal[.].*,kafkasql-journal',
      'source.cluster.bootstrap.servers': '127.0.0.1:9092',
      'target.cluster.bootstrap.servers': '127.0.0.1:9192',
      'replication.factor': '1',
    });
    expect(heartbeat.name).toBe('replication-summit-heartbeat');
    // Same generator as the summit-replication stack: only endpoints, tuning and the schemas topic differ.
    const stack = deriveTopology(loadSites()).flows.find((f) => f.source === 'summit')!;
    const stackSpec = mirrorMaker2Specs(stack, {
      sourceBootstrapServers: 's:9092',
      targetReplicationFactor: 3,
      sourceReplicationFactor: 3,
    })[0];
    const differ = Object.keys(stackSpec.config)
      .filter((k) => stackSpec.config[k] !== source.config[k])
      .sort();
    expect(differ).toEqual([
      'producer.override.compression.type',
      'producer.override.linger.ms',
      'refresh.topics.interval.seconds',
      'replication.factor',
      'source.cluster.bootstrap.servers',
      'target.cluster.bootstrap.servers',
      'tasks.max',
      'topics',
    ]);
  });

  it('adds the replication servers with 2 clusters only, after what they need, on ports no other server uses', () => {
    expect(localServers(1).map((s) => s.name)).not.toContain('replication');
    const servers = localServers(2);
    expect(servers.slice(-3).map((s) => [s.name, s.needs, s.ports])).toEqual([
      ['replication-registry', 'kafka-a', [REPLICATION_PORTS.sourceRegistry, REPLICATION_PORTS.sourceRegistryManagement]],
      ['replication', 'kafka-b', [REPLICATION_PORTS.worker]],
      ['remote-registry', 'replication', [REPLICATION_PORTS.remoteRegistry, REPLICATION_PORTS.remoteRegistryManagement]],
    ]);
    for (const n of [2, 3]) {
      const ports = localServers(n).flatMap((s) => s.ports);
      expect(new Set(ports).size).toBe(ports.length);
    }
  });
});
