/** §7.3 and §8 of the spec: KVM_SET_CLOCK, the TSC synchronisation window, the wall clock. */
import type { WallClock } from '../backend.js';
import { KernelRuleError } from '../errors.js';
import { KVM_CLOCK_REALTIME, KVM_SET_CLOCK_VALID_FLAGS } from '../units.js';
import { lo32, lo64, s64 } from './c-types.js';
import { pvclockScaleDelta } from './pvclock.js';

/**
 * kvm_synchronize_tsc's ±1 s window: does a host write of `data` land within one
 * second (in guest cycles) of the value expected `elapsedNs` after the last write?
 * Compared in wrapping u64, as the kernel does. This is the window test alone: the
 * kernel's other reasons to synchronise (a write of 0, virtual_tsc_khz = 0 meaning
 * "never") are decided by the caller.
 */
export function syncWindow(data: bigint, lastWrite: bigint, elapsedNs: bigint, virtualTscKhz: number, virtualTscMult: number, virtualTscShift: number): boolean {
  const expected = lo64(lastWrite + pvclockScaleDelta(elapsedNs, virtualTscMult, virtualTscShift)); // nsec_to_cycles
  const oneSecond = BigInt(virtualTscKhz) * 1000n;
  return data < lo64(expected + oneSecond) && lo64(data + oneSecond) > expected;
}

/**
 * KVM_SET_CLOCK: rejects unknown flags with −EINVAL; with KVM_CLOCK_REALTIME adds
 * the real time elapsed since `realtime` (never subtracts); returns the new
 * kvmclock_offset = (s64)(clock − base), base being master_kernel_ns of the fresh
 * snapshot when the master clock is in use, else the base clock now.
 */
export function setClock(clock: bigint, flags: number, realtime: bigint, nowReal: bigint, useMasterClock: boolean, masterKernelNs: bigint, baseNow: bigint): bigint {
  if ((flags & ~KVM_SET_CLOCK_VALID_FLAGS) !== 0) {
    throw new KernelRuleError('EINVAL', `KVM_SET_CLOCK returns -EINVAL: flags 0x${flags.toString(16)} outside TSC_STABLE|REALTIME|HOST_TSC (0xe)`);
  }
  let value = clock;
  if (flags & KVM_CLOCK_REALTIME && nowReal > realtime) value = lo64(value + (nowReal - realtime));
  const base = useMasterClock ? masterKernelNs : baseNow;
  return s64(value - base);
}

/** MSR_KVM_WALL_CLOCK fields: seconds cut to u32, nanoseconds, and the high 32 bits Xen also writes. */
export function wallClock(wallNs: bigint): WallClock {
  const sec = wallNs / 1_000_000_000n;
  return { sec: Number(lo32(sec)), nsec: Number(wallNs % 1_000_000_000n), secHi: Number(lo32(sec >> 32n)) };
}
