/**
 * `kvmclock merge PART…`: the parts of a sharded sweep (`sweep --shard i/n` or
 * `--shard auto`) put back together. Every part's shard record is read and the parts are
 * checked to be one run, each point exactly once, before anything is written; then their
 * lines are copied in grid order — the bytes one process would have printed — and, as in
 * `sweep`, the worst-points table and the charts are made from them.
 */
import { resolve } from 'node:path';
import { kvmclock } from '../../index.js';
import { evaluatePoint } from '../../sweep/exact-point.js';
import { recordGrid } from '../../sweep/fingerprint.js';
import type { SweepResult } from '../../sweep/format.js';
import { pointAt } from '../../sweep/grid.js';
import { checkParts, type Part, type PartLine, streamParts } from '../../sweep/merge.js';
import type { SampledExtremes } from '../../sweep/sampled.js';
import { rateRows } from '../../plot/sweep-charts.js';
import type { ExactPoint } from '../../sweep/exact-point.js';
import { gridKernels } from '../../sweep/grid.js';
import { type CliCommand, UsageError } from '../command.js';
import { ensureDirectory } from '../charts.js';
import { openOutputFile } from '../output-file.js';
import { integerInRange, parseOptions } from '../options.js';
import { streamWriter } from '../stream-writer.js';
import { MAX_TOP, SweepReport } from './sweep.js';

const HELP = `usage: kvmclock merge PART… [--out FILE] [--top N] [--plot DIR]

Puts the outputs of a sharded sweep (sweep --shard i/n or --shard auto, JSON lines or CSV)
back together. The parts may be given in any order. They are checked first — each must be
a shard output of the same run (grid, kernel profiles, samples, format, backend, package
version: the fingerprint in its first line), and together they must hold every point
exactly once — and nothing is written when they are not: the error names every missing,
duplicate or foreign shard. Then the merged lines are written: byte for byte the output of
the same sweep run in one process.

  --out FILE    write the merged lines to FILE (complete or not at all), and print the
                worst-points table on stdout; without --out the lines go to stdout
  --top N       rows of the table, worst drift first (default 20; 0: no table)
  --plot DIR    write the sweep's SVG charts and an index.html into DIR`;

/** The worst-drift key of a line, or undefined for a point the kernel could not evaluate. */
function lineKey(line: string, format: 'json' | 'csv'): bigint | undefined {
  let ba: string, ca: string, bc: string;
  if (format === 'json') {
    const m = /"bMinusANs":"(-?[0-9]+)","cMinusANs":"(-?[0-9]+)","bMinusCNs":"(-?[0-9]+)"/.exec(line);
    if (m === null) return undefined; // a failed point has no values, only its error
    [, ba, ca, bc] = m;
  } else {
    const cells = line.split(',');
    if (cells[24] !== '') return undefined;
    [ba, ca, bc] = [cells[12], cells[13], cells[14]];
  }
  const abs = (s: string) => {
    const v = BigInt(s);
    return v < 0n ? -v : v;
  };
  const a = abs(ba), b = abs(bc), c = abs(ca);
  return a > b ? (a > c ? a : c) : b > c ? b : c;
}

/** The sampled extremes a line carries (what the table shows of them). */
function lineSampled(line: string, format: 'json' | 'csv'): SampledExtremes | undefined {
  if (format === 'json') {
    const s = (JSON.parse(line) as { sampled?: { samples: string; bMinusC: Record<'min' | 'max', Record<string, string>>; bMinusA: Record<'min' | 'max', Record<string, string>> } }).sampled;
    if (s === undefined) return undefined;
    const ex = (e: Record<string, string>) => ({ ns: BigInt(e.ns), sample: BigInt(e.sample), atTsc: BigInt(e.atTsc), atNs: BigInt(e.atNs) });
    return { samples: BigInt(s.samples), bMinusC: { min: ex(s.bMinusC.min), max: ex(s.bMinusC.max) }, bMinusA: { min: ex(s.bMinusA.min), max: ex(s.bMinusA.max) } };
  }
  const cells = line.split(',');
  if (cells[19] === '') return undefined;
  // A CSV row has the extremes' values only, which is all the table shows.
  const ex = (ns: string) => ({ ns: BigInt(ns), sample: 0n, atTsc: 0n, atNs: 0n });
  return { samples: BigInt(cells[19]), bMinusC: { min: ex(cells[20]), max: ex(cells[21]) }, bMinusA: { min: ex(cells[22]), max: ex(cells[23]) } };
}

export const mergeCommand: CliCommand = {
  name: 'merge',
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { out: { type: 'string' }, top: { type: 'string' }, plot: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('merge expects the parts to merge: kvmclock merge PART… (the outputs of sweep --shard)');
    const top = integerInRange(values.top, '--top', 20, 0, MAX_TOP);
    if (values.out !== undefined && positionals.some((p) => resolve(p) === resolve(values.out as string))) throw new UsageError(`--out ${values.out} is one of the parts`);
    const parts: Part[] = await checkParts(positionals);
    const record = parts[0].record;
    const grid = recordGrid(record);
    const samples = BigInt(record.samples);
    const format = record.format;
    const api = kvmclock(record.backend);
    const firstHorizon = grid.horizonsS[0];
    const withKernel = gridKernels(grid).length > 1;
    const table = values.out !== undefined && top > 0;
    const report = new SweepReport(grid, samples, table || values.plot !== undefined ? top : 0);
    const plotting = values.plot !== undefined;
    if (plotting) await ensureDirectory(values.plot as string);

    const point = (index: number, line: string): SweepResult => {
      const { point: p } = evaluatePoint(api, pointAt(grid, index), grid.tolerancePpm);
      const s = lineSampled(line, format);
      return s ? { ...p, sampled: s } : p;
    };
    const onLine = (l: PartLine) => {
      const key = lineKey(l.text, format);
      if (key === undefined) {
        report.failed++;
        return;
      }
      report.offerKey(key, l.index, () => point(l.index, l.text));
      if (plotting && pointAt(grid, l.index).horizonS === firstHorizon) {
        if (report.wantsRates()) report.addRates(rateRows(point(l.index, l.text) as ExactPoint, withKernel), 1);
        else report.addRates([], 1);
      }
    };

    const started = performance.now();
    const out = values.out === undefined ? undefined : await openOutputFile(values.out, '--out');
    try {
      if (out === undefined) {
        // Standard output cannot be taken back: every part is read through once before a byte is written.
        await streamParts(parts, async () => undefined);
        await streamParts(parts, streamWriter(process.stdout), onLine);
      } else {
        await streamParts(parts, out.write, onLine);
        await out.commit();
      }
    } catch (e) {
      await out?.abort();
      throw e;
    }
    const seconds = (performance.now() - started) / 1000;
    if (out !== undefined) process.stderr.write(`wrote ${out.path} (${parts.length} parts, ${record.points} points)\n`);
    if (table) await report.writeTable(streamWriter(process.stdout), record.points, seconds, { pointsDone: record.points, pointsTotal: record.points, conversionsDone: 0 });
    if (plotting) await report.writeCharts(values.plot as string, record.backend);
    return 0;
  },
};
