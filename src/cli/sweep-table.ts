/**
 * The table of a sweep's worst points: each kept row is rendered once, when it makes the
 * cut, into one compact string (about 200 bytes), and the table is streamed line by line at
 * the end, so `--top 1000000` costs memory for its rows only and time linear in them.
 */
import { formatDurationNs } from '../duration.js';
import { formatDecimal } from '../rational.js';
import type { ExactPoint } from '../sweep/exact-point.js';
import type { SweepResult } from '../sweep/format.js';
import type { Grid } from '../sweep/grid.js';
import type { SweepProgress } from '../sweep/run.js';
import { type WriteText, writeLines } from './stream-writer.js';
import { groupDigits, tableLines } from './table.js';

/** A row of the worst-points table as kept while the sweep runs: its grid index and its cells, rendered once. */
export interface TopRow {
  readonly index: number;
  /** The cells joined by a unit separator: one compact string per kept row. */
  readonly cells: string;
}

const CELL_SEPARATOR = '\u001f';

const signedDigits = (v: bigint) => (v > 0n ? `+${groupDigits(v)}` : groupDigits(v));

/** The table row of a point; `withKernel` adds its kernel profile after the vendor (a sweep over several profiles). */
export function topRow(r: SweepResult, samples: bigint, withKernel = false): TopRow {
  const x = r as ExactPoint & { sampled?: SweepResult['sampled']; kernel?: string };
  const cells = [
    groupDigits(x.hostKhz),
    groupDigits(x.guestKhz),
    x.vendor,
    ...(withKernel ? [x.kernel ?? '6.18'] : []),
    formatDurationNs(x.horizonS * 1_000_000_000n),
    x.scaled ? `ratio ${x.tgtKhz === BigInt(x.guestKhz) ? 'exact' : `tgt ${groupDigits(x.tgtKhz)}`}` : x.scaling,
    signedDigits(x.bMinusA),
    signedDigits(x.bMinusC),
    signedDigits(x.cMinusA),
    formatDecimal(x.ratePpb.bMinusA, 3),
    formatDecimal(x.ratePpb.bMinusC, 3),
    signedDigits(x.resnapshotStepNs),
  ];
  if (samples > 0n && x.sampled) cells.push(`${signedDigits(x.sampled.bMinusA.min.ns)} … ${signedDigits(x.sampled.bMinusA.max.ns)}`);
  return { index: r.index, cells: cells.join(CELL_SEPARATOR) };
}

/** The summary and the table of the worst points, streamed to `write`. */
export async function writeSummary(write: WriteText, grid: Grid, points: number, rows: readonly TopRow[], failed: number, samples: bigint, seconds: number, p: SweepProgress): Promise<void> {
  const kernels = grid.kernels?.length ?? 1;
  const withKernel = kernels > 1;
  const header = ['host kHz', 'guest kHz', 'vendor', ...(withKernel ? ['kernel'] : []), 'horizon', 'scaling', 'B−A ns', 'B−C ns', 'C−A ns', 'B−A ppb', 'B−C ppb', 're-snapshot step ns', ...(samples > 0n ? ['sampled B−A min … max ns'] : [])];
  // Cells are split again on each pass of the renderer, so the table never holds them all at once.
  const cells = { *[Symbol.iterator]() { for (const row of rows) yield row.cells.split(CELL_SEPARATOR); } };
  await writeLines(write, [
    `kvmclock sweep: ${groupDigits(points)} points (${grid.hostKhz.length} host × ${grid.guestKhz.length} guest frequencies × ${grid.vendors.length} vendors × ${grid.horizonsS.length} horizons${withKernel ? ` × ${kernels} kernel profiles` : ''}) in ${seconds.toFixed(2)} s${samples > 0n ? `, ${groupDigits(samples)} samples per point (${(p.conversionsDone / seconds / 1e6).toFixed(0)} M conversions/s)` : ''}`,
    `worst ${rows.length} by the largest divergence between A, B and C at the horizon (exact ns; ppb rates exact, rounded to 0.001):`,
    '',
  ]);
  await writeLines(write, tableLines(header, cells));
  if (failed > 0) await writeLines(write, ['', `${failed} point(s) the kernel cannot evaluate (see --json for their error)`]);
}
