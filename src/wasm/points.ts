/**
 * The exact sweep point chain in Wasm (assembly/points.ts): the spec's `abc` evaluation
 * under a kernel profile, its scaling facts, the master-clock re-snapshot step and the
 * Hyper-V reference TSC page KVM derives from the guest's record, for a batch of points per
 * call. This module is the thin layer over the instance: the word
 * layout, the profile flags and typed views over the input and output buffers. The sweep
 * fills the inputs straight into the views (src/sweep/point-batch.ts); a point at a time
 * goes through {@link chainPoint}.
 */
import { InternalError } from '../errors.js';
import type { KernelProfile } from '../kernel/profile.js';
import { type KvmclockExports, wasmExports } from './instance.js';

/** u64 words per point in the input buffer: host|user, frac|flags, max_ratio, h (or seconds), print labels. */
export const CHAIN_IN_WORDS = 5;

/** The output words of a point (assembly/points.ts O_*), checked against the module on first use. */
export const ChainWord = {
  status: 0,
  clocksource: 1,
  ratio: 2,
  tgtKhz: 3,
  guestScale: 4,
  hostScale: 5,
  masterKernelNs: 6,
  tscTimestamp: 7,
  systemTime: 8,
  guestTsc: 9,
  a: 10,
  b: 11,
  c: 12,
  step: 13,
  continuousOffset: 14,
  maxGuestKhz: 15,
  h: 16,
  /** The largest of |B − A|, |B − C|, |C − A| (format.ts worstDrift), as a u64 magnitude. */
  worst: 17,
  /** The Hyper-V page's tsc_scale (0 when the page is invalid: see {@link chainHvCode}). */
  hvScale: 18,
} as const;

/** u64 words per point in the output buffer. */
export const CHAIN_OUT_WORDS = 19;

/**
 * The Hyper-V page codes of the status word (bits 48..55, assembly/points.ts HVP_*): valid,
 * or why compute_tsc_page_parameters refuses the point's record. The record is the master
 * clock's (TSC_STABLE), so `unstable` does not occur; `overflow` (#DE) is unreachable once
 * the mul test passed (guest-clock-abis §1.2) but has its code.
 */
export const HvPageCode = { valid: 0, unstable: 1, mul: 2, overflow: 3 } as const;

/** The Hyper-V page code of a status word. */
export const chainHvCode = (status: bigint): number => Number((status >> 48n) & 0xffn);

/** Input flags (word 1, above the 8 bits of frac). */
export const ChainFlag = {
  control: 1 << 8,
  hzPvclock: 1 << 9,
  cViaGuestTsc: 1 << 10,
  keepActive: 1 << 11,
  horizon: 1 << 12,
} as const;

/** Scaling codes of the status word (bits 32..39), in the order of {@link SCALING_NAMES}. */
export const SCALING_NAMES = ['scaled', 'within-tolerance', 'catch-up', 'refused-slower-without-scaling', 'refused-ratio', 'refused-max-guest-khz'] as const;

/** kvm_set_tsc_khz flags of the status word (bits 40..47). */
export const ChainSetFlag = { written: 1, useScaling: 2, catchup: 4 } as const;

/** The flags of the profile changes that alter a standard point: hz-pvclock, c-via-guest-tsc, keep-active-masterclock. */
export function profileFlags(kernel: KernelProfile): number {
  return (
    (kernel.has('hz-pvclock') ? ChainFlag.hzPvclock : 0) |
    (kernel.has('c-via-guest-tsc') ? ChainFlag.cViaGuestTsc : 0) |
    (kernel.has('keep-active-masterclock') ? ChainFlag.keepActive : 0)
  );
}

/** The `abc` arguments a batch shares (all u64 bit patterns; offs_boot and kvmclock_offset may be negative s64). */
export interface ChainConstants {
  readonly c0: bigint;
  readonly rawSec: bigint;
  readonly xtimeNsec: bigint;
  readonly offsBoot: bigint;
  readonly kvmclockOffset: bigint;
  readonly masterCycleNow: bigint;
  readonly l1Offset: bigint;
  readonly tolPpm: number;
}

/** Typed views over one instance's chain buffers (rebuilt when its memory grows). */
export interface ChainViews {
  readonly exports: KvmclockExports;
  readonly capacity: number;
  /** The input buffer as u32 pairs (low, high) per u64 word. */
  readonly input: Uint32Array;
  /** The output buffer. */
  readonly output: BigUint64Array;
  /** The output buffer as u32 pairs. */
  readonly output32: Uint32Array;
}

const checked = new WeakSet<KvmclockExports>();
const viewCache = new WeakMap<KvmclockExports, { buffer: ArrayBuffer; views: ChainViews }>();

function checkLayout(w: KvmclockExports): void {
  if (checked.has(w)) return;
  const words: Record<string, number> = {
    O_STATUS: ChainWord.status, O_CLOCKSOURCE: ChainWord.clocksource, O_RATIO: ChainWord.ratio, O_TGT_KHZ: ChainWord.tgtKhz,
    O_GUEST_SCALE: ChainWord.guestScale, O_HOST_SCALE: ChainWord.hostScale, O_MASTER_KERNEL_NS: ChainWord.masterKernelNs,
    O_TSC_TIMESTAMP: ChainWord.tscTimestamp, O_SYSTEM_TIME: ChainWord.systemTime, O_GUEST_TSC: ChainWord.guestTsc, O_A: ChainWord.a,
    O_B: ChainWord.b, O_C: ChainWord.c, O_STEP: ChainWord.step, O_CONTINUOUS_OFFSET: ChainWord.continuousOffset,
    O_MAX_GUEST_KHZ: ChainWord.maxGuestKhz, O_H: ChainWord.h, O_WORST: ChainWord.worst, O_HV_SCALE: ChainWord.hvScale,
    HVP_VALID: HvPageCode.valid, HVP_MUL: HvPageCode.mul, HVP_OVERFLOW: HvPageCode.overflow,
    PF_CONTROL: ChainFlag.control, PF_HZ_PVCLOCK: ChainFlag.hzPvclock, PF_C_VIA_GUEST_TSC: ChainFlag.cViaGuestTsc,
    PF_KEEP_ACTIVE: ChainFlag.keepActive, PF_HORIZON: ChainFlag.horizon,
    SCALING_SCALED: 0, SCALING_WITHIN_TOLERANCE: 1, SCALING_CATCH_UP: 2, SCALING_REFUSED_SLOWER: 3, SCALING_REFUSED_RATIO: 4, SCALING_REFUSED_MAX_GUEST: 5,
    SET_WRITTEN: ChainSetFlag.written, SET_USE_SCALING: ChainSetFlag.useScaling, SET_CATCHUP: ChainSetFlag.catchup,
  };
  for (const [name, value] of Object.entries(words)) {
    const g = (w as unknown as Record<string, { value: number } | undefined>)[name];
    if (g?.value !== value) throw new InternalError(`the Wasm point chain's ${name} is ${g?.value}, the wrapper expects ${value}: rebuild the Wasm (npm run build:wasm)`);
  }
  if (w.pointInWords() !== CHAIN_IN_WORDS || w.pointOutWords() !== CHAIN_OUT_WORDS) throw new InternalError('the Wasm point chain has another word layout than its wrapper: rebuild the Wasm');
  checked.add(w);
}

/** Views over an instance's chain buffers (default: the scalar instance of this thread). */
export function chainViews(w: KvmclockExports = wasmExports()): ChainViews {
  checkLayout(w);
  const buffer = w.memory.buffer;
  const cached = viewCache.get(w);
  if (cached !== undefined && cached.buffer === buffer) return cached.views;
  const capacity = w.pointsCapacity();
  const views: ChainViews = {
    exports: w,
    capacity,
    input: new Uint32Array(buffer, w.pointsInput(), capacity * CHAIN_IN_WORDS * 2),
    output: new BigUint64Array(buffer, w.pointsOutput(), capacity * CHAIN_OUT_WORDS),
    output32: new Uint32Array(buffer, w.pointsOutput(), capacity * CHAIN_OUT_WORDS * 2),
  };
  viewCache.set(w, { buffer, views });
  return views;
}

/** Set the batch constants of an instance. */
export function chainSetup(w: KvmclockExports, k: ChainConstants): void {
  w.pointsSetup(k.c0, k.rawSec, k.xtimeNsec, k.offsBoot, k.kvmclockOffset, k.masterCycleNow, k.l1Offset, k.tolPpm);
}

/** One point's input, as {@link chainPoint} takes it. */
export interface ChainInput {
  readonly hostKhz: number;
  readonly userKhz: number;
  readonly frac: number;
  readonly maxRatio: bigint;
  readonly hasControl: boolean;
  readonly kernel: KernelProfile;
  /** The host TSC of the evaluation. */
  readonly h: bigint;
}

/** A point's output words as unsigned bigints, indexed by {@link ChainWord}. */
export type ChainWords = readonly bigint[];

/** One point through the chain (a batch of one): its output words. For tests and single evaluations. */
export function chainPoint(k: ChainConstants, p: ChainInput, w: KvmclockExports = wasmExports()): ChainWords {
  chainSetup(w, k);
  const flags = (p.frac & 0xff) | (p.hasControl ? ChainFlag.control : 0) | profileFlags(p.kernel);
  const words = [BigInt(p.hostKhz) | (BigInt(p.userKhz) << 32n), BigInt(flags), BigInt.asUintN(64, p.maxRatio), BigInt.asUintN(64, p.h), 0n];
  const view = chainViews(w);
  for (let j = 0; j < CHAIN_IN_WORDS; j++) {
    view.input[2 * j] = Number(words[j] & 0xffff_ffffn);
    view.input[2 * j + 1] = Number(words[j] >> 32n);
  }
  w.pointsRun(1);
  return Array.from(chainViews(w).output.subarray(0, CHAIN_OUT_WORDS));
}
