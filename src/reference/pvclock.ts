/** §3 of the spec: pvclock arithmetic and the guest's read protocol, on exact BigInts. */
import type { GuestRead } from '../backend.js';
import { ArithmeticFaultError } from '../errors.js';
import { PVCLOCK_TSC_STABLE_BIT } from '../units.js';
import { lo64, x86ShiftCount } from './c-types.js';

/**
 * pvclock_scale_delta: pre-shift the delta (right for a negative shift, left with
 * the top bits lost for a positive one; counts masked to 6 bits as x86-64 does),
 * then take bits 32..95 of delta·mul — the multiply itself never truncates.
 */
export function pvclockScaleDelta(delta: bigint, mul: number, shift: number): bigint {
  const shifted = shift < 0 ? delta >> x86ShiftCount(-shift) : lo64(delta << x86ShiftCount(shift));
  return (shifted * BigInt(mul)) >> 32n;
}

/** The guest's conversion: system_time + scale_delta(tsc − tsc_timestamp), both steps wrapping. */
export function pvclockRead(tsc: bigint, tscTimestamp: bigint, systemTime: bigint, mul: number, shift: number): bigint {
  return lo64(systemTime + pvclockScaleDelta(lo64(tsc - tscTimestamp), mul, shift));
}

/** pvclock_tsc_khz: the guest's TSC frequency estimate ⌊10^6·2^32/mul⌋, then undo the pre-shift. */
export function pvclockTscKhz(mul: number, shift: number): bigint {
  if (mul === 0) throw new ArithmeticFaultError('div0', 'pvclock_tsc_khz: do_div by tsc_to_system_mul = 0');
  const khz = (1_000_000n << 32n) / BigInt(mul);
  return shift < 0 ? lo64(khz << x86ShiftCount(-shift)) : khz >> x86ShiftCount(shift);
}

/**
 * The monotonic guard of pvclock_clocksource_read: the raw value is returned only
 * when the guest accepted the stable bit and the record carries TSC_STABLE;
 * otherwise it is clamped against, and raises, the global last_value.
 */
export function pvclockGuestRead(ret: bigint, flags: number, validFlags: number, lastValue: bigint): GuestRead {
  if (validFlags & flags & PVCLOCK_TSC_STABLE_BIT) return { result: ret, newLastValue: lastValue };
  if (ret < lastValue) return { result: lastValue, newLastValue: lastValue };
  return { result: ret, newLastValue: ret };
}
