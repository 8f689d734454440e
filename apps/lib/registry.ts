/**
 * Schema-registry client for the apps: @kafkajs/confluent-schema-registry for registration and schema
 * look-ups, made to work with the EFD's registry (Apicurio's Confluent-compatible API, see
 * ./registry-compat.ts), plus
 *  - a compiled avsc type cache per schema id, and a fast synchronous `encoder(id)` for hot loops;
 *  - Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro body);
 *  - retry with exponential backoff and a clear log line while the registry is unreachable.
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Schema as AvscSchema, Type } from 'avsc';
import { AVRO_TYPE_OPTIONS, avroType } from './avro-type';
import { Logger } from './logging';
import { REGISTRY_CONTENT_TYPE, RegistryFlavor, registryApiUrl, registryBehaviour, registryFlavor } from './registry-compat';
import { jsonBody } from './http';
import { retry } from './retry';

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type Compatibility = (typeof COMPATIBILITY_LEVELS)[number];

/** Magic byte of the Confluent wire format. */
export const MAGIC_BYTE = 0;
/** Header length of the Confluent wire format. */
export const WIRE_HEADER_BYTES = 5;

export interface RetryOptions {
  /** Attempts in all (default 10; `Infinity` for long-running apps). */
  attempts?: number;
  /** First delay (default 250 ms), doubled each attempt up to `maxDelayMs` (default 10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** A registry answer that retrying will not change (4xx): bad schema, incompatible, not found … */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly errorCode?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** The registry could not be reached in the attempts allowed. */
export class RegistryUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryUnavailableError';
  }
}

/** Status of an HTTP-ish error (fetch errors have none, mappersmith errors have `status`). */
function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' && s > 0 ? s : undefined;
}

const NETWORK_ERROR =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|socket hang up|fetch failed|timeout/i;

/**
 * Worth retrying: no answer at all (network error), 408, 429 or 5xx. mappersmith (inside
 * @kafkajs/confluent-schema-registry) reports a refused connection as "status 400" with the errno in
 * the message, so the message is checked too.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof RegistryError) return err.status !== undefined && (err.status === 408 || err.status === 429 || err.status >= 500);
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && NETWORK_ERROR.test(message)) return true;
  const status = statusOf(err);
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/**
 * Runs `op` until it succeeds or fails permanently; transient failures are logged (warn) and retried
 * with exponential backoff. `what` names the operation and the server in logs and errors.
 */
export async function withRetry<T>(
  what: string,
  op: () => Promise<T>,
  opts: RetryOptions & { logger?: Logger; hint?: string } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 10;
  const backoff = { attempts, initialDelayMs: opts.initialDelayMs ?? 250, maxDelayMs: opts.maxDelayMs ?? 10_000 };
  return retry(op, backoff, (err, { attempt, last, delayMs }) => {
    if (!isTransient(err)) throw err;
    const reason = describeError(err);
    if (last) {
      throw new RegistryUnavailableError(`${what} failed after ${attempt} attempt(s): ${reason}.${opts.hint ? ` ${opts.hint}` : ''}`);
    }
    opts.logger?.warn(
      { attempt, of: attempts, retryInMs: delayMs, err: reason },
      `${what}: unreachable or failing (${reason}), retrying in ${delayMs} ms`,
    );
  });
}

function describeError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}

export interface RegistryOptions {
  logger?: Logger;
  retry?: RetryOptions;
  /** Registry flavor (default: EFD_REGISTRY_FLAVOR, else apicurio). */
  flavor?: RegistryFlavor;
  /** What to do when the registry does not answer, ending the error (default: check --registry / SCHEMA_REGISTRY_URL). */
  hint?: string;
}

export interface LatestSchema {
  id: number;
  version: number;
  schema: AvscSchema;
}

export interface CompatibilityResult {
  compatible: boolean;
  /** The registry's explanation, when it gives one (Confluent verbose mode; Apicurio gives none). */
  messages: string[];
}

export interface RegisterOptions {
  compatibility?: Compatibility;
  /**
   * The caller listed the subjects and this one is not there: the schema is posted at once, without first
   * reading the subject's compatibility level (a first version is checked against nothing). Should the
   * subject have appeared meanwhile, the registry still checks the new version against its level.
   */
  newSubject?: boolean;
}

/** What apps use of the registry. */
export interface Registry {
  /** Confluent-compatible API URL. */
  readonly url: string;
  /**
   * Registers `schema` under `subject` (a schema already registered returns its id). With `compatibility`,
   * the subject's level is set first (PUT /config/<subject>), so it applies to this registration.
   */
  register(subject: string, schema: AvscSchema | string, opts?: RegisterOptions): Promise<number>;
  /** Every subject the registry holds (one request: ask before registering many). */
  listSubjects(): Promise<string[]>;
  /** Id of `schema` when it is already a version of `subject`, else undefined (the subject may not exist). */
  lookup(subject: string, schema: AvscSchema | string): Promise<number | undefined>;
  /** Latest version of a subject, or undefined when the subject does not exist. */
  latest(subject: string): Promise<LatestSchema | undefined>;
  /** The versions of a subject (ascending), or undefined when the subject does not exist. */
  versions(subject: string): Promise<number[] | undefined>;
  /** One version of a subject (`latest`: the newest), or undefined when the subject or the version does not exist. */
  version(subject: string, version: number | 'latest'): Promise<LatestSchema | undefined>;
  /**
   * Deletes a subject (every version), or one version of it; `permanent` also removes it for good (the
   * registry needs the soft delete first: both are sent). Returns the versions deleted; throws a 404
   * RegistryError naming the subject (and version) when there is none.
   */
  deleteSubject(subject: string, o?: { version?: number; permanent?: boolean }): Promise<number[]>;
  /** Id of the latest version of a subject; throws naming the subject when it does not exist. */
  latestId(subject: string): Promise<number>;
  /** Compatibility level that applies to a subject (its own, else the global one). */
  compatibility(subject?: string): Promise<Compatibility>;
  setCompatibility(subject: string, level: Compatibility): Promise<void>;
  /** Would `schema` be accepted as the next version of `subject`? (true when the subject does not exist) */
  testCompatibility(subject: string, schema: AvscSchema | string): Promise<CompatibilityResult>;
  /** Compiled avsc type of a schema id (cached). */
  type(schemaId: number): Promise<Type>;
  /** The schema text of a schema id as registered, custom attributes (`sal_*`) included; throws a 404 RegistryError when unknown. */
  schema(schemaId: number): Promise<AvscSchema>;
  /** Synchronous encoder of one schema id (Confluent wire format), for hot loops. */
  encoder(schemaId: number): Promise<(value: unknown) => Buffer>;
  encode(schemaId: number, value: unknown): Promise<Buffer>;
  decode(buffer: Buffer): Promise<unknown>;
  decodeWithId(buffer: Buffer): Promise<{ schemaId: number; value: unknown }>;
}

/** Confluent wire-format header of a schema id. */
export function wireHeader(schemaId: number): Buffer {
  const h = Buffer.alloc(WIRE_HEADER_BYTES);
  h.writeUInt8(MAGIC_BYTE, 0);
  h.writeUInt32BE(schemaId, 1);
  return h;
}

/** Schema id of a Confluent wire-format message; throws when the buffer is not in that format. */
export function wireSchemaId(buffer: Buffer): number {
  if (buffer.length < WIRE_HEADER_BYTES || buffer[0] !== MAGIC_BYTE) {
    throw new RegistryError(
      `message is not in the Confluent wire format (expected magic byte 0 and a 4-byte schema id, got ${buffer.length} byte(s) starting ${buffer.subarray(0, 5).toString('hex') || '<empty>'})`,
    );
  }
  return buffer.readUInt32BE(1);
}

/** Synchronous wire-format encoder for a compiled type. */
export function wireEncoder(schemaId: number, type: Type): (value: unknown) => Buffer {
  const header = wireHeader(schemaId);
  return (value: unknown) => {
    const body = type.toBuffer(value);
    const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.length);
    header.copy(out, 0);
    body.copy(out, WIRE_HEADER_BYTES);
    return out;
  };
}

function schemaText(schema: AvscSchema | string): string {
  return typeof schema === 'string' ? schema : JSON.stringify(schema);
}

/** Subjects per page when listing them (Apicurio's ccompat API answers 1,000 unless asked for more). */
export const SUBJECTS_PAGE = 5000;

/** Creates a registry client for a registry URL (server root or Confluent API URL). */
export function createRegistry(url: string, opts: RegistryOptions = {}): Registry {
  const flavor = opts.flavor ?? registryFlavor();
  const api = registryApiUrl(url, flavor);
  const behaviour = registryBehaviour(flavor);
  // every schema the library compiles has exact 64-bit longs, like the apps' own (avro-type.ts)
  const lib = new SchemaRegistry({ host: api, retry: { retries: 0 } }, { forSchemaOptions: { ...AVRO_TYPE_OPTIONS } });
  const types = new Map<number, Type>();
  const loading = new Map<number, Promise<Type>>();
  const hint =
    opts.hint ??
    `Check that the schema registry runs and that --registry / SCHEMA_REGISTRY_URL (now ${api}) ` +
      'points at its Confluent-compatible API.';
  const retry = <T>(what: string, op: () => Promise<T>) =>
    withRetry(`schema registry ${api}: ${what}`, op, { ...opts.retry, logger: opts.logger, hint });

  async function http<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { 'content-type': REGISTRY_CONTENT_TYPE, accept: REGISTRY_CONTENT_TYPE },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = jsonBody(text);
    if (!res.ok) {
      const j = (json ?? {}) as { message?: string; error_code?: number };
      throw new RegistryError(
        `${method} ${path}: HTTP ${res.status}${j.message ? ` ${j.message}` : text ? ` ${text.slice(0, 200)}` : ''}`,
        res.status,
        j.error_code,
      );
    }
    return json as T;
  }

  const enc = (s: string) => encodeURIComponent(s);

  async function compatibility(subject?: string): Promise<Compatibility> {
    const path = subject ? `/config/${enc(subject)}?defaultToGlobal=true` : '/config';
    const r = await retry(`compatibility of ${subject ?? 'the registry'}`, async () => {
      try {
        return await http<{ compatibilityLevel?: string }>('GET', path);
      } catch (err) {
        // Confluent without its own level for the subject (older servers ignore defaultToGlobal)
        if (subject && err instanceof RegistryError && err.status === 404) return http<{ compatibilityLevel?: string }>('GET', '/config');
        throw err;
      }
    });
    return (r.compatibilityLevel ?? behaviour.defaultCompatibility).toUpperCase() as Compatibility;
  }

  async function setCompatibility(subject: string, level: Compatibility): Promise<void> {
    await retry(`set compatibility ${level} on ${subject}`, () => http('PUT', `/config/${enc(subject)}`, { compatibility: level }));
  }

  async function register(subject: string, schema: AvscSchema | string, o: RegisterOptions = {}): Promise<number> {
    const text = schemaText(schema);
    if (o.compatibility) await setCompatibility(subject, o.compatibility);
    // The library refuses to register when the subject's level differs from the one it is given, and
    // Apicurio answers the global level for a subject without its own: hand it the level that applies.
    const level = o.compatibility ?? (o.newSubject ? undefined : await compatibility(subject));
    try {
      const { id } = await retry(`register ${subject}`, () =>
        level === undefined
          ? http<{ id: number }>('POST', `/subjects/${enc(subject)}/versions`, { schema: text })
          : lib.register({ type: SchemaType.AVRO, schema: text }, { subject, compatibility: level as COMPATIBILITY, updateConfig: false }),
      );
      if (!types.has(id)) types.set(id, avroType(JSON.parse(text) as AvscSchema));
      return id;
    } catch (err) {
      const status = statusOf(err);
      if (status === 409) {
        const applies = level ?? (await compatibility(subject).catch(() => 'its level'));
        throw new RegistryError(
          `schema for subject ${subject} is incompatible with the version the registry holds (compatibility ${applies}); ` +
            'make the change compatible (add fields with defaults, do not change types), or register under another level if the break is intended',
          409,
        );
      }
      if (status === 422) {
        throw new RegistryError(`registry rejected the schema for subject ${subject} as invalid: ${describeError(err)}`, 422);
      }
      throw err;
    }
  }

  /**
   * Apicurio's ccompat API answers at most 1,000 subjects unless asked for a page (`limit`, `offset`), and
   * ignores Confluent's `subjectPrefix`: read page after page until one is short or brings nothing new
   * (a Confluent registry without paging answers everything at once).
   */
  async function listSubjects(): Promise<string[]> {
    const all = new Set<string>();
    for (let offset = 0; ;) {
      const page = await retry('list subjects', () => http<string[]>('GET', `/subjects?limit=${SUBJECTS_PAGE}&offset=${offset}`));
      const before = all.size;
      for (const s of page) all.add(s);
      if (page.length < SUBJECTS_PAGE || all.size === before) return [...all];
      offset += page.length;
    }
  }

  async function lookup(subject: string, schema: AvscSchema | string): Promise<number | undefined> {
    try {
      const r = await retry(`look up a schema of ${subject}`, () =>
        http<{ id: number }>('POST', `/subjects/${enc(subject)}`, { schema: schemaText(schema) }),
      );
      return r.id;
    } catch (err) {
      // 40401 subject not found, 40403 schema not found (Confluent); Apicurio answers 404 for both
      if (err instanceof RegistryError && err.status === 404) return undefined;
      throw err;
    }
  }

  async function latest(subject: string): Promise<LatestSchema | undefined> {
    try {
      const r = await retry(`latest version of ${subject}`, () =>
        http<{ id: number; version: number; schema: string }>('GET', `/subjects/${enc(subject)}/versions/latest`),
      );
      return { id: r.id, version: r.version, schema: JSON.parse(r.schema) as AvscSchema };
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return undefined;
      throw err;
    }
  }

  async function versions(subject: string): Promise<number[] | undefined> {
    try {
      const r = await retry(`versions of ${subject}`, () => http<number[]>('GET', `/subjects/${enc(subject)}/versions`));
      return [...r].sort((a, b) => a - b);
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return undefined;
      throw err;
    }
  }

  async function version(subject: string, v: number | 'latest'): Promise<LatestSchema | undefined> {
    try {
      const r = await retry(`version ${v} of ${subject}`, () =>
        http<{ id: number; version: number; schema: string }>('GET', `/subjects/${enc(subject)}/versions/${v}`),
      );
      return { id: r.id, version: r.version, schema: JSON.parse(r.schema) as AvscSchema };
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return undefined;
      throw err;
    }
  }

  async function deleteSubject(subject: string, o: { version?: number; permanent?: boolean } = {}): Promise<number[]> {
    const path = `/subjects/${enc(subject)}${o.version === undefined ? '' : `/versions/${o.version}`}`;
    const what = `subject ${subject}${o.version === undefined ? '' : ` version ${o.version}`}`;
    try {
      const r = await retry(`delete ${what}`, () => http<number[] | number>('DELETE', path));
      if (o.permanent) await retry(`delete ${what} permanently`, () => http('DELETE', `${path}?permanent=true`));
      return Array.isArray(r) ? r : [r];
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) throw new RegistryError(`${what} is not in the schema registry ${api}`, 404);
      throw err;
    }
  }

  async function latestId(subject: string): Promise<number> {
    try {
      return await retry(`latest schema id of ${subject}`, () => lib.getLatestSchemaId(subject));
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new RegistryError(
          `subject ${subject} is not in the schema registry ${api}: register the schemas first (efd salschema register --xml <ts_xml folder> --registry ${api})`,
          404,
        );
      }
      throw err;
    }
  }

  async function testCompatibility(subject: string, schema: AvscSchema | string): Promise<CompatibilityResult> {
    try {
      const r = await retry(`compatibility test of ${subject}`, () =>
        http<{ is_compatible: boolean; messages?: string[] }>(
          'POST',
          `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`,
          {
            schema: schemaText(schema),
          },
        ),
      );
      return { compatible: r.is_compatible, messages: r.messages ?? [] };
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return { compatible: true, messages: [] };
      throw err;
    }
  }

  function type(schemaId: number): Promise<Type> {
    const t = types.get(schemaId);
    if (t) return Promise.resolve(t);
    let p = loading.get(schemaId);
    if (!p) {
      p = retry(`schema id ${schemaId}`, async () => {
        try {
          return (await lib.getSchema(schemaId)) as unknown as Type;
        } catch (err) {
          if (statusOf(err) === 404) throw new RegistryError(`schema id ${schemaId} is not in the schema registry ${api}`, 404);
          throw err;
        }
      })
        .then((loaded) => {
          types.set(schemaId, loaded);
          return loaded;
        })
        .finally(() => loading.delete(schemaId));
      loading.set(schemaId, p);
    }
    return p;
  }

  async function schema(schemaId: number): Promise<AvscSchema> {
    const r = await retry(`schema text of id ${schemaId}`, async () => {
      try {
        return await http<{ schema: string }>('GET', `/schemas/ids/${schemaId}`);
      } catch (err) {
        if (statusOf(err) === 404) throw new RegistryError(`schema id ${schemaId} is not in the schema registry ${api}`, 404);
        throw err;
      }
    });
    return JSON.parse(r.schema) as AvscSchema;
  }

  const encoders = new Map<number, Promise<(value: unknown) => Buffer>>();
  function encoder(schemaId: number): Promise<(value: unknown) => Buffer> {
    let e = encoders.get(schemaId);
    if (!e) {
      e = type(schemaId).then((t) => wireEncoder(schemaId, t));
      e.catch(() => encoders.delete(schemaId));
      encoders.set(schemaId, e);
    }
    return e;
  }

  async function decodeWithId(buffer: Buffer): Promise<{ schemaId: number; value: unknown }> {
    const schemaId = wireSchemaId(buffer);
    const t = await type(schemaId);
    return { schemaId, value: t.fromBuffer(buffer.subarray(WIRE_HEADER_BYTES)) };
  }

  return {
    url: api,
    register,
    listSubjects,
    lookup,
    latest,
    versions,
    version,
    deleteSubject,
    latestId,
    compatibility,
    setCompatibility,
    testCompatibility,
    type,
    schema,
    encoder,
    encode: async (schemaId, value) => (await encoder(schemaId))(value),
    decode: async (buffer) => (await decodeWithId(buffer)).value,
    decodeWithId,
  };
}
