// mul_u64_u32_div (spec section 2.4): floor(a*m / d) with the exact 96-bit product,
// divided by 32-bit long division (each step divides a value below d*2^32 by d).
import { setRes0 } from "./out";
import { STATUS_DIV0, STATUS_OK, STATUS_OVERFLOW } from "./status";

const M32: u64 = 0xffff_ffff;

/** Quotient bits 64..95 of the last mulDiv96 (non-zero iff the quotient needs > 64 bits). */
export let quotientTop: u64 = 0;

// Low 64 bits of floor(a*m / d), quotient bits 64..95 to `quotientTop`; d in 1..2^32-1.
// @ts-ignore: decorator
@inline
export function mulDiv96(a: u64, m: u32, d: u32): u64 {
  const lo = (a & M32) * <u64>m;
  const hi = (a >> 32) * <u64>m;
  const mid = (lo >> 32) + (hi & M32); // < 2^33
  const limb2 = (hi >> 32) + (mid >> 32); // < 2^32: the product is below 2^96
  const dd = <u64>d;
  quotientTop = limb2 / dd;
  let r = limb2 % dd;
  const cur1 = (r << 32) | (mid & M32);
  const q1 = cur1 / dd; // < 2^32 because r < d
  r = cur1 % dd;
  const q0 = ((r << 32) | (lo & M32)) / dd;
  return (q1 << 32) | q0;
}

/**
 * x86-64 mul_u64_u32_div (one MUL, one DIV). Returns STATUS_DIV0 for d = 0,
 * STATUS_OVERFLOW when the quotient needs more than 64 bits (#DE), else STATUS_OK with
 * the quotient in res0. Any inputs.
 */
export function mulU64U32Div(a: u64, m: u32, d: u32): i32 {
  if (d == 0) return STATUS_DIV0;
  setRes0(mulDiv96(a, m, d));
  return quotientTop != 0 ? STATUS_OVERFLOW : STATUS_OK;
}

/** Generic (32-bit kernel) mul_u64_u32_div: quotient mod 2^64 in res0; STATUS_DIV0 for d = 0. */
export function mulU64U32DivGeneric(a: u64, m: u32, d: u32): i32 {
  if (d == 0) return STATUS_DIV0;
  setRes0(mulDiv96(a, m, d));
  return STATUS_OK;
}
