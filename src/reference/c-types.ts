/**
 * The C conversions the reference makes explicit. Every implicit truncation or sign
 * reinterpretation of the kernel's C code appears in the reference as one of these.
 */

/** (u64)x: keep the low 64 bits (C unsigned arithmetic is modulo 2^64). */
export const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);
/** (s64)x: reinterpret the low 64 bits as two's complement. */
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
/** (u32)x: keep the low 32 bits. */
export const lo32 = (x: bigint): bigint => BigInt.asUintN(32, x);
/** (s32)x: reinterpret the low 32 bits as two's complement. */
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);

/**
 * A 64-bit shift count as x86-64 executes it: SHL/SHR mask the count to its low 6
 * bits. (C leaves counts ≥ 64 undefined; the compiled kernel behaves like this.)
 */
export const x86ShiftCount = (n: number): bigint => BigInt(n & 63);

/** 2^frac: the identity TSC scaling ratio for `frac` fractional bits (1ULL << frac). */
export const defaultRatio = (frac: number): bigint => 1n << BigInt(frac);

/** Number of significant bits of a non-negative integer (0 for 0). */
export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}
