/**
 * Runs a sweep in batches: the shard's index range cut into jobs of contiguous points
 * (src/sweep/batch-task.ts), computed on the calling thread (one worker) or on a worker
 * pool, and handed back strictly in index order whatever the worker count. At most
 * 2 × workers jobs are in flight and a finished job waits only for its predecessors, so
 * memory stays bounded for any grid; a job returns its lines already printed and its own
 * worst points, so the calling thread only writes and merges.
 */
import type { BackendName } from '../backend.js';
import { ArgumentRangeError } from '../errors.js';
import { WorkerPool } from '../parallel/pool.js';
import type { BatchTextSpec } from './batch-format.js';
import { type BatchJob, type BatchJobResult, sweepBatchTask } from './batch-task.js';
import { type ChainGrid, chainGridSize } from './chain-grid.js';
import { checkGrid, type GridNames, MAX_POINTS, type Shard, shardRange } from './grid.js';
import { packGrid } from './grid-pack.js';

export interface BatchSweepOptions {
  readonly grid: ChainGrid;
  /** Samples per point (0: exact values only). */
  readonly samples: bigint;
  readonly shard?: Shard;
  /** Worker threads (1: run on this thread). */
  readonly workers: number;
  readonly backend: BackendName;
  /** Points per job (default: sized so a job is well under a second). */
  readonly pointsPerJob?: number;
  /** Print each job's points. */
  readonly text?: BatchTextSpec;
  /** Return every point (see BatchJob.points). */
  readonly points?: boolean;
  /** Each job returns its worst `top` points. */
  readonly top?: number;
  /** Asked when a job is sent: should it return its rate rows (the chart's cap not reached yet)? */
  readonly rates?: () => boolean;
  /** Grid part names for errors (the CLI's option names). */
  readonly names?: GridNames;
  /**
   * The caller is done with a result's printed bytes when it asks for the next result (it
   * has written them, and a write of 64 KiB or more waits until the stream took them): their
   * buffers go back to the workers for the next jobs, so that no memory is allocated per job.
   */
  readonly recycleText?: boolean;
}

/** Points per job of an exact sweep printing JSON lines (other exact sweeps: 8192). */
const JSON_POINTS_PER_JOB = 6144;

/** Printed bytes of at least this size are recycled (a smaller write may still be queued when it returns). */
const RECYCLE_MIN_BYTES = 64 * 1024;

export interface BatchProgress {
  readonly pointsDone: number;
  readonly pointsTotal: number;
  readonly conversionsDone: number;
}

/** Index range, job size and totals of a sweep, known before any work starts. */
export interface BatchPlan {
  readonly from: number;
  readonly to: number;
  readonly points: number;
  readonly pointsPerJob: number;
  readonly jobs: number;
  /** Worker threads the run starts: never more than jobs (1: the calling thread computes). */
  readonly workers: number;
}

/** The most samples one point may take (instants stay exact in u64 arithmetic). */
export const MAX_BATCH_SAMPLES = 1n << 32n;

/** Validate options and plan the run; throws before any work starts. */
export function planBatches(o: BatchSweepOptions): BatchPlan {
  checkGrid(o.grid, o.names);
  if (typeof o.samples !== 'bigint' || o.samples < 0n || o.samples > MAX_BATCH_SAMPLES) {
    throw new ArgumentRangeError('samples', 'samples per point', 0n, MAX_BATCH_SAMPLES, String(o.samples));
  }
  if (!Number.isSafeInteger(o.workers) || o.workers < 1 || o.workers > 256) throw new ArgumentRangeError('workers', 'worker threads', 1n, 256n, o.workers);
  const total = chainGridSize(o.grid);
  if (total > MAX_POINTS) throw new ArgumentRangeError('grid', 'points', 1n, BigInt(MAX_POINTS), total, 'too many points (kernel profiles included): shard the run');
  const { from, to } = o.shard ? shardRange(total, o.shard) : { from: 0, to: total };
  // An exact point costs about a tenth of a microsecond in the chain and a few printing it;
  // a sampled point costs its samples. A job's printed bytes are what the run holds in memory
  // per job in flight (and per buffer kept for reuse): a JSON line is about 1 KB (with its
  // hvPage member), so JSON jobs are smaller, near 6 MB each.
  const pointsPerJob =
    o.pointsPerJob ?? (o.samples > 0n ? Math.max(1, Math.min(4096, Math.floor(20_000_000 / Number(o.samples)))) : o.backend === 'reference' ? 1024 : o.text?.format === 'json' ? JSON_POINTS_PER_JOB : 8192);
  const jobs = Math.ceil((to - from) / pointsPerJob);
  return { from, to, points: to - from, pointsPerJob, jobs, workers: Math.max(1, Math.min(o.workers, jobs)) };
}

/**
 * The shard's jobs' results in index order. `onProgress` is called after each job. A failing
 * job (a worker error or crash) rejects the iteration and stops the pool.
 */
export async function* runSweepBatches(o: BatchSweepOptions, onProgress?: (p: BatchProgress) => void): AsyncGenerator<BatchJobResult> {
  const plan = planBatches(o);
  const grid = packGrid(o.grid);
  // Buffers of printed bytes the caller is done with, for the next jobs.
  const free: ArrayBuffer[] = [];
  const recycle = (r: BatchJobResult) => {
    if (o.recycleText && r.text !== undefined && r.text.byteLength >= RECYCLE_MIN_BYTES && free.length <= 2 * plan.workers + 1) free.push(r.text.buffer as ArrayBuffer);
  };
  const jobs = function* (): Generator<BatchJob> {
    for (let a = plan.from; a < plan.to; a += plan.pointsPerJob) {
      yield {
        grid,
        from: a,
        to: Math.min(plan.to, a + plan.pointsPerJob),
        samples: o.samples,
        backend: o.backend,
        ...(o.text === undefined ? {} : { text: o.text }),
        ...(o.points ? { points: true } : {}),
        ...(o.top ? { top: o.top } : {}),
        ...(o.rates?.() ? { rates: true } : {}),
        ...(free.length > 0 ? { buffer: free.pop() } : {}),
      };
    }
  };
  let done = 0;
  let conversions = 0;
  const report = (r: BatchJobResult) => {
    done += r.count;
    conversions += r.conversions;
    onProgress?.({ pointsDone: done, pointsTotal: plan.points, conversionsDone: conversions });
  };

  if (plan.workers === 1) {
    for (const job of jobs()) {
      const r = sweepBatchTask(job);
      report(r);
      yield r;
      recycle(r);
      // A turn of the event loop between jobs: signals (Ctrl-C) and output are serviced while the thread computes.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return;
  }

  const pool = new WorkerPool({ workers: plan.workers });
  const task = new URL(import.meta.url.endsWith('.ts') ? './batch-task.ts' : './batch-task.js', import.meta.url).href;
  const pending: Promise<BatchJobResult>[] = [];
  const source = jobs();
  const maxInFlight = 2 * plan.workers;
  let failed: unknown;
  const launch = () => {
    const next = source.next();
    if (next.done) return false;
    const p = pool.run<BatchJobResult>(task, 'sweepBatchTask', next.value, next.value.buffer === undefined ? undefined : [next.value.buffer]);
    p.catch((e: unknown) => (failed ??= e)); // observed here; rethrown in order below
    pending.push(p);
    return true;
  };
  try {
    while (pending.length < maxInFlight && launch());
    while (pending.length > 0) {
      const r = await (pending.shift() as Promise<BatchJobResult>);
      if (failed !== undefined) throw failed;
      report(r);
      yield r;
      recycle(r);
      launch();
    }
  } finally {
    await pool.destroy().catch(() => undefined);
  }
}
