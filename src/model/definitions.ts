/**
 * The three definitions of the KVM clock (spec §7) as pure functions of a clock state,
 * and the spec's `abc` evaluation built from them. `Vm.clockState()` gives the state of a
 * model vCPU; while its pvclock record is current (written from that state) these
 * functions and `Vm.clocks()` agree — after, say, a guest TSC write that leaves the
 * record stale, `Vm.clocks()` reads the record as the guest does.
 */
import type { KvmclockApi } from '../api.js';
import type { TimeScale } from '../backend.js';
import { NSEC_PER_SEC } from '../units.js';

/** Everything A, B and C depend on for one vCPU. */
export interface ClockState {
  /** Host raw clock: RAW(h) is evaluated with these (closed form). */
  readonly raw: { readonly cycleLast: bigint; readonly rawSec: bigint; readonly xtimeNsec: bigint; readonly mult: number; readonly shift: number };
  readonly offsBootNs: bigint;
  /** kvmclock_offset (s64). */
  readonly kvmclockOffset: bigint;
  /** Master-clock reference: master_cycle_now and master_kernel_ns. */
  readonly masterCycleNow: bigint;
  readonly masterKernelNs: bigint;
  /** The vCPU's L1 TSC parameters. */
  readonly l1TscOffset: bigint;
  readonly ratio: bigint;
  readonly frac: number;
  /** Guest pvclock factors: kvm_get_time_scale(10^9, tgt_tsc_khz·1000). */
  readonly guestScale: TimeScale;
  /** Host pvclock factors: kvm_get_time_scale(10^9, host tsc_khz·1000). */
  readonly hostScale: TimeScale;
}

const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** A(h) = RAW(h) + offs_boot + kvmclock_offset (mod 2^64): the host's reference. */
export function clockA(api: KvmclockApi, s: ClockState, h: bigint): bigint {
  const r = s.raw;
  return lo64(api.rawNs(h, r.cycleLast, r.rawSec, r.xtimeNsec, r.mult, r.shift) + s.offsBootNs + s.kvmclockOffset);
}

/** system_time of the pvclock record: master_kernel_ns + kvmclock_offset, stored as u64. */
export function systemTime(s: ClockState): bigint {
  return lo64(s.masterKernelNs + s.kvmclockOffset);
}

/** tsc_timestamp: the guest TSC at the reference, read_l1_tsc(master_cycle_now). */
export function tscTimestamp(api: KvmclockApi, s: ClockState): bigint {
  return api.readL1Tsc(s.masterCycleNow, s.l1TscOffset, s.ratio, s.frac);
}

/** The guest's RDTSC at host TSC h. */
export function guestTsc(api: KvmclockApi, s: ClockState, h: bigint): bigint {
  return api.readL1Tsc(h, s.l1TscOffset, s.ratio, s.frac);
}

/** B(h): what the guest computes from its own TSC and its pvclock record. */
export function clockB(api: KvmclockApi, s: ClockState, h: bigint): bigint {
  return api.pvclockRead(guestTsc(api, s, h), tscTimestamp(api, s), systemTime(s), s.guestScale.mul, s.guestScale.shift);
}

/** C(h): __get_kvmclock, the host TSC converted with the host's own factors. */
export function clockC(api: KvmclockApi, s: ClockState, h: bigint): bigint {
  return api.pvclockRead(h, s.masterCycleNow, systemTime(s), s.hostScale.mul, s.hostScale.shift);
}

/** A, B and C at one instant with their pairwise divergences (s64 ns). */
export interface AbcValues {
  readonly a: bigint;
  readonly b: bigint;
  readonly c: bigint;
  readonly bMinusA: bigint;
  readonly cMinusA: bigint;
  readonly bMinusC: bigint;
}

/** A, B, C and their divergences as the guest-visible s64 differences of the u64 clocks. */
export function abcValues(a: bigint, b: bigint, c: bigint): AbcValues {
  return { a, b, c, bMinusA: BigInt.asIntN(64, b - a), cMinusA: BigInt.asIntN(64, c - a), bMinusC: BigInt.asIntN(64, b - c) };
}

/** The arguments of the spec's `abc` command (§11), in protocol order. */
export interface AbcInput {
  readonly hostKhz: number;
  readonly userKhz: number;
  readonly frac: number;
  readonly maxRatio: bigint;
  readonly hasControl: boolean;
  readonly tolPpm: number;
  readonly c0: bigint;
  readonly rawSec: bigint;
  readonly xtimeNsec: bigint;
  readonly offsBoot: bigint;
  readonly kvmclockOffset: bigint;
  readonly masterCycleNow: bigint;
  readonly l1Offset: bigint;
  readonly h: bigint;
}

/** The outputs of `abc`, in protocol order. */
export interface AbcOutput {
  readonly mult: number;
  readonly shift: number;
  readonly ratio: bigint;
  readonly tgtKhz: bigint;
  readonly guestScale: TimeScale;
  readonly hostScale: TimeScale;
  readonly masterKernelNs: bigint;
  readonly tscTimestamp: bigint;
  readonly systemTime: bigint;
  readonly guestTsc: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly c: bigint;
  /** The state the values were computed from (for further evaluation). */
  readonly state: ClockState;
}

/**
 * The spec's standard evaluation: a constant-TSC host whose TSC clocksource is
 * registered from hostKhz, a fresh vCPU configured by kvm_set_tsc_khz(userKhz) (the
 * default ratio if none is written), a master-clock snapshot at host TSC M read from a
 * timekeeper in state (c0, raw_sec, xtime_nsec) by KVM's 64-bit path, and A/B/C at h.
 */
export function abc(api: KvmclockApi, x: AbcInput): AbcOutput {
  const cs = api.clocksourceKhz(x.hostKhz);
  const set = api.setTscKhz(x.userKhz, x.hostKhz, x.hasControl, x.frac, x.maxRatio, x.tolPpm);
  const ratio = set.ratio ?? 1n << BigInt(x.frac);
  const tgtKhz = api.tgtTscKhz(x.hostKhz, ratio, x.frac, x.hasControl);
  const guestScale = api.getTimeScale(NSEC_PER_SEC, lo64(tgtKhz * 1000n));
  const hostScale = api.getTimeScale(NSEC_PER_SEC, BigInt(x.hostKhz) * 1000n);
  const masterKernelNs = api.kvmBaseNs(x.masterCycleNow, x.c0, x.rawSec, x.xtimeNsec, cs.mult, cs.shift, x.offsBoot);
  const state: ClockState = {
    raw: { cycleLast: x.c0, rawSec: x.rawSec, xtimeNsec: x.xtimeNsec, mult: cs.mult, shift: cs.shift },
    offsBootNs: x.offsBoot,
    kvmclockOffset: x.kvmclockOffset,
    masterCycleNow: x.masterCycleNow,
    masterKernelNs,
    l1TscOffset: x.l1Offset,
    ratio,
    frac: x.frac,
    guestScale,
    hostScale,
  };
  return {
    mult: cs.mult,
    shift: cs.shift,
    ratio,
    tgtKhz,
    guestScale,
    hostScale,
    masterKernelNs,
    tscTimestamp: tscTimestamp(api, state),
    systemTime: systemTime(state),
    guestTsc: guestTsc(api, state, x.h),
    a: clockA(api, state, x.h),
    b: clockB(api, state, x.h),
    c: clockC(api, state, x.h),
    state,
  };
}

/** Master-clock re-snapshot at h in the legacy and the continuous variants (`mclock_step`). */
export interface ResnapshotStep {
  /** B just after a legacy re-snapshot at h minus B just before (s64 ns). */
  readonly legacyStepNs: bigint;
  /** kvmclock_offset the continuous variant sets so that B does not jump at h (s64). */
  readonly continuousKvmclockOffset: bigint;
  /** master_kernel_ns of the new reference. */
  readonly newMasterKernelNs: bigint;
}

/**
 * A re-snapshot of the master clock at h, after `abc`'s state. The fresh reference
 * reads the timekeeper as it is at h (ticks keep KVM's 64-bit read exact), so
 * K' = RAW(h) + offs_boot. Legacy: the guest's record is rewritten from (K', h) with the
 * same kvmclock_offset, so B snaps to A(h). Continuous: kvmclock_offset becomes
 * B_before(h) − K' (wrapping, as s64), so the new record gives the same B at h.
 */
export function resnapshotStep(api: KvmclockApi, s: ClockState, h: bigint): ResnapshotStep {
  const r = s.raw;
  const before = clockB(api, s, h);
  const newMasterKernelNs = lo64(api.rawNs(h, r.cycleLast, r.rawSec, r.xtimeNsec, r.mult, r.shift) + s.offsBootNs);
  const after = clockB(api, { ...s, masterCycleNow: h, masterKernelNs: newMasterKernelNs }, h);
  return {
    legacyStepNs: BigInt.asIntN(64, after - before),
    continuousKvmclockOffset: BigInt.asIntN(64, before - newMasterKernelNs),
    newMasterKernelNs,
  };
}
