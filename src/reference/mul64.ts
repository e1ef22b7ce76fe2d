/** §2 of the spec: the kernel's 64-bit multiply helpers, on exact BigInts. */
import { ArithmeticFaultError } from '../errors.js';
import { U64_MAX } from '../units.js';
import { lo64 } from './c-types.js';

/** mul_u64_u32_shr: bits [shift, shift+64) of the exact 96-bit product a·mul. shift 0..127. */
export function mulU64U32Shr(a: bigint, mul: number, shift: number): bigint {
  return lo64((a * BigInt(mul)) >> BigInt(shift));
}

/** mul_u64_u64_shr: the exact 128-bit product shifted right, truncated to 64 bits. shift 0..127. */
export function mulU64U64Shr(a: bigint, b: bigint, shift: number): bigint {
  return lo64((a * b) >> BigInt(shift));
}

/**
 * mul_s64_u64_shr: sign-magnitude. The magnitude (|INT64_MIN| = 2^63) goes through
 * mul_u64_u64_shr, so negative inputs round towards zero; the result is negated mod 2^64.
 */
export function mulS64U64Shr(a: bigint, b: bigint, shift: number): bigint {
  const magnitude = mulU64U64Shr(a < 0n ? -a : a, b, shift);
  return a < 0n ? lo64(-magnitude) : magnitude;
}

/** mul_u64_u32_div, x86-64: one MUL, one DIV. A zero divisor or a quotient ≥ 2^64 raises #DE. */
export function mulU64U32Div(a: bigint, mul: number, div: number): bigint {
  if (div === 0) throw new ArithmeticFaultError('div0', 'mul_u64_u32_div: DIV by a zero divisor raises #DE');
  const q = (a * BigInt(mul)) / BigInt(div);
  if (q > U64_MAX) throw new ArithmeticFaultError('overflow', 'mul_u64_u32_div: the 128/64 DIV quotient exceeds 64 bits and raises #DE on x86-64');
  return q;
}

/** mul_u64_u32_div, generic (32-bit kernels): chained 64/32 divisions, quotient truncated to 64 bits. */
export function mulU64U32DivGeneric(a: bigint, mul: number, div: number): bigint {
  if (div === 0) throw new ArithmeticFaultError('div0', 'mul_u64_u32_div (generic): division by a zero divisor');
  return lo64((a * BigInt(mul)) / BigInt(div));
}
