/**
 * Guests that do not read kvmclock directly, across a live migration or live update
 * (guest-clock-abis §1 and §3; issue 16): clock H of a Windows guest — the Hyper-V
 * reference time from the reference TSC page KVM derives from the kvmclock record, or the
 * reference-counter MSR when the page is invalid — and VMClock, the page a VMM (not KVM)
 * populates with the guest TSC's relation to true time.
 *
 * The migration scenario (./migration.ts) runs the methods; this module holds what is
 * measured for these guests and the VMM-side conventions, each stated where it is chosen:
 *
 * Windows
 * - The guest enables the reference TSC page at boot (a guest write of
 *   HV_X64_MSR_REFERENCE_TSC with the enable bit, at the instant the VM first runs), so on
 *   the source the page is SET and the guest reads H from it.
 * - The destination VMM restores HV_X64_MSR_REFERENCE_TSC as a host write (KVM_SET_MSRS,
 *   part of the vCPU state restore, so before the clock and TSC-offset ioctls — the order
 *   QEMU follows: registers are put before the kvmclock device sets the clock at VM start).
 *   KVM then computes the page at the first kvm_guest_time_update, which on the
 *   destination is the first KVM_RUN (the resume): SET when that record carries
 *   PVCLOCK_TSC_STABLE, BROKEN (sticky, sequence 0) when it does not — a destination
 *   without a master clock, or whose restored offsets do not match — and then Windows reads
 *   the MSR, ⌊get_kvmclock_ns()/100⌋: C (C′) with a master clock, A without; never B.
 * - The page's bytes live in guest memory and travel with it; KVM writes sequence 0 before
 *   it recomputes the page, so the guest never sees the source's scale and offset with the
 *   destination's clock when the clock is restored before the first KVM_RUN (the order
 *   cloud-hypervisor adopted in its #7932). The model's destination page starts from
 *   sequence 0 rather than the migrated sequence; only the sequence number differs.
 * - "Update unsafe" (re-enlightenment with TSC emulation, nested Hyper-V) is not modelled.
 *
 * VMClock
 * - A VMM populates the page for the guest TSC at the frequency it set
 *   (KVM_SET_TSC_KHZ·1000 Hz) with api.vmclockPeriod (§3.4), counter_id TSC, UTC time from
 *   its host's CLOCK_REALTIME with tai_offset_sec = −37 (UTC − TAI) and TAI_OFFSET_VALID,
 *   clock_status SYNCHRONIZED, at the instant it last updated the page: on the source, the
 *   pause (the freshest page a carried copy can have). time_frac_sec is the nanoseconds'
 *   2^-64 fraction rounded up, so that the guest reads back exactly the nanosecond written.
 * - "carried": a VMM that migrates the page as ordinary memory and changes nothing — the
 *   guest keeps extrapolating the source's line from its (restored) TSC, disruption marker
 *   unchanged. (QEMU's vmclock device migrates its page this way and increments the marker
 *   on load, without populating time.)
 * - "re-populated": the destination VMM writes a new page from its own CLOCK_REALTIME
 *   (the source's plus the sync error) at the resume instant, and gives the disruption
 *   marker a new value (the source's + 1) whenever the counter was disrupted: always
 *   between two hosts (another oscillator), and on the same host when the guest TSC did
 *   not continue exactly.
 * - True time: the scenario's true instant t is UTC REALTIME_EPOCH + t (the source host's
 *   CLOCK_REALTIME is true unless given a frequency error), TAI = UTC + 37 s.
 */
import type { KvmclockApi } from '../api.js';
import type { VmclockPeriod } from '../backend.js';
import type { HvTscPageState } from '../model/hyperv-page.js';
import type { PvclockRecord } from '../model/pvclock-record.js';
import { vmclockForGuest } from '../model/guest-clocks.js';
import type { Vm } from '../model/vm.js';
import { type Ratio, reduce } from '../rational.js';

export type MigrationGuest = 'linux' | 'windows';
export const MIGRATION_GUESTS: readonly MigrationGuest[] = ['linux', 'windows'];

/** How a VMM turns the KVM_GET_CLOCK value it saved into the one it restores with KVM_SET_CLOCK. */
export type ClockRounding = 'exact' | 'down' | 'up';
export const CLOCK_ROUNDINGS: readonly ClockRounding[] = ['exact', 'down', 'up'];

const NS_PER_UNIT = 100n;

/**
 * The clock value a VMM restores. `exact`: the saved nanoseconds. `down`: ⌊c/100⌋·100, what a
 * VMM keeps when it saves the reference time in 100 ns units by truncation (the value the
 * reference-counter MSR gives while the page is not SET). `up`: ⌈c/100⌉·100, OpenVMM's choice
 * since its #4066 ("so that a restore never moves the clock backwards"); a value within 99 ns
 * of 2^64 wraps, as a u64 addition in a VMM would.
 */
export function roundClock(clockNs: bigint, rounding: ClockRounding): bigint {
  const r = clockNs % NS_PER_UNIT;
  if (rounding === 'exact' || r === 0n) return clockNs;
  if (rounding === 'down') return clockNs - r;
  return BigInt.asUintN(64, clockNs - r + NS_PER_UNIT);
}

/** What the Windows guest read on the source: the page it enabled, as it stood at the pause, and its last H. */
export interface WindowsSource {
  readonly page: HvTscPageState;
  /** H (vCPU 0, 100 ns units) at the pause: the last value the guest read. */
  readonly lastReadUnits: bigint;
}

/** What a Windows guest sees at resume for one method. */
export interface WindowsMethodResult {
  /** H at resume (vCPU 0), 100 ns units, and where the guest reads it. */
  readonly resumeUnits: bigint;
  readonly source: 'page' | 'msr';
  /** H at resume minus the last H read before the pause: units, and ×100 ns. */
  readonly stepUnits: bigint;
  readonly stepNs: bigint;
  /** H at resume minus the ideal (what the source would have given the guest then: its page line at the ideal guest TSC): units, and ×100 ns. */
  readonly errorUnits: bigint;
  readonly errorNs: bigint;
  /** How far H went backwards at resume, units (0 if it went forwards). Windows has no guard against it. */
  readonly backwardUnits: bigint;
  /** H − ⌊B/100⌋ at resume: 0 or ±1 from the page's floors; the C/A − B gap on the MSR. */
  readonly minusBUnits: bigint;
  /** The reference-counter MSR at resume: ⌊get_kvmclock_ns()/100⌋ while the page is not SET, the page formula while it is. */
  readonly msrUnits: bigint;
  /** The clock get_kvmclock_ns() returns on the destination: C (C′ under c-via-guest-tsc) with a master clock, A without. */
  readonly kvmclockDefinition: 'C' | 'C′' | 'A';
  /** The page after resume (status SET or BROKEN, sticky). */
  readonly page: HvTscPageState;
  /** vCPU 0's kvmclock record at resume: the first vCPU to enter computed the page from it (kvm_hv_setup_tsc_page). */
  readonly record: PvclockRecord;
  /** H error against the ideal after resume: [ns since resume, units]. */
  readonly errorSeries: readonly (readonly [bigint, bigint])[];
}

/**
 * One instant after resume: the destination host TSC then, and the ideal H — what the source
 * would have given the guest at that true instant had it kept running: its page line at the
 * ideal guest TSC (or, for a page that was never valid, its reference-counter MSR).
 */
export interface IdealPoint {
  readonly dtNs: bigint;
  readonly h: bigint;
  readonly idealUnits: bigint;
}

/** Measure clock H on the destination at resume (points[0] is the resume instant, dt 0). */
export function measureWindows(dst: Vm, source: WindowsSource, points: readonly IdealPoint[]): WindowsMethodResult {
  const at = points[0];
  const c = dst.clocks(0, at.h);
  const ideal = at.idealUnits;
  const stepUnits = c.hvReference.units - source.lastReadUnits;
  const errorUnits = c.hvReference.units - ideal;
  const master = dst.masterClock.inUse;
  return {
    resumeUnits: c.hvReference.units,
    source: c.hvReference.source,
    stepUnits,
    stepNs: stepUnits * NS_PER_UNIT,
    errorUnits,
    errorNs: errorUnits * NS_PER_UNIT,
    backwardUnits: stepUnits < 0n ? -stepUnits : 0n,
    minusBUnits: c.hvReference.units - c.b / NS_PER_UNIT,
    msrUnits: dst.hvReferenceCounter(at.h),
    kvmclockDefinition: master ? (dst.kernel.has('c-via-guest-tsc') ? 'C′' : 'C') : 'A',
    page: dst.hvTscPage,
    record: dst.vcpu(0).pvti as PvclockRecord,
    errorSeries: points.map((p) => [p.dtNs, dst.clocks(0, p.h).hvReference.units - p.idealUnits] as const),
  };
}

/** One rounding of the restored clock, for one method that restores it with KVM_SET_CLOCK. */
export interface RoundingVariant {
  readonly rounding: ClockRounding;
  /** The clock value the VMM passed to KVM_SET_CLOCK. */
  readonly restoredClockNs: bigint;
  /** restored − saved (ns): 0, −(c mod 100) or +(100 − c mod 100). */
  readonly roundingNs: bigint;
  /** The guest's kvmclock (B) and H steps at resume (first read after minus last read before). */
  readonly bStepNs: bigint;
  readonly hStepUnits: bigint;
  /** B and H at resume against the ideal. */
  readonly bErrorNs: bigint;
  readonly hErrorUnits: bigint;
  /** B and H at resume minus the exact restore's: the rounding's own step. */
  readonly bVsExactNs: bigint;
  readonly hVsExactUnits: bigint;
}

export interface RoundingResult {
  readonly method: string;
  /** KVM_GET_CLOCK's value on the source (the clock the VMM saved). */
  readonly savedClockNs: bigint;
  readonly variants: readonly RoundingVariant[];
}

/** The roundings that never put B or H below the exact restore's, in every method compared (and never restore less than was saved). */
export function neverBackwards(rows: readonly RoundingResult[]): ClockRounding[] {
  return CLOCK_ROUNDINGS.filter((mode) =>
    rows.every((row) => row.variants.filter((v) => v.rounding === mode).every((v) => v.roundingNs >= 0n && v.bVsExactNs >= 0n && v.hVsExactUnits >= 0n)),
  );
}

// ------------------------------------------------------------------------------ VMClock

/** vmclock-abi.h values the VMM writes. */
export const VMCLOCK_TIME_UTC = 0;
export const VMCLOCK_FLAG_TAI_OFFSET_VALID = 1n;
export const VMCLOCK_STATUS_SYNCHRONIZED = 2;
/** UTC − TAI in seconds since 2017 (the field's sign: the driver subtracts it). */
export const VMCLOCK_TAI_OFFSET_SEC = -37;
const TAI_MINUS_UTC_NS = 37_000_000_000n;
const NS_PER_SEC = 1_000_000_000n;
const TWO_64 = 1n << 64n;

/** The VMClock fields that enter the guest's time (and the marker). */
export interface VmclockPage {
  readonly counterValue: bigint;
  readonly counterPeriodFracSec: bigint;
  readonly counterPeriodShift: number;
  readonly timeSec: bigint;
  readonly timeFracSec: bigint;
  readonly timeType: number;
  readonly flags: bigint;
  readonly taiOffsetSec: number;
  readonly clockStatus: number;
  readonly disruptionMarker: bigint;
}

/** The page a VMM writes: the guest TSC `counterValue` corresponds to UTC `utcNs`. */
export function populateVmclock(period: VmclockPeriod, counterValue: bigint, utcNs: bigint, disruptionMarker: bigint): VmclockPage {
  const rem = utcNs % NS_PER_SEC;
  return {
    counterValue,
    counterPeriodFracSec: period.period,
    counterPeriodShift: period.shift,
    timeSec: utcNs / NS_PER_SEC,
    timeFracSec: (rem * TWO_64 + NS_PER_SEC - 1n) / NS_PER_SEC, // rounded up: reads back as exactly `rem` ns
    timeType: VMCLOCK_TIME_UTC,
    flags: VMCLOCK_FLAG_TAI_OFFSET_VALID,
    taiOffsetSec: VMCLOCK_TAI_OFFSET_SEC,
    clockStatus: VMCLOCK_STATUS_SYNCHRONIZED,
    disruptionMarker,
  };
}

/** The TAI time (ns) ptp_vmclock gives the guest at counter reading `counter`. */
export function vmclockTaiNs(api: KvmclockApi, p: VmclockPage, counter: bigint): bigint {
  const t = api.vmclockGettime(counter, p.counterValue, p.counterPeriodFracSec, p.counterPeriodShift, p.timeSec, p.timeFracSec, p.timeType, p.flags, p.taiOffsetSec, p.clockStatus);
  return t.sec * NS_PER_SEC + BigInt(t.nsec);
}

/** True TAI (ns) at a true UTC instant. */
export const trueTaiNs = (utcNs: bigint): bigint => utcNs + TAI_MINUS_UTC_NS;

/** The VMClock the source VMM populated, and VMClock time's exact drift against the guest's kvmclock. */
export interface VmclockSource {
  /** The counter frequency the VMM uses: the guest TSC kHz it set, ×1000. */
  readonly counterHz: bigint;
  readonly page: VmclockPage;
  /** True time (ns since the scenario's zero) at which the page was populated: the pause. */
  readonly populatedAtNs: bigint;
  /** VMClock TAI at that instant minus true TAI (ns): the source host's CLOCK_REALTIME error. */
  readonly errorNs: bigint;
  /** VMClock time's exact rate against B on the source's record, and against the guest TSC at exactly its kHz (ppb, in lowest terms). */
  readonly vsBPpb: Ratio;
  readonly vsNominalPpb: Ratio;
}

/** The source side: the period for the guest TSC frequency and the page at `counterValue` ↔ `utcNs`. */
export function vmclockSource(api: KvmclockApi, src: Vm, guestKhz: number, counterValue: bigint, utcNs: bigint, trueUtcNs: bigint, populatedAtNs: bigint): VmclockSource {
  const v = vmclockForGuest(api, src.clockState(0), guestKhz);
  const page = populateVmclock(v.period, counterValue, utcNs, 1n);
  return { counterHz: BigInt(guestKhz) * 1000n, page, populatedAtNs, errorNs: vmclockTaiNs(api, page, counterValue) - trueTaiNs(trueUtcNs), vsBPpb: reduce(v.vsBPpb), vsNominalPpb: reduce(v.vsNominalPpb) };
}

/** VMClock time at resume, for one VMM behaviour. */
export interface VmclockOutcome {
  readonly page: VmclockPage;
  /** The guest's VMClock TAI at resume (ns) and its error against true TAI. */
  readonly taiNs: bigint;
  readonly errorNs: bigint;
  readonly markerChanged: boolean;
}

/** What one method did to VMClock. */
export interface VmclockMethodResult {
  /** The counter (guest TSC) was disrupted: another host, or a guest TSC that did not continue exactly. */
  readonly counterDisrupted: boolean;
  /** The page migrated unchanged: the source's line at the resumed guest TSC, the marker unchanged. */
  readonly carried: VmclockOutcome;
  /** The page re-populated at resume from the destination's CLOCK_REALTIME; a new marker if the counter was disrupted. */
  readonly repopulated: VmclockOutcome;
  /** VMClock time's exact rate against the destination's B (the record after resume), ppb. */
  readonly vsBPpb: Ratio;
}

/**
 * VMClock at resume: `counter` is the guest TSC (vCPU 0) at the resume instant, `dstUtcNs`
 * the destination's CLOCK_REALTIME then, `trueUtcNs` the true UTC then.
 */
export function measureVmclock(api: KvmclockApi, source: VmclockSource, dst: Vm, guestKhz: number, counter: bigint, dstUtcNs: bigint, trueUtcNs: bigint, counterDisrupted: boolean): VmclockMethodResult {
  const truth = trueTaiNs(trueUtcNs);
  const carriedTai = vmclockTaiNs(api, source.page, counter);
  const marker = counterDisrupted ? source.page.disruptionMarker + 1n : source.page.disruptionMarker;
  const page = populateVmclock({ period: source.page.counterPeriodFracSec, shift: source.page.counterPeriodShift }, counter, dstUtcNs, marker);
  const repopulatedTai = vmclockTaiNs(api, page, counter);
  return {
    counterDisrupted,
    carried: { page: source.page, taiNs: carriedTai, errorNs: carriedTai - truth, markerChanged: false },
    repopulated: { page, taiNs: repopulatedTai, errorNs: repopulatedTai - truth, markerChanged: marker !== source.page.disruptionMarker },
    vsBPpb: reduce(vmclockForGuest(api, dst.clockState(0), guestKhz).vsBPpb),
  };
}
