import { exitCodeOf, EXIT } from '../lib/exit-codes';
import {
  ALERT_SCHEMA,
  Alert,
  AlertSchemaError,
  alertFieldList,
  alertFields,
  alertMismatch,
  alertType,
  ccdVisitIdOf,
  detectorOf,
  DiaSource,
  fieldValue,
  validateAlert,
  visitOf,
} from './schema';

function diaSource(over: Partial<DiaSource> = {}): DiaSource {
  return {
    diaSourceId: 1_000_000_001,
    ccdVisitId: ccdVisitIdOf(2024120100012, 94),
    diaObjectId: 42,
    midPointTai: 60645.123456,
    filterName: 'r',
    ra: 351.570546978,
    decl: -12.5,
    ra_decl_Cov: { raSigma: 0.25, declSigma: 0.5, ra_decl_Cov: 0 },
    x: 112,
    y: 121.5,
    x_y_Cov: { xSigma: 1.25, ySigma: 1, x_y_Cov: 0 },
    snr: 41.5,
    psFlux: 1241,
    ps_Cov: { psFluxSigma: 30, psRaSigma: 0, psDeclSigma: 0, psFlux_psRa_Cov: 0, psFlux_psDecl_Cov: 0, psRa_psDecl_Cov: 0 },
    totFlux: null,
    totFluxErr: null,
    extendedness: 0.25,
    spuriousness: null,
    flags: 0,
    ...over,
  };
}

function alert(over: Partial<Alert> = {}): Alert {
  return {
    alertId: 7,
    l1dbId: 8,
    diaSource: diaSource(),
    prv_diaSources: [diaSource({ diaSourceId: 5 }), diaSource({ diaSourceId: 6 })],
    cutoutDifference: { fileName: 'diff.fits', stampData: Buffer.from('SIMPLE  =') },
    cutoutTemplate: null,
    ...over,
  };
}

describe('ALERT_SCHEMA', () => {
  it('is upstream lsst.alert with its diaSource and cutout records', () => {
    const t = alertType();
    expect(t.name).toBe('lsst.alert');
    expect(ALERT_SCHEMA.fields.map((f) => f.name)).toEqual([
      'alertId',
      'l1dbId',
      'diaSource',
      'prv_diaSources',
      'cutoutDifference',
      'cutoutTemplate',
    ]);
    expect(ALERT_SCHEMA.fields[2].type.name).toBe('diaSource');
    expect(ALERT_SCHEMA.fields[2].type.namespace).toBe('lsst.alert');
  });

  it('round-trips an alert through Avro', () => {
    const a = alert();
    const back = alertType().fromBuffer(alertType().toBuffer(a)) as Alert;
    expect(back.diaSource.ra).toBe(351.570546978);
    expect(back.diaSource.ccdVisitId).toBe(2024120100012094);
    expect(back.prv_diaSources?.map((s) => s.diaSourceId)).toEqual([5, 6]);
    expect(back.cutoutDifference?.stampData.toString()).toBe('SIMPLE  =');
    expect(back.cutoutTemplate).toBeNull();
    expect(back.diaSource.psFlux).toBe(1241);
  });

  it('compiles once', () => {
    expect(alertType()).toBe(alertType());
  });
});

describe('alertFields', () => {
  const fields = alertFields();

  it('maps the dotted paths of leaf fields to their Avro primitive types', () => {
    expect(fields['alertId']).toBe('long');
    expect(fields['diaSource.psFlux']).toBe('float');
    expect(fields['diaSource.ra']).toBe('double');
    expect(fields['diaSource.filterName']).toBe('string');
    expect(fields['diaSource.ccdVisitId']).toBe('long');
    expect(fields['diaSource.ps_Cov.psFluxSigma']).toBe('float');
    expect(fields['cutoutDifference.stampData']).toBe('bytes');
    expect(Object.keys(fields)).toHaveLength(34);
  });

  it('has no record, array or unknown paths', () => {
    expect(fields['diaSource']).toBeUndefined();
    expect(fields['diaSource.ps_Cov']).toBeUndefined();
    expect(Object.keys(fields).filter((p) => p.startsWith('prv_diaSources'))).toEqual([]);
    expect(fields['diaSource.psfFlux']).toBeUndefined();
    expect(Object.isFrozen(fields)).toBe(true);
  });

  it('says which fields may be null (their own union, or a nullable record they are in)', () => {
    const nullable = (p: string) => alertFieldList().find((f) => f.path === p)?.nullable;
    expect(nullable('diaSource.psFlux')).toBe(false);
    expect(nullable('diaSource.ra_decl_Cov.raSigma')).toBe(false);
    expect(nullable('diaSource.extendedness')).toBe(true);
    expect(nullable('diaSource.ps_Cov.psFluxSigma')).toBe(true);
    expect(nullable('cutoutTemplate.fileName')).toBe(true);
  });
});

describe('fieldValue', () => {
  it('reads a path, undefined under a null record', () => {
    expect(fieldValue(alert(), 'diaSource.ps_Cov.psFluxSigma')).toBe(30);
    expect(fieldValue(alert(), 'diaSource.filterName')).toBe('r');
    expect(fieldValue(alert(), 'cutoutTemplate.fileName')).toBeUndefined();
    expect(fieldValue(alert({ diaSource: diaSource({ ps_Cov: null }) }), 'diaSource.ps_Cov.psFluxSigma')).toBeUndefined();
  });
});

describe('ccdVisitId', () => {
  it('packs the visit and detector', () => {
    const id = ccdVisitIdOf(2024120100012, 188);
    expect(id).toBe(2024120100012188);
    expect(visitOf(id)).toBe(2024120100012);
    expect(detectorOf(id)).toBe(188);
    expect(visitOf(BigInt(id))).toBe(2024120100012);
  });

  it('refuses a detector beyond the packing and a negative visit', () => {
    expect(() => ccdVisitIdOf(1, 1000)).toThrow('detector 1000: expected an integer from 0 to 999');
    expect(() => ccdVisitIdOf(-1, 0)).toThrow('visit -1');
  });
});

describe('validateAlert', () => {
  it('returns a matching alert', () => {
    const a = alert();
    expect(validateAlert(a)).toBe(a);
    expect(alertMismatch(a)).toBeUndefined();
  });

  it('ignores fields the schema does not carry (as an Avro reader does)', () => {
    expect(alertMismatch({ ...alert(), diaObject: { x: 1 } })).toBeUndefined();
  });

  it('names the field path of the first mismatch, what was expected and what came', () => {
    const bad = alert({ diaSource: { ...diaSource(), ra: '12.5' as unknown as number } });
    expect(alertMismatch(bad)).toBe('diaSource.ra: expected double, got string "12.5"');
    expect(() => validateAlert(bad)).toThrow('diaSource.ra: expected double, got string "12.5"');
  });

  it('reports a missing required field', () => {
    const { snr, ...rest } = diaSource();
    expect(snr).toBe(41.5);
    expect(alertMismatch(alert({ diaSource: rest as DiaSource }))).toBe(
      'diaSource.snr: expected float, got nothing (the field is missing)',
    );
  });

  it('goes into nullable records and arrays', () => {
    const ps = { ...diaSource().ps_Cov!, psFluxSigma: null as unknown as number };
    expect(alertMismatch(alert({ diaSource: diaSource({ ps_Cov: ps }) }))).toBe('diaSource.ps_Cov.psFluxSigma: expected float, got null');
    const prv = [diaSource(), diaSource({ decl: undefined as unknown as number })];
    expect(alertMismatch(alert({ prv_diaSources: prv }))).toBe(
      'prv_diaSources[1].decl: expected double, got nothing (the field is missing)',
    );
    expect(alertMismatch(alert({ prv_diaSources: {} as unknown as DiaSource[] }))).toBe(
      'prv_diaSources: expected array of record lsst.alert.diaSource, got object',
    );
  });

  it('checks longs exactly, strings and bytes', () => {
    expect(alertMismatch(alert({ alertId: 1.5 }))).toBe('alertId: expected long, got number 1.5');
    expect(alertMismatch(alert({ alertId: 2n ** 63n }))).toBe('alertId: expected long, got bigint 9223372036854775808');
    expect(alertMismatch(alert({ alertId: 2n ** 60n }))).toBeUndefined();
    expect(alertMismatch(alert({ diaSource: diaSource({ filterName: 3 as unknown as string }) }))).toBe(
      'diaSource.filterName: expected string, got number 3',
    );
    const cut = { fileName: 'd.fits', stampData: 'abc' as unknown as Buffer };
    expect(alertMismatch(alert({ cutoutDifference: cut }))).toBe('cutoutDifference.stampData: expected bytes, got string "abc"');
    expect(alertMismatch(alert({ diaSource: diaSource({ diaObjectId: 'x' as unknown as number }) }))).toBe(
      'diaSource.diaObjectId: expected long, got string "x"',
    );
  });

  it('reports a value that is not a record at all', () => {
    expect(alertMismatch('x')).toBe('alert: expected record lsst.alert, got string "x"');
    expect(alertMismatch(alert({ diaSource: null as unknown as DiaSource }))).toBe(
      'diaSource: expected record lsst.alert.diaSource, got null',
    );
  });

  it('throws an AlertSchemaError with the path, bad input (exit code 3)', () => {
    let err: unknown;
    try {
      validateAlert(alert({ diaSource: diaSource({ snr: 'n' as unknown as number }) }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AlertSchemaError);
    expect((err as AlertSchemaError).path).toBe('diaSource.snr');
    expect((err as AlertSchemaError).expected).toBe('float');
    expect(exitCodeOf(err)).toBe(EXIT.badInput);
  });
});
