// v128 body of the sampled-extremes kernel (extremes.ts calls it only when the module is
// built with SIMD, i.e. ASC_FEATURE_SIMD: the "simd" target of asconfig.json).
//
// Two lanes hold two consecutive samples (i, i + 1) and each advances by two instants per
// step: floor((i+2)*H / div) - floor(i*H / div) = Q2 + c with Q2 = 2q + floor(2r / div)
// and c in {0, 1} the carry of the running remainder (i*r) mod div advanced by
// R2 = (2r) mod div, so both lanes use the same running forms as the scalar loop.
//
// How the arithmetic maps to Wasm SIMD (see also simd.ts):
//  * Unsigned compares do not exist for i64x2; the remainders are kept biased by 2^63
//    (x ^ 2^63, which adds like x), so i64x2.gt_s compares them as unsigned. A compare
//    gives -1 in a lane, so "+ carry" is a subtraction of the mask.
//  * The remainders of the running floors (mod 2^frac and mod 2^shift) are kept left
//    aligned (times 2^(64 - s)): the add then wraps exactly when the floor carries, and the
//    carry is the unsigned "sum < addend" test. No per-lane shift count is needed, so one
//    loop serves every frac and every clocksource shift.
//  * Bits 32..95 of x*mul (pvclock): one shuffle puts the low halves of both lanes in i32
//    lanes 0,1 and the high halves in 2,3, then i64x2.extmul_{low,high}_i32x4_u.
//  * Two passes per block of 256 pairs: the first computes B - C and B - A into a buffer,
//    the second folds them into per-lane extremes without branches (improvements come at
//    irregular samples once the drift per sample is below a nanosecond, which defeats
//    branch prediction): a compare, a bitselect for the value, and an unsigned max of the
//    masked sample number (which only grows) for where it was reached. Each loop keeps its
//    vectors in registers; one loop doing both spills.
//  * Loop-invariant vectors live in the scratch area XV and are re-loaded in the loop.
//  * The pre-shifts KVM produces for 0.5..8 GHz get loops with immediate shift counts.

/** Scratch vectors written by extremes.ts before each call: invariants and lane state. */
export const XV: usize = memory.data(384, 16);
export const V_DIV: usize = 0; // div (N - 1)
export const V_R: usize = 16; // R2
export const V_DRM1: usize = 32; // (div - R2 - 1) ^ 2^63: acc > this (signed, biased) is the carry
export const V_Q: usize = 48; // Q2
export const V_SIGN: usize = 64; // 2^63
export const V_GM: usize = 80; // guest mul in every u32 lane
export const V_HM: usize = 96; // host mul in every u32 lane
export const V_GR0: usize = 112; // left-aligned (Q2*ratio) mod 2^frac
export const V_GDR: usize = 128; // left-aligned ((Q2+1)*ratio mod 2^frac) - V_GR0 (wrapping)
export const V_GQ0: usize = 144; // floor(Q2*ratio / 2^frac)
export const V_GDQ: usize = 160; // floor((Q2+1)*ratio / 2^frac) - V_GQ0
export const V_AR0: usize = 176; // the same four for A: mult, shift
export const V_ADR: usize = 192;
export const V_AQ0: usize = 208;
export const V_ADQ: usize = 224;
export const V_ACC: usize = 240; // lane state: (i*r) mod div, biased
export const V_DH: usize = 256; // h_i - M
export const V_GREM: usize = 272; // left-aligned remainder of h_i*ratio, biased
export const V_G: usize = 288; // the guest delta before the pre-shift
export const V_AREM: usize = 304; // left-aligned remainder of A's raw sum, biased
export const V_A: usize = 320; // lo64(A - system_time)
export const V_TWO: usize = 336; // 2 in the low u32 of each lane
export const V_XR: usize = 352; // C': left-aligned (M*ratio) mod 2^frac, biased (a lane's g carried past it iff gRem < this)
export const V_K: usize = 368; // C': scale(h) - scale(M) - g, a constant (0 when tsc_timestamp = read_l1(M))

/** The running extremes in and out: lBC, uBC, lBA, uBA (s64), then their sample indices. */
export const XE: usize = memory.data(64, 16);

// @ts-ignore: decorator
@inline
function getV(slot: usize): v128 {
  return v128.load(XV + slot);
}

// How a pre-shift is applied; a literal at every call site.
// @ts-ignore: decorator
@inline const SHIFT_RIGHT: i32 = 0;
// @ts-ignore: decorator
@inline const SHIFT_LEFT: i32 = 1;
// @ts-ignore: decorator
@inline const SHIFT_DOUBLE: i32 = 2; // left by one as x + x

// @ts-ignore: decorator
@inline
function pre2(x: v128, how: i32, count: i32): v128 {
  if (count == 0) return x;
  if (how == SHIFT_RIGHT) return i64x2.shr_u(x, count);
  if (how == SHIFT_DOUBLE) return i64x2.add(x, x);
  return i64x2.shl(x, count);
}

// Bits 32..95 of x*mul in both lanes; mul is in every u32 lane of the slot.
// @ts-ignore: decorator
@inline
function mulShr32x2(x: v128, slot: usize): v128 {
  const s = i32x4.shuffle(x, x, 0, 2, 1, 3);
  return i64x2.add(i64x2.shr_u(i64x2.extmul_low_i32x4_u(s, getV(slot)), 32), i64x2.extmul_high_i32x4_u(s, getV(slot)));
}

/** Pairs per block: pass 1 computes B - C and B - A of a block into BUF, pass 2 folds them. */
// @ts-ignore: decorator
@inline const BLOCK_PAIRS: u32 = 256;
const BUF: usize = memory.data(BLOCK_PAIRS << 5, 16);

// Samples i0, i0 + 1, ..., end - 1 (end - i0 even, below 2^32), two per step. The
// pre-shift forms are literals at each call site. Two passes per block keep every vector
// of each loop in a register (one loop doing both spills).
//
// cScaled (a literal): C' of c-via-guest-tsc, the host TSC delta scaled by the ratio,
// d = floor(dh * ratio / 2^frac). As h = M + dh, floor(h*ratio/2^frac) = floor(M*ratio/2^frac)
// + d + [the remainders carry], so d = g + K - [gRem < (M*ratio mod 2^frac)]: one compare
// and two adds on the guest lanes, and no running dh.
// @ts-ignore: decorator
@inline
function pairsLoop(i0: u64, end: u64, gHow: i32, gC: i32, hHow: i32, hC: i32, cScaled: bool = false): void {
  let acc = getV(V_ACC), dh = getV(V_DH), gRem = getV(V_GREM), g = getV(V_G), aRem = getV(V_AREM), a = getV(V_A);
  // Per lane: the running extremes (starting from the ones before this call) and the
  // 1-based sample number within this call where each was last improved (0: never), as
  // u32: B - C's minimum and maximum in lanes 0,1 and 2,3 of one vector, B - A's in
  // another. A number only grows, so an improvement is recorded by an unsigned max with
  // the current numbers masked by the compares.
  let lBC = i64x2.splat(load<i64>(XE, 0)), uBC = i64x2.splat(load<i64>(XE, 8));
  let lBA = i64x2.splat(load<i64>(XE, 16)), uBA = i64x2.splat(load<i64>(XE, 24));
  let nBC = i64x2.splat(0), nBA = i64x2.splat(0);
  let num = i32x4(1, 2, 1, 2);
  for (let i = i0; i < end; i += <u64>(BLOCK_PAIRS << 1)) {
    const n = end - i < <u64>(BLOCK_PAIRS << 1) ? <usize>(end - i) : <usize>(BLOCK_PAIRS << 1);
    const stop = BUF + (n << 4);
    for (let p = BUF; p < stop; p += 32) {
      const b = mulShr32x2(pre2(g, gHow, gC), V_GM);
      let c: v128;
      if (cScaled) {
        const wrapped = i64x2.gt_s(getV(V_XR), gRem);
        c = mulShr32x2(pre2(i64x2.add(i64x2.add(g, getV(V_K)), wrapped), hHow, hC), V_HM);
      } else {
        c = mulShr32x2(pre2(dh, hHow, hC), V_HM);
      }
      v128.store(p, i64x2.sub(b, c));
      v128.store(p, i64x2.sub(b, a), 16);
      // Both lanes two instants on: the step is Q2 + carry.
      const carry = i64x2.gt_s(acc, getV(V_DRM1));
      acc = i64x2.sub(i64x2.add(acc, getV(V_R)), v128.and(carry, getV(V_DIV)));
      if (!cScaled) dh = i64x2.sub(i64x2.add(dh, getV(V_Q)), carry);
      const gi = i64x2.add(getV(V_GR0), v128.and(carry, getV(V_GDR)));
      gRem = i64x2.add(gRem, gi);
      const gCarry = i64x2.gt_s(v128.xor(gi, getV(V_SIGN)), gRem);
      g = i64x2.sub(i64x2.add(g, i64x2.add(getV(V_GQ0), v128.and(carry, getV(V_GDQ)))), gCarry);
      const ai = i64x2.add(getV(V_AR0), v128.and(carry, getV(V_ADR)));
      aRem = i64x2.add(aRem, ai);
      const aCarry = i64x2.gt_s(v128.xor(ai, getV(V_SIGN)), aRem);
      a = i64x2.sub(i64x2.add(a, i64x2.add(getV(V_AQ0), v128.and(carry, getV(V_ADQ)))), aCarry);
    }
    for (let p = BUF; p < stop; p += 32) {
      const bc = v128.load(p);
      const ba = v128.load(p, 16);
      let kl = i64x2.gt_s(lBC, bc);
      let ku = i64x2.gt_s(bc, uBC);
      lBC = v128.bitselect(bc, lBC, kl);
      uBC = v128.bitselect(bc, uBC, ku);
      nBC = i32x4.max_u(nBC, v128.and(i32x4.shuffle(kl, ku, 0, 2, 4, 6), num));
      kl = i64x2.gt_s(lBA, ba);
      ku = i64x2.gt_s(ba, uBA);
      lBA = v128.bitselect(ba, lBA, kl);
      uBA = v128.bitselect(ba, uBA, ku);
      nBA = i32x4.max_u(nBA, v128.and(i32x4.shuffle(kl, ku, 0, 2, 4, 6), num));
      num = i32x4.add(num, getV(V_TWO));
    }
  }
  fold(lBC, i32x4.shuffle(nBC, nBC, 0, 0, 1, 1), i0, 0, false);
  fold(uBC, i32x4.shuffle(nBC, nBC, 2, 2, 3, 3), i0, 8, true);
  fold(lBA, i32x4.shuffle(nBA, nBA, 0, 0, 1, 1), i0, 16, false);
  fold(uBA, i32x4.shuffle(nBA, nBA, 2, 2, 3, 3), i0, 24, true);
}

// Merge the two lanes' extreme (value v, 1-based number n, 0 if never improved) into the
// running extreme at XE + slot (value) and XE + slot + 32 (index): a lane that improved
// holds a value strictly better than the one before the call; equal lane values go to
// the earlier sample.
function fold(v: v128, n: v128, i0: u64, slot: usize, isMax: bool): void {
  let best = load<i64>(XE + slot);
  let at = load<u64>(XE + slot, 32);
  let atN: u64 = 0;
  for (let lane = 0; lane < 2; lane++) {
    const ln = <u64><u32>(lane == 0 ? i64x2.extract_lane(n, 0) : i64x2.extract_lane(n, 1));
    if (ln == 0) continue;
    const lv = lane == 0 ? i64x2.extract_lane(v, 0) : i64x2.extract_lane(v, 1);
    const better = isMax ? lv > best : lv < best;
    if (better || atN == 0 || (lv == best && ln < atN)) {
      best = lv;
      atN = ln;
      at = i0 + ln - 1;
    }
  }
  store<i64>(XE + slot, best);
  store<u64>(XE + slot, at, 32);
}

// One function per pre-shift form: the common ones (kvm_get_time_scale's shifts for
// 0.5..8 GHz: -2, -1, 0, +1) with literal counts, any other with variable counts. Separate
// functions, because Binaryen folds identical inlined loops that differ only in a literal
// back into one loop with the literal as a variable.
function pairsR1R1(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_RIGHT, 1, SHIFT_RIGHT, 1); }
function pairsR1R2(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_RIGHT, 1, SHIFT_RIGHT, 2); }
function pairsR1L0(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_RIGHT, 1, SHIFT_LEFT, 0); }
function pairsL0R1(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_LEFT, 0, SHIFT_RIGHT, 1); }
function pairsL0R2(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_LEFT, 0, SHIFT_RIGHT, 2); }
function pairsL0L0(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_LEFT, 0, SHIFT_LEFT, 0); }
function pairsD1R1(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_DOUBLE, 1, SHIFT_RIGHT, 1); }
function pairsD1R2(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_DOUBLE, 1, SHIFT_RIGHT, 2); }
function pairsD1L0(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_DOUBLE, 1, SHIFT_LEFT, 0); }
function pairsR2R1(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_RIGHT, 2, SHIFT_RIGHT, 1); }
function pairsR2R2(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_RIGHT, 2, SHIFT_RIGHT, 2); }
function pairsRR(i0: u64, end: u64, gC: i32, hC: i32): void { pairsLoop(i0, end, SHIFT_RIGHT, gC, SHIFT_RIGHT, hC); }
function pairsRL(i0: u64, end: u64, gC: i32, hC: i32): void { pairsLoop(i0, end, SHIFT_RIGHT, gC, SHIFT_LEFT, hC); }
function pairsLR(i0: u64, end: u64, gC: i32, hC: i32): void { pairsLoop(i0, end, SHIFT_LEFT, gC, SHIFT_RIGHT, hC); }
function pairsLL(i0: u64, end: u64, gC: i32, hC: i32): void { pairsLoop(i0, end, SHIFT_LEFT, gC, SHIFT_LEFT, hC); }
// C' (cScaled): the snapshot's factors come from the same scaled frequency as the guest's,
// so the two shifts are usually equal.
function cPairsR1R1(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_RIGHT, 1, SHIFT_RIGHT, 1, true); }
function cPairsL0L0(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_LEFT, 0, SHIFT_LEFT, 0, true); }
function cPairsD1D1(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_DOUBLE, 1, SHIFT_DOUBLE, 1, true); }
function cPairsR2R2(i0: u64, end: u64): void { pairsLoop(i0, end, SHIFT_RIGHT, 2, SHIFT_RIGHT, 2, true); }
function cPairsRR(i0: u64, end: u64, gC: i32, hC: i32): void { pairsLoop(i0, end, SHIFT_RIGHT, gC, SHIFT_RIGHT, hC, true); }
function cPairsRL(i0: u64, end: u64, gC: i32, hC: i32): void { pairsLoop(i0, end, SHIFT_RIGHT, gC, SHIFT_LEFT, hC, true); }
function cPairsLR(i0: u64, end: u64, gC: i32, hC: i32): void { pairsLoop(i0, end, SHIFT_LEFT, gC, SHIFT_RIGHT, hC, true); }
function cPairsLL(i0: u64, end: u64, gC: i32, hC: i32): void { pairsLoop(i0, end, SHIFT_LEFT, gC, SHIFT_LEFT, hC, true); }

/** extremesPairsSimd for C' (c-via-guest-tsc with TSC scaling): V_XR and V_K set, V_DH unused. */
export function extremesPairsSimdScaledC(i0: u64, end: u64, gs: i32, hs: i32): void {
  if (gs == hs) {
    if (gs == -1) { cPairsR1R1(i0, end); return; }
    if (gs == 0) { cPairsL0L0(i0, end); return; }
    if (gs == 1) { cPairsD1D1(i0, end); return; }
    if (gs == -2) { cPairsR2R2(i0, end); return; }
  }
  const gC = (gs < 0 ? -gs : gs) & 63, hC = (hs < 0 ? -hs : hs) & 63;
  if (gs < 0) {
    if (hs < 0) cPairsRR(i0, end, gC, hC);
    else cPairsRL(i0, end, gC, hC);
  } else {
    if (hs < 0) cPairsLR(i0, end, gC, hC);
    else cPairsLL(i0, end, gC, hC);
  }
}

/**
 * Samples [i0, end) (an even count) from the lane state in XV, folded into the extremes in
 * XE. gs, hs: the guest's and the host's pvclock shifts (s8; counts masked to 6 bits).
 */
export function extremesPairsSimd(i0: u64, end: u64, gs: i32, hs: i32): void {
  if (gs == -1) {
    if (hs == -1) { pairsR1R1(i0, end); return; }
    if (hs == -2) { pairsR1R2(i0, end); return; }
    if (hs == 0) { pairsR1L0(i0, end); return; }
  } else if (gs == 0) {
    if (hs == -1) { pairsL0R1(i0, end); return; }
    if (hs == -2) { pairsL0R2(i0, end); return; }
    if (hs == 0) { pairsL0L0(i0, end); return; }
  } else if (gs == 1) {
    if (hs == -1) { pairsD1R1(i0, end); return; }
    if (hs == -2) { pairsD1R2(i0, end); return; }
    if (hs == 0) { pairsD1L0(i0, end); return; }
  } else if (gs == -2) {
    if (hs == -1) { pairsR2R1(i0, end); return; }
    if (hs == -2) { pairsR2R2(i0, end); return; }
  }
  // x86-64 masks the counts to 6 bits.
  const gC = (gs < 0 ? -gs : gs) & 63, hC = (hs < 0 ? -hs : hs) & 63;
  if (gs < 0) {
    if (hs < 0) pairsRR(i0, end, gC, hC);
    else pairsRL(i0, end, gC, hC);
  } else {
    if (hs < 0) pairsLR(i0, end, gC, hC);
    else pairsLL(i0, end, gC, hC);
  }
}
