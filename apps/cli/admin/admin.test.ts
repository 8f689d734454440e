/**
 * The admin CLI's pieces without a server: flag parsing, confirmation, endpoint resolution, the
 * JSON shapes built from an admin client's answers, and every command group's error when its server is
 * down (a closed loopback port), with both Kafka clients.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closedPort, efd } from '../../../test/cli';
import { EXIT, exitCodeOf } from '../../lib/exit-codes';
import type { EfdAdmin } from '../../lib/kafka-admin';
import { brokersReport, formatBrokers } from './brokers';
import { confirm, isYes } from './confirm';
import { formatLag, groupLagReport } from './consumer-groups';
import { readSchemaFile } from './registry';
import { resolveTarget, Target } from './target';
import { describeTopic, formatDescription, listTopics, parseConfigs, positiveInt } from './topics';

const local: Target = { kafka: '127.0.0.1:9092', registry: 'http://127.0.0.1:8081', source: 'local EFD cluster a' };

/** An admin client answering from fixed data (only what the commands under test call). */
function fakeAdmin(o: Partial<EfdAdmin>): EfdAdmin {
  return new Proxy(o as EfdAdmin, {
    get: (target, key) => {
      const v = (target as unknown as Record<string | symbol, unknown>)[key];
      if (v === undefined) throw new Error(`fake admin: ${String(key)} not expected`);
      return v;
    },
  });
}

describe('flag parsing', () => {
  it('name=value configs, naming the flag when one is not', () => {
    expect(parseConfigs('--config', ['retention.ms=1000', 'cleanup.policy=compact,delete', 'x='])).toEqual({
      'retention.ms': '1000',
      'cleanup.policy': 'compact,delete',
      x: '',
    });
    expect(() => parseConfigs('--set', ['retention.ms'])).toThrow('--set retention.ms: expected name=value');
    expect(() => parseConfigs('--set', ['=1'])).toThrow('expected name=value');
    expect(exitCodeOf(captured(() => parseConfigs('--set', ['a'])))).toBe(EXIT.usage);
  });
  it('whole numbers ≥ 1', () => {
    expect(positiveInt('--partitions', undefined, 1)).toBe(1);
    expect(positiveInt('--partitions', '12', 1)).toBe(12);
    for (const bad of ['0', '-1', '1.5', 'many'])
      expect(() => positiveInt('--partitions', bad, 1)).toThrow(`--partitions ${bad}: expected`);
  });
  it('a schema file: missing or not JSON is bad input, naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-admin-'));
    fs.writeFileSync(path.join(dir, 'bad.avsc'), '{"type": "record",');
    expect(() => readSchemaFile(path.join(dir, 'none.avsc'))).toThrow(`schema file ${path.join(dir, 'none.avsc')}: ENOENT`);
    expect(exitCodeOf(captured(() => readSchemaFile(path.join(dir, 'bad.avsc'))))).toBe(EXIT.badInput);
    fs.rmSync(dir, { recursive: true });
  });
});

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('confirm', () => {
  const tty = (answer: string) => ({ isTTY: true, ask: jest.fn(async () => answer) });
  it('--yes goes ahead without asking', async () => {
    const io = tty('n');
    await expect(confirm('delete topic x', { yes: true, io })).resolves.toBeUndefined();
    expect(io.ask).not.toHaveBeenCalled();
  });
  it('asks on a terminal: only y/yes goes on; another answer changes nothing (exit 1)', async () => {
    await expect(confirm('delete topic x', { io: tty(' Yes ') })).resolves.toBeUndefined();
    const no = tty('');
    const err = await confirm('delete topic x', { io: no }).catch((e: unknown) => e);
    expect(no.ask).toHaveBeenCalledWith('delete topic x? [y/N] ');
    expect((err as Error).message).toBe('delete topic x: not confirmed, nothing changed');
    expect(exitCodeOf(err)).toBe(EXIT.failed);
    expect(['y', 'YES', ' y '].every(isYes)).toBe(true);
    expect(['n', 'yess', 'ok', ''].some(isYes)).toBe(false);
  });
  it('no terminal and no --yes: refuses with the usage code, saying to pass --yes', async () => {
    const io = { isTTY: false, ask: jest.fn(async () => 'y') };
    const err = await confirm('delete topic x', { io }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('delete topic x: refusing without confirmation (no terminal to ask on); pass --yes to confirm');
    expect(exitCodeOf(err)).toBe(EXIT.usage);
    expect(io.ask).not.toHaveBeenCalled();
  });
});

describe('resolveTarget', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-admin-local-'));
  const saved = process.env.EFD_LOCAL_DIR;
  beforeAll(() => {
    process.env.EFD_LOCAL_DIR = dir;
  });
  afterAll(() => {
    process.env.EFD_LOCAL_DIR = saved;
    if (saved === undefined) delete process.env.EFD_LOCAL_DIR;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const cluster = (name: string, port: number) => ({
    name,
    kafka: `127.0.0.1:${port}`,
    registry: `http://127.0.0.1:${port + 1}/apis/ccompat/v7`,
    registryBase: `http://127.0.0.1:${port + 1}`,
    connect: 'http://127.0.0.1:1',
  });

  it('the overrides win and need no local EFD', async () => {
    await expect(resolveTarget({ bootstrapServers: 'k:9092' }, 'kafka')).resolves.toMatchObject({
      kafka: 'k:9092',
      source: '--bootstrap-servers',
    });
    await expect(resolveTarget({ registryUrl: 'http://r:8081', site: 'summit' }, 'registry')).resolves.toMatchObject({
      registry: 'http://r:8081',
    });
  });
  it("--site: the site's in-cluster endpoints; an unknown site or --site with --cluster is a usage error", async () => {
    await expect(resolveTarget({ site: 'summit' }, 'kafka')).resolves.toEqual({
      kafka: 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
      registry: 'http://cp-cp-schema-registry.kafka.svc.cluster.local:8081',
      source: 'site summit',
    });
    const unknown = await resolveTarget({ site: 'moon' }, 'kafka').catch((e: unknown) => e);
    expect((unknown as Error).message).toMatch(/^--site moon: unknown site; known sites: .*summit/);
    expect(exitCodeOf(unknown)).toBe(EXIT.usage);
    expect(exitCodeOf(await resolveTarget({ site: 'summit', cluster: 'b' }, 'kafka').catch((e: unknown) => e))).toBe(EXIT.usage);
  });
  it('the local EFD: cluster a by default, --cluster b; not running → unreachable, saying how to start it', async () => {
    const missing = await resolveTarget({}, 'kafka').catch((e: unknown) => e);
    expect((missing as Error).message).toContain('the local EFD is not running');
    expect(exitCodeOf(missing)).toBe(EXIT.unreachable);
    fs.writeFileSync(
      path.join(dir, 'endpoints.json'),
      JSON.stringify({ clusters: [cluster('a', 9092), cluster('b', 9192)], influxdb: { url: 'http://127.0.0.1:8086', database: 'efd' } }),
    );
    await expect(resolveTarget({}, 'kafka')).resolves.toMatchObject({ kafka: '127.0.0.1:9092', source: 'local EFD cluster a' });
    await expect(resolveTarget({ cluster: 'b' }, 'registry')).resolves.toMatchObject({
      registry: 'http://127.0.0.1:9193/apis/ccompat/v7',
      source: 'local EFD cluster b',
    });
    const c = await resolveTarget({ cluster: 'c' }, 'kafka').catch((e: unknown) => e);
    expect((c as Error).message).toBe('--cluster c: the local EFD has clusters a, b');
    expect(exitCodeOf(c)).toBe(EXIT.usage);
  });
});

describe('JSON shapes from the admin answers', () => {
  it('topics list: partitions and replication factor, internal topics only with --all, a pattern', async () => {
    const admin = fakeAdmin({
      listTopics: async () => ['b', '__consumer_offsets', 'a.x'],
      topicPartitions: async (ts) =>
        ts.map((topic) => ({ topic, partitions: [0, 1].map((partition) => ({ partition, leader: 1, replicas: [1, 2], isr: [1] })) })),
    });
    expect(await listTopics(admin)).toEqual([
      { topic: 'a.x', partitions: 2, replicationFactor: 2 },
      { topic: 'b', partitions: 2, replicationFactor: 2 },
    ]);
    expect((await listTopics(admin, { all: true })).map((t) => t.topic)).toEqual(['__consumer_offsets', 'a.x', 'b']);
    expect((await listTopics(admin, { match: '^a[.]' })).map((t) => t.topic)).toEqual(['a.x']);
    expect(exitCodeOf(await listTopics(admin, { match: '(' }).catch((e: unknown) => e))).toBe(EXIT.usage);
  });

  it('topics describe: partitions with offsets, only the configs set on the topic; unknown topic → 3', async () => {
    const admin = fakeAdmin({
      listTopics: async () => ['t'],
      topicPartitions: async () => [{ topic: 't', partitions: [{ partition: 0, leader: 1, replicas: [1], isr: [1] }] }],
      topicOffsets: async () => [{ partition: 0, low: '2', high: '7' }],
      topicConfigEntries: async () => [
        { name: 'cleanup.policy', value: 'delete', source: 'default', readOnly: false, sensitive: false },
        { name: 'retention.ms', value: '1000', source: 'topic', readOnly: false, sensitive: false },
      ],
    });
    const d = await describeTopic(admin, local, 't');
    expect(d).toEqual({
      topic: 't',
      partitions: [{ partition: 0, leader: 1, replicas: [1], isr: [1], low: 2, high: 7 }],
      configs: { 'retention.ms': '1000' },
    });
    expect(formatDescription(d)).toEqual([
      't: 1 partition(s), 5 record(s) held',
      'PARTITION  LEADER  REPLICAS  ISR  LOW  HIGH',
      '        0       1  1         1      2     7',
      'configs set on the topic:',
      '  retention.ms=1000',
    ]);
    const missing = await describeTopic(admin, local, 'nope').catch((e: unknown) => e);
    expect((missing as Error).message).toBe('topic nope does not exist (local EFD cluster a); `efd topics list` shows the topics');
    expect(exitCodeOf(missing)).toBe(EXIT.badInput);
  });

  it('brokers: the controller marked', () => {
    const r = brokersReport({
      clusterId: 'c1',
      controllerId: 2,
      brokers: [1, 2].map((nodeId) => ({ nodeId, host: 'h', port: 9092, rack: null })),
    });
    expect(r).toEqual({
      clusterId: 'c1',
      controllerId: 2,
      brokers: [
        { nodeId: 1, host: 'h', port: 9092, rack: null, controller: false },
        { nodeId: 2, host: 'h', port: 9092, rack: null, controller: true },
      ],
    });
    expect(formatBrokers(r)).toEqual([
      'cluster c1: 2 broker(s)',
      'ID  HOST  PORT  RACK  CONTROLLER',
      ' 1  h     9092  -     no',
      ' 2  h     9092  -     yes',
    ]);
  });

  it('consumer-groups lag: per partition committed, end, lag (no commit: from the earliest offset) and the total; unknown group → 3', async () => {
    const admin = fakeAdmin({
      listGroups: async () => [{ groupId: 'g', state: 'Empty', protocolType: 'consumer' }],
      groupOffsets: async () => [
        { topic: 't', partition: 0, offset: '2' },
        { topic: 't', partition: 1, offset: '-1' },
      ],
      topicOffsets: async () => [
        { partition: 0, low: '0', high: '5' },
        { partition: 1, low: '1', high: '4' },
        { partition: 2, low: '0', high: '0' },
      ],
    });
    const r = await groupLagReport(admin, local, 'g');
    expect(r).toEqual({
      groupId: 'g',
      state: 'Empty',
      partitions: [
        { topic: 't', partition: 0, committed: 2, end: 5, lag: 3 },
        { topic: 't', partition: 1, committed: null, end: 4, lag: 3 },
        { topic: 't', partition: 2, committed: null, end: 0, lag: 0 },
      ],
      total: 6,
    });
    expect(formatLag(r)).toEqual([
      'g (Empty): lag 6 record(s)',
      'TOPIC  PARTITION  COMMITTED  END  LAG',
      't              0          2    5    3',
      't              1          -    4    3',
      't              2          -    0    0',
      'total                               6',
    ]);
    const missing = await groupLagReport(admin, local, 'h').catch((e: unknown) => e);
    expect((missing as Error).message).toBe(
      'consumer group h does not exist (local EFD cluster a); `efd consumer-groups list` shows the groups',
    );
    expect(exitCodeOf(missing)).toBe(EXIT.badInput);
  });
});

describe('a server that is down: one line naming it, exit 4', () => {
  let port: number;
  beforeAll(async () => {
    port = await closedPort();
  });
  const saved = process.env.EFD_KAFKA_CLIENT;
  afterEach(() => {
    if (saved === undefined) delete process.env.EFD_KAFKA_CLIENT;
    else process.env.EFD_KAFKA_CLIENT = saved;
  });

  describe.each(['platformatic', 'kafkajs'])('Kafka (%s)', (client) => {
    beforeEach(() => {
      process.env.EFD_KAFKA_CLIENT = client;
    });
    it.each([
      ['topics', 'list'],
      ['topics', 'delete', 'x', '--yes'],
      ['brokers'],
      ['consumer-groups', 'list'],
      ['consumer-groups', 'lag', 'g'],
    ])(
      'efd %s %s',
      async (...words) => {
        const r = await efd(...words, '--bootstrap-servers', `127.0.0.1:${port}`);
        expect(r.output.trim().split('\n')).toEqual([
          expect.stringMatching(
            new RegExp(
              `^efd: Kafka at 127\\.0\\.0\\.1:${port} \\(--bootstrap-servers\\) did not answer \\(ECONNREFUSED\\): check that it runs, or point --site, --cluster or --bootstrap-servers at it$`,
            ),
          ),
        ]);
        expect(r.code).toBe(EXIT.unreachable);
      },
      30_000,
    );
  });

  it.each([['list'], ['show', 's'], ['delete', 's', '--yes']])('the schema registry: efd registry %s', async (...words) => {
    const r = await efd('registry', ...words, '--registry-url', `http://127.0.0.1:${port}`);
    const lines = r.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^efd: schema registry http://127\\.0\\.0\\.1:${port}(/\\S*)?: .* failed after 2 attempt\\(s\\): .*ECONNREFUSED`),
    );
    expect(lines[0]).toContain('Check that it runs, or point --site, --cluster or --registry-url at it (--registry-url).');
    expect(r.code).toBe(EXIT.unreachable);
  });
});
