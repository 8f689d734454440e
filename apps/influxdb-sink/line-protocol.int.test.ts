/**
 * The sink's number and string formatting against the real InfluxDB 1.8: the points compileSchema
 * writes are accepted, and what InfluxDB stores (read back with InfluxQL, JSON) is exactly the
 * record's value — every double (including -0, subnormals, exponent forms such as 1e+21 and 5e-324,
 * 2^53 ± 1), integers of every size, strings with quotes, backslashes, newlines and non-ASCII text.
 * And what InfluxDB refuses, which the sink must never write: NaN, ±Infinity, hex, a leading `+`,
 * out-of-range floats and integers.
 * Run: npx jest --selectProjects integration --runInBand apps/influxdb-sink/line-protocol
 */
import { avroType } from '../lib/avro-type';
import { silentLogger } from '../lib/logging';
import { TestNamespace, useNamespace } from '../../test/integration/env';
import { compileSchema } from './convert';
import { InfluxWriter } from './writer';

jest.setTimeout(120_000);

let ns: TestNamespace;
let writer: InfluxWriter;
const T0 = Date.UTC(2026, 10, 1) * 1000; // µs

beforeAll(async () => {
  ns = await useNamespace(__filename);
  writer = new InfluxWriter({ url: ns.endpoints.influxdb.url, database: ns.database, logger: silentLogger(), maxBackoffMs: 1000 });
}, 15 * 60_000);

afterAll(async () => {
  await ns?.cleanup();
});

/** InfluxQL with µs epochs; the first series' values, in time order, parsed from JSON. */
async function column(measurement: string, field: string): Promise<{ time: number; value: unknown }[]> {
  const body = new URLSearchParams({ q: `SELECT "${field}" FROM "${measurement}" ORDER BY time ASC`, db: ns.database, epoch: 'u' });
  const res = await fetch(`${ns.endpoints.influxdb.url}/query`, { method: 'POST', body });
  const json = (await res.json()) as { results: { error?: string; series?: { values: [number, unknown][] }[] }[] };
  if (json.results[0].error) throw new Error(json.results[0].error);
  return (json.results[0].series?.[0].values ?? []).map(([time, value]) => ({ time, value }));
}

async function rawWrite(body: string): Promise<number> {
  const res = await fetch(`${ns.endpoints.influxdb.url}/write?db=${ns.database}&precision=u`, { method: 'POST', body });
  await res.text();
  return res.status;
}

/** Deterministic doubles of every kind (as in the unit tests, fewer). */
function doubles(): number[] {
  let seed = 5;
  const r = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const hi = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
  const out = [
    -0,
    0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    2.225073858507201e-308,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    1e21,
    1.0000000000000001e21,
    1e-7,
    1e-6,
    1e15,
    1e16,
    1e17,
    2 ** 53 - 1,
    2 ** 53 + 2,
    -(2 ** 53 + 2),
    0.1,
    0.30000000000000004,
    1 / 3,
    0.86005401611328125,
    Math.fround(0.1),
  ];
  for (let i = 0; i < 3000; i++) {
    u32[hi] = (((r() < 0.5 ? 1 : 0) << 31) | (Math.floor(i % 2 ? r() * 2047 : 1001 + r() * 82) << 20) | (r() * 2 ** 20)) >>> 0;
    u32[1 - hi] = (r() * 2 ** 32) >>> 0;
    out.push(f64[0], Math.cos(i) * 100, Math.fround(Math.sin(i)), Math.round((r() - 0.5) * 1e7) / 10 ** Math.floor(r() * 9));
  }
  return out.filter((x) => Number.isFinite(x));
}

describe('line protocol formatting on the real InfluxDB', () => {
  const schema = (type: unknown) =>
    compileSchema(
      avroType({
        type: 'record',
        name: 'p',
        fields: [
          { name: 'sal_created', type: 'long' },
          { name: 'v', type },
        ],
      } as never),
    );
  const stats = { droppedFields: 0 };
  /** compileSchema's lines for these values (time T0 + i µs; sal_created in µs). */
  const lines = (c: ReturnType<typeof schema>, m: string, values: unknown[]) =>
    values.map((v, i) => c.line({ sal_created: T0 + i, v }, m, '0', stats));

  it('stores every double exactly as the record held it (-0, subnormals, 1e+21, 5e-324, 2^53 ± 1 …)', async () => {
    const values = doubles();
    const ls = lines(schema('double'), 'floats', values);
    expect(ls.some((l) => /,v=\S*e[+-]/.test(l))).toBe(true); // exponent forms are among them
    expect(await writer.write(ls)).toEqual([]);
    const rows = await column('floats', 'v');
    expect(rows.length).toBe(values.length);
    const wrong = rows.filter((row, i) => row.time !== T0 + i || !Object.is(row.value, values[i])).slice(0, 5);
    expect(wrong).toEqual([]);
  });

  it('stores integers of every size exactly (safe range via JSON; the int64 limits by their text)', async () => {
    let seed = 11;
    const r = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const values: number[] = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 99999999, 100000000];
    for (let i = 0; i < 3000; i++) values.push(Math.floor((r() - 0.5) * 2 ** (r() * 54)));
    expect(await writer.write(lines(schema('long'), 'ints', values))).toEqual([]);
    const rows = await column('ints', 'v');
    expect(rows.map((row) => row.value)).toEqual(values);
    // int64 limits (bigint values) written and read back as text
    const big = lines(schema('long'), 'bigints', [9223372036854775807n, -9223372036854775808n]);
    expect(big[0]).toMatch(/,v=9223372036854775807i /);
    expect(await writer.write(big)).toEqual([]);
    const body = new URLSearchParams({ q: 'SELECT v FROM bigints', db: ns.database, epoch: 'u' });
    const text = await (await fetch(`${ns.endpoints.influxdb.url}/query`, { method: 'POST', body })).text();
    expect(text).toContain('9223372036854775807]');
    expect(text).toContain('-9223372036854775808]');
  });

  it('stores strings exactly: quotes, backslashes, newlines, tabs, non-ASCII, 30 kB', async () => {
    const values = [
      '',
      'plain',
      'say "hi"',
      'back\\slash',
      'ends with \\',
      '\\"',
      'line1\nline2\r\n',
      'tab\there',
      'é µ 日本 😀',
      'a,b=c d',
      `${'"\\\n'.repeat(10_000)}end`,
      'x'.repeat(30_000),
    ];
    expect(await writer.write(lines(schema('string'), 'strings', values))).toEqual([]);
    const rows = await column('strings', 'v');
    expect(rows.map((row) => row.value)).toEqual(values);
  });

  it('refuses what the sink never writes: NaN, inf, hex, a leading +, 1e400, 2^63 as an integer', async () => {
    const refused = ['NaN', 'inf', '-Infinity', '0x10', '+1', '1e400', '9223372036854775808i'];
    const statuses = [];
    for (const [i, v] of refused.entries()) statuses.push(await rawWrite(`refused v=${v} ${T0 + i}`));
    expect(statuses).toEqual(refused.map(() => 400));
    // and accepts the exponent forms String(n) gives, either case
    expect(await rawWrite(`accepted v=1e+21 ${T0}\naccepted v=1E-7 ${T0 + 1}\naccepted v=5e-324 ${T0 + 2}`)).toBe(204);
    expect((await column('accepted', 'v')).map((row) => row.value)).toEqual([1e21, 1e-7, 5e-324]);
  });
});
