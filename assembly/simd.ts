// v128 bodies of the batch kernels (batch.ts calls them only when the module is built
// with SIMD, i.e. ASC_FEATURE_SIMD: the "simd" target of asconfig.json). Every kernel
// works in place on a buffer of u64, handles four elements (two v128) per step and
// finishes the last 0..3 elements with the scalar functions, so any n is exact.
//
// How the arithmetic maps to Wasm SIMD: there is no 64x64 multiply-high, so every u64
// is split into its 32-bit halves with one i32x4 shuffle per four elements (evens: low
// halves, odds: high halves), and the 32x32->64 partial products come from
// i64x2.extmul_{low,high}_i32x4_u. Loop-invariant vectors (splatted parameters) are
// stored in the scratch area `K` and loaded into locals before each loop, which V8 then
// keeps in registers (a splat of a scalar local, by contrast, it repeats on every iteration).
// The pvclock and guest-read loops also convert some elements per iteration with scalar u64
// arithmetic, which the integer units run alongside the vector units (see pvclockBlock).
import { mulHi, mulU64U32Shr32, mulU64U64Shr, shr128, umul128 } from "./mul128";
import { readClock, scaleDelta } from "./pvclock";
import { readL1, scale } from "./tsc";

const K: usize = memory.data(128, 16);
// @ts-ignore: decorator
@inline const K_TSC_TIMESTAMP: usize = 0;
// @ts-ignore: decorator
@inline const K_SYSTEM_TIME: usize = 16;
// @ts-ignore: decorator
@inline const K_MUL: usize = 32;
// @ts-ignore: decorator
@inline const K_RATIO_LO: usize = 48;
// @ts-ignore: decorator
@inline const K_RATIO_HI: usize = 64;
// @ts-ignore: decorator
@inline const K_OFFSET: usize = 80;
// @ts-ignore: decorator
@inline const K_STEP: usize = 96;

// @ts-ignore: decorator
@inline
function setK(slot: usize, v: v128): void {
  v128.store(K + slot, v);
}

// @ts-ignore: decorator
@inline
function getK(slot: usize): v128 {
  return v128.load(K + slot);
}

/** The low 32 bits of each u64 lane. */
// @ts-ignore: decorator
@inline
function lo32Mask(): v128 {
  return i64x2(0xffff_ffff, 0xffff_ffff);
}

// Low halves of the four u64 in (a, b): [a0, a1, b0, b1] as u32 lanes.
// @ts-ignore: decorator
@inline
function evens(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 0, 2, 4, 6);
}

// High halves of the four u64 in (a, b).
// @ts-ignore: decorator
@inline
function odds(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 1, 3, 5, 7);
}

// Lanes 0,1 (upper = false) or 2,3 (upper = true) of x times those of y, as two u64.
// `upper` is a literal at every call site, so only one branch is compiled in.
// @ts-ignore: decorator
@inline
function mul32x2(x: v128, y: v128, upper: bool): v128 {
  return upper ? i64x2.extmul_high_i32x4_u(x, y) : i64x2.extmul_low_i32x4_u(x, y);
}

// bits 32..95 of d*m for the two u64 d whose halves are lanes (upper ? 2,3 : 0,1) of
// lo/hi: (lo*m >> 32) + hi*m. mv holds m in every u32 lane.
// @ts-ignore: decorator
@inline
function mulShr32(lo: v128, hi: v128, mv: v128, upper: bool): v128 {
  return i64x2.add(i64x2.shr_u(mul32x2(lo, mv, upper), 32), mul32x2(hi, mv, upper));
}

// The exact 128-bit products of two u64 x (halves in lanes of xl/xh, see mulShr32) and
// two u64 y (halves in yl/yh), from four 32x32 partial products combined through the
// 32-bit column sums, as mul128.ts does per element. Returned shifted right: with
// high = false, the low 64 bits of the product >> s for 1 <= s <= 63 (t = 64 - s); with
// high = true, the high 64 bits >> s for 0 <= s <= 63 (a shift by 64 + s; t unused).
// `high` and `upper` are literals at every call site.
// @ts-ignore: decorator
@inline
function mul128Shr(xl: v128, xh: v128, yl: v128, yh: v128, s: i32, t: i32, high: bool, upper: bool): v128 {
  const m = lo32Mask();
  const ll = mul32x2(xl, yl, upper);
  const lh = mul32x2(xl, yh, upper);
  const hl = mul32x2(xh, yl, upper);
  const hh = mul32x2(xh, yh, upper);
  // Column of bit 32: three terms below 2^32 each.
  const mid = i64x2.add(i64x2.add(i64x2.shr_u(ll, 32), v128.and(lh, m)), v128.and(hl, m));
  const hi = i64x2.add(i64x2.add(hh, i64x2.shr_u(lh, 32)), i64x2.add(i64x2.shr_u(hl, 32), i64x2.shr_u(mid, 32)));
  if (high) return i64x2.shr_u(hi, s);
  const lo = v128.or(i64x2.shl(mid, 32), v128.and(ll, m));
  return v128.or(i64x2.shr_u(lo, s), i64x2.shl(hi, t));
}

// Stores the pvclock conversion of four deltas already pre-shifted (a: elements 0,1;
// b: 2,3) at p: system_time (sv, when withSystemTime) + bits 32..95 of delta*mul (mv
// holds mul in every u32 lane).
// @ts-ignore: decorator
@inline
function storeScaled4(p: usize, a: v128, b: v128, mv: v128, sv: v128, withSystemTime: bool): void {
  const lo = evens(a, b);
  const hi = odds(a, b);
  let r0 = mulShr32(lo, hi, mv, false);
  let r1 = mulShr32(lo, hi, mv, true);
  if (withSystemTime) {
    r0 = i64x2.add(r0, sv);
    r1 = i64x2.add(r1, sv);
  }
  v128.store(p, r0);
  v128.store(p, r1, 16);
}

/** End of the part of [buf, buf + 8n) that whole four-element steps cover. */
// @ts-ignore: decorator
@inline
function end4(buf: usize, n: i32): usize {
  return buf + ((<usize>n & ~3) << 3);
}

// How the pvclock pre-shift is applied; a literal at every call site.
// @ts-ignore: decorator
@inline const SHIFT_RIGHT: i32 = 0;
// @ts-ignore: decorator
@inline const SHIFT_LEFT: i32 = 1;
/** Left by one as x + x: an ALU op instead of a shift, which would compete with the
 *  shuffles of the multiplies for the same execution ports. */
// @ts-ignore: decorator
@inline const SHIFT_DOUBLE: i32 = 2;

// The pre-shift of the u64 lanes of x by c in direction `how` (SHIFT_*).
// @ts-ignore: decorator
@inline
function preShift2(x: v128, c: i32, how: i32): v128 {
  if (how == SHIFT_RIGHT) return i64x2.shr_u(x, c);
  if (how == SHIFT_DOUBLE) return i64x2.add(x, x);
  return i64x2.shl(x, c);
}

// The scalar twin of preShift2.
// @ts-ignore: decorator
@inline
function preShift1(x: u64, c: i32, how: i32): u64 {
  if (how == SHIFT_RIGHT) return x >> <u64>c;
  if (how == SHIFT_DOUBLE) return x + x;
  return x << <u64>c;
}

// One four-element step of the pvclock kernels at p: minus tsc_timestamp (tv) and plus
// system_time (sv) when `read`, the pre-shift by c in direction `how`. how and read are
// literals; so is c in the loops specialised below, which V8 then emits as an immediate shift.
// @ts-ignore: decorator
@inline
function pvclockStep(p: usize, c: i32, how: i32, read: bool, tv: v128, sv: v128, mv: v128): void {
  let a = v128.load(p);
  let b = v128.load(p, 16);
  if (read) {
    a = i64x2.sub(a, tv);
    b = i64x2.sub(b, tv);
  }
  storeScaled4(p, preShift2(a, c, how), preShift2(b, c, how), mv, sv, read);
}

// The same conversion for the one element at p, in the integer units: (lo*mul >> 32) +
// hi*mul with lo, hi the halves of the pre-shifted delta (two 32x32->64 products, as
// mul_u64_u32_shr does without a 128-bit multiply).
// @ts-ignore: decorator
@inline
function pvclockScalar(p: usize, c: i32, how: i32, read: bool, ts: u64, sys: u64, m: u32): void {
  let d = load<u64>(p);
  if (read) d -= ts;
  const r = mulU64U32Shr32(preShift1(d, c, how), m);
  store<u64>(p, read ? r + sys : r);
}

/** Elements per iteration of the mixed pvclock loop: 16 in v128 steps, 6 in the integer units. */
// @ts-ignore: decorator
@inline const MIXED_BLOCK: usize = 22;

// One iteration of the mixed pvclock loop at p. The vector units are bound by their two
// shuffle/shift ports (the 32x32->64 multiplies need the u32 halves in other lanes; see
// mul32x2), which leaves the integer units idle: so 16 elements go in four v128 steps and
// 6 more in scalar u64 arithmetic, which the core runs alongside (about 40% more
// conversions per second on Zen 5 than v128 steps alone).
// @ts-ignore: decorator
@inline
function pvclockBlock(p: usize, c: i32, how: i32, read: bool, tv: v128, sv: v128, mv: v128, ts: u64, sys: u64, m: u32): void {
  pvclockStep(p, c, how, read, tv, sv, mv);
  pvclockStep(p + 32, c, how, read, tv, sv, mv);
  pvclockStep(p + 64, c, how, read, tv, sv, mv);
  pvclockStep(p + 96, c, how, read, tv, sv, mv);
  pvclockScalar(p + 128, c, how, read, ts, sys, m);
  pvclockScalar(p + 136, c, how, read, ts, sys, m);
  pvclockScalar(p + 144, c, how, read, ts, sys, m);
  pvclockScalar(p + 152, c, how, read, ts, sys, m);
  pvclockScalar(p + 160, c, how, read, ts, sys, m);
  pvclockScalar(p + 168, c, how, read, ts, sys, m);
}

// The mixed loop of the pvclock kernels over whole blocks of [p, end); returns where it
// stopped (the caller converts the last 0..21 elements). kvm_get_time_scale gives shift -1
// for 2..4 GHz TSCs, -2 above, 0 for 1..2 GHz, +1 and +2 below: those get loops with an
// immediate shift, any other shift the general loop. The loops are written out per shift
// (not a shared helper with the shift as a parameter), so that every one keeps its shift
// as a constant through Binaryen, which otherwise folds the copies into one.
// @ts-ignore: decorator
@inline
function pvclockLoop(p: usize, end: usize, shift: i32, read: bool, ts: u64, sys: u64, m: u32): usize {
  const tv = getK(K_TSC_TIMESTAMP);
  const sv = getK(K_SYSTEM_TIME);
  const mv = getK(K_MUL);
  const B = MIXED_BLOCK << 3;
  if (shift == -1) for (; p + B <= end; p += B) pvclockBlock(p, 1, SHIFT_RIGHT, read, tv, sv, mv, ts, sys, m);
  else if (shift == -2) for (; p + B <= end; p += B) pvclockBlock(p, 2, SHIFT_RIGHT, read, tv, sv, mv, ts, sys, m);
  else if (shift == 0) for (; p + B <= end; p += B) pvclockBlock(p, 0, SHIFT_LEFT, read, tv, sv, mv, ts, sys, m);
  else if (shift == 1) for (; p + B <= end; p += B) pvclockBlock(p, 1, SHIFT_DOUBLE, read, tv, sv, mv, ts, sys, m);
  else if (shift == 2) for (; p + B <= end; p += B) pvclockBlock(p, 2, SHIFT_LEFT, read, tv, sv, mv, ts, sys, m);
  else if (shift < 0) {
    // x86-64 masks the count to 6 bits.
    const c = -shift & 63;
    for (; p + B <= end; p += B) pvclockBlock(p, c, SHIFT_RIGHT, read, tv, sv, mv, ts, sys, m);
  } else {
    const c = shift & 63;
    for (; p + B <= end; p += B) pvclockBlock(p, c, SHIFT_LEFT, read, tv, sv, mv, ts, sys, m);
  }
  return p;
}

/** In place: buf[i] = pvclock_read(buf[i], tscTimestamp, systemTime, mul, shift) for i < n. */
export function pvclockReadSimd(buf: usize, n: i32, tscTimestamp: u64, systemTime: u64, mul: u32, shift: i32): void {
  setK(K_TSC_TIMESTAMP, i64x2.splat(tscTimestamp));
  setK(K_SYSTEM_TIME, i64x2.splat(systemTime));
  setK(K_MUL, i32x4.splat(mul));
  const end = buf + (<usize>n << 3);
  let p = pvclockLoop(buf, end, shift, true, tscTimestamp, systemTime, mul);
  for (; p < end; p += 8) store<u64>(p, readClock(load<u64>(p), tscTimestamp, systemTime, mul, shift));
}

/** In place: buf[i] = pvclock_scale_delta(buf[i], mul, shift) for i < n. */
export function pvclockScaleDeltaSimd(buf: usize, n: i32, mul: u32, shift: i32): void {
  setK(K_MUL, i32x4.splat(mul));
  const end = buf + (<usize>n << 3);
  let p = pvclockLoop(buf, end, shift, false, 0, 0, mul);
  for (; p < end; p += 8) store<u64>(p, scaleDelta(load<u64>(p), mul, shift));
}

// kvm_scale_tsc by the ratio in K of two of the four u64 whose halves are xl/xh (lanes
// 0,1 or, upper, 2,3), plus the offset in K when withOffset. With the four 32x32 partial
// products ll, lh, hl, hh of h*ratio, P = hh*2^64 + (lh + hl)*2^32 + ll, and
// floor(P / 2^32) = (hh + xHi)*2^32 + xLo with xLo = lo32(lh) + lo32(hl) + hi32(ll) and
// xHi = hi32(lh) + hi32(hl) (no bit is lost: xLo < 3*2^32). So for frac = 32 + e with
// e in 0..31 (VMX 48, SVM 32): lo64(P >> frac) = ((hh + xHi) << (32 - e)) + (xLo >> e);
// for frac in 1..31: lo64(P >> frac) = (hh << (64 - frac)) + ((lh + hl + hi32(ll)) << (32 - frac))
// + (lo32(ll) >> frac), every term wrapping. `wide` (frac >= 32) is a literal at each call.
// @ts-ignore: decorator
@inline
function scaleHalf(xl: v128, xh: v128, frac: i32, wide: bool, upper: bool, withOffset: bool, rl: v128, rh: v128, ov: v128): v128 {
  const m = lo32Mask();
  const ll = mul32x2(xl, rl, upper);
  const lh = mul32x2(xl, rh, upper);
  const hl = mul32x2(xh, rl, upper);
  const hh = mul32x2(xh, rh, upper);
  let r: v128;
  if (wide) {
    const e = frac - 32;
    // T = hl + hi32(ll) and U = lh + lo32(T) cannot wrap (each product is at most
    // 2^64 - 2^33 + 1), and floor(P / 2^32) = (hh + hi32(T))*2^32 + U, so
    // lo64(P >> frac) = ((hh + hi32(T)) << (32 - e)) + (U >> e): four shifts, not five.
    const t = i64x2.add(hl, i64x2.shr_u(ll, 32));
    const u = i64x2.add(lh, v128.and(t, m));
    if (e == 0) {
      // frac 32: lo64(floor(P / 2^32)) wraps anyway, so T's carry needs no separation.
      r = i64x2.add(i64x2.shl(hh, 32), i64x2.add(lh, t));
    } else {
      r = i64x2.add(i64x2.shl(i64x2.add(hh, i64x2.shr_u(t, 32)), 32 - e), i64x2.shr_u(u, e));
    }
  } else {
    const x = i64x2.add(i64x2.add(lh, hl), i64x2.shr_u(ll, 32));
    r = i64x2.add(i64x2.add(i64x2.shl(hh, 64 - frac), i64x2.shl(x, 32 - frac)), i64x2.shr_u(v128.and(ll, m), frac));
  }
  return withOffset ? i64x2.add(r, ov) : r;
}

// @ts-ignore: decorator
@inline
function setRatio(ratio: u64): void {
  setK(K_RATIO_LO, i32x4.splat(<u32>ratio));
  setK(K_RATIO_HI, i32x4.splat(<u32>(ratio >> 32)));
}

/**
 * In place: buf[i] = kvm_scale_tsc(buf[i], ratio, frac) (+ offset when withOffset: that
 * is kvm_read_l1_tsc) for i < n. The identity ratio 2^frac is left to the caller; frac 0
 * with another ratio (never used by a vendor) runs the scalar loop.
 */
// @ts-ignore: decorator
@inline
function scaleTscKernel(buf: usize, n: i32, offset: u64, ratio: u64, frac: u32, withOffset: bool): void {
  let p = buf;
  if (frac != 0) {
    setRatio(ratio);
    setK(K_OFFSET, i64x2.splat(offset));
    const rl = getK(K_RATIO_LO);
    const rh = getK(K_RATIO_HI);
    const ov = getK(K_OFFSET);
    const f = <i32>frac;
    const stop = end4(buf, n);
    if (f >= 32) {
      for (; p < stop; p += 32) {
        const a = v128.load(p);
        const b = v128.load(p, 16);
        const xl = evens(a, b);
        const xh = odds(a, b);
        v128.store(p, scaleHalf(xl, xh, f, true, false, withOffset, rl, rh, ov));
        v128.store(p, scaleHalf(xl, xh, f, true, true, withOffset, rl, rh, ov), 16);
      }
    } else {
      for (; p < stop; p += 32) {
        const a = v128.load(p);
        const b = v128.load(p, 16);
        const xl = evens(a, b);
        const xh = odds(a, b);
        v128.store(p, scaleHalf(xl, xh, f, false, false, withOffset, rl, rh, ov));
        v128.store(p, scaleHalf(xl, xh, f, false, true, withOffset, rl, rh, ov), 16);
      }
    }
  }
  const end = buf + (<usize>n << 3);
  for (; p < end; p += 8) store<u64>(p, readL1(load<u64>(p), withOffset ? offset : 0, ratio, frac));
}

/** In place: buf[i] = kvm_scale_tsc(buf[i], ratio, frac) for i < n; frac in 0..63. */
export function scaleTscSimd(buf: usize, n: i32, ratio: u64, frac: u32): void {
  if (ratio == (<u64>1 << <u64>frac)) return; // identity ratio: nothing to do in place
  scaleTscKernel(buf, n, 0, ratio, frac, false);
}

/** In place: buf[i] = kvm_read_l1_tsc(buf[i], offset, ratio, frac) for i < n; frac in 0..63. */
export function readL1TscSimd(buf: usize, n: i32, offset: u64, ratio: u64, frac: u32): void {
  if (ratio == (<u64>1 << <u64>frac)) {
    addConstantSimd(buf, n, offset);
    return;
  }
  scaleTscKernel(buf, n, offset, ratio, frac, true);
}

/** In place: buf[i] += k (wrapping) for i < n. */
function addConstantSimd(buf: usize, n: i32, k: u64): void {
  setK(K_OFFSET, i64x2.splat(k));
  const stop = end4(buf, n);
  let p = buf;
  for (; p < stop; p += 32) {
    v128.store(p, i64x2.add(v128.load(p), getK(K_OFFSET)));
    v128.store(p, i64x2.add(v128.load(p, 16), getK(K_OFFSET)), 16);
  }
  const end = buf + (<usize>n << 3);
  for (; p < end; p += 8) store<u64>(p, load<u64>(p) + k);
}

// g - tsc_timestamp for two of four host TSC values h (halves in xl/xh, see scaleHalf),
// where g = l1Offset + scale(h) is the guest's TSC: K_OFFSET holds l1Offset - tsc_timestamp
// (all wrapping), so that one add does both.
// @ts-ignore: decorator
@inline
function guestDelta(xl: v128, xh: v128, frac: i32, wide: bool, upper: bool, rl: v128, rh: v128, ov: v128): v128 {
  return scaleHalf(xl, xh, frac, wide, upper, true, rl, rh, ov);
}

// One four-element step of guestKvmclockSimd at p; `wide` and `how` (SHIFT_*) are literals.
// @ts-ignore: decorator
@inline
function guestStep(p: usize, f: i32, c: i32, wide: bool, how: i32, sv: v128, mv: v128, rl: v128, rh: v128, ov: v128): void {
  const a = v128.load(p);
  const b = v128.load(p, 16);
  const xl = evens(a, b);
  const xh = odds(a, b);
  const d0 = guestDelta(xl, xh, f, wide, false, rl, rh, ov);
  const d1 = guestDelta(xl, xh, f, wide, true, rl, rh, ov);
  storeScaled4(p, preShift2(d0, c, how), preShift2(d1, c, how), mv, sv, true);
}

// guestStep's conversion for the one element at p, in the integer units: the pvclock read
// of g - tsc_timestamp = (l1Offset - tsc_timestamp) + scale(h), off being the former.
// @ts-ignore: decorator
@inline
function guestScalar(p: usize, f: i32, c: i32, how: i32, off: u64, ratio: u64, sys: u64, m: u32): void {
  const lo = umul128(load<u64>(p), ratio);
  const d = shr128(lo, mulHi, <u32>f) + off;
  store<u64>(p, sys + mulU64U32Shr32(preShift1(d, c, how), m));
}

/** Elements per iteration of the mixed guest loop: 16 in v128 steps, 1 in the integer units. */
// @ts-ignore: decorator
@inline const GUEST_BLOCK: usize = 17;

// guestStep over whole blocks, then four-element steps, of [p, stop); returns where it
// stopped (the caller converts the last 0..3 elements). Like the pvclock loop (see
// pvclockBlock), each iteration also gives the integer units work: 16 elements in four v128
// steps and one in scalar arithmetic (a scalar guest read costs six 32x32 products, so
// one per block is what they absorb; about 5% more conversions per second on Zen 5).
// The arguments after stop are as for guestStep; off, ratio, sys and m as for guestScalar.
// @ts-ignore: decorator
@inline
function guestLoop(p: usize, stop: usize, f: i32, c: i32, wide: bool, how: i32, off: u64, ratio: u64, sys: u64, m: u32): usize {
  const sv = getK(K_SYSTEM_TIME);
  const mv = getK(K_MUL);
  const rl = getK(K_RATIO_LO);
  const rh = getK(K_RATIO_HI);
  const ov = getK(K_OFFSET);
  const B = GUEST_BLOCK << 3;
  for (; p + B <= stop; p += B) {
    guestStep(p, f, c, wide, how, sv, mv, rl, rh, ov);
    guestStep(p + 32, f, c, wide, how, sv, mv, rl, rh, ov);
    guestStep(p + 64, f, c, wide, how, sv, mv, rl, rh, ov);
    guestStep(p + 96, f, c, wide, how, sv, mv, rl, rh, ov);
    guestScalar(p + 128, f, c, how, off, ratio, sys, m);
  }
  for (; p + 32 <= stop; p += 32) guestStep(p, f, c, wide, how, sv, mv, rl, rh, ov);
  return p;
}

/**
 * In place, definition B of the KVM clock for each host TSC value h = buf[i], i < n:
 * g = lo64(l1Offset + kvm_scale_tsc(h, ratio, frac)) (the guest's RDTSC), then
 * lo64(systemTime + pvclock_scale_delta(lo64(g - tscTimestamp), mul, shift)).
 */
export function guestKvmclockSimd(buf: usize, n: i32, l1Offset: u64, ratio: u64, frac: u32, tscTimestamp: u64, systemTime: u64, mul: u32, shift: i32): void {
  if (ratio == (<u64>1 << <u64>frac)) {
    // Identity scaling: g - T = h - (T - l1Offset), a plain pvclock read.
    pvclockReadSimd(buf, n, tscTimestamp - l1Offset, systemTime, mul, shift);
    return;
  }
  let p = buf;
  if (frac != 0) {
    setRatio(ratio);
    setK(K_OFFSET, i64x2.splat(l1Offset - tscTimestamp));
    setK(K_SYSTEM_TIME, i64x2.splat(systemTime));
    setK(K_MUL, i32x4.splat(mul));
    const f = <i32>frac;
    const off = l1Offset - tscTimestamp;
    const stop = buf + (<usize>n << 3);
    // One loop per shift direction (right, +1 as a doubling, left) and ratio form; the
    // vendors' frac values (VMX 48, SVM 32) get loops of their own, so that the ratio
    // shifts are immediates.
    if (shift < 0) {
      const c = -shift & 63;
      if (f == 48) p = guestLoop(p, stop, 48, c, true, SHIFT_RIGHT, off, ratio, systemTime, mul);
      else if (f == 32) p = guestLoop(p, stop, 32, c, true, SHIFT_RIGHT, off, ratio, systemTime, mul);
      else if (f > 32) p = guestLoop(p, stop, f, c, true, SHIFT_RIGHT, off, ratio, systemTime, mul);
      else p = guestLoop(p, stop, f, c, false, SHIFT_RIGHT, off, ratio, systemTime, mul);
    } else if (shift == 1) {
      // A guest TSC of 0.5..1 GHz (the pre-shift doubles the delta).
      if (f == 48) p = guestLoop(p, stop, 48, 1, true, SHIFT_DOUBLE, off, ratio, systemTime, mul);
      else if (f == 32) p = guestLoop(p, stop, 32, 1, true, SHIFT_DOUBLE, off, ratio, systemTime, mul);
      else if (f > 32) p = guestLoop(p, stop, f, 1, true, SHIFT_DOUBLE, off, ratio, systemTime, mul);
      else p = guestLoop(p, stop, f, 1, false, SHIFT_DOUBLE, off, ratio, systemTime, mul);
    } else {
      const c = shift & 63;
      if (f == 48) p = guestLoop(p, stop, 48, c, true, SHIFT_LEFT, off, ratio, systemTime, mul);
      else if (f == 32) p = guestLoop(p, stop, 32, c, true, SHIFT_LEFT, off, ratio, systemTime, mul);
      else if (f > 32) p = guestLoop(p, stop, f, c, true, SHIFT_LEFT, off, ratio, systemTime, mul);
      else p = guestLoop(p, stop, f, c, false, SHIFT_LEFT, off, ratio, systemTime, mul);
    }
  }
  const end = buf + (<usize>n << 3);
  for (; p < end; p += 8) {
    store<u64>(p, readClock(readL1(load<u64>(p), l1Offset, ratio, frac), tscTimestamp, systemTime, mul, shift));
  }
}

/** In place: a[i] = mul_u64_u64_shr(a[i], b[i], shift) for i < n; shift in 0..127. */
export function mulU64U64ShrSimd(a: usize, b: usize, n: i32, shift: u32): void {
  const stop = end4(a, n);
  const delta = b - a;
  let p = a;
  const s = <i32>shift;
  if (s == 0 || s == 64) {
    // Low or high half of the product, unshifted: the general forms need a shift in 1..63.
    for (; p < stop; p += 32) {
      const x0 = v128.load(p), x1 = v128.load(p, 16);
      const y0 = v128.load(p + delta), y1 = v128.load(p + delta, 16);
      const xl = evens(x0, x1), xh = odds(x0, x1), yl = evens(y0, y1), yh = odds(y0, y1);
      if (s == 0) {
        v128.store(p, i64x2.add(mul32x2(xl, yl, false), i64x2.shl(i64x2.add(mul32x2(xl, yh, false), mul32x2(xh, yl, false)), 32)));
        v128.store(p, i64x2.add(mul32x2(xl, yl, true), i64x2.shl(i64x2.add(mul32x2(xl, yh, true), mul32x2(xh, yl, true)), 32)), 16);
      } else {
        v128.store(p, mul128Shr(xl, xh, yl, yh, 0, 0, true, false));
        v128.store(p, mul128Shr(xl, xh, yl, yh, 0, 0, true, true), 16);
      }
    }
  } else if (s < 64) {
    for (; p < stop; p += 32) {
      const x0 = v128.load(p), x1 = v128.load(p, 16);
      const y0 = v128.load(p + delta), y1 = v128.load(p + delta, 16);
      const xl = evens(x0, x1), xh = odds(x0, x1), yl = evens(y0, y1), yh = odds(y0, y1);
      v128.store(p, mul128Shr(xl, xh, yl, yh, s, 64 - s, false, false));
      v128.store(p, mul128Shr(xl, xh, yl, yh, s, 64 - s, false, true), 16);
    }
  } else if (s < 128) {
    const r = s - 64;
    for (; p < stop; p += 32) {
      const x0 = v128.load(p), x1 = v128.load(p, 16);
      const y0 = v128.load(p + delta), y1 = v128.load(p + delta, 16);
      const xl = evens(x0, x1), xh = odds(x0, x1), yl = evens(y0, y1), yh = odds(y0, y1);
      v128.store(p, mul128Shr(xl, xh, yl, yh, r, 0, true, false));
      v128.store(p, mul128Shr(xl, xh, yl, yh, r, 0, true, true), 16);
    }
  }
  const end = a + (<usize>n << 3);
  for (; p < end; p += 8) store<u64>(p, mulU64U64Shr(load<u64>(p), load<u64>(p + delta), shift));
}

/** buf[i] = start + i*step (wrapping) for i < n: a synthetic TSC ramp for streaming runs. */
export function fillRampSimd(buf: usize, n: i32, start: u64, step: u64): void {
  setK(K_STEP, i64x2.splat(step << 2));
  const stop = end4(buf, n);
  let v0 = i64x2(start, start + step);
  let v1 = i64x2(start + (step << 1), start + step * 3);
  let p = buf;
  for (; p < stop; p += 32) {
    v128.store(p, v0);
    v128.store(p, v1, 16);
    v0 = i64x2.add(v0, getK(K_STEP));
    v1 = i64x2.add(v1, getK(K_STEP));
  }
  let x = i64x2.extract_lane(v0, 0);
  const end = buf + (<usize>n << 3);
  for (; p < end; p += 8, x += step) store<u64>(p, x);
}

/** The wrapping sum of buf[0..n). */
export function sumSimd(buf: usize, n: i32): u64 {
  const stop = end4(buf, n);
  let acc0 = i64x2.splat(0);
  let acc1 = i64x2.splat(0);
  let p = buf;
  for (; p < stop; p += 32) {
    acc0 = i64x2.add(acc0, v128.load(p));
    acc1 = i64x2.add(acc1, v128.load(p, 16));
  }
  const acc = i64x2.add(acc0, acc1);
  let sum = i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1);
  const end = buf + (<usize>n << 3);
  for (; p < end; p += 8) sum += load<u64>(p);
  return sum;
}
