/**
 * influxdb-init against the real local InfluxDB 1.8 (scripts/local-efd, `npm run efd:up`).
 * The test file gets its own database from test/integration/env.ts (`useNamespace`), dropped by
 * cleanup(), so the shared "efd" database and other test files are untouched.
 *
 *   npx jest apps/influxdb-init --selectProjects integration --runInBand
 */
import * as net from 'net';
import { DEFAULT_TIERS, RetentionTier, retentionTierSchema } from '../../config/schema';
import { TestNamespace, useNamespace } from '../../test/integration/env';
import { runCli } from '../cli/main';
import {
  ApplyError,
  applyRetention,
  connectionFor,
  executePlan,
  InfluxConnection,
  influxQuery,
  InfluxQlError,
  readServerState,
} from './apply';
import { runInfluxdbInit } from './cli';
import { Downsampler, downsampleRange } from './downsample';
import { parseContinuousQueries, parseRetentionPolicies, quoteIdent, retentionStatements, seriesRows, Statement } from './influxql';

// The integration project's testTimeout is not applied per project by Jest; set it here.
jest.setTimeout(120_000);

const tiersOf = (input: unknown[]): RetentionTier[] => input.map((t) => retentionTierSchema.parse(t));
const DEFAULTS = tiersOf(DEFAULT_TIERS);
/** DEFAULTS with one tier's fields replaced. */
const withTier = (name: string, change: Record<string, unknown>): RetentionTier[] =>
  tiersOf(DEFAULT_TIERS.map((t) => (t.name === name ? { ...t, ...change } : t)));

let ns: TestNamespace;
let url: string;
let conn: InfluxConnection;
let db: string;

/** Runs one statement against the test database; returns its rows (all series). */
async function rows(statement: string): Promise<Record<string, unknown>[]> {
  return ((await influxQuery(conn, statement, db)).series ?? []).flatMap(seriesRows);
}

async function retentionPolicies() {
  return parseRetentionPolicies((await influxQuery(conn, `SHOW RETENTION POLICIES ON ${quoteIdent(db)}`)).series ?? []);
}

async function continuousQueries() {
  return parseContinuousQueries((await influxQuery(conn, 'SHOW CONTINUOUS QUERIES')).series ?? [], db);
}

/** Line protocol into the raw tier, second precision. */
async function writeRaw(lines: string[]): Promise<void> {
  const res = await fetch(`${url}/write?${new URLSearchParams({ db, rp: 'raw', precision: 's' })}`, {
    method: 'POST',
    body: lines.join('\n'),
  });
  if (res.status !== 204) throw new Error(`write to ${db}.raw failed: HTTP ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  ns = await useNamespace(__filename);
  url = ns.endpoints.influxdb.url;
  conn = connectionFor(url);
  db = ns.database;
  // useNamespace created the database; start from none so the first apply creates it too.
  await influxQuery(conn, `DROP DATABASE ${quoteIdent(db)}`);
}, 15 * 60_000); // a cold machine installs the stack first

afterAll(async () => {
  await ns?.cleanup();
});

describe('influxdb-init on the local InfluxDB 1.8', () => {
  it('creates the database and the RPs with their durations, and no continuous query', async () => {
    const result = await applyRetention(conn, db, DEFAULTS);
    expect(result.unchanged).toBe(false);
    expect(result.applied).toEqual(retentionStatements(db, DEFAULTS).map((s) => s.influxql));

    const rps = await retentionPolicies();
    expect(rps.filter((r) => r.name !== 'autogen')).toEqual([
      { name: 'raw', duration: '168h0m0s', shardGroupDuration: '1h0m0s', replicaN: 1, default: true },
      { name: 'intermediate', duration: '720h0m0s', shardGroupDuration: '24h0m0s', replicaN: 1, default: false },
      { name: 'lowres', duration: '8760h0m0s', shardGroupDuration: '168h0m0s', replicaN: 1, default: false },
    ]);
    expect(await continuousQueries()).toEqual([]);
  });

  it('changes nothing on a second apply, and leaves unmanaged RPs and CQs alone', async () => {
    await influxQuery(conn, `CREATE RETENTION POLICY "scratch" ON ${quoteIdent(db)} DURATION 2h REPLICATION 1 SHARD DURATION 1h`);
    await influxQuery(
      conn,
      `CREATE CONTINUOUS QUERY "hand_made" ON ${quoteIdent(db)} BEGIN SELECT count(*) INTO ${quoteIdent(db)}."scratch".:MEASUREMENT FROM ${quoteIdent(db)}."raw"./.*/ GROUP BY time(1h) END`,
    );
    const result = await applyRetention(conn, db, DEFAULTS);
    expect(result).toEqual({ plan: [], applied: [], unchanged: true });
    expect((await retentionPolicies()).map((r) => r.name)).toContain('scratch');
    expect((await continuousQueries()).map((c) => c.name)).toContain('hand_made');
  });

  it('ALTERs a retention policy whose duration changed', async () => {
    const result = await applyRetention(conn, db, withTier('intermediate', { duration: '60d' }));
    expect(result.applied).toEqual([`ALTER RETENTION POLICY "intermediate" ON "${db}" DURATION 60d`]);
    expect((await retentionPolicies()).find((r) => r.name === 'intermediate')).toEqual({
      name: 'intermediate',
      duration: '1440h0m0s',
      shardGroupDuration: '24h0m0s',
      replicaN: 1,
      default: false,
    });
    expect((await applyRetention(conn, db, withTier('intermediate', { duration: '60d' }))).unchanged).toBe(true);
  });

  it('migrates a database that has the continuous queries of earlier versions: drops them, keeps the rest, then changes nothing', async () => {
    // The CQs influxdb-init created before the downsampler, as they were written then.
    for (const [tier, source, every] of [
      ['intermediate', 'raw', '30s'],
      ['lowres', 'intermediate', '10m'],
    ]) {
      await influxQuery(
        conn,
        `CREATE CONTINUOUS QUERY ${quoteIdent(`${db}_${tier}`)} ON ${quoteIdent(db)} RESAMPLE EVERY ${every} FOR ${every === '30s' ? '1m' : '20m'} ` +
          `BEGIN SELECT mean(*) INTO ${quoteIdent(db)}.${quoteIdent(tier)}.:MEASUREMENT FROM ${quoteIdent(db)}.${quoteIdent(source)}./.*/ GROUP BY time(${every}), * END`,
      );
    }
    const result = await applyRetention(conn, db, DEFAULTS);
    expect(result.plan.map((s) => `${s.kind} ${s.target}`)).toEqual([
      `alter-retention-policy intermediate`, // still 60d from the previous test → back to 30d
      `drop-continuous-query ${db}_intermediate`,
      `drop-continuous-query ${db}_lowres`,
    ]);
    expect((await continuousQueries()).map((c) => c.name)).toEqual(['hand_made']);
    expect((await applyRetention(conn, db, DEFAULTS)).unchanged).toBe(true);
  });

  it('prints the plan on --dry-run and applies nothing', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    const tiers = JSON.stringify(DEFAULT_TIERS.map((t) => (t.name === 'lowres' ? { ...t, duration: '730d' } : t)));
    expect(await runInfluxdbInit({ url, database: db, tiers, dryRun: true }, io)).toBe(0);
    expect(out).toEqual([
      `influxdb-init: 1 statement(s) for database "${db}" at ${url}:`,
      '  1. alter-retention-policy lowres: duration 365d → 730d (server reports 8760h0m0s)',
      `     ALTER RETENTION POLICY "lowres" ON "${db}" DURATION 730d`,
      'influxdb-init: dry run; nothing was applied',
    ]);
    expect((await retentionPolicies()).find((r) => r.name === 'lowres')?.duration).toBe('8760h0m0s');
    // The same through the efd CLI entry point: exit code 0, the plan on stdout, still nothing applied.
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['influxdb-init', '--url', url, '--database', db, '--tiers', tiers, '--dry-run'])).toBe(0);
      expect(stdout.mock.calls.map((c) => String(c[0])).join('')).toContain(`ALTER RETENTION POLICY "lowres" ON "${db}" DURATION 730d`);
    } finally {
      stdout.mockRestore();
    }
    expect((await retentionPolicies()).find((r) => r.name === 'lowres')?.duration).toBe('8760h0m0s');
  });

  it('downsamples points written to raw into the next tiers, per measurement, to the means of the raw points', async () => {
    // An hour-aligned range an hour ago.
    const t0 = Math.floor(Date.now() / 3_600_000) * 3600 - 3600;
    const raw: [string, string, number, number][] = [
      // measurement, host, value, seconds after t0
      ['it_sensor', 'a', 1, 0],
      ['it_sensor', 'a', 2, 5],
      ['it_sensor', 'a', 3, 10],
      ['it_sensor', 'a', 6, 15],
      ['it_sensor', 'b', 10, 1],
      ['it_sensor', 'b', 20, 29],
      ['it_sensor', 'a', 4, 30],
      ['it_sensor', 'a', 5, 59],
      ['it_sensor', 'b', 7, 45],
      ['it_other', 'a', 0.5, 3],
      ['it_other', 'a', 0.25, 31],
      ['it_other', 'a', 0.125, 32],
    ];
    await writeRaw(raw.map(([m, host, v, s]) => `${m},host=${host} value=${v} ${t0 + s}`));
    await writeRaw([`it_text,host=a note="strings have no mean" ${t0 + 2}`]);
    const at = (s: number) => new Date(s * 1000);

    const passes = await downsampleRange(conn, db, DEFAULTS, { from: at(t0), to: at(t0 + 60) });
    // One query per measurement and tier; the lowres range is widened to its whole 10-minute window.
    expect(
      passes.map((p) => [p.tier, p.measurements, p.range.from.getTime() / 1000 - t0, p.range.to.getTime() / 1000 - t0, p.failed]),
    ).toEqual([
      ['intermediate', 3, 0, 60, []],
      ['lowres', 3, 0, 600, []],
    ]);
    expect(passes[0].written).toBe(6);

    /** The mean of the raw points per 30 s window and host, computed here from what was written. */
    const expected = (m: string) => {
      const groups = new Map<string, number[]>();
      for (const [mm, host, v, s] of raw)
        if (mm === m) groups.set(`${Math.floor(s / 30) * 30}|${host}`, [...(groups.get(`${Math.floor(s / 30) * 30}|${host}`) ?? []), v]);
      return [...groups]
        .map(([k, vs]) => [Number(k.split('|')[0]), k.split('|')[1], vs.reduce((a, b) => a + b, 0) / vs.length])
        .sort(byTimeHostOrder);
    };
    const byTimeHostOrder = (a: unknown[], b: unknown[]) => (a[0] as number) - (b[0] as number) || String(a[1]).localeCompare(String(b[1]));
    const read = async (rp: string, m: string, field: string) =>
      (await rows(`SELECT ${field}, host FROM ${quoteIdent(db)}.${quoteIdent(rp)}.${quoteIdent(m)}`))
        .map((x) => [Date.parse(String(x.time)) / 1000 - t0, x.host, x[field]])
        .sort(byTimeHostOrder);

    expect(await read('intermediate', 'it_sensor', 'mean_value')).toEqual(expected('it_sensor'));
    expect(await read('intermediate', 'it_sensor', 'mean_value')).toEqual([
      [0, 'a', 3],
      [0, 'b', 15],
      [30, 'a', 4.5],
      [30, 'b', 7],
    ]);
    expect(await read('intermediate', 'it_other', 'mean_value')).toEqual(expected('it_other'));
    expect(await rows(`SELECT * FROM ${quoteIdent(db)}."intermediate"."it_text"`)).toEqual([]);
    // lowres is the mean of the intermediate means (as the continuous queries computed it).
    expect(await read('lowres', 'it_sensor', 'mean_mean_value')).toEqual([
      [0, 'a', 3.75],
      [0, 'b', 11],
    ]);

    // Re-running the range writes the same points: nothing is counted twice.
    await downsampleRange(conn, db, DEFAULTS, { from: at(t0), to: at(t0 + 60) });
    expect(await read('intermediate', 'it_sensor', 'mean_value')).toEqual(expected('it_sensor'));
    expect(await rows(`SELECT count(mean_value) FROM ${quoteIdent(db)}."intermediate"."it_sensor"`)).toEqual([
      expect.objectContaining({ count: 4 }),
    ]);
    expect(await read('lowres', 'it_sensor', 'mean_mean_value')).toEqual([
      [0, 'a', 3.75],
      [0, 'b', 11],
    ]);
  });

  it('the downsampler does each window once it is closed and `delay` has passed; a later point needs the range run again', async () => {
    const t0 = Math.floor(Date.now() / 3_600_000) * 3600 - 2 * 3600; // two hours ago, hour-aligned
    const lines: string[] = [];
    const d = new Downsampler(conn, db, DEFAULTS, { catchUpSeconds: 65, log: (l) => lines.push(l) });
    const mean = async (s: number) =>
      (await rows(`SELECT mean_value FROM ${quoteIdent(db)}."intermediate"."it_late" WHERE time = ${(t0 + s) * 1e9}`)).map(
        (r) => r.mean_value,
      );

    await writeRaw([`it_late value=1 ${t0 + 1}`, `it_late value=3 ${t0 + 20}`, `it_late value=10 ${t0 + 31}`]);
    // At t0+65 the window [t0, t0+30) closed 35 s ago (> its 30 s delay); [t0+30, t0+60) only 5 s ago.
    const first = await d.pass(t0 + 65);
    expect(first.map((p) => [p.tier, p.range.from.getTime() / 1000 - t0, p.range.to.getTime() / 1000 - t0])).toEqual([
      ['intermediate', 0, 30],
    ]);
    expect(lines[0]).toMatch(/^influxdb-downsample: intermediate .*: \d+ measurement\(s\), \d+ point\(s\) written in [\d.]+ s, slowest /);
    expect(await mean(0)).toEqual([2]);
    expect(await mean(30)).toEqual([]);

    // A point for [t0+30, t0+60) within its delay is in it; one for the window already done is not, until re-run.
    await writeRaw([`it_late value=20 ${t0 + 50}`, `it_late value=5 ${t0 + 25}`]);
    const second = await d.pass(t0 + 90);
    expect(second.map((p) => [p.tier, p.range.from.getTime() / 1000 - t0, p.range.to.getTime() / 1000 - t0])).toEqual([
      ['intermediate', 30, 60],
    ]);
    expect(await mean(30)).toEqual([15]);
    expect(await mean(0)).toEqual([2]);
    expect(d.watermark('intermediate')).toBe(t0 + 60);
    await downsampleRange(conn, db, DEFAULTS, { from: new Date(t0 * 1000), to: new Date((t0 + 30) * 1000) });
    expect(await mean(0)).toEqual([3]); // (1 + 3 + 5) / 3
  });

  it("stops at a failed statement and names it, the URL, InfluxDB's error and what was applied", async () => {
    const stmt = (target: string, influxql: string): Statement => ({ kind: 'create-retention-policy', target, influxql, reason: 'test' });
    const plan = [
      stmt('ok', `CREATE RETENTION POLICY "ok" ON "${db}" DURATION 2h REPLICATION 1 SHARD DURATION 1h`),
      stmt('bad', `CREATE RETENTION POLICY "bad" ON "${db}" DURATION 1h REPLICATION 1 SHARD DURATION 2h`),
      stmt('never', `CREATE RETENTION POLICY "never" ON "${db}" DURATION 2h REPLICATION 1 SHARD DURATION 1h`),
    ];
    const err = await executePlan(conn, db, plan).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplyError);
    const e = err as ApplyError;
    expect(e.applied).toEqual([plan[0].influxql]);
    expect(e.notApplied).toEqual([plan[2].influxql]);
    expect(e.message).toContain(`statement 2 of 3 failed on database "${db}" at ${url}:\n  ${plan[1].influxql}\n`);
    expect(e.message).toContain('InfluxDB said: retention policy duration must be greater than the shard duration');
    const names = (await retentionPolicies()).map((r) => r.name);
    expect(names).toContain('ok');
    expect(names).not.toContain('never');
  });

  it('says which URL it could not reach', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const down = connectionFor(`http://127.0.0.1:${closedPort}`);
    await expect(readServerState(down, db)).rejects.toThrow(InfluxQlError);
    await expect(readServerState(down, db)).rejects.toThrow(
      `InfluxQL \`SHOW DATABASES\` on http://127.0.0.1:${closedPort} failed: cannot reach InfluxDB (ECONNREFUSED); check --url`,
    );
  });
});
