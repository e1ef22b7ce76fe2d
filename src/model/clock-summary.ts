/**
 * One frequency pair on the standard reference, evaluated at one horizon: the state
 * KVM holds (host clocksource and scale, the vCPU's ratio and pvclock record, the
 * master clock) and the three KVM clocks with their differences. This is what
 * `kvmclock clock` prints and what a drift sweep computes per point.
 */
import type { KvmclockApi } from '../api.js';
import type { ClocksourceParams, SetTscKhzResult, TimeScale } from '../backend.js';
import { type Ratio, ppbOf } from '../rational.js';
import { type GuestTscClocksource, guestTscClocksource } from './clock-d.js';
import { type AbcValues, abcValues, resnapshotStep } from './definitions.js';
import { clockRates, clocksourceRate, over, pvclockRate } from './rates.js';
import { type HvPageOutcome, hvPageOf, hvReferenceRatesPpb, vmclockForGuest, xenLeafOf } from './guest-clocks.js';
import type { VmclockPeriod, XenTscLeaf } from '../backend.js';
import type { KvmClockData } from './vm.js';
import type { PvclockRecord } from './pvclock-record.js';
import { type StandardOptions, standardVm } from './standard.js';
import type { Vendor } from './vendor.js';

export interface ClockSummary extends AbcValues {
  /** The kernel profile the VM followed (its name as given, and the changes in force). */
  readonly kernel: { readonly name: string; readonly changes: readonly string[] };
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly vendor: Vendor;
  readonly hasTscControl: boolean;
  readonly horizonNs: bigint;
  readonly host: { readonly clocksource: ClocksourceParams; readonly hostScale: TimeScale; readonly maxGuestTscKhz: number };
  readonly vcpu: {
    readonly setTscKhz: SetTscKhzResult;
    readonly ratio: bigint;
    readonly defaultRatio: bigint;
    readonly scaled: boolean;
    readonly tgtTscKhz: bigint;
    /** The pvclock frequency in Hz the record's factors come from (tgt_tsc_khz·1000, or the Hz frequency under `hz-pvclock`). */
    readonly pvclockHz: bigint;
    readonly record: PvclockRecord;
  };
  readonly master: { readonly inUse: boolean; readonly cycleNow: bigint; readonly kernelNs: bigint; readonly tscStable: boolean; readonly tscScalingRatio: bigint };
  /** The factors definition C uses and whether it is C′ (through the guest TSC: `c-via-guest-tsc`). */
  readonly hostClock: { readonly shift: number; readonly mul: number; readonly viaGuestTsc: boolean };
  /** Exact drift rates (X/Y − 1)·10^9 per host cycle, from the fixed-point factors. */
  readonly ratePpb: { readonly bMinusA: Ratio; readonly cMinusA: Ratio; readonly bMinusC: Ratio };
  /** What KVM_GET_CLOCK returns at the horizon (C or C′ with the master clock). */
  readonly getClock: KvmClockData;
  /** The clocks of guests that do not read kvmclock directly (guest-clock-abis). */
  readonly guests: GuestClocksSummary;
  readonly at: bigint;
  readonly guestTsc: bigint;
  /** D: the guest's TSC clocksource (its CLOCK_MONOTONIC_RAW), aligned with B at the reference; null if unusable. */
  readonly d: bigint | null;
  readonly bMinusD: bigint | null;
  /** The guest's TSC clocksource registration (from pvclock_tsc_khz of its record) and kvm-clock's exact rate against it. */
  readonly guestClocksource: (GuestTscClocksource & { readonly kvmclockVsDPpb: Ratio }) | null;
  /** The step B takes if the master clock is re-taken (legacy) at the horizon. */
  readonly resnapshotStepNs: bigint;
  /** kvmclock_offset the continuous re-snapshot would set at the horizon. */
  readonly continuousKvmclockOffset: bigint;
}

/** Windows (Hyper-V reference time H), Xen (the CPUID leaf; its time is B) and VMClock at the horizon. */
export interface GuestClocksSummary {
  readonly windows: {
    /** The reference TSC page KVM computes from the vCPU's record (or why it cannot). */
    readonly page: HvPageOutcome;
    /** H at the horizon in 100 ns units, and where it comes from (the page, or the MSR fallback ⌊kvmclock_ns/100⌋). */
    readonly units: bigint;
    readonly source: 'page' | 'msr';
    /** H − ⌊B/100⌋ at the horizon (the two floors may differ by one unit). */
    readonly minusBUnits: bigint;
    /** The MSR fallback ⌊get_kvmclock_ns()/100⌋ at the horizon (what Windows reads without a valid page). */
    readonly msrUnits: bigint;
    /** HV_X64_MSR_TSC_FREQUENCY: virtual_tsc_khz·1000, the frequency the guest is told. */
    readonly tscFrequencyHz: bigint;
    /** H's exact drift (ppb) against B, the guest TSC at exactly its kHz, and A; null without a valid page. */
    readonly ratePpb: { readonly vsB: Ratio; readonly vsNominal: Ratio; readonly vsA: Ratio } | null;
  };
  readonly xen: { readonly leaf: XenTscLeaf | null };
  readonly vmclock: { readonly period: VmclockPeriod; readonly vsBPpb: Ratio; readonly vsNominalPpb: Ratio } | null;
}

/**
 * Evaluate the standard reference `horizonNs` after M, at host TSC
 * M + ⌊horizonNs·host_khz/10^6⌋ (the spec's M + host_khz·1000·seconds for whole seconds).
 */
export function clockSummary(api: KvmclockApi, o: StandardOptions, horizonNs: bigint): ClockSummary {
  const { host, vm, m } = standardVm(api, o);
  const at = m + (horizonNs * BigInt(o.hostKhz)) / 1_000_000n;
  const v = vm.vcpu(0);
  const values = vm.clocks(0, at);
  const step = resnapshotStep(api, vm.clockState(0), at);
  const s64 = (x: bigint) => BigInt.asIntN(64, x);
  if (v.pvti === null || v.setTscKhzResult === null) throw new Error('standard VM has no pvclock record');
  const gcs = guestTscClocksource(api, v.pvti.tscToSystemMul, v.pvti.tscShift);
  const state = vm.clockState(0);
  const rates = clockRates(state);
  const mc = vm.masterClock;
  const page = hvPageOf(api, v.pvti);
  const hvUnits = page.valid ? api.hvRefRead(values.guestTsc, page.scale, page.offset) : api.hvRefMsr(values.kvmclockNs);
  const guests: GuestClocksSummary = {
    windows: {
      page,
      units: hvUnits,
      source: page.valid ? 'page' : 'msr',
      minusBUnits: hvUnits - values.b / 100n,
      msrUnits: api.hvRefMsr(values.kvmclockNs),
      tscFrequencyHz: BigInt(v.virtualTscKhz) * 1000n,
      ratePpb: page.valid ? hvReferenceRatesPpb(state, page.scale, o.guestKhz) : null,
    },
    xen: { leaf: xenLeafOf(api, v.hwTscKhz) },
    vmclock: o.guestKhz >= 1 ? vmclockForGuest(api, state, o.guestKhz) : null,
  };
  return {
    kernel: { name: vm.kernel.name, changes: vm.kernel.changes },
    hostKhz: o.hostKhz,
    guestKhz: o.guestKhz,
    vendor: o.vendor,
    hasTscControl: host.caps.hasTscControl,
    horizonNs,
    host: { clocksource: host.clocksource, hostScale: host.hostTimeScale, maxGuestTscKhz: host.maxGuestTscKhz },
    vcpu: {
      setTscKhz: v.setTscKhzResult,
      ratio: v.ratio,
      defaultRatio: host.caps.defaultRatio,
      scaled: v.ratio !== host.caps.defaultRatio,
      tgtTscKhz: v.hwTscKhz,
      pvclockHz: v.hwTscHz,
      record: v.pvti,
    },
    master: { inUse: mc.inUse, cycleNow: mc.cycleNow, kernelNs: mc.kernelNs, tscStable: mc.tscStable, tscScalingRatio: mc.tscScalingRatio },
    hostClock: { ...state.hostScale, viaGuestTsc: vm.kernel.has('c-via-guest-tsc') },
    ratePpb: { bMinusA: ppbOf(over(rates.b, rates.a)), cMinusA: ppbOf(over(rates.c, rates.a)), bMinusC: ppbOf(over(rates.b, rates.c)) },
    getClock: vm.getClock(at),
    guests,
    at,
    guestTsc: values.guestTsc,
    ...abcValues(values.a, values.b, values.c),
    d: values.d,
    bMinusD: values.d === null ? null : s64(values.b - values.d),
    guestClocksource: gcs === null ? null : { ...gcs, kvmclockVsDPpb: ppbOf(over(pvclockRate(v.pvti.tscToSystemMul, v.pvti.tscShift), clocksourceRate(gcs.mult, gcs.shift))) },
    resnapshotStepNs: step.legacyStepNs,
    continuousKvmclockOffset: step.continuousKvmclockOffset,
  };
}
