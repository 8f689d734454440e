/**
 * The alert generator of `efd alerts produce`: seeded and deterministic — the alerts of visit k depend only
 * on the seed, k and the visit's start time — with plausible values:
 *
 *  - a visit: id `dayObs · 100000 + second of the dayObs` (dayObs: the date at UTC−12 h, as Rubin's; distinct
 *    per second, so runs started at different times do not reuse ids), one band for all its alerts (a visit is
 *    one exposure through one filter), exposure midpoint 15 s after the start (a 30 s visit) in MJD TAI;
 *  - an alert: position uniform over the sky from dec −90° to +30° (spread over the sky, not one pointing, so a
 *    position cut passes a share of every visit), detector 0–188 and pixel x, y on a 4072 × 4000 CCD;
 *    brightness below the band's 5σ single-visit depth (u 23.9, g 25.0, r 24.7, i 24.0, z 23.3, y 22.1 mag,
 *    Ivezić et al. 2019), so snr ≥ 5 with most near the limit; fluxes in nJy (AB: m = 31.4 − 2.5 log10 F),
 *    a fifth of them negative (fading); 0–3 earlier detections of the same object (prv_diaSources);
 *  - ids: diaSourceId = alertId = l1dbId = (the visit's start in Unix seconds) · 100000 + index: unique per
 *    second and index, and below 2^52, so they stay JavaScript numbers (a bigint long encodes ~10× slower);
 *  - cutouts (unless turned off): a difference and a template stamp, each a real uncompressed FITS file of
 *    30 × 30 float32 pixels (one 2880-byte header block, 3600 data bytes padded to two blocks: 8640 bytes),
 *    as LSE-163 §3.5.1 sends them uncompressed. Stamps come from a seeded pool of 64 per kind, built once
 *    (noise plus a PSF-sized source), so making a visit costs no per-pixel work.
 */
import { hashString, mulberry32 } from '../lib/prng';
import { Alert, BANDS, Band, ccdVisitIdOf, Cutout, DiaSource } from './schema';

/** Visit index k's alerts: visit id, start, band and exposure midpoint. */
export interface VisitPlan {
  /** 0-based index of the visit in the run. */
  index: number;
  /** Visit id: dayObs · 100000 + second of the dayObs. */
  visit: number;
  /** Scheduled start, ms since the epoch. */
  startMs: number;
  band: Band;
  /** Exposure midpoint, MJD (TAI). */
  midPointTai: number;
}

export interface AlertGeneratorOptions {
  seed: number;
  /** Alerts per visit (at most {@link MAX_ALERTS_PER_VISIT}: the index is packed in the ids). */
  alertsPerVisit: number;
  /** Attach the difference and template cutouts (default true). */
  cutouts?: boolean;
  /** Side of a cutout in pixels (default {@link CUTOUT_PIXELS}). */
  cutoutPixels?: number;
}

/** The index of an alert in its visit is packed in its ids: visit · MAX_ALERTS_PER_VISIT + index. */
export const MAX_ALERTS_PER_VISIT = 100_000;
/** Side of a cutout stamp (pixels). */
export const CUTOUT_PIXELS = 30;
/** Exposure length of a visit (s): the midpoint is half of it after the start. */
export const EXPOSURE_S = 30;
/** TAI − UTC since 2017 (s). */
export const TAI_MINUS_UTC_S = 37;
/** 5σ single-visit depth per band (AB mag, Ivezić et al. 2019, table 2). */
export const DEPTH_5SIGMA: Readonly<Record<Band, number>> = { u: 23.9, g: 25.0, r: 24.7, i: 24.0, z: 23.3, y: 22.1 };
/** LSSTCam science detectors (0–188) and their pixels. */
export const DETECTORS = 189;
const CCD_X = 4072;
const CCD_Y = 4000;
/** Pixel scale (arcsec/pixel) and PSF FWHM (arcsec) used for positions' errors and the stamps' sources. */
const PIXEL_ARCSEC = 0.2;
const SEEING_ARCSEC = 0.8;
/** Stamps per kind in the pool. */
const STAMP_POOL = 64;
const FITS_BLOCK = 2880;

/** AB magnitude → flux (nJy). */
export function fluxOfMag(m: number): number {
  return 10 ** ((31.4 - m) / 2.5);
}

/** ms since the epoch → MJD (UTC). */
export function mjdOf(ms: number): number {
  return ms / 86_400_000 + 40_587;
}

/** Rubin's dayObs of a time: the date (YYYYMMDD) at UTC−12 h, and the second within it. */
export function dayObsOf(ms: number): { dayObs: number; second: number } {
  const shifted = new Date(ms - 12 * 3_600_000);
  const dayObs = shifted.getUTCFullYear() * 10_000 + (shifted.getUTCMonth() + 1) * 100 + shifted.getUTCDate();
  const second = shifted.getUTCHours() * 3600 + shifted.getUTCMinutes() * 60 + shifted.getUTCSeconds();
  return { dayObs, second };
}

/** The visit id of a start time: dayObs · 100000 + second of the dayObs. */
export function visitIdOf(ms: number): number {
  const { dayObs, second } = dayObsOf(ms);
  return dayObs * 100_000 + second;
}

/** The id of alert `index` of a visit starting at `ms`: its Unix second · 100000 + index (below 2^52 until the year 3400). */
export function idOf(ms: number, index: number): number {
  return Math.floor(ms / 1000) * MAX_ALERTS_PER_VISIT + index;
}

/** Builds an uncompressed FITS file of a square float32 image (BITPIX −32, big-endian) with extra header cards. */
export function fitsImage(pixels: Float32Array, side: number, cards: Record<string, string | number> = {}): Buffer {
  if (pixels.length !== side * side) throw new Error(`fitsImage: ${pixels.length} pixels is not ${side} × ${side}`);
  const card = (key: string, value: string | number | boolean) => {
    const v = typeof value === 'boolean' ? (value ? 'T' : 'F') : typeof value === 'string' ? `'${value.padEnd(8)}'` : String(value);
    return `${key.padEnd(8)}= ${typeof value === 'string' ? v.padEnd(20) : v.padStart(20)}`.padEnd(80).slice(0, 80);
  };
  const lines = [card('SIMPLE', true), card('BITPIX', -32), card('NAXIS', 2), card('NAXIS1', side), card('NAXIS2', side)];
  for (const [k, v] of Object.entries(cards)) lines.push(card(k, v));
  lines.push('END'.padEnd(80));
  const headerBytes = Math.ceil((lines.length * 80) / FITS_BLOCK) * FITS_BLOCK;
  const dataBytes = Math.ceil((pixels.length * 4) / FITS_BLOCK) * FITS_BLOCK;
  const out = Buffer.alloc(headerBytes + dataBytes, 0);
  out.write(lines.join('').padEnd(headerBytes), 0, 'latin1');
  for (let i = 0; i < pixels.length; i++) out.writeFloatBE(pixels[i], headerBytes + i * 4);
  return out;
}

/** Bytes of one cutout of `side` pixels as {@link fitsImage} writes it (with the generator's cards). */
export function cutoutBytes(side = CUTOUT_PIXELS): number {
  return FITS_BLOCK + Math.ceil((side * side * 4) / FITS_BLOCK) * FITS_BLOCK;
}

/** Avro floats are 32-bit: values made as such read back equal. */
const f = Math.fround;

/** A standard normal deviate (Box–Muller) from a uniform source. */
function gauss(rng: () => number): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

const pools = new Map<string, Buffer[]>();

/** A seeded pool of stamps (built once per seed, kind and side): noise of σ 1 plus a PSF-shaped source. */
function stampPool(seed: number, kind: 'difference' | 'template', side: number): Buffer[] {
  const key = `${seed}:${kind}:${side}`;
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = makeStampPool(seed, kind, side)));
  return pool;
}

function makeStampPool(seed: number, kind: 'difference' | 'template', side: number): Buffer[] {
  const rng = mulberry32(hashString(`${seed}:stamps:${kind}:${side}`));
  const sigmaPx = SEEING_ARCSEC / PIXEL_ARCSEC / 2.355;
  const c = (side - 1) / 2;
  return Array.from({ length: STAMP_POOL }, () => {
    const px = new Float32Array(side * side);
    const amp = kind === 'difference' ? 5 + 45 * rng() : 20 + 200 * rng();
    const background = kind === 'template' ? 100 : 0;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const r2 = (x - c) ** 2 + (y - c) ** 2;
        px[y * side + x] = background + gauss(rng) + amp * Math.exp(-r2 / (2 * sigmaPx * sigmaPx));
      }
    }
    return fitsImage(px, side, { BUNIT: 'nJy', EXTNAME: kind === 'difference' ? 'DIFF' : 'TEMPLATE' });
  });
}

/** Seeded, deterministic alerts (see the module doc). */
export class AlertGenerator {
  readonly seed: number;
  readonly alertsPerVisit: number;
  readonly cutouts: boolean;
  readonly cutoutPixels: number;
  private pools: { difference: Buffer[]; template: Buffer[] } | undefined;

  constructor(o: AlertGeneratorOptions) {
    if (!Number.isInteger(o.alertsPerVisit) || o.alertsPerVisit < 1 || o.alertsPerVisit > MAX_ALERTS_PER_VISIT) {
      throw new RangeError(`alerts per visit ${o.alertsPerVisit}: expected an integer from 1 to ${MAX_ALERTS_PER_VISIT}`);
    }
    const side = o.cutoutPixels ?? CUTOUT_PIXELS;
    if (!Number.isInteger(side) || side < 1 || side > 1000)
      throw new RangeError(`cutout side ${side}: expected an integer from 1 to 1000 pixels`);
    this.seed = o.seed;
    this.alertsPerVisit = o.alertsPerVisit;
    this.cutouts = o.cutouts ?? true;
    this.cutoutPixels = side;
  }

  /** Visit k starting at `startMs`: its id, band and exposure midpoint. */
  visit(index: number, startMs: number): VisitPlan {
    const rng = mulberry32(hashString(`${this.seed}:visit:${index}`));
    const band = BANDS[Math.floor(rng() * BANDS.length)];
    const midPointTai = mjdOf(startMs + (EXPOSURE_S / 2 + TAI_MINUS_UTC_S) * 1000);
    return { index, visit: visitIdOf(startMs), startMs, band, midPointTai };
  }

  /** The alerts of a visit, in order (the same plan gives the same alerts). */
  *alerts(plan: VisitPlan): Generator<Alert> {
    const rng = mulberry32(hashString(`${this.seed}:alerts:${plan.index}`));
    if (this.cutouts)
      this.pools ??= {
        difference: stampPool(this.seed, 'difference', this.cutoutPixels),
        template: stampPool(this.seed, 'template', this.cutoutPixels),
      };
    const depth = DEPTH_5SIGMA[plan.band];
    const sigma = fluxOfMag(depth) / 5;
    const firstId = idOf(plan.startMs, 0);
    for (let i = 0; i < this.alertsPerVisit; i++) {
      const id = firstId + i;
      const detector = Math.floor(rng() * DETECTORS);
      const ra = rng() * 360;
      // uniform on the sphere between dec −90° and +30°: sin(dec) uniform in [−1, 0.5]
      const decl = (Math.asin(-1 + 1.5 * rng()) * 180) / Math.PI;
      const mag = Math.max(16, depth + Math.log(1 - rng()) * 1.2);
      const flux = fluxOfMag(mag) * (rng() < 0.2 ? -1 : 1);
      const diaObjectId = 1 + Math.floor(rng() * 2 ** 52);
      const src = this.source(rng, {
        diaSourceId: id,
        ccdVisitId: ccdVisitIdOf(plan.visit, detector),
        diaObjectId,
        midPointTai: plan.midPointTai,
        filterName: plan.band,
        ra,
        decl,
        flux,
        sigma,
      });
      const prvCount = Math.floor(rng() * 4);
      const prv: DiaSource[] = [];
      for (let p = 0; p < prvCount; p++) {
        const daysBefore = 1 + rng() * 30 * (p + 1);
        const band = BANDS[Math.floor(rng() * BANDS.length)];
        const pStart = plan.startMs - daysBefore * 86_400_000;
        const pVisit = visitIdOf(pStart);
        prv.push(
          this.source(rng, {
            diaSourceId: idOf(pStart, Math.floor(rng() * MAX_ALERTS_PER_VISIT)),
            ccdVisitId: ccdVisitIdOf(pVisit, Math.floor(rng() * DETECTORS)),
            diaObjectId,
            midPointTai: plan.midPointTai - daysBefore,
            filterName: band,
            ra: ra + gauss(rng) * 2e-5,
            decl: decl + gauss(rng) * 2e-5,
            flux: flux * (0.5 + rng()),
            sigma: fluxOfMag(DEPTH_5SIGMA[band]) / 5,
          }),
        );
      }
      yield {
        alertId: id,
        l1dbId: id,
        diaSource: src,
        prv_diaSources: prv.length ? prv : null,
        cutoutDifference: this.cutout(rng, 'difference', id),
        cutoutTemplate: this.cutout(rng, 'template', id),
      };
    }
  }

  private cutout(rng: () => number, kind: 'difference' | 'template', id: number): Cutout | null {
    const pick = Math.floor(rng() * STAMP_POOL);
    if (!this.pools) return null;
    return { fileName: `${kind}_${id}.fits`, stampData: this.pools[kind][pick] };
  }

  private source(
    rng: () => number,
    s: {
      diaSourceId: number;
      ccdVisitId: number;
      diaObjectId: number;
      midPointTai: number;
      filterName: string;
      ra: number;
      decl: number;
      flux: number;
      sigma: number;
    },
  ): DiaSource {
    // the error at most the band's 1σ, so snr ≥ 5 for a source at or above the 5σ depth
    const fluxErr = s.sigma * (0.9 + 0.1 * rng());
    const snr = Math.abs(s.flux) / fluxErr;
    const posSigmaDeg = SEEING_ARCSEC / snr / 3600;
    const pxSigma = SEEING_ARCSEC / PIXEL_ARCSEC / snr;
    const template = Math.abs(s.flux) * (1 + 2 * rng());
    return {
      diaSourceId: s.diaSourceId,
      ccdVisitId: s.ccdVisitId,
      diaObjectId: s.diaObjectId,
      midPointTai: s.midPointTai,
      filterName: s.filterName,
      ra: ((s.ra % 360) + 360) % 360,
      decl: Math.max(-90, Math.min(90, s.decl)),
      ra_decl_Cov: { raSigma: f(posSigmaDeg), declSigma: f(posSigmaDeg), ra_decl_Cov: f(posSigmaDeg * posSigmaDeg * (rng() - 0.5) * 0.1) },
      x: f(rng() * CCD_X),
      y: f(rng() * CCD_Y),
      x_y_Cov: { xSigma: f(pxSigma), ySigma: f(pxSigma), x_y_Cov: f(pxSigma * pxSigma * (rng() - 0.5) * 0.1) },
      snr: f(snr),
      psFlux: f(s.flux),
      ps_Cov: {
        psFluxSigma: f(fluxErr),
        psRaSigma: f(posSigmaDeg),
        psDeclSigma: f(posSigmaDeg),
        psFlux_psRa_Cov: 0,
        psFlux_psDecl_Cov: 0,
        psRa_psDecl_Cov: 0,
      },
      totFlux: f(template + s.flux),
      totFluxErr: f(Math.hypot(fluxErr, template * 0.01)),
      extendedness: f(rng()),
      spuriousness: f(rng() ** 3),
      flags: rng() < 0.05 ? 2 ** Math.floor(rng() * 8) : 0,
    };
  }
}
