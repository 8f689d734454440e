/**
 * The name patterns of the EFD, one definition each: the site schema, the constructs and the apps
 * import them from here.
 */
import { z } from 'zod';

/** Kubernetes object names (RFC 1123 labels): namespaces, Secrets, StorageClasses, sites. */
export const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Kafka topic names (the broker's legal characters and length). */
export const KAFKA_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/** Identifiers as InfluxDB and the connectors take them: databases, retention policies, fields, tags. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A Kafka topic name in the site schema. */
export const topicNameSchema = z.string().regex(KAFKA_TOPIC, { message: 'expected a Kafka topic name' });

/** A regular expression in the site schema (topic selections): it must compile. */
export const regexSchema = z
  .string()
  .min(1)
  .refine(
    (r) => {
      try {
        new RegExp(r);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected a valid regular expression' },
  );

/** The SAL topics' family in Kafka: `[<prefix>]lsst.sal.<EFDB_Topic>` (the prefix: a test prefix, or `<site>.` after replication). */
export const SAL_TOPIC_INFIX = 'lsst.sal.';

/** The 1 Hz aggregated topics' family: `[<prefix>]lsst.efd.agg.<EFDB_Topic>`. */
export const AGG_TOPIC_INFIX = 'lsst.efd.agg.';

/** Avro namespace of the aggregated schemas (the infix without its trailing dot). */
export const AGG_NAMESPACE = AGG_TOPIC_INFIX.slice(0, -1);

/**
 * The naming rule of the aggregator, one place: `[<prefix>]lsst.sal.<Topic>` → `[<prefix>]lsst.efd.agg.<Topic>`
 * (a prefix before the family, such as `summit.` at the aggregator site, is kept); undefined for a topic
 * outside the SAL family.
 */
export function aggregatedTopicOf(topic: string): string | undefined {
  const at = topic.indexOf(SAL_TOPIC_INFIX);
  if (at < 0 || topic.length === at + SAL_TOPIC_INFIX.length) return undefined;
  return `${topic.slice(0, at)}${AGG_TOPIC_INFIX}${topic.slice(at + SAL_TOPIC_INFIX.length)}`;
}

const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, (c) => (c === '.' ? '[.]' : `\\${c}`));

/**
 * Whole-name regex (Kafka Connect `topics.regex` style) of the aggregated topics written under `prefix`
 * (`''`: the site's own, `summit.`: a replicated source's): what the sinks of aggregated topics select.
 */
export function aggregatedTopicsRegex(prefix = ''): string {
  return `${regexEscape(prefix)}${regexEscape(AGG_TOPIC_INFIX)}.*`;
}

/** Whole-name regex of the SAL topics under `prefix` (the aggregator's input). */
export function salTopicsRegex(prefix = ''): string {
  return `${regexEscape(prefix)}${regexEscape(SAL_TOPIC_INFIX)}.*`;
}

/** Whole-name regex of the aggregated topics of several prefixes (an aggregator site's sources): one alternative each. */
export function aggregatedTopicsRegexOf(prefixes: readonly string[]): string {
  if (prefixes.length === 0) throw new Error('expected at least one topic prefix');
  const all = prefixes.map((p) => aggregatedTopicsRegex(p ? `${p}.` : ''));
  return all.length === 1 ? all[0] : `(?:${all.join('|')})`;
}

/** A source prefix as a SQL identifier part: `test-stand` → `test_stand`. */
const sqlPart = (prefix: string) => prefix.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * The table of an aggregated topic in the JDBC long-term store: `<prefix>.lsst.efd.agg.<Topic>` →
 * `<prefix>_<Topic>` (`summit.lsst.efd.agg.ATDome_position` → `summit_ATDome_position`; `-` and `.` in
 * the prefix → `_`), a site's own `lsst.efd.agg.<Topic>` → `<Topic>`; undefined for a topic outside the family.
 * The database folds the unquoted name (PostgreSQL: `summit_atdome_position`).
 */
export function aggregatedTableName(topic: string): string | undefined {
  const at = topic.indexOf(AGG_TOPIC_INFIX);
  if (at < 0 || topic.length === at + AGG_TOPIC_INFIX.length) return undefined;
  if (at > 0 && topic[at - 1] !== '.') return undefined;
  const prefix = at > 0 ? topic.slice(0, at - 1) : '';
  const table = topic.slice(at + AGG_TOPIC_INFIX.length);
  return prefix ? `${sqlPart(prefix)}_${table}` : table;
}

/**
 * The same rule as Kafka Connect RegexRouter transforms (whole-name match, `$1` replacement), one per
 * source prefix (`''`: the site's own topics), for the JDBC sink of the aggregated topics.
 */
export function aggregatedTableRoutes(prefixes: readonly string[]): { name: string; regex: string; replacement: string }[] {
  const seen = new Set<string>();
  return prefixes.map((p) => {
    if ((p && !/^[A-Za-z0-9._-]+$/.test(p)) || p.startsWith('.') || p.endsWith('.'))
      throw new Error(`"${p}" is not a topic prefix (letters, digits, ".", "_" or "-", without the trailing ".")`);
    const name = p ? `table_${sqlPart(p)}` : 'table';
    if (seen.has(name)) throw new Error(`prefixes ${prefixes.join(', ')} give the same table names (${name})`);
    seen.add(name);
    return {
      name,
      regex: `${regexEscape(p ? `${p}.` : '')}${regexEscape(AGG_TOPIC_INFIX)}(.+)`,
      replacement: p ? `${sqlPart(p)}_$1` : '$1',
    };
  });
}

/** The alert stream (seed 004): every alert of a visit, `[<prefix>]alerts`. */
export const ALERTS_TOPIC = 'alerts';

/** The output topic of filter `n` (1-based), as the seed names them: `Filter001` … `Filter100`. */
export function filterTopicOf(n: number, prefix = ''): string {
  if (!Number.isInteger(n) || n < 1 || n > 999) throw new Error(`filter number ${n}: expected an integer from 1 to 999`);
  return `${prefix}Filter${String(n).padStart(3, '0')}`;
}
