/**
 * The three definitions of the KVM clock (spec §7) as pure functions of a clock state,
 * and the spec's `abc` evaluation built from them, under a kernel profile
 * (kernel-variants §9–10: `abc_k`, `mclock_step_k`). `Vm.clockState()` gives the state of a
 * model vCPU; while its pvclock record is current (written from that state) these
 * functions and `Vm.clocks()` agree — after, say, a guest TSC write that leaves the
 * record stale, `Vm.clocks()` reads the record as the guest does.
 */
import type { KvmclockApi } from '../api.js';
import type { TimeScale } from '../backend.js';
import { ArithmeticFaultError } from '../errors.js';
import { KernelProfile } from '../kernel/profile.js';
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
  /** Guest pvclock factors: kvm_get_time_scale(10^9, tgt_tsc_khz·1000), or of the Hz frequency with `hz-pvclock`. */
  readonly guestScale: TimeScale;
  /** The factors C uses: kvm_get_time_scale(10^9, host tsc_khz·1000), or the snapshot's (master_tsc_scale) with `c-via-guest-tsc`. */
  readonly hostScale: TimeScale;
  /** The kernel profile the state was built under (6.18 when absent). */
  readonly kernel?: KernelProfile;
  /** Host tsc_khz (what get_cpu_tsc_khz returns). */
  readonly hostKhz?: bigint;
  /** Hardware TSC scaling (has_tsc_control). */
  readonly hasTscControl?: boolean;
  /** The VM ratio the master-clock snapshot captured (C′ scales the host TSC delta by it); the vCPU ratio when absent. */
  readonly masterRatio?: bigint;
}

/** The profile a state was built under. */
export const kernelOf = (s: ClockState): KernelProfile => s.kernel ?? KernelProfile.baseline;

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

/**
 * C(h): __get_kvmclock, the host TSC converted with the host's own factors; under
 * `c-via-guest-tsc`, C′: the host TSC delta scaled by the snapshot's VM ratio and converted
 * with the snapshot's factors (api.getKvmclock holds both variants).
 */
export function clockC(api: KvmclockApi, s: ClockState, h: bigint): bigint {
  const kernel = kernelOf(s);
  if (!kernel.has('c-via-guest-tsc')) return api.pvclockRead(h, s.masterCycleNow, systemTime(s), s.hostScale.mul, s.hostScale.shift);
  return api.getKvmclock(kernel, h, s.masterCycleNow, BigInt.asIntN(64, s.masterKernelNs), BigInt.asIntN(64, s.kvmclockOffset), s.masterRatio ?? s.ratio, s.frac, s.hostKhz ?? 0n, s.hasTscControl ?? true);
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
 * The pvclock frequency of a vCPU (kvm_guest_time_update): in kHz as `tgt_tsc_khz` reports it
 * and the factors the record gets — from tgt_tsc_khz·1000 (floored in kHz), or with
 * `hz-pvclock` from the Hz frequency (floored once; tgtKhz is then ⌊Hz/1000⌋, what the Xen
 * CPUID leaf reports).
 */
export function guestPvclockScale(api: KvmclockApi, kernel: KernelProfile, hostKhz: number, ratio: bigint, frac: number, hasControl: boolean): { readonly tgtKhz: bigint; readonly hz: bigint; readonly scale: TimeScale } {
  if (kernel.has('hz-pvclock')) {
    const hz = api.tgtTscHz(BigInt(hostKhz), ratio, frac, hasControl);
    return { tgtKhz: hz / 1000n, hz, scale: api.getTimeScale(NSEC_PER_SEC, hz) };
  }
  const tgtKhz = api.tgtTscKhz(hostKhz, ratio, frac, hasControl);
  const hz = lo64(tgtKhz * 1000n);
  return { tgtKhz, hz, scale: api.getTimeScale(NSEC_PER_SEC, hz) };
}

/**
 * The factors C uses: kvm_get_time_scale(10^9, host_khz·1000), or with `c-via-guest-tsc` the
 * snapshot's master_tsc_scale with the VM ratio (`nomaster` when it finds no frequency).
 */
export function hostClockScale(api: KvmclockApi, kernel: KernelProfile, hostKhz: number, masterRatio: bigint, frac: number, hasControl: boolean): TimeScale {
  if (kernel.has('c-via-guest-tsc')) return api.masterTscScale(BigInt(hostKhz), masterRatio, frac, hasControl);
  return api.getTimeScale(NSEC_PER_SEC, BigInt(hostKhz) * 1000n);
}

/**
 * kvm_set_tsc_khz as `abc` evaluates it: where the kernel would take a divide error
 * computing the ratio, the error is that of mul_u64_u32_div itself (`div0` or `overflow`),
 * as the kernel-validated `abc` vectors report it.
 */
function setTscKhzForAbc(api: KvmclockApi, x: AbcInput) {
  try {
    return api.setTscKhz(x.userKhz, x.hostKhz, x.hasControl, x.frac, x.maxRatio, x.tolPpm);
  } catch (e) {
    if (e instanceof ArithmeticFaultError && e.code === 'de') api.mulU64U32Div(1n << BigInt(x.frac), x.userKhz, x.hostKhz);
    throw e;
  }
}

/**
 * The spec's standard evaluation: a constant-TSC host whose TSC clocksource is
 * registered from hostKhz, a fresh vCPU configured by kvm_set_tsc_khz(userKhz) (the
 * default ratio if none is written), a master-clock snapshot at host TSC M read from a
 * timekeeper in state (c0, raw_sec, xtime_nsec) by KVM's 64-bit path, and A/B/C at h —
 * under `kernel` (default 6.18: `abc`; otherwise `abc_k`, with the VM ratio equal to the
 * vCPU ratio and no catch-up).
 */
export function abc(api: KvmclockApi, x: AbcInput, kernel: KernelProfile = KernelProfile.baseline): AbcOutput {
  const cs = api.clocksourceKhz(x.hostKhz);
  const set = setTscKhzForAbc(api, x);
  const ratio = set.ratio ?? 1n << BigInt(x.frac);
  const guest = guestPvclockScale(api, kernel, x.hostKhz, ratio, x.frac, x.hasControl);
  const tgtKhz = guest.tgtKhz;
  const guestScale = guest.scale;
  const hostScale = hostClockScale(api, kernel, x.hostKhz, ratio, x.frac, x.hasControl);
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
    kernel,
    hostKhz: BigInt(x.hostKhz),
    hasTscControl: x.hasControl,
    masterRatio: ratio,
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
 * With `keep-active-masterclock` an unforced update keeps the old reference while the
 * master clock stays on: the step is 0 and the offset stays (`mclock_step_k`).
 */
export function resnapshotStep(api: KvmclockApi, s: ClockState, h: bigint): ResnapshotStep {
  const r = s.raw;
  if (kernelOf(s).has('keep-active-masterclock')) return { legacyStepNs: 0n, continuousKvmclockOffset: BigInt.asIntN(64, s.kvmclockOffset), newMasterKernelNs: s.masterKernelNs };
  const before = clockB(api, s, h);
  const newMasterKernelNs = lo64(api.rawNs(h, r.cycleLast, r.rawSec, r.xtimeNsec, r.mult, r.shift) + s.offsBootNs);
  const after = clockB(api, { ...s, masterCycleNow: h, masterKernelNs: newMasterKernelNs }, h);
  return {
    legacyStepNs: BigInt.asIntN(64, after - before),
    continuousKvmclockOffset: BigInt.asIntN(64, before - newMasterKernelNs),
    newMasterKernelNs,
  };
}
