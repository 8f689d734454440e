import {
  AlertGenerator,
  cutoutBytes,
  dayObsOf,
  DEPTH_5SIGMA,
  fitsImage,
  fluxOfMag,
  MAX_ALERTS_PER_VISIT,
  mjdOf,
  visitIdOf,
} from './generate';
import { Alert, alertType, BANDS, detectorOf, validateAlert, visitOf } from './schema';

// 2024-12-02T03:04:05Z: dayObs 20241201 (UTC−12 h: 2024-12-01T15:04:05), second 54245
const T0 = Date.UTC(2024, 11, 2, 3, 4, 5);

function visitAlerts(seed: number, n: number, index = 0, cutouts = true): Alert[] {
  const g = new AlertGenerator({ seed, alertsPerVisit: n, cutouts });
  return [...g.alerts(g.visit(index, T0 + index * 39_000))];
}

describe('time and ids', () => {
  it('dayObs is the date at UTC−12 h; the visit id packs it with the second', () => {
    expect(dayObsOf(T0)).toEqual({ dayObs: 20241201, second: 54245 });
    expect(visitIdOf(T0)).toBe(2024120154245);
    expect(visitIdOf(Date.UTC(2024, 11, 2, 12, 0, 0))).toBe(2024120200000);
  });

  it('MJD of the Unix epoch and of a known date', () => {
    expect(mjdOf(0)).toBe(40587);
    expect(mjdOf(Date.UTC(2024, 11, 2))).toBe(60646);
  });

  it('AB: 31.4 mag is 1 nJy, 5 mag brighter 100 ×', () => {
    expect(fluxOfMag(31.4)).toBe(1);
    expect(fluxOfMag(26.4)).toBeCloseTo(100, 9);
  });
});

describe('fitsImage', () => {
  it('writes a FITS file: 80-column cards, END, 2880-byte blocks, big-endian float32 data', () => {
    const px = new Float32Array(9).map((_, i) => i + 0.5);
    const b = fitsImage(px, 3, { BUNIT: 'nJy' });
    expect(b.length).toBe(2 * 2880);
    const header = b.subarray(0, 2880).toString('latin1');
    expect(header.slice(0, 80)).toBe(`SIMPLE  = ${'T'.padStart(20)}`.padEnd(80));
    expect(header.slice(80, 160)).toBe(`BITPIX  = ${'-32'.padStart(20)}`.padEnd(80));
    expect(header.slice(240, 320)).toBe(`NAXIS1  = ${'3'.padStart(20)}`.padEnd(80));
    expect(header.slice(400, 480)).toBe(`BUNIT   = 'nJy     '`.padEnd(80));
    expect(header.slice(480, 560)).toBe('END'.padEnd(80));
    expect(b.readFloatBE(2880)).toBe(0.5);
    expect(b.readFloatBE(2880 + 8 * 4)).toBe(8.5);
    expect(b.readFloatBE(2880 + 9 * 4)).toBe(0);
  });

  it('refuses pixels that are not side²', () => {
    expect(() => fitsImage(new Float32Array(8), 3)).toThrow('8 pixels is not 3 × 3');
  });

  it('a 30 × 30 stamp is 8640 bytes (one header block, 3600 data bytes in two blocks)', () => {
    expect(cutoutBytes(30)).toBe(8640);
  });
});

describe('AlertGenerator', () => {
  it('is deterministic: the same seed and visit give the same alerts, another seed others', () => {
    const a = visitAlerts(7, 50);
    const b = visitAlerts(7, 50);
    expect(alertType().toBuffer(a[49]).equals(alertType().toBuffer(b[49]))).toBe(true);
    expect(a.map((x) => x.diaSource.ra)).toEqual(b.map((x) => x.diaSource.ra));
    expect(visitAlerts(8, 50).map((x) => x.diaSource.ra)).not.toEqual(a.map((x) => x.diaSource.ra));
    expect(visitAlerts(7, 50, 1).map((x) => x.diaSource.ra)).not.toEqual(a.map((x) => x.diaSource.ra));
  });

  it('makes alerts that match the schema and read back equal (floats are 32-bit)', () => {
    for (const a of visitAlerts(3, 200)) {
      expect(validateAlert(a)).toBe(a);
    }
    const [first] = visitAlerts(3, 1);
    const back = alertType().fromBuffer(alertType().toBuffer(first)) as Alert;
    expect(back).toEqual(first);
  });

  it('packs the visit, its index and the detector in the ids; one band and midpoint per visit', () => {
    const g = new AlertGenerator({ seed: 1, alertsPerVisit: 300 });
    const plan = g.visit(2, T0);
    expect(plan.visit).toBe(2024120154245);
    expect(BANDS).toContain(plan.band);
    // 15 s into the exposure, TAI = UTC + 37 s
    expect(plan.midPointTai).toBeCloseTo(mjdOf(T0) + 52 / 86400, 9);
    const alerts = [...g.alerts(plan)];
    expect(alerts).toHaveLength(300);
    alerts.forEach((a, i) => {
      expect(a.alertId).toBe((T0 / 1000) * MAX_ALERTS_PER_VISIT + i);
      expect(Number.isSafeInteger(a.alertId)).toBe(true);
      expect(a.diaSource.diaSourceId).toBe(a.alertId);
      expect(visitOf(a.diaSource.ccdVisitId)).toBe(plan.visit);
      expect(a.diaSource.filterName).toBe(plan.band);
      expect(a.diaSource.midPointTai).toBe(plan.midPointTai);
    });
    const detectors = new Set(alerts.map((a) => detectorOf(a.diaSource.ccdVisitId)));
    expect(Math.min(...detectors)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...detectors)).toBeLessThanOrEqual(188);
    expect(detectors.size).toBeGreaterThan(150);
  });

  it('spreads positions over the sky below dec +30°, brightness under the 5σ depth (snr ≥ 5), a share fading', () => {
    const alerts = visitAlerts(11, 5000);
    const ra = alerts.map((a) => a.diaSource.ra);
    const dec = alerts.map((a) => a.diaSource.decl);
    expect(Math.min(...ra)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ra)).toBeLessThan(360);
    expect(Math.min(...ra)).toBeLessThan(1);
    expect(Math.max(...ra)).toBeGreaterThan(359);
    expect(Math.min(...dec)).toBeGreaterThanOrEqual(-90);
    expect(Math.max(...dec)).toBeLessThanOrEqual(30);
    // uniform on the sphere: a third of [−1, 0.5] in sin(dec) lies above dec 0
    const north = dec.filter((d) => d > 0).length / dec.length;
    expect(north).toBeGreaterThan(0.3);
    expect(north).toBeLessThan(0.37);
    const snr = alerts.map((a) => a.diaSource.snr);
    expect(Math.min(...snr)).toBeGreaterThanOrEqual(5);
    // most near the limit
    expect(snr.filter((s) => s < 20).length / snr.length).toBeGreaterThan(0.5);
    const band = alerts[0].diaSource.filterName as keyof typeof DEPTH_5SIGMA;
    const limit = fluxOfMag(DEPTH_5SIGMA[band]);
    for (const a of alerts) {
      expect(Math.abs(a.diaSource.psFlux)).toBeGreaterThanOrEqual(Math.fround(limit) * 0.999);
      expect(Math.abs(a.diaSource.psFlux)).toBeLessThanOrEqual(fluxOfMag(16) * 1.001);
      expect(a.diaSource.snr).toBeCloseTo(Math.abs(a.diaSource.psFlux) / a.diaSource.ps_Cov!.psFluxSigma, 3);
    }
    const fading = alerts.filter((a) => a.diaSource.psFlux < 0).length / alerts.length;
    expect(fading).toBeGreaterThan(0.17);
    expect(fading).toBeLessThan(0.23);
  });

  it('adds 0–3 earlier detections of the same object', () => {
    const alerts = visitAlerts(5, 400);
    const counts = new Set(alerts.map((a) => a.prv_diaSources?.length ?? 0));
    expect([...counts].sort()).toEqual([0, 1, 2, 3]);
    for (const a of alerts) {
      for (const p of a.prv_diaSources ?? []) {
        expect(p.diaObjectId).toBe(a.diaSource.diaObjectId);
        expect(p.midPointTai).toBeLessThan(a.diaSource.midPointTai - 0.9);
        expect(Math.abs(p.decl - a.diaSource.decl)).toBeLessThan(0.001);
      }
    }
  });

  it('attaches FITS cutouts of 8640 bytes, or none with cutouts off (the other values unchanged)', () => {
    const [a] = visitAlerts(9, 1);
    expect(a.cutoutDifference?.stampData.length).toBe(8640);
    expect(a.cutoutTemplate?.stampData.length).toBe(8640);
    expect(a.cutoutDifference?.stampData.subarray(0, 30).toString('latin1')).toBe(`SIMPLE  = ${'T'.padStart(20)}`);
    expect(a.cutoutDifference?.fileName).toBe(`difference_${a.alertId}.fits`);
    // the difference stamp has its source at the centre (noise σ 1, amplitude ≥ 5)
    const px = (b: Buffer, x: number, y: number) => b.readFloatBE(2880 + (y * 30 + x) * 4);
    expect(px(a.cutoutDifference!.stampData, 15, 15)).toBeGreaterThan(px(a.cutoutDifference!.stampData, 0, 0));
    const [bare] = visitAlerts(9, 1, 0, false);
    expect(bare.cutoutDifference).toBeNull();
    expect(bare.cutoutTemplate).toBeNull();
    expect({ ...bare, cutoutDifference: a.cutoutDifference, cutoutTemplate: a.cutoutTemplate }).toEqual(a);
  });

  it('refuses alert counts beyond the id packing', () => {
    expect(() => new AlertGenerator({ seed: 1, alertsPerVisit: MAX_ALERTS_PER_VISIT + 1 })).toThrow(
      'alerts per visit 100001: expected an integer from 1 to 100000',
    );
    expect(() => new AlertGenerator({ seed: 1, alertsPerVisit: 0 })).toThrow('alerts per visit 0');
  });
});
