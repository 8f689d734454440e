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
