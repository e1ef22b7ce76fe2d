// Guest TSC frequency selection (spec sections 5.1, 5.4, 5.5): tolerance window,
// largest guest frequency, kvm_set_tsc_khz and the kHz the guest pvclock is built from.
import { mulU64U64Shr } from "./mul128";
import { mulDiv96, quotientTop } from "./muldiv";
import { resI0, resI1, setRes0, setResI0, setResI1, setResI2, setResI3 } from "./out";
import { STATUS_DE, STATUS_NOFREQ, STATUS_OK } from "./status";
import { getTimeScale } from "./timescale";
import { defaultRatio, scale } from "./tsc";

/** Largest guest TSC frequency KVM_SET_TSC_KHZ can accept (kHz, exclusive bound cap). */
const MAX_GUEST_KHZ_CAP: u64 = 0x7fff_ffff;
const NSEC_PER_SEC: u64 = 1_000_000_000;

/** setTscKhz flag bits in resI1 (mirrored in src/wasm/backend.ts). */
export const SET_TSC_RATIO_WRITTEN: i32 = 1;
export const SET_TSC_USE_SCALING: i32 = 2;
export const SET_TSC_CATCHUP: i32 = 4;
export const SET_TSC_VIRTUAL_SCALE: i32 = 8;

/**
 * adjust_tsc_khz: lo32(floor(lo64(khz * sext64(s32(10^6 + ppm))) / 10^6)), the sum wrapping
 * in 32 bits and the division unsigned. Any u32 khz, s32 ppm; returns a u32.
 */
export function adjustTscKhz(khz: u32, ppm: i32): u32 {
  const factor = <i64>(<i32>1_000_000 + ppm); // s32 sum wraps, then sign-extends
  return <u32>((<u64>khz * <u64>factor) / 1_000_000);
}

/** kvm max_guest_tsc_khz: min(2^31 - 1, mul_u64_u64_shr(host_khz, max_ratio, frac)). frac in 0..63. */
export function maxGuestTscKhz(hostKhz: u32, maxRatio: u64, frac: u32): u32 {
  const r = mulU64U64Shr(<u64>hostKhz, maxRatio, frac);
  return <u32>(r < MAX_GUEST_KHZ_CAP ? r : MAX_GUEST_KHZ_CAP);
}

/** tgt_tsc_khz of kvm_guest_time_update: the host kHz scaled (floored) when the hardware scales, 0 -> 1. */
export function tgtTscKhz(hostKhz: u32, ratio: u64, frac: u32, hasControl: bool): u64 {
  if (!hasControl) return <u64>hostKhz;
  const tgt = scale(<u64>hostKhz, ratio, frac);
  return tgt == 0 ? 1 : tgt;
}

/**
 * hz-pvclock: the pvclock frequency in Hz, lo64(host_khz * 1000) scaled by the ratio with
 * hardware scaling (a scaled 0 becomes 1). STATUS_NOFREQ when host_khz * 1000 wraps to 0
 * (the update is abandoned), else STATUS_OK with the Hz in res0. frac in 0..63.
 */
export function tgtTscHz(hostKhz: u64, ratio: u64, frac: u32, hasControl: bool): i32 {
  let hz = hostKhz * 1000;
  if (hz == 0) return STATUS_NOFREQ;
  if (hasControl) {
    hz = scale(hz, ratio, frac);
    if (hz == 0) hz = 1;
  }
  setRes0(hz);
  return STATUS_OK;
}

/**
 * kvm_set_tsc_khz on a fresh vCPU. Returns STATUS_DE when the kernel would take a divide
 * error computing the ratio, else STATUS_OK with: resI0 = rc (0 or -1); resI1 = flag bits
 * SET_TSC_*; res0 = the ratio written (when SET_TSC_RATIO_WRITTEN); resI2/resI3 =
 * virtual_tsc_shift (s8) / virtual_tsc_mult (u32) (when SET_TSC_VIRTUAL_SCALE).
 * frac in 0..63; tolPpm is the u32 module parameter.
 */
export function setTscKhz(userKhz: u32, hostKhz: u32, hasControl: bool, frac: u32, maxRatio: u64, tolPpm: u32): i32 {
  // 1. A request of 0 writes the default ratio and fails.
  if (userKhz == 0) return setTscResult(-1, SET_TSC_RATIO_WRITTEN, defaultRatio(frac));
  // 2. virtual_tsc_{shift,mult} are always computed (user*1000 is never 0 or 2^63: no hang).
  getTimeScale(<u64>userKhz * 1000, NSEC_PER_SEC);
  const virtualShift = resI0, virtualMult = resI1;
  setResI2(virtualShift);
  setResI3(virtualMult);
  let flags = SET_TSC_VIRTUAL_SCALE;
  // 3. Tolerance window, thresholds floored and inclusive; -tol reinterpreted as s32.
  const lo = adjustTscKhz(hostKhz, <i32>(0 - tolPpm));
  const hi = adjustTscKhz(hostKhz, <i32>tolPpm);
  const useScaling = userKhz < lo || userKhz > hi;
  // 4. Inside the window: the guest runs at the host rate.
  if (!useScaling) return setTscResult(0, flags | SET_TSC_RATIO_WRITTEN, defaultRatio(frac));
  flags |= SET_TSC_USE_SCALING;
  // 5. No hardware scaling: software catch-up only for a faster guest.
  if (!hasControl) {
    return userKhz > hostKhz ? setTscResult(0, flags | SET_TSC_CATCHUP, 0) : setTscResult(-1, flags, 0);
  }
  // 6. Hardware ratio; x86-64 DIV faults on a zero divisor or a quotient >= 2^64.
  if (hostKhz == 0) return STATUS_DE;
  const ratio = mulDiv96(defaultRatio(frac), userKhz, hostKhz);
  if (quotientTop != 0) return STATUS_DE;
  if (ratio == 0 || ratio >= maxRatio) return setTscResult(-1, flags, 0);
  return setTscResult(0, flags | SET_TSC_RATIO_WRITTEN, ratio);
}

// Stores rc (0 or -1), the SET_TSC_* flags and the ratio for setTscKhz; returns STATUS_OK.
// @ts-ignore: decorator
@inline
function setTscResult(rc: i32, flags: i32, ratio: u64): i32 {
  setResI0(rc);
  setResI1(flags);
  setRes0(ratio);
  return STATUS_OK;
}
