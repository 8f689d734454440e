/**
 * The admin CLI against the real local EFD: every command, for real, run as `efd …` runs them (in this
 * process), with both Kafka admin clients (EFD_KAFKA_CLIENT). Topics, groups and subjects live in this
 * file's namespace (removed by its cleanup). Lag numbers are exact: records produced to chosen
 * partitions, offsets committed by a real consumer group.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { efd, efdJson, withoutTty } from '../../../test/cli';
import { TestNamespace, useNamespace, waitFor } from '../../../test/integration/env';
import { EXIT } from '../../lib/exit-codes';
import type { BrokersReport } from './brokers';
import type { GroupLag } from './consumer-groups';
import type { TopicDescription, TopicRow } from './topics';
import { registryOf } from './target';

jest.setTimeout(180_000);

let ns: TestNamespace;
let local: string[];
const savedClient = process.env.EFD_KAFKA_CLIENT;

beforeAll(async () => {
  ns = await useNamespace(__filename);
  // the namespace's local EFD: commands find it from EFD_LOCAL_DIR (endpoints.json) as an operator's would
  local = ['--cluster', ns.endpoints.clusters[0].name];
}, 15 * 60_000);

afterAll(async () => {
  if (savedClient === undefined) delete process.env.EFD_KAFKA_CLIENT;
  else process.env.EFD_KAFKA_CLIENT = savedClient;
  await ns?.cleanup();
});

it('runs through bin/efd, the real entry (tsx loads TypeScript for require only: no import() of a module)', () => {
  const root = path.resolve(__dirname, '../../..');
  for (const args of [['brokers'], ['registry', 'list', '--prefix', ns.name('')]]) {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/efd'), ...args, '--json', ...local], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ args, stderr: r.stderr, status: r.status }).toEqual({ args, stderr: '', status: 0 });
    expect(JSON.parse(r.stdout)).toBeTruthy();
  }
});

describe.each(['platformatic', 'kafkajs'])('Kafka commands (%s)', (client) => {
  let topic: string;
  beforeAll(() => {
    process.env.EFD_KAFKA_CLIENT = client;
    topic = ns.topic(`admin-${client}`);
  });

  it('brokers: the cluster of the local EFD', async () => {
    const r = await efdJson<BrokersReport>('brokers', ...local);
    const [host, port] = ns.endpoints.clusters[0].kafka.split(':');
    expect(r.brokers).toEqual([{ nodeId: r.controllerId, host, port: Number(port), rack: null, controller: true }]);
    expect(r.clusterId).toMatch(/^[\w-]{22}$/);
  });

  it('topics create, list, describe', async () => {
    const created = await efdJson('topics', 'create', topic, '--partitions', '3', '--config', 'retention.ms=3600000', ...local);
    expect(created).toEqual({ topic, partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '3600000' } });
    const again = await efd('topics', 'create', topic, ...local);
    expect(again.output).toContain(`topic ${topic} already exists`);
    expect(again.code).toBe(EXIT.failed);

    const list = await efdJson<TopicRow[]>('topics', 'list', `^${topic.replace(/[.]/g, '[.]')}$`, ...local);
    expect(list).toEqual([{ topic, partitions: 3, replicationFactor: 1 }]);
    const human = await efd('topics', 'list', `^${topic}$`, ...local);
    expect(human.stdout.split('\n')[1]).toMatch(new RegExp(`^${topic.replace(/[.]/g, '\\.')} +3 +1$`));

    const d = await efdJson<TopicDescription>('topics', 'describe', topic, ...local);
    expect(d).toEqual({
      topic,
      partitions: [0, 1, 2].map((partition) => ({ partition, leader: 1, replicas: [1], isr: [1], low: 0, high: 0 })),
      configs: { 'retention.ms': '3600000' },
    });
  });

  it('topics config: show, set and reset (with --yes); without a terminal and --yes it refuses and changes nothing', async () => {
    type Configs = { topic: string; configs: { name: string; value: string | null; source: string }[] };
    const entry = (r: Configs, name: string) => r.configs.find((c) => c.name === name);
    const shown = await efdJson<Configs>('topics', 'config', topic, ...local);
    expect(entry(shown, 'retention.ms')).toMatchObject({ value: '3600000', source: 'topic' });
    expect(entry(shown, 'cleanup.policy')).toMatchObject({ value: 'delete', source: 'default' });

    const refused = await withoutTty(() => efd('topics', 'config', topic, '--set', 'cleanup.policy=compact', ...local));
    expect(refused.output).toContain('refusing without confirmation (no terminal to ask on); pass --yes to confirm');
    expect(refused.code).toBe(EXIT.usage);
    expect(entry(await efdJson<Configs>('topics', 'config', topic, ...local), 'cleanup.policy')).toMatchObject({ value: 'delete' });

    const changed = await efdJson<Configs>(
      'topics',
      'config',
      topic,
      '--set',
      'cleanup.policy=compact',
      '--set',
      'max.message.bytes=200000',
      '--yes',
      ...local,
    );
    expect(entry(changed, 'cleanup.policy')).toMatchObject({ value: 'compact', source: 'topic' });
    expect(entry(changed, 'max.message.bytes')).toMatchObject({ value: '200000', source: 'topic' });
    // one change leaves the other configs set on the topic alone (kafkajs: read, change, write back)
    const reset = await efdJson<Configs>('topics', 'config', topic, '--reset', 'retention.ms', '--yes', ...local);
    expect(entry(reset, 'retention.ms')).toMatchObject({ value: '604800000', source: 'default' });
    expect(entry(reset, 'cleanup.policy')).toMatchObject({ value: 'compact', source: 'topic' });
    expect((await efdJson<TopicDescription>('topics', 'describe', topic, ...local)).configs).toEqual({
      'cleanup.policy': 'compact',
      'max.message.bytes': '200000',
    });
  });

  it('consumer-groups list and lag: exact per partition and in total', async () => {
    const kafka = ns.kafka();
    const producer = kafka.producer();
    await producer.connect();
    // 5, 3 and 4 records on partitions 0, 1, 2 (compaction keeps them: every key is new)
    const records = [5, 3, 4].flatMap((n, partition) =>
      Array.from({ length: n }, (_, i) => ({ partition, key: `k${partition}-${i}`, value: `v${i}` })),
    );
    await producer.send({ topic, messages: records });
    await producer.disconnect();

    const groupId = ns.name(`lag-${client}`);
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: async () => {
        seen++;
      },
    });
    await waitFor('the consumer to read the 12 records', async () => seen === 12);
    // the group commits 2 of partition 0 and all of partition 1; nothing of partition 2
    await consumer.commitOffsets([
      { topic, partition: 0, offset: '2' },
      { topic, partition: 1, offset: '3' },
    ]);
    await consumer.disconnect();

    const groups = await efdJson<{ groupId: string; state: string; protocolType: string }[]>('consumer-groups', 'list', ...local);
    expect(groups.find((g) => g.groupId === groupId)).toEqual({ groupId, state: 'Empty', protocolType: 'consumer' });
    const expected: GroupLag = {
      groupId,
      state: 'Empty',
      partitions: [
        { topic, partition: 0, committed: 2, end: 5, lag: 3 },
        { topic, partition: 1, committed: 3, end: 3, lag: 0 },
        { topic, partition: 2, committed: null, end: 4, lag: 4 },
      ],
      total: 7,
    };
    expect(await efdJson<GroupLag>('consumer-groups', 'lag', groupId, ...local)).toEqual(expected);
    expect(await efdJson<GroupLag>('consumer-groups', 'lag', groupId, '--topic', topic, ...local)).toEqual(expected);
    const human = await efd('consumer-groups', 'lag', groupId, ...local);
    expect(human.stdout.split('\n')[0]).toBe(`${groupId} (Empty): lag 7 record(s)`);
    expect(human.stdout.split('\n').at(-2)).toMatch(/^total +7$/);

    const unknown = await efd('consumer-groups', 'lag', ns.name('no-such-group'), ...local);
    expect(unknown.output).toContain(`consumer group ${ns.name('no-such-group')} does not exist (local EFD cluster a)`);
    expect(unknown.code).toBe(EXIT.badInput);
  });

  it('topics delete: refuses without --yes and no terminal, deletes with it; then the topic is unknown (3)', async () => {
    const refused = await withoutTty(() => efd('topics', 'delete', topic, ...local));
    expect(refused.code).toBe(EXIT.usage);
    expect((await efd('topics', 'describe', topic, ...local)).code).toBe(EXIT.ok);
    expect(await efdJson('topics', 'delete', topic, '--yes', ...local)).toEqual({ deleted: [topic] });
    await waitFor('the topic gone', async () => (await efd('topics', 'describe', topic, ...local)).code === EXIT.badInput);
    const gone = await efd('topics', 'describe', topic, ...local);
    expect(gone.output).toContain(`topic ${topic} does not exist (local EFD cluster a); \`efd topics list\` shows the topics`);
    expect((await efd('topics', 'delete', topic, '--yes', ...local)).code).toBe(EXIT.badInput);
  });
});

describe('registry commands', () => {
  const record = (fields: unknown[]) => JSON.stringify({ type: 'record', name: 'T', namespace: 'efd.admin', fields });
  let files: Record<'v1' | 'v2' | 'bad', string>;
  let subject: string;
  beforeAll(() => {
    subject = ns.name('subject-value');
    const write = (name: string, text: string) => {
      const f = path.join(ns.tmpDir, `${name}.avsc`);
      fs.writeFileSync(f, text);
      return f;
    };
    files = {
      v1: write('v1', record([{ name: 'a', type: 'long' }])),
      v2: write(
        'v2',
        record([
          { name: 'a', type: 'long' },
          { name: 'b', type: 'double', default: 0 },
        ]),
      ),
      bad: write('bad', record([{ name: 'a', type: 'string' }])),
    };
  });

  it('upload, list, show, compat, refuse an incompatible upload, delete a version and the subject', async () => {
    const r = local;
    const v1 = await efdJson<{ subject: string; id: number; version: number; registered: boolean }>(
      'registry',
      'upload',
      subject,
      files.v1,
      ...r,
    );
    expect(v1).toEqual({ subject, id: expect.any(Number), version: 1, registered: true });
    expect(await efdJson('registry', 'upload', subject, files.v1, ...r)).toEqual({ ...v1, registered: false });
    // BACKWARD, so the type change below is refused (the global level of a new Apicurio registry is NONE)
    await registryOf({ kafka: '', registry: ns.endpoints.clusters[0].registry, source: 'test' }).setCompatibility(subject, 'BACKWARD');
    expect(await efdJson('registry', 'list', '--prefix', ns.name(''), ...r)).toEqual([subject]);

    expect(await efdJson('registry', 'compat', subject, files.v2, ...r)).toEqual({
      subject,
      version: 1,
      compatibility: 'BACKWARD',
      compatible: true,
      messages: [],
    });
    const bad = await efd('registry', 'compat', subject, files.bad, '--json', ...r);
    expect(JSON.parse(bad.stdout)).toMatchObject({ subject, version: 1, compatible: false });
    expect(bad.code).toBe(EXIT.failed);
    const refused = await efd('registry', 'upload', subject, files.bad, ...r);
    expect(refused.output).toContain(`is not compatible with subject ${subject} (compatibility BACKWARD): nothing registered`);
    expect(refused.code).toBe(EXIT.failed);

    const v2 = await efdJson<{ id: number; version: number }>('registry', 'upload', subject, files.v2, ...r);
    expect(v2).toMatchObject({ version: 2, registered: true });
    expect(v2.id).not.toBe(v1.id);
    const shown = await efdJson('registry', 'show', subject, ...r);
    expect(shown).toEqual({
      subject,
      version: 2,
      id: v2.id,
      versions: [1, 2],
      compatibility: 'BACKWARD',
      schema: JSON.parse(fs.readFileSync(files.v2, 'utf8')),
    });
    expect(await efdJson('registry', 'show', subject, '--version', '1', ...r)).toMatchObject({ version: 1, id: v1.id });
    const noVersion = await efd('registry', 'show', subject, '--version', '7', ...r);
    expect(noVersion.output).toContain(`version 7 of subject ${subject} does not exist (local EFD cluster a); its versions: 1, 2`);
    expect(noVersion.code).toBe(EXIT.badInput);

    expect((await withoutTty(() => efd('registry', 'delete', subject, ...r))).code).toBe(EXIT.usage);
    expect(await efdJson('registry', 'delete', subject, '--version', '1', '--yes', ...r)).toEqual({
      subject,
      deleted: [1],
      permanent: false,
    });
    expect(await efdJson('registry', 'show', subject, ...r)).toMatchObject({ versions: [2] });
    expect(await efdJson('registry', 'delete', subject, '--permanent', '--yes', ...r)).toEqual({ subject, deleted: [2], permanent: true });
    const gone = await efd('registry', 'show', subject, ...r);
    expect(gone.output).toContain(`subject ${subject} does not exist (local EFD cluster a)`);
    expect(gone.code).toBe(EXIT.badInput);
    expect((await efd('registry', 'compat', subject, files.v1, ...r)).code).toBe(EXIT.badInput);
  });

  it('upload --compatibility changes the level only when confirmed', async () => {
    const s = ns.name('levels-value');
    await efdJson('registry', 'upload', s, files.v1, '--compatibility', 'BACKWARD', '--yes', ...local);
    const refused = await withoutTty(() => efd('registry', 'upload', s, files.bad, '--compatibility', 'NONE', ...local));
    expect(refused.output).toContain(`set compatibility of subject ${s}`);
    expect(refused.code).toBe(EXIT.usage);
    expect(await efdJson('registry', 'show', s, ...local)).toMatchObject({ versions: [1], compatibility: 'BACKWARD' });
    expect(await efdJson('registry', 'upload', s, files.bad, '--compatibility', 'NONE', '--yes', ...local)).toMatchObject({
      version: 2,
      registered: true,
    });
    expect(await efdJson('registry', 'show', s, ...local)).toMatchObject({ versions: [1, 2], compatibility: 'NONE' });
  });
});
