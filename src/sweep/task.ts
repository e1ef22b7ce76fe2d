/**
 * The unit of sweep work: a contiguous range of grid points, computed exactly and, in
 * sampled mode, brute-forced at N instants each. Runs on the calling thread or in a
 * pool worker (results are structured-cloned; bigints survive).
 */
import type { BackendName } from '../backend.js';
import { kvmclock } from '../index.js';
import { evaluatePoint } from './exact-point.js';
import type { SweepResult } from './format.js';
import { type Grid, pointAt } from './grid.js';
import { sampledExtremes } from './sampled-kernel.js';
import { describeExtremes } from './sampled.js';

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
  const api = kvmclock(job.backend);
  const results: SweepResult[] = [];
  let conversions = 0;
  for (let i = job.from; i < job.to; i++) {
    const p = pointAt(job.grid, i);
    const { point, state } = evaluatePoint(api, p, job.grid.tolerancePpm);
    if (job.samples > 0n && state !== undefined) {
      const horizonCycles = BigInt(p.hostKhz) * 1000n * p.horizonS;
      const raw = sampledExtremes(job.backend, api, state, horizonCycles, job.samples);
      results.push({ ...point, sampled: describeExtremes(raw, state.masterCycleNow, horizonCycles, job.samples, p.hostKhz) });
      conversions += 3 * Number(job.samples);
    } else {
      results.push(point);
    }
  }
  return { results, conversions };
}
