import type { Schema } from 'avsc';
import { RegistryError, wireEncoder } from '../lib/registry';
import { AlertDecoder, projectSchema, schemaIdOf } from './filter-decode';
import { AlertGenerator } from './generate';
import { ALERT_SCHEMA, alertType, type Alert } from './schema';

const SCHEMA = ALERT_SCHEMA as unknown as Schema;
const gen = new AlertGenerator({ seed: 3, alertsPerVisit: 5, cutouts: true });
const alerts: Alert[] = [...gen.alerts(gen.visit(0, Date.UTC(2026, 2, 3, 5)))];

describe('projectSchema', () => {
  it('keeps the records on the way to the fields, drops the rest', () => {
    const cut = projectSchema(SCHEMA, ['alertId', 'diaSource.snr', 'diaSource.ps_Cov.psFluxSigma']) as unknown as {
      fields: { name: string; type: { fields: { name: string; type: unknown }[] } }[];
    };
    expect(cut.fields.map((f) => f.name)).toEqual(['alertId', 'diaSource']);
    const ds = cut.fields[1].type;
    expect(ds.fields.map((f) => f.name)).toEqual(['snr', 'ps_Cov']);
    expect((ds.fields[1] as unknown as { type: [string, { fields: { name: string }[] }] }).type[1].fields.map((f) => f.name)).toEqual([
      'psFluxSigma',
    ]);
  });

  it('gives up on a path through a type named elsewhere', () => {
    // cutoutTemplate is ['null', 'lsst.alert.cutout'], defined under cutoutDifference
    expect(projectSchema(SCHEMA, ['alertId', 'cutoutTemplate.fileName'])).toBeUndefined();
    expect(projectSchema(SCHEMA, ['alertId', 'cutoutDifference.fileName'])).toBeDefined();
  });
});

describe('AlertDecoder', () => {
  const encode = wireEncoder(3, alertType());
  const registry = {
    schema: async (id: number) => {
      if (id === 3) return SCHEMA;
      throw new RegistryError(`schema id ${id} is not in the schema registry`, 404);
    },
  };

  it('decodes the filters’ fields, the id and the ccdVisitId only', async () => {
    const d = new AlertDecoder({ registry, fields: ['diaSource.snr', 'diaSource.extendedness'] });
    const values = alerts.map(encode);
    await d.prepare(values);
    expect(d.projected(3)).toBe(true);
    const r = d.decode(values[2]);
    expect(r.ok).toBe(true);
    const a = (r as { alert: Record<string, unknown> }).alert;
    expect(JSON.parse(JSON.stringify(a))).toEqual({
      alertId: alerts[2].alertId,
      diaSource: {
        ccdVisitId: alerts[2].diaSource.ccdVisitId,
        snr: alerts[2].diaSource.snr,
        extendedness: alerts[2].diaSource.extendedness,
      },
    });
  });

  it('reads whole when the schema cannot be cut down', async () => {
    const d = new AlertDecoder({ registry, fields: ['cutoutTemplate.fileName'] });
    const v = encode(alerts[0]);
    await d.prepare([v]);
    expect(d.projected(3)).toBe(false);
    expect((d.decode(v) as unknown as { alert: Alert }).alert.cutoutTemplate!.fileName).toBe(alerts[0].cutoutTemplate!.fileName);
  });

  it('says why a record is bad', async () => {
    let now = 0;
    let asked = 0;
    const d = new AlertDecoder({
      registry: { schema: (id) => (asked++, registry.schema(id)) },
      fields: [],
      recheckMs: 1000,
      now: () => now,
    });
    const good = encode(alerts[0]);
    const other = Buffer.from(good);
    other.writeUInt32BE(8, 1);
    await d.prepare([good, other, null, Buffer.from('xy')]);
    expect(d.decode(null)).toEqual({ ok: false, reason: 'not-avro', message: expect.stringContaining('got no value') });
    expect(d.decode(Buffer.from('xy'))).toMatchObject({
      reason: 'not-avro',
      message: expect.stringContaining('got 2 byte(s) starting 7879'),
    });
    expect(d.decode(other)).toEqual({ ok: false, reason: 'unknown-schema', message: 'schema id 8 is not in the schema registry' });
    expect(d.decode(Buffer.concat([good.subarray(0, 5), Buffer.from([0x80])]))).toMatchObject({
      reason: 'decode',
      message: expect.stringContaining('does not decode with schema id 3'),
    });
    expect(asked).toBe(2);
    // an unknown id is asked again only after recheckMs
    await d.prepare([other]);
    expect(asked).toBe(2);
    now = 1001;
    await d.prepare([other]);
    expect(asked).toBe(3);
    expect(schemaIdOf(good)).toBe(3);
  });

  it('a registry that does not answer throws (the batch is read again)', async () => {
    const d = new AlertDecoder({ registry: { schema: async () => Promise.reject(new Error('fetch failed')) }, fields: [] });
    await expect(d.prepare([encode(alerts[0])])).rejects.toThrow('fetch failed');
  });
});
