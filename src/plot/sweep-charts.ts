/** Charts of a drift sweep: rates against guest frequency per host, and divergence against time for the worst points. */
import type { KvmclockApi } from '../api.js';
import { formatDecimal } from '../rational.js';
import { type ExactPoint, evaluatePoint, isFailedPoint } from '../sweep/exact-point.js';
import type { SweepResult } from '../sweep/format.js';
import type { GridPoint } from '../sweep/grid.js';
import { sampleInstant } from '../sweep/sampled.js';
import { clockA, clockB, clockC } from '../model/definitions.js';
import type { Chart } from './render.js';

export interface RateRow {
  readonly hostGhz: string;
  readonly guestGhz: number;
  readonly vendor: string;
  readonly quantity: 'B − A' | 'B − C' | 'C − A';
  readonly ppb: number;
}

/**
 * Rate rows of one exact point (rates do not depend on the horizon). With `withKernel` (a
 * sweep of several kernel profiles) the panel says the profile too: `VMX · clocks-v6`.
 */
export function rateRows(p: ExactPoint, withKernel = false): RateRow[] {
  const vendor = withKernel ? `${p.vendor.toUpperCase()} · ${p.kernel ?? '6.18'}` : p.vendor.toUpperCase();
  const base = { hostGhz: `${(p.hostKhz / 1e6).toFixed(6).replace(/\.?0+$/, '')} GHz host`, guestGhz: p.guestKhz / 1e6, vendor };
  return [
    { ...base, quantity: 'B − A', ppb: Number(formatDecimal(p.ratePpb.bMinusA, 3)) },
    { ...base, quantity: 'B − C', ppb: Number(formatDecimal(p.ratePpb.bMinusC, 3)) },
    { ...base, quantity: 'C − A', ppb: Number(formatDecimal(p.ratePpb.cMinusA, 3)) },
  ];
}

/** The drift-rate chart: ppb against guest GHz, one line per host, one panel per quantity and vendor. */
export function rateChart(rows: readonly RateRow[]): Chart {
  return {
    name: 'drift-rates',
    title: 'Drift rates of the KVM clock definitions against guest TSC frequency',
    caption:
      'Exact relative rates (X/Y − 1)·10^9 of the kernel’s fixed-point factors, rounded to 0.001 ppb: A = host raw clock (CLOCK_MONOTONIC_RAW), B = what the guest reads through its pvclock, C = __get_kvmclock (KVM_GET_CLOCK). 1 ppb = 86.4 µs a day. Scaled guests gain ≈ 1/guest_kHz on C because tgt_tsc_khz is floored.',
    spec: {
      data: { values: rows },
      facet: { row: { field: 'quantity', type: 'nominal', title: null }, column: { field: 'vendor', type: 'nominal', title: null } },
      spec: {
        width: 420,
        height: 180,
        mark: { type: 'line', point: { size: 12 } },
        encoding: {
          x: { field: 'guestGhz', type: 'quantitative', title: 'guest TSC (GHz)' },
          y: { field: 'ppb', type: 'quantitative', title: 'ppb' },
          color: { field: 'hostGhz', type: 'nominal', title: 'host' },
          tooltip: [{ field: 'hostGhz' }, { field: 'guestGhz' }, { field: 'ppb' }],
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/**
 * Divergence against time for the worst points: B − A and B − C evaluated exactly at
 * `samples` instants over each point's horizon (step interpolation: the values are floors).
 */
export function divergenceChart(api: KvmclockApi, worst: readonly (GridPoint | SweepResult)[], tolerancePpm: number, samples = 240, withKernel = false): Chart {
  const rows: { point: string; hours: number; quantity: string; ms: number }[] = [];
  for (const r of worst) {
    if ('error' in r && isFailedPoint(r)) continue;
    const { state } = evaluatePoint(api, r, tolerancePpm);
    if (state === undefined) continue;
    const label = `${r.hostKhz / 1e6} → ${r.guestKhz / 1e6} GHz ${r.vendor.toUpperCase()}${withKernel ? ` · ${r.kernel ?? '6.18'}` : ''}`;
    const horizon = BigInt(r.hostKhz) * 1000n * r.horizonS;
    const n = BigInt(samples);
    for (let i = 0n; i < n; i++) {
      const h = sampleInstant(state.masterCycleNow, horizon, n, i);
      const b = clockB(api, state, h);
      const hours = Number(((h - state.masterCycleNow) * 1000n) / BigInt(r.hostKhz)) / 3.6e9;
      rows.push({ point: label, hours, quantity: 'B − A', ms: Number(BigInt.asIntN(64, b - clockA(api, state, h))) / 1e6 });
      rows.push({ point: label, hours, quantity: 'B − C', ms: Number(BigInt.asIntN(64, b - clockC(api, state, h))) / 1e6 });
    }
  }
  return {
    name: 'divergence-over-time',
    title: 'Divergence of the guest clock (B) from A and C over time, worst points',
    caption: `B − A is the step a legacy master-clock re-snapshot would cause at that moment (negated); B − C is how far the guest’s kvmclock is from what KVM_GET_CLOCK reports. ${samples} exact evaluations per point, drawn as steps.`,
    spec: {
      data: { values: rows },
      facet: { column: { field: 'quantity', type: 'nominal', title: null } },
      spec: {
        width: 420,
        height: 260,
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'hours', type: 'quantitative', title: 'time since the master-clock reference (h)' },
          y: { field: 'ms', type: 'quantitative', title: 'divergence (ms)' },
          color: { field: 'point', type: 'nominal', title: 'host → guest' },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}
