/**
 * Software TSC catch-up (spec §5.6; kernel-variants §3, §4): compute_guest_tsc — the guest
 * TSC a catch-up vCPU should have reached at a kernel ns instant — and the catch-up step of
 * kvm_guest_time_update, in the baseline and with `upscale-to-now`.
 */
import type { TscCatchupResult } from '../backend.js';
import { lo64, s64 } from './c-types.js';
import { pvclockScaleDelta } from './pvclock.js';
import { readL1Tsc } from './tsc.js';

const TWO_63 = 1n << 63n;

/**
 * compute_guest_tsc(kernel_ns): this_tsc_write + nsec_to_cycles(kernel_ns − this_tsc_nsec).
 * Baseline: the ns delta is a u64, so a negative one wraps to ≈ 2^64 before scaling.
 * `signed` (`signed-compute-guest-tsc`, v6 15/36): the delta is reinterpreted as s64 and a
 * negative one subtracts the scaled magnitude (|INT64_MIN| taken as 2^63).
 */
export function computeGuestTsc(thisTscWrite: bigint, thisTscNsec: bigint, kernelNs: bigint, virtualTscMult: number, virtualTscShift: number, signed: boolean): bigint {
  const delta = lo64(kernelNs - thisTscNsec);
  if (signed && delta >= TWO_63) {
    const magnitude = lo64(-s64(delta)); // 2^63 for INT64_MIN, as the wrapping negation gives
    return lo64(thisTscWrite - pvclockScaleDelta(magnitude, virtualTscMult, virtualTscShift));
  }
  return lo64(thisTscWrite + pvclockScaleDelta(delta, virtualTscMult, virtualTscShift));
}

/**
 * The catch-up of kvm_guest_time_update for a vCPU with tsc_catchup, with the master
 * reference (M, K) and the update instant (hNow, kNow). Baseline: tsc_timestamp =
 * read_l1(M); if compute_guest_tsc(K) is above it (u64 compare) the L1 offset is raised by
 * the difference and tsc_timestamp becomes that value. `upscaleToNow` (v6 16/36): the lag
 * compute_guest_tsc(kNow) − read_l1(hNow) is taken as s64 and added when positive; then
 * tsc_timestamp = read_l1(M) with the new offset. `signed` selects compute_guest_tsc's
 * variant.
 */
export function tscCatchup(
  upscaleToNow: boolean,
  signed: boolean,
  thisTscWrite: bigint,
  thisTscNsec: bigint,
  virtualTscMult: number,
  virtualTscShift: number,
  l1Offset: bigint,
  ratio: bigint,
  frac: number,
  masterCycleNow: bigint,
  masterKernelNs: bigint,
  hostTscNow: bigint,
  kernelNsNow: bigint,
): TscCatchupResult {
  const cgt = (ns: bigint) => computeGuestTsc(thisTscWrite, thisTscNsec, ns, virtualTscMult, virtualTscShift, signed);
  if (upscaleToNow) {
    const lag = s64(cgt(kernelNsNow) - readL1Tsc(hostTscNow, l1Offset, ratio, frac));
    const offset = lag > 0n ? lo64(l1Offset + lag) : l1Offset;
    return { l1Offset: offset, tscTimestamp: readL1Tsc(masterCycleNow, offset, ratio, frac) };
  }
  const timestamp = readL1Tsc(masterCycleNow, l1Offset, ratio, frac);
  const want = cgt(masterKernelNs);
  if (want > timestamp) return { l1Offset: lo64(l1Offset + (want - timestamp)), tscTimestamp: want };
  return { l1Offset, tscTimestamp: timestamp };
}
