/**
 * Runs a sweep: the shard's index range cut into jobs of contiguous points, computed on
 * the calling thread (one worker) or on a worker pool, and handed back strictly in index
 * order whatever the worker count. At most a few jobs are in flight and finished jobs
 * wait only until their predecessors finish, so memory stays bounded for any grid.
 *
 * The work is done in batches (src/sweep/batch-run.ts, batch-task.ts: the Wasm point chain
 * on the Wasm backend); this module gives the library's view of it, one object per point,
 * and the plan and estimate the CLI shows before starting.
 */
import { availableParallelism } from 'node:os';
import type { BackendName } from '../backend.js';
import { kvmclock } from '../index.js';
import { batchPoint } from './batch-point.js';
import { type BatchPlan, MAX_BATCH_SAMPLES, planBatches, runSweepBatches } from './batch-run.js';
import { evaluatePoint } from './exact-point.js';
import type { SweepResult } from './format.js';
import { type Grid, type GridNames, pointAt, type Shard } from './grid.js';
import { computePointBatch } from './point-batch.js';
import { sampledExtremes } from './sampled-kernel.js';

export interface SweepOptions {
  readonly grid: Grid;
  /** Samples per point (0: exact values only). */
  readonly samples: bigint;
  readonly shard?: Shard;
  /** Worker threads (1: run on this thread). */
  readonly workers: number;
  readonly backend: BackendName;
  /** Points per job (default: sized so a job is well under a second). */
  readonly pointsPerJob?: number;
  /** The names of the grid's parts in errors (the CLI's options). */
  readonly names?: GridNames;
}

export interface SweepProgress {
  readonly pointsDone: number;
  readonly pointsTotal: number;
  readonly conversionsDone: number;
}

/** Index range, job size and totals of a sweep, known before any work starts (the batch runner's plan). */
export type SweepPlan = BatchPlan;

/** The most samples one point may take (instants stay exact in u64 arithmetic). */
export const MAX_SAMPLES = MAX_BATCH_SAMPLES;

/** Validate options and plan the run; throws before any work starts. */
export function planSweep(o: SweepOptions): SweepPlan {
  return planBatches(o);
}

/** The work of a plan in units of one sample's work (an exact point counts as 50): a size estimate without timing. */
export function planWork(o: Pick<SweepOptions, 'samples'>, plan: SweepPlan): number {
  return plan.points * (50 + Number(o.samples));
}

/**
 * An estimate of a sweep's wall time in seconds, from timing a little of its own work on
 * this thread (a few milliseconds): the exact evaluation of up to 4,096 points of the range
 * (the Wasm point chain; 24 points on the reference backend) and, in sampled mode, up to
 * 65,536 samples of one of them; then scaled by the points, the samples per point and the
 * workers that can run at once. Rough (a busy machine, the output itself), but it tells
 * minutes from years.
 */
export function estimateSweepSeconds(o: SweepOptions, plan: SweepPlan): number {
  if (plan.points === 0) return 0;
  const api = kvmclock(o.backend);
  let perPointMs: number;
  let state: ReturnType<typeof evaluatePoint>['state'];
  let horizonCycles = 0n;
  if (o.backend === 'wasm') {
    const n = Math.min(plan.points, 4096);
    computePointBatch(o.grid, plan.from, plan.from + Math.min(n, 256)); // warm-up
    const t0 = performance.now();
    const b = computePointBatch(o.grid, plan.from, plan.from + n);
    perPointMs = (performance.now() - t0) / n;
    for (let i = 0; i < b.count && state === undefined; i++) {
      const r = batchPoint(b, o.grid, i);
      if (r.state !== undefined) {
        state = r.state;
        const p = pointAt(o.grid, plan.from + i);
        horizonCycles = BigInt(p.hostKhz) * 1000n * p.horizonS;
      }
    }
  } else {
    const picks = Math.min(plan.points, 24);
    const at = (k: number) => pointAt(o.grid, plan.from + Math.floor((k * plan.points) / picks));
    for (let k = 0; k < Math.min(picks, 8); k++) evaluatePoint(api, at(k), o.grid.tolerancePpm); // warm-up
    const t0 = performance.now();
    for (let k = 0; k < picks; k++) {
      const p = at(k);
      const r = evaluatePoint(api, p, o.grid.tolerancePpm);
      if (r.state !== undefined && state === undefined) {
        state = r.state;
        horizonCycles = BigInt(p.hostKhz) * 1000n * p.horizonS;
      }
    }
    perPointMs = (performance.now() - t0) / picks;
  }
  if (o.samples > 0n && state !== undefined) {
    const probe = o.samples < 65_536n ? o.samples : 65_536n;
    sampledExtremes(o.backend, api, state, horizonCycles, probe < 1024n ? probe : 1024n); // warm-up
    const t1 = performance.now();
    sampledExtremes(o.backend, api, state, horizonCycles, probe);
    perPointMs += ((performance.now() - t1) / Number(probe)) * Number(o.samples);
  }
  const parallel = Math.min(plan.workers, availableParallelism());
  return (plan.points * perPointMs) / parallel / 1000;
}

/**
 * The results of the shard in index order, one object per point (as evaluatePoint gives
 * it, with its sampled extremes in sampled mode). `onProgress` is called after each job.
 * A failing job (a worker error or crash) rejects the iteration and stops the pool.
 */
export async function* runSweep(o: SweepOptions, onProgress?: (p: SweepProgress) => void): AsyncGenerator<SweepResult> {
  for await (const r of runSweepBatches({ ...o, points: true }, onProgress)) {
    if (r.results !== undefined) {
      yield* r.results;
      continue;
    }
    const b = r.batch;
    if (b === undefined) continue;
    for (let i = 0; i < b.count; i++) {
      const { point } = batchPoint(b, o.grid, i);
      const s = r.sampled?.[i];
      yield s ? { ...point, sampled: s } : point;
    }
  }
}
