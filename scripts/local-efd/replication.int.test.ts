/**
 * `local up --clusters 2` runs the replication servers (source registry, replication worker, remote
 * registry). This suite checks them where they are:
 *  - when the local EFD already runs them (their pid files in its state dir: what CI's `local up` does),
 *    it tests those running servers;
 *  - when their ports are free, it starts them with the very function `up` calls for them
 *    (startReplicationServers: pid files, fixed ports, the flow from the topology code, connectors applied
 *    by the connect manager) against the running clusters a and b, pid files and logs in a scratch state
 *    dir so the shared local EFD's own state is not touched, and stops them at the end;
 *  - when the ports are taken by anything else, it cannot run: reported as not run, a failure on CI.
 * Either way: a record registered in the source registry and produced on a arrives on b as
 * summit.<topic>, decodes with the remote registry, and `efd replication status --local` shows the flow.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Command } from 'commander';
import { TestNamespace, createTopic, expectedClusters, useNamespace, waitFor, waitForTopics } from '../../test/integration/env';
import { notRun } from '../../test/not-run';
import { registerReplicationCommand } from '../../apps/cli/replication';
import { tryReadEndpoints } from './endpoints';
import { describeOwner, portOwner, runningPid, stopServer } from './procs';
import { REPLICATION_PORTS } from './replication';
import { startReplicationServers } from './stack';

jest.setTimeout(600_000);

const SERVERS = ['replication-registry', 'replication', 'remote-registry'];
const ccompat = (port: number) => `http://127.0.0.1:${port}/apis/ccompat/v7`;

/** How this suite can run here, decided when it is collected (pid files and port owners are read synchronously). */
function mode(): { kind: 'running' } | { kind: 'start' } | { kind: 'cannot'; reason: string } {
  const running = SERVERS.filter((s) => runningPid(s));
  if (running.length === SERVERS.length && tryReadEndpoints()?.replication) return { kind: 'running' };
  const taken = Object.values(REPLICATION_PORTS)
    .map((p) => [p, portOwner(p)] as const)
    .filter(([, o]) => o);
  if (!taken.length) return { kind: 'start' };
  return {
    kind: 'cannot',
    reason: `ports ${taken.map(([p, o]) => `${p} (${describeOwner(o)})`).join(', ')} are taken, and not by the local EFD's replication servers${running.length ? ` (only ${running.join(', ')} run)` : ''}`,
  };
}

const how = expectedClusters() >= 2 ? mode() : { kind: 'cannot' as const, reason: 'the local EFD has fewer than 2 clusters' };
const title = 'replicate and decode a → b through the replication servers of `local up`, shown by `efd replication status --local`';

let ns: TestNamespace;
const savedStateDir = process.env.EFD_LOCAL_DIR;
let started: string[] = [];
let subject: string | undefined;

if (how.kind === 'cannot') notRun(title, how.reason);
else
  describe(`local up --clusters 2: the replication servers (${how.kind === 'running' ? 'the running ones' : 'started by this suite'})`, () => {
    beforeAll(async () => {
      ns = await useNamespace(__filename);
    });

    afterAll(async () => {
      if (subject) {
        // The source registry is not one of the clusters' registries that ns.cleanup() clears.
        const url = `${ccompat(REPLICATION_PORTS.sourceRegistry)}/subjects/${encodeURIComponent(subject)}`;
        await fetch(url, { method: 'DELETE' }).catch(() => undefined);
        await fetch(`${url}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
      }
      for (const name of [...started].reverse()) await stopServer(name).catch(() => undefined);
      process.env.EFD_LOCAL_DIR = savedStateDir;
      if (started.length) {
        // Their topics on the shared clusters (only when this suite started them): the worker's, the journals (and their replicas).
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

    test(title, async () => {
      if (how.kind === 'start') {
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
              sourceRegistry: ccompat(REPLICATION_PORTS.sourceRegistry),
              remoteRegistry: ccompat(REPLICATION_PORTS.remoteRegistry),
            },
          }),
        );
        process.env.EFD_LOCAL_DIR = state;
        const t0 = Date.now();
        started = await startReplicationServers((line) => process.stderr.write(`[local replication] ${line}\n`));
        process.stderr.write(`[local replication] started ${started.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        expect(started).toEqual(SERVERS);
        expect(fs.existsSync(path.join(state, 'pids', 'replication.pid.json'))).toBe(true);
      } else {
        // The local EFD's own: their ports are the fixed ones and endpoints.json names them.
        expect(ns.endpoints.replication).toEqual({
          flow: 'summit → ldf',
          connect: `http://127.0.0.1:${REPLICATION_PORTS.worker}`,
          sourceRegistry: ccompat(REPLICATION_PORTS.sourceRegistry),
          remoteRegistry: ccompat(REPLICATION_PORTS.remoteRegistry),
        });
      }

      const src = new SchemaRegistry({ host: ccompat(REPLICATION_PORTS.sourceRegistry) });
      const remote = new SchemaRegistry({ host: ccompat(REPLICATION_PORTS.remoteRegistry) });
      const topic = `lsst.sal.${ns.id}.ATDome.position`;
      subject = `${topic}-value`;
      const { id } = await src.register(
        { type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'position', fields: [{ name: 'seq', type: 'long' }] }) },
        { subject },
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
      const seqs: number[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: `summit.${topic}`, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seqs.push(Number(((await remote.decode(message.value as Buffer)) as { seq: number }).seq));
        },
      });
      await waitFor('200 records decoded at b', async () => new Set(seqs).size === 200, 120_000);
      await consumer.disconnect();
      expect([...new Set(seqs)].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));

      const out: string[] = [];
      const program = new Command();
      registerReplicationCommand(program, { out: (l) => out.push(l), err: (l) => out.push(l) });
      // Other suites may be producing into the shared flow meanwhile: this topic's lag is the one asserted.
      await waitFor(
        'status --local caught up on this topic',
        async () => {
          out.length = 0;
          await program.parseAsync(['replication', 'status', '--local'], { from: 'user' });
          return out.some((l) => l.includes(`summit.${topic}: lag 0`)) && out[0].startsWith('summit → ldf: lag ');
        },
        60_000,
      );
      process.stderr.write(
        `[local replication] ${out.filter((l) => !l.includes(' → summit.') || l.includes(ns.id)).join('\n[local replication] ')}\n`,
      );
      expect(out.filter((l) => /RUNNING\s+tasks 0:RUNNING/.test(l))).toHaveLength(2);
      expect(process.exitCode ?? 0).toBe(0);
      process.exitCode = undefined;
    });
  });
