/**
 * The alert filter language: a filter is data — a JSON predicate over the alert's field paths — checked
 * against the alert's field types when it is loaded and compiled to a closure.
 *
 *     { "name": "bright-r", "output": 3, "cap": 20,
 *       "where": { "all": [ { "field": "diaSource.band", "eq": "r" }, { "field": "diaSource.snr", "gt": 50 } ] } }
 *
 * - `name`: unique in its set; `output`: n of the output topic Filter<nnn> (1..999, unique in its set);
 *   `cap`: at most this many alerts per visit (default {@link DEFAULT_CAP}); `description`: free text.
 * - `where`, a predicate: `{ "all": [p…] }` (true when every p is; `[]` is true), `{ "any": [p…] }` (true when
 *   one is; `[]` is false), `{ "not": p }`, or a comparison of one field:
 *   `eq` `ne` (a value of the field's type), `lt` `le` `gt` `ge` (a number; numeric fields only), `in` (a
 *   non-empty list of values), `between` (`[lo, hi]`, both included), `exists` (true: the field has a
 *   value; false: it is null or absent).
 * - A comparison of a field that has no value (null, or inside a null record) is false, `ne` included
 *   (SQL's rule): `{ "not": … }` and `exists` say what to do with missing values.
 * - Values: numbers for int/long/float/double (a long also as a decimal string, for values beyond 2^53),
 *   strings for string/enum fields, true/false for booleans. An int or long is compared with integers only
 *   in `eq`/`ne`/`in`; a float field's constants are rounded to float32 first, as the field's values are
 *   (`{"eq": 0.1}` matches the float 0.1).
 *
 * The field types come as a map path → Avro type (the alert schema's `alertFields()`), so this module
 * needs no schema of its own.
 */
import { z } from 'zod';
import { BadInputError } from '../lib/exit-codes';

/** Alerts per visit a filter passes at most, unless it says otherwise (the seed's 20). */
export const DEFAULT_CAP = 20;

/** An Avro type of a field: a type name (`'float'`), or a union (`['null', 'float']`, `'null|float'`). */
export type FieldType = string | readonly string[];
/** The alert's filterable fields: dotted path → Avro type. */
export type FieldTypes = Readonly<Record<string, FieldType>>;

/** What a field holds, as the language sees it. */
export interface FieldKind {
  kind: 'number' | 'string' | 'boolean' | 'other';
  /** The Avro type name without null (`float`, `long`, `string`, …). */
  avro: string;
  /** int or long: compared with integers only in eq/ne/in. */
  integer: boolean;
  long: boolean;
  /** float: constants are rounded to float32. */
  float32: boolean;
  nullable: boolean;
}

const NUMBER_TYPES = new Set(['int', 'long', 'float', 'double']);
const STRING_TYPES = new Set(['string', 'enum']);

/** The kind of an Avro type as given in a {@link FieldTypes} map. */
export function fieldKind(t: FieldType): FieldKind {
  const members = (typeof t === 'string' ? t.split('|') : [...t]).map((m) => m.trim()).filter(Boolean);
  const nullable = members.includes('null');
  const rest = members.filter((m) => m !== 'null');
  const avro = rest.length === 1 ? rest[0] : rest.join('|') || 'null';
  const kind =
    rest.length !== 1
      ? 'other'
      : NUMBER_TYPES.has(avro)
        ? 'number'
        : STRING_TYPES.has(avro)
          ? 'string'
          : avro === 'boolean'
            ? 'boolean'
            : 'other';
  return { kind, avro, integer: avro === 'int' || avro === 'long', long: avro === 'long', float32: avro === 'float', nullable };
}

/** A comparison operator of the language. */
export const COMPARISONS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in', 'between', 'exists'] as const;
export type Comparison = (typeof COMPARISONS)[number];
const ORDERING = new Set<string>(['lt', 'le', 'gt', 'ge', 'between']);

/** A predicate as written (validated by {@link checkPredicate}). */
export type Predicate =
  { all: Predicate[] } | { any: Predicate[] } | { not: Predicate } | ({ field: string } & Partial<Record<Comparison, unknown>>);

/** A filter as written in a filter file. */
export interface FilterDefinition {
  name: string;
  output: number;
  cap: number;
  where: Predicate;
  description?: string;
}

/** A group of filters run by one process (one consumer group). */
export interface FilterGroup {
  name: string;
  filters: FilterDefinition[];
}

export interface FilterSet {
  /** Where the set came from (a file, or `set seed004`): named in errors. */
  source: string;
  groups: FilterGroup[];
}

/** A problem of one filter definition: where (JSON path in the file) and what was expected. */
export interface FilterIssue {
  /** `groups[0].filters[2]` */
  at: string;
  /** The filter's name when it has one. */
  filter?: string;
  /** Path inside the filter: `where.all[1].gt`. */
  path: string;
  /** The alert field concerned, when there is one. */
  field?: string;
  message: string;
}

/** A filter file or definition that cannot be used; lists every problem found (exit code 3, bad input). */
export class FilterDefinitionError extends BadInputError {
  constructor(
    readonly source: string,
    readonly issues: FilterIssue[],
  ) {
    super(
      `${source}: ${issues.length} problem(s) in the filter definitions:\n` +
        issues
          .slice(0, 30)
          .map((i) => `  ${formatIssue(i)}`)
          .join('\n') +
        (issues.length > 30 ? `\n  … and ${issues.length - 30} more` : ''),
    );
    this.name = 'FilterDefinitionError';
  }
}

export function formatIssue(i: FilterIssue): string {
  const who = i.filter !== undefined ? `filter "${i.filter}" (${i.at})` : i.at;
  return `${who}${i.path ? ` ${i.path}` : ''}: ${i.message}`;
}

// ---------------------------------------------------------------------------------------------
// Checking

const groupNameSchema = z
  .string({ error: 'expected a group name (a string)' })
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected a group name of letters, digits, ".", "_" or "-" (it names the consumer group)');

const filterShape = z
  .object({
    name: z.string({ error: 'required: the filter name (a string)' }).min(1, 'expected a non-empty name'),
    output: z
      .number({ error: 'required: the output topic number n of Filter<nnn> (an integer 1..999)' })
      .int('expected an integer 1..999')
      .min(1, 'expected an integer 1..999')
      .max(999, 'expected an integer 1..999'),
    cap: z
      .number({ error: 'expected the cap per visit (an integer ≥ 1)' })
      .int('expected an integer ≥ 1')
      .min(1, 'expected an integer ≥ 1')
      .default(DEFAULT_CAP),
    description: z.string({ error: 'expected a string' }).optional(),
    where: z.unknown().optional(),
  })
  .strict();

const fileShape = z
  .object({
    groups: z
      .array(z.object({ name: groupNameSchema, filters: z.array(z.unknown(), { error: 'expected a list of filters' }) }).strict(), {
        error: 'required: "groups", a list of { "name", "filters": [...] }',
      })
      .min(1, 'expected at least one group'),
  })
  .strict();

function zodPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list (${JSON.stringify(v).slice(0, 60)})`;
  if (typeof v === 'object') return `an object (${JSON.stringify(v).slice(0, 60)})`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

function unknownFieldMessage(field: string, fields: FieldTypes): string {
  const known = Object.keys(fields).sort();
  const leaf = (s: string) => s.slice(s.lastIndexOf('.') + 1).toLowerCase();
  const near = known
    .map((k) => ({ k, full: distance(field.toLowerCase(), k.toLowerCase()), leaf: distance(leaf(field), leaf(k)) }))
    .filter((x) => x.full <= 2 || x.leaf <= Math.max(1, Math.floor(leaf(field).length / 4)))
    .sort((a, b) => Math.min(a.full, a.leaf) - Math.min(b.full, b.leaf))
    .map((x) => x.k);
  const hint = near.length ? ` — did you mean ${near.slice(0, 3).join(' or ')}?` : '';
  return `"${field}" is not an alert field${hint} (expected one of ${known.slice(0, 12).join(', ')}${known.length > 12 ? `, … ${known.length} in all` : ''})`;
}

/** A constant checked against a field's kind: the value to compare with, or the message of why not. */
function constantFor(v: unknown, k: FieldKind, op: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (k.kind === 'number') {
    if (k.long && typeof v === 'string' && /^-?\d+$/.test(v)) {
      const b = BigInt(v);
      if (b < -(2n ** 63n) || b > 2n ** 63n - 1n) return { ok: false, message: `${v} is beyond the range of a long` };
      return { ok: true, value: b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b };
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return {
        ok: false,
        message: `expected a number (the field is ${k.avro}${k.long ? '; a long may be a decimal string' : ''}), got ${describeValue(v)}`,
      };
    }
    if (k.integer && !Number.isInteger(v) && (op === 'eq' || op === 'ne' || op === 'in')) {
      return { ok: false, message: `expected an integer (the field is ${k.avro}, so ${v} never equals it), got ${v}` };
    }
    if (k.long && Number.isInteger(v) && !Number.isSafeInteger(v)) {
      return { ok: false, message: `${v} is not exact as a JSON number: write a long beyond 2^53 as a decimal string` };
    }
    return { ok: true, value: k.float32 ? Math.fround(v) : v };
  }
  if (k.kind === 'string') {
    if (typeof v !== 'string') return { ok: false, message: `expected a string (the field is ${k.avro}), got ${describeValue(v)}` };
    return { ok: true, value: v };
  }
  if (typeof v !== 'boolean') return { ok: false, message: `expected true or false (the field is boolean), got ${describeValue(v)}` };
  return { ok: true, value: v };
}

/** A checked predicate: the tree the compiler takes. */
export type CheckedPredicate =
  | { op: 'all'; of: CheckedPredicate[] }
  | { op: 'any'; of: CheckedPredicate[] }
  | { op: 'not'; of: CheckedPredicate }
  | { op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'; field: string; value: unknown }
  | { op: 'in'; field: string; values: unknown[] }
  | { op: 'between'; field: string; lo: number | bigint; hi: number | bigint }
  | { op: 'exists'; field: string; value: boolean };

const MAX_DEPTH = 32;

/**
 * Checks a predicate against the field types; pushes each problem (path inside the filter, field,
 * message) to `issues` and returns the checked tree, or undefined when there was a problem.
 */
export function checkPredicate(
  p: unknown,
  fields: FieldTypes,
  issues: Omit<FilterIssue, 'at' | 'filter'>[],
  path = 'where',
  depth = 0,
): CheckedPredicate | undefined {
  const issue = (message: string, field?: string, at = path) => {
    issues.push({ path: at, field, message });
    return undefined;
  };
  if (depth > MAX_DEPTH) return issue(`nested more than ${MAX_DEPTH} deep`);
  if (p === null || typeof p !== 'object' || Array.isArray(p)) {
    return issue(
      `expected a predicate object ({"all": […]}, {"any": […]}, {"not": …} or {"field": …, "<op>": …}), got ${describeValue(p)}`,
    );
  }
  const o = p as Record<string, unknown>;
  const keys = Object.keys(o);
  for (const logical of ['all', 'any'] as const) {
    if (!(logical in o)) continue;
    if (keys.length !== 1)
      return issue(`"${logical}" stands alone in its object; found also ${keys.filter((k) => k !== logical).join(', ')}`);
    const list = o[logical];
    if (!Array.isArray(list)) return issue(`expected a list of predicates, got ${describeValue(list)}`, undefined, `${path}.${logical}`);
    const before = issues.length;
    const of = list.map((c, i) => checkPredicate(c, fields, issues, `${path}.${logical}[${i}]`, depth + 1));
    return issues.length > before ? undefined : ({ op: logical, of: of as CheckedPredicate[] } as CheckedPredicate);
  }
  if ('not' in o) {
    if (keys.length !== 1) return issue(`"not" stands alone in its object; found also ${keys.filter((k) => k !== 'not').join(', ')}`);
    const of = checkPredicate(o.not, fields, issues, `${path}.not`, depth + 1);
    return of && { op: 'not', of };
  }
  if (!('field' in o)) {
    return issue(`expected "all", "any", "not" or "field", got ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'an empty object'}`);
  }
  const field = o.field;
  if (typeof field !== 'string' || field === '')
    return issue(`expected a field path (a string such as "diaSource.snr"), got ${describeValue(field)}`, undefined, `${path}.field`);
  const ops = keys.filter((k) => k !== 'field');
  const unknownOps = ops.filter((k) => !(COMPARISONS as readonly string[]).includes(k));
  if (unknownOps.length) {
    return issue(`unknown operator ${unknownOps.map((k) => `"${k}"`).join(', ')}: expected one of ${COMPARISONS.join(', ')}`, field);
  }
  if (ops.length !== 1) {
    return issue(
      ops.length
        ? `one operator per comparison, found ${ops.join(', ')} (combine them with "all")`
        : `no operator: expected one of ${COMPARISONS.join(', ')}`,
      field,
    );
  }
  const op = ops[0] as Comparison;
  const at = `${path}.${op}`;
  const type = fields[field];
  if (type === undefined) return issue(unknownFieldMessage(field, fields), field, `${path}.field`);
  const k = fieldKind(type);
  const v = o[op];
  if (op === 'exists') {
    if (typeof v !== 'boolean') return issue(`expected true or false, got ${describeValue(v)}`, field, at);
    return { op, field, value: v };
  }
  if (k.kind === 'other')
    return issue(`field "${field}" is ${k.avro}: filters compare numbers, strings and booleans (only "exists" applies)`, field, at);
  if (ORDERING.has(op) && k.kind !== 'number')
    return issue(`"${op}" needs a numeric field; "${field}" is ${k.avro} (use eq, ne or in)`, field, at);
  if (op === 'in') {
    if (!Array.isArray(v) || v.length === 0) return issue(`expected a non-empty list of values, got ${describeValue(v)}`, field, at);
    const values: unknown[] = [];
    let bad = false;
    v.forEach((x, i) => {
      const c = constantFor(x, k, op);
      if (c.ok) values.push(c.value);
      else {
        bad = true;
        issue(c.message, field, `${at}[${i}]`);
      }
    });
    return bad ? undefined : { op, field, values };
  }
  if (op === 'between') {
    if (!Array.isArray(v) || v.length !== 2) return issue(`expected [low, high], got ${describeValue(v)}`, field, at);
    const lo = constantFor(v[0], k, op);
    const hi = constantFor(v[1], k, op);
    if (!lo.ok) return issue(lo.message, field, `${at}[0]`);
    if (!hi.ok) return issue(hi.message, field, `${at}[1]`);
    if ((lo.value as number) > (hi.value as number))
      return issue(`low ${String(v[0])} is above high ${String(v[1])}: nothing is between them`, field, at);
    return { op, field, lo: lo.value as number, hi: hi.value as number };
  }
  const c = constantFor(v, k, op);
  if (!c.ok) return issue(c.message, field, at);
  return { op, field, value: c.value };
}

/** Checks one filter definition (its shape with zod, its predicate against the field types). */
export function checkFilter(raw: unknown, fields: FieldTypes, at: string, issues: FilterIssue[]): FilterDefinition | undefined {
  const name =
    raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : undefined;
  const r = filterShape.safeParse(raw);
  const before = issues.length;
  if (!r.success) {
    for (const i of r.error.issues) {
      const path = zodPath(i.path);
      const message =
        i.code === 'unrecognized_keys'
          ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}: a filter has name, output, cap, where, description`
          : i.message;
      issues.push({ at, filter: name, path, message });
    }
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const where = (raw as { where?: unknown }).where;
    if (where === undefined)
      issues.push({ at, filter: name, path: 'where', message: 'required: the predicate (use {"all": []} to select every alert)' });
    else {
      const inner: Omit<FilterIssue, 'at' | 'filter'>[] = [];
      checkPredicate(where, fields, inner);
      for (const i of inner) issues.push({ at, filter: name, ...i });
    }
  }
  return issues.length > before || !r.success ? undefined : (r.data as FilterDefinition);
}

/**
 * Parses and checks a filter set (`{ "groups": [{ "name", "filters": [...] }] }`) from its JSON text or
 * value; throws a {@link FilterDefinitionError} naming `source` and every problem: the file does not
 * parse, a group or filter is malformed, a name or output is used twice, a predicate names an unknown
 * field or compares a field with a value of the wrong type.
 */
export function parseFilterSet(input: string | unknown, fields: FieldTypes, source: string): FilterSet {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new FilterDefinitionError(source, [{ at: 'file', path: '', message: `not JSON: ${(err as Error).message}` }]);
    }
  }
  const r = fileShape.safeParse(value);
  if (!r.success) {
    throw new FilterDefinitionError(
      source,
      r.error.issues.map((i) => ({
        at: zodPath(i.path) || 'file',
        path: '',
        message:
          i.code === 'unrecognized_keys'
            ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}: expected ${i.path.length ? '"name" and "filters"' : '{ "groups": [{ "name", "filters": [...] }] }'}`
            : i.message,
      })),
    );
  }
  const issues: FilterIssue[] = [];
  const groups: FilterGroup[] = [];
  const names = new Map<string, string>();
  const outputs = new Map<number, string>();
  const groupNames = new Set<string>();
  r.data.groups.forEach((g, gi) => {
    if (groupNames.has(g.name)) issues.push({ at: `groups[${gi}]`, path: 'name', message: `group name "${g.name}" is used twice` });
    groupNames.add(g.name);
    const filters: FilterDefinition[] = [];
    g.filters.forEach((raw, fi) => {
      const at = `groups[${gi}].filters[${fi}]`;
      const f = checkFilter(raw, fields, at, issues);
      if (!f) return;
      const seenName = names.get(f.name);
      if (seenName) issues.push({ at, filter: f.name, path: 'name', message: `the name is used twice (also ${seenName})` });
      else names.set(f.name, at);
      const seenOut = outputs.get(f.output);
      if (seenOut)
        issues.push({
          at,
          filter: f.name,
          path: 'output',
          message: `output ${f.output} is used twice (also ${seenOut}): each filter has its own topic`,
        });
      else outputs.set(f.output, at);
      filters.push(f);
    });
    groups.push({ name: g.name, filters });
  });
  if (issues.length) throw new FilterDefinitionError(source, issues);
  return { source, groups };
}

/** The group named `name`, or an error naming the groups there are. */
export function groupOf(set: FilterSet, name: string | undefined): FilterGroup {
  if (name === undefined) {
    if (set.groups.length === 1) return set.groups[0];
    throw new BadInputError(
      `${set.source} has ${set.groups.length} groups (${set.groups.map((g) => g.name).join(', ')}): choose one with --group`,
    );
  }
  const g = set.groups.find((x) => x.name === name);
  if (!g) throw new BadInputError(`${set.source} has no group "${name}": its groups are ${set.groups.map((x) => x.name).join(', ')}`);
  return g;
}

// ---------------------------------------------------------------------------------------------
// Compiling

/** A predicate as a function of a decoded alert. */
export type AlertTest = (alert: unknown) => boolean;

/** The value at a dotted path (undefined when a record on the way is null). */
export function pathGetter(path: string): (a: unknown) => unknown {
  const p = path.split('.');
  if (p.length === 1) {
    const [a0] = p;
    return (a) => (a as Record<string, unknown>)[a0];
  }
  if (p.length === 2) {
    const [a0, a1] = p;
    return (a) => {
      const x = (a as Record<string, unknown>)[a0] as Record<string, unknown> | null | undefined;
      return x == null ? undefined : x[a1];
    };
  }
  const last = p.length - 1;
  return (a) => {
    let x = a as Record<string, unknown> | null | undefined;
    for (let i = 0; i < last; i++) {
      x = x![p[i]] as Record<string, unknown> | null | undefined;
      if (x == null) return undefined;
    }
    return x![p[last]];
  };
}

/** A checked predicate as a closure: plain comparisons, no interpretation per alert. */
export function compilePredicate(p: CheckedPredicate): AlertTest {
  switch (p.op) {
    case 'all': {
      const fs = p.of.map(compilePredicate);
      if (fs.length === 0) return () => true;
      if (fs.length === 1) return fs[0];
      if (fs.length === 2) {
        const [f, g] = fs;
        return (a) => f(a) && g(a);
      }
      return (a) => {
        for (let i = 0; i < fs.length; i++) if (!fs[i](a)) return false;
        return true;
      };
    }
    case 'any': {
      const fs = p.of.map(compilePredicate);
      if (fs.length === 0) return () => false;
      if (fs.length === 1) return fs[0];
      return (a) => {
        for (let i = 0; i < fs.length; i++) if (fs[i](a)) return true;
        return false;
      };
    }
    case 'not': {
      const f = compilePredicate(p.of);
      return (a) => !f(a);
    }
    case 'exists': {
      const get = pathGetter(p.field);
      return p.value ? (a) => get(a) != null : (a) => get(a) == null;
    }
  }
  const get = pathGetter(p.field);
  // values and constants are alike: numbers (a long beyond 2^53 a bigint on both sides), strings, booleans
  switch (p.op) {
    case 'eq': {
      const c = p.value;
      return (a) => get(a) === c;
    }
    case 'ne': {
      const c = p.value;
      return (a) => {
        const v = get(a);
        return v != null && v !== c;
      };
    }
    case 'lt': {
      const c = p.value as number;
      return (a) => {
        const v = get(a) as number | null;
        return v !== null && v < c;
      };
    }
    case 'le': {
      const c = p.value as number;
      return (a) => {
        const v = get(a) as number | null;
        return v !== null && v <= c;
      };
    }
    case 'gt': {
      const c = p.value as number;
      return (a) => {
        const v = get(a) as number | null;
        return v !== null && v > c;
      };
    }
    case 'ge': {
      const c = p.value as number;
      return (a) => {
        const v = get(a) as number | null;
        return v !== null && v >= c;
      };
    }
    case 'between': {
      const { lo, hi } = p;
      return (a) => {
        const v = get(a) as number | null;
        return v !== null && v >= lo && v <= hi;
      };
    }
    case 'in': {
      if (p.values.length <= 4) {
        const vs = p.values;
        return (a) => {
          const v = get(a);
          for (let i = 0; i < vs.length; i++) if (v === vs[i]) return true;
          return false;
        };
      }
      const set = new Set(p.values);
      return (a) => set.has(get(a));
    }
  }
}

/** A filter ready to run. */
export interface CompiledFilter {
  name: string;
  output: number;
  cap: number;
  test: AlertTest;
  /** The alert fields its predicate reads. */
  fields: string[];
}

/** Fields a checked predicate reads. */
export function predicateFields(p: CheckedPredicate, out = new Set<string>()): Set<string> {
  if (p.op === 'all' || p.op === 'any') {
    for (const c of p.of) predicateFields(c, out);
  } else if (p.op === 'not') predicateFields(p.of, out);
  else out.add(p.field);
  return out;
}

/** Compiles a definition (checked again: a definition built in code gets the same errors as a file). */
export function compileFilter(f: FilterDefinition, fields: FieldTypes, source = 'filter'): CompiledFilter {
  const issues: Omit<FilterIssue, 'at' | 'filter'>[] = [];
  const checked = checkPredicate(f.where, fields, issues);
  if (!checked)
    throw new FilterDefinitionError(
      source,
      issues.map((i) => ({ at: source, filter: f.name, ...i })),
    );
  return {
    name: f.name,
    output: f.output,
    cap: f.cap ?? DEFAULT_CAP,
    test: compilePredicate(checked),
    fields: [...predicateFields(checked)].sort(),
  };
}

/** Compiles every filter of a group. */
export function compileGroup(g: FilterGroup, fields: FieldTypes, source = 'filter set'): CompiledFilter[] {
  return g.filters.map((f) => compileFilter(f, fields, source));
}
