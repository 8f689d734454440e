/**
 * `efd alerts experiment` as a user runs it (a process, --json) on the local EFD, small: one visit of 2,000 generated
 * alerts with cutouts, the 5 filter groups of seed004 as processes, 10 users in 2 processes of 5. The
 * report's counts must be what the filter topics hold, read here with a consumer of the test's own: per
 * filter the alerts of the visit (min/median/max, at the cap, none, total), every user's topic received to
 * its end, a finish time for every group and a receipt for every user whose topic got an alert; the files
 * (results.json, summary.txt, the PNG) written.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filterTopicOf } from '../../config/names';
import { namedFilterSet } from '../../apps/alerts/filter-sets';
import { createAdmin } from '../../apps/lib/kafka-admin';
import { createConsumer, type ConsumedMessage } from '../../apps/lib/kafka-consumer';
import { useNamespace, waitFor, type TestNamespace } from '../../test/integration/env';
import { header } from '../../test/integration/efd-process';
import type { AlertsExperimentReport } from './alerts-report';

const root = path.resolve(__dirname, '..', '..');

function efd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'apps', 'cli', 'main.ts'), ...args],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

jest.setTimeout(180_000);

let ns: TestNamespace;
beforeAll(async () => {
  ns = await useNamespace(__filename);
});
afterAll(async () => {
  await ns?.cleanup();
});

test('one visit of 2,000 alerts through 100 filters to 10 users: the report counts what the filter topics hold', async () => {
  const prefix = ns.topic('');
  const cluster = ns.endpoints.clusters[0];
  const outDir = path.join(ns.tmpDir, 'report');
  const r = await efd([
    'alerts',
    'experiment',
    '--visits',
    '1',
    '--warm-up-visits',
    '0',
    '--alerts-per-visit',
    '2000',
    '--interval',
    '5s',
    '--users',
    '10',
    '--users-per-process',
    '5',
    '--topic-prefix',
    prefix,
    '--keep',
    '--out',
    outDir,
    '--json', // the local EFD's endpoints, as a user runs it
  ]);
  expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as AlertsExperimentReport;
  expect(report.status).toBe('ok');
  expect(report.settings).toMatchObject({ users: 10, userProcesses: 2, filterGroups: 5, filters: 100 });
  expect(report.visits).toHaveLength(1);
  const v = report.visits[0];
  expect(v.alerts).toBe(2000);

  // the filter topics' contents, read here
  const filters = namedFilterSet('seed004').groups.flatMap((g) => g.filters);
  const topics = filters.map((f) => `${prefix}${filterTopicOf(f.output)}`);
  const admin = createAdmin(ns.kafkaOptions());
  await admin.connect();
  const ends = new Map<string, number>();
  try {
    for (const t of topics)
      ends.set(
        t,
        (await admin.topicOffsets(t)).reduce((n, p) => n + Number(p.high), 0),
      );
  } finally {
    await admin.disconnect();
  }
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  const got: (ConsumedMessage & { topic: string })[] = [];
  const consumer = createConsumer(ns.kafkaOptions(), { groupId: ns.name('check'), maxWaitTimeMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topics.filter((t) => ends.get(t)! > 0), fromBeginning: true });
    await consumer.run({
      partitionsConcurrency: 8,
      eachBatch: async (b) => void got.push(...b.messages.map((m) => ({ ...m, topic: b.topic }))),
    });
    await waitFor(`${total} filter records`, async () => got.length >= total, 60_000);
  } finally {
    await consumer.disconnect();
  }
  const perTopic = topics.map((t) => got.filter((m) => m.topic === t && header(m, 'visit') === v.visit).length);
  expect(got.every((m) => header(m, 'visit') === v.visit)).toBe(true);
  const sorted = [...perTopic].sort((a, b) => a - b);
  expect(v.perFilter).toEqual({
    min: sorted[0],
    median: sorted[49],
    max: sorted[99],
    atCap: perTopic.filter((n, i) => n >= filters[i].cap).length,
    none: perTopic.filter((n) => n === 0).length,
    total,
  });
  expect(report.passed).toBe(total);
  expect(v.perFilter!.atCap).toBeGreaterThan(0);
  expect(v.perFilter!.max).toBeLessThanOrEqual(20);

  // users 0–9 read Filter001–010 (the stack's spread); each received its topic to the end
  expect(report.usersComplete).toBe(10);
  const withAlerts = perTopic.slice(0, 10).filter((n) => n > 0).length;
  expect(v.userReceiptS.count).toBe(withAlerts);
  expect(v.usersWithoutAlerts).toBe(10 - withAlerts);
  expect(v.usersMissing).toBe(0);
  expect(report.receipts.map(([, user]) => user)).toEqual(
    perTopic
      .slice(0, 10)
      .map((n, i) => (n > 0 ? i : -1))
      .filter((i) => i >= 0),
  );
  // every group finished, after the visit's first alert; the users' alerts came through the filters from the producer
  expect(v.filterGroupsDoneS).toHaveLength(5);
  for (const g of v.filterGroupsDoneS) expect(g.s).toBeGreaterThan(-v.produceS);
  expect(v.userEndToEndS.p50!).toBeGreaterThan(0);
  // CPU over the visit: the filters worked, the local broker's process was found
  expect(v.cpuS).toMatchObject({ filters: expect.any(Number), broker: expect.any(Number), machine: expect.any(Number) });
  expect(v.cpuS!.filters!).toBeGreaterThan(0);
  expect(report.settings.endpoints.kafka).toBe(cluster.kafka);

  expect(report.files.map((f) => path.basename(f))).toEqual(['results.json', 'summary.txt', 'receipt-times.svg', 'receipt-times.png']);
  expect(JSON.parse(fs.readFileSync(path.join(outDir, 'results.json'), 'utf8')).passed).toBe(total);
  expect(fs.readFileSync(path.join(outDir, 'receipt-times.png')).subarray(1, 4).toString()).toBe('PNG');
  // progress on stderr with --json
  expect(r.stderr).toContain('10 users consuming');
});
