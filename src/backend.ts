/**
 * The one interface both implementations provide: `reference` (BigInt, the
 * definition of correctness) and `wasm` (AssemblyScript compiled to WebAssembly).
 *
 * Implementations receive arguments that the public layer (`src/api.ts`) has already
 * validated against their C types, so they never see a value outside its range.
 * They report kernel-defined failures by throwing the typed errors of `errors.ts`
 * with the protocol codes (`div0`, `overflow`, `de`, `hang`, `zero`, `toolarge`,
 * `EINVAL`) — identical on both backends.
 *
 * Conventions: u64/s64 values are bigint; u32/s32/u8/s8 values and shifts are number;
 * every u64 result is in 0..2^64−1 and every s64 result in −2^63..2^63−1.
 */

/** (shift, mul) pair as `kvm_get_time_scale` returns it. */
export interface TimeScale {
  /** Pre-shift, stored as s8 (negative: shift the delta right). */
  readonly shift: number;
  /** 0.32 fixed-point multiplier (u32). */
  readonly mul: number;
}

/** clocks_calc_mult_shift result. */
export interface MultShift {
  readonly mult: number;
  readonly shift: number;
}

/** __clocksource_update_freq_scale result. */
export interface ClocksourceParams {
  readonly mult: number;
  readonly shift: number;
  readonly maxadj: number;
  /** The max_idle seconds argument used for mult/shift (after the 600 s cap). */
  readonly maxsec: bigint;
}

/** What kvm_set_tsc_khz did to a vCPU. */
export interface SetTscKhzResult {
  /** 0 on success, −1 on failure (the kernel's return value). */
  readonly rc: 0 | -1;
  /** The ratio written to the vCPU, or null when none was written. */
  readonly ratio: bigint | null;
  /** Whether the request fell outside the tolerance window. */
  readonly useScaling: boolean;
  /** Software catch-up (tsc_catchup and tsc_always_catchup) enabled. */
  readonly catchup: boolean;
  /** virtual_tsc_shift/mult (ns → guest cycles), null when user_khz was 0. */
  readonly virtualTscShift: number | null;
  readonly virtualTscMult: number | null;
}

/** Result of the guest-side pvclock monotonic guard. */
export interface GuestRead {
  readonly result: bigint;
  readonly newLastValue: bigint;
}

/** MSR_KVM_WALL_CLOCK fields for a wall-clock epoch in ns. */
export interface WallClock {
  readonly sec: number;
  readonly nsec: number;
  /** High 32 bits of the seconds (written by Xen). */
  readonly secHi: number;
}

/** Parameters of one pvclock record as used for batch reads. */
export interface PvclockParams {
  readonly tscTimestamp: bigint;
  readonly systemTime: bigint;
  readonly mul: number;
  readonly shift: number;
}

/** kvm_get_time_scale results for a batch of base frequencies. */
export interface TimeScaleBatch {
  /** The s8 pre-shift of each element. */
  readonly shift: Int8Array;
  /** The u32 0.32 multiplier of each element. */
  readonly mul: Uint32Array;
}

/** Master-clock use and the TSC_STABLE flag (kernel-variants §5). */
export interface MasterClockMode {
  readonly useMasterClock: boolean;
  /** PVCLOCK_TSC_STABLE in the records (and in KVM_GET_CLOCK_GUEST). */
  readonly tscStable: boolean;
}

/** What the software catch-up of kvm_guest_time_update leaves (kernel-variants §4). */
export interface TscCatchupResult {
  /** The vCPU's L1 TSC offset after any bump. */
  readonly l1Offset: bigint;
  /** The record's tsc_timestamp. */
  readonly tscTimestamp: bigint;
}

/** The fields of a pvclock record that KVM_GET/SET_CLOCK_GUEST carry. */
export interface ClockGuestRecord {
  readonly tscTimestamp: bigint;
  readonly systemTime: bigint;
  /** tsc_to_system_mul (u32). */
  readonly mul: number;
  /** tsc_shift (s8). */
  readonly shift: number;
  /** flags (u8): PVCLOCK_TSC_STABLE or 0 from GET. */
  readonly flags: number;
}

/** What v6 KVM_SET_CLOCK_GUEST sets. */
export interface SetClockGuestV6Result {
  /** The new kvmclock_offset (s64). */
  readonly kvmclockOffset: bigint;
  /** The guest TSC at the new reference, read_l1(master_cycle_now). */
  readonly guestTsc: bigint;
}

/** The Hyper-V reference TSC page KVM computes from a kvmclock record. */
export interface HvTscPage {
  /** tsc_scale (u64): reference units per guest tick, 0.64 fixed point. */
  readonly scale: bigint;
  /** tsc_offset (s64), in 100 ns units. */
  readonly offset: bigint;
}

/** Xen CPUID leaf 4 as KVM fills it. */
export interface XenTscLeaf {
  /** Sub-leaf 1 ECX: tsc_to_system_mul. */
  readonly ecx: number;
  /** Sub-leaf 1 EDX: tsc_shift sign-extended to 32 bits, as a u32. */
  readonly edx: number;
  /** Sub-leaf 2 EAX: tgt_tsc_khz. */
  readonly eax: number;
}

/** A VMClock time: seconds (u64 pattern) and nanoseconds. */
export interface VmclockTime {
  readonly sec: bigint;
  readonly nsec: number;
}

/** A VMClock counter period: 2^-(64+shift) s units per tick. */
export interface VmclockPeriod {
  readonly shift: number;
  readonly period: bigint;
}

export type BackendName = 'reference' | 'wasm';

/**
 * The message of the `hang` error of a getTimeScaleBatch element, identical on both
 * backends: it names the element and the kernel condition.
 */
export function timeScaleBatchHangRule(index: number, scaledHz: bigint, baseHz: bigint): string {
  return `kvm_get_time_scale never terminates for element ${index} (scaled_hz ${scaledHz}, base_hz ${baseHz}): base_hz reduces to 0 (base_hz = 0, or 2·scaled_hz wraps to 0 for scaled_hz = 0 or 2^63)`;
}

export interface Backend {
  readonly name: BackendName;

  // §2 64-bit primitives
  mulU64U32Shr(a: bigint, mul: number, shift: number): bigint;
  mulU64U64Shr(a: bigint, b: bigint, shift: number): bigint;
  mulS64U64Shr(a: bigint, b: bigint, shift: number): bigint;
  /** x86-64 MUL+DIV: throws ArithmeticFaultError `div0` or `overflow`. */
  mulU64U32Div(a: bigint, mul: number, div: number): bigint;
  /** Generic (32-bit kernel) version: quotient truncated to 64 bits; throws `div0`. */
  mulU64U32DivGeneric(a: bigint, mul: number, div: number): bigint;

  // §4 kvm_get_time_scale: throws KernelRuleError `hang`
  getTimeScale(scaledHz: bigint, baseHz: bigint): TimeScale;

  // §3 pvclock
  pvclockScaleDelta(delta: bigint, mul: number, shift: number): bigint;
  pvclockRead(tsc: bigint, tscTimestamp: bigint, systemTime: bigint, mul: number, shift: number): bigint;
  /** Throws ArithmeticFaultError `div0` when mul is 0. */
  pvclockTscKhz(mul: number, shift: number): bigint;
  pvclockGuestRead(ret: bigint, flags: number, validFlags: number, lastValue: bigint): GuestRead;

  // §5 TSC scaling and offsets
  scaleTsc(tsc: bigint, ratio: bigint, frac: number): bigint;
  /** Throws KernelRuleError `zero`/`toolarge` (with value) or ArithmeticFaultError `div0`/`overflow`. */
  tscRatio(userKhz: number, hostKhz: number, frac: number, maxRatio: bigint): bigint;
  computeL1TscOffset(targetTsc: bigint, hostTsc: bigint, ratio: bigint, frac: number): bigint;
  readL1Tsc(hostTsc: bigint, offset: bigint, ratio: bigint, frac: number): bigint;
  nestedTscOffset(l1Offset: bigint, l2Offset: bigint, l2Mult: bigint, frac: number): bigint;
  nestedTscMultiplier(l1Mult: bigint, l2Mult: bigint, frac: number): bigint;
  adjustTscKhz(khz: number, ppm: number): number;
  maxGuestTscKhz(hostKhz: number, maxRatio: bigint, frac: number): number;
  tgtTscKhz(hostKhz: number, ratio: bigint, frac: number, hasControl: boolean): bigint;
  /** Throws ArithmeticFaultError `de` where the kernel would take a divide error. */
  setTscKhz(userKhz: number, hostKhz: number, hasControl: boolean, frac: number, maxRatio: bigint, tolPpm: number): SetTscKhzResult;

  // §6 clocksource and CLOCK_MONOTONIC_RAW
  /** Throws ArithmeticFaultError `div0` when from is 0. */
  clocksCalcMultShift(from: number, to: number, maxsec: number): MultShift;
  clocksourceRegister(freq: number, scale: number, mask: bigint): ClocksourceParams;
  rawNs(cycles: bigint, cycleLast: bigint, rawSec: bigint, xtimeNsec: bigint, mult: number, shift: number): bigint;
  kvmBaseNs(cycles: bigint, cycleLast: bigint, rawSec: bigint, xtimeNsec: bigint, mult: number, shift: number, offsBoot: bigint): bigint;
  cyc2ns(delta: bigint, mult: number, shift: number): bigint;

  // §8 ioctls and TSC synchronisation
  syncWindow(data: bigint, lastWrite: bigint, elapsedNs: bigint, virtualTscKhz: number, virtualTscMult: number, virtualTscShift: number): boolean;
  /** Returns the new kvmclock_offset (s64). Throws KernelRuleError `EINVAL`. */
  setClock(clock: bigint, flags: number, realtime: bigint, nowReal: bigint, useMasterClock: boolean, masterKernelNs: bigint, baseNow: bigint): bigint;
  wallClock(wallNs: bigint): WallClock;

  // Upstream variants (kernel-variants document). Frequencies in kHz are u64 here (the
  // kernel's unsigned long), so host_khz·1000 may wrap.
  /** `hz-pvclock`: the pvclock frequency in Hz. Throws KernelRuleError `nofreq`. */
  tgtTscHz(hostKhz: bigint, ratio: bigint, frac: number, hasControl: boolean): bigint;
  /** `c-via-guest-tsc`: the snapshot's mul/shift for C′. Throws KernelRuleError `nomaster`. */
  masterTscScale(hostKhz: bigint, ratio: bigint, frac: number, hasControl: boolean): TimeScale;
  /** KVM_GET_CLOCK with the master clock: C, or C′ when viaGuestTsc. Throws `hang` (C) or `nomaster` (C′). K and the offset are s64. */
  getKvmclock(viaGuestTsc: boolean, hostTsc: bigint, masterCycleNow: bigint, masterKernelNs: bigint, kvmclockOffset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: boolean): bigint;
  /** Master-clock use and TSC_STABLE, baseline or with `masterclock-offset-tscs` (offsetTscs). */
  mclockMode(offsetTscs: boolean, matchedTsc: boolean, matchedFreq: boolean, tscClocksource: boolean, backwardsTsc: boolean, oldKvmclock: boolean): MasterClockMode;
  /** compute_guest_tsc, unsigned (baseline) or signed (`signed-compute-guest-tsc`). kernelNs is s64. */
  computeGuestTsc(thisTscWrite: bigint, thisTscNsec: bigint, kernelNs: bigint, virtualTscMult: number, virtualTscShift: number, signed: boolean): bigint;
  /** The catch-up step of kvm_guest_time_update, baseline or `upscale-to-now`. K and kNow are s64. */
  tscCatchup(upscaleToNow: boolean, signed: boolean, thisTscWrite: bigint, thisTscNsec: bigint, virtualTscMult: number, virtualTscShift: number, l1Offset: bigint, ratio: bigint, frac: number, masterCycleNow: bigint, masterKernelNs: bigint, hostTscNow: bigint, kernelNsNow: bigint): TscCatchupResult;
  /** hvclock_to_hz. Throws KernelRuleError `hang` for mul 0. */
  hvclockToHz(mul: number, shift: number): bigint;
  /** v6 KVM_SET_CLOCK_GUEST. Throws KernelRuleError `EINVAL` / `ERANGE`. K is s64. */
  setClockGuestV6(record: ClockGuestRecord, padsNonzero: boolean, useMasterClock: boolean, masterCycleNow: bigint, masterKernelNs: bigint, l1Offset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: boolean): SetClockGuestV6Result;
  /** v6 KVM_GET_CLOCK_GUEST. Throws KernelRuleError `EINVAL`. K and the offset are s64. */
  getClockGuestV6(hzPvclock: boolean, useMasterClock: boolean, masterCycleNow: bigint, masterKernelNs: bigint, kvmclockOffset: bigint, l1Offset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: boolean, tscStable: boolean): ClockGuestRecord;

  // Guest clock ABIs (guest-clock-abis document).
  /** compute_tsc_page_parameters. Throws KernelRuleError `invalid` (reason `unstable`/`mul`) or ArithmeticFaultError `overflow`. */
  hvTscPage(mul: number, shift: number, tscTimestamp: bigint, systemTime: bigint, flags: number): HvTscPage;
  /** The guest's reference-time read of the page (offset as s64 or its u64 pattern). */
  hvRefRead(tsc: bigint, scale: bigint, offset: bigint): bigint;
  /** The reference-counter MSR fallback ⌊ns/100⌋. */
  hvRefMsr(kvmclockNs: bigint): bigint;
  /** Xen CPUID leaf 4 from tgt_tsc_khz. Throws KernelRuleError `hang` for 0. */
  xenTscLeaf(tgtTscKhz: number): XenTscLeaf;
  /** The guest's VMClock read. */
  vmclockRead(counter: bigint, counterValue: bigint, periodFrac: bigint, shift: number, timeSec: bigint, timeFracSec: bigint): VmclockTime;
  /** ptp_vmclock's TAI time. Throws KernelRuleError `EINVAL`. taiOffsetSec is an s16. */
  vmclockGettime(counter: bigint, counterValue: bigint, periodFrac: bigint, shift: number, timeSec: bigint, timeFracSec: bigint, timeType: number, flags: bigint, taiOffsetSec: number, clockStatus: number): VmclockTime;
  /** The exact period/shift for a counter frequency. Throws KernelRuleError `nofit` below 2 Hz. */
  vmclockPeriod(freqHz: bigint): VmclockPeriod;

  // Batch forms: out[i] = f(in[i], …) for i < tsc.length. out may be the input array.
  pvclockReadBatch(tsc: BigUint64Array, params: PvclockParams, out: BigUint64Array): void;
  pvclockScaleDeltaBatch(delta: BigUint64Array, mul: number, shift: number, out: BigUint64Array): void;
  scaleTscBatch(tsc: BigUint64Array, ratio: bigint, frac: number, out: BigUint64Array): void;
  readL1TscBatch(hostTsc: BigUint64Array, offset: bigint, ratio: bigint, frac: number, out: BigUint64Array): void;
  mulU64U64ShrBatch(a: BigUint64Array, b: BigUint64Array, shift: number, out: BigUint64Array): void;
  /**
   * Definition B of the KVM clock (spec §7) at each host TSC value: the guest TSC
   * g = lo64(l1Offset + kvm_scale_tsc(hostTsc[i], ratio, frac)), then the pvclock read of g
   * with `pvclock` (the record the guest was given).
   */
  guestKvmclockBatch(hostTsc: BigUint64Array, l1Offset: bigint, ratio: bigint, frac: number, pvclock: PvclockParams, out: BigUint64Array): void;
  /**
   * kvm_get_time_scale(scaledHz, baseHz[i]) into outShift[i] / outMul[i]. Throws
   * KernelRuleError `hang` (message from {@link timeScaleBatchHangRule}) at the first element
   * on which the kernel loop never ends; the elements before it are written.
   */
  getTimeScaleBatch(scaledHz: bigint, baseHz: BigUint64Array, outShift: Int8Array, outMul: Uint32Array): void;
}
