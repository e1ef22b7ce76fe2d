// Exact 64x64 -> 128-bit multiply in 32-bit limbs (AssemblyScript has no u128) and the
// multiply-shift helpers of spec section 2 built on it.

/** High 64 bits of the last umul128 product. */
export let mulHi: u64 = 0;

const M32: u64 = 0xffff_ffff;

// Low 64 bits of a*b; the high 64 bits go to `mulHi`. Valid for all u64 a, b.
// @ts-ignore: decorator
@inline
export function umul128(a: u64, b: u64): u64 {
  const aLo = a & M32, aHi = a >> 32;
  const bLo = b & M32, bHi = b >> 32;
  const ll = aLo * bLo;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  // Column of bit 32: three terms below 2^32 each, so no 64-bit overflow.
  const mid = (ll >> 32) + (lh & M32) + (hl & M32);
  mulHi = aHi * bHi + (lh >> 32) + (hl >> 32) + (mid >> 32);
  return (mid << 32) | (ll & M32);
}

// Low 64 bits of (hi:lo) >> s, exact for s in 0..127; 0 for s >= 128.
// @ts-ignore: decorator
@inline
export function shr128(lo: u64, hi: u64, s: u32): u64 {
  if (s == 0) return lo;
  if (s < 64) return (lo >> <u64>s) | (hi << <u64>(64 - s));
  if (s < 128) return hi >> <u64>(s - 64);
  return 0;
}

// Low 64 bits of floor(X / 2^s) for a signed (two's complement) 128-bit X = hi:lo; any s.
// @ts-ignore: decorator
@inline
export function sar128(lo: u64, hi: u64, s: u32): u64 {
  if (s == 0) return lo;
  if (s < 64) return (lo >> <u64>s) | (hi << <u64>(64 - s));
  if (s < 128) return <u64>(<i64>hi >> <i64>(s - 64));
  return <u64>(<i64>hi >> 63);
}

// mul_u64_u32_shr: lo64(floor(a*m / 2^s)) with the exact 96-bit product; s in 0..127.
export function mulU64U32Shr(a: u64, m: u32, s: u32): u64 {
  const lo = (a & M32) * <u64>m; // < 2^64
  const hi = (a >> 32) * <u64>m; // < 2^64, weight 2^32
  const pLo = lo + (hi << 32);
  const carry: u64 = pLo < lo ? 1 : 0;
  return shr128(pLo, (hi >> 32) + carry, s);
}

// Bits 32..95 of a*m, i.e. mul_u64_u32_shr(a, m, 32); always fits 64 bits. Any a, m.
// @ts-ignore: decorator
@inline
export function mulU64U32Shr32(a: u64, m: u32): u64 {
  return (((a & M32) * <u64>m) >> 32) + (a >> 32) * <u64>m;
}

// mul_u64_u64_shr: lo64(floor(a*b / 2^s)) with the exact 128-bit product; s in 0..127.
export function mulU64U64Shr(a: u64, b: u64, s: u32): u64 {
  const lo = umul128(a, b);
  return shr128(lo, mulHi, s);
}

// mul_s64_u64_shr: sign-magnitude (|INT64_MIN| = 2^63), magnitude rounded towards zero,
// then negated modulo 2^64 for a negative a; s in 0..127.
export function mulS64U64Shr(a: i64, b: u64, s: u32): u64 {
  const negative = a < 0;
  const magnitude: u64 = negative ? 0 - <u64>a : <u64>a;
  const r = mulU64U64Shr(magnitude, b, s);
  return negative ? 0 - r : r;
}
