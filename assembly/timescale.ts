// kvm_get_time_scale (spec section 4): the (shift, mul) pair with
// x*scaled/base ~= pvclock_scale_delta(x, mul, shift), in the four-phase form.
import { setResI0, setResI1 } from "./out";
import { STATUS_HANG, STATUS_OK } from "./status";

const TWO_POW_32: u64 = 0x1_0000_0000;
const TWO_POW_31: u64 = 0x8000_0000;

/**
 * Returns STATUS_HANG when the kernel loop would never terminate (the reduced base is 0:
 * base_hz = 0, scaled_hz = 0 or scaled_hz = 2^63), else STATUS_OK with the shift (s8,
 * sign-extended) in resI0 and the mul (u32) in resI1. Any u64 inputs.
 */
export function getTimeScale(scaledHz: u64, baseHz: u64): i32 {
  // 1. Reduce the base below 2^32 and to at most twice the scaled value (which wraps).
  const limit = scaledHz << 1;
  let t = baseHz;
  let shift: i32 = 0;
  while (t >= TWO_POW_32 || t > limit) {
    t >>= 1;
    shift--;
  }
  if (t == 0) return STATUS_HANG;
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
  setResI0(<i32><i8>shift);
  setResI1(<i32>((s << 32) / t));
  return STATUS_OK;
}
