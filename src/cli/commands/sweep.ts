/**
 * `kvmclock sweep`: drift of the KVM clock definitions across a grid of host and guest
 * TSC frequencies, vendors and horizons — exact values per point, optionally the
 * sampled extremes — in parallel, sharded, streamed (what `npm start` runs on a default grid).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { BackendName } from '../../backend.js';
import { formatDurationNs } from '../../duration.js';
import { kvmclock } from '../../index.js';
import { divergenceChart, type RateRow, rateChart, rateRows } from '../../plot/sweep-charts.js';
import { ensureDirectory, writeCharts } from '../../plot/render.js';
import { formatDecimal } from '../../rational.js';
import { type ExactPoint, isFailedPoint } from '../../sweep/exact-point.js';
import { CSV_HEADER, csvRow, jsonLine, type SweepResult, TopN } from '../../sweep/format.js';
import { type Grid, parseHorizons, parseKhzList, parseShard, parseVendors } from '../../sweep/grid.js';
import { planSweep, runSweep, type SweepProgress } from '../../sweep/run.js';
import { aU32 } from '../../validate.js';
import { type CliCommand, UsageError } from '../command.js';
import { backendOption, intOption, parseOptions } from '../options.js';
import { groupDigits, renderTable } from '../table.js';

/** The embedded default grid of `npm start`: common host TSCs × guests 1.0–3.5 GHz × both vendors × 1 h, 1 d, 30 d. */
export const DEFAULT_SWEEP = {
  hostKhz: '2000000,2100000,2400000,2500000,2893202,3000000,3700000',
  guestKhz: '1000000:3500000:100000',
  vendor: 'vmx,svm',
  horizon: '1h,1d,30d',
} as const;

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
  --top N              rows of the table, worst drift first (default 20)
  --out FILE           write the output to FILE (atomically: no partial file if interrupted)
  --plot DIR           write SVG charts and an index.html into DIR
  --backend wasm|reference

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
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (values.json && values.csv) throw new UsageError('--json and --csv are exclusive');
    // Everything is validated before any work starts.
    const grid: Grid = {
      hostKhz: parseKhzList(values['host-khz'] ?? DEFAULT_SWEEP.hostKhz, '--host-khz'),
      guestKhz: parseKhzList(values['guest-khz'] ?? DEFAULT_SWEEP.guestKhz, '--guest-khz'),
      vendors: parseVendors(values.vendor ?? DEFAULT_SWEEP.vendor, '--vendor'),
      horizonsS: parseHorizons(values.horizon ?? DEFAULT_SWEEP.horizon, '--horizon'),
      tolerancePpm: values['tolerance-ppm'] === undefined ? 250 : aU32(intOption(values['tolerance-ppm'], '--tolerance-ppm'), '--tolerance-ppm'),
    };
    const samples = values.samples === undefined ? 0n : BigInt(intOption(values.samples, '--samples'));
    const workers = values.workers === undefined ? availableParallelism() : intOption(values.workers, '--workers');
    const top = values.top === undefined ? 20 : intOption(values.top, '--top');
    const backend = backendOption(values.backend);
    const options = { grid, samples, workers, backend, shard: values.shard === undefined ? undefined : parseShard(values.shard) };
    const plan = planSweep(options);

    const format = values.json ? 'json' : values.csv ? 'csv' : 'table';
    if (values.plot !== undefined) await ensureDirectory(values.plot);
    const sink = await openSink(values.out);
    const topN = new TopN(top);
    const rates: RateRow[] = [];
    let plotTruncated = false;
    const started = performance.now();
    const progress = progressBar(plan.points, samples);
    let last: SweepProgress = { pointsDone: 0, pointsTotal: plan.points, conversionsDone: 0 };
    try {
      // One header for the whole run: shards after the first omit it, so shard outputs concatenate.
      if (format === 'csv' && (options.shard === undefined || options.shard.index === 1)) await sink.write(`${CSV_HEADER}\n`);
      for await (const r of runSweep(options, (p) => {
        last = p;
        progress?.update(p);
      })) {
        topN.add(r);
        if (values.plot !== undefined && !isFailedPoint(r) && r.horizonS === grid.horizonsS[0]) {
          if (rates.length < MAX_PLOTTED_RATES) rates.push(...rateRows(r as ExactPoint));
          else plotTruncated = true;
        }
        if (format === 'json') await sink.write(`${jsonLine(r)}\n`);
        else if (format === 'csv') await sink.write(`${csvRow(r)}\n`);
      }
      progress?.stop();
      const seconds = (performance.now() - started) / 1000;
      if (format === 'table') await sink.write(`${renderSummary(grid, plan.points, topN, samples, seconds, last)}\n`);
      await sink.commit();
      if (values.out !== undefined) process.stderr.write(`wrote ${values.out}\n`);
    } catch (e) {
      progress?.stop();
      await sink.abort();
      throw e;
    }
    if (values.plot !== undefined) {
      const api = kvmclock(backend as BackendName);
      const files = await writeCharts(values.plot, 'kvmclock sweep', [rateChart(rates), divergenceChart(api, topN.items.slice(0, 5), grid.tolerancePpm)]);
      process.stderr.write(`plots written to ${values.plot}/ (${files.map((f) => f.split('/').pop()).join(', ')}); open index.html\n`);
      if (plotTruncated) process.stderr.write(`the rate chart shows the first ${MAX_PLOTTED_RATES / 3} frequency pairs only (memory stays bounded); narrow the grid to see the rest\n`);
    }
    return 0;
  },
};

interface Sink {
  write(text: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** stdout, or a file written to a temporary name and renamed on success (removed on failure or Ctrl-C). */
async function openSink(path: string | undefined): Promise<Sink> {
  // Write with backpressure; a stream error (e.g. EPIPE when piped into `head`) fails the next write.
  const writeTo = (stream: Writable) => {
    let failed: Error | undefined;
    let waiting: ((e: Error) => void) | undefined;
    stream.on('error', (e: Error) => {
      failed ??= e;
      waiting?.(e);
    });
    return (text: string) =>
      new Promise<void>((resolve, reject) => {
        if (failed !== undefined) return reject(failed);
        if (stream.write(text)) return resolve();
        waiting = reject;
        stream.once('drain', () => {
          waiting = undefined;
          resolve();
        });
      });
  };
  if (path === undefined) return { write: writeTo(process.stdout), commit: async () => undefined, abort: async () => undefined };
  // Check the target before any work: an existing directory, or a missing parent, fails now.
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory()) throw new UsageError(`--out ${path} is a directory`);
  const parent = await stat(dirname(path)).catch(() => undefined);
  if (!parent?.isDirectory()) throw new UsageError(`--out ${path}: the directory ${dirname(path)} does not exist`);
  const tmp = `${path}.${process.pid}.partial`;
  const stream = createWriteStream(tmp);
  const onSignal = () => {
    stream.destroy();
    rm(tmp, { force: true }).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const close = () => new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  const cleanup = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return {
    write: writeTo(stream),
    async commit() {
      await close();
      await rename(tmp, path);
      cleanup();
    },
    async abort() {
      stream.destroy();
      await rm(tmp, { force: true });
      cleanup();
    },
  };
}

/** A progress bar on stderr when it is a terminal (ETA, points/s, conversions/s); nothing otherwise. */
function progressBar(points: number, samples: bigint) {
  if (!process.stderr.isTTY || points < 2) return undefined;
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: ' {bar} {percentage}% | {value}/{total} points | ETA {eta_formatted} | {rate} points/s{conv}', hideCursor: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(points, 0, { rate: '0', conv: '' });
  return {
    update(p: SweepProgress) {
      const s = (performance.now() - started) / 1000;
      bar.update(p.pointsDone, {
        rate: groupDigits(Math.round(p.pointsDone / s)),
        conv: samples > 0n ? ` | ${(p.conversionsDone / s / 1e9).toFixed(2)} G conversions/s` : '',
      });
    },
    stop: () => bar.stop(),
  };
}

function renderSummary(grid: Grid, points: number, topN: TopN, samples: bigint, seconds: number, p: SweepProgress): string {
  const sgn = (v: bigint) => (v > 0n ? `+${groupDigits(v)}` : groupDigits(v));
  const rows = topN.items.map((r) => {
    const x = r as ExactPoint & { sampled?: SweepResult['sampled'] };
    const base = [
      groupDigits(x.hostKhz),
      groupDigits(x.guestKhz),
      x.vendor,
      formatDurationNs(x.horizonS * 1_000_000_000n),
      x.scaled ? `ratio ${x.tgtKhz === BigInt(x.guestKhz) ? 'exact' : `tgt ${groupDigits(x.tgtKhz)}`}` : x.scaling,
      sgn(x.bMinusA),
      sgn(x.bMinusC),
      sgn(x.cMinusA),
      formatDecimal(x.ratePpb.bMinusA, 3),
      formatDecimal(x.ratePpb.bMinusC, 3),
      sgn(x.resnapshotStepNs),
    ];
    return samples > 0n && x.sampled ? [...base, `${sgn(x.sampled.bMinusA.min.ns)} … ${sgn(x.sampled.bMinusA.max.ns)}`] : base;
  });
  const header = ['host kHz', 'guest kHz', 'vendor', 'horizon', 'scaling', 'B−A ns', 'B−C ns', 'C−A ns', 'B−A ppb', 'B−C ppb', 're-snapshot step ns', ...(samples > 0n ? ['sampled B−A min … max ns'] : [])];
  const lines = [
    `kvmclock sweep: ${groupDigits(points)} points (${grid.hostKhz.length} host × ${grid.guestKhz.length} guest frequencies × ${grid.vendors.length} vendors × ${grid.horizonsS.length} horizons) in ${seconds.toFixed(2)} s${samples > 0n ? `, ${groupDigits(samples)} samples per point (${(p.conversionsDone / seconds / 1e6).toFixed(0)} M conversions/s)` : ''}`,
    `worst ${rows.length} by the largest divergence between A, B and C at the horizon (exact ns; ppb rates exact, rounded to 0.001):`,
    '',
    renderTable(header, rows),
  ];
  if (topN.failed > 0) lines.push('', `${topN.failed} point(s) the kernel cannot evaluate (see --json for their error)`);
  return lines.join('\n');
}
