/**
 * Import mode of replication (`schemas: import`) for MirrorMaker 2, which copies records byte for byte
 * and no schemas: every version of the source registry's subjects of the replicated topics is
 * re-registered at the aggregator's registry under the renamed subject (`<prefix>.<topic>-value`,
 * config/topology.ts remoteSubject). (Confluent Replicator does this itself: schema translation.)
 *
 * The records keep the source's schema id in their first bytes, so a schema imported under another id
 * would make them undecodable at the aggregator (or decode them with the wrong schema). Hence:
 *  - where the registry keeps ids on import (Confluent: `importKeepsIds`, apps/lib/registry-compat.ts),
 *    the renamed subject is put in IMPORT mode and each version registered with the source's id and version;
 *  - where it does not (Apicurio), the version is registered and the id the registry answers is compared
 *    with the source's: a different id is reported as refused, with both ids.
 * Idempotent: a version already under the renamed subject with the source's id is `present`.
 * Nothing is dropped silently: each version the aggregator's registry refuses is reported with the
 * subject, the version and the reason (the registry's own message).
 */
import { remoteSubject } from '../../config/topology';
import { jsonBody } from '../lib/http';
import { REGISTRY_CONTENT_TYPE, RegistryFlavor, registryBehaviour } from '../lib/registry-compat';
import { UnreachableError } from '../lib/exit-codes';

export interface ImportSchemasOptions {
  /** The source registry's Confluent API URL. */
  source: string;
  /** The aggregator registry's Confluent API URL. */
  target: string;
  /** The flow's prefix (`summit`): `<topic>-value` → `summit.<topic>-value`. */
  prefix: string;
  /** Whole-name regex of the replicated topics; their `-value` and `-key` subjects are imported. */
  topicsRegex: string;
  /** The aggregator registry's flavor (whether it keeps ids on import). */
  targetFlavor: RegistryFlavor;
}

export type ImportOutcome = 'imported' | 'present' | 'refused';

export interface ImportedVersion {
  subject: string;
  /** The renamed subject at the aggregator. */
  target: string;
  version: number;
  /** The source's schema id (what the replicated records carry). */
  id: number;
  outcome: ImportOutcome;
  /** The id the aggregator's registry has for it, when it answered one. */
  targetId?: number;
  reason?: string;
}

export interface ImportReport {
  source: string;
  target: string;
  versions: ImportedVersion[];
}

interface Answer {
  status: number;
  body: unknown;
}

async function call(base: string, method: string, pathname: string, body?: unknown): Promise<Answer> {
  const url = `${base.replace(/\/+$/, '')}${pathname}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { 'Content-Type': REGISTRY_CONTENT_TYPE, Accept: REGISTRY_CONTENT_TYPE },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new UnreachableError(
      `schema registry ${base} did not answer ${method} ${pathname}: ${cause?.message ?? (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const text = await res.text();
  return { status: res.status, body: text ? jsonBody(text) : undefined };
}

/** The registry's own message of an error answer (`{error_code, message}`), else the status and body. */
function serverMessage(a: Answer): string {
  const b = a.body as { message?: string; error_code?: number } | undefined;
  if (b && typeof b.message === 'string') return `HTTP ${a.status}${b.error_code ? ` (error ${b.error_code})` : ''}: ${b.message}`;
  return `HTTP ${a.status}${a.body === undefined ? '' : `: ${JSON.stringify(a.body).slice(0, 300)}`}`;
}

async function ok<T>(base: string, method: string, pathname: string, what: string): Promise<T> {
  const a = await call(base, method, pathname);
  if (a.status < 200 || a.status >= 300) throw new Error(`${what}: ${base}${pathname}: ${serverMessage(a)}`);
  return a.body as T;
}

const enc = encodeURIComponent;

/**
 * Every subject of a registry. Apicurio answers GET /subjects with at most 1,000 (its default `limit`),
 * so pages are read with `offset`/`limit` (apps/lib/registry-compat.ts); a registry that ignores them
 * answers everything at once, which ends the loop too (a page that starts with a subject already seen).
 */
export async function listSubjects(base: string, pageSize = 1000): Promise<string[]> {
  const all: string[] = [];
  const seen = new Set<string>();
  for (let offset = 0; ;) {
    const page = await ok<string[]>(base, 'GET', `/subjects?offset=${offset}&limit=${pageSize}`, 'listing the subjects');
    if (!page.length || seen.has(page[0])) break;
    for (const s of page.filter((x) => !seen.has(x))) {
      seen.add(s);
      all.push(s);
    }
    if (page.length < pageSize) break;
    offset += page.length;
  }
  return all;
}

/** The subjects of the replicated topics at the source (TopicNameStrategy: `<topic>-value`, `<topic>-key`). */
export function importedSubjects(subjects: string[], topicsRegex: string): string[] {
  const re = new RegExp(`^(?:${topicsRegex})-(?:value|key)$`);
  return subjects.filter((s) => re.test(s)).sort();
}

/** One pass over the source registry; never throws for a refused version (it is in the report), only when a registry does not answer. */
export async function importSchemas(o: ImportSchemasOptions): Promise<ImportReport> {
  const keepIds = registryBehaviour(o.targetFlavor).importKeepsIds;
  const report: ImportReport = { source: o.source, target: o.target, versions: [] };
  const subjects = importedSubjects(await listSubjects(o.source), o.topicsRegex);
  for (const subject of subjects) {
    const target = remoteSubject(o.prefix, subject);
    const versions = await ok<number[]>(o.source, 'GET', `/subjects/${enc(subject)}/versions`, `versions of ${subject}`);
    let importMode = false;
    for (const version of [...versions].sort((a, b) => a - b)) {
      const v = await ok<{ id: number; schema: string; schemaType?: string; references?: unknown[] }>(
        o.source,
        'GET',
        `/subjects/${enc(subject)}/versions/${version}`,
        `${subject} version ${version}`,
      );
      const row: ImportedVersion = { subject, target, version, id: v.id, outcome: 'refused' };
      report.versions.push(row);
      const schema = {
        schema: v.schema,
        ...(v.schemaType ? { schemaType: v.schemaType } : {}),
        ...(v.references?.length ? { references: v.references } : {}),
      };
      // Already there (this job ran before)? The lookup answers the id it is registered under.
      const found = await call(o.target, 'POST', `/subjects/${enc(target)}`, schema);
      if (found.status === 200) {
        row.targetId = (found.body as { id: number }).id;
        if (row.targetId === v.id) row.outcome = 'present';
        else row.reason = idMismatch(row.targetId, v.id);
        continue;
      }
      if (keepIds && !importMode) {
        const mode = await call(o.target, 'PUT', `/mode/${enc(target)}?force=true`, { mode: 'IMPORT' });
        if (mode.status !== 200) {
          row.reason = `the aggregator's registry refused IMPORT mode for ${target}: ${serverMessage(mode)}`;
          continue;
        }
        importMode = true;
      }
      const reg = await call(o.target, 'POST', `/subjects/${enc(target)}/versions`, keepIds ? { ...schema, id: v.id, version } : schema);
      if (reg.status !== 200) {
        row.reason = `the aggregator's registry refused it: ${serverMessage(reg)}`;
        continue;
      }
      row.targetId = (reg.body as { id: number }).id;
      if (row.targetId === v.id) row.outcome = 'imported';
      else row.reason = idMismatch(row.targetId, v.id);
    }
  }
  return report;
}

const idMismatch = (targetId: number, id: number) =>
  `the aggregator's registry holds it as id ${targetId}, the replicated records carry id ${id}: they would not decode there ` +
  "(this registry does not keep ids on import; use schemas: remote-registry, or a registry that does, such as Confluent's in IMPORT mode)";

/** The report's lines: one per refused version (subject, version, reason), then the totals. */
export function formatImportReport(r: ImportReport): string[] {
  const n = (o: ImportOutcome) => r.versions.filter((v) => v.outcome === o).length;
  const lines = r.versions
    .filter((v) => v.outcome === 'refused')
    .map((v) => `refused ${v.subject} version ${v.version} (id ${v.id}) as ${v.target}: ${v.reason}`);
  lines.push(
    `salschema import: ${r.versions.length} schema versions ${r.source} → ${r.target}: ${n('imported')} imported, ${n('present')} already there, ${n('refused')} refused`,
  );
  return lines;
}
