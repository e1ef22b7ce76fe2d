/**
 * One frequency pair under several kernel profiles, side by side (what `kvmclock kernels`
 * prints): the factors each kernel gives the guest pvclock (B) and KVM_GET_CLOCK (C or C′),
 * the exact drift rates between A, B and C, the values at a horizon, the step an unforced
 * master-clock update would take there, what KVM_GET_CLOCK returns against what the guest
 * reads, and the errors each live-migration method leaves on a default migration.
 */
import type { KvmclockApi } from '../api.js';
import type { KernelProfile } from '../kernel/profile.js';
import { type ClockSummary, clockSummary } from '../model/clock-summary.js';
import type { Vendor } from '../model/vendor.js';
import { type Ratio } from '../rational.js';
import { compareMigrationMethods, type MethodResult, type MigrationConfig } from '../scenario/migration.js';

export interface KernelComparisonOptions {
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly vendor: Vendor;
  readonly hasTscControl?: boolean;
  readonly tolerancePpm?: number;
  readonly horizonNs: bigint;
  readonly kernels: readonly KernelProfile[];
  /** The migration each column runs (its kernel and the guest/host frequencies are set per column); omit to skip. */
  readonly migration?: Omit<MigrationConfig, 'kernel' | 'guestKhz'> | null;
}

/** Per day: a rate of r ppb gains r·86.4 µs a day, i.e. r·86,400 ns (exact). */
export function perDayNs(ppb: Ratio): Ratio {
  return { num: ppb.num * 86_400n, den: ppb.den };
}

export interface KernelColumn {
  readonly kernel: KernelProfile;
  readonly summary: ClockSummary;
  /** KVM_GET_CLOCK at the horizon minus what the guest reads (B), ns. */
  readonly getClockMinusGuestNs: bigint;
  /** Exact per-day drift, ns/day. */
  readonly perDayNs: { readonly bMinusA: Ratio; readonly cMinusA: Ratio; readonly bMinusC: Ratio };
  /** The methods' results on the default migration (null when skipped or when the kernel refuses the setup). */
  readonly migration: readonly MethodResult[] | null;
  /** Why the migration could not run, if it could not. */
  readonly migrationError: string | null;
}

export interface KernelComparison {
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly vendor: Vendor;
  readonly horizonNs: bigint;
  readonly migration: Omit<MigrationConfig, 'kernel' | 'guestKhz'> | null;
  readonly columns: readonly KernelColumn[];
}

/** The default migration of the comparison: the pair's host to itself, 4 vCPUs, a day since the reference, 200 ms down, 30 µs apart. */
export function defaultComparisonMigration(hostKhz: number, vendor: Vendor, hasTscControl?: boolean): Omit<MigrationConfig, 'kernel' | 'guestKhz'> {
  const spec = { tscKhz: hostKhz, vendor, hasTscControl };
  return { src: spec, dst: spec, vcpus: 4, uptimeNs: 86_400_000_000_000n, downtimeNs: 200_000_000n, syncErrorNs: 30_000n, vcpuGapNs: 10_000n, dstNoMasterClock: false, liveUpdate: false };
}

/** Evaluate the pair under every profile. */
export function compareKernels(api: KvmclockApi, o: KernelComparisonOptions): KernelComparison {
  const migration = o.migration === undefined ? defaultComparisonMigration(o.hostKhz, o.vendor, o.hasTscControl) : o.migration;
  const columns = o.kernels.map((kernel): KernelColumn => {
    const summary = clockSummary(api, { hostKhz: o.hostKhz, guestKhz: o.guestKhz, vendor: o.vendor, hasTscControl: o.hasTscControl, tolerancePpm: o.tolerancePpm, kernel }, o.horizonNs);
    let results: readonly MethodResult[] | null = null;
    let migrationError: string | null = null;
    if (migration !== null) {
      try {
        results = compareMigrationMethods(api, { ...migration, guestKhz: o.guestKhz, kernel }).results;
      } catch (e) {
        migrationError = (e as Error).message;
      }
    }
    return {
      kernel,
      summary,
      getClockMinusGuestNs: BigInt.asIntN(64, summary.getClock.clock - summary.b),
      perDayNs: { bMinusA: perDayNs(summary.ratePpb.bMinusA), cMinusA: perDayNs(summary.ratePpb.cMinusA), bMinusC: perDayNs(summary.ratePpb.bMinusC) },
      migration: results,
      migrationError,
    };
  });
  return { hostKhz: o.hostKhz, guestKhz: o.guestKhz, vendor: o.vendor, horizonNs: o.horizonNs, migration, columns };
}

/** The five cases of kernel-variants §9.2 (host kHz, guest kHz, vendor). */
export const VARIANT_CASES: readonly (readonly [number, number, Vendor])[] = [
  [2_500_000, 1_000_000, 'vmx'],
  [2_500_000, 2_000_000, 'vmx'],
  [2_500_000, 2_500_000, 'vmx'],
  [3_000_000, 2_500_000, 'vmx'],
  [3_000_000, 2_500_000, 'svm'],
];

/** One row of the one-day comparison: a case under a profile. */
export interface VariantRow {
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly vendor: Vendor;
  readonly kernel: string;
  readonly b: bigint;
  readonly c: bigint;
  readonly bMinusC: bigint;
  readonly bMinusA: bigint;
  readonly resnapshotStepNs: bigint;
  readonly ratePpb: { readonly bMinusC: Ratio; readonly bMinusA: Ratio; readonly cMinusA: Ratio };
}

/** kernel-variants §9.2 recomputed: the five cases one day after the standard reference, under each profile. */
export function variantTable(api: KvmclockApi, kernels: readonly KernelProfile[]): VariantRow[] {
  const rows: VariantRow[] = [];
  for (const [hostKhz, guestKhz, vendor] of VARIANT_CASES) {
    const r = compareKernels(api, { hostKhz, guestKhz, vendor, horizonNs: 86_400_000_000_000n, kernels, migration: null });
    for (const c of r.columns) {
      const s = c.summary;
      rows.push({ hostKhz, guestKhz, vendor, kernel: c.kernel.name, b: s.b, c: s.c, bMinusC: s.bMinusC, bMinusA: s.bMinusA, resnapshotStepNs: s.resnapshotStepNs, ratePpb: s.ratePpb });
    }
  }
  return rows;
}
