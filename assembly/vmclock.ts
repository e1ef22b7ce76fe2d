// VMClock (guest-clock-abis section 3): the guest's conversion of a counter reading, the TAI
// time ptp_vmclock returns, and the exact period/shift for a counter frequency.
import { mulHi, umul128 } from "./mul128";
import { res0, setRes0, setRes1, setResI0 } from "./out";
import { STATUS_EINVAL, STATUS_NOFIT, STATUS_OK } from "./status";

const NSEC_PER_SEC: u64 = 1_000_000_000;
const STATUS_UNRELIABLE: u32 = 4;
const TIME_UTC: u32 = 0;
const TIME_TAI: u32 = 1;
const FLAG_TAI_OFFSET_VALID: u64 = 1;

// The read into res0 (seconds) and res1 (nanoseconds): X = (delta * period >> (shift & 127))
// + time_frac_sec modulo 2^128, seconds = high64(X) + time_sec, ns = high64(low64(X) * 10^9).
// @ts-ignore: decorator
@inline
function readTime(counter: u64, counterValue: u64, periodFrac: u64, shift: u32, timeSec: u64, timeFracSec: u64): void {
  const lo = umul128(counter - counterValue, periodFrac);
  const hi = mulHi;
  const s = shift & 127;
  let qLo: u64, qHi: u64;
  if (s == 0) {
    qLo = lo;
    qHi = hi;
  } else if (s < 64) {
    qLo = (lo >> <u64>s) | (hi << <u64>(64 - s));
    qHi = hi >> <u64>s;
  } else {
    qLo = hi >> <u64>(s - 64);
    qHi = 0;
  }
  const xLo = qLo + timeFracSec;
  const xHi = qHi + (xLo < qLo ? 1 : 0);
  umul128(xLo, NSEC_PER_SEC);
  setRes0(xHi + timeSec);
  setRes1(mulHi);
}

/** The guest's VMClock read: seconds (u64 pattern) in res0, nanoseconds in res1. shift a u8. */
export function vmclockRead(counter: u64, counterValue: u64, periodFrac: u64, shift: u32, timeSec: u64, timeFracSec: u64): void {
  readTime(counter, counterValue, periodFrac, shift, timeSec, timeFracSec);
}

/**
 * ptp_vmclock's TAI time: STATUS_EINVAL when clock_status is 4 (resI0 = 1) or the time is
 * not TAI and not UTC with TAI_OFFSET_VALID (resI0 = 2); else STATUS_OK with seconds in res0
 * (minus the s16 tai_offset_sec for UTC) and nanoseconds in res1.
 */
export function vmclockGettime(
  counter: u64, counterValue: u64, periodFrac: u64, shift: u32, timeSec: u64, timeFracSec: u64,
  timeType: u32, flags: u64, taiOffsetSec: i32, clockStatus: u32,
): i32 {
  if (clockStatus == STATUS_UNRELIABLE) {
    setResI0(1);
    return STATUS_EINVAL;
  }
  if (timeType != TIME_TAI && !(timeType == TIME_UTC && (flags & FLAG_TAI_OFFSET_VALID) != 0)) {
    setResI0(2);
    return STATUS_EINVAL;
  }
  readTime(counter, counterValue, periodFrac, shift, timeSec, timeFracSec);
  if (timeType == TIME_UTC) setRes0(res0 - <u64><i64>taiOffsetSec); // UTC - (UTC - TAI)
  return STATUS_OK;
}

/**
 * The exact period for a counter of freq_hz: STATUS_NOFIT below 2 Hz; else STATUS_OK with
 * shift (the largest s <= 63 with 2^s < freq) in resI0 and floor(2^(64 + shift) / freq) in
 * res0, by restoring long division (2^shift < freq, so the quotient fits 64 bits).
 */
export function vmclockPeriod(freqHz: u64): i32 {
  if (freqHz < 2) return STATUS_NOFIT;
  let shift: u32 = 63;
  while (shift > 0 && (<u64>1 << <u64>shift) >= freqHz) shift--;
  let rem: u64 = <u64>1 << <u64>shift;
  let q: u64 = 0;
  for (let i = 0; i < 64; i++) {
    const carry = rem >> 63;
    rem <<= 1;
    q <<= 1;
    if (carry != 0 || rem >= freqHz) {
      rem -= freqHz;
      q |= 1;
    }
  }
  setResI0(<i32>shift);
  setRes0(q);
  return STATUS_OK;
}
