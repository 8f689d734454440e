/**
 * `salschema convert`: every ts_xml file under a folder → one `<topic>.avsc` per topic.
 * Offline and deterministic; a bad file or topic is reported and skipped, the rest is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AvroRecordSchema, avroProblems, avroSchemaProblem, topicToAvroSchema } from './avro';
import { SalSchemaError } from './errors';
import { loadTsXmlFolder, SalTopic, SkippedTopic, TsXmlFile, TsXmlFolder } from './ts-xml';

/** Outcome of converting a folder. */
export interface ConvertSummary {
  /** ts_xml files (topic sets, SALGenerics.xml, SALSubsystems.xml) found and read ({@link unread} not counted). */
  files: number;
  /** Topics found (generics merged per subsystem). */
  topics: number;
  /** Schemas written. */
  schemas: number;
  /** Schemas written, per layout of the file each topic came from. */
  byLayout: Record<'current' | 'legacy', number>;
  /** Per subsystem: topics found in the XML, converted, skipped with the reason (see {@link SubsystemReport}). */
  report: SubsystemReport[];
  /** XML files that gave nothing (unreadable, not UTF-8, not well formed, another root), with the reason. */
  unread: { file: string; reason: string }[];
  /** Paths of the `.avsc` files written. */
  written: string[];
  errors: SalSchemaError[];
}

/**
 * JSON with object keys sorted at every level (arrays keep their order), 2-space indent: the text
 * `JSON.stringify` gives for a key-sorted copy (convert.test.ts holds them equal), written in one pass
 * without the copy.
 */
export function stableStringify(value: unknown): string {
  return stableJson(value, '') ?? 'undefined';
}

const INDEX_KEY = /^(?:0|[1-9]\d{0,8})$/;

/** Keys sorted; array-index-like keys first in numeric order, as a JavaScript object orders them. */
function sortedKeys(o: Record<string, unknown>): string[] {
  const keys = Object.keys(o).sort();
  if (!keys.some((k) => INDEX_KEY.test(k))) return keys;
  const index = keys.filter((k) => INDEX_KEY.test(k)).sort((a, b) => Number(a) - Number(b));
  return [...index, ...keys.filter((k) => !INDEX_KEY.test(k))];
}

function stableJson(v: unknown, indent: string): string | undefined {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return stableJson((v as { toJSON(): unknown }).toJSON(), indent);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    let out = '[';
    for (let i = 0; i < v.length; i++) out += `${i ? ',' : ''}\n${inner}${stableJson(v[i], inner) ?? 'null'}`;
    return `${out}\n${indent}]`;
  }
  const o = v as Record<string, unknown>;
  let out = '';
  for (const k of sortedKeys(o)) {
    const s = stableJson(o[k], inner);
    if (s !== undefined) out += `${out ? ',' : ''}\n${inner}${JSON.stringify(k)}: ${s}`;
  }
  return out ? `{${out}\n${indent}}` : '{}';
}

/** Converts one topic, or returns the errors that prevent it (including an avsc parse failure). */
export function convertTopic(topic: SalTopic): { schema?: AvroRecordSchema; errors: SalSchemaError[] } {
  const at = { file: topic.file, topic: topic.name };
  const problems = avroProblems(topic).map((p) => ({ ...at, ...p }));
  if (problems.length > 0) return { errors: problems };
  const schema = topicToAvroSchema(topic);
  // structural: compiling an avsc type per schema was most of the conversion's time (the apps compile
  // the schemas they use; the conformance suites compile every converted one)
  const problem = avroSchemaProblem(schema);
  if (problem) {
    const message = `generated schema is not valid Avro: ${problem}`;
    return { errors: [{ ...at, line: topic.line, message, fix: 'check item names and types' }] };
  }
  return { schema, errors: [] };
}

/** Converts topics (pure): schemas keyed by topic name, plus the errors of the topics left out. */
export function convertTopics(topics: SalTopic[]): {
  schemas: Map<string, AvroRecordSchema>;
  errors: SalSchemaError[];
} {
  const schemas = new Map<string, AvroRecordSchema>();
  const errors: SalSchemaError[] = [];
  for (const topic of topics) {
    const r = convertTopic(topic);
    errors.push(...r.errors);
    if (r.schema) schemas.set(topic.name, r.schema);
  }
  return { schemas, errors };
}

/** One subsystem's line of `salschema convert --report`. */
export interface SubsystemReport {
  subsystem: string;
  /** Topic elements in the subsystem's files (kept or not) plus the generic topics it is entitled to. */
  found: number;
  /** Schemas written. */
  converted: number;
  /** Topics found that got no schema, each with its reason. */
  skipped: SkippedTopic[];
  /** found − converted − skipped: topics lost without a reason (a bug if ever > 0). */
  unexplained: number;
}

/** The topics that did not convert, as skipped entries with the conversion errors as reason. */
function conversionSkips(topics: SalTopic[], schemas: Map<string, AvroRecordSchema>, errors: SalSchemaError[]): SkippedTopic[] {
  return topics
    .filter((t) => !schemas.has(t.name))
    .map((t) => {
      const reason = errors
        .filter((e) => e.topic === t.name)
        .map((e) => `${e.field ? `${e.field}: ` : ''}${e.message}`)
        .join('; ');
      return { subsystem: t.subsystem, topic: t.name, file: t.file, line: t.line, reason: reason || 'did not convert' };
    });
}

/** Per-subsystem report of a converted folder, sorted by subsystem. */
export function subsystemReport(folder: TsXmlFolder, schemas: Map<string, AvroRecordSchema>, errors: SalSchemaError[]): SubsystemReport[] {
  const skipped = [...folder.skipped, ...conversionSkips(folder.topics, schemas, errors)];
  const converted = new Map<string, number>();
  for (const t of folder.topics) if (schemas.has(t.name)) converted.set(t.subsystem, (converted.get(t.subsystem) ?? 0) + 1);
  const names = new Set([...folder.found.keys(), ...converted.keys(), ...skipped.map((s) => s.subsystem)]);
  return [...names].sort().map((subsystem) => {
    const own = skipped.filter((s) => s.subsystem === subsystem);
    const found = folder.found.get(subsystem) ?? 0;
    const done = converted.get(subsystem) ?? 0;
    return { subsystem, found, converted: done, skipped: own, unexplained: found - done - own.length };
  });
}

/** Files that gave nothing, with the first error reported for each. */
function unreadFiles(files: TsXmlFile[], errors: SalSchemaError[]): { file: string; reason: string }[] {
  return files
    .filter((f) => f.role === 'other')
    .map((f) => {
      const e = errors.find((x) => x.file === f.file);
      return { file: f.file, reason: e ? `${e.line ? `line ${e.line}: ` : ''}${e.message}` : 'not read' };
    });
}

function layoutOf(files: TsXmlFile[]): Map<string, 'current' | 'legacy'> {
  return new Map(files.map((f) => [f.file, f.layout]));
}

/** Writes each schema as `<outDir>/<topic>.avsc`; returns the paths written. */
export function writeSchemas(schemas: Map<string, AvroRecordSchema>, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  return [...schemas.keys()].sort().map((name) => {
    const path = join(outDir, `${name}.avsc`);
    writeFileSync(path, `${stableStringify(schemas.get(name))}\n`);
    return path;
  });
}

/**
 * Converts every ts_xml file under `xmlDir` (recursively) and writes one `<topic>.avsc` per topic
 * into `outDir`. Errors name file, line, topic and field; they never stop the other files.
 */
export function convertFolder(xmlDir: string, outDir: string): ConvertSummary {
  const folder = loadTsXmlFolder(xmlDir);
  const { schemas, errors } = convertTopics(folder.topics);
  const written = writeSchemas(schemas, outDir);
  const layouts = layoutOf(folder.files);
  const byLayout = { current: 0, legacy: 0 };
  for (const t of folder.topics) if (schemas.has(t.name)) byLayout[layouts.get(t.file) ?? 'current']++;
  return {
    files: folder.files.filter((f) => f.role !== 'other').length, // read as ts_xml; the others are in `unread`
    topics: folder.topics.length,
    schemas: schemas.size,
    byLayout,
    report: subsystemReport(folder, schemas, errors),
    unread: unreadFiles(folder.files, folder.errors),
    written,
    errors: [...folder.errors, ...errors],
  };
}
