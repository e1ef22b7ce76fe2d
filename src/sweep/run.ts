/**
 * Runs a sweep: the shard's index range cut into jobs of contiguous points, computed on
 * the calling thread (one worker) or on a worker pool, and handed back strictly in index
 * order whatever the worker count. At most a few jobs are in flight and finished jobs
 * wait only until their predecessors finish, so memory stays bounded for any grid.
 */
import { availableParallelism } from 'node:os';
import type { BackendName } from '../backend.js';
import { ArgumentRangeError } from '../errors.js';
import { kvmclock } from '../index.js';
import { WorkerPool } from '../parallel/pool.js';
import { evaluatePoint } from './exact-point.js';
import type { SweepResult } from './format.js';
import { checkGrid, type Grid, gridSize, pointAt, type Shard, shardRange } from './grid.js';
import { sampledExtremes } from './sampled-kernel.js';
import { type SweepJob, type SweepJobResult, sweepTask } from './task.js';

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
}

export interface SweepProgress {
  readonly pointsDone: number;
  readonly pointsTotal: number;
  readonly conversionsDone: number;
}

/** Index range, job size and totals of a sweep, known before any work starts. */
export interface SweepPlan {
  readonly from: number;
  readonly to: number;
  readonly points: number;
  readonly pointsPerJob: number;
  readonly jobs: number;
  /** Worker threads the run starts: never more than jobs (1: the calling thread computes). */
  readonly workers: number;
}

/** The most samples one point may take (instants stay exact in u64 arithmetic). */
export const MAX_SAMPLES = 1n << 32n;

/** Validate options and plan the run; throws before any work starts. */
export function planSweep(o: SweepOptions): SweepPlan {
  checkGrid(o.grid);
  if (typeof o.samples !== 'bigint' || o.samples < 0n || o.samples > MAX_SAMPLES) {
    throw new ArgumentRangeError('samples', 'samples per point', 0n, MAX_SAMPLES, String(o.samples));
  }
  if (!Number.isSafeInteger(o.workers) || o.workers < 1 || o.workers > 256) throw new ArgumentRangeError('workers', 'worker threads', 1n, 256n, o.workers);
  const total = gridSize(o.grid);
  const { from, to } = o.shard ? shardRange(total, o.shard) : { from: 0, to: total };
  const perPointCost = o.samples > 0n ? Number(o.samples) : 50; // one exact point ≈ 50 samples' work
  const pointsPerJob = o.pointsPerJob ?? Math.max(1, Math.min(4096, Math.floor(20_000_000 / perPointCost)));
  const jobs = Math.ceil((to - from) / pointsPerJob);
  // Never more threads than jobs: a worker started only to be stopped again is pure cost.
  return { from, to, points: to - from, pointsPerJob, jobs, workers: Math.max(1, Math.min(o.workers, jobs)) };
}

/** The work of a plan in units of one sample's work (an exact point counts as 50): a size estimate without timing. */
export function planWork(o: Pick<SweepOptions, 'samples'>, plan: SweepPlan): number {
  return plan.points * (50 + Number(o.samples));
}

/**
 * An estimate of a sweep's wall time in seconds, from timing a few of its own points on
 * this thread (a few milliseconds): the exact evaluation of up to 24 points spread over the
 * range and, in sampled mode, up to 65,536 samples of one of them; then scaled by the points,
 * the samples per point and the workers that can run at once. Rough (a busy machine, the
 * output itself), but it tells minutes from years.
 */
export function estimateSweepSeconds(o: SweepOptions, plan: SweepPlan): number {
  if (plan.points === 0) return 0;
  const api = kvmclock(o.backend);
  const picks = Math.min(plan.points, 24);
  const at = (k: number) => pointAt(o.grid, plan.from + Math.floor((k * plan.points) / picks));
  for (let k = 0; k < Math.min(picks, 8); k++) evaluatePoint(api, at(k), o.grid.tolerancePpm); // warm-up
  let state: ReturnType<typeof evaluatePoint>['state'];
  let horizonCycles = 0n;
  const t0 = performance.now();
  for (let k = 0; k < picks; k++) {
    const p = at(k);
    const r = evaluatePoint(api, p, o.grid.tolerancePpm);
    if (r.state !== undefined && state === undefined) {
      state = r.state;
      horizonCycles = BigInt(p.hostKhz) * 1000n * p.horizonS;
    }
  }
  let perPointMs = (performance.now() - t0) / picks;
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
 * The results of the shard in index order. `onProgress` is called after each job.
 * A failing job (a worker error or crash) rejects the iteration and stops the pool.
 */
export async function* runSweep(o: SweepOptions, onProgress?: (p: SweepProgress) => void): AsyncGenerator<SweepResult> {
  const plan = planSweep(o);
  const jobs = function* (): Generator<SweepJob> {
    for (let a = plan.from; a < plan.to; a += plan.pointsPerJob) {
      yield { grid: o.grid, from: a, to: Math.min(plan.to, a + plan.pointsPerJob), samples: o.samples, backend: o.backend };
    }
  };
  let done = 0;
  let conversions = 0;
  const report = (r: SweepJobResult) => {
    done += r.results.length;
    conversions += r.conversions;
    onProgress?.({ pointsDone: done, pointsTotal: plan.points, conversionsDone: conversions });
  };

  const workers = plan.workers;
  if (workers === 1) {
    for (const job of jobs()) {
      const r = sweepTask(job);
      report(r);
      yield* r.results;
      // A turn of the event loop between jobs: signals (Ctrl-C) and output are serviced while the thread computes.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return;
  }

  const pool = new WorkerPool({ workers });
  const task = new URL(import.meta.url.endsWith('.ts') ? './task.ts' : './task.js', import.meta.url).href;
  const pending: Promise<SweepJobResult>[] = [];
  const source = jobs();
  const maxInFlight = 2 * workers;
  let failed: unknown;
  const launch = () => {
    const next = source.next();
    if (next.done) return false;
    const p = pool.run<SweepJobResult>(task, 'sweepTask', next.value);
    p.catch((e: unknown) => (failed ??= e)); // observed here; rethrown in order below
    pending.push(p);
    return true;
  };
  try {
    while (pending.length < maxInFlight && launch());
    while (pending.length > 0) {
      const r = await (pending.shift() as Promise<SweepJobResult>);
      if (failed !== undefined) throw failed;
      launch();
      report(r);
      yield* r.results;
    }
  } finally {
    await pool.destroy().catch(() => undefined);
  }
}
