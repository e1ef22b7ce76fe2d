/**
 * The conversion parameters the benchmarks and `kvmclock bench` use: the README's guest, a
 * 1.0 GHz VMX guest on a 2.5 GHz host. KVM_SET_TSC_KHZ 1000000 gives the ratio ⌊0.4·2^48⌋;
 * the guest's pvclock is built from tgt_tsc_khz 999999 (kvm_get_time_scale: shift 1,
 * mul 2147485795). test/stream.test.ts recomputes these through the API.
 */
import type { PvclockParams } from '../backend.js';
import type { ConversionSpec } from './index.js';

export const DEMO_RATIO = 112_589_990_684_262n;
export const DEMO_FRAC = 48;
/** The L1 TSC offset: a guest booted 20 s of host TSC after the host, at 2.5 GHz. */
export const DEMO_L1_OFFSET = BigInt.asUintN(64, -50_000_000_000n);
/** A master-clock snapshot: guest TSC 20,015,998,976 at kvmclock 10^12 ns. */
export const DEMO_PVCLOCK: PvclockParams = { tscTimestamp: 20_015_998_976n, systemTime: 1_000_000_000_000n, mul: 2_147_485_795, shift: 1 };
/** kvm_get_time_scale's scaled_hz for the pvclock (NSEC_PER_SEC). */
export const DEMO_SCALED_HZ = 1_000_000_000n;
/** mul_u64_u64_shr's shift in the benchmarks (VMX frac). */
export const DEMO_MUL_SHIFT = 48;

/** Streaming operations by their snake_case benchmark names. */
export const PRESET_SPECS = {
  pvclock_read: { op: 'pvclockRead', pvclock: DEMO_PVCLOCK },
  scale_delta: { op: 'pvclockScaleDelta', mul: DEMO_PVCLOCK.mul, shift: DEMO_PVCLOCK.shift },
  scale_tsc: { op: 'scaleTsc', ratio: DEMO_RATIO, frac: DEMO_FRAC },
  guest_read_b: { op: 'guestKvmclock', l1Offset: DEMO_L1_OFFSET, ratio: DEMO_RATIO, frac: DEMO_FRAC, pvclock: DEMO_PVCLOCK },
} as const satisfies Record<string, ConversionSpec>;

export type PresetOp = keyof typeof PRESET_SPECS;
