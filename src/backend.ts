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
