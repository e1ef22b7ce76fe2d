/**
 * Argument guards used at the public boundary. Each checks the fast path first and
 * builds a message only on failure. Nothing is coerced: a Number where a bigint is
 * expected is a type error, a bigint outside its C type is a range error. This is
 * what stops the JS↔Wasm boundary from wrapping silently (2^64 + 5 would arrive as 5).
 */
import { ArgumentRangeError, ArgumentTypeError } from './errors.js';
import { FRAC_MAX, MUL_SHIFT_MAX, S32_MAX, S32_MIN, S64_MAX, S64_MIN, S8_MAX, S8_MIN, U32_MAX, U64_MAX, U8_MAX } from './units.js';

/** A u64 as a bigint in 0..2^64−1. */
export function aU64(v: unknown, name: string): bigint {
  if (typeof v === 'bigint' && v >= 0n && v <= U64_MAX) return v;
  if (typeof v !== 'bigint') throw new ArgumentTypeError(name, 'bigint (u64)', v);
  throw new ArgumentRangeError(name, 'u64', 0n, U64_MAX, v);
}

/** An s64 as a bigint in −2^63..2^63−1. */
export function aS64(v: unknown, name: string): bigint {
  if (typeof v === 'bigint' && v >= S64_MIN && v <= S64_MAX) return v;
  if (typeof v !== 'bigint') throw new ArgumentTypeError(name, 'bigint (s64)', v);
  throw new ArgumentRangeError(name, 's64', S64_MIN, S64_MAX, v);
}

// Slow path of the integer guards: classify the failure and build the message.
function intError(v: unknown, name: string, cType: string, min: number, max: number): never {
  if (typeof v !== 'number') throw new ArgumentTypeError(name, `number (${cType})`, v);
  if (!Number.isInteger(v)) throw new ArgumentTypeError(name, `an integer number (${cType})`, v);
  throw new ArgumentRangeError(name, cType, BigInt(min), BigInt(max), v);
}

// The fast paths below accept exactly the integers of the range (a fraction, NaN or
// ±Infinity never survives the bit operation unchanged); -0 counts as 0.

/** A u32 as an integer number in 0..2^32−1. */
export function aU32(v: unknown, name: string): number {
  if (typeof v === 'number' && v >>> 0 === v) return v;
  return intError(v, name, 'u32', 0, U32_MAX);
}
/**
 * A u32 the kernel divides by or needs non-zero, 1..2^32−1; `rule` says why 0 is refused.
 */
export function aU32NonZero(v: unknown, name: string, rule: string): number {
  if (typeof v === 'number' && v >>> 0 === v && v !== 0) return v;
  if (v === 0) throw new ArgumentRangeError(name, 'u32', 1n, BigInt(U32_MAX), v, rule);
  return intError(v, name, 'u32', 1, U32_MAX);
}
/**
 * A 64-bit word given either as u64 or as s64 (the same bits modulo 2^64), −2^63..2^64−1;
 * returns its u64 pattern.
 */
export function aWord64(v: unknown, name: string): bigint {
  if (typeof v === 'bigint' && v >= S64_MIN && v <= U64_MAX) return v < 0n ? v + (1n << 64n) : v;
  if (typeof v !== 'bigint') throw new ArgumentTypeError(name, 'bigint (s64 or u64 pattern)', v);
  throw new ArgumentRangeError(name, 's64 or u64', S64_MIN, U64_MAX, v);
}

/** A 16-bit field read as s16, given either as s16 or as its u16 pattern (−32768..65535); returns the s16. */
export function aS16Pattern(v: unknown, name: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -0x8000 && v <= 0xffff) return (v << 16) >> 16;
  return intError(v, name, 's16 or u16', -0x8000, 0xffff);
}

/** An s32 as an integer number in −2^31..2^31−1. */
export function aS32(v: unknown, name: string): number {
  if (typeof v === 'number' && (v | 0) === v) return v;
  return intError(v, name, 's32', S32_MIN, S32_MAX);
}
/** A u8 as an integer number in 0..255. */
export function aU8(v: unknown, name: string): number {
  if (typeof v === 'number' && (v & U8_MAX) === v) return v;
  return intError(v, name, 'u8', 0, U8_MAX);
}
/** An s8 shift (pvclock tsc_shift and similar) in −128..127. */
export function aS8(v: unknown, name: string): number {
  if (typeof v === 'number' && (v << 24) >> 24 === v) return v;
  return intError(v, name, 's8', S8_MIN, S8_MAX);
}
/** The shift of a 64×64→128 or 64×32→96 multiply-shift helper, 0..127. */
export function aMulShift(v: unknown, name: string): number {
  if (typeof v === 'number' && (v & MUL_SHIFT_MAX) === v) return v;
  return intError(v, name, 'shift', 0, MUL_SHIFT_MAX);
}
/** Fractional bits of a TSC ratio, 0..63 (VMX uses 48, SVM 32). */
export function aFrac(v: unknown, name: string): number {
  if (typeof v === 'number' && (v & FRAC_MAX) === v) return v;
  return intError(v, name, 'frac bits', 0, FRAC_MAX);
}
/** A right-shift count of a 64-bit value, 0..63. */
export function aShift64(v: unknown, name: string): number {
  if (typeof v === 'number' && (v & 63) === v) return v;
  return intError(v, name, 'shift', 0, 63);
}

/** A plain boolean (a C `bool` flag). */
export function aBool(v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v;
  throw new ArgumentTypeError(name, 'boolean', v);
}

/** A BigUint64Array (batch input or output). */
export function aU64Array(v: unknown, name: string): BigUint64Array {
  if (v instanceof BigUint64Array) return v;
  throw new ArgumentTypeError(name, 'BigUint64Array', v);
}

/** An output array at least as long as the input. */
export function aOutLength(out: BigUint64Array, n: number, name: string): void {
  if (out.length < n) throw new ArgumentRangeError(name, 'length', BigInt(n), BigInt(Number.MAX_SAFE_INTEGER), out.length, 'output array shorter than input');
}
