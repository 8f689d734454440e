/**
 * The aggregated topic's Avro schema, derived from the source topic's (pure).
 *
 * Source field → aggregated fields:
 *  - numeric (int, long, float, double) → `<f>_count` (int) and `<f>_min`, `<f>_max`, `<f>_mean`,
 *    `<f>_median`, `<f>_stdev` (double); an array of numbers → the same names, each an array with one
 *    entry per element index (element-wise statistics);
 *  - boolean, string, bytes, enum and arrays of them → `<f>`: the last value in the window (by time,
 *    then by offset); `<f>_last` when the source field is named `time` or `count` (the window's own);
 *  - the timestamps (logical type timestamp-*: kafka_timestamp, sal_created, sal_ingested) → none
 *    (the window's `time` replaces them); the other EFD fields (sal_revcode, sal_origin, sal_host) and
 *    the group-by fields (salIndex) → `<f>`, last value.
 * Every aggregated field but `time` and `count` is nullable with default null, so that a source
 * schema that gains a field gives an aggregated schema the registry accepts as BACKWARD compatible, and
 * a window without a sample of a field says so (null, not 0).
 * Record: the source's name in namespace `lsst.efd.agg`, its `sal_*` attributes kept, `efd_aggregated_from`.
 */
import { AGG_NAMESPACE } from '../../config/names';
import { EFD_FIELD_NAMES } from '../lib/sal/avro';

export const STATS = ['count', 'min', 'max', 'mean', 'median', 'stdev'] as const;
export type StatName = (typeof STATS)[number];

/** A source field aggregated as statistics. */
export interface StatsField {
  kind: 'stats';
  name: string;
  array: boolean;
  /** Output field names, per statistic. */
  out: Record<StatName, string>;
}

/** A source field carried as its last value (or, for a group-by field, as the group's value). */
export interface LastField {
  kind: 'last';
  name: string;
  group: boolean;
  /** Output field: the source name, or `<name>_last` when that is a window field (`time`, `count`). */
  out: string;
}

/** The fields every aggregated record starts with. */
export const WINDOW_FIELDS: ReadonlySet<string> = new Set(['time', 'count']);

export type PlanField = StatsField | LastField;

/** How records of one source schema are aggregated, and the aggregated schema. */
export interface AggregationPlan {
  /** The source record's full name (`lsst.sal.ATDome_position`). */
  source: string;
  /** SAL topic kind from the schema's `sal_topic_type`, when it has one. */
  topicType?: string;
  fields: PlanField[];
  stats: StatsField[];
  last: LastField[];
  /** Group-by fields present in the source schema. */
  groupBy: string[];
  timeField: string;
  schema: AggregatedSchema;
}

export interface AggregatedSchema {
  type: 'record';
  name: string;
  namespace: string;
  doc: string;
  fields: { name: string; type: unknown; default?: null; doc?: string; [k: string]: unknown }[];
  [k: string]: unknown;
}

/** Why a source schema cannot be aggregated; `reason` is the metric label. */
export class PlanError extends Error {
  constructor(
    readonly reason: 'not-a-record' | 'no-time-field' | 'no-numeric-fields' | 'name-clash' | 'not-telemetry',
    message: string,
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

interface SrcField {
  name: string;
  type: unknown;
  doc?: string;
  [k: string]: unknown;
}

const NUMERIC = new Set(['int', 'long', 'float', 'double']);

/** The non-null branch of a `["null", T]` union, else the type itself. */
function unwrapNull(t: unknown): unknown {
  if (Array.isArray(t)) {
    const branches = t.filter((b) => b !== 'null');
    return branches.length === 1 ? branches[0] : t;
  }
  return t;
}

function typeName(t: unknown): string | undefined {
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object' && !Array.isArray(t)) return (t as { type?: string }).type;
  return undefined;
}

function isTimestamp(t: unknown): boolean {
  const lt = t && typeof t === 'object' ? (t as { logicalType?: unknown }).logicalType : undefined;
  return typeof lt === 'string' && lt.startsWith('timestamp-');
}

/** `["null", t]`: null when the window has no sample (an array's element: none of that index). */
const nullable = (t: unknown) => ['null', t];
const DOUBLE = 'double';

export interface PlanOptions {
  /** The field holding the SAL time the windows are cut on. @default 'sal_created' */
  timeField?: string;
  /** Fields that split a topic's records into separate series (each its own windows). @default ['salIndex'] */
  groupBy?: string[];
  /** Window length (for the docs). @default 1000 */
  windowMs?: number;
}

/** Derives the plan (and the aggregated schema) of a source record schema; throws PlanError. */
export function aggregationPlan(source: unknown, opts: PlanOptions = {}): AggregationPlan {
  const s = source as { type?: unknown; name?: unknown; namespace?: unknown; fields?: unknown; [k: string]: unknown };
  if (!s || s.type !== 'record' || typeof s.name !== 'string' || !Array.isArray(s.fields))
    throw new PlanError('not-a-record', 'the source schema is not an Avro record with fields');
  const timeField = opts.timeField ?? 'sal_created';
  const groupBy = new Set(opts.groupBy ?? ['salIndex']);
  const windowMs = opts.windowMs ?? 1000;
  const name = s.name.includes('.') ? s.name.slice(s.name.lastIndexOf('.') + 1) : s.name;
  const ns = s.name.includes('.') ? s.name.slice(0, s.name.lastIndexOf('.')) : typeof s.namespace === 'string' ? s.namespace : '';
  const full = ns ? `${ns}.${name}` : name;
  const topicType = typeof s.sal_topic_type === 'string' ? s.sal_topic_type : undefined;
  if (topicType !== undefined && topicType !== 'SALTelemetry')
    throw new PlanError('not-telemetry', `${full} is a ${topicType} topic: only telemetry is aggregated`);
  const srcFields = s.fields as SrcField[];
  const time = srcFields.find((f) => f.name === timeField);
  if (!time) throw new PlanError('no-time-field', `${full} has no field ${timeField} to cut the windows on`);

  const fields: PlanField[] = [];
  const out: AggregatedSchema['fields'] = [
    {
      name: 'time',
      type: { type: 'long', logicalType: 'timestamp-millis' },
      doc: `Window start, a whole second (UTC): the window is [time, time + ${windowMs / 1000} s) on the source's ${timeField}.`,
    },
    { name: 'count', type: 'int', doc: 'Source records in the window.' },
  ];
  const units = (f: SrcField) => (f.sal_units !== undefined ? { sal_units: f.sal_units } : {});
  for (const f of srcFields) {
    if (f.name === timeField) continue;
    const t = unwrapNull(f.type);
    if (isTimestamp(t)) continue;
    const tn = typeName(t);
    const items = tn === 'array' ? unwrapNull((t as { items?: unknown }).items) : undefined;
    const numeric = !groupBy.has(f.name) && !EFD_FIELD_NAMES.has(f.name) && (NUMERIC.has(tn ?? '') || NUMERIC.has(typeName(items) ?? ''));
    if (numeric && !isTimestamp(items)) {
      const array = tn === 'array';
      const names = Object.fromEntries(STATS.map((st) => [st, `${f.name}_${st}`])) as Record<StatName, string>;
      fields.push({ kind: 'stats', name: f.name, array, out: names });
      for (const st of STATS) {
        const base = st === 'count' ? 'int' : DOUBLE;
        out.push({
          name: names[st],
          type: nullable(array ? { type: 'array', items: nullable(base) } : base),
          default: null,
          doc: `${st} of ${f.name} in the window${array ? ', per element' : ''}${st === 'count' ? ' (finite values)' : ''}.`,
          ...(st === 'count' ? {} : units(f)),
        });
      }
    } else {
      const outName = WINDOW_FIELDS.has(f.name) ? `${f.name}_last` : f.name;
      fields.push({ kind: 'last', name: f.name, group: groupBy.has(f.name), out: outName });
      out.push({
        name: outName,
        type: nullable(t),
        default: null,
        doc: groupBy.has(f.name) ? `${f.name} of the series (group-by field).` : `Last ${f.name} in the window.`,
        ...units(f),
      });
    }
  }
  const stats = fields.filter((f): f is StatsField => f.kind === 'stats');
  if (stats.length === 0)
    throw new PlanError('no-numeric-fields', `${full} has no numeric field to aggregate (only strings, booleans or timestamps)`);
  const seen = new Map<string, string>();
  for (const f of out) {
    const prev = seen.get(f.name);
    if (prev !== undefined)
      throw new PlanError('name-clash', `${full}: aggregated field ${f.name} would be written twice (rename the source field)`);
    seen.set(f.name, f.name);
  }
  const attrs = Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith('sal_')));
  const schema: AggregatedSchema = {
    type: 'record',
    name,
    namespace: AGG_NAMESPACE,
    doc: `${windowMs / 1000} s aggregate of ${full}: count, min, max, mean, median and stdev of each numeric field per window, last value of the others.`,
    ...attrs,
    efd_aggregated_from: full,
    efd_window_ms: windowMs,
    fields: out,
  };
  return {
    source: full,
    topicType,
    fields,
    stats,
    last: fields.filter((f): f is LastField => f.kind === 'last'),
    groupBy: [...groupBy].filter((g) => srcFields.some((f) => f.name === g)),
    timeField,
    schema,
  };
}
