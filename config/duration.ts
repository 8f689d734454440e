/**
 * InfluxDB-style durations ("1h", "24h", "7d", "4w", "INF") used by sites for
 * retention tiers and Kafka retention. One parser, so every construct agrees:
 * the site schema reports its errors on the field (file, line), the apps on
 * their flag.
 */
import { z } from 'zod';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export const DURATION_PATTERN = /^(\d+[smhdw])+$|^INF$/;

/** Words people write for the units ("24 hours", "30 min"), for the hint only. */
const UNIT_WORDS: [RegExp, string][] = [
  [/^(s|secs?|seconds?)$/i, 's'],
  [/^(m|mins?|minutes?)$/i, 'm'],
  [/^(h|hrs?|hours?)$/i, 'h'],
  [/^(d|days?)$/i, 'd'],
  [/^(w|wks?|weeks?)$/i, 'w'],
];

/** The duration the text most likely meant ("24 hours" → "24h"), if any. */
function suggestion(text: string): string | undefined {
  const m = /^\s*(\d+)\s*([A-Za-z]+)\s*$/.exec(text);
  if (m) {
    const unit = UNIT_WORDS.find(([re]) => re.test(m[2]))?.[1];
    if (unit) return `${m[1]}${unit}`;
  }
  if (/^\s*(inf|infinite|infinity|forever)\s*$/i.test(text)) return 'INF';
  return undefined;
}

/** The message for text that is not a duration, with a suggestion when one is likely. */
export function notADuration(text: string): string {
  const hint = suggestion(text);
  return `"${text}" is not a duration: use a number and a unit of s, m, h, d or w${hint ? `, e.g. "${hint}"` : ', e.g. "1h" or "7d"'} (or "INF")`;
}

/** Seconds in a duration such as "1h30m" or "7d"; Infinity for "INF". Throws on anything else. */
export function durationSeconds(text: string): number {
  if (text === 'INF') return Infinity;
  if (typeof text !== 'string' || !DURATION_PATTERN.test(text)) throw new Error(notADuration(String(text)));
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhdw])/g)) total += Number(n) * UNIT_SECONDS[unit];
  if (!Number.isSafeInteger(total * 1000))
    throw new Error(`"${text}" is too long a duration: expected at most ${Math.floor(Number.MAX_SAFE_INTEGER / 1000 / 86400)}d (or "INF")`);
  return total;
}

/** Milliseconds in a duration, exactly (Infinity for "INF"). */
export function durationMs(text: string): number {
  const s = durationSeconds(text);
  return s === Infinity ? Infinity : s * 1000;
}

/** A duration field of the site schema: the text, checked by the one parser above. */
export const durationField = z.string().superRefine((text, ctx) => {
  try {
    durationSeconds(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});
