/**
 * The unit of sweep work in batch form: a contiguous range of grid points evaluated by the
 * Wasm point chain (or, on the reference backend, by the BigInt chain), optionally sampled,
 * and reduced in the worker to what the calling thread needs: the printed lines, the
 * range's own worst points (the candidates for the table), the failures, the rate rows of
 * the chart. Runs on the calling thread or in a pool worker; everything it returns clones.
 */
import type { BackendName } from '../backend.js';
import { kvmclock } from '../index.js';
import { rateRows, type RateRow } from '../plot/sweep-charts.js';
import { batchPoint } from './batch-point.js';
import { type BatchTextSpec, byteSink, objectBatchText, objectLine } from './batch-format.js';
import { type ChainPoint, chainPointAt, kernelsOf, profileNamed } from './chain-grid.js';
import { evaluatePoint, type ExactPoint, isFailedPoint } from './exact-point.js';
import { type SweepResult, TopN, worstDrift } from './format.js';
import { computePointBatch, type PointBatch } from './point-batch.js';
import { sampledExtremes } from './sampled-kernel.js';
import { describeExtremes, type SampledExtremes } from './sampled.js';
import { CHAIN_OUT_WORDS, ChainWord } from '../wasm/points.js';
import { expandGrid, type PackedGrid } from './grid-pack.js';
import { transferOnReturn } from '../parallel/worker-entry.js';

export interface BatchJob {
  readonly grid: PackedGrid;
  readonly from: number;
  readonly to: number;
  /** Samples per point; 0 for exact values only. */
  readonly samples: bigint;
  readonly backend: BackendName;
  /** Print the points (JSON lines or CSV rows). */
  readonly text?: BatchTextSpec;
  /** Return every point (as words, or as objects on the reference backend): for callers that iterate points. */
  readonly points?: boolean;
  /** Return the range's worst `top` points as objects (the table's candidates). */
  readonly top?: number;
  /** Return the chart's rate rows of the range's points at the first horizon. */
  readonly rates?: boolean;
  /** A buffer handed back for reuse: the printed bytes go into it when they fit (memory stays flat). */
  readonly buffer?: ArrayBuffer;
}

export interface BatchJobResult {
  readonly from: number;
  readonly count: number;
  /** The printed points, UTF-8 (when job.text). */
  readonly text?: Uint8Array;
  /** The chain's words and its fallback points (job.points, Wasm backend). */
  readonly batch?: PointBatch;
  /** Every point as an object (job.points, reference backend). */
  readonly results?: SweepResult[];
  /** Sampled extremes by offset (job.points with samples, Wasm backend). */
  readonly sampled?: (SampledExtremes | undefined)[];
  /** The range's worst points, as objects, in no particular order (job.top). */
  readonly top: SweepResult[];
  /** Points the kernel cannot evaluate. */
  readonly failed: number;
  /** Clock evaluations done for sampling (3 per sample: A, B and C). */
  readonly conversions: number;
  /** Rate rows of the points at the first horizon (job.rates), in index order. */
  readonly rateRows: RateRow[];
  /** Points at the first horizon that have rates, whether or not rows were asked for. */
  readonly ratePoints: number;
}

/** Offer the worst points of a range to a local TopN (keys as format.ts worstDrift). */
function localTop(top: number, count: number, key: (i: number) => bigint | undefined, make: (i: number) => SweepResult): SweepResult[] {
  if (top <= 0) return [];
  const t = new TopN<number>(top);
  for (let i = 0; i < count; i++) {
    const k = key(i);
    if (k !== undefined) t.offer(k, i, () => i);
  }
  return t.sorted().map(make);
}

/**
 * Compute and reduce points [from, to) of a grid. In a pool worker the printed bytes and
 * the words are moved to the calling thread, not copied.
 */
export function sweepBatchTask(job: BatchJob): BatchJobResult {
  const r = computeBatchJob(job);
  const buffers: ArrayBuffer[] = [];
  if (r.text !== undefined) buffers.push(r.text.buffer as ArrayBuffer);
  if (r.batch !== undefined) buffers.push(r.batch.words.buffer as ArrayBuffer);
  return transferOnReturn(r, buffers);
}

function computeBatchJob(job: BatchJob): BatchJobResult {
  const grid = expandGrid(job.grid);
  const count = Math.max(0, job.to - job.from);
  const firstHorizon = grid.horizonsS[0];
  const sampling = job.samples > 0n;
  const api = kvmclock(job.backend);

  if (job.backend === 'reference') {
    // The BigInt chain, point by point: the definition, used as it is.
    const results: SweepResult[] = [];
    let conversions = 0;
    for (let i = job.from; i < job.to; i++) {
      const p = chainPointAt(grid, i);
      const { point, state } = evaluatePoint(api, p, grid.tolerancePpm, profileNamed(p.kernel));
      if (sampling && state !== undefined) {
        const horizonCycles = BigInt(p.hostKhz) * 1000n * p.horizonS;
        const raw = sampledExtremes(job.backend, api, state, horizonCycles, job.samples);
        results.push({ ...point, sampled: describeExtremes(raw, state.masterCycleNow, horizonCycles, job.samples, p.hostKhz) });
        conversions += 3 * Number(job.samples);
      } else {
        results.push(point);
      }
    }
    return reduceObjects(job, results, conversions, firstHorizon, kernelsOf(grid).length > 1);
  }

  // Exact values only: the chain prints the lines itself.
  if (!sampling) {
    // The words stay in this thread's scratch array unless the caller wants every point.
    const b = computePointBatch(grid, job.from, job.to, { text: job.text, api, into: job.buffer, scratch: !job.points });
    const { text, ...words } = b;
    const ok = (i: number) => !b.fallback.has(i);
    const top = localTop(job.top ?? 0, count, (i) => (ok(i) ? b.words[i * CHAIN_OUT_WORDS + ChainWord.worst] : undefined), (i) => batchPoint(b, grid, i).point);
    let failed = 0;
    for (const r of b.fallback.values()) if (isFailedPoint(r)) failed++;
    const rates = chartRates(job, kernelsOf(grid).length > 1, count, firstHorizon, (i) => chainPointAt(grid, job.from + i), (i) => isFailed(b, i), (i) => batchPoint(b, grid, i).point);
    return { from: job.from, count, text, batch: job.points ? words : undefined, top, failed, conversions: 0, ...rates };
  }

  // Sampled: each point's clock state from the chain, then its extremes.
  const b = computePointBatch(grid, job.from, job.to, { api });
  const sampled: (SampledExtremes | undefined)[] = new Array(count);
  const objects: SweepResult[] = new Array(count);
  let conversions = 0;
  for (let i = 0; i < count; i++) {
    const p: ChainPoint = chainPointAt(grid, job.from + i);
    const { point, state } = batchPoint(b, grid, i, p);
    if (state !== undefined) {
      const horizonCycles = BigInt(p.hostKhz) * 1000n * p.horizonS;
      const raw = sampledExtremes(job.backend, api, state, horizonCycles, job.samples);
      sampled[i] = describeExtremes(raw, state.masterCycleNow, horizonCycles, job.samples, p.hostKhz);
      conversions += 3 * Number(job.samples);
    }
    objects[i] = sampled[i] ? { ...point, sampled: sampled[i] } : point;
  }
  const reduced = reduceObjects({ ...job, text: undefined, points: false }, objects, conversions, firstHorizon, kernelsOf(grid).length > 1);
  return {
    ...reduced,
    text: job.text === undefined ? undefined : objectBatchText(b, grid, job.text, sampled, job.buffer),
    batch: job.points ? b : undefined,
    sampled: job.points ? sampled : undefined,
  };
}

/** The reductions of a range whose points are objects. */
function reduceObjects(job: BatchJob, results: SweepResult[], conversions: number, firstHorizon: bigint, multiKernel: boolean): BatchJobResult {
  const count = results.length;
  let text: Uint8Array | undefined;
  if (job.text !== undefined) {
    const sink = byteSink();
    for (const r of results) sink.text(objectLine(r, job.text));
    text = sink.take(job.buffer);
  }
  let failed = 0;
  for (const r of results) if (isFailedPoint(r)) failed++;
  const top = localTop(job.top ?? 0, count, (i) => (isFailedPoint(results[i]) ? undefined : worstDrift(results[i])), (i) => results[i]);
  const rates = chartRates(job, multiKernel, count, firstHorizon, (i) => results[i], (i) => isFailedPoint(results[i]), (i) => results[i]);
  return { from: job.from, count, text, results: job.points ? results : undefined, top, failed, conversions, ...rates };
}

/** The rate rows of the points at the first horizon (the chart shows rates, which do not depend on the horizon). */
function chartRates(
  job: BatchJob,
  withKernel: boolean,
  count: number,
  firstHorizon: bigint,
  at: (i: number) => { readonly horizonS: bigint },
  failed: (i: number) => boolean,
  point: (i: number) => SweepResult,
): { rateRows: RateRow[]; ratePoints: number } {
  const rows: RateRow[] = [];
  let ratePoints = 0;
  for (let i = 0; i < count; i++) {
    if (at(i).horizonS !== firstHorizon || failed(i)) continue;
    ratePoints++;
    if (job.rates) rows.push(...rateRows(point(i) as ExactPoint, withKernel));
  }
  return { rateRows: rows, ratePoints };
}

/** Whether the point at an offset of a chain batch is one the kernel cannot evaluate. */
function isFailed(b: PointBatch, i: number): boolean {
  const r = b.fallback.get(i);
  return r !== undefined && isFailedPoint(r);
}
