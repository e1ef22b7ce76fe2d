/**
 * `kvmclock sweep`: drift of the KVM clock definitions across a grid of host and guest
 * TSC frequencies, vendors, horizons and kernel profiles — exact values per point,
 * optionally the sampled extremes — in parallel, sharded (by hand or by a cluster engine),
 * streamed (what `npm start` runs on a default grid).
 *
 * The points are computed and printed in worker threads (the Wasm point chain and printer,
 * src/sweep/batch-task.ts); this thread writes their bytes in order and keeps the table's
 * rows and the chart's rates, so memory stays flat whatever the grid.
 */
import { availableParallelism } from 'node:os';
import { kvmclock } from '../../index.js';
import { divergenceChart, type RateRow, rateChart } from '../../plot/sweep-charts.js';
import type { BackendName } from '../../backend.js';
import { type BatchJobResult } from '../../sweep/batch-task.js';
import { runSweepBatches } from '../../sweep/batch-run.js';
import { isFailedPoint } from '../../sweep/exact-point.js';
import { recordLine, shardRecord } from '../../sweep/fingerprint.js';
import { CSV_HEADER, type SweepResult, TopN, worstDrift } from '../../sweep/format.js';
import { checkGrid, type Grid, gridKernels, type GridNames, gridSize, parseHorizons, parseKhzList, parseShard, parseVendors, pointAt, type Shard } from '../../sweep/grid.js';
import { estimateSweepSeconds, MAX_SAMPLES, planSweep, planWork, type SweepProgress } from '../../sweep/run.js';
import { autoShard, parseShardsOption } from '../../sweep/shard-auto.js';
import { ensureDirectory, writeCharts } from '../charts.js';
import { type CliCommand, UsageError } from '../command.js';
import { announceOrRefuse, describeSeconds } from '../estimate.js';
import { openOutputFile } from '../output-file.js';
import { backendOption, integerInRange, kernelOption, parseOptions } from '../options.js';
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
const OPTION_NAMES: GridNames = { hostKhz: '--host-khz', guestKhz: '--guest-khz', vendor: '--vendor', horizon: '--horizon', kernel: '--kernel' };

/** The most rows --top may ask for: the table's rows are kept in memory (about 200 bytes each). */
export const MAX_TOP = 1_000_000;

/** Below this much work (in samples; an exact point is 50) a sweep is not timed for an estimate: it takes seconds at most. */
const ESTIMATE_ABOVE_WORK = 10_000_000;

/** Rate rows kept for the chart (3 per host/guest/vendor triple): memory stays bounded however large the grid. */
export const MAX_PLOTTED_RATES = 30_000;

const HELP = `usage: kvmclock sweep [options]

  --host-khz LIST      host TSC kHz: values and ranges start:end:step (end inclusive)
                       (default ${DEFAULT_SWEEP.hostKhz})
  --guest-khz LIST     guest TSC kHz (KVM_SET_TSC_KHZ), same syntax (default ${DEFAULT_SWEEP.guestKhz})
  --vendor LIST        vmx,svm (default both)
  --horizon LIST       durations after the master-clock reference: 1h,1d,30d,1y or seconds (default 1h,1d,30d)
  --kernel LIST        kernel profiles, a grid dimension (default 6.18; 7.4-queued, clocks-v6,
                       or a preset with +change/-change)
  --tolerance-ppm N    kvm.tsc_tolerance_ppm (default 250)
  --samples N          also brute-force B, C and A at N instants per point and report the extremes
  --workers N          worker threads (default: all cores)
  --shard i/n          compute only slice i of n (1-based); the output starts with a shard record,
                       and kvmclock merge puts the n outputs back together
  --shard auto         the slice from a Slurm job array (SLURM_ARRAY_TASK_ID …) or a Kubernetes
                       Indexed Job (JOB_COMPLETION_INDEX, with --shards N)
  --shards N           the number of shards for --shard auto (Kubernetes: the Job's completions)
  --json | --csv       JSON lines (integers as decimal strings) or CSV instead of the table
  --top N              rows of the table, worst drift first (default 20, at most 1,000,000)
  --out FILE           write the output to FILE (complete or not at all: see the README for
                       symbolic links, FIFOs and devices)
  --plot DIR           write SVG charts and an index.html into DIR
  --backend wasm|reference
  --force              run even when the estimate is over an hour (the size and the estimate
                       are printed first either way)

Each point is the spec's standard reference (master clock taken at host TSC 10^12, every
offset 0) evaluated at h = 10^12 + host_khz·1000·horizon, with the model of the KVM clock.
Without a terminal, progress goes to stderr as a line every 10 s (KVMCLOCK_PROGRESS_SECONDS).`;

/** The shard of `--shard` (i/n or auto), with how it was chosen (for the shard record). */
function shardOption(shard: string | undefined, shards: string | undefined): { shard?: Shard; chosenBy?: string; auto?: string } {
  const count = parseShardsOption(shards);
  if (shard === undefined) {
    if (count !== undefined) throw new UsageError('--shards N goes with --shard auto (with --shard i/n the count is n)');
    return {};
  }
  if (shard.trim() !== 'auto') {
    if (count !== undefined) throw new UsageError(`--shards N goes with --shard auto, not with --shard ${shard}`);
    try {
      return { shard: parseShard(shard), chosenBy: `--shard ${shard.trim()}` };
    } catch (e) {
      throw new UsageError(`--shard expected i/n with 1 ≤ i ≤ n ≤ 1000000, or auto; got ${JSON.stringify(shard)}${e instanceof Error && /: /.test(e.message) ? ` (${e.message.split(': ').slice(1).join(': ')})` : ''}`);
    }
  }
  const a = autoShard(count);
  const vars = Object.entries(a.from).map(([k, v]) => `${k}=${v}`);
  const engine = a.engine === 'slurm' ? 'slurm' : 'kubernetes';
  const by = `${engine} ${[...vars, ...(count !== undefined ? [`--shards ${count}`] : [])].join(', ')}`;
  return { shard: a, chosenBy: by, auto: `${a.engine === 'slurm' ? 'the Slurm job array' : 'the Kubernetes Indexed Job'} (${vars.join(', ')}${count !== undefined ? `, --shards ${count}` : ''})` };
}

/**
 * What a sweep keeps of its points besides their lines: the worst rows for the table, the
 * failures, the rate rows of the chart. Shared by `sweep` and `merge`, so that both print
 * the same table and the same charts.
 */
export class SweepReport {
  readonly grid: Grid;
  readonly samples: bigint;
  readonly topN: TopN<TopRow>;
  failed = 0;
  readonly rates: RateRow[] = [];
  plotTruncated = false;
  readonly #withKernel: boolean;

  constructor(grid: Grid, samples: bigint, top: number) {
    this.grid = grid;
    this.samples = samples;
    this.topN = new TopN<TopRow>(top);
    this.#withKernel = gridKernels(grid).length > 1;
  }

  /** Whether the chart still takes rate rows. */
  wantsRates(): boolean {
    return this.rates.length < MAX_PLOTTED_RATES;
  }

  /** A point that makes (or may make) the table. */
  offer(r: SweepResult): void {
    if (!isFailedPoint(r)) this.topN.offer(worstDrift(r), r.index, () => topRow(r, this.samples, this.#withKernel));
  }

  /** A point known by its key (format.ts worstDrift) and index; `point` is asked only if it makes the table. */
  offerKey(key: bigint, index: number, point: () => SweepResult): void {
    this.topN.offer(key, index, () => topRow(point(), this.samples, this.#withKernel));
  }

  /** The rate rows of points at the first horizon (3 per point, in index order), and how many such points there were. */
  addRates(rows: readonly RateRow[], points: number): void {
    for (let k = 0; k < points; k++) {
      if (this.rates.length < MAX_PLOTTED_RATES && 3 * k + 2 < rows.length) this.rates.push(rows[3 * k], rows[3 * k + 1], rows[3 * k + 2]);
      else this.plotTruncated = true;
    }
  }

  /** A job's share. */
  addJob(r: BatchJobResult): void {
    this.failed += r.failed;
    for (const c of r.top) this.offer(c);
    this.addRates(r.rateRows, r.ratePoints);
  }

  /** The table (the summary line, then the worst rows). */
  async writeTable(write: WriteText, points: number, seconds: number, progress: SweepProgress): Promise<void> {
    await writeSummary(write, this.grid, points, this.topN.sorted(), this.failed, this.samples, seconds, progress);
  }

  /** The charts into `dir`, said on stderr. */
  async writeCharts(dir: string, backend: BackendName, title = 'kvmclock sweep'): Promise<void> {
    const api = kvmclock(backend);
    const worst = this.topN.sorted().slice(0, 5).map((row) => pointAt(this.grid, row.index));
    const files = await writeCharts(dir, title, [rateChart(this.rates), divergenceChart(api, worst, this.grid.tolerancePpm, 240, this.#withKernel)]);
    process.stderr.write(`plots written to ${dir}/ (${files.map((f) => f.split('/').pop()).join(', ')}); open index.html\n`);
    if (this.plotTruncated) process.stderr.write(`the rate chart shows the first ${MAX_PLOTTED_RATES / 3} frequency pairs only (memory stays bounded); narrow the grid to see the rest\n`);
  }
}

export const sweepCommand: CliCommand = {
  name: 'sweep',
  async run(argv) {
    const { values } = parseOptions(argv, {
      'host-khz': { type: 'string' },
      'guest-khz': { type: 'string' },
      vendor: { type: 'string' },
      horizon: { type: 'string' },
      kernel: { type: 'string' },
      'tolerance-ppm': { type: 'string' },
      samples: { type: 'string' },
      workers: { type: 'string' },
      shard: { type: 'string' },
      shards: { type: 'string' },
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
    // Everything is validated before any work starts, the grid's TSC range and the shard included.
    const grid: Grid = checkGrid(
      {
        hostKhz: parseKhzList(values['host-khz'] ?? DEFAULT_SWEEP.hostKhz, '--host-khz'),
        guestKhz: parseKhzList(values['guest-khz'] ?? DEFAULT_SWEEP.guestKhz, '--guest-khz'),
        vendors: parseVendors(values.vendor ?? DEFAULT_SWEEP.vendor, '--vendor'),
        horizonsS: parseHorizons(values.horizon ?? DEFAULT_SWEEP.horizon, '--horizon'),
        tolerancePpm: integerInRange(values['tolerance-ppm'], '--tolerance-ppm', 250, 0, 0xffff_ffff),
        ...(values.kernel === undefined ? {} : { kernels: kernelOption(values.kernel).map((k) => k.name) }),
      },
      OPTION_NAMES,
    );
    const samples = BigInt(integerInRange(values.samples, '--samples', 0, 0, Number(MAX_SAMPLES)));
    const workers = integerInRange(values.workers, '--workers', availableParallelism(), 1, 256);
    const top = integerInRange(values.top, '--top', 20, 0, MAX_TOP, ' (for more rows use --json or --csv)');
    const backend = backendOption(values.backend);
    const { shard, chosenBy, auto } = shardOption(values.shard, values.shards);
    const options = { grid, samples, workers, backend, shard, names: OPTION_NAMES };
    const plan = planSweep(options);
    if (auto !== undefined && shard !== undefined) {
      process.stderr.write(`kvmclock sweep: shard ${shard.index}/${shard.count} from ${auto}: points ${groupDigits(plan.from)}..${groupDigits(Math.max(plan.from, plan.to - 1))} (${groupDigits(plan.points)}) of ${groupDigits(planTotal(grid))}\n`);
    }
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
    const report = new SweepReport(grid, samples, format === 'table' || values.plot !== undefined ? top : 0);
    const started = performance.now();
    const progress = progressReporter(plan.points, samples);
    let last: SweepProgress = { pointsDone: 0, pointsTotal: plan.points, conversionsDone: 0 };
    try {
      // A part of a sharded run starts with its record (kvmclock merge checks the parts with it).
      if (shard !== undefined && format !== 'table') {
        const record = shardRecord({ grid, samples, format, backend }, shard, { from: plan.from, to: plan.to }, planTotal(grid), chosenBy ?? '');
        await write(recordLine(record));
      }
      // One header for the whole run: shards after the first omit it.
      if (format === 'csv' && (shard === undefined || shard.index === 1)) await write(`${CSV_HEADER}\n`);
      for await (const r of runSweepBatches(
        {
          ...options,
          // Each job's bytes are written (a write of them waits until the stream took them) before the next result is asked for.
          recycleText: true,
          ...(format === 'table' ? {} : { text: { format } }),
          top: format === 'table' || values.plot !== undefined ? top : 0,
          ...(values.plot !== undefined ? { rates: () => report.wantsRates() } : {}),
        },
        (p) => {
          last = p;
          progress?.update(p);
        },
      )) {
        report.addJob(r);
        // The workers hand over their lines as UTF-8 bytes: written as they are, never decoded and re-encoded.
        if (r.text !== undefined && r.text.length > 0) await write(r.text);
      }
      progress?.stop(last);
      const seconds = (performance.now() - started) / 1000;
      if (format === 'table') await report.writeTable(write, plan.points, seconds, last);
      await out?.commit();
      if (out !== undefined) process.stderr.write(`wrote ${out.path}\n`);
    } catch (e) {
      progress?.stop();
      await out?.abort();
      throw e;
    }
    if (values.plot !== undefined) await report.writeCharts(values.plot, backend);
    return 0;
  },
};

/** Points of a whole grid (every shard). */
const planTotal = (grid: Grid): number => gridSize(grid);

/** Seconds between progress lines without a terminal (KVMCLOCK_PROGRESS_SECONDS overrides). */
export function progressPeriodSeconds(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env.KVMCLOCK_PROGRESS_SECONDS;
  const v = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(v) && v > 0 ? v : 10;
}

/**
 * Progress on stderr: on a terminal a bar (ETA, points/s, conversions/s); otherwise (a
 * scheduler's job log, a pipe) a line every few seconds with the same figures, and a last
 * line when any was printed. Nothing for a single point.
 */
/** The progress bar package (an optional peer dependency): without it a terminal gets the periodic lines too. */
const cliProgress: typeof import('cli-progress') | null = await import('cli-progress').then((m) => m.default ?? m).catch(() => null);

export function progressReporter(points: number, samples: bigint, label = 'kvmclock sweep') {
  if (points < 2) return undefined;
  const started = performance.now();
  const figures = (p: SweepProgress) => {
    const s = (performance.now() - started) / 1000;
    const perSecond = s > 0 ? p.pointsDone / s : 0;
    return {
      s,
      rate: groupDigits(Math.round(perSecond)),
      // Our own ETA from the average rate: any size, never "INF" or "NULL".
      remaining: perSecond > 0 ? describeSeconds((p.pointsTotal - p.pointsDone) / perSecond) : '…',
      conv: samples > 0n && s > 0 ? ` | ${(p.conversionsDone / s / 1e9).toFixed(2)} G conversions/s` : '',
    };
  };
  if (process.stderr.isTTY && cliProgress !== null) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: ' {bar} {percentage}% | {value}/{total} points | ETA {remaining} | {rate} points/s{conv}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(points, 0, { rate: '0', conv: '', remaining: '…' });
    return {
      update(p: SweepProgress) {
        const f = figures(p);
        bar.update(p.pointsDone, { rate: f.rate, remaining: f.remaining, conv: f.conv });
      },
      stop: (_last?: SweepProgress) => bar.stop(),
    };
  }
  const period = progressPeriodSeconds();
  let next = period;
  let printed = false;
  const line = (p: SweepProgress, done: boolean) => {
    const f = figures(p);
    const pct = p.pointsTotal > 0 ? ((100 * p.pointsDone) / p.pointsTotal).toFixed(1) : '100.0';
    const tail = done ? `done in ${f.s.toFixed(1)} s` : `ETA ${f.remaining}`;
    process.stderr.write(`${label}: ${groupDigits(p.pointsDone)}/${groupDigits(p.pointsTotal)} points (${pct} %) | ${f.rate} points/s${f.conv} | ${tail}\n`);
  };
  return {
    update(p: SweepProgress) {
      const s = (performance.now() - started) / 1000;
      if (s < next || p.pointsDone >= p.pointsTotal) return;
      next = s + period;
      printed = true;
      line(p, false);
    },
    stop(last?: SweepProgress) {
      if (printed && last !== undefined) line(last, true);
    },
  };
}
