/**
 * The alert mini-broker's Avro schema (issue 18, seed 004): the project's own record of the alert fields
 * it uses, a subset of the upstream LSST alert schema v1.0 (`lsst.alert`, `lsst.alert.diaSource`,
 * `lsst.alert.cutout`; the upstream files are read only by schema.conformance.test.ts, from the
 * conformance fixtures).
 *
 * Every field carried here exists upstream under the same name, with the same type and nullability, and
 * every field upstream requires (no default) is carried, so:
 *  - an upstream v1.0 alert reads with {@link ALERT_SCHEMA} as the reader schema (Avro resolution drops the
 *    fields we do not carry: diaObject, ssObject, the L2 fields, the aperture, trail and dipole fits …);
 *  - an alert written with {@link ALERT_SCHEMA} reads with the upstream schema (its other fields default).
 *
 * Names are upstream v1.0's, not the later schemas' (visit/detector, midpointMjdTai, band, psfFlux, dec):
 *  - the visit and detector are packed in `diaSource.ccdVisitId` = visit · {@link CCD_VISIT_DETECTORS} +
 *    detector (the project's convention; {@link visitOf}, {@link detectorOf}); the visit also travels in the
 *    Kafka header `visit`;
 *  - `diaSource.midPointTai` is the exposure midpoint as an MJD (TAI), `diaSource.filterName` the band (ugrizy),
 *    `diaSource.decl` the declination, `diaSource.psFlux` the point-source flux (nJy) and
 *    `diaSource.ps_Cov.psFluxSigma` its error;
 *  - upstream v1.0 has two cutouts, `cutoutDifference` and `cutoutTemplate` (records of a file name and the
 *    FITS bytes); there is no science cutout in v1.0.
 *
 * One difference in form: upstream writes its optional fields as `[T, "null"]` with default null, which the
 * Avro specification does not allow (a union's default is of its first branch; avsc and Avro ≥ 1.9 refuse
 * it); here they are `["null", T]` — the same type and nullability, the order of a union's branches being no
 * part of Avro's resolution.
 */
import type { Schema, Type, types } from 'avsc';
import { avroType, isLong } from '../lib/avro-type';
import { BadInputError } from '../lib/exit-codes';

/** A long as the apps hold it (apps/lib/avro-type.ts): a number when safe, else a bigint. */
export type Long = number | bigint;

/** `diaSource.ccdVisitId` = visit · CCD_VISIT_DETECTORS + detector (LSSTCam has 189 science detectors). */
export const CCD_VISIT_DETECTORS = 1000;

/** The bands of `diaSource.filterName`. */
export const BANDS = ['u', 'g', 'r', 'i', 'z', 'y'] as const;
export type Band = (typeof BANDS)[number];

/** Position uncertainty (upstream `lsst.alert.ra_decl_Cov`). */
export interface RaDeclCov {
  raSigma: number;
  declSigma: number;
  ra_decl_Cov: number;
}

/** Pixel position uncertainty (upstream `lsst.alert.x_y_Cov`). */
export interface XYCov {
  xSigma: number;
  ySigma: number;
  x_y_Cov: number;
}

/** Point-source fit uncertainties (upstream `lsst.alert.ps_Cov`). */
export interface PsCov {
  psFluxSigma: number;
  psRaSigma: number;
  psDeclSigma: number;
  psFlux_psRa_Cov: number;
  psFlux_psDecl_Cov: number;
  psRa_psDecl_Cov: number;
}

/** One detection on a difference image (upstream `lsst.alert.diaSource`, the fields carried). */
export interface DiaSource {
  diaSourceId: Long;
  /** visit · {@link CCD_VISIT_DETECTORS} + detector. */
  ccdVisitId: Long;
  diaObjectId: Long | null;
  /** Exposure midpoint, MJD (TAI). */
  midPointTai: number;
  /** Band: u, g, r, i, z or y. */
  filterName: string;
  /** Right ascension, degrees (0–360). */
  ra: number;
  /** Declination, degrees. */
  decl: number;
  ra_decl_Cov: RaDeclCov;
  x: number;
  y: number;
  x_y_Cov: XYCov;
  snr: number;
  /** Point-source flux on the difference image, nJy. */
  psFlux: number;
  ps_Cov: PsCov | null;
  totFlux: number | null;
  totFluxErr: number | null;
  extendedness: number | null;
  spuriousness: number | null;
  flags: Long;
}

/** A postage stamp (upstream `lsst.alert.cutout`): a FITS file's name and bytes. */
export interface Cutout {
  fileName: string;
  stampData: Buffer;
}

/** One alert (upstream `lsst.alert`, the fields carried). */
export interface Alert {
  alertId: Long;
  l1dbId: Long;
  diaSource: DiaSource;
  prv_diaSources: DiaSource[] | null;
  cutoutDifference: Cutout | null;
  cutoutTemplate: Cutout | null;
}

const nullable = (type: unknown) => ({ type: ['null', type], default: null });

const DIA_SOURCE_SCHEMA = {
  type: 'record',
  name: 'diaSource',
  namespace: 'lsst.alert',
  doc: 'A detection on a difference image (the fields of upstream lsst.alert.diaSource v1.0 the project uses).',
  fields: [
    { name: 'diaSourceId', type: 'long' },
    { name: 'ccdVisitId', type: 'long', doc: `visit * ${CCD_VISIT_DETECTORS} + detector` },
    { name: 'diaObjectId', ...nullable('long') },
    { name: 'midPointTai', type: 'double', doc: 'exposure midpoint, MJD (TAI)' },
    { name: 'filterName', type: 'string', doc: 'band: u, g, r, i, z or y' },
    { name: 'ra', type: 'double', doc: 'degrees' },
    { name: 'decl', type: 'double', doc: 'degrees' },
    {
      name: 'ra_decl_Cov',
      type: [
        {
          type: 'record',
          name: 'ra_decl_Cov',
          fields: [
            { name: 'raSigma', type: 'float' },
            { name: 'declSigma', type: 'float' },
            { name: 'ra_decl_Cov', type: 'float' },
          ],
        },
      ],
    },
    { name: 'x', type: 'float' },
    { name: 'y', type: 'float' },
    {
      name: 'x_y_Cov',
      type: [
        {
          type: 'record',
          name: 'x_y_Cov',
          fields: [
            { name: 'xSigma', type: 'float' },
            { name: 'ySigma', type: 'float' },
            { name: 'x_y_Cov', type: 'float' },
          ],
        },
      ],
    },
    { name: 'snr', type: 'float' },
    { name: 'psFlux', type: 'float', doc: 'point-source flux, nJy' },
    {
      name: 'ps_Cov',
      ...nullable({
        type: 'record',
        name: 'ps_Cov',
        fields: [
          { name: 'psFluxSigma', type: 'float' },
          { name: 'psRaSigma', type: 'float' },
          { name: 'psDeclSigma', type: 'float' },
          { name: 'psFlux_psRa_Cov', type: 'float' },
          { name: 'psFlux_psDecl_Cov', type: 'float' },
          { name: 'psRa_psDecl_Cov', type: 'float' },
        ],
      }),
    },
    { name: 'totFlux', ...nullable('float') },
    { name: 'totFluxErr', ...nullable('float') },
    { name: 'extendedness', ...nullable('float') },
    { name: 'spuriousness', ...nullable('float') },
    { name: 'flags', type: 'long' },
  ],
} as const;

const CUTOUT_SCHEMA = {
  type: 'record',
  name: 'cutout',
  namespace: 'lsst.alert',
  doc: 'A postage stamp: a FITS file (upstream lsst.alert.cutout v1.0).',
  fields: [
    { name: 'fileName', type: 'string' },
    { name: 'stampData', type: 'bytes' },
  ],
} as const;

/** The alert record (avsc JSON): upstream `lsst.alert` v1.0, the fields the project uses. */
export const ALERT_SCHEMA = {
  type: 'record',
  name: 'alert',
  namespace: 'lsst',
  doc: 'An LSST alert: the fields of upstream lsst.alert v1.0 the EFD alert mini-broker uses (apps/alerts/schema.ts).',
  fields: [
    { name: 'alertId', type: 'long' },
    { name: 'l1dbId', type: 'long' },
    { name: 'diaSource', type: DIA_SOURCE_SCHEMA },
    { name: 'prv_diaSources', ...nullable({ type: 'array', items: 'lsst.alert.diaSource' }) },
    { name: 'cutoutDifference', ...nullable(CUTOUT_SCHEMA) },
    { name: 'cutoutTemplate', ...nullable('lsst.alert.cutout') },
  ],
} as const;

/** Avro primitive type names a field of the alert can have. */
export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

/** One leaf field of the alert: its dotted path, Avro primitive type and whether it may be null. */
export interface AlertField {
  path: string;
  type: AvroPrimitive;
  /** The field, or a record it is in, may be null. */
  nullable: boolean;
}

let compiled: Type | undefined;

/** The compiled avsc type of {@link ALERT_SCHEMA} (compiled once; every long exact). */
export function alertType(): Type {
  compiled ??= avroType(ALERT_SCHEMA as unknown as Schema);
  return compiled;
}

const isUnion = (t: Type): t is types.UnwrappedUnionType => t.typeName.startsWith('union');
const isRecord = (t: Type): t is types.RecordType => t.typeName === 'record';
const isArray = (t: Type): t is types.ArrayType => t.typeName === 'array';

/** A primitive's Avro name (the exact long is avsc's `abstract:long`). */
const primitiveName = (t: Type): string => t.typeName.replace(/^abstract:/, '');

/** The non-null branches of a type (a union's, else the type itself) and whether null is one. */
function branches(t: Type): { types: Type[]; nullable: boolean } {
  if (isUnion(t)) {
    const all = t.types;
    return { types: all.filter((b) => b.typeName !== 'null'), nullable: all.some((b) => b.typeName === 'null') };
  }
  return { types: [t], nullable: false };
}

function collectFields(t: Type, prefix: string, nullableAbove: boolean, out: AlertField[]): void {
  for (const f of (t as types.RecordType).fields) {
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    const b = branches(f.type);
    const nullable = nullableAbove || b.nullable;
    if (b.types.length !== 1) throw new Error(`${path}: a union of several non-null types is not used by the alert schema`);
    const [only] = b.types;
    if (isRecord(only)) collectFields(only, path, nullable, out);
    else if (isArray(only))
      continue; // prv_diaSources: a list, no single value to cut on
    else out.push({ path, type: primitiveName(only) as AvroPrimitive, nullable });
  }
}

let fieldList: readonly AlertField[] | undefined;

/** Every leaf field of the alert, in schema order (fields inside arrays, i.e. prv_diaSources, excluded). */
export function alertFieldList(): readonly AlertField[] {
  if (!fieldList) {
    const out: AlertField[] = [];
    collectFields(alertType(), '', false, out);
    fieldList = Object.freeze(out.map((f) => Object.freeze(f)));
  }
  return fieldList;
}

/**
 * Field paths → Avro primitive type names, e.g. `'diaSource.psFlux'` → `'float'`, `'diaSource.ps_Cov.psFluxSigma'`
 * → `'float'`, `'cutoutDifference.stampData'` → `'bytes'` (fields inside prv_diaSources excluded). For the
 * filter language's validation: a name not here is not a field of the alert.
 */
export function alertFields(): Readonly<Record<string, AvroPrimitive>> {
  return Object.freeze(Object.fromEntries(alertFieldList().map((f) => [f.path, f.type])));
}

/** The value of a field path of {@link alertFields} in an alert (undefined where a record on the way is null). */
export function fieldValue(alert: Alert, path: string): unknown {
  let v: unknown = alert;
  for (const part of path.split('.')) {
    if (v === null || v === undefined) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** The visit of a ccdVisitId. */
export function visitOf(ccdVisitId: Long): number {
  return Math.floor(Number(ccdVisitId) / CCD_VISIT_DETECTORS);
}

/** The detector of a ccdVisitId. */
export function detectorOf(ccdVisitId: Long): number {
  return Number(BigInt(ccdVisitId) % BigInt(CCD_VISIT_DETECTORS));
}

/** The ccdVisitId of a visit and detector. */
export function ccdVisitIdOf(visit: number, detector: number): number {
  if (!Number.isInteger(detector) || detector < 0 || detector >= CCD_VISIT_DETECTORS) {
    throw new RangeError(`detector ${detector}: expected an integer from 0 to ${CCD_VISIT_DETECTORS - 1}`);
  }
  const id = visit * CCD_VISIT_DETECTORS + detector;
  if (!Number.isSafeInteger(id) || visit < 0)
    throw new RangeError(`visit ${visit}: expected a non-negative integer below 2^53 / ${CCD_VISIT_DETECTORS}`);
  return id;
}

/** An alert that does not match the schema: the path of the first field that does not, what was expected and got. */
export class AlertSchemaError extends BadInputError {
  constructor(
    /** Dotted path of the field, array items as `[i]` (e.g. `prv_diaSources[2].ra`). */
    readonly path: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${path}: expected ${expected}, got ${got}`);
    this.name = 'AlertSchemaError';
  }
}

/** What a value is, for an error message: `string "12.5"`, `number 1.5`, `null`, `nothing` (missing) … */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return `bytes (${v.length})`;
  if (Array.isArray(v)) return `array (${v.length} items)`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

/** How a type is named in an error: `double`, `float or null`, `record lsst.alert.diaSource`, `array of …`. */
function expectedOf(t: Type): string {
  if (isUnion(t)) return t.types.map(expectedOf).join(' or ');
  if (isRecord(t)) return `record ${t.name}`;
  if (isArray(t)) return `array of ${expectedOf(t.itemsType)}`;
  return primitiveName(t);
}

function isRecordValue(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** First mismatch of `v` against `t` at `path`, or undefined. Fields not in the schema are ignored (as an Avro reader drops them). */
function mismatch(t: Type, v: unknown, path: string): AlertSchemaError | undefined {
  if (isUnion(t)) {
    const b = branches(t);
    if (v === null && b.nullable) return undefined;
    // one non-null branch (every union of the alert schema): its mismatch is the precise one
    if (b.types.length === 1 && v !== null && v !== undefined) return mismatch(b.types[0], v, path);
    if (t.isValid(v)) return undefined;
    return new AlertSchemaError(path, expectedOf(t), describe(v));
  }
  if (isRecord(t)) {
    if (!isRecordValue(v)) return new AlertSchemaError(path || 'alert', expectedOf(t), describe(v));
    for (const f of t.fields) {
      const m = mismatch(f.type, v[f.name], path ? `${path}.${f.name}` : f.name);
      if (m) return m;
    }
    return undefined;
  }
  if (isArray(t)) {
    if (!Array.isArray(v)) return new AlertSchemaError(path, expectedOf(t), describe(v));
    for (let i = 0; i < v.length; i++) {
      const m = mismatch(t.itemsType, v[i], `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  const name = expectedOf(t);
  const ok = name === 'long' ? isLong(v) : t.isValid(v);
  return ok ? undefined : new AlertSchemaError(path, name, describe(v));
}

/**
 * The first field of `value` that does not match {@link ALERT_SCHEMA}, as `"diaSource.ra: expected double, got
 * string \"12\""`, or undefined when it matches. Fields the schema does not carry are ignored.
 */
export function alertMismatch(value: unknown): string | undefined {
  return mismatch(alertType(), value, '')?.message;
}

/**
 * `value` as an {@link Alert}; throws {@link AlertSchemaError} (a BadInputError: exit code 3) naming the field
 * path of the first mismatch, e.g. `diaSource.ra: expected double, got string "12"`.
 */
export function validateAlert(value: unknown): Alert {
  const m = mismatch(alertType(), value, '');
  if (m) throw m;
  return value as Alert;
}
