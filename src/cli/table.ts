/**
 * Plain-text tables for the CLI: right-aligned numbers, left-aligned text. One renderer for
 * every command, linear in the number of rows and safe at any size: widths are found in one
 * pass (no argument spreading, which overflows the stack past ~125k rows) and lines are
 * produced one at a time, so a caller can stream a million-row table with `writeLines`.
 */

export type Cell = string | number | bigint;

/** Group the digits of an integer in thousands (1234567 → "1,234,567"). A loop for integers: tables call it millions of times. */
export function groupDigits(v: number | bigint): string {
  const s = String(v);
  const sign = s.startsWith('-') ? 1 : 0;
  const digits = s.length - sign;
  if (!INTEGER.test(s)) return s.slice(0, sign) + s.slice(sign).replace(/\B(?=(\d{3})+(?!\d))/g, ','); // 1.5, NaN, 1e+21: as before
  const head = sign + (digits % 3 || 3);
  let out = s.slice(0, head);
  for (let i = head; i < s.length; i += 3) out += `,${s.slice(i, i + 3)}`;
  return out;
}

const INTEGER = /^-?\d+$/;

const NUMERIC = /^[-+]?[\d,.]+( \S+)?$/;

const cellText = (c: Cell): string => (typeof c === 'string' ? c : groupDigits(c));

/**
 * The lines of a table: header, rule, one line per row. Columns whose every cell looks
 * numeric are right-aligned. `rows` is iterated twice (widths, then lines), so it must be
 * an array or another re-iterable; each row's cells are formatted again on the second pass
 * rather than kept, so memory stays that of the rows themselves.
 */
export function* tableLines(header: readonly string[], rows: Iterable<readonly Cell[]>): Generator<string> {
  const widths = header.map((h) => h.length);
  const numeric = header.map(() => true);
  for (const row of rows) {
    for (let i = 0; i < header.length; i++) {
      const text = cellText(row[i] ?? '');
      if (text.length > widths[i]) widths[i] = text.length;
      if (numeric[i] && !NUMERIC.test(text)) numeric[i] = false;
    }
  }
  const line = (cells: readonly string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  yield line(header);
  yield line(widths.map((w) => '-'.repeat(w)));
  for (const row of rows) yield line(header.map((_, i) => cellText(row[i] ?? '')));
}

/** A whole table as one string (for the small tables of a report; stream large ones with tableLines). */
export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [...tableLines(header, rows)].join('\n');
}
