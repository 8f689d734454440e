/**
 * Conformance: the project's alert schema (schema.ts) against the upstream LSST alert schema v1.0
 * (shared/fixtures/alert-schema/1.0): every field carried exists upstream with the same name, type and
 * nullability; every field upstream requires is carried; the upstream sample alert reads with our schema
 * and our alerts read with upstream's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Schema, Type } from 'avsc';
import { describeConformance } from '../../test/conformance';
import { AVRO_TYPE_OPTIONS } from '../lib/avro-type';
import { ALERT_SCHEMA, Alert, alertType, ccdVisitIdOf, validateAlert } from './schema';

type Json = string | Json[] | { [k: string]: unknown };
interface FieldJson {
  name: string;
  type: Json;
  default?: unknown;
}
interface RecordJson {
  type: 'record';
  name: string;
  namespace?: string;
  fields: FieldJson[];
}

/** The upstream files, in dependency order. */
const FILES = ['lsst.alert.cutout.avsc', 'lsst.alert.diaSource.avsc', 'lsst.diaObject.avsc', 'lsst.ssObject.avsc', 'lsst.alert.avsc'];

const isRecordJson = (t: unknown): t is RecordJson => typeof t === 'object' && t !== null && (t as { type?: unknown }).type === 'record';

/** Every named record of a schema by full name (nested ones inherit the enclosing namespace). */
function collectNamed(t: Json, ns: string, out: Map<string, { record: RecordJson; ns: string }>): void {
  if (Array.isArray(t)) return t.forEach((b) => collectNamed(b, ns, out));
  if (typeof t !== 'object' || t === null) return;
  if (isRecordJson(t)) {
    const own = t.name.includes('.') ? t.name.slice(0, t.name.lastIndexOf('.')) : (t.namespace ?? ns);
    const full = t.name.includes('.') ? t.name : `${own}.${t.name}`;
    out.set(full, { record: t, ns: own });
    for (const f of t.fields) collectNamed(f.type, own, out);
    return;
  }
  if ((t as { type?: unknown }).type === 'array') collectNamed((t as { items: Json }).items, ns, out);
}

/** Full name of a type reference in namespace `ns`. */
const fullName = (name: string, ns: string) => (name.includes('.') || !ns ? name : `${ns}.${name}`);
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** A type as a comparable string: primitives by name, records by full name, unions as sorted branch sets. */
function canon(t: Json, ns: string): string {
  if (Array.isArray(t))
    return `union{${t
      .map((b) => canon(b, ns))
      .sort()
      .join(',')}}`;
  if (typeof t === 'string') return PRIMITIVES.has(t) ? t : `record ${fullName(t, ns)}`;
  if (isRecordJson(t)) return `record ${fullName(t.name, t.namespace ?? ns)}`;
  const o = t as { type: string; items?: Json };
  if (o.type === 'array') return `array<${canon(o.items!, ns)}>`;
  return canon(o.type as Json, ns);
}

/** Upstream's optional fields put null second with default null, which avsc refuses: null first, same union. */
function nullFirst(t: unknown): unknown {
  if (Array.isArray(t)) return t.map(nullFirst);
  if (typeof t !== 'object' || t === null) return t;
  const o = { ...(t as Record<string, unknown>) };
  if (Array.isArray(o.fields)) {
    o.fields = (o.fields as FieldJson[]).map((f) => {
      const type = nullFirst(f.type) as Json;
      if (f.default === null && Array.isArray(type) && type.includes('null'))
        return { ...f, type: ['null', ...type.filter((b) => b !== 'null')] };
      return { ...f, type };
    });
  }
  if (o.items !== undefined) o.items = nullFirst(o.items);
  return o;
}

/** JSON with integers beyond 2^53 kept exact (as bigints), as the sample alert's diaSourceIds are. */
function parseExact(text: string): unknown {
  const quoted = text.replace(/(:\s*|[[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"#$2"');
  return JSON.parse(quoted, (_k, v: unknown) => (typeof v === 'string' && /^#-?\d+$/.test(v) ? BigInt(v.slice(1)) : v));
}

describeConformance('the alert schema against upstream LSST alert schema v1.0', 'alert-schema/1.0', (dir) => {
  const files = FILES.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json);
  const upstream = new Map<string, { record: RecordJson; ns: string }>();
  files.forEach((f) => collectNamed(f, '', upstream));
  const ours = new Map<string, { record: RecordJson; ns: string }>();
  collectNamed(ALERT_SCHEMA as unknown as Json, '', ours);

  it('reads the upstream records', () => {
    expect([...upstream.keys()]).toEqual(
      expect.arrayContaining(['lsst.alert', 'lsst.alert.diaSource', 'lsst.alert.cutout', 'lsst.alert.ps_Cov']),
    );
    expect(upstream.get('lsst.alert.diaSource')!.record.fields.length).toBe(58);
  });

  it('names every record of ours as upstream does', () => {
    expect([...ours.keys()].filter((n) => !upstream.has(n))).toEqual([]);
    expect([...ours.keys()].sort()).toEqual([
      'lsst.alert',
      'lsst.alert.cutout',
      'lsst.alert.diaSource',
      'lsst.alert.ps_Cov',
      'lsst.alert.ra_decl_Cov',
      'lsst.alert.x_y_Cov',
    ]);
  });

  it('carries every field under its upstream name, with the same type and nullability', () => {
    const problems: string[] = [];
    for (const [name, { record, ns }] of ours) {
      const up = upstream.get(name)!;
      for (const f of record.fields) {
        const u = up.record.fields.find((x) => x.name === f.name);
        if (!u) {
          problems.push(`${name}.${f.name}: not a field upstream`);
          continue;
        }
        const [mine, theirs] = [canon(f.type, ns), canon(u.type, up.ns)];
        if (mine !== theirs) problems.push(`${name}.${f.name}: ours ${mine}, upstream ${theirs}`);
        if ((f.default === undefined) !== (u.default === undefined) || (f.default ?? null) !== (u.default ?? null)) {
          problems.push(`${name}.${f.name}: default ours ${String(f.default)}, upstream ${String(u.default)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('carries every field upstream requires (no default) in the records it carries', () => {
    const missing: string[] = [];
    for (const [name, { record }] of ours) {
      for (const u of upstream.get(name)!.record.fields) {
        if (u.default === undefined && !record.fields.some((f) => f.name === u.name)) missing.push(`${name}.${u.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  describe('data', () => {
    let upType: Type;
    let sample: unknown;
    beforeAll(() => {
      // the files refer to each other's names: compiled in one avsc registry, every long exact as ours
      const registry: Record<string, Type> = {};
      for (const f of files) upType = Type.forSchema(nullFirst(f) as Schema, { ...AVRO_TYPE_OPTIONS, registry });
      sample = parseExact(readFileSync(join(dir, 'sample_data', 'alert.json'), 'utf8'));
    });

    it('reads the upstream sample alert with our schema', () => {
      const written = upType.toBuffer(upType.clone(sample));
      const read = alertType().fromBuffer(written, alertType().createResolver(upType)) as Alert;
      expect(validateAlert(read)).toBe(read);
      expect(read.alertId).toBe(1231321321);
      expect(read.diaSource.diaSourceId).toBe(281323062375219200n);
      expect(read.diaSource.ra).toBe(351.570546978);
      expect(read.diaSource.filterName).toBe('r');
      expect(read.diaSource.psFlux).toBe(1241);
      expect(read.prv_diaSources?.map((s) => s.diaSourceId)).toEqual([281323062375219198n, 281323062375219199n]);
      expect(read.cutoutDifference).toBeNull();
    });

    it('our alert reads with the upstream schema', () => {
      const ds = (sample as { diaSource: Alert['diaSource'] }).diaSource;
      const mine: Alert = {
        alertId: 1,
        l1dbId: 2,
        diaSource: {
          ...ds,
          ccdVisitId: ccdVisitIdOf(2024120100001, 17),
          diaObjectId: null,
          ps_Cov: { psFluxSigma: 25, psRaSigma: 0, psDeclSigma: 0, psFlux_psRa_Cov: 0, psFlux_psDecl_Cov: 0, psRa_psDecl_Cov: 0 },
          totFlux: null,
          totFluxErr: null,
          extendedness: 0.5,
          spuriousness: null,
        },
        prv_diaSources: null,
        cutoutDifference: { fileName: 'd.fits', stampData: Buffer.from([1, 2, 3]) },
        cutoutTemplate: null,
      };
      const read = upType.fromBuffer(alertType().toBuffer(validateAlert(mine)), upType.createResolver(alertType())) as Record<
        string,
        unknown
      >;
      const src = read.diaSource as Record<string, unknown>;
      expect(src.ccdVisitId).toBe(2024120100001017);
      expect((src.ps_Cov as { psFluxSigma: number }).psFluxSigma).toBe(25);
      expect(src.extendedness).toBe(0.5);
      expect(src.trailFlux).toBeNull();
      expect(read.diaObject).toBeNull();
      expect((read.cutoutDifference as { stampData: Buffer }).stampData).toEqual(Buffer.from([1, 2, 3]));
    });
  });
});
