/**
 * The public, validated API over one backend. Every argument is checked against its
 * C type (and, where the kernel has one, its rule) before the backend sees it, so
 * nothing wraps at the JS↔Wasm boundary and both backends receive the same inputs.
 */
import type { Backend, ClocksourceParams, GuestRead, MultShift, PvclockParams, SetTscKhzResult, TimeScale, WallClock } from './backend.js';
import { ArgumentRangeError, ArgumentTypeError } from './errors.js';
import { U64_MAX } from './units.js';
import { aBool, aU32NonZero, aFrac, aMulShift, aOutLength, aS32, aS64, aS8, aShift64, aU32, aU64, aU64Array, aU8 } from './validate.js';

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
