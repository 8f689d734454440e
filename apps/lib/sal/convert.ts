/**
 * `salschema convert`: every ts_xml file under a folder → one `<topic>.avsc` per topic.
 * Offline and deterministic; a bad file or topic is reported and skipped, the rest is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'avsc';
import { AvroRecordSchema, avroProblems, topicToAvroSchema } from './avro';
import { SalSchemaError } from './errors';
import { loadTsXmlFolder, SalTopic, TsXmlFile } from './ts-xml';

/** Outcome of converting a folder. */
export interface ConvertSummary {
  /** ts_xml files (topic sets, SALGenerics.xml, SALSubsystems.xml) found and read. */
  files: number;
  /** Topics found (generics merged per subsystem). */
  topics: number;
  /** Schemas written. */
  schemas: number;
  /** Schemas written, per layout of the file each topic came from. */
  byLayout: Record<'current' | 'legacy', number>;
  /** XML files under the folder that are not ts_xml (unknown root element), not converted. */
  skipped: string[];
  /** Paths of the `.avsc` files written. */
  written: string[];
  errors: SalSchemaError[];
}

/** JSON with object keys sorted at every level (arrays keep their order), 2-space indent. */
export function stableStringify(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sort(o[k])]),
    );
  };
  return JSON.stringify(sort(value), null, 2);
}

/** Converts one topic, or returns the errors that prevent it (including an avsc parse failure). */
export function convertTopic(topic: SalTopic): { schema?: AvroRecordSchema; errors: SalSchemaError[] } {
  const at = { file: topic.file, topic: topic.name };
  const problems = avroProblems(topic).map((p) => ({ ...at, ...p }));
  if (problems.length > 0) return { errors: problems };
  const schema = topicToAvroSchema(topic);
  try {
    Type.forSchema(schema as unknown as Parameters<typeof Type.forSchema>[0]);
  } catch (err) {
    const message = `generated schema is not valid Avro: ${(err as Error).message}`;
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

/** An XML file that parsed but is not ts_xml (files that failed to parse still count as ts_xml). */
function isSkipped(f: TsXmlFile): boolean {
  return f.role === 'other' && f.root !== '';
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
    files: folder.files.filter((f) => !isSkipped(f)).length,
    topics: folder.topics.length,
    schemas: schemas.size,
    byLayout,
    skipped: folder.files.filter(isSkipped).map((f) => f.file),
    written,
    errors: [...folder.errors, ...errors],
  };
}
