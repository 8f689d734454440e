/**
 * The value ranges of the SAL (IDL) integer types, and the size limits salschema puts on a topic —
 * one place for both, used by the reader (enumeration values, Count, IDL_Size), salmock (values it
 * draws) and the checks of saltransform and the sink.
 *
 * Ranges are the IDL ones (`long` is 32-bit, `long long` 64-bit), as bigints so the 64-bit edges are
 * exact. `unsigned long long` stops at 2^63 − 1: its Avro type is `long` (signed 64-bit), so larger
 * values cannot be stored; `byte` is unsigned 8-bit as in SAL (ts_salobj maps it to uint8).
 */
import type { IdlType } from './ts-xml';

/** Inclusive range of each integer IDL type, as stored in the EFD. */
export const IDL_INTEGER_RANGE: Readonly<Partial<Record<IdlType, readonly [bigint, bigint]>>> = {
  byte: [0n, 255n],
  octet: [0n, 255n],
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  'unsigned short': [0n, 2n ** 16n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  'unsigned int': [0n, 2n ** 32n - 1n],
  long: [-(2n ** 31n), 2n ** 31n - 1n],
  'unsigned long': [0n, 2n ** 32n - 1n],
  'long long': [-(2n ** 63n), 2n ** 63n - 1n],
  'unsigned long long': [0n, 2n ** 63n - 1n],
};

/**
 * Limits on what one topic may declare. The largest real values (ts_xml v28, apps/salschema/ts-xml-profile.ts)
 * are a Count of 3,024 and 14,486 values in one topic; the limits leave room for growth but refuse sizes
 * no SAL message can carry (a Count of 10^9 would make every producer run out of memory).
 */
export const TOPIC_LIMITS = {
  /** Values of one item (`<Count>`). */
  count: 100_000,
  /** Values of one topic (the sum of its items' Counts). */
  valuesPerTopic: 200_000,
  /** `<IDL_Size>` of a string: Kafka's default largest message (1 MiB). */
  idlSize: 1_048_576,
} as const;
