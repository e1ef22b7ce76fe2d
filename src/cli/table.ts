/** Plain-text tables for the CLI: right-aligned numbers, left-aligned text. */

export type Cell = string | number | bigint;

/** Group the digits of an integer in thousands (1234567 → "1,234,567"). */
export function groupDigits(v: number | bigint): string {
  const s = String(v);
  const negative = s.startsWith('-');
  const digits = negative ? s.slice(1) : s;
  return (negative ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Render rows under a header; columns whose every cell looks numeric are right-aligned. */
export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'string' ? c : groupDigits(c))));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  const numeric = header.map((_, i) => text.every((r) => /^[-+]?[\d,.]+( \S+)?$/.test(r[i])));
  const line = (cells: readonly string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}
