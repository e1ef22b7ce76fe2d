/**
 * The unit of sweep work as one object per point: a contiguous range of grid points,
 * computed exactly and, in sampled mode, brute-forced at N instants each (the batch task,
 * src/sweep/batch-task.ts, read back point by point). Runs on the calling thread or in a
 * pool worker (results are structured-cloned; bigints survive).
 */
import type { BackendName } from '../backend.js';
import { batchPoint } from './batch-point.js';
import { sweepBatchTask } from './batch-task.js';
import type { SweepResult } from './format.js';
import type { Grid } from './grid.js';
import { packGrid } from './grid-pack.js';

export interface SweepJob {
  readonly grid: Grid;
  readonly from: number;
  readonly to: number;
  /** Samples per point; 0 for exact values only. */
  readonly samples: bigint;
  readonly backend: BackendName;
}

export interface SweepJobResult {
  readonly results: SweepResult[];
  /** Clock evaluations done for sampling (3 per sample: A, B and C). */
  readonly conversions: number;
}

/** Compute the points [from, to) of a grid. */
export function sweepTask(job: SweepJob): SweepJobResult {
  const r = sweepBatchTask({ grid: packGrid(job.grid), from: job.from, to: job.to, samples: job.samples, backend: job.backend, points: true });
  if (r.results !== undefined) return { results: r.results, conversions: r.conversions };
  const results: SweepResult[] = [];
  const b = r.batch;
  if (b !== undefined) {
    for (let i = 0; i < b.count; i++) {
      const { point } = batchPoint(b, job.grid, i);
      const s = r.sampled?.[i];
      results.push(s ? { ...point, sampled: s } : point);
    }
  }
  return { results, conversions: r.conversions };
}
