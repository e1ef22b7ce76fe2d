// TSC scaling ratio and offsets (spec sections 5.2, 5.3 and the ratio of 5.4 step 6).
import { mulS64U64Shr, mulU64U64Shr } from "./mul128";
import { mulDiv96, quotientTop } from "./muldiv";
import { setRes0 } from "./out";
import { STATUS_DIV0, STATUS_OK, STATUS_OVERFLOW, STATUS_TOOLARGE, STATUS_ZERO } from "./status";

// 2^frac, the identity ratio; frac in 0..63.
// @ts-ignore: decorator
@inline
export function defaultRatio(frac: u32): u64 {
  return <u64>1 << <u64>frac;
}

// kvm_scale_tsc: identity for the default ratio, else mul_u64_u64_shr(tsc, ratio, frac); frac in 0..63.
// @ts-ignore: decorator
@inline
export function scale(tsc: u64, ratio: u64, frac: u32): u64 {
  return ratio == defaultRatio(frac) ? tsc : mulU64U64Shr(tsc, ratio, frac);
}

/** Exported kvm_scale_tsc (see scale). */
export function scaleTsc(tsc: u64, ratio: u64, frac: u32): u64 {
  return scale(tsc, ratio, frac);
}

/**
 * The hardware ratio kvm_set_tsc_khz would pick: x86-64 mul_u64_u32_div(2^frac, user, host).
 * STATUS_DIV0 (host 0) or STATUS_OVERFLOW (quotient >= 2^64) for the divide error;
 * STATUS_ZERO for a zero ratio; STATUS_TOOLARGE for ratio >= maxRatio; else STATUS_OK.
 * The ratio is in res0 for OK, ZERO and TOOLARGE. frac in 0..63.
 */
export function tscRatio(userKhz: u32, hostKhz: u32, frac: u32, maxRatio: u64): i32 {
  if (hostKhz == 0) return STATUS_DIV0;
  const ratio = mulDiv96(defaultRatio(frac), userKhz, hostKhz);
  if (quotientTop != 0) return STATUS_OVERFLOW;
  setRes0(ratio);
  if (ratio == 0) return STATUS_ZERO;
  if (ratio >= maxRatio) return STATUS_TOOLARGE;
  return STATUS_OK;
}

/** kvm_compute_l1_tsc_offset: lo64(target - scale(host)). frac in 0..63. */
export function computeL1TscOffset(targetTsc: u64, hostTsc: u64, ratio: u64, frac: u32): u64 {
  return targetTsc - scale(hostTsc, ratio, frac);
}

// kvm_read_l1_tsc: lo64(offset + scale(host)); frac in 0..63.
// @ts-ignore: decorator
@inline
export function readL1(hostTsc: u64, offset: u64, ratio: u64, frac: u32): u64 {
  return offset + scale(hostTsc, ratio, frac);
}

/** Exported kvm_read_l1_tsc (see readL1). */
export function readL1Tsc(hostTsc: u64, offset: u64, ratio: u64, frac: u32): u64 {
  return readL1(hostTsc, offset, ratio, frac);
}

/**
 * kvm_calc_nested_tsc_offset: the L1 offset (signed) scaled by the L2 multiplier unless
 * that is the default, plus the L2 offset, modulo 2^64. frac in 0..63.
 */
export function nestedTscOffset(l1Offset: i64, l2Offset: u64, l2Mult: u64, frac: u32): u64 {
  const scaled = l2Mult == defaultRatio(frac) ? <u64>l1Offset : mulS64U64Shr(l1Offset, l2Mult, frac);
  return scaled + l2Offset;
}

/** kvm_calc_nested_tsc_multiplier: l1 unless l2 is the default, else mul_u64_u64_shr(l1, l2, frac). */
export function nestedTscMultiplier(l1Mult: u64, l2Mult: u64, frac: u32): u64 {
  return l2Mult == defaultRatio(frac) ? l1Mult : mulU64U64Shr(l1Mult, l2Mult, frac);
}
