/**
 * The public, validated API over one backend. Every argument is checked against its
 * C type (and, where the kernel has one, its rule) before the backend sees it, so
 * nothing wraps at the JS↔Wasm boundary and both backends receive the same inputs.
 */
import type { Backend, ClockGuestRecord, ClocksourceParams, GuestRead, HvTscPage, MasterClockMode, MultShift, PvclockParams, SetClockGuestV6Result, SetTscKhzResult, TimeScale, TscCatchupResult, VmclockPeriod, VmclockTime, WallClock, XenTscLeaf } from './backend.js';
import { aKernelProfile, type KernelProfile } from './kernel/profile.js';
import { ArgumentRangeError, ArgumentTypeError } from './errors.js';
import { U64_MAX } from './units.js';
import { aBool, aU32NonZero, aFrac, aMulShift, aOutLength, aS16Pattern, aS32, aS64, aS8, aShift64, aU32, aU64, aU64Array, aU8, aWord64 } from './validate.js';

/** The kvmclock API bound to one backend. Every method validates, then dispatches. */
export interface KvmclockApi {
  readonly backend: Backend['name'];
  /** mul_u64_u32_shr(a, mul, shift): bits [shift, shift+64) of a·mul. @example mulU64U32Shr(2500000000n, 3435973836, 32) === 1999999999n */
  mulU64U32Shr(a: bigint, mul: number, shift: number): bigint;
  /** mul_u64_u64_shr(a, b, shift): ⌊a·b/2^shift⌋ truncated to 64 bits (the TSC scaling multiply). */
  mulU64U64Shr(a: bigint, b: bigint, shift: number): bigint;
  /** mul_s64_u64_shr(a, b, shift): sign-magnitude signed variant; returns the u64 bit pattern. */
  mulS64U64Shr(a: bigint, b: bigint, shift: number): bigint;
  /** mul_u64_u32_div on x86-64. @throws ArithmeticFaultError `div0` / `overflow` (#DE). */
  mulU64U32Div(a: bigint, mul: number, div: number): bigint;
  /** mul_u64_u32_div as 32-bit kernels compute it (quotient mod 2^64). @throws ArithmeticFaultError `div0`. */
  mulU64U32DivGeneric(a: bigint, mul: number, div: number): bigint;
  /** kvm_get_time_scale(scaled_hz, base_hz). @throws KernelRuleError `hang`. @example getTimeScale(10n**9n, 2_500_000_000n) → {shift: -1, mul: 3435973836} */
  getTimeScale(scaledHz: bigint, baseHz: bigint): TimeScale;
  /** pvclock_scale_delta(delta, mul, shift). */
  pvclockScaleDelta(delta: bigint, mul: number, shift: number): bigint;
  /** A pvclock read: system_time + scale_delta(tsc − tsc_timestamp). */
  pvclockRead(tsc: bigint, tscTimestamp: bigint, systemTime: bigint, mul: number, shift: number): bigint;
  /** pvclock_tsc_khz(mul, shift). @throws ArithmeticFaultError `div0`. @example pvclockTscKhz(3435973836, -1) === 2500000n */
  pvclockTscKhz(mul: number, shift: number): bigint;
  /** The guest's TSC_STABLE / last_value monotonic guard. */
  pvclockGuestRead(ret: bigint, flags: number, validFlags: number, lastValue: bigint): GuestRead;
  /** kvm_scale_tsc(tsc, ratio) with `frac` fractional bits. */
  scaleTsc(tsc: bigint, ratio: bigint, frac: number): bigint;
  /** The hardware ratio kvm_set_tsc_khz picks. @throws KernelRuleError `zero`/`toolarge`, ArithmeticFaultError `div0`/`overflow`. */
  tscRatio(userKhz: number, hostKhz: number, frac: number, maxRatio: bigint): bigint;
  /** kvm_compute_l1_tsc_offset. */
  computeL1TscOffset(targetTsc: bigint, hostTsc: bigint, ratio: bigint, frac: number): bigint;
  /** kvm_read_l1_tsc. */
  readL1Tsc(hostTsc: bigint, offset: bigint, ratio: bigint, frac: number): bigint;
  /** kvm_calc_nested_tsc_offset. */
  nestedTscOffset(l1Offset: bigint, l2Offset: bigint, l2Mult: bigint, frac: number): bigint;
  /** kvm_calc_nested_tsc_multiplier. */
  nestedTscMultiplier(l1Mult: bigint, l2Mult: bigint, frac: number): bigint;
  /** adjust_tsc_khz(khz, ppm). @example adjustTscKhz(2500000, -250) === 2499375 */
  adjustTscKhz(khz: number, ppm: number): number;
  /** kvm_caps.max_guest_tsc_khz for a host. */
  maxGuestTscKhz(hostKhz: number, maxRatio: bigint, frac: number): number;
  /** tgt_tsc_khz as kvm_guest_time_update computes it. */
  tgtTscKhz(hostKhz: number, ratio: bigint, frac: number, hasControl: boolean): bigint;
  /** kvm_set_tsc_khz. @throws ArithmeticFaultError `de`. */
  setTscKhz(userKhz: number, hostKhz: number, hasControl: boolean, frac: number, maxRatio: bigint, tolPpm: number): SetTscKhzResult;
  /** clocks_calc_mult_shift(from, to, maxsec). @throws ArithmeticFaultError `div0`. */
  clocksCalcMultShift(from: number, to: number, maxsec: number): MultShift;
  /** __clocksource_update_freq_scale(freq, scale, mask). */
  clocksourceRegister(freq: number, scale: number, mask: bigint): ClocksourceParams;
  /** The TSC clocksource as registered from tsc_khz (scale 1000, 64-bit mask). */
  clocksourceKhz(khz: number): ClocksourceParams;
  /** CLOCK_MONOTONIC_RAW, exact closed form. */
  rawNs(cycles: bigint, cycleLast: bigint, rawSec: bigint, xtimeNsec: bigint, mult: number, shift: number): bigint;
  /** KVM's base clock read for a master-clock snapshot (64-bit wrapping path). */
  kvmBaseNs(cycles: bigint, cycleLast: bigint, rawSec: bigint, xtimeNsec: bigint, mult: number, shift: number, offsBoot: bigint): bigint;
  /** clocksource_cyc2ns. */
  cyc2ns(delta: bigint, mult: number, shift: number): bigint;
  /** kvm_synchronize_tsc's ±1 s matching window. */
  syncWindow(data: bigint, lastWrite: bigint, elapsedNs: bigint, virtualTscKhz: number, virtualTscMult: number, virtualTscShift: number): boolean;
  /** KVM_SET_CLOCK → new kvmclock_offset (s64). @throws KernelRuleError `EINVAL`. */
  setClock(clock: bigint, flags: number, realtime: bigint, nowReal: bigint, useMasterClock: boolean, masterKernelNs: bigint, baseNow: bigint): bigint;
  /** MSR_KVM_WALL_CLOCK fields for a wall-clock epoch. */
  wallClock(wallNs: bigint): WallClock;

  // Upstream variants (kernel-variants document). A `kernel` argument is a KernelProfile or a
  // profile string such as '7.4-queued' (default '6.18'); host_khz is a u64 (the kernel's
  // unsigned long: host_khz·1000 may wrap).
  /**
   * `hz-pvclock`: the guest pvclock frequency in Hz — lo64(host_khz·1000), scaled by the ratio
   * with hardware scaling, 0 → 1. @throws KernelRuleError `nofreq` when host_khz·1000 ≡ 0.
   * @example tgtTscHz(2_500_000n, 112589990684262n, 48, true) === 999999999n
   */
  tgtTscHz(hostKhz: bigint, ratio: bigint, frac: number, hasControl: boolean): bigint;
  /**
   * `c-via-guest-tsc`: the master-clock snapshot's mul/shift for C′ (no `?: 1` clamp).
   * @throws KernelRuleError `nomaster` when the scaled frequency is 0 (the master clock turns off).
   * @example masterTscScale(2_500_000n, 112589990684262n, 48, true) → {shift: 1, mul: 2147483650}
   */
  masterTscScale(hostKhz: bigint, ratio: bigint, frac: number, hasControl: boolean): TimeScale;
  /**
   * KVM_GET_CLOCK / get_kvmclock_ns with the master clock on, under `kernel`: C (baseline) or
   * C′ (`c-via-guest-tsc`). masterKernelNs and kvmclockOffset are s64.
   * @throws KernelRuleError `hang` (C with host_khz·1000 ≡ 0) or `nomaster` (C′ without a frequency).
   * @example getKvmclock('7.4-queued', 217_000_000_000_000n, 10n ** 12n, 0n, 0n, 112589990684262n, 48, 2_500_000n, true) === 86400000080465n
   */
  getKvmclock(kernel: KernelProfile | string, hostTsc: bigint, masterCycleNow: bigint, masterKernelNs: bigint, kvmclockOffset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: boolean): bigint;
  /** Whether the master clock is used and the records carry TSC_STABLE under `kernel` (`masterclock-offset-tscs`). */
  mclockMode(kernel: KernelProfile | string, matchedTsc: boolean, matchedFreq: boolean, tscClocksource: boolean, backwardsTsc: boolean, oldKvmclock: boolean): MasterClockMode;
  /**
   * compute_guest_tsc: this_tsc_write + nsec_to_cycles(kernel_ns − this_tsc_nsec); `signed`
   * (`signed-compute-guest-tsc`) handles a negative delta. kernelNs is s64, vshift s8.
   * @example computeGuestTsc(10n ** 12n, 5_000_000_000n, 4_000_000_000n, 2684354560, 2, true) === 997500000000n
   */
  computeGuestTsc(thisTscWrite: bigint, thisTscNsec: bigint, kernelNs: bigint, virtualTscMult: number, virtualTscShift: number, signed: boolean): bigint;
  /**
   * The software catch-up step of kvm_guest_time_update under `kernel` (`upscale-to-now`,
   * `signed-compute-guest-tsc`): the L1 offset after any bump and the record's tsc_timestamp.
   * masterKernelNs and kernelNsNow are s64.
   */
  tscCatchup(kernel: KernelProfile | string, thisTscWrite: bigint, thisTscNsec: bigint, virtualTscMult: number, virtualTscShift: number, l1Offset: bigint, ratio: bigint, frac: number, masterCycleNow: bigint, masterKernelNs: bigint, hostTscNow: bigint, kernelNsNow: bigint): TscCatchupResult;
  /**
   * hvclock_to_hz(mul, shift): the TSC frequency a pvclock stands for, as v6 KVM_SET_CLOCK_GUEST estimates it.
   * @throws KernelRuleError `hang` for mul 0. @example hvclockToHz(3435973836, -1) === 2500000000n
   */
  hvclockToHz(mul: number, shift: number): bigint;
  /**
   * KVM_SET_CLOCK_GUEST as posted in v6 (its error order, the wrapping ±1000 Hz window):
   * the new kvmclock_offset and the guest TSC at the new reference (useMasterClock, M, K after
   * the in-ioctl snapshot). masterKernelNs is s64.
   * @throws KernelRuleError `EINVAL` or `ERANGE`, naming the check.
   */
  setClockGuestV6(record: ClockGuestRecord | Omit<ClockGuestRecord, 'flags'>, padsNonzero: boolean, useMasterClock: boolean, masterCycleNow: bigint, masterKernelNs: bigint, l1Offset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: boolean): SetClockGuestV6Result;
  /**
   * KVM_GET_CLOCK_GUEST as posted in v6, under `kernel`: the vCPU's record (Hz-based mul/shift
   * with `hz-pvclock`; TSC_STABLE only when all offsets matched with `masterclock-offset-tscs`).
   * masterKernelNs and kvmclockOffset are s64. @throws KernelRuleError `EINVAL`.
   */
  getClockGuestV6(kernel: KernelProfile | string, useMasterClock: boolean, masterCycleNow: bigint, masterKernelNs: bigint, kvmclockOffset: bigint, l1Offset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: boolean, allMatchedTsc: boolean): ClockGuestRecord;

  // Guest clock ABIs (guest-clock-abis document).
  /**
   * The Hyper-V reference TSC page KVM computes from a kvmclock record (compute_tsc_page_parameters):
   * tsc_scale and tsc_offset (s64, 100 ns units).
   * @throws KernelRuleError `invalid` with `reason` `unstable` (no TSC_STABLE) or `mul` (a tick of 100 ns or more);
   *   ArithmeticFaultError `overflow` (#DE, unreachable for records that pass the mul check).
   * @example hvTscPage(2147485795, 1, 399_999_999_999n, 0n, 1) → {scale: 184467625162991206n, offset: -4000003999n}
   */
  hvTscPage(mul: number, shift: number, tscTimestamp: bigint, systemTime: bigint, flags: number): HvTscPage;
  /** The guest's reference time from the page at guest TSC `tsc`, in 100 ns units (offset as s64 or its u64 pattern). */
  hvRefRead(tsc: bigint, scale: bigint, offset: bigint): bigint;
  /** HV_X64_MSR_TIME_REF_COUNT while the page is not SET: ⌊kvmclock_ns/100⌋. */
  hvRefMsr(kvmclockNs: bigint): bigint;
  /**
   * The Xen CPUID TSC leaf KVM reports for a guest pvclock of tgt_tsc_khz: ECX mul, EDX shift (sign-extended), EAX kHz.
   * @throws KernelRuleError `hang` for 0 kHz. @example xenTscLeaf(999999) → {ecx: 2147485795, edx: 1, eax: 999999}
   */
  xenTscLeaf(tgtTscKhz: number): XenTscLeaf;
  /** The guest's VMClock read at counter value `counter`: seconds (u64) and nanoseconds. shift is the u8 counter_period_shift. */
  vmclockRead(counter: bigint, counterValue: bigint, periodFrac: bigint, shift: number, timeSec: bigint, timeFracSec: bigint): VmclockTime;
  /**
   * The TAI time ptp_vmclock returns (taiOffsetSec is the s16 UTC − TAI, or its u16 pattern).
   * @throws KernelRuleError `EINVAL` (clock unreliable, or not unambiguous TAI).
   */
  vmclockGettime(counter: bigint, counterValue: bigint, periodFrac: bigint, shift: number, timeSec: bigint, timeFracSec: bigint, timeType: number, flags: bigint, taiOffsetSec: number, clockStatus: number): VmclockTime;
  /**
   * The exact period/shift a VMM would write for a counter of `freqHz`.
   * @throws KernelRuleError `nofit` below 2 Hz. @example vmclockPeriod(2_500_000_000n) → {shift: 31, period: 15845632502852867518n}
   */
  vmclockPeriod(freqHz: bigint): VmclockPeriod;

  /** Batch pvclock read over a BigUint64Array; `out` defaults to a new array. */
  pvclockReadBatch(tsc: BigUint64Array, params: PvclockParams, out?: BigUint64Array): BigUint64Array;
  pvclockScaleDeltaBatch(delta: BigUint64Array, mul: number, shift: number, out?: BigUint64Array): BigUint64Array;
  scaleTscBatch(tsc: BigUint64Array, ratio: bigint, frac: number, out?: BigUint64Array): BigUint64Array;
  readL1TscBatch(hostTsc: BigUint64Array, offset: bigint, ratio: bigint, frac: number, out?: BigUint64Array): BigUint64Array;
  mulU64U64ShrBatch(a: BigUint64Array, b: BigUint64Array, shift: number, out?: BigUint64Array): BigUint64Array;
  /**
   * Definition B of the KVM clock (spec §7: what the guest's kvmclock reads) at each host TSC
   * value: the guest TSC g = lo64(l1Offset + kvm_scale_tsc(hostTsc[i], ratio, frac)), then
   * system_time + pvclock_scale_delta(lo64(g − tsc_timestamp), mul, shift) from `pvclock`
   * (validated like pvclockReadBatch's params, fields named `params.<field>`). l1Offset and
   * ratio are u64, frac 0..63; `out` defaults to a new array and may be `hostTsc`.
   * @example
   * // 2.5 GHz host, 1.0 GHz VMX guest (ratio ⌊0.4·2^48⌋), pvclock from tgt_tsc_khz 999999:
   * guestKvmclockBatch(new BigUint64Array([2_500_000_000n]), 0n, 112589990684262n, 48,
   *   { tscTimestamp: 0n, systemTime: 0n, mul: 2147485795, shift: 1 }) // [1000000998n]
   */
  guestKvmclockBatch(hostTsc: BigUint64Array, l1Offset: bigint, ratio: bigint, frac: number, pvclock: PvclockParams, out?: BigUint64Array): BigUint64Array;
}

function outFor(input: BigUint64Array, out: unknown, name = 'out'): BigUint64Array {
  if (out === undefined) return new BigUint64Array(input.length);
  const o = aU64Array(out, name);
  aOutLength(o, input.length, name);
  // In place is fine; a view that overlaps the input at another offset would make the result
  // depend on the order elements are processed in (and so on the backend).
  if (o.buffer === input.buffer && o.byteOffset !== input.byteOffset) {
    const overlap = o.byteOffset < input.byteOffset + input.byteLength && input.byteOffset < o.byteOffset + o.byteLength;
    if (overlap) throw new ArgumentRangeError(name, 'BigUint64Array view', 0n, 0n, `offset ${o.byteOffset}`, `overlaps the input at byte offset ${input.byteOffset}: pass the input itself or a disjoint array`);
  }
  return o;
}

/** Bind the validated API to a backend. */
export function createApi(b: Backend): KvmclockApi {
  return {
    backend: b.name,
    mulU64U32Shr: (a, mul, shift) => b.mulU64U32Shr(aU64(a, 'a'), aU32(mul, 'mul'), aMulShift(shift, 'shift')),
    mulU64U64Shr: (a, c, shift) => b.mulU64U64Shr(aU64(a, 'a'), aU64(c, 'b'), aMulShift(shift, 'shift')),
    mulS64U64Shr: (a, c, shift) => b.mulS64U64Shr(aS64(a, 'a'), aU64(c, 'b'), aMulShift(shift, 'shift')),
    mulU64U32Div: (a, mul, div) => b.mulU64U32Div(aU64(a, 'a'), aU32(mul, 'mul'), aU32(div, 'div')),
    mulU64U32DivGeneric: (a, mul, div) => b.mulU64U32DivGeneric(aU64(a, 'a'), aU32(mul, 'mul'), aU32(div, 'div')),
    getTimeScale: (scaledHz, baseHz) => b.getTimeScale(aU64(scaledHz, 'scaled_hz'), aU64(baseHz, 'base_hz')),
    pvclockScaleDelta: (delta, mul, shift) => b.pvclockScaleDelta(aU64(delta, 'delta'), aU32(mul, 'mul'), aS8(shift, 'shift')),
    pvclockRead: (tsc, ts, st, mul, shift) =>
      b.pvclockRead(aU64(tsc, 'tsc'), aU64(ts, 'tsc_timestamp'), aU64(st, 'system_time'), aU32(mul, 'tsc_to_system_mul'), aS8(shift, 'tsc_shift')),
    pvclockTscKhz: (mul, shift) => b.pvclockTscKhz(aU32(mul, 'tsc_to_system_mul'), aS8(shift, 'tsc_shift')),
    pvclockGuestRead: (ret, flags, validFlags, last) => b.pvclockGuestRead(aU64(ret, 'ret'), aU8(flags, 'flags'), aU8(validFlags, 'valid_flags'), aU64(last, 'last_value')),
    scaleTsc: (tsc, ratio, frac) => b.scaleTsc(aU64(tsc, 'tsc'), aU64(ratio, 'ratio'), aFrac(frac, 'frac')),
    tscRatio: (user, host, frac, maxRatio) => b.tscRatio(aU32(user, 'user_tsc_khz'), aU32(host, 'tsc_khz'), aFrac(frac, 'frac'), aU64(maxRatio, 'max_ratio')),
    computeL1TscOffset: (target, host, ratio, frac) => b.computeL1TscOffset(aU64(target, 'target_tsc'), aU64(host, 'host_tsc'), aU64(ratio, 'ratio'), aFrac(frac, 'frac')),
    readL1Tsc: (host, offset, ratio, frac) => b.readL1Tsc(aU64(host, 'host_tsc'), aU64(offset, 'offset'), aU64(ratio, 'ratio'), aFrac(frac, 'frac')),
    nestedTscOffset: (l1, l2, l2Mult, frac) => b.nestedTscOffset(aU64(l1, 'l1_offset'), aU64(l2, 'l2_offset'), aU64(l2Mult, 'l2_multiplier'), aFrac(frac, 'frac')),
    nestedTscMultiplier: (l1, l2, frac) => b.nestedTscMultiplier(aU64(l1, 'l1_multiplier'), aU64(l2, 'l2_multiplier'), aFrac(frac, 'frac')),
    adjustTscKhz: (khz, ppm) => b.adjustTscKhz(aU32(khz, 'khz'), aS32(ppm, 'ppm')),
    maxGuestTscKhz: (host, maxRatio, frac) => b.maxGuestTscKhz(aU32(host, 'tsc_khz'), aU64(maxRatio, 'max_ratio'), aFrac(frac, 'frac')),
    tgtTscKhz: (host, ratio, frac, hasControl) => b.tgtTscKhz(aU32(host, 'tsc_khz'), aU64(ratio, 'ratio'), aFrac(frac, 'frac'), aBool(hasControl, 'has_tsc_control')),
    setTscKhz: (user, host, hasControl, frac, maxRatio, tol) =>
      b.setTscKhz(aU32(user, 'user_tsc_khz'), aU32(host, 'tsc_khz'), aBool(hasControl, 'has_tsc_control'), aFrac(frac, 'frac'), aU64(maxRatio, 'max_ratio'), aU32(tol, 'tsc_tolerance_ppm')),
    clocksCalcMultShift: (from, to, maxsec) => b.clocksCalcMultShift(aU32(from, 'from'), aU32(to, 'to'), aU32(maxsec, 'maxsec')),
    clocksourceRegister: (freq, scale, mask) =>
      b.clocksourceRegister(
        aU32NonZero(freq, 'freq', '__clocksource_update_freq_scale computes nothing for freq 0'),
        aU32NonZero(scale, 'scale', '__clocksource_update_freq_scale divides by scale'),
        aU64(mask, 'mask'),
      ),
    clocksourceKhz: (khz) => b.clocksourceRegister(aU32NonZero(khz, 'khz', '__clocksource_update_freq_scale computes nothing for freq 0'), 1000, U64_MAX),
    rawNs: (cycles, last, sec, xtime, mult, shift) =>
      b.rawNs(aU64(cycles, 'cycles'), aU64(last, 'cycle_last'), aU64(sec, 'raw_sec'), aU64(xtime, 'xtime_nsec'), aU32(mult, 'mult'), aShift64(shift, 'shift')),
    kvmBaseNs: (cycles, last, sec, xtime, mult, shift, offsBoot) =>
      b.kvmBaseNs(aU64(cycles, 'cycles'), aU64(last, 'cycle_last'), aU64(sec, 'raw_sec'), aU64(xtime, 'xtime_nsec'), aU32(mult, 'mult'), aShift64(shift, 'shift'), aS64(offsBoot, 'offs_boot')),
    cyc2ns: (delta, mult, shift) => b.cyc2ns(aU64(delta, 'delta'), aU32(mult, 'mult'), aShift64(shift, 'shift')),
    syncWindow: (data, lastWrite, elapsed, vkhz, vmult, vshift) =>
      b.syncWindow(aU64(data, 'data'), aU64(lastWrite, 'last_tsc_write'), aU64(elapsed, 'elapsed_ns'), aU32(vkhz, 'virtual_tsc_khz'), aU32(vmult, 'virtual_tsc_mult'), aS8(vshift, 'virtual_tsc_shift')),
    setClock: (clock, flags, realtime, nowReal, useMaster, k, baseNow) =>
      b.setClock(aU64(clock, 'clock'), aU32(flags, 'flags'), aU64(realtime, 'realtime'), aU64(nowReal, 'now_real'), aBool(useMaster, 'use_master_clock'), aU64(k, 'master_kernel_ns'), aU64(baseNow, 'base_now')),
    wallClock: (ns) => b.wallClock(aU64(ns, 'wall_nsec')),

    tgtTscHz: (host, ratio, frac, hasControl) => b.tgtTscHz(aU64(host, 'host_khz'), aU64(ratio, 'ratio'), aFrac(frac, 'frac'), aBool(hasControl, 'has_tsc_control')),
    masterTscScale: (host, ratio, frac, hasControl) => b.masterTscScale(aU64(host, 'host_khz'), aU64(ratio, 'ratio'), aFrac(frac, 'frac'), aBool(hasControl, 'has_tsc_control')),
    getKvmclock(kernel, hostTsc, m, k, off, ratio, frac, host, hasControl) {
      const profile = aKernelProfile(kernel);
      return b.getKvmclock(
        profile.has('c-via-guest-tsc'),
        aU64(hostTsc, 'host_tsc'),
        aU64(m, 'master_cycle_now'),
        aS64(k, 'master_kernel_ns'),
        aS64(off, 'kvmclock_offset'),
        aU64(ratio, 'ratio'),
        aFrac(frac, 'frac'),
        aU64(host, 'host_khz'),
        aBool(hasControl, 'has_tsc_control'),
      );
    },
    mclockMode(kernel, matchedTsc, matchedFreq, tscClocksource, backwardsTsc, oldKvmclock) {
      const profile = aKernelProfile(kernel);
      return b.mclockMode(
        profile.has('masterclock-offset-tscs'),
        aBool(matchedTsc, 'matched_tsc'),
        aBool(matchedFreq, 'matched_freq'),
        aBool(tscClocksource, 'tsc_clocksource'),
        aBool(backwardsTsc, 'backwards_tsc'),
        aBool(oldKvmclock, 'old_kvmclock'),
      );
    },
    computeGuestTsc: (write, nsec, kernelNs, vmult, vshift, signed) =>
      b.computeGuestTsc(aU64(write, 'this_tsc_write'), aU64(nsec, 'this_tsc_nsec'), aS64(kernelNs, 'kernel_ns'), aU32(vmult, 'virtual_tsc_mult'), aS8(vshift, 'virtual_tsc_shift'), aBool(signed, 'signed')),
    tscCatchup(kernel, write, nsec, vmult, vshift, l1Offset, ratio, frac, m, k, hNow, kNow) {
      const profile = aKernelProfile(kernel);
      return b.tscCatchup(
        profile.has('upscale-to-now'),
        profile.has('signed-compute-guest-tsc'),
        aU64(write, 'this_tsc_write'),
        aU64(nsec, 'this_tsc_nsec'),
        aU32(vmult, 'virtual_tsc_mult'),
        aS8(vshift, 'virtual_tsc_shift'),
        aU64(l1Offset, 'l1_offset'),
        aU64(ratio, 'ratio'),
        aFrac(frac, 'frac'),
        aU64(m, 'master_cycle_now'),
        aS64(k, 'master_kernel_ns'),
        aU64(hNow, 'host_tsc_now'),
        aS64(kNow, 'kernel_ns_now'),
      );
    },
    hvclockToHz: (mul, shift) => b.hvclockToHz(aU32(mul, 'tsc_to_system_mul'), aS8(shift, 'tsc_shift')),
    setClockGuestV6(record, pads, useMaster, m, k, l1Offset, ratio, frac, host, hasControl) {
      const r = aClockGuestRecord(record);
      return b.setClockGuestV6(
        r,
        aBool(pads, 'pads_nonzero'),
        aBool(useMaster, 'use_master_clock'),
        aU64(m, 'master_cycle_now'),
        aS64(k, 'master_kernel_ns'),
        aU64(l1Offset, 'l1_offset'),
        aU64(ratio, 'ratio'),
        aFrac(frac, 'frac'),
        aU64(host, 'host_khz'),
        aBool(hasControl, 'has_tsc_control'),
      );
    },
    getClockGuestV6(kernel, useMaster, m, k, off, l1Offset, ratio, frac, host, hasControl, allMatched) {
      const profile = aKernelProfile(kernel);
      // Validated in argument order, so the first bad argument is the one named.
      const args = [
        aBool(useMaster, 'use_master_clock'),
        aU64(m, 'master_cycle_now'),
        aS64(k, 'master_kernel_ns'),
        aS64(off, 'kvmclock_offset'),
        aU64(l1Offset, 'l1_offset'),
        aU64(ratio, 'ratio'),
        aFrac(frac, 'frac'),
        aU64(host, 'host_khz'),
        aBool(hasControl, 'has_tsc_control'),
      ] as const;
      const matched = aBool(allMatched, 'all_matched_tsc');
      return b.getClockGuestV6(profile.has('hz-pvclock'), ...args, !profile.has('masterclock-offset-tscs') || matched);
    },
    hvTscPage: (mul, shift, ts, st, flags) => b.hvTscPage(aU32(mul, 'tsc_to_system_mul'), aS8(shift, 'tsc_shift'), aU64(ts, 'tsc_timestamp'), aU64(st, 'system_time'), aU8(flags, 'flags')),
    hvRefRead: (tsc, scale, offset) => b.hvRefRead(aU64(tsc, 'tsc'), aU64(scale, 'tsc_scale'), aWord64(offset, 'tsc_offset')),
    hvRefMsr: (ns) => b.hvRefMsr(aU64(ns, 'kvmclock_ns')),
    xenTscLeaf: (khz) => b.xenTscLeaf(aU32(khz, 'tgt_tsc_khz')),
    vmclockRead: (c, cv, period, shift, sec, frac) =>
      b.vmclockRead(aU64(c, 'counter'), aU64(cv, 'counter_value'), aU64(period, 'counter_period_frac_sec'), aU8(shift, 'counter_period_shift'), aU64(sec, 'time_sec'), aU64(frac, 'time_frac_sec')),
    vmclockGettime: (c, cv, period, shift, sec, frac, type, flags, tai, status) =>
      b.vmclockGettime(
        aU64(c, 'counter'),
        aU64(cv, 'counter_value'),
        aU64(period, 'counter_period_frac_sec'),
        aU8(shift, 'counter_period_shift'),
        aU64(sec, 'time_sec'),
        aU64(frac, 'time_frac_sec'),
        aU8(type, 'time_type'),
        aU64(flags, 'flags'),
        aS16Pattern(tai, 'tai_offset_sec'),
        aU8(status, 'clock_status'),
      ),
    vmclockPeriod: (hz) => b.vmclockPeriod(aU64(hz, 'freq_hz')),

    pvclockReadBatch(tsc, params, out) {
      const input = aU64Array(tsc, 'tsc');
      const p = aPvclockParams(params);
      const o = outFor(input, out);
      b.pvclockReadBatch(input, p, o);
      return o;
    },
    pvclockScaleDeltaBatch(delta, mul, shift, out) {
      const input = aU64Array(delta, 'delta');
      const m = aU32(mul, 'mul');
      const s = aS8(shift, 'shift');
      const o = outFor(input, out);
      b.pvclockScaleDeltaBatch(input, m, s, o);
      return o;
    },
    scaleTscBatch(tsc, ratio, frac, out) {
      const input = aU64Array(tsc, 'tsc');
      const r = aU64(ratio, 'ratio');
      const f = aFrac(frac, 'frac');
      const o = outFor(input, out);
      b.scaleTscBatch(input, r, f, o);
      return o;
    },
    readL1TscBatch(hostTsc, offset, ratio, frac, out) {
      const input = aU64Array(hostTsc, 'host_tsc');
      const off = aU64(offset, 'offset');
      const r = aU64(ratio, 'ratio');
      const f = aFrac(frac, 'frac');
      const o = outFor(input, out);
      b.readL1TscBatch(input, off, r, f, o);
      return o;
    },
    mulU64U64ShrBatch(a, c, shift, out) {
      const x = aU64Array(a, 'a');
      const y = aU64Array(c, 'b');
      if (y.length < x.length) throw new ArgumentRangeError('b', 'length', BigInt(x.length), BigInt(Number.MAX_SAFE_INTEGER), y.length, 'shorter than a');
      const s = aMulShift(shift, 'shift');
      const o = outFor(x, out);
      b.mulU64U64ShrBatch(x, y, s, o);
      return o;
    },
    guestKvmclockBatch(hostTsc, l1Offset, ratio, frac, pvclock, out) {
      const input = aU64Array(hostTsc, 'host_tsc');
      const off = aU64(l1Offset, 'l1_offset');
      const r = aU64(ratio, 'ratio');
      const f = aFrac(frac, 'frac');
      const p = aPvclockParams(pvclock);
      const o = outFor(input, out);
      b.guestKvmclockBatch(input, off, r, f, p, o);
      return o;
    },
  };
}

/** A KVM_[GS]ET_CLOCK_GUEST record {tscTimestamp, systemTime, mul, shift, flags?} (u64, u64, u32, s8, u8), validated. */
export function aClockGuestRecord(p: unknown, name = 'record'): ClockGuestRecord {
  if (typeof p !== 'object' || p === null) throw new ArgumentTypeError(name, 'object {tscTimestamp, systemTime, mul, shift, flags?}', p);
  const { flags } = p as Record<string, unknown>;
  return { ...aPvclockParams(p, name), flags: flags === undefined ? 0 : aU8(flags, `${name}.flags`) };
}

/** A pvclock record {tscTimestamp, systemTime, mul, shift} (u64, u64, u32, s8), validated. */
export function aPvclockParams(p: unknown, name = 'params'): PvclockParams {
  if (typeof p !== 'object' || p === null) throw new ArgumentTypeError(name, 'object {tscTimestamp, systemTime, mul, shift}', p);
  const r = p as Record<string, unknown>;
  return {
    tscTimestamp: aU64(r.tscTimestamp, `${name}.tscTimestamp`),
    systemTime: aU64(r.systemTime, `${name}.systemTime`),
    mul: aU32(r.mul, `${name}.mul`),
    shift: aS8(r.shift, `${name}.shift`),
  };
}
