/**
 * Decoding the alert stream for the filters: Confluent wire format (schema id from the registry), read with
 * a reader schema that keeps only the fields the group's filters use (plus alertId and the ccdVisitId the
 * visit comes from), so Avro resolution skips everything else (cutouts, previous sources …) instead of
 * building it. A writer schema that cannot be cut down that way is read whole.
 *
 * A record that is not in the wire format, names a schema the registry does not hold, or does not decode
 * is reported as bad (reason + message), never thrown: the runner logs and skips it. A registry that does
 * not answer throws (the batch is read again).
 */
import type { Schema as AvscSchema, Type } from 'avsc';
import { avroType } from '../lib/avro-type';
import { WIRE_HEADER_BYTES, MAGIC_BYTE, type Registry } from '../lib/registry';

/** Why a record was skipped. */
export type BadReason = 'not-avro' | 'unknown-schema' | 'decode' | 'no-visit' | 'no-alert-id';

export type Decoded = { ok: true; alert: Record<string, unknown> } | { ok: false; reason: BadReason; message: string };

/** The fields every decoded alert has, whatever the filters use: the id and where the visit comes from. */
export const ALWAYS_DECODED = ['alertId', 'diaSource.ccdVisitId'] as const;

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

type SchemaNode = string | SchemaNode[] | { [k: string]: unknown };

/**
 * The schema with only the record fields on the way to `paths` (dotted), or undefined when it cannot be
 * cut down safely: a kept field refers to a named type by name (its definition may be among the fields
 * dropped) or a path goes through an array or map.
 */
export function projectSchema(schema: AvscSchema, paths: readonly string[]): AvscSchema | undefined {
  const wanted = new Set(paths);
  const prefixes = new Set<string>();
  for (const p of paths) {
    const parts = p.split('.');
    for (let i = 1; i < parts.length; i++) prefixes.add(parts.slice(0, i).join('.'));
  }
  let ok = true;
  /** A type kept whole (a leaf): fine unless it names a type defined elsewhere. */
  const whole = (t: SchemaNode): SchemaNode => {
    if (typeof t === 'string') {
      if (!PRIMITIVES.has(t)) ok = false;
      return t;
    }
    if (Array.isArray(t)) return t.map(whole);
    const type = t.type as SchemaNode;
    if (type === 'record' || type === 'error') {
      for (const f of (t.fields as { type: SchemaNode }[]) ?? []) whole(f.type);
    } else if (type === 'array') whole(t.items as SchemaNode);
    else if (type === 'map') whole(t.values as SchemaNode);
    else if (typeof type !== 'string' || (!PRIMITIVES.has(type) && type !== 'enum' && type !== 'fixed')) whole(type);
    return t;
  };
  /** A type on the way to a wanted path: its record fields cut down. */
  const cut = (t: SchemaNode, path: string): SchemaNode => {
    if (Array.isArray(t)) return t.map((b) => (typeof b === 'string' && b === 'null' ? b : cut(b, path)));
    if (typeof t === 'string' || (t.type !== 'record' && t.type !== 'error')) {
      ok = false; // a path through something that is not a record defined here
      return t;
    }
    const fields = (t.fields as { name: string; type: SchemaNode }[]).flatMap((f) => {
      const p = path ? `${path}.${f.name}` : f.name;
      if (wanted.has(p)) return [{ ...f, type: whole(f.type) }];
      if (prefixes.has(p)) return [{ ...f, type: cut(f.type, p) }];
      return [];
    });
    return { ...t, fields };
  };
  const out = cut(schema as unknown as SchemaNode, '');
  return ok ? (out as unknown as AvscSchema) : undefined;
}

interface Prepared {
  read: (body: Buffer) => Record<string, unknown>;
  projected: boolean;
}
interface Failed {
  reason: BadReason;
  message: string;
  until: number;
}

export interface AlertDecoderOptions {
  registry: Pick<Registry, 'schema'>;
  /** Alert fields the filters read (dotted paths). */
  fields: readonly string[];
  /** How long a schema id the registry did not know is skipped before it is asked again. @default 60 s */
  recheckMs?: number;
  now?: () => number;
}

/** Schema id of a wire-format value, or undefined. */
export function schemaIdOf(value: Buffer | null): number | undefined {
  return value && value.length >= WIRE_HEADER_BYTES && value[0] === MAGIC_BYTE ? value.readUInt32BE(1) : undefined;
}

/** Decodes alerts of any schema id the registry holds, projected on the filters' fields. */
export class AlertDecoder {
  private readonly prepared = new Map<number, Prepared | Failed>();
  private readonly paths: string[];
  private readonly now: () => number;
  private readonly recheckMs: number;

  constructor(private readonly o: AlertDecoderOptions) {
    this.paths = [...new Set([...ALWAYS_DECODED, ...o.fields])].sort();
    this.now = o.now ?? Date.now;
    this.recheckMs = o.recheckMs ?? 60_000;
  }

  /** Whether schema id `id` is read with a cut-down reader schema (after {@link prepare}). */
  projected(id: number): boolean {
    const p = this.prepared.get(id);
    return !!p && 'read' in p && p.projected;
  }

  /** Loads the schemas of these values (throws when the registry does not answer). */
  async prepare(values: readonly (Buffer | null)[]): Promise<void> {
    const ids = new Set<number>();
    for (const v of values) {
      const id = schemaIdOf(v);
      if (id !== undefined) ids.add(id);
    }
    for (const id of ids) {
      const have = this.prepared.get(id);
      if (have && ('read' in have || have.until > this.now())) continue;
      this.prepared.set(id, await this.load(id));
    }
  }

  private async load(id: number): Promise<Prepared | Failed> {
    let schema: AvscSchema;
    try {
      schema = await this.o.registry.schema(id);
    } catch (err) {
      const e = err as { status?: number; message: string };
      if (e.status === 404) return { reason: 'unknown-schema', message: e.message, until: this.now() + this.recheckMs };
      throw err;
    }
    let writer: Type;
    try {
      writer = avroType(schema);
    } catch (err) {
      return { reason: 'unknown-schema', message: `schema id ${id} does not compile: ${(err as Error).message}`, until: Infinity };
    }
    const cut = projectSchema(schema, this.paths);
    if (cut) {
      try {
        const reader = avroType(cut);
        const resolver = reader.createResolver(writer);
        return { read: (body) => reader.fromBuffer(body, resolver, true) as Record<string, unknown>, projected: true };
      } catch {
        // a reader the writer does not resolve to: read whole
      }
    }
    return { read: (body) => writer.fromBuffer(body) as Record<string, unknown>, projected: false };
  }

  /** A value as an alert, or why not (synchronous: {@link prepare} the batch first). */
  decode(value: Buffer | null): Decoded {
    const id = schemaIdOf(value);
    if (id === undefined) {
      const head = value ? value.subarray(0, 5).toString('hex') || '<empty>' : '<null>';
      return {
        ok: false,
        reason: 'not-avro',
        message: `not in the Confluent wire format (expected magic byte 0 and a 4-byte schema id, got ${value ? `${value.length} byte(s) starting ${head}` : 'no value'})`,
      };
    }
    const p = this.prepared.get(id);
    if (!p) return { ok: false, reason: 'unknown-schema', message: `schema id ${id} was not prepared` };
    if (!('read' in p)) return { ok: false, reason: p.reason, message: p.message };
    try {
      return { ok: true, alert: p.read(value!.subarray(WIRE_HEADER_BYTES)) };
    } catch (err) {
      return { ok: false, reason: 'decode', message: `does not decode with schema id ${id}: ${(err as Error).message}` };
    }
  }
}
