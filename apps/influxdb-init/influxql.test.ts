import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_TIERS, RetentionTier, retentionTierSchema } from '../../config/schema';
import { connectionFor, influxQuery } from './apply';
import { parseTiersOption, resolveTarget } from './cli';
import {
  checkTiers,
  downsampleQuery,
  EMPTY_STATE,
  formatDuration,
  parseContinuousQueries,
  parseDatabases,
  parseRetentionPolicies,
  planStatements,
  quoteIdent,
  retentionStatements,
  RetentionTierError,
  serverDurationSeconds,
  ServerState,
} from './influxql';

const tiers = (input: unknown[]): RetentionTier[] => input.map((t) => retentionTierSchema.parse(t));
const DEFAULTS = tiers(DEFAULT_TIERS);

/** The state InfluxDB 1.8.10 reports after applying DEFAULTS to "efd" (copied from a real server). */
function appliedDefaults(): ServerState {
  return { ...withOldCqs(), continuousQueries: [] };
}

/** The same with the continuous queries earlier versions created (copied from a real server). */
function withOldCqs(): ServerState {
  return {
    databaseExists: true,
    retentionPolicies: [
      { name: 'autogen', duration: '0s', shardGroupDuration: '168h0m0s', replicaN: 1, default: false },
      { name: 'raw', duration: '168h0m0s', shardGroupDuration: '1h0m0s', replicaN: 1, default: true },
      { name: 'intermediate', duration: '720h0m0s', shardGroupDuration: '24h0m0s', replicaN: 1, default: false },
      { name: 'lowres', duration: '8760h0m0s', shardGroupDuration: '168h0m0s', replicaN: 1, default: false },
    ],
    continuousQueries: [
      {
        name: 'efd_intermediate',
        query:
          'CREATE CONTINUOUS QUERY efd_intermediate ON efd RESAMPLE EVERY 30s FOR 1m BEGIN SELECT mean(*) INTO efd.intermediate.:MEASUREMENT FROM efd.raw./.*/ GROUP BY time(30s), * END',
      },
      {
        name: 'efd_lowres',
        query:
          'CREATE CONTINUOUS QUERY efd_lowres ON efd RESAMPLE EVERY 10m FOR 20m BEGIN SELECT mean(*) INTO efd.lowres.:MEASUREMENT FROM efd.intermediate./.*/ GROUP BY time(10m), * END',
      },
    ],
  };
}

const texts = (plan: { influxql: string }[]) => plan.map((s) => s.influxql);

describe('durations', () => {
  it.each([
    [604800, '1w'],
    [30 * 86400, '30d'],
    [365 * 86400, '365d'],
    [14 * 86400, '2w'],
    [3600, '1h'],
    [5400, '90m'],
    [90, '90s'],
    [0, '0s'],
    [Infinity, 'INF'],
  ])("formats %p s as %p (InfluxDB's own form)", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('refuses fractional seconds', () => {
    expect(() => formatDuration(1.5)).toThrow('expected whole seconds');
  });

  it.each([
    ['168h0m0s', 604800],
    ['720h0m0s', 2592000],
    ['8760h0m0s', 31536000],
    ['1h0m0s', 3600],
    ['1h30m0s', 5400],
    ['30m0s', 1800],
    ['0s', 0],
    ['500ms', 0.5],
    ['1m30.5s', 90.5],
    ['7d', 604800],
    ['1w', 604800],
    ['INF', Infinity],
  ])('normalises the server duration %p to %p s', (text, seconds) => {
    expect(serverDurationSeconds(text)).toBe(seconds);
  });

  it('names an unreadable server duration', () => {
    expect(() => serverDurationSeconds('forever')).toThrow(
      'InfluxDB reported the duration "forever", which is not a Go duration such as "168h0m0s"',
    );
    expect(() => serverDurationSeconds('')).toThrow('empty duration');
  });
});

describe('quoting', () => {
  it('double-quotes identifiers and escapes quotes and backslashes', () => {
    expect(quoteIdent('efd')).toBe('"efd"');
    expect(quoteIdent('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});

describe('retentionStatements', () => {
  it('turns the default tiers into the database and three RPs (raw DEFAULT), no continuous query', () => {
    expect(texts(retentionStatements('efd', DEFAULTS))).toEqual([
      'CREATE DATABASE "efd"',
      'CREATE RETENTION POLICY "raw" ON "efd" DURATION 1w REPLICATION 1 SHARD DURATION 1h DEFAULT',
      'CREATE RETENTION POLICY "intermediate" ON "efd" DURATION 30d REPLICATION 1 SHARD DURATION 1d',
      'CREATE RETENTION POLICY "lowres" ON "efd" DURATION 365d REPLICATION 1 SHARD DURATION 1w',
    ]);
  });

  it('labels each statement with its kind and target', () => {
    expect(retentionStatements('efd', DEFAULTS).map((s) => `${s.kind} ${s.target} (${s.reason})`)).toEqual([
      'create-database efd (missing)',
      'create-retention-policy raw (missing)',
      'create-retention-policy intermediate (missing)',
      'create-retention-policy lowres (missing)',
    ]);
  });

  it('writes several aggregations as one SELECT (fields mean_x, max_x) and quotes odd names', () => {
    const t = tiers([
      { name: 'raw', duration: '2d', shardDuration: '1h' },
      { name: 'stats', duration: '52w', shardDuration: '1w', source: 'raw', interval: '1m', aggregations: ['mean', 'max', 'min'] },
    ]);
    expect(texts(retentionStatements('my "db"', t))).toEqual([
      'CREATE DATABASE "my \\"db\\""',
      'CREATE RETENTION POLICY "raw" ON "my \\"db\\"" DURATION 2d REPLICATION 1 SHARD DURATION 1h DEFAULT',
      'CREATE RETENTION POLICY "stats" ON "my \\"db\\"" DURATION 52w REPLICATION 1 SHARD DURATION 1w',
    ]);
    const range = { from: new Date('2024-05-01T10:00:00Z'), to: new Date('2024-05-01T10:02:00Z') };
    expect(downsampleQuery('my "db"', t[1], 'MT "m"', range)).toBe(
      'SELECT mean(*), max(*), min(*) INTO "my \\"db\\""."stats"."MT \\"m\\"" FROM "my \\"db\\""."raw"."MT \\"m\\"" ' +
        "WHERE time >= '2024-05-01T10:00:00.000Z' AND time < '2024-05-01T10:02:00.000Z' GROUP BY time(1m), *",
    );
  });

  it('defaults the aggregation to mean and writes INF retention', () => {
    const t = tiers([
      { name: 'raw', duration: '1d', shardDuration: '1h' },
      { name: 'forever', duration: 'INF', shardDuration: '4w', source: 'raw', interval: '1h' },
    ]);
    expect(texts(retentionStatements('efd', t)).slice(2)).toEqual([
      'CREATE RETENTION POLICY "forever" ON "efd" DURATION INF REPLICATION 1 SHARD DURATION 4w',
    ]);
    expect(downsampleQuery('efd', t[1], 'm', { from: new Date(0), to: new Date(3600_000) })).toMatch(
      /^SELECT mean\(\*\) INTO "efd"."forever"."m" FROM "efd"."raw"."m" .* GROUP BY time\(1h\), \*$/,
    );
  });

  it("gives one measurement's SELECT … INTO over a time range, never a regex over every measurement", () => {
    const range = { from: new Date('2024-05-01T10:00:00Z'), to: new Date('2024-05-01T11:00:00Z') };
    expect(downsampleQuery('efd', DEFAULTS[1], 'MTM1M3_logevent_airNozzles', range)).toBe(
      'SELECT mean(*) INTO "efd"."intermediate"."MTM1M3_logevent_airNozzles" FROM "efd"."raw"."MTM1M3_logevent_airNozzles" ' +
        "WHERE time >= '2024-05-01T10:00:00.000Z' AND time < '2024-05-01T11:00:00.000Z' GROUP BY time(30s), *",
    );
    expect(downsampleQuery('efd', DEFAULTS[2], 'm', range)).toContain('INTO "efd"."lowres"."m" FROM "efd"."intermediate"."m" ');
    expect(() => downsampleQuery('efd', DEFAULTS[0], 'm', range)).toThrow('tier "raw" is not a downsampled tier');
  });
});

describe('planStatements', () => {
  it('plans everything for a missing database', () => {
    expect(planStatements('efd', DEFAULTS, EMPTY_STATE)).toEqual(retentionStatements('efd', DEFAULTS));
  });

  it('plans nothing when the server already matches (durations as InfluxDB reports them)', () => {
    expect(planStatements('efd', DEFAULTS, appliedDefaults())).toEqual([]);
  });

  it('creates only what is missing when the database exists', () => {
    const state = appliedDefaults();
    state.retentionPolicies = state.retentionPolicies.filter((r) => r.name !== 'lowres');
    expect(texts(planStatements('efd', DEFAULTS, state))).toEqual([
      'CREATE RETENTION POLICY "lowres" ON "efd" DURATION 365d REPLICATION 1 SHARD DURATION 1w',
    ]);
  });

  it('alters only the clauses that differ', () => {
    const longer = tiers(DEFAULT_TIERS.map((t) => (t.name === 'intermediate' ? { ...t, duration: '60d' } : t)));
    const plan = planStatements('efd', longer, appliedDefaults());
    expect(texts(plan)).toEqual(['ALTER RETENTION POLICY "intermediate" ON "efd" DURATION 60d']);
    expect(plan[0].reason).toBe('duration 30d → 60d (server reports 720h0m0s)');
  });

  it('alters the shard duration, replication and default of the raw tier', () => {
    const state = appliedDefaults();
    state.retentionPolicies[1] = { name: 'raw', duration: '168h0m0s', shardGroupDuration: '24h0m0s', replicaN: 2, default: false };
    state.retentionPolicies[0].default = true;
    const plan = planStatements('efd', DEFAULTS, state);
    expect(texts(plan)).toEqual(['ALTER RETENTION POLICY "raw" ON "efd" REPLICATION 1 SHARD DURATION 1h DEFAULT']);
    expect(plan[0].reason).toBe('replication 2 → 1; shard duration 1d → 1h (server reports 24h0m0s); not the default retention policy');
  });

  it('treats "0s" from the server as INF', () => {
    const t = tiers([{ name: 'raw', duration: 'INF', shardDuration: '1w' }]);
    const state: ServerState = {
      databaseExists: true,
      continuousQueries: [],
      retentionPolicies: [{ name: 'raw', duration: '0s', shardGroupDuration: '168h0m0s', replicaN: 1, default: true }],
    };
    expect(planStatements('efd', t, state)).toEqual([]);
    state.retentionPolicies[0].duration = '8760h0m0s';
    expect(texts(planStatements('efd', t, state))).toEqual(['ALTER RETENTION POLICY "raw" ON "efd" DURATION INF']);
  });

  it('drops the continuous queries of earlier versions (a database migrated to the downsampler), then plans nothing', () => {
    const plan = planStatements('efd', DEFAULTS, withOldCqs());
    expect(texts(plan)).toEqual(['DROP CONTINUOUS QUERY "efd_intermediate" ON "efd"', 'DROP CONTINUOUS QUERY "efd_lowres" ON "efd"']);
    expect(plan.map((s) => `${s.kind} ${s.target}`)).toEqual([
      'drop-continuous-query efd_intermediate',
      'drop-continuous-query efd_lowres',
    ]);
    expect(plan[0].reason).toBe(
      'the tier is downsampled by efd influxdb-downsample (per measurement, off the write path) instead of a continuous query',
    );
    expect(planStatements('efd', DEFAULTS, appliedDefaults())).toEqual([]);
  });

  it('leaves unmanaged RPs and CQs alone and drops managed CQs of removed tiers', () => {
    const state = withOldCqs();
    state.continuousQueries = [];
    state.retentionPolicies.push({ name: 'scratch', duration: '24h0m0s', shardGroupDuration: '1h0m0s', replicaN: 1, default: false });
    state.continuousQueries.push(
      {
        name: 'hourly_report',
        query:
          'CREATE CONTINUOUS QUERY hourly_report ON efd BEGIN SELECT count(*) INTO efd.scratch.:MEASUREMENT FROM efd.raw./.*/ GROUP BY time(1h) END',
      },
      {
        name: 'efd_old',
        query:
          'CREATE CONTINUOUS QUERY efd_old ON efd BEGIN SELECT max(*) INTO efd.scratch.:MEASUREMENT FROM efd.raw./.*/ GROUP BY time(1h) END',
      },
    );
    expect(texts(planStatements('efd', DEFAULTS, state))).toEqual(['DROP CONTINUOUS QUERY "efd_old" ON "efd"']);
  });

  it('ignores CQs of other databases and RPs reported for a database that is missing', () => {
    const series = [
      {
        name: 'efd',
        columns: ['name', 'query'],
        values: [
          [
            'hourly_report',
            'CREATE CONTINUOUS QUERY hourly_report ON efd BEGIN SELECT count(*) INTO efd.raw.:MEASUREMENT FROM efd.raw./.*/ GROUP BY time(1h) END',
          ],
        ],
      },
      {
        name: 'other',
        columns: ['name', 'query'],
        values: [
          [
            'efd_x',
            'CREATE CONTINUOUS QUERY efd_x ON other BEGIN SELECT mean(*) INTO other.b.:MEASUREMENT FROM other.a./.*/ GROUP BY time(1m) END',
          ],
        ],
      },
      { name: '_internal', columns: ['name', 'query'] },
    ];
    const state = { ...appliedDefaults(), continuousQueries: parseContinuousQueries(series, 'efd') };
    expect(state.continuousQueries.map((c) => c.name)).toEqual(['hourly_report']);
    expect(planStatements('efd', DEFAULTS, state)).toEqual([]);
    expect(planStatements('efd', DEFAULTS, { ...appliedDefaults(), databaseExists: false })).toEqual(retentionStatements('efd', DEFAULTS));
  });
});

describe('checkTiers', () => {
  const bad = (input: unknown[]): string => {
    try {
      checkTiers('efd', tiers(input));
    } catch (err) {
      expect(err).toBeInstanceOf(RetentionTierError);
      return (err as Error).message;
    }
    throw new Error('expected a RetentionTierError');
  };

  it('accepts the defaults', () => {
    expect(() => checkTiers('efd', DEFAULTS)).not.toThrow();
  });

  it('refuses what InfluxDB would reject or silently change', () => {
    expect(bad([{ name: 'raw', duration: '30m', shardDuration: '30m' }])).toBe(
      'invalid retention tiers (2 problems):\n' +
        '  tier 0 "raw", duration: InfluxDB keeps data at least 1h; expected "1h" or longer (or "INF"), got "30m"\n' +
        '  tier 0 "raw", shardDuration: InfluxDB raises shard durations under 1h to 1h; expected "1h" or longer, got "30m"',
    );
    expect(bad([{ name: 'raw', duration: 'INF', shardDuration: 'INF' }])).toContain(
      'tier 0 "raw", shardDuration: expected a finite shard duration',
    );
    expect(bad([{ name: 'raw', duration: '1d', shardDuration: '2d' }])).toContain(
      'tier 0 "raw", shardDuration: expected a shard duration no longer than the tier\'s duration (1d), got "2d"',
    );
  });

  it('refuses tiers whose sources do not chain', () => {
    const msg = bad([
      { name: 'raw', duration: '7d', shardDuration: '1h', source: 'lowres' },
      { name: 'lowres', duration: '365d', shardDuration: '7d', source: 'missing' },
      { name: 'lowres', duration: '365d', shardDuration: '7d', source: 'raw', interval: '10m' },
    ]);
    expect(msg).toContain('tier 0 "raw", source: expected no source on the first (raw) tier');
    expect(msg).toContain('tier 1 "lowres", source: expected the name of an earlier tier (raw), got "missing"');
    expect(msg).toContain('tier 1 "lowres", interval: expected the downsampling interval, e.g. "30s"');
    expect(msg).toContain('tier 2 "lowres", name: expected a unique tier name; "lowres" is used twice');
  });

  it('refuses an empty tier list', () => {
    expect(() => retentionStatements('efd', [])).toThrow('tiers: expected at least one tier (the raw tier)');
  });
});

describe('reading SHOW results', () => {
  it('reads SHOW DATABASES and SHOW RETENTION POLICIES series', () => {
    expect(parseDatabases([{ name: 'databases', columns: ['name'], values: [['_internal'], ['efd']] }])).toEqual(['_internal', 'efd']);
    expect(parseDatabases([{ name: 'databases', columns: ['name'] }])).toEqual([]);
    const rps = parseRetentionPolicies([
      {
        columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'],
        values: appliedDefaults().retentionPolicies.map((r) => [r.name, r.duration, r.shardGroupDuration, r.replicaN, r.default]),
      },
    ]);
    expect(rps).toEqual(appliedDefaults().retentionPolicies);
  });
});

describe('influxdb-init options', () => {
  it('reads tiers inline or from a file, bare or as { tiers }', () => {
    const json = JSON.stringify(DEFAULT_TIERS);
    expect(parseTiersOption(json)).toEqual(DEFAULTS);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'influxdb-init-')), 'tiers.json');
    fs.writeFileSync(file, JSON.stringify({ tiers: DEFAULT_TIERS }));
    expect(parseTiersOption(file)).toEqual(DEFAULTS);
  });

  it('names the bad field of --tiers', () => {
    expect(() => parseTiersOption('[{"name":"raw","duration":"7 days","shardDuration":"1h"}]')).toThrow(
      /--tiers \(inline JSON\): expected an array of retention tiers[^]*\[0\]\.duration: expected a duration such as "1h"/,
    );
    expect(() => parseTiersOption('{"tiers": []}')).toThrow('.tiers: expected at least one tier');
    expect(() => parseTiersOption('[nope')).toThrow('--tiers (inline JSON): not valid JSON');
    expect(() => parseTiersOption('/no/such/tiers.json')).toThrow('--tiers file /no/such/tiers.json: cannot read it (ENOENT)');
  });

  it('takes the database and tiers of a site, or asks for what is missing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'influxdb-init-sites-'));
    const yaml = [
      'name: lab',
      'role: standalone',
      'production: false',
      'target: { kind: kubeconfig, context: lab }',
      'storage: { create: false }',
      'influxdb: { database: labdb }',
    ];
    fs.writeFileSync(path.join(dir, 'lab.yaml'), `${yaml.join('\n')}\n`);
    expect(resolveTarget({ site: 'lab' }, dir)).toEqual({ database: 'labdb', tiers: DEFAULTS });
    expect(resolveTarget({ site: 'lab', database: 'other' }, dir).database).toBe('other');
    expect(() => resolveTarget({ site: 'nope' }, dir)).toThrow('unknown site "nope"; known sites: lab');
    expect(() => resolveTarget({ site: 'lab', tiers: '[]' }, dir)).toThrow('either --site');
    expect(() => resolveTarget({ database: 'efd' })).toThrow('give --tiers');
    expect(() => resolveTarget({ tiers: '[]' })).toThrow('give --database');
  });

  it('moves credentials out of the URL and takes them from the environment', () => {
    expect(connectionFor('http://admin:s%40cret@influxdb:8086/', {})).toEqual({
      url: 'http://influxdb:8086',
      username: 'admin',
      password: 's@cret',
    });
    expect(connectionFor('http://influxdb:8086', { INFLUXDB_USER: 'u', INFLUXDB_PASSWORD: 'p' })).toEqual({
      url: 'http://influxdb:8086',
      username: 'u',
      password: 'p',
    });
    expect(connectionFor('http://influxdb:8086', {})).toEqual({ url: 'http://influxdb:8086', username: undefined, password: undefined });
    expect(() => connectionFor('influxdb:8086', {})).toThrow('must be http:// or https://');
    expect(() => connectionFor('not a url', {})).toThrow('--url "not a url" is not a URL');
  });
});

describe('influxQuery over HTTP (stub server standing in for InfluxDB)', () => {
  let server: http.Server;
  let url = '';
  const seen: { auth?: string; body: string }[] = [];
  let reply: { status: number; body: string } = { status: 200, body: '{"results":[{"statement_id":0}]}' };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, body });
        res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('POSTs q and db as a form with basic auth', async () => {
    await influxQuery({ url, username: 'admin', password: 's3cret' }, 'SHOW DATABASES', 'efd');
    expect(seen.at(-1)).toEqual({ auth: `Basic ${Buffer.from('admin:s3cret').toString('base64')}`, body: 'q=SHOW+DATABASES&db=efd' });
  });

  it("reports InfluxDB's error text, and what to do on 401, without the password", async () => {
    reply = { status: 200, body: '{"results":[{"statement_id":0,"error":"database not found: nope"}]}' };
    await expect(influxQuery({ url }, 'SHOW RETENTION POLICIES ON "nope"')).rejects.toThrow(
      `InfluxQL \`SHOW RETENTION POLICIES ON "nope"\` on ${url} failed: database not found: nope`,
    );
    reply = { status: 401, body: '{"error":"authorization failed"}' };
    await expect(influxQuery({ url, username: 'admin', password: 's3cret' }, 'SHOW DATABASES')).rejects.toThrow(
      'failed: authorization failed',
    );
    reply = { status: 401, body: '' };
    const err = await influxQuery({ url, username: 'admin', password: 's3cret' }, 'SHOW DATABASES').catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `InfluxQL \`SHOW DATABASES\` on ${url} failed: HTTP 401: authentication failed; set INFLUXDB_USER and INFLUXDB_PASSWORD to an admin user`,
    );
    expect((err as Error).message).not.toContain('s3cret');
  });
});
