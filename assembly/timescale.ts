// kvm_get_time_scale (spec section 4): the (shift, mul) pair with
// x*scaled/base ~= pvclock_scale_delta(x, mul, shift), in the four-phase form.
import { setResI0, setResI1 } from "./out";
import { STATUS_HANG, STATUS_OK } from "./status";

const TWO_POW_32: u64 = 0x1_0000_0000;
const TWO_POW_31: u64 = 0x8000_0000;

/** The packed result of timeScale for inputs on which the kernel loop never ends. */
export const TIME_SCALE_HANG: u64 = 0xffff_ffff_ffff_ffff;

/**
 * kvm_get_time_scale packed as (u8 bits of the s8 shift) << 32 | mul, or TIME_SCALE_HANG
 * when the kernel loop would never terminate (the reduced base is 0: base_hz = 0,
 * scaled_hz = 0 or scaled_hz = 2^63). Any u64 inputs.
 */
// @ts-ignore: decorator
@inline
export function timeScale(scaledHz: u64, baseHz: u64): u64 {
  // 1. Reduce the base below 2^32 and to at most twice the scaled value (which wraps).
  const limit = scaledHz << 1;
  let t = baseHz;
  let shift: i32 = 0;
  while (t >= TWO_POW_32 || t > limit) {
    t >>= 1;
    shift--;
  }
  if (t == 0) return TIME_SCALE_HANG;
  // 2. Reduce the scaled value below 2^32.
  let s = scaledHz;
  while (s >= TWO_POW_32) {
    s >>= 1;
    shift++;
  }
  // 3. Grow the base while it does not exceed the scaled value.
  while (t <= s && t < TWO_POW_31) {
    t <<= 1;
    shift++;
  }
  // 4. Final correction, possible only once t >= 2^31.
  if (t <= s) {
    s >>= 1;
    shift++;
  }
  // 5. s < t here, so the 0.32 quotient fits a u32.
  return (<u64>(<u8>shift) << 32) | ((s << 32) / t);
}

/**
 * Returns STATUS_HANG when the kernel loop would never terminate (the reduced base is 0:
 * base_hz = 0, scaled_hz = 0 or scaled_hz = 2^63), else STATUS_OK with the shift (s8,
 * sign-extended) in resI0 and the mul (u32) in resI1. Any u64 inputs.
 */
export function getTimeScale(scaledHz: u64, baseHz: u64): i32 {
  const packed = timeScale(scaledHz, baseHz);
  if (packed == TIME_SCALE_HANG) return STATUS_HANG;
  setResI0(<i32><i8>(packed >> 32));
  setResI1(<i32>packed);
  return STATUS_OK;
}
