/**
 * What every `efd alerts` command (produce, filter, consume) takes alike: the Kafka client settings and the
 * alert topics' prefix, with their environment variables (the registry's too; each command says whether it
 * needs one).
 */
import { z } from 'zod';
import { KAFKA_ENV, kafkaConfigShape, REGISTRY_ENV } from '../lib/config';

/** Kafka settings + `topicPrefix` (default '': `alerts`, `Filter001`, …). */
export const alertsClientShape = {
  ...kafkaConfigShape,
  topicPrefix: z.string().default(''),
};

/** Environment variables of `alertsClientShape` and of `registry`. */
export const ALERTS_CLIENT_ENV = {
  ...KAFKA_ENV,
  ...REGISTRY_ENV,
  topicPrefix: 'ALERTS_TOPIC_PREFIX',
} as const;
