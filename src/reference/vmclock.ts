/**
 * VMClock (guest-clock-abis §3): the guest's conversion of a counter reading to time, the
 * TAI time ptp_vmclock hands out, and the period/shift a VMM would write for a counter
 * frequency.
 */
import type { VmclockPeriod, VmclockTime } from '../backend.js';
import { KernelRuleError } from '../errors.js';
import { lo64 } from './c-types.js';

const TWO_64 = 1n << 64n;
const TWO_128 = 1n << 128n;
/** clock_status: the host says the clock is unreliable. */
export const VMCLOCK_STATUS_UNRELIABLE = 4;
/** time_type: UTC and TAI. */
export const VMCLOCK_TIME_UTC = 0;
export const VMCLOCK_TIME_TAI = 1;
/** flags bit 0: tai_offset_sec is valid. */
export const VMCLOCK_FLAG_TAI_OFFSET_VALID = 1n;

/**
 * The guest's read: delta = lo64(counter − counter_value), X = (⌊delta·period/2^(shift mod
 * 128)⌋ + time_frac_sec) mod 2^128, seconds lo64(⌊X/2^64⌋ + time_sec), nanoseconds
 * ⌊lo64(X)·10^9/2^64⌋.
 */
export function vmclockRead(counter: bigint, counterValue: bigint, periodFrac: bigint, shift: number, timeSec: bigint, timeFracSec: bigint): VmclockTime {
  const delta = lo64(counter - counterValue);
  const x = (((delta * periodFrac) >> BigInt(shift & 127)) + timeFracSec) % TWO_128;
  return { sec: lo64((x >> 64n) + timeSec), nsec: Number(((x % TWO_64) * 1_000_000_000n) >> 64n) };
}

/**
 * ptp_vmclock's TAI time: EINVAL when clock_status is unreliable (checked first), or unless
 * the time is TAI (time_type 1, as read) or UTC with TAI_OFFSET_VALID, then
 * sec − tai_offset_sec (an s16 holding UTC − TAI, −37 in 2025), wrapping in u64.
 */
export function vmclockGettime(
  counter: bigint,
  counterValue: bigint,
  periodFrac: bigint,
  shift: number,
  timeSec: bigint,
  timeFracSec: bigint,
  timeType: number,
  flags: bigint,
  taiOffsetSec: number,
  clockStatus: number,
): VmclockTime {
  const einval = (why: string) => new KernelRuleError('EINVAL', `ptp_vmclock returns -EINVAL: ${why}`);
  if (clockStatus === VMCLOCK_STATUS_UNRELIABLE) throw einval('clock_status is 4 (unreliable)');
  const t = vmclockRead(counter, counterValue, periodFrac, shift, timeSec, timeFracSec);
  if (timeType === VMCLOCK_TIME_TAI) return t;
  if (timeType === VMCLOCK_TIME_UTC && (flags & VMCLOCK_FLAG_TAI_OFFSET_VALID) !== 0n) return { sec: lo64(t.sec - BigInt(taiOffsetSec)), nsec: t.nsec };
  throw einval(timeType === VMCLOCK_TIME_UTC ? 'UTC time without a valid TAI offset is ambiguous' : `time_type ${timeType} is not TAI or UTC`);
}

/**
 * The exact period a VMM would write for a counter of freq_hz: shift = the largest s ≤ 63
 * with 2^s < freq_hz, period = ⌊2^(64+shift)/freq_hz⌋. `nofit` below 2 Hz.
 */
export function vmclockPeriod(freqHz: bigint): VmclockPeriod {
  if (freqHz < 2n) throw new KernelRuleError('nofit', `no 64-bit VMClock period exists for ${freqHz} Hz (the counter must run at 2 Hz or more)`);
  let shift = 63;
  while (shift > 0 && 1n << BigInt(shift) >= freqHz) shift--;
  return { shift, period: (1n << BigInt(64 + shift)) / freqHz };
}
