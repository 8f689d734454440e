/**
 * The dead-letter records of the sinks: the consumed record as it was (key, value, timestamp, headers)
 * with why it was not stored and where it came from in `efd.dlq.*` headers.
 */
import type { ConsumedMessage } from './kafka-consumer';

/** A consumed record a sink could not store, and why. */
export interface DeadRecord<R extends string = string> {
  message: ConsumedMessage;
  /** Reason code (the `reason` label of the sink's dead-letter metric). */
  reason: R;
  /** What went wrong, for a person (cut to 1,000 characters in the header). */
  detail: string;
}

/** The records to produce to the dead-letter topic for `dead`, all from `topic`/`partition`, by `app`. */
export function deadLetterMessages(app: string, topic: string, partition: number, dead: readonly DeadRecord[]) {
  return dead.map((d) => ({
    key: d.message.key,
    value: d.message.value,
    timestamp: Number(d.message.timestamp),
    headers: {
      ...d.message.headers,
      'efd.dlq.reason': d.reason,
      'efd.dlq.message': d.detail.slice(0, 1000),
      'efd.dlq.topic': topic,
      'efd.dlq.partition': String(partition),
      'efd.dlq.offset': d.message.offset,
      'efd.dlq.app': app,
    },
  }));
}
