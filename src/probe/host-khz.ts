/**
 * Recovering the host's frequency from a pvclock record. KVM writes
 * (tsc_shift, tsc_to_system_mul) = kvm_get_time_scale(10^9, tgt_tsc_khz·1000) (spec §5.5),
 * so the host's tgt_tsc_khz is one of the kHz values k whose time scale is exactly the
 * record's. The guest's own estimate, pvclock_tsc_khz (§3.4), floors twice and is
 * usually 1 kHz below.
 */
import type { KvmclockApi } from '../api.js';
import { NSEC_PER_SEC, U32_MAX } from '../units.js';

/** The kHz values k in [min, max] with kvm_get_time_scale(10^9, k·1000) = (shift, mul). */
export interface KhzRange {
  readonly min: bigint;
  readonly max: bigint;
}

/**
 * The conversion rate mul·2^shift/2^32 ns per cycle scaled to an integer (mul·2^(shift+64)),
 * comparable across shifts. For a normalised scale (mul in [2^31, 2^32), §4) it determines
 * (shift, mul) uniquely, and it does not increase as the frequency grows.
 */
export function scaleKey(mul: number, shift: number): bigint {
  return BigInt(mul) << BigInt(shift + 64);
}

function keyAt(api: KvmclockApi, khz: bigint): bigint {
  const s = api.getTimeScale(NSEC_PER_SEC, khz * 1000n);
  return scaleKey(s.mul, s.shift);
}

/**
 * Every host tgt_tsc_khz in 1..2^32−1 that yields exactly this (mul, shift): a contiguous
 * range found by two bisections over the non-increasing key. Below about 10^9 kHz it is a
 * single value (mul keeps 31–32 significant bits); only where kvm_get_time_scale shifts the
 * base right by 10 bits or more (beyond ~1 THz) can neighbouring kHz values share a scale.
 * Null when no kHz value gives this scale (e.g. a host that scales in Hz, or a record not
 * written by KVM).
 */
export function hostKhzCandidates(api: KvmclockApi, mul: number, shift: number): KhzRange | null {
  if (shift < -62 || shift > 64) return null;
  const target = scaleKey(mul, shift);
  const top = BigInt(U32_MAX);
  // smallest k with key(k) <= target
  let lo = 1n;
  let hi = top + 1n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1n;
    if (keyAt(api, mid) <= target) hi = mid;
    else lo = mid + 1n;
  }
  const first = lo;
  // largest k with key(k) >= target
  lo = 0n;
  hi = top;
  while (lo < hi) {
    const mid = (lo + hi + 1n) >> 1n;
    if (keyAt(api, mid) >= target) lo = mid;
    else hi = mid - 1n;
  }
  const last = lo;
  if (first > top || last < 1n || first > last || keyAt(api, first) !== target) return null;
  return { min: first, max: last };
}

/** What the guest derives from the record: pvclock_tsc_khz(mul, shift). */
export function guestKhzFromRecord(api: KvmclockApi, mul: number, shift: number): bigint {
  return api.pvclockTscKhz(mul, shift);
}
