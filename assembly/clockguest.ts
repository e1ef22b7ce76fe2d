// KVM_GET_CLOCK_GUEST / KVM_SET_CLOCK_GUEST as posted in v6 05/36 (kernel-variants
// section 7) and hvclock_to_hz.
import { setRes0, setRes1, setResI0, setResI1, setResI2 } from "./out";
import { readClock } from "./pvclock";
import { STATUS_EINVAL, STATUS_ERANGE, STATUS_HANG, STATUS_OK } from "./status";
import { TIME_SCALE_HANG, timeScale } from "./timescale";
import { readL1, scale } from "./tsc";

const NSEC_PER_SEC: u64 = 1_000_000_000;
/** 10^9 * 2^34. */
const HV_NUMERATOR: u64 = NSEC_PER_SEC << 34;

/** Which SET/GET check failed, in resI0 after STATUS_EINVAL (mirrored in src/wasm/backend.ts). */
export const CLOCK_GUEST_PADS: i32 = 1;
export const CLOCK_GUEST_MUL: i32 = 2;
export const CLOCK_GUEST_SHIFT: i32 = 3;
export const CLOCK_GUEST_NO_MASTER: i32 = 4;
export const CLOCK_GUEST_NO_FREQ: i32 = 5;
export const CLOCK_GUEST_TSC_BEHIND: i32 = 6;

// hvclock_to_hz for mul != 0 (see hvclockToHz).
// @ts-ignore: decorator
@inline
function hvHz(mul: u32, shift: i32): u64 {
  const z = ctz(mul);
  const tm = HV_NUMERATOR / <u64>(mul >> z);
  const s = <i32><i8>(shift + 2 + <i32>z);
  if (s >= 64 || s <= -64) return 0;
  return s > 0 ? tm >> <u64>s : tm << <u64>(-s);
}

/**
 * hvclock_to_hz: floor(10^9 * 2^34 / (mul >> z)) with z the trailing zeros of mul, shifted
 * by s = s8(shift + 2 + z) (right for s > 0, left for s <= 0, 0 when |s| >= 64).
 * STATUS_HANG for mul 0, else STATUS_OK with the Hz in res0. shift an s8.
 */
export function hvclockToHz(mul: u32, shift: i32): i32 {
  if (mul == 0) return STATUS_HANG;
  setRes0(hvHz(mul, shift));
  return STATUS_OK;
}

// STATUS_EINVAL with the failed check in resI0.
// @ts-ignore: decorator
@inline
function einval(check: i32): i32 {
  setResI0(check);
  return STATUS_EINVAL;
}

/**
 * v6 KVM_SET_CLOCK_GUEST in the ioctl's order: pads, mul 0, shift outside -31..31, master
 * clock off, host_khz * 1000 = 0 (STATUS_EINVAL with the check in resI0); the user's
 * hvclock_to_hz outside the vCPU's Hz +- 1000 in wrapping u64 (STATUS_ERANGE, user Hz in
 * res0, vCPU Hz in res1); the guest TSC at M below the record's timestamp (EINVAL, the
 * guest TSC in res1).
 * STATUS_OK: res0 = kvmclock_offset (s64 bits), res1 = guest TSC at M. frac 0..63.
 */
export function setClockGuestV6(
  tscTimestamp: u64, systemTime: u64, mul: u32, shift: i32, padsNonzero: bool, useMasterClock: bool,
  masterCycleNow: u64, masterKernelNs: u64, l1Offset: u64, ratio: u64, frac: u32, hostKhz: u64, hasControl: bool,
): i32 {
  if (padsNonzero) return einval(CLOCK_GUEST_PADS);
  if (mul == 0) return einval(CLOCK_GUEST_MUL);
  if (shift < -31 || shift > 31) return einval(CLOCK_GUEST_SHIFT);
  const userHz = hvHz(mul, shift);
  if (!useMasterClock) return einval(CLOCK_GUEST_NO_MASTER);
  let hostHz = hostKhz * 1000;
  if (hostHz == 0) return einval(CLOCK_GUEST_NO_FREQ);
  if (hasControl) hostHz = scale(hostHz, ratio, frac);
  if (userHz < hostHz - 1000 || userHz > hostHz + 1000) {
    setRes0(userHz);
    setRes1(hostHz);
    return STATUS_ERANGE;
  }
  const guestTsc = readL1(masterCycleNow, l1Offset, ratio, frac);
  if (guestTsc < tscTimestamp) {
    setRes1(guestTsc);
    return einval(CLOCK_GUEST_TSC_BEHIND);
  }
  setRes0(readClock(guestTsc, tscTimestamp, systemTime, mul, shift) - masterKernelNs);
  setRes1(guestTsc);
  return STATUS_OK;
}

/**
 * v6 KVM_GET_CLOCK_GUEST after its clock update: STATUS_EINVAL (check in resI0) when
 * host_khz * 1000 = 0 or the master clock is off; else STATUS_OK with res0 = tsc_timestamp,
 * res1 = system_time, resI0 = shift (s8), resI1 = mul, resI2 = flags. hzPvclock selects
 * the Hz frequency (else the floored kHz times 1000, STATUS_HANG if that wraps to 0);
 * tscStable sets PVCLOCK_TSC_STABLE.
 */
export function getClockGuestV6(
  hzPvclock: bool, useMasterClock: bool, masterCycleNow: u64, masterKernelNs: u64, kvmclockOffset: u64,
  l1Offset: u64, ratio: u64, frac: u32, hostKhz: u64, hasControl: bool, tscStable: bool,
): i32 {
  const hostHz = hostKhz * 1000;
  if (hostHz == 0) return einval(CLOCK_GUEST_NO_FREQ);
  if (!useMasterClock) return einval(CLOCK_GUEST_NO_MASTER);
  let hz: u64;
  if (hzPvclock) {
    hz = hasControl ? scale(hostHz, ratio, frac) : hostHz;
    if (hz == 0) hz = 1;
  } else {
    let khz = hasControl ? scale(hostKhz, ratio, frac) : hostKhz;
    if (khz == 0) khz = 1;
    hz = khz * 1000;
  }
  const packed = timeScale(NSEC_PER_SEC, hz);
  if (packed == TIME_SCALE_HANG) return STATUS_HANG; // only the kHz form: khz * 1000 wrapping to 0
  setRes0(readL1(masterCycleNow, l1Offset, ratio, frac));
  setRes1(masterKernelNs + kvmclockOffset);
  setResI0(<i32><i8>(packed >> 32));
  setResI1(<i32>packed);
  setResI2(tscStable ? 1 : 0);
  return STATUS_OK;
}
