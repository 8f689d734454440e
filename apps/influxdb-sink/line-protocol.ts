/**
 * InfluxDB line protocol, written by hand for speed (the sink serializes every record), with the
 * escaping rules of InfluxDB 1.8 (the same output as @influxdata/influxdb-client's Point, checked by
 * the unit tests): measurement — `,` and space; tag keys/values and field keys — `,` `=` space and
 * newline; string field values — `"` and `\`.
 */

const MEASUREMENT = /[, \n\r\t]/;
const MEASUREMENT_ALL = /[, \n\r\t]/g;
const KEY = /[, =\n\r\t]/;
const KEY_ALL = /[, =\n\r\t]/g;
const STRING = /["\\]/;
const STRING_ALL = /["\\]/g;
const CONTROL: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeMeasurement(s: string): string {
  return MEASUREMENT.test(s) ? s.replace(MEASUREMENT_ALL, (c) => CONTROL[c] ?? `\\${c}`) : s;
}

/** Tag keys, tag values and field keys. */
export function escapeKey(s: string): string {
  return KEY.test(s) ? s.replace(KEY_ALL, (c) => CONTROL[c] ?? `\\${c}`) : s;
}

export function quoteString(s: string): string {
  return STRING.test(s) ? `"${s.replace(STRING_ALL, (c) => `\\${c}`)}"` : `"${s}"`;
}

/** Float field value; undefined for NaN and ±Infinity, which InfluxDB refuses. */
export function floatValue(n: number): string | undefined {
  return Number.isFinite(n) ? String(n) : undefined;
}

/** Integer field value (`<n>i`); undefined when not an integer. */
export function intValue(n: number | bigint): string | undefined {
  if (typeof n === 'bigint') return `${n}i`;
  return Number.isInteger(n) ? `${n}i` : undefined;
}

/** A whole line: `<measurement>[,<tags>] <fields> <timestamp>`; tags and fields already escaped as `k=v`. */
export function line(measurement: string, tags: string, fields: string, timestamp: string): string {
  return `${measurement}${tags ? `,${tags}` : ''} ${fields} ${timestamp}`;
}
