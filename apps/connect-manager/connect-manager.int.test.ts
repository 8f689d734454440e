/**
 * The connect manager on the real local Connect worker, with the FileStreamSink that ships with Kafka:
 * create, second run no-op, update, topic list grows when a matching topic appears (one-shot and
 * --watch), delete only what it manages, worker errors surface with the worker's message.
 * Run: npx jest --selectProjects integration apps/connect-manager
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestNamespace, createTopic, useNamespace, waitFor } from '../../test/integration/env';
import type { CliOutput } from '../lib/cli-output';
import { runApply, runDelete, runStatus } from './cli';
import { ConnectClient, validationErrors } from './connect-client';
import { MANAGED_BY_KEY } from '../../config/connector-spec';

jest.setTimeout(180_000);

const FILE_SINK = 'org.apache.kafka.connect.file.FileStreamSinkConnector';
let ns: TestNamespace;
let connect: ConnectClient;
let desiredFile: string;
let managerId: string;
let sinkName: string;

function capture(): CliOutput & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

function writeDesired(specs: unknown[]): void {
  fs.writeFileSync(desiredFile, JSON.stringify({ connectors: specs }, null, 2));
}

function fileSinkSpec(file: string): unknown {
  return {
    name: sinkName,
    config: {
      'connector.class': FILE_SINK,
      file,
      'tasks.max': '1',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    },
    topicsRegex: `it\\.${ns.id}\\.cm\\..*`,
  };
}

const flags = () => ({
  connectUrl: ns.endpoints.clusters[0].connect,
  brokers: ns.endpoints.clusters[0].kafka,
  managerId,
  desired: desiredFile,
});

beforeAll(async () => {
  ns = await useNamespace(__filename);
  connect = new ConnectClient(ns.endpoints.clusters[0].connect);
  desiredFile = path.join(ns.tmpDir, 'connectors.json');
  managerId = ns.name('mgr');
  sinkName = ns.name('file-sink');
}, 15 * 60_000);

afterAll(async () => {
  await ns?.cleanup();
});

describe('connect manager on the real worker', () => {
  it('the worker validates the FileStreamSink config with 0 errors', async () => {
    const r = await connect.validate({ 'connector.class': FILE_SINK, name: sinkName, topics: 'x', file: path.join(ns.tmpDir, 'v.txt') });
    expect(validationErrors(r)).toEqual([]);
    expect(r.error_count).toBe(0);
  });

  it('waits while no topic matches, creates once one does, and a second run is a no-op', async () => {
    writeDesired([fileSinkSpec(path.join(ns.tmpDir, 'out1.txt'))]);
    let io = capture();
    expect(await runApply(flags(), io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(/pending .*no topic matches/);
    expect(await connect.config(sinkName)).toBeUndefined();

    await createTopic(ns.kafka(), ns.topic('cm.a'));
    io = capture();
    expect(await runApply(flags(), io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(new RegExp(`\\+ create +${sinkName} +${FILE_SINK} \\(1 topic\\(s\\)\\)`));
    const cfg = await connect.config(sinkName);
    expect(cfg).toMatchObject({ topics: ns.topic('cm.a'), [MANAGED_BY_KEY]: managerId, file: path.join(ns.tmpDir, 'out1.txt') });
    await waitFor('connector RUNNING', async () => (await connect.status(sinkName))?.tasks[0]?.state === 'RUNNING');

    io = capture();
    expect(await runApply(flags(), io)).toBe(0);
    expect(io.lines).toContain('nothing to do');
    expect(io.lines.join('\n')).toMatch(/= unchanged +.*\nplan: 0 to create, 0 to update, 0 to delete, 1 unchanged/);
  });

  it('the records of the topic arrive in the file', async () => {
    const producer = ns.kafka().producer();
    await producer.connect();
    await producer.send({ topic: ns.topic('cm.a'), messages: [{ value: 'hello-1' }, { value: 'hello-2' }] });
    await producer.disconnect();
    await waitFor('records in the sink file', async () => {
      const f = path.join(ns.tmpDir, 'out1.txt');
      return fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('hello-2');
    });
  });

  it('updates a changed config; --dry-run shows the change without applying it', async () => {
    writeDesired([fileSinkSpec(path.join(ns.tmpDir, 'out2.txt'))]);
    let io = capture();
    expect(await runApply({ ...flags(), dryRun: true }, io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(/~ update +.*\n +file: .*out1\.txt → .*out2\.txt/);
    expect((await connect.config(sinkName))?.file).toMatch(/out1\.txt$/);
    io = capture();
    expect(await runApply(flags(), io)).toBe(0);
    expect((await connect.config(sinkName))?.file).toMatch(/out2\.txt$/);
  });

  it('adds a new matching topic to the connector (one-shot)', async () => {
    await createTopic(ns.kafka(), ns.topic('cm.b'));
    const io = capture();
    expect(await runApply(flags(), io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(/topics: .*cm\.a → .*cm\.a,.*cm\.b/);
    expect((await connect.config(sinkName))?.topics).toBe(`${ns.topic('cm.a')},${ns.topic('cm.b')}`);
  });

  it('--watch refreshes the topic list on its interval when a topic appears', async () => {
    const stop = new AbortController();
    const io = capture();
    const watching = runApply({ ...flags(), watch: 1, logLevel: 'silent' }, io, stop.signal);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      await createTopic(ns.kafka(), ns.topic('cm.c'));
      await waitFor(
        'cm.c in the connector topics',
        async () => (await connect.config(sinkName))?.topics?.includes(ns.topic('cm.c')),
        30_000,
      );
    } finally {
      stop.abort();
      expect(await watching).toBe(0);
    }
  });

  it('status shows states; a failed task is reported (exit 1) and restarted with --restart-failed', async () => {
    let io = capture();
    await waitFor('task RUNNING', async () => (await connect.status(sinkName))?.tasks[0]?.state === 'RUNNING');
    expect(await runStatus({ connectUrl: flags().connectUrl, managerId }, [], io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(new RegExp(`${sinkName} +RUNNING +tasks 0:RUNNING`));

    // A file sink that cannot open its file fails its task.
    const broken = ns.name('broken-sink');
    await connect.putConfig(broken, {
      'connector.class': FILE_SINK,
      topics: ns.topic('cm.a'),
      file: '/proc/efd-cannot-write/here.txt',
      [MANAGED_BY_KEY]: managerId,
    });
    await waitFor('broken task FAILED', async () => (await connect.status(broken))?.tasks[0]?.state === 'FAILED');
    io = capture();
    expect(await runStatus({ connectUrl: flags().connectUrl, managerId }, [], io)).toBe(1);
    expect(io.lines.join('\n')).toMatch(new RegExp(`${broken} +RUNNING +tasks 0:FAILED\\n +task 0: `));
    io = capture();
    expect(await runStatus({ connectUrl: flags().connectUrl, managerId, restartFailed: true }, [broken], io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(/restarted: task 0/);
    await connect.delete(broken);
  });

  it('deletes only connectors it manages: undeclared managed ones go, foreign ones stay', async () => {
    const foreign = ns.name('foreign-sink');
    await connect.putConfig(foreign, { 'connector.class': FILE_SINK, topics: ns.topic('cm.a'), file: path.join(ns.tmpDir, 'foreign.txt') });
    writeDesired([]);
    const io = capture();
    expect(await runApply(flags(), io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(new RegExp(`- delete +${sinkName}`));
    expect(io.lines.join('\n')).not.toMatch(new RegExp(foreign));
    expect(await connect.config(sinkName)).toBeUndefined();
    expect(await connect.config(foreign)).toBeDefined();

    // A declared connector with a foreign connector's name is a conflict, not an overwrite.
    writeDesired([{ name: foreign, config: { 'connector.class': FILE_SINK, topics: ns.topic('cm.a'), file: '/tmp/x' } }]);
    const io2 = capture();
    expect(await runApply(flags(), io2)).toBe(1);
    expect(io2.errors.join('\n')).toMatch(/not managed by any connect manager.*--adopt/);
    // `delete` refuses it too.
    await expect(runDelete({ connectUrl: flags().connectUrl, managerId }, [foreign], capture())).rejects.toThrow(
      /not managed by .*refusing to delete/,
    );
    await connect.delete(foreign);
  });

  it("shows the worker's message and exits 1 when the worker refuses a config", async () => {
    writeDesired([{ name: ns.name('bad'), config: { 'connector.class': 'org.example.NoSuchConnector', topics: ns.topic('cm.a') } }]);
    const io = capture();
    expect(await runApply(flags(), io)).toBe(1);
    expect(io.errors.join('\n')).toMatch(
      /error: create .*bad: Kafka Connect PUT \/connectors\/.*\/config failed: HTTP (400|500): .*NoSuchConnector/,
    );
    expect(await connect.config(ns.name('bad'))).toBeUndefined();
  });

  it('an unreachable worker is an error naming the URL', async () => {
    const io = capture();
    await expect(runApply({ ...flags(), connectUrl: 'http://127.0.0.1:1' }, io)).rejects.toThrow(
      /Kafka Connect at http:\/\/127.0.0.1:1 is unreachable/,
    );
  });
});
