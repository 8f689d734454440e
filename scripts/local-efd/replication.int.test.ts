/**
 * `local up --clusters 2` starts the replication servers: this suite starts them with the very function
 * `up` calls for them (startReplicationServers: pid files, fixed ports, the flow from the topology code,
 * connectors applied by the connect manager), against the running clusters a and b, with pid files and
 * logs in a scratch state dir so the shared local EFD's own state is not touched; then a record registered
 * in the source registry and produced on a arrives on b as summit.<topic>, decodes with the remote
 * registry, and `efd replication status --local` shows the flow. Stops them and deletes their topics.
 * Skipped when the ports are taken (e.g. the local EFD already runs its replication).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Command } from 'commander';
import { TestNamespace, createTopic, expectedClusters, useNamespace, waitFor, waitForTopics } from '../../test/integration/env';
import { registerReplicationCommand } from '../../apps/cli/replication';
import { canBind, stopServer } from './procs';
import { REPLICATION_PORTS } from './replication';
import { startReplicationServers } from './stack';

jest.setTimeout(600_000);

let ns: TestNamespace;
const savedStateDir = process.env.EFD_LOCAL_DIR;
let free = true;
let started: string[] = [];

const run = expectedClusters() >= 2 ? describe : describe.skip;

run('local up --clusters 2: the replication servers', () => {
  beforeAll(async () => {
    ns = await useNamespace(__filename);
    for (const p of Object.values(REPLICATION_PORTS)) free = free && (await canBind(p));
  });

  afterAll(async () => {
    for (const name of [...started].reverse()) await stopServer(name).catch(() => undefined);
    process.env.EFD_LOCAL_DIR = savedStateDir;
    if (started.length) {
      // Their topics on the shared clusters: the worker's, the journals (and their replicas), this suite's.
      for (const [i, pattern] of [
        [0, /^kafkasql-journal(-snapshots)?$/],
        [1, /^(efd-local-replication-.*|summit\.kafkasql-journal(-snapshots)?)$/],
      ] as const) {
        const admin = ns.kafka(i).admin();
        await admin.connect();
        const topics = (await admin.listTopics()).filter((t) => pattern.test(t));
        if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
        await admin.disconnect();
      }
    }
    await ns?.cleanup();
  });

  test('start (as `up` does), replicate and decode a → b, and show in `efd replication status --local`', async () => {
    if (!free) {
      process.stderr.write(`[local replication] ports ${Object.values(REPLICATION_PORTS).join(', ')} taken: not run\n`);
      return;
    }
    // Pid files, logs and worker config in a scratch state dir; the clusters are the running ones.
    const state = path.join(ns.tmpDir, 'state');
    fs.mkdirSync(state, { recursive: true });
    fs.writeFileSync(
      path.join(state, 'endpoints.json'),
      JSON.stringify({
        ...ns.endpoints,
        replication: {
          flow: 'summit → ldf',
          connect: `http://127.0.0.1:${REPLICATION_PORTS.worker}`,
          sourceRegistry: `http://127.0.0.1:${REPLICATION_PORTS.sourceRegistry}/apis/ccompat/v7`,
          remoteRegistry: `http://127.0.0.1:${REPLICATION_PORTS.remoteRegistry}/apis/ccompat/v7`,
        },
      }),
    );
    process.env.EFD_LOCAL_DIR = state;
    const t0 = Date.now();
    started = await startReplicationServers((line) => process.stderr.write(`[local replication] ${line}\n`));
    process.stderr.write(`[local replication] started ${started.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    expect(started).toEqual(['replication-registry', 'replication', 'remote-registry']);
    expect(fs.existsSync(path.join(state, 'pids', 'replication.pid.json'))).toBe(true);

    const src = new SchemaRegistry({ host: `http://127.0.0.1:${REPLICATION_PORTS.sourceRegistry}/apis/ccompat/v7` });
    const remote = new SchemaRegistry({ host: `http://127.0.0.1:${REPLICATION_PORTS.remoteRegistry}/apis/ccompat/v7` });
    const topic = `lsst.sal.${ns.id}.ATDome.position`;
    const { id } = await src.register(
      { type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'position', fields: [{ name: 'seq', type: 'long' }] }) },
      { subject: `${topic}-value` },
    );
    const kafkaA = ns.kafka(0);
    await createTopic(kafkaA, topic, 1);
    const producer = kafkaA.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: await Promise.all(Array.from({ length: 200 }, async (_, i) => ({ value: await src.encode(id, { seq: i }) }))),
    });
    await producer.disconnect();

    const kafkaB = ns.kafka(1);
    await waitForTopics(kafkaB, [`summit.${topic}`], 120_000);
    const consumer = kafkaB.consumer({ groupId: ns.name('local-repl') });
    const seqs = new Set<number>();
    await consumer.connect();
    await consumer.subscribe({ topic: `summit.${topic}`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seqs.add(Number(((await remote.decode(message.value as Buffer)) as { seq: number }).seq));
      },
    });
    await waitFor('200 records decoded at b', async () => seqs.size === 200, 120_000);
    await consumer.disconnect();

    const out: string[] = [];
    const program = new Command();
    registerReplicationCommand(program, { out: (l) => out.push(l), err: (l) => out.push(l) });
    await waitFor(
      'status --local caught up',
      async () => {
        out.length = 0;
        await program.parseAsync(['replication', 'status', '--local'], { from: 'user' });
        return out.some((l) => l.includes(`summit.${topic}: lag 0`)) && out[0].startsWith('summit → ldf: lag 0 records');
      },
      60_000,
    );
    process.stderr.write(`[local replication] ${out.join('\n[local replication] ')}\n`);
    expect(out.filter((l) => /RUNNING\s+tasks 0:RUNNING/.test(l))).toHaveLength(2);
    expect(process.exitCode ?? 0).toBe(0);
    process.exitCode = undefined;
  });
});
