import { Point } from '@influxdata/influxdb-client';
import { avroType } from '../lib/avro-type';
import { wireEncoder } from '../lib/registry';
import { compileSchema, ConversionError, createConverter, toMicros } from './convert';
import { escapeKey, escapeMeasurement, quoteString } from './line-protocol';
import { arrayOf, avroRecord } from '../../test/avro';

const TIMESTAMP = { type: 'long', logicalType: 'timestamp-millis' };
const schema = {
  type: 'record',
  name: 'MTM1M3_accelerometerData',
  namespace: 'lsst.sal',
  fields: [
    { name: 'kafka_timestamp', type: TIMESTAMP },
    { name: 'sal_created', type: TIMESTAMP },
    { name: 'salIndex', type: 'int' },
    { name: 'timestamp', type: 'double' },
    { name: 'rawAccelerometers', type: { type: 'array', items: 'float' } },
    { name: 'counts', type: { type: 'array', items: 'long' } },
    { name: 'angularAccelerationX', type: 'float' },
    { name: 'inPosition', type: 'boolean' },
    { name: 'state', type: { type: 'enum', name: 'State', symbols: ['IDLE', 'MOVING'] } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'raw', type: 'bytes' },
  ],
};
const type = avroType(schema as never);
const record = {
  kafka_timestamp: 1700000000123,
  sal_created: 1700000000100,
  salIndex: 2,
  timestamp: 1700000000.1,
  rawAccelerometers: [0.5, -1.25, 3],
  counts: [7, 8],
  angularAccelerationX: 0.25,
  inPosition: true,
  state: 'MOVING',
  note: 'say "hi", x=1',
  raw: Buffer.from('AB\0\0'),
};

describe('line protocol', () => {
  it('escapes like @influxdata/influxdb-client Point', () => {
    const m = 'lsst.sal.a b,c';
    const p = new Point(m).tag('t k', 'v=1,2 3').stringField('s f', 'q"\\x').floatField('f', 1e21).intField('i', -3).timestamp('1');
    expect(
      `${escapeMeasurement(m)},${escapeKey('t k')}=${escapeKey('v=1,2 3')} f=1e+21,i=-3i,${escapeKey('s f')}=${quoteString('q"\\x')} 1`,
    ).toBe(p.toLineProtocol());
  });
});

describe('compileSchema', () => {
  it('one point: fields in schema order, arrays flattened name0..nameN, enums by symbol, ints with i, time from sal_created in µs', () => {
    const c = compileSchema(type);
    const line = c.line(record, 'lsst.sal.MTM1M3_accelerometerData', '1', { droppedFields: 0 });
    expect(line).toBe(
      'lsst.sal.MTM1M3_accelerometerData kafka_timestamp=1700000000123i,sal_created=1700000000100i,salIndex=2i,timestamp=1700000000.1,' +
        'rawAccelerometers0=0.5,rawAccelerometers1=-1.25,rawAccelerometers2=3,counts0=7i,counts1=8i,angularAccelerationX=0.25,inPosition=true,' +
        'state="MOVING",note="say \\"hi\\", x=1",raw="AB" 1700000000100000',
    );
  });

  it('tags from fields and static tags (sorted, not fields), null union skipped, NaN dropped and counted', () => {
    const c = compileSchema(type, { tags: ['salIndex'], staticTags: { site: 'summit' } });
    const stats = { droppedFields: 0 };
    const line = c.line({ ...record, note: null, angularAccelerationX: NaN }, 'm', '1', stats);
    expect(line.startsWith('m,salIndex=2,site=summit kafka_timestamp=')).toBe(true);
    expect(line).not.toMatch(/note=|angularAccelerationX|,salIndex=2i/);
    expect(stats.droppedFields).toBe(1);
  });

  it('timestamp: configured field, units by magnitude, Kafka timestamp fallback or rejection', () => {
    expect(toMicros(1700000000.5, 'auto')).toBe('1700000000500000');
    expect(toMicros(1700000000100, 'auto')).toBe('1700000000100000');
    expect(toMicros(1700000000100200, 'auto')).toBe('1700000000100200');
    expect(toMicros(1.7e18, 'auto')).toBe('1700000000000000');
    expect(toMicros(new Date(1700000000100), 'auto')).toBe('1700000000100000');
    expect(toMicros(1700000000, 's')).toBe('1700000000000000');
    expect(compileSchema(type, { timestampField: 'timestamp' }).line(record, 'm', '1', { droppedFields: 0 })).toMatch(/ 1700000000100000$/);
    const noTs = avroType({ type: 'record', name: 'x', fields: [{ name: 'v', type: 'int' }] } as never);
    expect(compileSchema(noTs).line({ v: 1 }, 'm', '1700000000999', { droppedFields: 0 })).toBe('m v=1i 1700000000999000');
    expect(() => compileSchema(noTs, { missingTimestamp: 'reject' }).line({ v: 1 }, 'm', '1', { droppedFields: 0 })).toThrow(
      ConversionError,
    );
  });

  it("a field named time (the aggregated topics' window start) is the point time, never a field: InfluxDB refuses that key", () => {
    const agg = avroType({
      type: 'record',
      name: 'a',
      fields: [
        { name: 'time', type: TIMESTAMP },
        { name: 'count', type: 'int' },
        { name: 'x_mean', type: ['null', 'double'], default: null },
      ],
    } as never);
    const stats = { droppedFields: 0 };
    expect(compileSchema(agg, { timestampField: 'time' }).line({ time: 1700000001000, count: 3, x_mean: 0.5 }, 'm', '1', stats)).toBe(
      'm count=3i,x_mean=0.5 1700000001000000',
    );
  });

  it('nested records and maps become dotted fields; a record with nothing storable is rejected', () => {
    const t = avroType(
      avroRecord('n', {
        pos: avroRecord('p', { x: 'double', y: 'double' }),
        m: { type: 'map', values: 'int' },
        sal_created: 'long',
      }) as never,
    );
    expect(compileSchema(t).line({ pos: { x: 1.5, y: 2 }, m: { a: 1 }, sal_created: 1700000000000 }, 'm', '1', { droppedFields: 0 })).toBe(
      'm pos.x=1.5,pos.y=2,m.a=1i,sal_created=1700000000000i 1700000000000000',
    );
    const empty = avroType({ type: 'record', name: 'e', fields: [{ name: 'v', type: ['null', 'double'] }] } as never);
    expect(() => compileSchema(empty).line({ v: null }, 'm', '1', { droppedFields: 0 })).toThrow(/no field InfluxDB can store/);
  });
});

describe('compileSchema against a straightforward reference', () => {
  // every field kind, each value written the plain way: String(n) floats (-0 kept), `${n}i` ints,
  // escaped quoted strings, arrays name0..nameN, records/maps name.sub, null and NaN/±Infinity skipped
  const t = avroType(
    avroRecord('r', {
      sal_created: 'long',
      i: 'int',
      l: 'long',
      f: 'float',
      d: 'double',
      b: 'boolean',
      s: 'string',
      e: { type: 'enum', name: 'E', symbols: ['A', 'B_1'] },
      nd: ['null', 'double'],
      ad: arrayOf('double'),
      al: arrayOf('long'),
      p: avroRecord('P', { x: 'double', y: 'float' }),
      m: { type: 'map', values: 'double' },
    }) as never,
  );
  const float = (x: number) => (Number.isFinite(x) ? `${Object.is(x, -0) ? '-0' : String(x)}` : undefined);
  const quote = (x: string) => `"${x.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  const key = (x: string) => x.replace(/[, =]/g, (c) => `\\${c}`);
  function reference(r: Record<string, unknown>): string {
    const f: string[] = [];
    const put = (k: string, v: string | undefined) => v !== undefined && f.push(`${k}=${v}`);
    put('sal_created', `${r.sal_created}i`);
    put('i', `${r.i}i`);
    put('l', `${r.l}i`);
    put('f', float(r.f as number));
    put('d', float(r.d as number));
    put('b', String(r.b));
    put('s', quote(r.s as string));
    put('e', quote(r.e as string));
    if (r.nd !== null) put('nd', float(r.nd as number));
    (r.ad as number[]).forEach((x, i) => put(`ad${i}`, float(x)));
    (r.al as number[]).forEach((x, i) => put(`al${i}`, `${x}i`));
    const p = r.p as Record<string, number>;
    put('p.x', float(p.x));
    put('p.y', float(p.y));
    for (const [k, v] of Object.entries(r.m as Record<string, number>)) put(`m.${key(k)}`, float(v));
    return `lsst.sal.T ${f.join(',')} ${r.sal_created}000`;
  }
  const special = [0, -0, NaN, Infinity, -Infinity, 5e-324, 1e21, 1e-7, 2 ** 53 + 2, 0.1, 1 / 3, Number.MAX_VALUE];

  it('writes what the reference writes, byte for byte, for 5000 random records (through the Avro encoding)', async () => {
    let seed = 99;
    const r = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const dbl = () => (r() < 0.15 ? special[Math.floor(r() * special.length)] : (r() - 0.5) * 10 ** Math.floor(r() * 30 - 10));
    const str = () =>
      Array.from({ length: Math.floor(r() * 20) }, () => ['a', '"', '\\', '\n', ' ', ',', '=', 'é', '😀', 'x'][Math.floor(r() * 10)]).join(
        '',
      );
    const conv = createConverter({ type: async () => t });
    await conv.prepare([3]);
    const encode = wireEncoder(3, t);
    let expectedDropped = 0;
    const wrong: string[] = [];
    for (let n = 0; n < 5000; n++) {
      const rec = {
        sal_created: 1767225600000 + n,
        i: Math.floor((r() - 0.5) * 2 ** 32),
        l: Math.floor((r() - 0.5) * 2 ** (r() * 54)),
        f: Math.fround(dbl()),
        d: dbl(),
        b: r() < 0.5,
        s: str(),
        e: r() < 0.5 ? 'A' : 'B_1',
        nd: r() < 0.3 ? null : dbl(),
        ad: Array.from({ length: Math.floor(r() * 12) }, dbl),
        al: Array.from({ length: Math.floor(r() * 4) }, () => Math.floor((r() - 0.5) * 2 ** 53)),
        p: { x: dbl(), y: Math.fround(dbl()) },
        m: r() < 0.5 ? {} : { 'k 1': dbl(), k2: dbl() },
      };
      const decoded = t.fromBuffer(t.toBuffer(rec)) as Record<string, unknown>;
      expectedDropped += [
        decoded.f,
        decoded.d,
        decoded.nd,
        ...(decoded.ad as number[]),
        (decoded.p as Record<string, number>).x,
        (decoded.p as Record<string, number>).y,
        ...Object.values(decoded.m as object),
      ].filter((x) => typeof x === 'number' && !Number.isFinite(x)).length;
      const got = conv.convert('lsst.sal.T', encode(rec), '1');
      if (got !== reference(decoded) && wrong.length < 3) wrong.push(`${got}\n  expected ${reference(decoded)}`);
    }
    expect(wrong).toEqual([]);
    expect(conv.stats.droppedFields).toBe(expectedDropped);
    expect(expectedDropped).toBeGreaterThan(100);
  });

  it('a failed record leaves nothing behind for the next one', () => {
    const c = compileSchema(
      avroType({
        type: 'record',
        name: 'q',
        fields: [
          { name: 'a', type: 'double' },
          { name: 'n', type: 'long' },
        ],
      } as never),
    );
    expect(() => c.line({ a: 1.5, n: 0.5 }, 'm', '1', { droppedFields: 0 })).toThrow(/field n: expected an integer/);
    expect(() => c.line({ a: NaN, n: null }, 'm', '1', { droppedFields: 0 })).toThrow(/no field InfluxDB can store/);
    expect(c.line({ a: -0, n: 2 ** 53 - 1 }, 'm', '1', { droppedFields: 0 })).toBe('m a=-0,n=9007199254740991i 1000');
  });
});

describe('createConverter', () => {
  const registry = {
    type: async (id: number) => {
      if (id === 7) return type;
      throw Object.assign(new Error('not found'), { status: 404 });
    },
  };

  it('decodes the Confluent wire format, names the measurement after the topic (prefix strip optional)', async () => {
    const conv = createConverter(registry);
    await conv.prepare([7]);
    const value = wireEncoder(7, type)(record);
    expect(conv.convert('lsst.sal.MTM1M3_accelerometerData', value, '1')).toMatch(/^lsst\.sal\.MTM1M3_accelerometerData kafka_timestamp=/);
    const stripped = createConverter(registry, { stripPrefix: 'lsst.sal.' });
    await stripped.prepare([7]);
    expect(stripped.convert('lsst.sal.MTM1M3_accelerometerData', value, '1')).toMatch(/^MTM1M3_accelerometerData kafka/);
  });

  it('rejects what is not Avro, unknown schema ids, truncated bodies and tombstones with a reason', async () => {
    const conv = createConverter(registry);
    await conv.prepare([7, 9]);
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as ConversionError).reason;
      }
      return 'none';
    };
    expect(reason(() => conv.convert('t', Buffer.from('plain text'), '1'))).toBe('not-avro');
    expect(reason(() => conv.convert('t', Buffer.from([0, 0, 0, 0, 9, 1]), '1'))).toBe('unknown-schema');
    expect(reason(() => conv.convert('t', wireEncoder(7, type)(record).subarray(0, 12), '1'))).toBe('decode-failed');
    expect(reason(() => conv.convert('t', null, '1'))).toBe('null-value');
  });

  it('lets registry outages through (transient, never dead-lettered)', async () => {
    const down = createConverter({
      type: async () => {
        throw Object.assign(new Error('ECONNREFUSED'), {});
      },
    });
    await expect(down.prepare([1])).rejects.toThrow('ECONNREFUSED');
  });
});
