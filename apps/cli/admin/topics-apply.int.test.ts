/**
 * `efd topics diff|apply` against the real local Kafka, with policies of this file's namespace only
 * (its topic prefix in every pattern): create a declared topic, alter an existing one (partitions up,
 * configs), a second apply changes nothing, drift shows in diff, a conflict refuses everything.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { efd, efdJson } from '../../../test/cli';
import { TestNamespace, useNamespace } from '../../../test/integration/env';
import { createAdmin, EfdAdmin } from '../../lib/kafka-admin';
import { EXIT } from '../../lib/exit-codes';
import type { TopicPlan } from '../../lib/topic-policies';

jest.setTimeout(180_000);

let ns: TestNamespace;
let local: string[];
let admin: EfdAdmin;

beforeAll(async () => {
  ns = await useNamespace(__filename);
  local = ['--cluster', ns.endpoints.clusters[0].name];
  admin = createAdmin({ brokers: ns.endpoints.clusters[0].kafka, clientId: 'topics-apply-test' });
  await admin.connect();
}, 15 * 60_000);

afterAll(async () => {
  await admin?.disconnect();
  await ns?.cleanup();
});

const esc = (s: string) => s.replace(/[.]/g, '[.]');

function policyFile(name: string, policies: unknown[]): string {
  const file = path.join(ns.tmpDir, `${name}.yaml`);
  fs.writeFileSync(file, stringify(policies));
  return file;
}

async function topicState(topic: string) {
  const [md] = await admin.topicPartitions([topic]);
  const c = await admin.topicConfigs(topic);
  return { partitions: md?.partitions.length, cleanup: c['cleanup.policy'], retention: c['retention.ms'] };
}

const savedClient = process.env.EFD_KAFKA_CLIENT;
afterAll(() => {
  if (savedClient === undefined) delete process.env.EFD_KAFKA_CLIENT;
  else process.env.EFD_KAFKA_CLIENT = savedClient;
});

// both Kafka clients of apps/lib/kafka-admin.ts (kafkajs: AlterConfigs read-modify-write, its own CreatePartitions)
it.each(['platformatic', 'kafkajs'])(
  'creates and alters topics to match, idempotently; diff shows drift; a conflict changes nothing (%s)',
  async (client) => {
    process.env.EFD_KAFKA_CLIENT = client;
    const events = ns.topic(`${client}.lsst.sal.ATDome_logevent_heartbeat`);
    const telemetry = ns.topic(`${client}.lsst.sal.ATDome_position`);
    const declared = ns.topic(`${client}.lsst.efd.influxdb-sink.dlq`);
    await admin.createTopics([
      { topic: events, partitions: 1 },
      { topic: telemetry, partitions: 1, configs: { 'retention.ms': '3600000' } },
    ]);
    const prefix = esc(ns.topic(`${client}.`));
    const policies = [
      { name: 'events', pattern: `${prefix}lsst[.]sal[.].+_logevent_.+`, cleanupPolicy: 'compact', replicationFactor: 1 },
      { name: 'dead-letter', pattern: `${prefix}lsst[.]efd[.].+[.]dlq`, retention: '3d', create: [declared], replicationFactor: 1 },
      { name: 'telemetry', pattern: `${prefix}lsst[.]sal[.].+`, partitions: 3, retention: '2d', replicationFactor: 1 },
    ];
    const file = policyFile(`policies-${client}`, policies);

    const diff = await efdJson<TopicPlan>('topics', 'diff', '--policies', file, ...local);
    expect(diff.conflicts).toEqual([]);
    expect(diff.create).toEqual([
      {
        topic: declared,
        policy: 'dead-letter',
        partitions: 1,
        replicationFactor: 1,
        configs: { 'cleanup.policy': 'delete', 'retention.ms': '259200000' },
      },
    ]);
    expect(diff.alter).toEqual([
      {
        topic: events,
        policy: 'events',
        configs: [{ name: 'cleanup.policy', from: 'delete', to: 'compact' }], // retention.ms: the broker's 7 d already
      },
      {
        topic: telemetry,
        policy: 'telemetry',
        partitions: { from: 1, to: 3 },
        configs: [{ name: 'retention.ms', from: '3600000', to: '172800000' }],
      },
    ]);
    // diff changed nothing
    expect(await topicState(telemetry)).toEqual({ partitions: 1, cleanup: 'delete', retention: '3600000' });

    const applied = await efdJson<TopicPlan & { applied: boolean }>('topics', 'apply', '--policies', file, '--yes', ...local);
    expect(applied.applied).toBe(true);
    expect(await topicState(events)).toMatchObject({ partitions: 1, cleanup: 'compact' });
    expect(await topicState(telemetry)).toEqual({ partitions: 3, cleanup: 'delete', retention: '172800000' });
    expect(await topicState(declared)).toEqual({ partitions: 1, cleanup: 'delete', retention: '259200000' });

    // idempotent: the second apply finds nothing to do
    const again = await efdJson<TopicPlan & { applied: boolean }>('topics', 'apply', '--policies', file, '--yes', ...local);
    expect(again).toMatchObject({ applied: false, create: [], alter: [], conflicts: [] });
    expect(again.unchanged).toEqual([declared, events, telemetry].sort());

    // drift: someone changes a config by hand; diff shows it, in words too
    await admin.alterTopicConfigs(telemetry, { set: { 'retention.ms': '1000' } });
    const drift = await efd('topics', 'diff', '--policies', file, ...local);
    expect(drift.code).toBe(0);
    expect(drift.output).toContain(`~ ${telemetry} (policy telemetry): retention.ms 1000 → 172800000`);

    // conflict: telemetry now has 3 partitions, a policy of 2 is refused, naming topic, policy, field; nothing changes
    const fewer = policyFile(`fewer-${client}`, [
      { ...policies[2], partitions: 2 },
      { ...policies[1], retention: '1d' },
    ]);
    const refused = await efd('topics', 'apply', '--policies', fewer, '--yes', ...local);
    expect(refused.code).toBe(EXIT.badInput);
    expect(refused.output).toContain(
      `${telemetry}: policy "telemetry", field partitions: topic ${telemetry} has 3 partitions, policy "telemetry" wants 2: Kafka cannot remove partitions`,
    );
    expect(await topicState(telemetry)).toEqual({ partitions: 3, cleanup: 'delete', retention: '1000' });
    expect(await topicState(declared)).toMatchObject({ retention: '259200000' }); // the dead-letter change was not made either
  },
);

it('refuses a policy file with a bad field, naming the file and the field', async () => {
  const file = policyFile('bad', [{ name: 'x', pattern: `${esc(ns.topic(''))}.+`, partitions: 0 }]);
  const r = await efd('topics', 'apply', '--policies', file, '--yes', ...local);
  expect(r.code).toBe(EXIT.badInput);
  expect(r.output).toContain(`${file}: [0].partitions: expected an integer from 1 to 10000 (partitions)`);
});
