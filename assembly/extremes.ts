// Sampled drift extremes for a sweep point: A, B and C evaluated at N host-TSC instants
// spread evenly over a horizon, reduced on the fly to the smallest and largest B - C and
// B - A (as s64) and the sample indices where they occur. Nothing is materialised, so
// any N runs in constant memory; the caller may split [0, N) into consecutive ranges.
//
// Instant i of N (N >= 2): h_i = M + i*q + floor(i*r / (N-1)) with H = q*(N-1) + r, so
// h_0 = M and h_(N-1) = M + H exactly, without a 128-bit product. N = 1 samples M + H.
import { mulHi, shr128, umul128 } from "./mul128";
import { scaleDelta } from "./pvclock";

// Instants, and C's reference master_cycle_now.
let sFirst: u64 = 0;
let cRef: u64 = 0;
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

/** Set the instants: N samples over [M, M + H]; N >= 1. Also clears the extremes. */
export function extremesInstants(m: u64, h: u64, n: u64): void {
  cRef = m;
  sFirst = m;
  if (n <= 1) {
    sQ = 0;
    sR = 0;
    sDiv = 1;
    sFirst = m + h;
  } else {
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

/**
 * Evaluate samples [from, to) and fold them into the running extremes. The products
 * h*ratio (guest TSC scaling) and xtime + (h - cycle_last)*mult (A's raw clock) are kept
 * as exact 128-bit sums and advanced by q*ratio and q*mult (plus one ratio or mult when
 * the floor carries), which gives the same values as multiplying at every instant.
 */
export function extremesRun(from: u64, to: u64): void {
  // Hoisted into locals: the loop reads no globals.
  const cm = cRef, q = sQ, r = sR, div = sDiv;
  const off = gOffset, ratio = gRatio, frac = gFrac, ts = gTimestamp, st = gSystemTime, gm = gMul, gs = gShift;
  const hm = hMul, hs = hShift, base = aBase, ash = aShift, mult = <u64>aMult;
  let lBC = minBC, uBC = maxBC, lBA = minBA, uBA = maxBA;
  let lBCi = minBCAt, uBCi = maxBCAt, lBAi = minBAAt, uBAi = maxBAAt;
  // h_i = first + i*q + floor(i*r/div), advanced without a division: acc = (i*r) mod div.
  let h = sFirst + from * q + (from * r) / div;
  let acc = (from * r) % div;
  let pLo = umul128(h, ratio);
  let pHi = mulHi;
  const qrLo = umul128(q, ratio);
  const qrHi = mulHi;
  let rLo = umul128(h - aCycleLast, mult);
  let rHi = mulHi;
  rLo += aXtime;
  rHi += rLo < aXtime ? 1 : 0;
  const qmLo = umul128(q, mult);
  const qmHi = mulHi;
  for (let i = from; i < to; i++) {
    const b = st + scaleDelta(off + shr128(pLo, pHi, frac) - ts, gm, gs);
    const c = st + scaleDelta(h - cm, hm, hs);
    const a = base + shr128(rLo, rHi, ash);
    const bc = <i64>(b - c);
    const ba = <i64>(b - a);
    if (bc < lBC) { lBC = bc; lBCi = i; }
    if (bc > uBC) { uBC = bc; uBCi = i; }
    if (ba < lBA) { lBA = ba; lBAi = i; }
    if (ba > uBA) { uBA = ba; uBAi = i; }
    h += q;
    pLo += qrLo;
    pHi += qrHi + (pLo < qrLo ? 1 : 0);
    rLo += qmLo;
    rHi += qmHi + (rLo < qmLo ? 1 : 0);
    acc += r;
    if (acc >= div) {
      acc -= div;
      h += 1;
      pLo += ratio;
      pHi += pLo < ratio ? 1 : 0;
      rLo += mult;
      rHi += rLo < mult ? 1 : 0;
    }
  }
  minBC = lBC; maxBC = uBC; minBA = lBA; maxBA = uBA;
  minBCAt = lBCi; maxBCAt = uBCi; minBAAt = lBAi; maxBAAt = uBAi;
}
