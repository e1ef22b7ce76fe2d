// Sampled drift extremes for a sweep point: A, B and C evaluated at N host-TSC instants
// spread evenly over a horizon, reduced on the fly to the smallest and largest B - C and
// B - A (as s64) and the sample indices where they occur. Nothing is materialised, so
// any N runs in constant memory; the caller may split [0, N) into consecutive ranges.
//
// Instant i of N (N >= 2): h_i = M + floor(i*H / (N-1)) = M + i*q + floor(i*r / (N-1))
// with H = q*(N-1) + r, so h_0 = M and h_(N-1) = M + H exactly; N = 1 samples M + H.
// h is an unbounded integer (M + H may pass 2^64), as in the BigInt reference.
//
// How a sample is computed (all exact):
//  * The step h_(i+1) - h_i is q + c_i with c_i in {0, 1}, the carry of the running
//    remainder (i*r) mod (N-1); no division per sample. A call starts from the exact
//    state at its first sample (a 128-by-64 division), so any split of [0, N) gives the
//    same result, and indices and i*r may pass 2^32 and 2^64.
//  * Every floor of a product of h by a constant, floor((X + h*k) / 2^s), is kept as a
//    quotient (mod 2^64) and a remainder below 2^s, advanced by the precomputed quotient
//    and remainder of (q + c)*k: a select, an add, a shift for the carry, a mask. That
//    gives the guest TSC scale(h) (k = ratio, s = frac) and A's raw clock (k = mult,
//    s = shift) without a 128-bit product per sample.
//  * The pvclock conversions (pre-shift, then bits 32..95 of the product with mul) are
//    computed directly from the exact u64 deltas, so any shift and any wrap is exact.
//  * B - C and B - A need no system_time: it cancels in B - C and is folded into A's
//    running quotient for B - A.
//  * A's running form needs h - cycle_last in [0, 2^63) over the whole range (checked once
//    per call); otherwise (the reader's "went backwards" case) runDirect evaluates every
//    sample with 128-bit products.
//  * C' (c-via-guest-tsc with TSC scaling, extremesScaledC): C converts the host TSC delta
//    scaled by the ratio, d = floor(dh*ratio / 2^frac), with the snapshot's factors. With
//    h = M + dh, floor(h*ratio / 2^frac) = floor(M*ratio / 2^frac) + d + [the remainders
//    carry], so d = g + K - [gRem < (M*ratio mod 2^frac)] comes from the guest's running
//    form (K = 0 when tsc_timestamp = read_l1(M), as for every clock state), with no
//    running form of its own. The ratio is the vCPU's (the snapshot's ratio is the same).
//  * The "simd" build (ASC_FEATURE_SIMD) runs pairs of samples in v128 lanes
//    (extremes-simd.ts, same running forms, branch-free extremes); the scalar build and
//    the last odd sample run runFast here, with branches for the extremes.
import { mulHi, shr128, umul128 } from "./mul128";
import { scaleDelta } from "./pvclock";
import {
  V_A, V_ACC, V_ADQ, V_ADR, V_AQ0, V_AR0, V_AREM, V_DH, V_DIV, V_DRM1, V_G, V_GDQ, V_GDR, V_GM, V_GQ0, V_GR0, V_GREM, V_HM, V_K, V_Q, V_R, V_SIGN,
  V_TWO, V_XR, XE, XV, extremesPairsSimd, extremesPairsSimdScaledC,
} from "./extremes-simd";

const M32: u64 = 0xffff_ffff;

// Instants: h_i - M = base + i*q + floor(i*r / div); base = H when N = 1 (else 0).
let sM: u64 = 0;
let sBase: u64 = 0;
let sQ: u64 = 0;
let sR: u64 = 0;
let sDiv: u64 = 1;
// B: the guest's TSC (L1 offset + scaled host TSC) through its pvclock record.
let gOffset: u64 = 0;
let gRatio: u64 = 0;
let gFrac: u32 = 0;
let gTimestamp: u64 = 0;
let gSystemTime: u64 = 0;
let gMul: u32 = 0;
let gShift: i32 = 0;
// C: the host TSC since master_cycle_now through the host factors, same system_time.
let hMul: u32 = 0;
let hShift: i32 = 0;
// C' (extremesScaledC): the scaled delta's remainder threshold and constant (see above).
let cScaled: bool = false;
let cXr: u64 = 0;
let cK: u64 = 0;
// A: base + floor((xtime_nsec + (h - cycle_last) * mult) / 2^shift), shift 0..63.
let aCycleLast: u64 = 0;
let aXtime: u64 = 0;
let aMult: u32 = 0;
let aShift: u32 = 0;
let aBase: u64 = 0;

/** Running extremes (s64) and the sample index where each was first reached. */
export let minBC: i64 = 0;
export let maxBC: i64 = 0;
export let minBA: i64 = 0;
export let maxBA: i64 = 0;
export let minBCAt: u64 = 0;
export let maxBCAt: u64 = 0;
export let minBAAt: u64 = 0;
export let maxBAAt: u64 = 0;

/** Set the instants: N samples over [M, M + H]; N >= 1. Also clears the extremes and C' (baseline C). */
export function extremesInstants(m: u64, h: u64, n: u64): void {
  sM = m;
  cScaled = false;
  if (n <= 1) {
    sBase = h;
    sQ = 0;
    sR = 0;
    sDiv = 1;
  } else {
    sBase = 0;
    sDiv = n - 1;
    sQ = h / sDiv;
    sR = h % sDiv;
  }
  minBC = i64.MAX_VALUE;
  maxBC = i64.MIN_VALUE;
  minBA = i64.MAX_VALUE;
  maxBA = i64.MIN_VALUE;
  minBCAt = 0;
  maxBCAt = 0;
  minBAAt = 0;
  maxBAAt = 0;
}

/** Set the guest side (definition B): L1 offset, ratio (frac 0..63) and the pvclock record. */
export function extremesGuest(offset: u64, ratio: u64, frac: u32, tscTimestamp: u64, systemTime: u64, mul: u32, shift: i32): void {
  gOffset = offset;
  gRatio = ratio;
  gFrac = frac;
  gTimestamp = tscTimestamp;
  gSystemTime = systemTime;
  gMul = mul;
  gShift = shift;
}

/**
 * C' of c-via-guest-tsc with TSC scaling: C converts the host TSC delta scaled by the
 * guest's ratio (call after extremesInstants and extremesGuest; extremesHost gives the
 * snapshot's factors). Off: the baseline C, the unscaled delta.
 */
export function extremesScaledC(on: bool): void {
  cScaled = on;
  if (!on) return;
  const pLo = umul128(sM, gRatio);
  split(pLo, mulHi, gFrac);
  cXr = rv;
  cK = gTimestamp - gOffset - qv;
}

/** Set the host side: C's factors (its reference is the instants' M) and A's raw clock. */
export function extremesHost(hostMul: u32, hostShift: i32, cycleLast: u64, xtimeNsec: u64, mult: u32, shift: u32, base: u64): void {
  hMul = hostMul;
  hShift = hostShift;
  aCycleLast = cycleLast;
  aXtime = xtimeNsec;
  aMult = mult;
  aShift = shift;
  aBase = base;
}

// ---------------------------------------------------------------------------------------
// Per-call set-up: exact start values at sample `from` and the per-step increments.

// Remainder of the last offsetAt.
let atRem: u64 = 0;

/** h_i - M = base + floor(i*H / div) (at most H, so it fits), remainder (i*r) mod div to atRem. */
function offsetAt(i: u64): u64 {
  const div = sDiv, r = sR;
  const lo0 = umul128(i, r);
  let hi = mulHi;
  let lo = lo0;
  let quo: u64;
  if (hi == 0) {
    quo = lo / div;
    atRem = lo % div;
  } else {
    // i*r < 2^64 * div, so hi < div and the quotient fits 64 bits: shift-subtract.
    let rem = hi;
    quo = 0;
    for (let k = 0; k < 64; k++) {
      const top = rem >> 63;
      rem = (rem << 1) | (lo >> 63);
      lo <<= 1;
      quo <<= 1;
      if (top != 0 || rem >= div) {
        rem -= div;
        quo |= 1;
      }
    }
    atRem = rem;
  }
  return sBase + i * sQ + quo;
}

// Running floor(P / 2^s) of a 128-bit P: quotient (mod 2^64) and remainder (< 2^s), with
// the increments for steps of q and q + 1 host cycles.
let qv: u64 = 0;
let rv: u64 = 0;

/** floor((hi:lo) / 2^s) mod 2^64 to qv, (hi:lo) mod 2^s to rv; s in 0..63. */
// @ts-ignore: decorator
@inline
function split(lo: u64, hi: u64, s: u32): void {
  qv = shr128(lo, hi, s);
  rv = s == 0 ? 0 : lo & ((<u64>1 << <u64>s) - 1);
}

// ---------------------------------------------------------------------------------------
// The loops.

// Bits 32..95 of x*m (pvclock_scale_delta after the pre-shift).
// @ts-ignore: decorator
@inline
function mulShr32(x: u64, m: u64): u64 {
  return (((x & M32) * m) >> 32) + (x >> 32) * m;
}

// The pvclock pre-shift, x86-64 style: right by (-shift & 63) for a negative shift, else
// left by (shift & 63), losing the top bits. `right` and `count` are literals in the
// specialised loops.
// @ts-ignore: decorator
@inline
function pre(x: u64, right: bool, count: u32): u64 {
  return right ? x >> <u64>count : x << <u64>count;
}

// Loop state, read and written by the loops (hoisted into locals inside them).
let lAcc: u64 = 0; // (i*r) mod div
let lDh: u64 = 0; // h_i - M
let lG: u64 = 0; // lo64(l1_offset + scale(h_i) - tsc_timestamp): the guest delta before the pre-shift
let lGRem: u64 = 0; // (h_i*ratio) mod 2^frac
let lA: u64 = 0; // lo64(A(h_i) - system_time), A's running form
let lARem: u64 = 0; // (xtime + (h_i - cycle_last)*mult) mod 2^shift
// Increments for a step of q (0) and q + 1 (1).
let gQ0: u64 = 0;
let gR0: u64 = 0;
let gQ1: u64 = 0;
let gR1: u64 = 0;
let aQ0: u64 = 0;
let aR0: u64 = 0;
let aQ1: u64 = 0;
let aR1: u64 = 0;

/**
 * Samples [from, to) from the running state: A, B, C each a few adds, two 32x32
 * multiplies per pvclock conversion. fracC, gRight/gCount, hRight/hCount and aShC are
 * literals in the specialised instances, variables in the generic one.
 */
// @ts-ignore: decorator
@inline
function runFast(from: u64, to: u64, fracC: u32, gRight: bool, gCount: u32, hRight: bool, hCount: u32, aShC: u32, cMode: bool): void {
  const r = sR, q = sQ, dr = sDiv - sR;
  const gm = <u64>gMul, hm = <u64>hMul;
  const gMask: u64 = fracC == 0 ? 0 : (<u64>1 << <u64>fracC) - 1;
  const aMask: u64 = aShC == 0 ? 0 : (<u64>1 << <u64>aShC) - 1;
  const gq0 = gQ0, gr0 = gR0, gq1 = gQ1, gr1 = gR1;
  const aq0 = aQ0, ar0 = aR0, aq1 = aQ1, ar1 = aR1;
  const xr = cXr, k = cK;
  let acc = lAcc, dh = lDh, g = lG, gRem = lGRem, a = lA, aRem = lARem;
  let lBC = minBC, uBC = maxBC, lBA = minBA, uBA = maxBA;
  let lBCi = minBCAt, uBCi = maxBCAt, lBAi = minBAAt, uBAi = maxBAAt;
  for (let i = from; i < to; i++) {
    const b = mulShr32(pre(g, gRight, gCount), gm);
    const c = mulShr32(pre(cMode ? g + k - (gRem < xr ? 1 : 0) : dh, hRight, hCount), hm);
    const bc = <i64>(b - c);
    const ba = <i64>(b - a);
    if (bc < lBC) { lBC = bc; lBCi = i; }
    if (bc > uBC) { uBC = bc; uBCi = i; }
    if (ba < lBA) { lBA = ba; lBAi = i; }
    if (ba > uBA) { uBA = ba; uBAi = i; }
    // Step to h_(i+1) = h_i + q + carry.
    const carry = acc >= dr;
    acc = select<u64>(acc - dr, acc + r, carry);
    dh += q + (carry ? 1 : 0);
    gRem += select<u64>(gr1, gr0, carry);
    g += select<u64>(gq1, gq0, carry) + (gRem >> <u64>fracC);
    gRem &= gMask;
    aRem += select<u64>(ar1, ar0, carry);
    a += select<u64>(aq1, aq0, carry) + (aRem >> <u64>aShC);
    aRem &= aMask;
  }
  minBC = lBC; maxBC = uBC; minBA = lBA; maxBA = uBA;
  minBCAt = lBCi; maxBCAt = uBCi; minBAAt = lBAi; maxBAAt = uBAi;
}

/**
 * Samples [from, to) evaluated directly (128-bit products at every instant): the path for
 * ranges where A is not linear in h (h - cycle_last leaves [0, 2^63)).
 */
function runDirect(from: u64, to: u64): void {
  const r = sR, q = sQ, dr = sDiv - sR, m = sM;
  const off = gOffset, ratio = gRatio, frac = gFrac, ts = gTimestamp, gm = gMul, gs = gShift;
  const hm = hMul, hs = hShift, cl = aCycleLast, xt = aXtime, mult = <u64>aMult, ash = aShift;
  const aOff = aBase - gSystemTime;
  const scaledC = cScaled;
  // The high part of the unbounded h, scaled: 2^64*ratio / 2^frac mod 2^64.
  const hiScaled: u64 = frac == 0 ? 0 : ratio << <u64>(64 - frac);
  let acc = lAcc, dh = lDh;
  let lBC = minBC, uBC = maxBC, lBA = minBA, uBA = maxBA;
  let lBCi = minBCAt, uBCi = maxBCAt, lBAi = minBAAt, uBAi = maxBAAt;
  for (let i = from; i < to; i++) {
    const h = m + dh;
    const hHi = h < m;
    const pLo = umul128(h, ratio);
    const scaled = shr128(pLo, mulHi, frac) + (hHi ? hiScaled : 0);
    const b = scaleDelta(off + scaled - ts, gm, gs);
    let d = dh;
    if (scaledC && ratio != (<u64>1 << <u64>frac)) d = shr128(umul128(dh, ratio), mulHi, frac);
    const c = scaleDelta(d, hm, hs);
    let delta = h - cl;
    if (delta >> 63) delta = 0; // the reader's "clock went backwards" case
    const rLo = umul128(delta, mult);
    const sLo = rLo + xt;
    const sHi = mulHi + (sLo < rLo ? 1 : 0);
    const a = shr128(sLo, sHi, ash) + aOff;
    const bc = <i64>(b - c);
    const ba = <i64>(b - a);
    if (bc < lBC) { lBC = bc; lBCi = i; }
    if (bc > uBC) { uBC = bc; uBCi = i; }
    if (ba < lBA) { lBA = ba; lBAi = i; }
    if (ba > uBA) { uBA = ba; uBAi = i; }
    const carry = acc >= dr;
    acc = select<u64>(acc - dr, acc + r, carry);
    dh += q + (carry ? 1 : 0);
  }
  minBC = lBC; maxBC = uBC; minBA = lBA; maxBA = uBA;
  minBCAt = lBCi; maxBCAt = uBCi; minBAAt = lBAi; maxBAAt = uBAi;
}

// Start state at sample i into lAcc, lDh, lG, lGRem, lA, lARem (A's only when withA).
function startAt(i: u64, withA: bool): void {
  const m = sM, frac = gFrac, ratio = gRatio;
  const dh = offsetAt(i);
  lAcc = atRem;
  lDh = dh;
  const hLo = m + dh;
  const hHi = hLo < m;
  // l1_offset + lo64(floor(h*ratio / 2^frac)) - tsc_timestamp, the 2^64 part of h
  // contributing ratio*2^(64-frac).
  const pLo = umul128(hLo, ratio);
  split(pLo, mulHi, frac);
  lG = gOffset + qv + (hHi && frac != 0 ? ratio << <u64>(64 - frac) : 0) - gTimestamp;
  lGRem = rv;
  if (withA) {
    // A - system_time = aBase - system_time + floor((xtime + (h - cl)*mult) / 2^shift);
    // h - cl is in [0, 2^63) here (aLinear).
    const rLo = umul128(hLo - aCycleLast, <u64>aMult);
    const sLo = rLo + aXtime;
    split(sLo, mulHi + (sLo < rLo ? 1 : 0), aShift);
    lA = qv + aBase - gSystemTime;
    lARem = rv;
  }
}

// The increments of the running floors for steps of s (into gQ0, gR0, aQ0, aR0) and s + 1
// (gQ1, gR1, aQ1, aR1) host cycles; s + 1 is taken exactly (128-bit products).
function stepIncrements(s: u64): void {
  const frac = gFrac, ratio = gRatio, ash = aShift, mult = <u64>aMult;
  let pLo = umul128(s, ratio);
  let pHi = mulHi;
  split(pLo, pHi, frac);
  gQ0 = qv; gR0 = rv;
  pLo += ratio;
  pHi += pLo < ratio ? 1 : 0;
  split(pLo, pHi, frac);
  gQ1 = qv; gR1 = rv;
  pLo = umul128(s, mult);
  pHi = mulHi;
  split(pLo, pHi, ash);
  aQ0 = qv; aR0 = rv;
  pLo += mult;
  pHi += pLo < mult ? 1 : 0;
  split(pLo, pHi, ash);
  aQ1 = qv; aR1 = rv;
}

/**
 * A's running form needs h - cycle_last in [0, 2^63) for every sample of [from, to): true
 * when it holds at the first and the last (h grows with i). h is 65-bit (M + offset).
 */
function aLinear(from: u64, to: u64): bool {
  const m = sM, cl = aCycleLast;
  const firstLo = m + offsetAt(from);
  const firstOk = firstLo < m || firstLo >= cl; // h_from >= cycle_last
  const lastLo = m + offsetAt(to - 1);
  const lastHi: u64 = lastLo < m ? 1 : 0;
  const diffLo = lastLo - cl;
  const diffHi = lastHi - (lastLo < cl ? 1 : 0);
  return firstOk && diffHi == 0 && (diffLo >> 63) == 0;
}

// Samples [from, to) by the scalar running forms (A linear over the range). One loop per
// pre-shift direction pair; the counts, frac and the clocksource shift are variables
// (literal counts measured no faster here).
function runScalar(from: u64, to: u64): void {
  startAt(from, true);
  stepIncrements(sQ);
  const frac = gFrac, ash = aShift, gs = gShift, hs = hShift;
  // x86-64 masks the counts to 6 bits.
  const gC = <u32>((gs < 0 ? -gs : gs) & 63), hC = <u32>((hs < 0 ? -hs : hs) & 63);
  if (cScaled) {
    if (gs < 0) {
      if (hs < 0) runFast(from, to, frac, true, gC, true, hC, ash, true);
      else runFast(from, to, frac, true, gC, false, hC, ash, true);
    } else {
      if (hs < 0) runFast(from, to, frac, false, gC, true, hC, ash, true);
      else runFast(from, to, frac, false, gC, false, hC, ash, true);
    }
    return;
  }
  if (gs < 0) {
    if (hs < 0) runFast(from, to, frac, true, gC, true, hC, ash, false);
    else runFast(from, to, frac, true, gC, false, hC, ash, false);
  } else {
    if (hs < 0) runFast(from, to, frac, false, gC, true, hC, ash, false);
    else runFast(from, to, frac, false, gC, false, hC, ash, false);
  }
}

/** A remainder below 2^s left-aligned in 64 bits and biased by 2^63 (extremes-simd.ts). */
// @ts-ignore: decorator
@inline
function alignBias(rem: u64, s: u32): u64 {
  return (s == 0 ? 0 : rem << <u64>(64 - s)) ^ SIGN;
}

// @ts-ignore: decorator
@inline
function alignRem(rem: u64, s: u32): u64 {
  return s == 0 ? 0 : rem << <u64>(64 - s);
}

const SIGN: u64 = 0x8000_0000_0000_0000;

/** Fewest sample pairs worth the vector set-up. */
// @ts-ignore: decorator
@inline const SIMD_MIN_PAIRS: u64 = 16;
/** Most sample pairs per vector run. */
// @ts-ignore: decorator
@inline const SIMD_MAX_PAIRS: u64 = 1 << 30;

// Samples [from, from + 2*pairs) by extremes-simd.ts (A linear over the range).
function runSimd(from: u64, pairs: u64): void {
  const frac = gFrac, ash = aShift, div = sDiv, r = sR, q = sQ;
  // Two instants per step: Q2 = 2q + floor(2r / div), R2 = 2r mod div, computed without
  // forming 2r (div may pass 2^63). pairs >= 16 means N >= 32, so q < 2^60 and Q2 + 1 fits.
  const dr = div - r;
  const wrapTwice = r >= dr;
  const q2 = 2 * q + (wrapTwice ? 1 : 0);
  const r2 = wrapTwice ? r - dr : 2 * r;
  stepIncrements(q2);
  v128.store(XV + V_DIV, i64x2.splat(div));
  v128.store(XV + V_R, i64x2.splat(r2));
  v128.store(XV + V_DRM1, i64x2.splat((div - r2 - 1) ^ SIGN));
  v128.store(XV + V_Q, i64x2.splat(q2));
  v128.store(XV + V_SIGN, i64x2.splat(SIGN));
  v128.store(XV + V_TWO, i32x4.splat(2));
  v128.store(XV + V_XR, i64x2.splat(alignBias(cXr, frac)));
  v128.store(XV + V_K, i64x2.splat(cK));
  v128.store(XV + V_GM, i32x4.splat(gMul));
  v128.store(XV + V_HM, i32x4.splat(hMul));
  const gr0 = alignRem(gR0, frac), ar0 = alignRem(aR0, ash);
  v128.store(XV + V_GR0, i64x2.splat(gr0));
  v128.store(XV + V_GDR, i64x2.splat(alignRem(gR1, frac) - gr0));
  v128.store(XV + V_GQ0, i64x2.splat(gQ0));
  v128.store(XV + V_GDQ, i64x2.splat(gQ1 - gQ0));
  v128.store(XV + V_AR0, i64x2.splat(ar0));
  v128.store(XV + V_ADR, i64x2.splat(alignRem(aR1, ash) - ar0));
  v128.store(XV + V_AQ0, i64x2.splat(aQ0));
  v128.store(XV + V_ADQ, i64x2.splat(aQ1 - aQ0));
  // Lane 0 at sample from, lane 1 at from + 1.
  startAt(from, true);
  const acc0 = lAcc ^ SIGN, dh0 = lDh, gRem0 = alignBias(lGRem, frac), g0 = lG, aRem0 = alignBias(lARem, ash), a0 = lA;
  startAt(from + 1, true);
  v128.store(XV + V_ACC, i64x2(acc0, lAcc ^ SIGN));
  v128.store(XV + V_DH, i64x2(dh0, lDh));
  v128.store(XV + V_GREM, i64x2(gRem0, alignBias(lGRem, frac)));
  v128.store(XV + V_G, i64x2(g0, lG));
  v128.store(XV + V_AREM, i64x2(aRem0, alignBias(lARem, ash)));
  v128.store(XV + V_A, i64x2(a0, lA));
  store<i64>(XE, minBC, 0); store<i64>(XE, maxBC, 8); store<i64>(XE, minBA, 16); store<i64>(XE, maxBA, 24);
  store<u64>(XE, minBCAt, 32); store<u64>(XE, maxBCAt, 40); store<u64>(XE, minBAAt, 48); store<u64>(XE, maxBAAt, 56);
  if (cScaled) extremesPairsSimdScaledC(from, from + 2 * pairs, gShift, hShift);
  else extremesPairsSimd(from, from + 2 * pairs, gShift, hShift);
  minBC = load<i64>(XE, 0); maxBC = load<i64>(XE, 8); minBA = load<i64>(XE, 16); maxBA = load<i64>(XE, 24);
  minBCAt = load<u64>(XE, 32); maxBCAt = load<u64>(XE, 40); minBAAt = load<u64>(XE, 48); maxBAAt = load<u64>(XE, 56);
}

/**
 * Evaluate samples [from, to) and fold them into the running extremes. Results do not
 * depend on how [0, N) is split into calls.
 */
export function extremesRun(from: u64, to: u64): void {
  if (from >= to) return;
  if (!aLinear(from, to)) {
    const dh = offsetAt(from);
    lAcc = atRem;
    lDh = dh;
    runDirect(from, to);
    return;
  }
  if (ASC_FEATURE_SIMD) {
    // At most 2^30 pairs per vector run (sample numbers within a run are u32).
    let pairs = (to - from) >> 1;
    while (pairs >= SIMD_MIN_PAIRS) {
      const p = pairs < SIMD_MAX_PAIRS ? pairs : SIMD_MAX_PAIRS;
      runSimd(from, p);
      from += 2 * p;
      pairs -= p;
    }
    if (from == to) return;
  }
  runScalar(from, to);
}
