/**
 * `salschema register` and `salschema check`: the Avro schemas of a ts_xml folder (or of a folder of
 * `.avsc` files written by `convert`) against a schema registry. Subject of a topic: `<topic>-value`,
 * where the Kafka topic is `[prefix]lsst.sal.<EFDB_Topic>` (Kafka Connect's TopicNameStrategy).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Schema as AvscSchema } from 'avsc';
import { avroType } from '../avro-type';
import { Compatibility, Registry, RegistryUnavailableError } from '../registry';
import { AvroRecordSchema, SAL_NAMESPACE } from './avro';
import { convertTopics, stableStringify } from './convert';
import { formatSalSchemaError } from './errors';
import { loadTsXmlFolder } from './ts-xml';

/** Schemas keyed by topic (EFDB_Topic), plus the problems that kept some out. */
export interface LoadedSchemas {
  schemas: Map<string, AvroRecordSchema>;
  /** Human-readable, with file (and line) — ready to print. */
  errors: string[];
}

/** Kafka topic of a SAL topic: `[prefix]lsst.sal.<topic>`. */
export function kafkaTopicOf(topic: string, prefix = ''): string {
  return `${prefix}${SAL_NAMESPACE}.${topic}`;
}

/** Registry subject of a SAL topic: `[prefix]lsst.sal.<topic>-value`. */
export function subjectOf(topic: string, prefix = ''): string {
  return `${kafkaTopicOf(topic, prefix)}-value`;
}

/** Converts every ts_xml file under `xmlDir` in memory. */
export function schemasFromXml(xmlDir: string): LoadedSchemas {
  const folder = loadTsXmlFolder(xmlDir);
  const { schemas, errors } = convertTopics(folder.topics);
  return { schemas, errors: [...folder.errors, ...errors].map(formatSalSchemaError) };
}

/** Reads every `*.avsc` under `dir` (recursively); each must be a valid Avro record. */
export function schemasFromAvscFolder(dir: string): LoadedSchemas {
  const schemas = new Map<string, AvroRecordSchema>();
  const errors: string[] = [];
  const walk = (d: string): string[] =>
    readdirSync(d)
      .sort()
      .flatMap((name) => {
        const p = join(d, name);
        return statSync(p).isDirectory() ? walk(p) : name.endsWith('.avsc') ? [p] : [];
      });
  let files: string[];
  try {
    files = walk(dir);
  } catch (err) {
    return {
      schemas,
      errors: [`${dir}: cannot read the schema folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`],
    };
  }
  for (const file of files) {
    try {
      const schema = JSON.parse(readFileSync(file, 'utf8')) as AvroRecordSchema;
      avroType(schema as unknown as AvscSchema);
      if (schema.type !== 'record' || !schema.name) throw new Error('not an Avro record schema with a name');
      if (schemas.has(schema.name)) throw new Error(`record ${schema.name} is defined again (first in another file)`);
      schemas.set(schema.name, schema);
    } catch (err) {
      errors.push(`${file}: ${(err as Error).message} (fix: regenerate it with efd salschema convert)`);
    }
  }
  if (files.length === 0) errors.push(`${dir}: no .avsc files found (write them with efd salschema convert --xml <folder> --out ${dir})`);
  return { schemas, errors };
}

/** Keeps the topics whose name matches `pattern` (a regular expression), when given. */
export function filterTopics(loaded: LoadedSchemas, pattern?: string): LoadedSchemas {
  if (!pattern) return loaded;
  const re = new RegExp(pattern);
  return { schemas: new Map([...loaded.schemas].filter(([t]) => re.test(t))), errors: loaded.errors };
}

export type Direction = 'backward' | 'forward';

/** Which reads a compatibility level requires: backward = new schema reads old data, forward = old reads new. */
export function directionsOf(level: Compatibility): Direction[] {
  if (level.startsWith('BACKWARD')) return ['backward'];
  if (level.startsWith('FORWARD')) return ['forward'];
  if (level.startsWith('FULL')) return ['backward', 'forward'];
  return [];
}

type Field = { name: string; type: unknown; default?: unknown };

function typeName(t: unknown): string {
  if (typeof t === 'string') return t;
  const o = t as { type?: string; items?: unknown; logicalType?: string };
  if (o?.type === 'array') return `array<${typeName(o.items)}>`;
  if (o?.logicalType) return `${o.type}(${o.logicalType})`;
  return JSON.stringify(t);
}

/**
 * Why `next` cannot replace `prev` under `level`, field by field (empty = compatible).
 * Uses avsc schema resolution, the same rules the registry applies.
 */
export function explainIncompatibility(prev: AvscSchema, next: AvscSchema, level: Compatibility): string[] {
  const dirs = directionsOf(level);
  if (dirs.length === 0) return [];
  const reasons: string[] = [];
  const pf = new Map(((prev as { fields?: Field[] }).fields ?? []).map((f) => [f.name, f]));
  const nf = new Map(((next as { fields?: Field[] }).fields ?? []).map((f) => [f.name, f]));
  for (const [name, f] of nf) {
    const old = pf.get(name);
    if (!old) {
      if (dirs.includes('backward') && f.default === undefined) {
        reasons.push(
          `field ${name} (${typeName(f.type)}) was added without a default, so records written with the registered schema cannot be read (give it a default)`,
        );
      }
      continue;
    }
    const [oldT, newT] = [avroType(old.type as AvscSchema), avroType(f.type as AvscSchema)];
    for (const dir of dirs) {
      try {
        if (dir === 'backward') newT.createResolver(oldT);
        else oldT.createResolver(newT);
      } catch (err) {
        const how =
          dir === 'backward' ? 'the new schema cannot read registered data' : 'readers of the registered schema cannot read new data';
        reasons.push(`field ${name}: type changed from ${typeName(old.type)} to ${typeName(f.type)}; ${how} (${(err as Error).message})`);
      }
    }
  }
  if (dirs.includes('forward')) {
    for (const [name, f] of pf) {
      if (!nf.has(name) && f.default === undefined) {
        reasons.push(
          `field ${name} (${typeName(f.type)}) was removed but has no default, so readers of the registered schema cannot read new data`,
        );
      }
    }
  }
  if (reasons.length === 0) {
    // anything else (record renamed, namespace changed …): the whole-schema resolution says why
    const [p, n] = [avroType(prev), avroType(next)];
    for (const dir of dirs) {
      try {
        if (dir === 'backward') n.createResolver(p);
        else p.createResolver(n);
      } catch (err) {
        reasons.push(
          `${dir === 'backward' ? 'the new schema cannot read registered data' : 'readers of the registered schema cannot read new data'}: ${(err as Error).message}`,
        );
      }
    }
  }
  return reasons;
}

export interface RegisterResult {
  topic: string;
  subject: string;
  status: 'new-subject' | 'new-version' | 'unchanged' | 'failed';
  id?: number;
  error?: string;
  /** Failed because the registry could not be reached. */
  unreachable?: true;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** `fn` for every topic of `schemas` in name order, with its subject and schema, `concurrency` (default 8) at a time. */
function mapSubjects<T>(
  schemas: Map<string, AvroRecordSchema>,
  opts: { prefix?: string; concurrency?: number },
  fn: (topic: string, subject: string, schema: AvroRecordSchema) => Promise<T>,
): Promise<T[]> {
  const topics = [...schemas.keys()].sort();
  return mapLimit(topics, opts.concurrency ?? 8, (topic) =>
    fn(topic, subjectOf(topic, opts.prefix), schemas.get(topic) as AvroRecordSchema),
  );
}

/** `{ unreachable: true }` for a failure to reach the registry, to spread into a failed result. */
function unreachable(err: unknown): { unreachable?: true } {
  return err instanceof RegistryUnavailableError ? { unreachable: true } : {};
}

/**
 * Registers every schema under its subject; never throws for one schema, reports it instead. The registry is
 * asked first which subjects it holds (one request): a new subject costs one POST, and a schema it already
 * holds one lookup, instead of reading the subject's latest version and level before each registration.
 */
export async function registerSchemas(
  registry: Registry,
  schemas: Map<string, AvroRecordSchema>,
  opts: { compatibility?: Compatibility; prefix?: string; concurrency?: number } = {},
): Promise<RegisterResult[]> {
  // unreachable: every registration below fails and says so, one by one
  const existing = await registry.listSubjects().then(
    (l) => new Set(l),
    () => undefined,
  );
  return mapSubjects(schemas, opts, async (topic, subject, schema): Promise<RegisterResult> => {
    try {
      const compatibility = opts.compatibility;
      if (existing && !existing.has(subject)) {
        const id = await registry.register(subject, schema as unknown as AvscSchema, { compatibility, newSubject: true });
        return { topic, subject, status: 'new-subject', id };
      }
      if (existing) {
        const known = await registry.lookup(subject, schema as unknown as AvscSchema);
        if (known !== undefined) {
          if (compatibility) await registry.setCompatibility(subject, compatibility);
          return { topic, subject, status: 'unchanged', id: known };
        }
      }
      const before = await registry.latest(subject);
      const id = await registry.register(subject, schema as unknown as AvscSchema, { compatibility });
      const status = !before ? 'new-subject' : before.id === id ? 'unchanged' : 'new-version';
      return { topic, subject, status, id };
    } catch (err) {
      let error = (err as Error).message;
      if ((err as { status?: number }).status === 409) {
        const level = opts.compatibility ?? (await registry.compatibility(subject).catch(() => 'BACKWARD' as Compatibility));
        const prev = await registry.latest(subject).catch(() => undefined);
        const why = prev ? explainIncompatibility(prev.schema, schema as unknown as AvscSchema, level) : [];
        if (why.length) error += `: ${why.join('; ')}`;
      }
      return { topic, subject, status: 'failed', error, ...unreachable(err) };
    }
  });
}

export interface CheckResult {
  topic: string;
  subject: string;
  status: 'new' | 'unchanged' | 'compatible' | 'incompatible' | 'failed';
  /** Level the verdict is for. */
  level?: Compatibility;
  reasons: string[];
  /** Failed because the registry could not be reached. */
  unreachable?: true;
}

/**
 * Checks every schema against the latest version of its subject. The level is `compatibility` when
 * given, else the subject's own (or the registry's global) level. With the registry's own level the
 * registry's verdict decides (reasons from avsc resolution); with another level the local avsc check does.
 */
export async function checkSchemas(
  registry: Registry,
  schemas: Map<string, AvroRecordSchema>,
  opts: { compatibility?: Compatibility; prefix?: string; concurrency?: number } = {},
): Promise<CheckResult[]> {
  return mapSubjects(schemas, opts, async (topic, subject, record): Promise<CheckResult> => {
    const schema = record as unknown as AvscSchema;
    try {
      const prev = await registry.latest(subject);
      if (!prev) return { topic, subject, status: 'new', reasons: [] };
      if (stableStringify(prev.schema) === stableStringify(schema)) return { topic, subject, status: 'unchanged', reasons: [] };
      const registryLevel = await registry.compatibility(subject);
      const level = opts.compatibility ?? registryLevel;
      const reasons = explainIncompatibility(prev.schema, schema, level);
      let compatible = reasons.length === 0;
      if (level === registryLevel) {
        const verdict = await registry.testCompatibility(subject, schema);
        compatible = verdict.compatible;
        if (!compatible && reasons.length === 0) {
          reasons.push(
            ...(verdict.messages.length ? verdict.messages : [`the registry reports it incompatible under ${level} (it gave no detail)`]),
          );
        }
      }
      return { topic, subject, status: compatible ? 'compatible' : 'incompatible', level, reasons: compatible ? [] : reasons };
    } catch (err) {
      return { topic, subject, status: 'failed', reasons: [(err as Error).message], ...unreachable(err) };
    }
  });
}

/** Relative path for messages, when shorter. */
export function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && r.length < p.length ? r : p;
}
