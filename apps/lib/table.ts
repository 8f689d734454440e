/**
 * The one table formatter of the `efd` commands' human output: a header row, columns two spaces apart,
 * padded to their widest cell, right-aligned where asked (numbers), no trailing blanks.
 */

export type Cell = string | number | bigint | boolean | null | undefined;

export interface TableOptions {
  /** Indexes of the columns to right-align (counts, offsets, lags). */
  right?: number[];
  /** Text of a null/undefined cell (default "-"; an empty string stays empty). */
  empty?: string;
}

function text(c: Cell, empty: string): string {
  return c === null || c === undefined ? empty : String(c);
}

/** The table's lines: `header`, then one line per row. */
export function formatTable(header: string[], rows: Cell[][], o: TableOptions = {}): string[] {
  const empty = o.empty ?? '-';
  const right = new Set(o.right ?? []);
  const cells = [header, ...rows.map((r) => header.map((_, i) => text(r[i], empty)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}
