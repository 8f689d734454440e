/**
 * The desired connector set: what the ConnectorSet construct synthesizes into a ConfigMap and what
 * the connect manager applies. One ConfigMap key per connector, `<name>.json`, holding a
 * {@link ConnectorSpec}; mounted into the manager's pod as a folder of `<name>.json` files.
 *
 * The wire format between the constructs (which write it) and the connect manager (which reads it with
 * apps/connect-manager/desired.ts): a spec, an array of specs, or `{ "connectors": [...] }` per document.
 */
import { z } from 'zod';

/**
 * Config key the manager adds to every connector it creates: the connectors it may update and delete
 * are exactly those whose config carries its manager id. Kafka Connect passes unknown keys through
 * (they are reported as unused, never as errors), so the mark survives round trips through the worker.
 */
export const MANAGED_BY_KEY = 'efd.managed.by';

/** Connector names Kafka Connect accepts in REST paths without escaping surprises. */
export const CONNECTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,248}$/;

export const connectorSpecSchema = z.strictObject({
  /** Connector name (unique on the worker). */
  name: z.string().regex(CONNECTOR_NAME, { message: 'expected a connector name of letters, digits, ".", "_" or "-"' }),
  /**
   * Connector configuration as Kafka Connect takes it (string values). `name` may be omitted; secrets
   * appear only as config-provider references (`${dir:/path:key}`, `${file:...}`, `${env:...}`).
   */
  config: z.record(z.string(), z.string()).refine((c) => typeof c['connector.class'] === 'string' && c['connector.class'].length > 0, {
    message: 'expected "connector.class"',
  }),
  /**
   * Expand into an explicit `topics` list: every topic whose whole name matches this regular
   * expression (sorted). For connectors that take a fixed topic list; refreshed when topics appear.
   */
  topicsRegex: z.string().min(1).optional(),
});

export type ConnectorSpec = z.infer<typeof connectorSpecSchema>;

const fileSchema = z.union([
  connectorSpecSchema,
  z.array(connectorSpecSchema),
  z.strictObject({ connectors: z.array(connectorSpecSchema) }),
]);

/** Config keys whose values are secret material (must be config-provider references). */
export const SECRET_KEY = /(^|[._-])(password|secret|token)$|secret[._-]access[._-]key$|credentials[._-]json$/i;

/** Problems with a spec that the schema cannot express (all reported, naming the connector and key). */
export function specProblems(spec: ConnectorSpec): string[] {
  const problems: string[] = [];
  const where = `connector ${spec.name}`;
  const c = spec.config;
  if (c.name !== undefined && c.name !== spec.name) problems.push(`${where}: config.name "${c.name}" differs from the connector name`);
  if (spec.topicsRegex !== undefined) {
    try {
      new RegExp(spec.topicsRegex);
    } catch (err) {
      problems.push(`${where}: topicsRegex is not a valid regular expression (${(err as Error).message})`);
    }
    if (c.topics !== undefined || c['topics.regex'] !== undefined) {
      problems.push(`${where}: topicsRegex is expanded into "topics"; remove config.topics / config["topics.regex"]`);
    }
  }
  if (c[MANAGED_BY_KEY] !== undefined) problems.push(`${where}: config["${MANAGED_BY_KEY}"] is set by the manager; remove it`);
  for (const [k, v] of Object.entries(c)) {
    if (SECRET_KEY.test(k) && v !== '' && !v.includes('${')) {
      problems.push(`${where}: config["${k}"] holds a literal secret; use a config-provider reference such as \${dir:/path/to/secret:key}`);
    }
  }
  return problems;
}

/** Validates a list of specs (schema, per-spec rules, unique names); throws with every problem. */
export function validateSpecs(specs: ConnectorSpec[], source: string): ConnectorSpec[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) problems.push(`connector ${s.name}: declared twice`);
    seen.add(s.name);
    problems.push(...specProblems(s));
  }
  if (problems.length) throw new Error(`desired connectors in ${source} are invalid:\n  ${problems.join('\n  ')}`);
  return [...specs].sort((a, b) => a.name.localeCompare(b.name));
}

/** Parses one JSON document (spec, array of specs, or `{connectors}`); errors name the source and path. */
export function parseDesired(text: string, source: string): ConnectorSpec[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`desired connectors in ${source}: not JSON (${(err as Error).message})`);
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new Error(
      `desired connectors in ${source}: expected a connector spec {name, config, topicsRegex?}, an array of them, or {connectors: [...]}:\n  ${lines.join('\n  ')}`,
    );
  }
  const v = r.data;
  return Array.isArray(v) ? v : 'connectors' in v ? v.connectors : [v];
}

/** ConfigMap data of a connector set: `<name>.json` → pretty JSON of the spec (stable key order). */
export function toConfigMapData(specs: ConnectorSpec[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const s of validateSpecs(specs, 'the connector set')) {
    const config = Object.fromEntries(Object.entries(s.config).sort(([a], [b]) => a.localeCompare(b)));
    const doc: ConnectorSpec = { name: s.name, config, ...(s.topicsRegex ? { topicsRegex: s.topicsRegex } : {}) };
    data[`${s.name}.json`] = `${JSON.stringify(doc, null, 2)}\n`;
  }
  return data;
}
