/**
 * Schema registry compatibility: the ONE place that knows how the EFD's
 * registry differs from Confluent Schema Registry.
 *
 * The local EFD runs Apicurio Registry 3.3.3, whose Confluent-compatible API
 * ("ccompat") lives under `/apis/ccompat/v7` of the server root, while a
 * Confluent registry serves the same API at its root. Apps and converters
 * take the *API URL*; get it from `registryApiUrl(base)` and never build it by hand.
 *
 * Verified against Apicurio 3.3.3 (test/integration/smoke.int.test.ts checks
 * the flags below against the running server):
 *  - same as Confluent: POST /subjects/<s>/versions → {id}; ids are per schema content, so the same schema
 *    under two subjects gets one id; GET /schemas/ids/<id>; GET/PUT /config and /config/<s>
 *    ({"compatibility": L} in, {"compatibilityLevel": L} out); POST /compatibility/subjects/<s>/versions/latest
 *    → {is_compatible}, `true` for a subject that does not exist (as Confluent ≥ 5.5); 409 on an incompatible
 *    registration; DELETE /subjects/<s> then ?permanent=true; @kafkajs/confluent-schema-registry
 *    register/encode/decode (Confluent wire format: magic 0 + 4-byte id + Avro body).
 *  - different (flags in APICURIO): see the doc comment of each RegistryBehaviour field; and GET /subjects
 *    answers at most 1,000 subjects (its default `limit`): read it in pages with `?offset=…&limit=…`
 *    (apps/salschema/import.ts listSubjects).
 */

export type RegistryFlavor = 'apicurio' | 'confluent';

export interface RegistryBehaviour {
  flavor: RegistryFlavor;
  /** Path of the Confluent-compatible API below the server root. */
  apiPath: string;
  /**
   * Global compatibility of a new registry. Apicurio: NONE (the local EFD starts it with
   * `apicurio.rules.global.compatibility=BACKWARD`, see scripts/local-efd/configs.ts); Confluent: BACKWARD.
   * Apps that depend on a level must PUT it explicitly.
   */
  defaultCompatibility: 'NONE' | 'BACKWARD';
  /**
   * PUT /mode {"mode":"IMPORT"} then POST /subjects/<s>/versions with {"id","version"} registers the schema
   * under exactly that id and version (how replicas keep schema ids). Apicurio accepts and reports the
   * IMPORT mode but ignores id and version: the schema gets the next free id and version 1.
   * A replica fed by Apicurio therefore cannot preserve ids: copy records byte-for-byte (MirrorMaker 2,
   * ByteArrayConverter) and replicate schemas so that ids match by content, or re-encode on the target.
   */
  importKeepsIds: boolean;
  /** PUT /mode {"mode":"READONLY"} makes registrations fail. Apicurio: stored and reported, not enforced. */
  readOnlyEnforced: boolean;
  /** POST /compatibility/...?verbose=true answers `messages` explaining an incompatibility. Apicurio: no. */
  verboseCompatibilityMessages: boolean;
  /**
   * GET /config/<s> for a subject without its own level: Apicurio answers the global level (200);
   * Confluent answers 404 (error 40408) unless `?defaultToGlobal=true`. Pass `defaultToGlobal=true` always.
   */
  subjectConfigFallsBackToGlobal: boolean;
}

export const APICURIO: RegistryBehaviour = {
  flavor: 'apicurio',
  apiPath: '/apis/ccompat/v7',
  defaultCompatibility: 'NONE',
  importKeepsIds: false,
  readOnlyEnforced: false,
  verboseCompatibilityMessages: false,
  subjectConfigFallsBackToGlobal: true,
};

export const CONFLUENT: RegistryBehaviour = {
  flavor: 'confluent',
  apiPath: '',
  defaultCompatibility: 'BACKWARD',
  importKeepsIds: true,
  readOnlyEnforced: true,
  verboseCompatibilityMessages: true,
  subjectConfigFallsBackToGlobal: false,
};

/** The registry flavor of the EFD (local and deployed): Apicurio unless EFD_REGISTRY_FLAVOR=confluent. */
export function registryFlavor(): RegistryFlavor {
  return process.env.EFD_REGISTRY_FLAVOR === 'confluent' ? 'confluent' : 'apicurio';
}

export function registryBehaviour(flavor: RegistryFlavor = registryFlavor()): RegistryBehaviour {
  return flavor === 'confluent' ? CONFLUENT : APICURIO;
}

/**
 * Confluent-API URL for a registry server root (`http://host:8081` → `http://host:8081/apis/ccompat/v7`
 * for Apicurio). Idempotent: a URL that already ends with the API path is returned unchanged.
 */
export function registryApiUrl(base: string, flavor: RegistryFlavor = registryFlavor()): string {
  const root = base.replace(/\/+$/, '');
  const { apiPath } = registryBehaviour(flavor);
  return apiPath && !root.endsWith(apiPath) ? `${root}${apiPath}` : root;
}

/** Arguments for `new SchemaRegistry(...)` of @kafkajs/confluent-schema-registry. */
export function schemaRegistryClientArgs(base: string, flavor: RegistryFlavor = registryFlavor()): { host: string } {
  return { host: registryApiUrl(base, flavor) };
}

/** Content type of the Confluent API (both flavors accept it, and plain application/json). */
export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
