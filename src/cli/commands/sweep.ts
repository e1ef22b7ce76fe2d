/**
 * `kvmclock sweep`: drift of the KVM clock definitions across a grid of host and guest
 * TSC frequencies, vendors and horizons — exact values per point, optionally the
 * sampled extremes — in parallel, sharded, streamed (what `npm start` runs on a default grid).
 */
import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { kvmclock } from '../../index.js';
import { divergenceChart, type RateRow, rateChart, rateRows } from '../../plot/sweep-charts.js';
import { ensureDirectory, writeCharts } from '../charts.js';
import { type ExactPoint, isFailedPoint } from '../../sweep/exact-point.js';
import { CSV_HEADER, csvRow, jsonLine, TopN, worstDrift } from '../../sweep/format.js';
import { checkGrid, type Grid, type GridNames, parseHorizons, parseKhzList, parseShard, parseVendors, pointAt } from '../../sweep/grid.js';
import { estimateSweepSeconds, MAX_SAMPLES, planSweep, planWork, runSweep, type SweepProgress } from '../../sweep/run.js';
import { type CliCommand, UsageError } from '../command.js';
import { announceOrRefuse, describeSeconds } from '../estimate.js';
import { openOutputFile } from '../output-file.js';
import { backendOption, integerInRange, parseOptions } from '../options.js';
import { streamWriter, type WriteText } from '../stream-writer.js';
import { type TopRow, topRow, writeSummary } from '../sweep-table.js';
import { groupDigits } from '../table.js';

/** The embedded default grid of `npm start`: common host TSCs × guests 1.0–3.5 GHz × both vendors × 1 h, 1 d, 30 d. */
export const DEFAULT_SWEEP = {
  hostKhz: '2000000,2100000,2400000,2500000,2893202,3000000,3700000',
  guestKhz: '1000000:3500000:100000',
  vendor: 'vmx,svm',
  horizon: '1h,1d,30d',
} as const;

/** The CLI's names for the parts of a grid, in its errors. */
const OPTION_NAMES: GridNames = { hostKhz: '--host-khz', guestKhz: '--guest-khz', vendor: '--vendor', horizon: '--horizon' };

/** The most rows --top may ask for: the table's rows are kept in memory (about 200 bytes each). */
export const MAX_TOP = 1_000_000;

/** Below this much work (in samples; an exact point is 50) a sweep is not timed for an estimate: it takes seconds at most. */
const ESTIMATE_ABOVE_WORK = 10_000_000;

/** Rate rows kept for the chart (3 per host/guest/vendor triple): memory stays bounded however large the grid. */
const MAX_PLOTTED_RATES = 30_000;

const HELP = `usage: kvmclock sweep [options]

  --host-khz LIST      host TSC kHz: values and ranges start:end:step (end inclusive)
                       (default ${DEFAULT_SWEEP.hostKhz})
  --guest-khz LIST     guest TSC kHz (KVM_SET_TSC_KHZ), same syntax (default ${DEFAULT_SWEEP.guestKhz})
  --vendor LIST        vmx,svm (default both)
  --horizon LIST       durations after the master-clock reference: 1h,1d,30d,1y or seconds (default 1h,1d,30d)
  --tolerance-ppm N    kvm.tsc_tolerance_ppm (default 250)
  --samples N          also brute-force B, C and A at N instants per point and report the extremes
  --workers N          worker threads (default: all cores)
  --shard i/n          compute only slice i of n (1-based); the n outputs concatenate into one run's
  --json | --csv       JSON lines (integers as decimal strings) or CSV instead of the table
  --top N              rows of the table, worst drift first (default 20, at most 1,000,000)
  --out FILE           write the output to FILE (complete or not at all: see the README for
                       symbolic links, FIFOs and devices)
  --plot DIR           write SVG charts and an index.html into DIR
  --backend wasm|reference
  --force              run even when the estimate is over an hour (the size and the estimate
                       are printed first either way)

Each point is the spec's standard reference (master clock taken at host TSC 10^12, every
offset 0) evaluated at h = 10^12 + host_khz·1000·horizon, with the model of the KVM clock.`;

export const sweepCommand: CliCommand = {
  name: 'sweep',
  summary: 'drift of the KVM clock definitions across host × guest TSC frequencies (npm start)',
  async run(argv) {
    const { values } = parseOptions(argv, {
      'host-khz': { type: 'string' },
      'guest-khz': { type: 'string' },
      vendor: { type: 'string' },
      horizon: { type: 'string' },
      'tolerance-ppm': { type: 'string' },
      samples: { type: 'string' },
      workers: { type: 'string' },
      shard: { type: 'string' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      top: { type: 'string' },
      out: { type: 'string' },
      plot: { type: 'string' },
      backend: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (values.json && values.csv) throw new UsageError('--json and --csv are exclusive');
    // Everything is validated before any work starts, the grid's TSC range included.
    const grid: Grid = checkGrid(
      {
        hostKhz: parseKhzList(values['host-khz'] ?? DEFAULT_SWEEP.hostKhz, '--host-khz'),
        guestKhz: parseKhzList(values['guest-khz'] ?? DEFAULT_SWEEP.guestKhz, '--guest-khz'),
        vendors: parseVendors(values.vendor ?? DEFAULT_SWEEP.vendor, '--vendor'),
        horizonsS: parseHorizons(values.horizon ?? DEFAULT_SWEEP.horizon, '--horizon'),
        tolerancePpm: integerInRange(values['tolerance-ppm'], '--tolerance-ppm', 250, 0, 0xffff_ffff),
      },
      OPTION_NAMES,
    );
    const samples = BigInt(integerInRange(values.samples, '--samples', 0, 0, Number(MAX_SAMPLES)));
    const workers = integerInRange(values.workers, '--workers', availableParallelism(), 1, 256);
    const top = integerInRange(values.top, '--top', 20, 0, MAX_TOP, ' (for more rows use --json or --csv)');
    const backend = backendOption(values.backend);
    const options = { grid, samples, workers, backend, shard: values.shard === undefined ? undefined : parseShard(values.shard) };
    const plan = planSweep(options);
    if (planWork(options, plan) > ESTIMATE_ABOVE_WORK) {
      announceOrRefuse({
        command: 'sweep',
        size: `${groupDigits(plan.points)} points${samples > 0n ? ` × ${groupDigits(samples)} samples` : ''}`,
        seconds: estimateSweepSeconds(options, plan),
        basis: `on ${Math.min(plan.workers, availableParallelism())} thread(s)`,
        smaller: 'narrow the grid, or run one --shard i/n at a time',
        force: values.force === true,
      });
    }

    const format = values.json ? 'json' : values.csv ? 'csv' : 'table';
    if (values.plot !== undefined) await ensureDirectory(values.plot);
    const out = values.out === undefined ? undefined : await openOutputFile(values.out, '--out');
    const write: WriteText = out?.write ?? streamWriter(process.stdout);
    const topN = new TopN<TopRow>(format === 'table' || values.plot !== undefined ? top : 0);
    let failed = 0;
    const rates: RateRow[] = [];
    let plotTruncated = false;
    const started = performance.now();
    const progress = progressBar(plan.points, samples);
    let last: SweepProgress = { pointsDone: 0, pointsTotal: plan.points, conversionsDone: 0 };
    try {
      // One header for the whole run: shards after the first omit it, so shard outputs concatenate.
      if (format === 'csv' && (options.shard === undefined || options.shard.index === 1)) await write(`${CSV_HEADER}\n`);
      for await (const r of runSweep(options, (p) => {
        last = p;
        progress?.update(p);
      })) {
        if (isFailedPoint(r)) failed++;
        else topN.offer(worstDrift(r), r.index, () => topRow(r, samples));
        if (values.plot !== undefined && !isFailedPoint(r) && r.horizonS === grid.horizonsS[0]) {
          if (rates.length < MAX_PLOTTED_RATES) rates.push(...rateRows(r as ExactPoint));
          else plotTruncated = true;
        }
        if (format === 'json') await write(`${jsonLine(r)}\n`);
        else if (format === 'csv') await write(`${csvRow(r)}\n`);
      }
      progress?.stop();
      const seconds = (performance.now() - started) / 1000;
      if (format === 'table') await writeSummary(write, grid, plan.points, topN.sorted(), failed, samples, seconds, last);
      await out?.commit();
      if (out !== undefined) process.stderr.write(`wrote ${out.path}\n`);
    } catch (e) {
      progress?.stop();
      await out?.abort();
      throw e;
    }
    if (values.plot !== undefined) {
      const api = kvmclock(backend);
      const worst = topN.sorted().slice(0, 5).map((row) => pointAt(grid, row.index));
      const files = await writeCharts(values.plot, 'kvmclock sweep', [rateChart(rates), divergenceChart(api, worst, grid.tolerancePpm)]);
      process.stderr.write(`plots written to ${values.plot}/ (${files.map((f) => f.split('/').pop()).join(', ')}); open index.html\n`);
      if (plotTruncated) process.stderr.write(`the rate chart shows the first ${MAX_PLOTTED_RATES / 3} frequency pairs only (memory stays bounded); narrow the grid to see the rest\n`);
    }
    return 0;
  },
};

/** A progress bar on stderr when it is a terminal (ETA, points/s, conversions/s); nothing otherwise. */
function progressBar(points: number, samples: bigint) {
  if (!process.stderr.isTTY || points < 2) return undefined;
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: ' {bar} {percentage}% | {value}/{total} points | ETA {remaining} | {rate} points/s{conv}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(points, 0, { rate: '0', conv: '', remaining: '…' });
  return {
    update(p: SweepProgress) {
      const s = (performance.now() - started) / 1000;
      const perSecond = p.pointsDone / s;
      bar.update(p.pointsDone, {
        rate: groupDigits(Math.round(perSecond)),
        // Our own ETA from the average rate: any size, never "INF" or "NULL".
        remaining: perSecond > 0 ? describeSeconds((p.pointsTotal - p.pointsDone) / perSecond) : '…',
        conv: samples > 0n ? ` | ${(p.conversionsDone / s / 1e9).toFixed(2)} G conversions/s` : '',
      });
    },
    stop: () => bar.stop(),
  };
}
