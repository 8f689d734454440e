import { EXIT, exitCodeOf } from '../lib/exit-codes';
import type { EfdAdmin } from '../lib/kafka-admin';
import { repairConfig } from './cli';
import { defaultRepairGroup, NothingToRepairError, parseRange, parseTime, partitionRanges, planRepair, summaryLines } from './repair';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);

describe('parseTime', () => {
  it.each([
    ['2026-11-01T00:00:00Z', T0],
    ['2026-11-01T00:00:00', T0],
    ['2026-11-01 00:00', T0],
    ['2026-11-01', T0],
    ['2026-11-01T01:30:00+01:30', T0],
    ['2026-11-01T00:00:00.250Z', T0 + 250],
    [String(T0), T0],
    ['now', NOW],
    [' NOW ', NOW],
  ])('%s', (text, ms) => expect(parseTime('--from', text, NOW)).toBe(ms));

  it.each(['yesterday', '', '2026-13-01', '2026-02-30', '2026-11-01T24:00:00Z', '2026-11-01T00:00:00+25', '1.5', '-1h'])(
    'refuses %j with the flag and what is expected (usage, exit 2)',
    (text) => {
      let err: unknown;
      try {
        parseTime('--to', text, NOW);
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).toBe(
        `--to: cannot read "${text}" as a time; expected ISO 8601 (2026-11-01T00:00:00Z; UTC when no zone is given), a date (2026-11-01), epoch milliseconds, or now`,
      );
      expect(exitCodeOf(err)).toBe(EXIT.usage);
    },
  );
});

describe('parseRange', () => {
  it('takes both ends, inclusive; from = to is one instant', () => {
    expect(parseRange('2026-11-01', 'now', NOW)).toEqual({ fromMs: T0, toMs: NOW });
    expect(parseRange(String(T0), String(T0), NOW)).toEqual({ fromMs: T0, toMs: T0 });
  });
  it('--from after --to is a usage error naming both', () => {
    expect(() => parseRange('2026-11-02', '2026-11-01', NOW)).toThrow(
      '--from 2026-11-02T00:00:00.000Z is after --to 2026-11-01T00:00:00.000Z: nothing between them to repair; swap them',
    );
    try {
      parseRange('now', '2026-11-01', NOW);
    } catch (err) {
      expect(exitCodeOf(err)).toBe(EXIT.usage);
    }
    expect.assertions(2);
  });
  it('requires both', () => {
    expect(() => parseRange(undefined, 'now', NOW)).toThrow(/^--from is required/);
    expect(() => parseRange('now', undefined, NOW)).toThrow(/^--to is required/);
  });
});

it('the default group is the sink group + the range', () => {
  expect(defaultRepairGroup('efd-influxdb-sink', { fromMs: T0, toMs: T0 + 3_600_500 })).toBe(
    'efd-influxdb-sink-repair-20261101T000000.000Z-20261101T010000.500Z',
  );
});

describe('partitionRanges (offset at --from → offset of the first record after --to)', () => {
  it('keeps the partitions with records in the range, [start, end)', () => {
    const atFrom = [
      { partition: 0, offset: '10' },
      { partition: 1, offset: '7' }, // no record after --from: the end offset, same as after --to
      { partition: 2, offset: '0' },
    ];
    const afterTo = [
      { partition: 0, offset: '25' },
      { partition: 1, offset: '7' },
      { partition: 2, offset: '3' },
    ];
    expect(partitionRanges('t', atFrom, afterTo)).toEqual([
      { topic: 't', partition: 0, start: '10', end: '25' },
      { topic: 't', partition: 2, start: '0', end: '3' },
    ]);
  });
  it('a partition whose records are all after --to has none; offsets beyond 2^53 stay exact', () => {
    expect(partitionRanges('t', [{ partition: 0, offset: '5' }], [{ partition: 0, offset: '5' }])).toEqual([]);
    expect(partitionRanges('t', [{ partition: 0, offset: '9007199254740993' }], [{ partition: 0, offset: '9007199254740995' }])).toEqual([
      { topic: 't', partition: 0, start: '9007199254740993', end: '9007199254740995' },
    ]);
  });
});

/** An admin over fixed topics: per topic, per partition, record timestamps by offset (from offset 0). */
function fakeAdmin(topics: Record<string, number[][]>): EfdAdmin {
  const firstAtOrAfter = (ts: number[], t: number) => {
    const i = ts.findIndex((x) => x >= t);
    return i < 0 ? ts.length : i;
  };
  return {
    listTopics: async () => Object.keys(topics),
    topicOffsets: async (topic: string) => topics[topic].map((ts, partition) => ({ partition, low: '0', high: String(ts.length) })),
    offsetsForTimestamp: async (topic: string, t: number) =>
      topics[topic].map((ts, partition) => ({ partition, offset: String(firstAtOrAfter(ts, t)) })),
  } as unknown as EfdAdmin;
}

describe('planRepair', () => {
  const admin = fakeAdmin({
    'lsst.sal.A': [
      [100, 200, 300, 400],
      [150, 250],
    ],
    'lsst.sal.B': [[500, 600]],
    other: [[200]],
  });

  it('ranges per partition, --to included, and every end offset', async () => {
    const plan = await planRepair(admin, 'lsst\\.sal\\..*', { fromMs: 200, toMs: 300 });
    expect(plan.topics).toEqual(['lsst.sal.A', 'lsst.sal.B']);
    expect(plan.ranges).toEqual([
      { topic: 'lsst.sal.A', partition: 0, start: '1', end: '3' },
      { topic: 'lsst.sal.A', partition: 1, start: '1', end: '2' },
    ]);
    expect(Object.fromEntries(plan.ends)).toEqual({ 'lsst.sal.A\u00000': '4', 'lsst.sal.A\u00001': '2', 'lsst.sal.B\u00000': '2' });
  });

  it('a range reaching the present ends at the end offsets', async () => {
    const plan = await planRepair(admin, 'lsst\\.sal\\.B', { fromMs: 550, toMs: NOW });
    expect(plan.ranges).toEqual([{ topic: 'lsst.sal.B', partition: 0, start: '1', end: '2' }]);
  });

  it('a regex matching no topic is bad input (exit 3)', async () => {
    const err = await planRepair(admin, 'lsst\\.sal\\.C.*', { fromMs: 0, toMs: NOW }).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      '--topics lsst\\.sal\\.C.* matches none of the 3 topics on the cluster (whole-name match); check the regex',
    );
    expect(exitCodeOf(err)).toBe(EXIT.badInput);
  });

  it('a range without records is "nothing to repair" (exit 3: bad input, nothing written)', async () => {
    const err = await planRepair(admin, 'lsst\\.sal\\..*', { fromMs: 410, toMs: 490 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(NothingToRepairError);
    expect((err as Error).message).toBe(
      'no records between 1970-01-01T00:00:00.410Z and 1970-01-01T00:00:00.490Z in 2 topics; nothing to repair',
    );
    expect(exitCodeOf(err)).toBe(EXIT.badInput);
  });
});

describe('repairConfig', () => {
  const base = { brokers: '127.0.0.1:9092', registry: 'http://127.0.0.1:8081', influxdbUrl: 'http://127.0.0.1:8086' };

  it('the sink config with --topics as the regex; the default group from the sink group', () => {
    const c = repairConfig({ ...base, topics: 'lsst\\.sal\\.A', from: '2026-11-01', to: '2026-11-01T01:00:00Z' }, { SINK_GROUP: 'g' }, NOW);
    expect(c.sink.topicsRegex).toBe('lsst\\.sal\\.A');
    expect(c.range).toEqual({ fromMs: T0, toMs: T0 + 3_600_000 });
    expect(c.group).toBe('g-repair-20261101T000000.000Z-20261101T010000.000Z');
    expect(repairConfig({ ...base, topics: 'x', from: 'now', to: 'now', group: 'mine' }, {}, NOW).group).toBe('mine');
  });

  it('--topics is required (usage, exit 2)', () => {
    let err: unknown;
    try {
      repairConfig({ ...base, from: 'now', to: 'now' }, {}, NOW);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/^--topics <regex> is required/);
    expect(exitCodeOf(err)).toBe(EXIT.usage);
  });

  it('--topics that is not a regular expression is a usage error naming --topics', () => {
    expect(() => repairConfig({ ...base, topics: 'lsst.sal.(', from: 'now', to: 'now' }, {}, NOW)).toThrow(
      /^--topics: lsst\.sal\.\( is not a regular expression \(Invalid regular expression/,
    );
  });
});

it('summaryLines: a row per topic and the total', () => {
  const lines = summaryLines({
    group: 'g',
    range: { fromMs: T0, toMs: T0 + 1000 },
    topics: [{ topic: 'lsst.sal.A', partitions: 2, records: 120, points: 118, skipped: 2, seconds: 2, pointsPerSecond: 59 }],
    records: 120,
    points: 118,
    skipped: 2,
    seconds: 2.5,
    pointsPerSecond: 47.2,
  });
  expect(lines).toEqual([
    'repaired 2026-11-01T00:00:00.000Z .. 2026-11-01T00:00:01.000Z with group g',
    'topic       records read  points written  skipped  seconds  points/s',
    'lsst.sal.A           120             118        2      2.0        59',
    'total                120             118        2      2.5        47',
  ]);
});
