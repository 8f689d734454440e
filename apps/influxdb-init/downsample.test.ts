import * as http from 'http';
import { DEFAULT_TIERS, RetentionTier, retentionTierSchema } from '../../config/schema';
import { Downsampler, dueRange, parseDelays } from './downsample';

const tiers = (input: unknown[]): RetentionTier[] => input.map((t) => retentionTierSchema.parse(t));
const DEFAULTS = tiers(DEFAULT_TIERS);
const T = 1_700_000_000 - (1_700_000_000 % 600); // a 10-minute boundary

describe('dueRange', () => {
  it('starts at the window of the origin before the first range and ends at the last window closed `delay` ago', () => {
    expect(dueRange(30, T + 75, 30, T + 75 - 3600, undefined)).toEqual({ from: T + 60 - 3600, to: T + 30 });
  });

  it('continues from the watermark and waits for a whole window', () => {
    expect(dueRange(30, T + 59, 30, 0, T)).toBeUndefined(); // [T, T+30) ends at T+30; due at T+60
    expect(dueRange(30, T + 60, 30, 0, T)).toEqual({ from: T, to: T + 30 });
    expect(dueRange(30, T + 200, 30, 0, T)).toEqual({ from: T, to: T + 150 });
  });

  it('does not pass the source tier: a tier of a downsampled tier waits for it', () => {
    expect(dueRange(600, T + 1300, 600, 0, T, T + 590)).toBeUndefined();
    expect(dueRange(600, T + 1300, 600, 0, T, T + 600)).toEqual({ from: T, to: T + 600 });
  });
});

describe('parseDelays', () => {
  it('takes one duration for every tier or tier=duration pairs', () => {
    expect(parseDelays(undefined, DEFAULTS)).toBeUndefined();
    expect(parseDelays('1m', DEFAULTS)).toEqual({ intermediate: 60, lowres: 60 });
    expect(parseDelays('2m,lowres=15m', DEFAULTS)).toEqual({ intermediate: 120, lowres: 900 });
  });

  it('names a bad duration or an unknown tier', () => {
    expect(() => parseDelays('soon', DEFAULTS)).toThrow('--delay "soon": "soon" is not a duration');
    expect(() => parseDelays('raw=1m', DEFAULTS)).toThrow(
      '--delay "raw=1m": no downsampled tier "raw"; the tiers are intermediate, lowres',
    );
  });
});

describe('Downsampler passes (stub InfluxDB)', () => {
  let server: http.Server;
  let url = '';
  const queries: string[] = [];
  let failOn: string | undefined;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const q = new URLSearchParams(body).get('q') ?? '';
        queries.push(q);
        const reply = (o: unknown) =>
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ results: [{ statement_id: 0, ...(o as object) }] }));
        if (q === 'SHOW MEASUREMENTS') return reply({ series: [{ name: 'measurements', columns: ['name'], values: [['a'], ['b']] }] });
        if (failOn && q.includes(failOn)) return reply({ error: 'timeout' });
        reply({ series: [{ name: 'result', columns: ['time', 'written'], values: [['1970-01-01T00:00:00Z', 2]] }] });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('queries each measurement once per due range, a tier after its source, and keeps the range of a failed query', async () => {
    const lines: string[] = [];
    const d = new Downsampler({ url }, 'efd', DEFAULTS, { catchUpSeconds: 600, log: (l) => lines.push(l) });
    queries.length = 0;
    const first = await d.pass(T + 620); // intermediate from T (catch-up to T+20, its window) to T+570; lowres waits for [T, T+600) of intermediate
    expect(first.map((p) => [p.tier, p.range.from.getTime() / 1000 - T, p.range.to.getTime() / 1000 - T, p.written])).toEqual([
      ['intermediate', 0, 570, 4],
    ]);
    expect(queries).toEqual([
      'SHOW MEASUREMENTS',
      `SELECT mean(*) INTO "efd"."intermediate"."a" FROM "efd"."raw"."a" WHERE time >= '${new Date(T * 1000).toISOString()}' AND time < '${new Date((T + 570) * 1000).toISOString()}' GROUP BY time(30s), *`,
      `SELECT mean(*) INTO "efd"."intermediate"."b" FROM "efd"."raw"."b" WHERE time >= '${new Date(T * 1000).toISOString()}' AND time < '${new Date((T + 570) * 1000).toISOString()}' GROUP BY time(30s), *`,
    ]);
    expect(await d.pass(T + 621)).toEqual([]); // nothing new is due
    expect(d.nextDueIn(T + 621)).toBeCloseTo(9.05, 5); // [T+570, T+600) is due at T+630

    failOn = '"intermediate"."b"';
    const failed = await d.pass(T + 630);
    expect(failed[0].failed).toEqual([{ measurement: 'b', error: expect.stringContaining('timeout') }]);
    expect(d.watermark('intermediate')).toBe(T + 570);
    expect(lines.at(-1)).toContain('1 failed (run again next pass), e.g. b:');

    failOn = undefined;
    queries.length = 0;
    const again = await d.pass(T + 1200);
    expect(again.map((p) => [p.tier, p.range.from.getTime() / 1000 - T, p.range.to.getTime() / 1000 - T])).toEqual([
      ['intermediate', 570, 1170],
      ['lowres', 0, 600],
    ]);
    expect(queries.filter((q) => q.includes('INTO "efd"."lowres"'))).toHaveLength(2);
    expect(queries.find((q) => q.includes('"lowres"."a"'))).toContain('FROM "efd"."intermediate"."a"');
  });

  it('refuses tiers with nothing to downsample', () => {
    expect(() => new Downsampler({ url }, 'efd', DEFAULTS.slice(0, 1))).toThrow('has no downsampled tier (only "raw"); nothing to do');
  });
});
