/**
 * InfluxDB-style durations ("1h", "24h", "7d", "4w", "INF") used by sites for
 * retention tiers and Kafka retention. One parser, so every construct agrees.
 */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export const DURATION_PATTERN = /^(\d+[smhdw])+$|^INF$/;

/** Seconds in a duration such as "1h30m" or "7d"; Infinity for "INF". Throws on anything else. */
export function durationSeconds(text: string): number {
  if (text === 'INF') return Infinity;
  if (!DURATION_PATTERN.test(text)) {
    throw new Error(`"${text}" is not a duration: use a number and a unit of s, m, h, d or w, e.g. "1h" or "7d"`);
  }
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhdw])/g)) total += Number(n) * UNIT_SECONDS[unit];
  return total;
}

/** Hours in a duration, rounded up (Kafka's log.retention.hours is an integer). */
export function durationHours(text: string): number {
  return Math.ceil(durationSeconds(text) / 3600);
}
