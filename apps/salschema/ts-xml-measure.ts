/**
 * Measures the shape of a SAL interface set (a loaded ts_xml folder): per topic kind, how many fields a
 * topic has, which IDL types they use, how many are arrays and how long, how many carry an enumeration,
 * units, a description. Pure (works on the loaded model), so the same code measures a real ts_xml
 * (scripts/measure-ts-xml.ts → the committed figures in ts-xml-profile.ts) and the generated set
 * (generate.test.ts checks it against those figures).
 */
import type { IdlType, SalTopic, TopicKind } from '../lib/sal/ts-xml';

export const KINDS: readonly TopicKind[] = ['command', 'event', 'telemetry'];

/** Bucketed histogram: `[lo, hi, share]` rows (inclusive bounds, shares sum to 1). */
export type Histogram = [lo: number, hi: number, share: number][];

/** Contiguous inclusive buckets from `lo`, each ending at the next of `highs`: `[lo, highs[0]], [highs[0] + 1, highs[1]], …`. */
function buckets(lo: number, highs: readonly number[]): readonly [number, number][] {
  return highs.map((hi, i) => [i === 0 ? lo : highs[i - 1] + 1, hi]);
}

/** Bucket bounds of the fields-per-topic histogram: [0, 0], [1, 1], [2, 2], [3, 3], [4, 5] … [200, 499]. */
export const FIELD_BUCKETS = buckets(0, [0, 1, 2, 3, 5, 8, 12, 19, 29, 49, 99, 199, 499]);

/** Bucket bounds of the array Count histogram: [2, 3], [4, 5] … [1000, 4999]. */
export const COUNT_BUCKETS = buckets(2, [3, 5, 8, 12, 19, 29, 49, 99, 199, 499, 999, 4999]);

/** Summary statistics of a distribution. */
export interface Stats {
  mean: number;
  median: number;
  p90: number;
  max: number;
}

/** The measured shape of the topics of one kind. */
export interface KindProfile {
  topics: number;
  fields: number;
  /** Fields (items) per topic. */
  fieldsPerTopic: Stats & { histogram: Histogram };
  /** Values per topic (sum of Count). */
  valuesPerTopic: Stats;
  /** Share of fields per IDL type, scalar fields (Count 1) only. */
  scalarTypes: Partial<Record<IdlType, number>>;
  /** Share of fields per IDL type, array fields (Count > 1) only. */
  arrayTypes: Partial<Record<IdlType, number>>;
  /** Share of fields that are arrays (Count > 1). */
  arrayShare: number;
  /** Count of the array fields. */
  arrayCount: Stats & { histogram: Histogram };
  /** Share of fields with an item-level `<Enumeration>`. */
  enumerationShare: number;
  /** Share of fields of IDL type string. */
  stringShare: number;
  /** Share of fields with a non-empty `<Units>`. */
  unitsShare: number;
  /** Share of fields with a non-empty `<Description>`. */
  descriptionShare: number;
  /** Share of topics with a description. */
  topicDescriptionShare: number;
  /** Most frequent units, with their share of the fields that have units. */
  topUnits: [unit: string, share: number][];
}

/** Topics of one subsystem, per kind, and their fields (own topics, generics not included). */
export interface SubsystemFigures {
  name: string;
  command: number;
  event: number;
  telemetry: number;
  fields: number;
  values: number;
}

/** What {@link measureTopics} returns. */
export interface TsXmlMeasurement {
  topics: number;
  /** Generic topics among them (merged from SALGenerics.xml). */
  genericTopics: number;
  kinds: Record<TopicKind, KindProfile>;
  /** Own (non-generic) topics per subsystem, sorted by name. */
  subsystems: SubsystemFigures[];
  /** Most frequent words of field names (camelCase split, lower-cased), with the number of subsystems using each. */
  fieldWords: [word: string, count: number][];
  /** Most frequent words of topic names (after the kind infix), with the number of subsystems using each. */
  topicWords: [word: string, count: number][];
}

const round = (x: number, digits = 4): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function stats(values: number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  return { mean: round(mean, 2), median: quantile(s, 0.5), p90: quantile(s, 0.9), max: s.length ? s[s.length - 1] : 0 };
}

export function histogram(values: number[], buckets: readonly [number, number][]): Histogram {
  const n = values.length || 1;
  const out: Histogram = buckets.map(([lo, hi]) => [lo, hi, 0]);
  for (const v of values) {
    const row = out.find(([lo, hi]) => v >= lo && v <= hi) ?? out[out.length - 1];
    row[2] += 1;
  }
  return out.map(([lo, hi, c]) => [lo, hi, round(c / n)]);
}

function shares(keys: string[], top?: number): [string, number][] {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  const n = keys.length || 1;
  const rows = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return (top ? rows.slice(0, top) : rows).map(([k, c]) => [k, round(c / n)]);
}

function share(n: number, of: number): number {
  return of > 0 ? round(n / of) : 0;
}

/** Words of a camelCase / snake_case name, lower-cased (`azimuthCommandedState` → azimuth, commanded, state). */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_]+/)
    .map((w) => w.toLowerCase())
    .filter((w) => /^[a-z][a-z0-9]*$/.test(w));
}

/**
 * Most frequent name words, counted once per subsystem that uses them (so one subsystem with many
 * similar names, like a camera's configuration limits, does not dominate), ties by total uses.
 */
function topWords(named: { subsystem: string; name: string }[], top: number): [string, number][] {
  const subs = new Map<string, Set<string>>();
  const uses = new Map<string, number>();
  for (const { subsystem, name } of named) {
    for (const w of nameWords(name)) {
      if (w.length < 2) continue;
      subs.set(w, (subs.get(w) ?? new Set()).add(subsystem));
      uses.set(w, (uses.get(w) ?? 0) + 1);
    }
  }
  const size = (w: string) => subs.get(w)?.size ?? 0;
  return [...subs.keys()]
    .sort((a, b) => size(b) - size(a) || (uses.get(b) ?? 0) - (uses.get(a) ?? 0) || (a < b ? -1 : 1))
    .slice(0, top)
    .map((w) => [w, size(w)]);
}

/** Topic name after `<Subsystem>_` and the kind infix (`command_`, `logevent_`). */
export function topicBaseName(t: Pick<SalTopic, 'name' | 'subsystem'>): string {
  return t.name.slice(t.subsystem.length + 1).replace(/^(command|logevent)_/, '');
}

function kindProfile(topics: SalTopic[]): KindProfile {
  const items = topics.flatMap((t) => t.items);
  const scalars = items.filter((i) => i.count === 1);
  const arrays = items.filter((i) => i.count > 1);
  const withUnits = items.filter((i) => i.units !== undefined);
  const perTopic = topics.map((t) => t.items.length);
  const counts = arrays.map((i) => i.count);
  return {
    topics: topics.length,
    fields: items.length,
    fieldsPerTopic: { ...stats(perTopic), histogram: histogram(perTopic, FIELD_BUCKETS) },
    valuesPerTopic: stats(topics.map((t) => t.items.reduce((n, i) => n + i.count, 0))),
    scalarTypes: Object.fromEntries(shares(scalars.map((i) => i.idlType))),
    arrayTypes: Object.fromEntries(shares(arrays.map((i) => i.idlType))),
    arrayShare: share(arrays.length, items.length),
    arrayCount: { ...stats(counts), histogram: histogram(counts, COUNT_BUCKETS) },
    enumerationShare: share(items.filter((i) => i.enumeration).length, items.length),
    stringShare: share(items.filter((i) => i.idlType === 'string').length, items.length),
    unitsShare: share(withUnits.length, items.length),
    descriptionShare: share(items.filter((i) => i.description !== undefined).length, items.length),
    topicDescriptionShare: share(topics.filter((t) => t.description !== undefined).length, topics.length),
    topUnits: shares(
      withUnits.map((i) => i.units as string),
      12,
    ),
  };
}

function subsystemFigures(topics: SalTopic[]): SubsystemFigures[] {
  const by = new Map<string, SubsystemFigures>();
  for (const t of topics) {
    if (t.generic) continue;
    const s = by.get(t.subsystem) ?? { name: t.subsystem, command: 0, event: 0, telemetry: 0, fields: 0, values: 0 };
    s[t.kind]++;
    s.fields += t.items.length;
    s.values += t.items.reduce((n, i) => n + i.count, 0);
    by.set(t.subsystem, s);
  }
  return [...by.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Measures a topic set (as loadTsXmlFolder returns it: generics merged per subsystem). */
export function measureTopics(topics: SalTopic[], opts: { topWords?: number } = {}): TsXmlMeasurement {
  const top = opts.topWords ?? 80;
  const own = topics.filter((t) => !t.generic);
  return {
    topics: topics.length,
    genericTopics: topics.length - own.length,
    kinds: Object.fromEntries(KINDS.map((k) => [k, kindProfile(topics.filter((t) => t.kind === k))])) as Record<TopicKind, KindProfile>,
    subsystems: subsystemFigures(topics),
    fieldWords: topWords(
      own.flatMap((t) => t.items.map((i) => ({ subsystem: t.subsystem, name: i.name }))),
      top,
    ),
    topicWords: topWords(
      own.map((t) => ({ subsystem: t.subsystem, name: topicBaseName(t) })),
      top,
    ),
  };
}
