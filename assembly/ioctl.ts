// Ioctl and MSR arithmetic (spec sections 7.3, 8.3, 8.5): KVM_SET_CLOCK's offset, the
// wall-clock MSR fields and the one-second window of kvm_synchronize_tsc.
import { setRes0, setResI0, setResI1, setResI2 } from "./out";
import { scaleDelta } from "./pvclock";
import { STATUS_EINVAL, STATUS_OK } from "./status";

const NSEC_PER_SEC: u64 = 1_000_000_000;
/** struct kvm_clock_data flags. */
const KVM_CLOCK_TSC_STABLE: u32 = 2;
const KVM_CLOCK_REALTIME: u32 = 4;
const KVM_CLOCK_HOST_TSC: u32 = 8;
const KVM_SET_CLOCK_VALID_FLAGS: u32 = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;

/**
 * KVM_SET_CLOCK: STATUS_EINVAL for unknown flags; else STATUS_OK with the new
 * kvmclock_offset (s64 bits) in res0: clock advanced by now_real - realtime when REALTIME
 * is set and now_real > realtime, minus master_kernel_ns (master clock) or base_now.
 */
export function setClock(clock: u64, flags: u32, realtime: u64, nowReal: u64, useMasterClock: bool, masterKernelNs: u64, baseNow: u64): i32 {
  if ((flags & ~KVM_SET_CLOCK_VALID_FLAGS) != 0) return STATUS_EINVAL;
  let c = clock;
  if ((flags & KVM_CLOCK_REALTIME) != 0 && nowReal > realtime) c += nowReal - realtime;
  setRes0(c - (useMasterClock ? masterKernelNs : baseNow));
  return STATUS_OK;
}

/**
 * MSR_KVM_WALL_CLOCK fields for an epoch in ns: resI0 = lo32(floor(ns / 10^9)) (sec),
 * resI1 = ns mod 10^9 (nsec), resI2 = the seconds' high 32 bits (sec_hi). Any u64.
 */
export function wallClock(wallNs: u64): void {
  const sec = wallNs / NSEC_PER_SEC;
  setResI0(<i32>sec);
  setResI1(<i32>(wallNs % NSEC_PER_SEC));
  setResI2(<i32>(sec >> 32));
}

/**
 * kvm_synchronize_tsc's window for a host write of `data`: with
 * exp = lo64(last_write + nsec_to_cycles(elapsed)) and hz = vkhz*1000, 1 iff
 * data < lo64(exp + hz) and lo64(data + hz) > exp, all in wrapping u64. vshift is an s8.
 */
export function syncWindow(data: u64, lastWrite: u64, elapsedNs: u64, virtualTscKhz: u32, virtualTscMult: u32, virtualTscShift: i32): bool {
  const expected = lastWrite + scaleDelta(elapsedNs, virtualTscMult, virtualTscShift);
  const hz = <u64>virtualTscKhz * 1000;
  return data < expected + hz && data + hz > expected;
}
