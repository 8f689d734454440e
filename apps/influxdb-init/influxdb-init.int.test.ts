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
import { ApplyError, applyRetention, connectionFor, executePlan, InfluxConnection, influxQuery, InfluxQlError, readServerState } from './apply';
import { runInfluxdbInit } from './cli';
import { downsampleQuery, parseContinuousQueries, parseRetentionPolicies, quoteIdent, retentionStatements, seriesRows, Statement } from './influxql';

// The integration project's testTimeout is not applied per project by Jest; set it here.
jest.setTimeout(120_000);

const tiersOf = (input: unknown[]): RetentionTier[] => input.map((t) => retentionTierSchema.parse(t));
const DEFAULTS = tiersOf(DEFAULT_TIERS);
/** DEFAULTS with one tier's fields replaced. */
const withTier = (name: string, change: Record<string, unknown>): RetentionTier[] => tiersOf(DEFAULT_TIERS.map((t) => (t.name === name ? { ...t, ...change } : t)));

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
  const res = await fetch(`${url}/write?${new URLSearchParams({ db, rp: 'raw', precision: 's' })}`, { method: 'POST', body: lines.join('\n') });
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
  it('creates the database, the RPs with their durations and the CQs', async () => {
    const result = await applyRetention(conn, db, DEFAULTS);
    expect(result.unchanged).toBe(false);
    expect(result.applied).toEqual(retentionStatements(db, DEFAULTS).map((s) => s.influxql));

    const rps = await retentionPolicies();
    expect(rps.filter((r) => r.name !== 'autogen')).toEqual([
      { name: 'raw', duration: '168h0m0s', shardGroupDuration: '1h0m0s', replicaN: 1, default: true },
      { name: 'intermediate', duration: '720h0m0s', shardGroupDuration: '24h0m0s', replicaN: 1, default: false },
      { name: 'lowres', duration: '8760h0m0s', shardGroupDuration: '168h0m0s', replicaN: 1, default: false },
    ]);
    expect(await continuousQueries()).toEqual([
      {
        name: `${db}_intermediate`,
        query: `CREATE CONTINUOUS QUERY ${db}_intermediate ON ${db} RESAMPLE EVERY 30s FOR 1m BEGIN SELECT mean(*) INTO ${db}.intermediate.:MEASUREMENT FROM ${db}.raw./.*/ GROUP BY time(30s), * END`,
      },
      {
        name: `${db}_lowres`,
        query: `CREATE CONTINUOUS QUERY ${db}_lowres ON ${db} RESAMPLE EVERY 10m FOR 20m BEGIN SELECT mean(*) INTO ${db}.lowres.:MEASUREMENT FROM ${db}.intermediate./.*/ GROUP BY time(10m), * END`,
      },
    ]);
  });

  it('changes nothing on a second apply, and leaves unmanaged RPs and CQs alone', async () => {
    await influxQuery(conn, `CREATE RETENTION POLICY "scratch" ON ${quoteIdent(db)} DURATION 2h REPLICATION 1 SHARD DURATION 1h`);
    await influxQuery(conn, `CREATE CONTINUOUS QUERY "hand_made" ON ${quoteIdent(db)} BEGIN SELECT count(*) INTO ${quoteIdent(db)}."scratch".:MEASUREMENT FROM ${quoteIdent(db)}."raw"./.*/ GROUP BY time(1h) END`);
    const result = await applyRetention(conn, db, DEFAULTS);
    expect(result).toEqual({ plan: [], applied: [], unchanged: true });
    expect((await retentionPolicies()).map((r) => r.name)).toContain('scratch');
    expect((await continuousQueries()).map((c) => c.name)).toContain('hand_made');
  });

  it('ALTERs a retention policy whose duration changed', async () => {
    const result = await applyRetention(conn, db, withTier('intermediate', { duration: '60d' }));
    expect(result.applied).toEqual([`ALTER RETENTION POLICY "intermediate" ON "${db}" DURATION 60d`]);
    expect((await retentionPolicies()).find((r) => r.name === 'intermediate')).toEqual({
      name: 'intermediate', duration: '1440h0m0s', shardGroupDuration: '24h0m0s', replicaN: 1, default: false,
    });
    expect((await applyRetention(conn, db, withTier('intermediate', { duration: '60d' }))).unchanged).toBe(true);
  });

  it('drops and recreates a CQ whose query changed, and goes back to the defaults', async () => {
    const changed = withTier('intermediate', { interval: '1m', aggregations: ['mean', 'max'] });
    const result = await applyRetention(conn, db, changed);
    expect(result.plan.map((s) => `${s.kind} ${s.target}`)).toEqual([
      `alter-retention-policy intermediate`, // still 60d from the previous test → back to 30d
      `drop-continuous-query ${db}_intermediate`,
      `create-continuous-query ${db}_intermediate`,
    ]);
    expect((await continuousQueries()).find((c) => c.name === `${db}_intermediate`)?.query).toContain('SELECT mean(*), max(*) INTO');

    const back = await applyRetention(conn, db, DEFAULTS);
    expect(back.plan.map((s) => s.kind)).toEqual(['drop-continuous-query', 'create-continuous-query']);
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

  it('downsamples points written to raw into the next tiers (the CQ query run once for a past range)', async () => {
    // An hour-aligned range an hour ago: outside the windows the CQs recompute on their own.
    const t0 = Math.floor(Date.now() / 3_600_000) * 3600 - 3600;
    await writeRaw([
      `it_sensor,host=a value=1 ${t0}`,
      `it_sensor,host=a value=2 ${t0 + 5}`,
      `it_sensor,host=a value=3 ${t0 + 10}`,
      `it_sensor,host=a value=6 ${t0 + 15}`,
      `it_sensor,host=b value=10 ${t0 + 1}`,
      `it_sensor,host=b value=20 ${t0 + 29}`,
      `it_sensor,host=a value=4 ${t0 + 30}`,
      `it_sensor,host=a value=5 ${t0 + 59}`,
      `it_sensor,host=b value=7 ${t0 + 45}`,
    ]);
    const at = (s: number) => new Date(s * 1000);

    const [intermediate, lowres] = DEFAULTS.slice(1);
    await influxQuery(conn, downsampleQuery(db, intermediate, { from: at(t0), to: at(t0 + 60) }), db);
    const mid = await rows(`SELECT mean_value, host FROM ${quoteIdent(db)}."intermediate"."it_sensor"`);
    const byTimeHost = (r: Record<string, unknown>[]) =>
      r.map((x) => [Date.parse(String(x.time)) / 1000 - t0, x.host, x.mean_value ?? x.mean_mean_value]).sort((a, b) => (a[0] as number) - (b[0] as number) || String(a[1]).localeCompare(String(b[1])));
    expect(byTimeHost(mid)).toEqual([
      [0, 'a', 3],
      [0, 'b', 15],
      [30, 'a', 4.5],
      [30, 'b', 7],
    ]);

    await influxQuery(conn, downsampleQuery(db, lowres, { from: at(t0), to: at(t0 + 600) }), db);
    const low = await rows(`SELECT mean_mean_value, host FROM ${quoteIdent(db)}."lowres"."it_sensor"`);
    expect(byTimeHost(low)).toEqual([
      [0, 'a', 3.75],
      [0, 'b', 11],
    ]);
  });

  it('stops at a failed statement and names it, the URL, InfluxDB\'s error and what was applied', async () => {
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
