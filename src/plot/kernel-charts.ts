/** The chart of `kvmclock kernels --plot`: drift rates per kernel profile against guest frequency. */
import type { KvmclockApi } from '../api.js';
import type { KernelProfile } from '../kernel/profile.js';
import { clockSummary } from '../model/clock-summary.js';
import type { Vendor } from '../model/vendor.js';
import { formatDecimal } from '../rational.js';
import type { Chart } from './render.js';

export interface KernelRateRow {
  readonly kernel: string;
  readonly guestGhz: number;
  readonly quantity: 'B − C' | 'B − A' | 'C − A';
  readonly ppb: number;
}

/** Rates of every profile for guests `guestKhz` on one host (exact, rounded to 0.001 ppb for drawing). */
export function kernelRateRows(api: KvmclockApi, o: { readonly hostKhz: number; readonly vendor: Vendor; readonly hasTscControl?: boolean; readonly guestKhz: readonly number[]; readonly kernels: readonly KernelProfile[] }): KernelRateRow[] {
  const rows: KernelRateRow[] = [];
  for (const kernel of o.kernels) {
    for (const guestKhz of o.guestKhz) {
      const s = clockSummary(api, { hostKhz: o.hostKhz, guestKhz, vendor: o.vendor, hasTscControl: o.hasTscControl, kernel }, 0n);
      const base = { kernel: kernel.name, guestGhz: guestKhz / 1e6 };
      rows.push({ ...base, quantity: 'B − C', ppb: Number(formatDecimal(s.ratePpb.bMinusC, 3)) });
      rows.push({ ...base, quantity: 'B − A', ppb: Number(formatDecimal(s.ratePpb.bMinusA, 3)) });
      rows.push({ ...base, quantity: 'C − A', ppb: Number(formatDecimal(s.ratePpb.cMinusA, 3)) });
    }
  }
  return rows;
}

/** ppb against guest GHz, one line per profile, one panel per quantity. */
export function kernelRateChart(rows: readonly KernelRateRow[], hostKhz: number, vendor: Vendor): Chart {
  return {
    name: 'kernel-drift-rates',
    title: `Drift rates per kernel profile against guest TSC frequency (${hostKhz / 1e6} GHz ${vendor.toUpperCase()} host)`,
    caption:
      'Exact relative rates (X/Y − 1)·10^9 of each kernel’s fixed-point factors, rounded to 0.001 ppb: A = host raw clock, B = what the guest reads, C = KVM_GET_CLOCK (C′ through the guest TSC under c-via-guest-tsc). 1 ppb = 86.4 µs a day. Under 7.4-queued B − C′ keeps ≈ 1/guest_kHz; under clocks-v6 B and C′ share their factors.',
    spec: {
      data: { values: rows },
      facet: { row: { field: 'quantity', type: 'nominal', title: null } },
      spec: {
        width: 520,
        height: 160,
        mark: { type: 'line', point: { size: 12 } },
        encoding: {
          x: { field: 'guestGhz', type: 'quantitative', title: 'guest TSC (GHz)' },
          y: { field: 'ppb', type: 'quantitative', title: 'ppb' },
          color: { field: 'kernel', type: 'nominal', title: 'kernel' },
          strokeDash: { field: 'kernel', type: 'nominal', legend: null },
          tooltip: [{ field: 'kernel' }, { field: 'guestGhz' }, { field: 'ppb' }],
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}
