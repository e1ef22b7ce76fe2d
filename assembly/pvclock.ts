// pvclock arithmetic (spec section 3): scaling a TSC delta, reading the clock, the
// guest's TSC-frequency estimate and the guest-side monotonic guard.
import { mulU64U32Shr32 } from "./mul128";
import { setRes0, setRes1 } from "./out";
import { STATUS_DIV0, STATUS_OK } from "./status";

/** pvclock flags bit 0: the host guarantees a stable TSC. */
const PVCLOCK_TSC_STABLE_BIT: u32 = 1;
/** 10^6 * 2^32: the numerator of the kHz estimate. */
const KHZ_NUMERATOR: u64 = <u64>1_000_000 << 32;

// Pre-shift of a delta by an s8 shift as x86-64 does it: negative shifts right, positive
// shifts left losing the top bits, the count masked to 6 bits (so +-64 acts as 0).
// @ts-ignore: decorator
@inline
function preShift(delta: u64, shift: i32): u64 {
  return shift < 0 ? delta >> <u64>(-shift & 63) : delta << <u64>(shift & 63);
}

/** pvclock_scale_delta: bits 32..95 of preShift(delta, shift) * mul. shift in -128..127. */
// @ts-ignore: decorator
@inline
export function scaleDelta(delta: u64, mul: u32, shift: i32): u64 {
  return mulU64U32Shr32(preShift(delta, shift), mul);
}

/** Exported pvclock_scale_delta (see scaleDelta). */
export function pvclockScaleDelta(delta: u64, mul: u32, shift: i32): u64 {
  return scaleDelta(delta, mul, shift);
}

/** pvclock_read: lo64(system_time + scale_delta(lo64(tsc - tsc_timestamp), mul, shift)). Any inputs, shift an s8. */
// @ts-ignore: decorator
@inline
export function readClock(tsc: u64, tscTimestamp: u64, systemTime: u64, mul: u32, shift: i32): u64 {
  return systemTime + scaleDelta(tsc - tscTimestamp, mul, shift);
}

/** Exported pvclock_read (see readClock). */
export function pvclockRead(tsc: u64, tscTimestamp: u64, systemTime: u64, mul: u32, shift: i32): u64 {
  return readClock(tsc, tscTimestamp, systemTime, mul, shift);
}

/**
 * pvclock_tsc_khz: floor(10^6 * 2^32 / mul), then shifted left by -shift or right by
 * shift (count masked to 6 bits as x86-64 does). STATUS_DIV0 for mul = 0, else STATUS_OK
 * with the kHz value in res0.
 */
export function pvclockTscKhz(mul: u32, shift: i32): i32 {
  if (mul == 0) return STATUS_DIV0;
  const khz = KHZ_NUMERATOR / <u64>mul;
  setRes0(shift < 0 ? khz << <u64>(-shift & 63) : khz >> <u64>(shift & 63));
  return STATUS_OK;
}

/**
 * Guest monotonic guard of pvclock_clocksource_read. With TSC_STABLE in both the record
 * flags and the guest's valid flags the raw value is returned and last_value kept;
 * otherwise the result is max(ret, last_value), which also becomes the new last_value.
 * Writes the result to res0 and the new last_value to res1.
 */
export function pvclockGuestRead(ret: u64, flags: u32, validFlags: u32, lastValue: u64): void {
  if ((flags & validFlags & PVCLOCK_TSC_STABLE_BIT) != 0) {
    setRes0(ret);
    setRes1(lastValue);
    return;
  }
  const result = ret < lastValue ? lastValue : ret;
  setRes0(result);
  setRes1(result);
}
