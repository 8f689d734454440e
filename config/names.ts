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
