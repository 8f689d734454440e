/**
 * Parsing of ts_xml `<Enumeration>` text into named numeric constants.
 *
 * The text is a comma-separated list of entries, each either `NAME` or
 * `NAME=value`. Values may be decimal (leading zeros allowed: `04` is 4) or
 * hexadecimal (`0x05`). An entry without a value takes the previous value + 1;
 * the first implicit value is 1 (SAL numbers `Enum_One, Enum_Two` as 1, 2).
 */

/** One named constant of an enumeration. */
export interface SalEnumSymbol {
  name: string;
  value: number;
}

/** A parsed `<Enumeration>` element. */
export interface SalEnumeration {
  /** Shared prefix of the symbol names before the first `_` (e.g. `AzimuthState`), if all share one. */
  name?: string;
  symbols: SalEnumSymbol[];
}

/** Result of parsing one `<Enumeration>` text: the enumeration, or a reason it is invalid. */
export type EnumerationParse = { ok: true; enumeration: SalEnumeration } | { ok: false; error: string };

/** Value given to the first entry that has no explicit value. */
export const FIRST_IMPLICIT_ENUM_VALUE = 1;

const SYMBOL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DECIMAL = /^[+-]?\d+$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]+)$/;

/** Parses an explicit enumeration value: decimal (leading zeros allowed) or `0x` hexadecimal. */
export function parseEnumValue(text: string): number | undefined {
  const t = text.trim();
  const hex = HEX.exec(t);
  if (hex) return (hex[1] === '-' ? -1 : 1) * parseInt(hex[2], 16);
  if (DECIMAL.test(t)) return parseInt(t, 10);
  return undefined;
}

/** Splits the entries; empty entries (a trailing comma) are ignored. */
function splitEntries(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Common prefix before the first underscore, when every symbol has the same one. */
function groupName(symbols: SalEnumSymbol[]): string | undefined {
  const prefixes = new Set(symbols.map((s) => (s.name.includes('_') ? s.name.slice(0, s.name.indexOf('_')) : '')));
  const [only] = [...prefixes];
  return prefixes.size === 1 && only ? only : undefined;
}

/** Parses one entry given the previous value; returns the symbol or an error message. */
function parseEntry(entry: string, previous: number | undefined): SalEnumSymbol | string {
  const eq = entry.indexOf('=');
  const name = (eq < 0 ? entry : entry.slice(0, eq)).trim();
  if (!SYMBOL_NAME.test(name)) return `enumeration entry "${entry}" has an invalid name; use letters, digits and _`;
  if (eq < 0) return { name, value: previous === undefined ? FIRST_IMPLICIT_ENUM_VALUE : previous + 1 };
  const value = parseEnumValue(entry.slice(eq + 1));
  if (value === undefined) {
    return `enumeration entry "${entry}" has a value that is not a number; use decimal (4) or hex (0x04)`;
  }
  return { name, value };
}

/** Parses the text of a ts_xml `<Enumeration>` element. */
export function parseEnumeration(text: string): EnumerationParse {
  const symbols: SalEnumSymbol[] = [];
  const seen = new Set<string>();
  for (const entry of splitEntries(text)) {
    const parsed = parseEntry(entry, symbols.at(-1)?.value);
    if (typeof parsed === 'string') return { ok: false, error: parsed };
    if (seen.has(parsed.name)) return { ok: false, error: `enumeration symbol ${parsed.name} is listed twice` };
    seen.add(parsed.name);
    symbols.push(parsed);
  }
  if (symbols.length === 0) return { ok: false, error: 'enumeration is empty; list NAME or NAME=value entries' };
  const name = groupName(symbols);
  return { ok: true, enumeration: name ? { name, symbols } : { symbols } };
}
