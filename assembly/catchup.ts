// Software TSC catch-up (spec section 5.6, kernel-variants sections 3 and 4):
// compute_guest_tsc and the catch-up step of kvm_guest_time_update.
import { setRes0, setRes1 } from "./out";
import { scaleDelta } from "./pvclock";
import { readL1 } from "./tsc";

// compute_guest_tsc: write + nsec_to_cycles(kernel_ns - nsec); with `signed` a negative
// (s64) delta subtracts the scaled magnitude (|INT64_MIN| = 2^63). vshift is an s8.
// @ts-ignore: decorator
@inline
function guestTscAt(write: u64, nsec: u64, kernelNs: u64, vmult: u32, vshift: i32, signed: bool): u64 {
  const delta = kernelNs - nsec;
  if (signed && <i64>delta < 0) return write - scaleDelta(0 - delta, vmult, vshift);
  return write + scaleDelta(delta, vmult, vshift);
}

/** Exported compute_guest_tsc (unsigned baseline, or signed-compute-guest-tsc). kernel_ns is an s64 bit pattern. */
export function computeGuestTsc(thisTscWrite: u64, thisTscNsec: u64, kernelNs: u64, virtualTscMult: u32, virtualTscShift: i32, signed: bool): u64 {
  return guestTscAt(thisTscWrite, thisTscNsec, kernelNs, virtualTscMult, virtualTscShift, signed);
}

/**
 * Catch-up of kvm_guest_time_update for a tsc_catchup vCPU; res0 = the L1 offset after it,
 * res1 = tsc_timestamp. Baseline: compute_guest_tsc(K) against read_l1(M), raised when
 * above (u64 compare). upscaleToNow: the s64 lag compute_guest_tsc(kNow) - read_l1(hNow)
 * is added when positive, then tsc_timestamp = read_l1(M) with the new offset. frac 0..63.
 */
export function tscCatchup(
  upscaleToNow: bool, signed: bool, thisTscWrite: u64, thisTscNsec: u64, virtualTscMult: u32, virtualTscShift: i32,
  l1Offset: u64, ratio: u64, frac: u32, masterCycleNow: u64, masterKernelNs: u64, hostTscNow: u64, kernelNsNow: u64,
): void {
  if (upscaleToNow) {
    const lag = guestTscAt(thisTscWrite, thisTscNsec, kernelNsNow, virtualTscMult, virtualTscShift, signed) - readL1(hostTscNow, l1Offset, ratio, frac);
    const offset = <i64>lag > 0 ? l1Offset + lag : l1Offset;
    setRes0(offset);
    setRes1(readL1(masterCycleNow, offset, ratio, frac));
    return;
  }
  const timestamp = readL1(masterCycleNow, l1Offset, ratio, frac);
  const want = guestTscAt(thisTscWrite, thisTscNsec, masterKernelNs, virtualTscMult, virtualTscShift, signed);
  if (want > timestamp) {
    setRes0(l1Offset + (want - timestamp));
    setRes1(want);
  } else {
    setRes0(l1Offset);
    setRes1(timestamp);
  }
}
