/**
 * Plain-SVG line charts for the explorer page: no library, no DOM (the chart is a string the
 * page inserts). Values arrive as exact bigints and become floating point only for their
 * position on the drawing; tick labels are round numbers of a chosen unit.
 */

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly dash?: string;
  /** [x, y] with x in ns since the reference and y in ns. */
  readonly points: readonly (readonly [bigint, bigint])[];
}

export interface ChartOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly width?: number;
  readonly height?: number;
}

/** Escape text for HTML and SVG. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const TIME_UNITS: readonly (readonly [string, number])[] = [
  ['y', 31_536_000e9],
  ['d', 86_400e9],
  ['h', 3_600e9],
  ['min', 60e9],
  ['s', 1e9],
  ['ms', 1e6],
  ['µs', 1e3],
  ['ns', 1],
];

/** The largest unit of which `span` holds at least 2 (so ticks read 0, 6, 12 h rather than 0, 0.25 d). */
export function timeUnit(spanNs: number): readonly [string, number] {
  return TIME_UNITS.find(([, ns]) => spanNs >= 2 * ns) ?? ['ns', 1];
}

const VALUE_UNITS: readonly (readonly [string, number])[] = [
  ['s', 1e9],
  ['ms', 1e6],
  ['µs', 1e3],
  ['ns', 1],
];

/** The unit for values up to `maxAbs` ns. */
export function valueUnit(maxAbs: number): readonly [string, number] {
  return VALUE_UNITS.find(([, ns]) => maxAbs >= ns) ?? ['ns', 1];
}

/** About `count` round tick values covering [lo, hi] (lo < hi). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

/**
 * An SVG line chart of the series, with axes, round ticks, units chosen from the data and a
 * legend. A degenerate range (a zero horizon, a flat series) is widened, never divided by.
 */
export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 300;
  // The legend: items in rows that fit the width, below the x axis.
  const legend: { readonly s: ChartSeries; readonly x: number; readonly row: number }[] = [];
  let lx = 72;
  let row = 0;
  for (const s of o.series) {
    const w = 30 + 7 * s.name.length;
    if (lx + w > width - 8 && lx > 72) {
      lx = 72;
      row++;
    }
    legend.push({ s, x: lx, row });
    lx += w;
  }
  const m = { left: 72, right: 16, top: 28, bottom: 46 + 18 * (row + 1) };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const xs = o.series.flatMap((s) => s.points.map(([x]) => Number(x)));
  const ys = o.series.flatMap((s) => s.points.map(([, y]) => Number(y)));
  const xMax = xs.length === 0 ? 0 : Math.max(...xs);
  const [xName, xScale] = timeUnit(xMax);
  let yLo = ys.length === 0 ? 0 : Math.min(0, ...ys);
  let yHi = ys.length === 0 ? 0 : Math.max(0, ...ys);
  const [yName, yScale] = valueUnit(Math.max(Math.abs(yLo), Math.abs(yHi)));
  yLo /= yScale;
  yHi /= yScale;
  if (yHi - yLo === 0) {
    yLo -= 1;
    yHi += 1;
  }
  const xHi = xMax > 0 ? xMax / xScale : 1;
  const yTicks = niceTicks(yLo, yHi);
  yLo = Math.min(yLo, yTicks[0]);
  yHi = Math.max(yHi, yTicks[yTicks.length - 1]);
  const px = (x: number) => m.left + (x / xScale / xHi) * pw;
  const py = (y: number) => m.top + (1 - (y / yScale - yLo) / (yHi - yLo)) * ph;
  const f = (n: number) => n.toFixed(1);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}" class="chart">`);
  parts.push(`<text x="${m.left}" y="16" class="chart-title">${escapeXml(o.title)}</text>`);
  for (const t of yTicks) {
    const y = f(m.top + (1 - (t - yLo) / (yHi - yLo)) * ph);
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" class="${t === 0 ? 'zero' : 'grid'}"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y}" dy="0.32em" text-anchor="end" class="tick">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(0, xHi)) {
    const x = f(m.left + (t / xHi) * pw);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${m.top + ph + 16}" text-anchor="middle" class="tick">${formatTick(t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" class="frame"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 34}" text-anchor="middle" class="axis">time since the reference (${xName})</text>`);
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeXml(o.yLabel)} (${yName})</text>`);
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${f(px(Number(x)))} ${f(py(Number(y)))}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${escapeXml(s.name)}</title></path>`);
  }
  for (const { s, x, row: r } of legend) {
    const ly = m.top + ph + 56 + 18 * r;
    parts.push(`<line x1="${x}" x2="${x + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    parts.push(`<text x="${x + 22}" y="${ly}" class="legend">${escapeXml(s.name)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}
