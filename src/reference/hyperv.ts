/**
 * The Hyper-V reference time KVM gives Windows guests (guest-clock-abis §1): the reference
 * TSC page KVM derives from a vCPU's kvmclock record, the guest's read of it, and the
 * reference-counter MSR's fallback. Reference time is in 100 ns units.
 */
import type { HvTscPage } from '../backend.js';
import { ArithmeticFaultError, KernelRuleError } from '../errors.js';
import { PVCLOCK_TSC_STABLE_BIT } from '../units.js';
import { lo64, s64, x86ShiftCount } from './c-types.js';

/**
 * compute_tsc_page_parameters: `invalid` (reason `unstable`) without PVCLOCK_TSC_STABLE;
 * `invalid` (reason `mul`) when mul ≥ lo64(100·2^((32 − shift) mod 64)) — one tick of the
 * record is not under 100 ns; else tsc_scale = mul_u64_u32_div(2^((32 + shift) mod 64), mul,
 * 100) (x86-64 #DE `overflow` above 2^64, unreachable once the mul check passed) and
 * tsc_offset = lo64(⌊system_time/100⌋ − ⌊tsc_timestamp·tsc_scale/2^64⌋) as s64, system_time
 * divided as an unsigned u64. Shift counts outside 0..63 are masked as x86-64 does.
 */
export function hvTscPage(mul: number, shift: number, tscTimestamp: bigint, systemTime: bigint, flags: number): HvTscPage {
  if ((flags & PVCLOCK_TSC_STABLE_BIT) === 0) {
    throw new KernelRuleError('invalid', 'the Hyper-V reference TSC page is invalid (sequence 0): the kvmclock record lacks PVCLOCK_TSC_STABLE (no master clock)', undefined, 'unstable');
  }
  const maxMul = lo64(100n << x86ShiftCount(32 - shift));
  if (BigInt(mul) >= maxMul) {
    throw new KernelRuleError('invalid', `the Hyper-V reference TSC page is invalid (sequence 0): tsc_to_system_mul ${mul} is not below 100·2^(32 − tsc_shift) = ${maxMul} (a tick of 100 ns or more)`, undefined, 'mul');
  }
  const scale = ((1n << x86ShiftCount(32 + shift)) * BigInt(mul)) / 100n;
  if (scale >> 64n !== 0n) throw new ArithmeticFaultError('overflow', 'compute_tsc_page_parameters: mul_u64_u32_div quotient exceeds 64 bits (x86-64 #DE)');
  return { scale, offset: s64(systemTime / 100n - ((tscTimestamp * scale) >> 64n)) };
}

/** The guest's reference time from the page: lo64(⌊tsc·scale/2^64⌋ + offset), in 100 ns units. offset is s64 or its u64 pattern. */
export function hvRefRead(tsc: bigint, scale: bigint, offset: bigint): bigint {
  return lo64(((tsc * scale) >> 64n) + offset);
}

/** HV_X64_MSR_TIME_REF_COUNT while the page is not SET: ⌊get_kvmclock_ns()/100⌋, unsigned. */
export function hvRefMsr(kvmclockNs: bigint): bigint {
  return kvmclockNs / 100n;
}
