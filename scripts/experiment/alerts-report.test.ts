import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  alertsSummaryLines,
  buildAlertsReport,
  cpuBetween,
  findMaxStep,
  findMaxSummaryLines,
  reachedAt,
  receiptPlotSpec,
  spread,
  writeAlertsReport,
  type AlertsExperimentSettings,
  type ReportInput,
} from './alerts-report';

const T0 = 1_800_000_000_000;
const settings: AlertsExperimentSettings = {
  prefix: 'x.',
  visits: 2,
  warmUpVisits: 0,
  cores: 2,
  alertsPerVisit: 1000,
  intervalS: 10,
  users: 3,
  usersPerProcess: 2,
  userProcesses: 2,
  cutouts: true,
  seed: 4,
  partitions: 10,
  filterGroups: 2,
  filters: 2,
  endpoints: { kafka: 'k:1', registry: 'http://r' },
};

/**
 * Two visits 10 s apart; two filter topics (caps 3 and 2); users 0 and 2 on x.F1, user 1 on x.F2.
 * Visit 0: F1 gets offsets 0–2 (cap), F2 offset 0; visit 1: F1 offsets 3–4, F2 nothing.
 */
function input(over: Partial<ReportInput> = {}): ReportInput {
  return {
    id: 'alertsexp-t',
    status: 'ok',
    startedAt: new Date(T0 - 5000),
    finishedAt: new Date(T0 + 30_000),
    settings,
    produced: [
      { index: 0, visit: '100', alerts: 1000, bytes: 9e6, firstMs: T0, submittedMs: T0 + 800, lastAckMs: T0 + 1000, produceS: 1 },
      {
        index: 1,
        visit: '101',
        alerts: 1000,
        bytes: 9e6,
        firstMs: T0 + 10_000,
        submittedMs: T0 + 10_700,
        lastAckMs: T0 + 11_000,
        produceS: 1,
      },
    ],
    groups: [
      {
        group: 'x.alerts-filter-1',
        steps: [
          [T0 + 500, 400],
          [T0 + 1300, 1000],
          [T0 + 11_250, 2000],
        ],
      },
      {
        group: 'x.alerts-filter-2',
        steps: [
          [T0 + 1600, 1000],
          [T0 + 12_000, 2000],
        ],
      },
    ],
    users: [
      {
        user: 0,
        topic: 'x.F1',
        ends: [
          [T0 - 100, 0],
          [T0 + 900, 2],
          [T0 + 1400, 3],
          [T0 + 11_500, 5],
        ],
      },
      {
        user: 1,
        topic: 'x.F2',
        ends: [
          [T0 - 100, 0],
          [T0 + 700, 1],
        ],
      },
      {
        user: 2,
        topic: 'x.F1',
        ends: [
          [T0 + 1200, 3],
          [T0 + 11_800, 5],
        ],
      },
    ],
    topics: [
      {
        topic: 'x.F1',
        cap: 3,
        records: [
          { offset: 0, visit: '100', timestampMs: T0 + 10 },
          { offset: 1, visit: '100', timestampMs: T0 + 20 },
          { offset: 2, visit: '100', timestampMs: T0 + 400 },
          { offset: 3, visit: '101', timestampMs: T0 + 10_100 },
          { offset: 4, visit: '101', timestampMs: T0 + 10_900 },
        ],
      },
      { topic: 'x.F2', cap: 2, records: [{ offset: 0, visit: '100', timestampMs: T0 + 300 }] },
    ],
    ...over,
  };
}

describe('spread and reachedAt', () => {
  it('p50/p99/max by nearest rank; nulls when empty', () => {
    expect(spread([3, 1, 2])).toEqual({ count: 3, p50: 2, p99: 3, max: 3 });
    expect(spread(Array.from({ length: 100 }, (_, i) => i + 1))).toEqual({ count: 100, p50: 50, p99: 99, max: 100 });
    expect(spread([])).toEqual({ count: 0, p50: null, p99: null, max: null });
  });

  it('the first step at or past a total', () => {
    const steps: [number, number][] = [
      [1, 10],
      [2, 20],
    ];
    expect(reachedAt(steps, 15)).toBe(2);
    expect(reachedAt(steps, 10)).toBe(1);
    expect(reachedAt(steps, 21)).toBeUndefined();
  });
});

describe('buildAlertsReport', () => {
  it('per visit: groups done and users’ receipt after the last ack, end-to-end of the last alert, alerts per filter, kept up', () => {
    const r = buildAlertsReport(input());
    expect(r.visits[0]).toEqual({
      index: 0,
      warmUp: false,
      visit: '100',
      alerts: 1000,
      bytes: 9e6,
      produceS: 1,
      lateS: 0,
      nextVisitAfterAckS: 9,
      filterGroupsDoneS: [
        { group: 'x.alerts-filter-1', s: 0.3 },
        { group: 'x.alerts-filter-2', s: 0.6 },
      ],
      // user 0 reached offset 3 (past F1's last of the visit, 2) at +1.4 s, user 2 at +1.2 s; user 1 F2's 0 at +0.7 s
      userReceiptS: { count: 3, p50: 0.2, p99: 0.4, max: 0.4 },
      // from the last alert's timestamp: F1 offset 2 (T0 + 400), F2 offset 0 (T0 + 300)
      userEndToEndS: { count: 3, p50: 0.8, p99: 1, max: 1 },
      usersWithoutAlerts: 0,
      usersMissing: 0,
      perFilter: { min: 1, median: 1, max: 3, atCap: 1, none: 0, total: 4 },
      keptUp: true,
      cpuS: null,
    });
    // visit 1: F2 passed nothing (its user has none), the group 2 finish at +1 s
    expect(r.visits[1]).toMatchObject({
      filterGroupsDoneS: [
        { group: 'x.alerts-filter-1', s: 0.25 },
        { group: 'x.alerts-filter-2', s: 1 },
      ],
      userReceiptS: { count: 2, p50: 0.5, p99: 0.8, max: 0.8 },
      userEndToEndS: { count: 2, p50: 0.6, p99: 0.9, max: 0.9 },
      usersWithoutAlerts: 1,
      perFilter: { min: 0, median: 0, max: 2, atCap: 0, none: 1, total: 2 },
      nextVisitAfterAckS: 9,
      keptUp: true,
    });
    expect(r).toMatchObject({ produced: 2000, passed: 6, usersComplete: 3, keptUp: true });
    expect(r.receipts).toEqual([
      [0, 0, 0.4],
      [0, 1, -0.3],
      [0, 2, 0.2],
      [1, 0, 0.5],
      [1, 2, 0.8],
    ]);
  });

  it('a group or a user done after the next visit was due: not kept up', () => {
    const late = input();
    late.groups[1].steps[0] = [T0 + 10_001, 1000];
    const r = buildAlertsReport(late);
    expect(r.visits.map((v) => v.keptUp)).toEqual([false, true]);
    expect(r.keptUp).toBe(false);
    const slowUser = input();
    slowUser.users[2].ends = [
      [T0 + 10_500, 3],
      [T0 + 11_800, 5],
    ];
    expect(buildAlertsReport(slowUser).visits.map((v) => v.keptUp)).toEqual([false, true]);
  });

  it('a warm-up visit is reported but does not count', () => {
    const late = input({ settings: { ...settings, visits: 1, warmUpVisits: 1 } });
    late.groups[1].steps[0] = [T0 + 10_001, 1000];
    const r = buildAlertsReport(late);
    expect(r.visits.map((v) => [v.warmUp, v.keptUp])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(r.keptUp).toBe(true);
    const lines = alertsSummaryLines(r);
    expect(lines[1]).toMatch(/^ {2}settings {3}1 visit\(s\) after 1 warm-up of 1,000 alerts/);
    expect(lines[2]).toMatch(/^ {2}visit 0 \(100\) warm-up, not counted: {2}produced 1,000 alerts in 1\.00 s; NOT KEPT UP/);
    expect((receiptPlotSpec(r) as { layer: { data: { values: { row: string }[] } }[] }).layer[0].data.values[0].row).toBe(
      'visit 0 (warm-up): users',
    );
  });

  it('CPU per role over each visit’s interval, from the samples inside it; the producer’s last sample where it ran', () => {
    const cpu = [
      { t: T0 - 500, producer: 1, filters: 5, users: 1, broker: 10, machine: 100 },
      { t: T0 + 100, producer: 1.5, filters: 5, users: 1, broker: 10, machine: 101 },
      { t: T0 + 9900, producer: 3.5, filters: 8, users: 1.5, broker: 14, machine: 118 },
      { t: T0 + 10_100, producer: 3.6, filters: 8, users: 1.5, broker: 14, machine: 118.2 },
      { t: T0 + 12_000, producer: 5, filters: 11, users: 2, broker: 17, machine: 130 },
      { t: T0 + 13_000, filters: 11.5, users: 2.5, broker: 17.5, machine: 131 },
    ];
    const r = buildAlertsReport(input({ cpu }));
    expect(r.visits[0].cpuS).toEqual({ windowS: 9.8, producer: 2, filters: 3, users: 0.5, broker: 4, machine: 17 });
    expect(r.visits[1].cpuS).toEqual({ windowS: 2.9, producer: 1.4, filters: 3.5, users: 1, broker: 3.5, machine: 12.8 });
    expect(alertsSummaryLines(r)[6]).toBe(
      '    CPU over 9.8 s of its interval: producer 2.0 s, filters 3.0 s, users 0.5 s, broker 4.0 s; the machine 17.0 of 20 core-s busy (7.5 s by other processes)',
    );
    expect(cpuBetween(cpu, T0 + 20_000, T0 + 30_000)).toBeNull();
  });

  it('a user that never got the last alert is missing (not kept up, not complete)', () => {
    const x = input();
    x.users[0].ends = x.users[0].ends.slice(0, 3);
    const r = buildAlertsReport(x);
    expect(r.visits[1]).toMatchObject({ usersMissing: 1, keptUp: false, userReceiptS: { count: 1 } });
    expect(r.usersComplete).toBe(2);
  });

  it('a failed run before the topics were read: what it measured, nothing kept up', () => {
    const r = buildAlertsReport(input({ status: 'failed', error: 'boom', topics: undefined, produced: input().produced.slice(0, 1) }));
    expect(r).toMatchObject({ status: 'failed', error: 'boom', passed: null, usersComplete: null, keptUp: false, produced: 1000 });
    expect(r.visits[0].perFilter).toBeNull();
    expect(r.visits[0].filterGroupsDoneS.map((g) => g.s)).toEqual([0.3, 0.6]);
    expect(alertsSummaryLines(r)[0]).toBe('alerts experiment alertsexp-t: FAILED: boom');
  });
});

test('the summary names the figures of each visit', () => {
  const lines = alertsSummaryLines(buildAlertsReport(input()));
  expect(lines).toEqual([
    'alerts experiment alertsexp-t: done',
    '  settings   2 visit(s) of 1,000 alerts every 10 s with cutouts, 2 filters in 2 processes, 3 users (monitor) in 2 process(es), 10-partition alert topic',
    '  visit 0 (100)  produced 1,000 alerts in 1.00 s; kept up (next visit due 9.0 s after the last ack)',
    '    filter groups done after the last ack: 0.30 s, 0.60 s',
    "    users' last alert of the visit after the last ack: p50 0.20 s, p99 0.40 s, max 0.40 s (3 users); its end-to-end time p50 0.80 s, p99 1.00 s, max 1.00 s",
    '    alerts per filter: min 1, median 1, max 3; 1 of 2 at the cap, 0 passed none; 4 in all',
    '  visit 1 (101)  produced 1,000 alerts in 1.00 s; kept up (next visit due 9.0 s after the last ack)',
    '    filter groups done after the last ack: 0.25 s, 1.00 s',
    "    users' last alert of the visit after the last ack: p50 0.50 s, p99 0.80 s, max 0.80 s (2 users, 1 got none); its end-to-end time p50 0.60 s, p99 0.90 s, max 0.90 s",
    '    alerts per filter: min 0, median 0, max 2; 0 of 2 at the cap, 1 passed none; 2 in all',
    '  result     2,000 alerts produced, 6 passed to the filter topics; 3 of 3 users received their whole topic; every measured visit kept up with at 10 s',
  ]);
});

test('the plot: a row of users and one of filter groups per visit, the next visit’s due mark on both', () => {
  const spec = receiptPlotSpec(buildAlertsReport(input())) as { layer: { data: { values: { row: string; s: number }[] } }[] };
  const [marks, due] = spec.layer;
  expect(marks.data.values.filter((v) => v.row === 'visit 0: users').map((v) => v.s)).toEqual([0.4, -0.3, 0.2]);
  expect(marks.data.values.filter((v) => v.row === 'visit 1: filter groups').map((v) => v.s)).toEqual([0.25, 1]);
  expect(due.data.values).toHaveLength(4);
  expect(new Set(due.data.values.map((v) => v.s))).toEqual(new Set([9]));
});

test('writeAlertsReport writes results.json and summary.txt (the plot off)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alerts-report-'));
  try {
    const r = buildAlertsReport(input());
    await writeAlertsReport(r, dir, { plots: false });
    expect(r.files).toEqual([path.join(dir, 'results.json'), path.join(dir, 'summary.txt')]);
    expect(JSON.parse(fs.readFileSync(r.files[0], 'utf8')).visits[1].perFilter.total).toBe(2);
    expect(fs.readFileSync(r.files[1], 'utf8').split('\n')[0]).toBe('alerts experiment alertsexp-t: done');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('find-max', () => {
  it('a step: the measured visits’ worst produce, filter and user times, and the least time left before the next visit', () => {
    expect(findMaxStep(1000, buildAlertsReport(input()), '/x/1000')).toEqual({
      alertsPerVisit: 1000,
      status: 'ok',
      keptUp: true,
      maxProduceS: 1,
      maxFilterDoneS: 1,
      maxUserReceiptS: 0.8,
      minMarginS: 8, // visit 1: due 9 s after its last ack, its last group done at 1 s
      dir: '/x/1000',
    });
    // the warm-up visit does not count: visit 0's late group is left out
    const late = input({ settings: { ...settings, visits: 1, warmUpVisits: 1 } });
    late.groups[1].steps[0] = [T0 + 10_001, 1000];
    expect(findMaxStep(1000, buildAlertsReport(late), '/x')).toMatchObject({ keptUp: true, maxFilterDoneS: 1, minMarginS: 8 });
    // a group that never finished: no margin
    const never = input();
    never.groups[0].steps.pop();
    expect(findMaxStep(1000, buildAlertsReport(never), '/x')).toMatchObject({ keptUp: false, minMarginS: null });
  });

  it('the summary names each size and the largest kept up with', () => {
    const ok = findMaxStep(1000, buildAlertsReport(input()), '/x/1000');
    expect(
      findMaxSummaryLines({
        intervalS: 10,
        visits: 2,
        steps: [ok, { ...ok, alertsPerVisit: 5000, keptUp: false, minMarginS: -2.5 }],
        largestKeptUp: 1000,
        files: [],
      }),
    ).toEqual([
      'alerts find-max: 2 visit(s) per size every 10 s',
      '    1,000 alerts/visit: kept up; produce ≤ 1.00 s, filters done ≤ 1.00 s, users ≤ 0.80 s after the last ack; at least 8.00 s to spare before the next visit',
      '    5,000 alerts/visit: NOT kept up; produce ≤ 1.00 s, filters done ≤ 1.00 s, users ≤ 0.80 s after the last ack; at least -2.50 s to spare before the next visit',
      '  largest visit kept up with at 10 s: 1,000 alerts',
    ]);
  });
});
