// Sweep points printed as JSON lines or CSV rows straight from the point chain's buffers
// (points.ts), with the exact drift rates as reduced fractions and rounded decimals:
// the bytes src/sweep/format.ts gives for the same points, without a JS object, string or
// bigint per point. The JS side owns the text: it writes the fixed pieces (JSON keys and
// separators, scaling names, vendor and kernel profile names) into the string table once,
// and prints any line this file declines (see below) through the object path.
//
// Rates (model/rates.ts, spec section 9). Each rate X/Y of two clocks is P/Q with
// P = x * 2^a (x = ratio * mul, at most 96 bits) and Q = o * 2^e (o a 32-bit factor: the
// clocksource mult or the host pvclock mul). The Hyper-V reference time H of the page the
// chain computed (model/guest-clocks.ts hvReferenceRatesPpb, guest-clock-abis section 1.5)
// has rates of the same form: against B x = 100 * tsc_scale over the guest mul, against the
// guest TSC at exactly user_khz x = tsc_scale * user_khz over 10^4 * 2^64, and against A
// x = 100 * tsc_scale * ratio (up to 135 bits) over the clocksource mult. The printed values
// are (P/Q - 1) * 10^9 in lowest terms and rounded half up to 0.001 (rational.ts reduce,
// formatDecimal). With n = (P - Q) * 10^9: gcd(n, Q) = 2^min(v2(n), e) * gcd(n mod o, o)
// for odd o, so one remainder by a 32-bit o and a binary gcd reduce the fraction; the
// rounding divides by the power of two (a shift) and by o. Integers are 256-bit (four u64 limbs).
//
// A line is declined (left to the JS object path, which prints every point) when the
// point failed in the chain, a value passes what this file handles exactly (a number
// beyond 2^256, a tgt_tsc_khz or horizon beyond 2^53 that JSON prints rounded, a rounded rate whose
// JSON number needs more than the 3-decimal text), a factor is 0, or the point's Hyper-V
// page is neither valid nor refused for its mul (the #DE code, which KVM's records never reach).
import { mulHi, umul128 } from "./mul128";
import { HVP_MUL, HVP_VALID, pointsIn, pointsOut, PF_C_VIA_GUEST_TSC, PF_CONTROL } from "./points";
import { STATUS_OK } from "./status";

// @ts-ignore: decorator
@inline const IN_W: usize = 5;
// @ts-ignore: decorator
@inline const OUT_W: usize = 19;

/** Points one text call prints, and the bytes it may use per point. */
// @ts-ignore: decorator
@inline const TEXT_POINTS: i32 = 256;
// @ts-ignore: decorator
@inline const LINE_MAX: i32 = 4096;
const textBuf: usize = memory.data(TEXT_POINTS * LINE_MAX, 16);
/** Per point: the end offset of its line in the text buffer; bit 31 set: declined (no bytes). */
const ends: usize = memory.data(TEXT_POINTS * 4, 16);
/** Marks a declined line in the ends array. */
export const TEXT_DECLINED: u32 = 0x8000_0000;

// The string table: SLOTS entries of (offset, length) into STR_BYTES of text.
// @ts-ignore: decorator
@inline const SLOTS: i32 = 1024;
// @ts-ignore: decorator
@inline const STR_BYTES: i32 = 128 * 1024;
const slotTable: usize = memory.data(SLOTS * 8, 16);
const strData: usize = memory.data(STR_BYTES, 16);

/** Slots: the six scaling names (in points.ts SCALING_* order), true/false, vendors, JSON pieces, kernels. */
export const SLOT_SCALING: i32 = 0;
export const SLOT_TRUE: i32 = 6;
export const SLOT_FALSE: i32 = 7;
export const SLOT_VENDOR: i32 = 8;
export const SLOT_JSON: i32 = 16;
export const SLOT_KERNEL: i32 = 64;

export function textBuffer(): usize { return textBuf; }
export function textEnds(): usize { return ends; }
export function textPoints(): i32 { return TEXT_POINTS; }
export function textSlotTable(): usize { return slotTable; }
export function textStrings(): usize { return strData; }
export function textSlots(): i32 { return SLOTS; }
export function textStringBytes(): i32 { return STR_BYTES; }

// ---------------------------------------------------------------------------------------
// Writing.

let pos: usize = 0;

// @ts-ignore: decorator
@inline
function put(b: u32): void {
  store<u8>(pos, <u8>b);
  pos++;
}

function putSlot(slot: i32): void {
  const e = slotTable + (<usize>slot << 3);
  const len = <usize>load<u32>(e, 4);
  memory.copy(pos, strData + <usize>load<u32>(e), len);
  pos += len;
}

// @ts-ignore: decorator
@inline
function json(k: i32): void {
  putSlot(SLOT_JSON + k);
}

const digits: usize = memory.data(96, 16);

/** Decimal of a u64. */
function putU64(v: u64): void {
  let p = digits + 96;
  while (v >= 100_000_000) {
    const q = v / 100_000_000;
    let r = <u32>(v - q * 100_000_000);
    v = q;
    for (let k = 0; k < 8; k++) {
      p--;
      store<u8>(p, <u8>(48 + r % 10));
      r /= 10;
    }
  }
  let r = <u32>v;
  do {
    p--;
    store<u8>(p, <u8>(48 + r % 10));
    r /= 10;
  } while (r != 0);
  const len = digits + 96 - p;
  memory.copy(pos, p, len);
  pos += len;
}

function putS64(v: u64): void {
  if (<i64>v < 0) {
    put(45);
    putU64(0 - v);
  } else {
    putU64(v);
  }
}

function putI32(v: i32): void {
  if (v < 0) {
    put(45);
    putU64(<u64>(0 - <i64>v));
  } else {
    putU64(<u64>v);
  }
}

/** Exactly 9 digits (leading zeros kept). */
function put9(v: u32): void {
  for (let k = 8; k >= 0; k--) {
    store<u8>(pos + <usize>k, <u8>(48 + v % 10));
    v /= 10;
  }
  pos += 9;
}

// ---------------------------------------------------------------------------------------
// 256-bit unsigned integers: four u64 limbs, least significant first, at an address.

let overflow = false;

// @ts-ignore: decorator
@inline
function limb(p: usize, i: usize): u64 {
  return load<u64>(p + (i << 3));
}

// @ts-ignore: decorator
@inline
function setLimb(p: usize, i: usize, v: u64): void {
  store<u64>(p + (i << 3), v);
}

function bnSet(p: usize, lo: u64, hi: u64): void {
  store<u64>(p, lo);
  store<u64>(p, hi, 8);
  store<u64>(p, 0, 16);
  store<u64>(p, 0, 24);
}

function bnCopy(d: usize, s: usize): void {
  memory.copy(d, s, 32);
}

function bnIsZero(p: usize): bool {
  return (load<u64>(p) | load<u64>(p, 8) | load<u64>(p, 16) | load<u64>(p, 24)) == 0;
}

function bnBits(p: usize): u32 {
  for (let i: i32 = 3; i >= 0; i--) {
    const v = limb(p, <usize>i);
    if (v != 0) return <u32>(i * 64 + 64 - <i32>clz(v));
  }
  return 0;
}

/** p <<= s; sets `overflow` when bits fall off the top. */
function bnShl(p: usize, s: u32): void {
  if (s == 0) return;
  if (bnIsZero(p)) return;
  if (bnBits(p) + s > 256) {
    overflow = true;
    return;
  }
  const ls = <i32>(s >> 6), bs = <u64>(s & 63);
  for (let i: i32 = 3; i >= 0; i--) {
    const src = i - ls;
    let v: u64 = 0;
    if (src >= 0) {
      v = limb(p, <usize>src) << bs;
      if (bs != 0 && src >= 1) v |= limb(p, <usize>(src - 1)) >> (64 - bs);
    }
    setLimb(p, <usize>i, v);
  }
}

/** p >>= s. */
function bnShr(p: usize, s: u32): void {
  if (s == 0) return;
  if (s >= 256) {
    bnSet(p, 0, 0);
    return;
  }
  const ls = <i32>(s >> 6), bs = <u64>(s & 63);
  for (let i: i32 = 0; i < 4; i++) {
    const src = i + ls;
    let v: u64 = 0;
    if (src < 4) {
      v = limb(p, <usize>src) >> bs;
      if (bs != 0 && src + 1 < 4) v |= limb(p, <usize>(src + 1)) << (64 - bs);
    }
    setLimb(p, <usize>i, v);
  }
}

/** -1, 0, 1 as a < b, a = b, a > b. */
function bnCmp(a: usize, b: usize): i32 {
  for (let i: i32 = 3; i >= 0; i--) {
    const x = limb(a, <usize>i), y = limb(b, <usize>i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/** d = a - b (a >= b); d may be a or b. */
function bnSub(d: usize, a: usize, b: usize): void {
  let borrow: u64 = 0;
  for (let i: usize = 0; i < 4; i++) {
    const x = limb(a, i), y = limb(b, i);
    const t = x - y;
    const r = t - borrow;
    borrow = (x < y ? 1 : 0) | (t < borrow ? 1 : 0);
    setLimb(d, i, r);
  }
}

/** a += b; sets `overflow` on a carry out. */
function bnAdd(a: usize, b: usize): void {
  let carry: u64 = 0;
  for (let i: usize = 0; i < 4; i++) {
    const x = limb(a, i);
    const t = x + limb(b, i);
    const r = t + carry;
    carry = (t < x ? 1 : 0) | (r < t ? 1 : 0);
    setLimb(a, i, r);
  }
  if (carry != 0) overflow = true;
}

/** p *= m (m < 2^32); sets `overflow` on a carry out. */
function bnMul32(p: usize, m: u64): void {
  let carry: u64 = 0;
  for (let i: usize = 0; i < 4; i++) {
    const lo = umul128(limb(p, i), m);
    const r = lo + carry;
    carry = mulHi + (r < lo ? 1 : 0);
    setLimb(p, i, r);
  }
  if (carry != 0) overflow = true;
}

/** p /= d (1 <= d < 2^32); returns the remainder. */
function bnDiv32(p: usize, d: u64): u64 {
  let rem: u64 = 0;
  for (let i: i32 = 3; i >= 0; i--) {
    const v = limb(p, <usize>i);
    if (rem == 0 && v == 0) continue;
    let cur = (rem << 32) | (v >> 32);
    const qh = cur / d;
    rem = cur - qh * d;
    cur = (rem << 32) | (v & 0xffff_ffff);
    const ql = cur / d;
    rem = cur - ql * d;
    setLimb(p, <usize>i, (qh << 32) | ql);
  }
  return rem;
}

/** p mod d (1 <= d < 2^32). */
function bnMod32(p: usize, d: u64): u64 {
  let rem: u64 = 0;
  for (let i: i32 = 3; i >= 0; i--) {
    const v = limb(p, <usize>i);
    rem = ((rem << 32) | (v >> 32)) % d;
    rem = ((rem << 32) | (v & 0xffff_ffff)) % d;
  }
  return rem;
}

/** Trailing zero bits (p != 0). */
function bnCtz(p: usize): u32 {
  for (let i: usize = 0; i < 4; i++) {
    const v = limb(p, i);
    if (v != 0) return <u32>(i * 64) + <u32>ctz(v);
  }
  return 256;
}

const bnTmp: usize = memory.data(32, 16);
const chunks: usize = memory.data(40 * 4, 16);

/** Decimal of p (p is not changed). */
function putBn(p: usize): void {
  if ((load<u64>(p, 8) | load<u64>(p, 16) | load<u64>(p, 24)) == 0) {
    putU64(load<u64>(p));
    return;
  }
  bnCopy(bnTmp, p);
  let n = 0;
  while ((load<u64>(bnTmp, 8) | load<u64>(bnTmp, 16) | load<u64>(bnTmp, 24)) != 0) {
    store<u32>(chunks + (<usize>n << 2), <u32>bnDiv32(bnTmp, 1_000_000_000));
    n++;
  }
  putU64(load<u64>(bnTmp));
  while (n > 0) {
    n--;
    put9(load<u32>(chunks + (<usize>n << 2)));
  }
}

function gcd32(a: u64, b: u64): u64 {
  // Binary gcd; gcd(0, b) = b.
  if (a == 0) return b;
  if (b == 0) return a;
  const shift = ctz(a | b);
  a >>= ctz(a);
  do {
    b >>= ctz(b);
    if (a > b) {
      const t = a;
      a = b;
      b = t;
    }
    b -= a;
  } while (b != 0);
  return a << shift;
}

// ---------------------------------------------------------------------------------------
// Rates. Six result sets (B/A, C/A, B/C; then H/B, H/nominal, H/A), each: numerator magnitude
// and sign, denominator, and the magnitude rounded to 0.001 as an integer count of thousandths.

// @ts-ignore: decorator
@inline const RATES: i32 = 6;
const RATE_BYTES: i32 = 32 * RATES;
const bnP: usize = memory.data(32, 16);
const bnQ: usize = memory.data(32, 16);
const rateNum: usize = memory.data(RATE_BYTES, 16);
const rateDen: usize = memory.data(RATE_BYTES, 16);
const rateScaled: usize = memory.data(8 * RATES, 16);
const rateNeg: usize = memory.data(RATES, 16);

/**
 * Rate k of x * 2^a over o * 2^e, x = xHi:xLo. False when a value passes 256 bits, o is 0
 * or the rounded value passes 64 bits.
 */
function rate(k: usize, xLo: u64, xHi: u64, a: i32, o: u64, e: i32): bool {
  overflow = false;
  bnSet(bnP, xLo, xHi);
  return rateOfP(k, a, o, e);
}

/**
 * Rate k of x * 2^a over o * 2^e with x already in bnP (which it overwrites), the
 * `overflow` flag covering how x was built. False as for rate().
 */
function rateOfP(k: usize, a: i32, o: u64, e: i32): bool {
  if (o == 0 || a < 0 || e < 0) return false;
  while ((o & 1) == 0) {
    o >>= 1;
    e++;
  }
  const num = rateNum + k * 32, den = rateDen + k * 32;
  bnShl(bnP, <u32>a);
  bnSet(bnQ, o, 0);
  bnShl(bnQ, <u32>e);
  if (overflow) return false;
  const c = bnCmp(bnP, bnQ);
  if (c == 0) {
    bnSet(num, 0, 0);
    bnSet(den, 1, 0);
    store<u8>(rateNeg + k, 0);
    store<u64>(rateScaled + k * 8, 0);
    return true;
  }
  store<u8>(rateNeg + k, c < 0 ? 1 : 0);
  if (c > 0) bnSub(num, bnP, bnQ);
  else bnSub(num, bnQ, bnP);
  // n = |P - Q| * 10^9 = |P - Q| * 5^9 * 2^9; divide out 2^k, k = min(v2(n), e).
  const v = <i32>bnCtz(num) + 9;
  const kk = v < e ? v : e;
  if (kk <= 9) {
    bnMul32(num, 1_953_125);
    bnShl(num, <u32>(9 - kk));
  } else {
    bnShr(num, <u32>(kk - 9));
    bnMul32(num, 1_953_125);
  }
  if (overflow) return false;
  const g = o == 1 ? 1 : gcd32(bnMod32(num, o), o);
  if (g != 1) bnDiv32(num, g);
  const o2 = o / g;
  const s = <u32>(e - kk);
  bnSet(den, o2, 0);
  bnShl(den, s);
  // Rounded: floor(floor((2000 * |num| + den) / 2^(s+1)) / o2).
  bnCopy(bnP, num);
  bnMul32(bnP, 2000);
  bnAdd(bnP, den);
  if (overflow) return false;
  bnShr(bnP, s + 1);
  bnDiv32(bnP, o2);
  if ((load<u64>(bnP, 8) | load<u64>(bnP, 16) | load<u64>(bnP, 24)) != 0) return false;
  store<u64>(rateScaled + k * 8, load<u64>(bnP));
  return true;
}

/** The largest rounded rate (in thousandths) whose JSON number is its 3-decimal text: |value| < 2^43. */
const JSON_EXACT_LIMIT: u64 = 8_796_093_022_208_000;

/** formatDecimal(rate, 3): sign, integer part, '.', three digits. */
function putDecimal(k: usize): void {
  const s = load<u64>(rateScaled + k * 8);
  if (load<u8>(rateNeg + k) != 0 && s != 0) put(45);
  putU64(s / 1000);
  put(46);
  const f = <u32>(s % 1000);
  put(48 + f / 100);
  put(48 + (f / 10) % 10);
  put(48 + f % 10);
}

/** The JSON number Number(formatDecimal(rate, 3)) prints as (the caller checked JSON_EXACT_LIMIT). */
function putJsonRate(k: usize): void {
  const s = load<u64>(rateScaled + k * 8);
  if (load<u8>(rateNeg + k) != 0 && s != 0) put(45);
  putU64(s / 1000);
  let f = <u32>(s % 1000);
  if (f == 0) return;
  put(46);
  put(48 + f / 100);
  f %= 100;
  if (f == 0) return;
  put(48 + f / 10);
  f %= 10;
  if (f == 0) return;
  put(48 + f);
}

function putFraction(k: usize): void {
  const num = rateNum + k * 32;
  if (load<u8>(rateNeg + k) != 0 && !bnIsZero(num)) put(45);
  putBn(num);
  put(47);
  putBn(rateDen + k * 32);
}

// ---------------------------------------------------------------------------------------
// Lines.

/** The three rates of output point `out` (input `inp`). */
function rates(inp: usize, out: usize): bool {
  const w1 = <u32>load<u64>(inp, 8);
  const frac = <i32>(w1 & 0xff);
  const scaledDelta = (w1 & PF_C_VIA_GUEST_TSC) != 0 && (w1 & PF_CONTROL) != 0;
  const cs = load<u64>(out, 8);
  const mult = cs & 0xffff_ffff;
  const shiftA = <i32>(cs >> 32);
  const ratio = load<u64>(out, 16);
  const gs = load<u64>(out, 32), hs = load<u64>(out, 40);
  const gMul = gs & 0xffff_ffff, hMul = hs & 0xffff_ffff;
  const gShift = <i32>(gs >> 32), hShift = <i32>(hs >> 32);
  const gUp = gShift > 0 ? gShift : 0, gDown = gShift < 0 ? -gShift : 0;
  const hUp = hShift > 0 ? hShift : 0, hDown = hShift < 0 ? -hShift : 0;
  // B/A = ratio * mul_g * 2^(gUp + shiftA) / (mult * 2^(frac + 32 + gDown)).
  let lo = umul128(ratio, gMul);
  let hi = mulHi;
  if (!rate(0, lo, hi, gUp + shiftA, mult, frac + 32 + gDown)) return false;
  if (scaledDelta) {
    // C' = (ratio / 2^frac) * mul_h * 2^shift_h / 2^32; in B/C' the ratio and 2^(frac+32) cancel.
    if (ratio == 0) return false;
    const cl = umul128(ratio, hMul);
    if (!rate(1, cl, mulHi, hUp + shiftA, mult, frac + 32 + hDown)) return false;
    if (!rate(2, gMul, 0, gUp + hDown, hMul, gDown + hUp)) return false;
  } else {
    if (!rate(1, hMul, 0, hUp + shiftA, mult, 32 + hDown)) return false;
    if (!rate(2, lo, hi, gUp + 32 + hDown, hMul, frac + 32 + gDown + hUp)) return false;
  }
  return true;
}

/**
 * H's three rates (into sets 3..5) for a point whose page is valid: per guest tick H advances
 * tsc_scale/2^64 units of 100 ns, B mul * 2^shift / 2^32 ns, the nominal TSC 10^6/user_khz ns;
 * per host cycle the guest TSC advances ratio/2^frac ticks and A mult/2^shift ns.
 */
function hvRates(inp: usize, out: usize): bool {
  const scale = load<u64>(out, 144);
  const user = load<u64>(inp) >> 32;
  const frac = <i32>(<u32>load<u64>(inp, 8) & 0xff);
  const cs = load<u64>(out, 8);
  const gs = load<u64>(out, 32);
  const gMul = gs & 0xffff_ffff;
  const gShift = <i32>(gs >> 32);
  const gUp = gShift > 0 ? gShift : 0, gDown = gShift < 0 ? -gShift : 0;
  // H/B = 100 * scale * 2^(32 + gDown) / (mul_g * 2^(64 + gUp)).
  let lo = umul128(scale, 100);
  if (!rate(3, lo, mulHi, 32 + gDown, gMul, 64 + gUp)) return false;
  // H/nominal = scale * user_khz / (10^4 * 2^64).
  lo = umul128(scale, user);
  if (!rate(4, lo, mulHi, 0, 10_000, 64)) return false;
  // H/A = 100 * scale * ratio * 2^shift_A / (mult * 2^(64 + frac)).
  overflow = false;
  lo = umul128(scale, load<u64>(out, 16));
  bnSet(bnP, lo, mulHi);
  bnMul32(bnP, 100);
  return rateOfP(5, <i32>(cs >> 32), cs & 0xffff_ffff, 64 + frac);
}

/** The page's code (points.ts HVP_*) from the status word. */
// @ts-ignore: decorator
@inline
function hvCode(out: usize): u32 {
  return <u32>(load<u64>(out) >> 48) & 0xff;
}

const EXACT_DOUBLE: u64 = <u64>1 << 53;

function jsonLine(inp: usize, out: usize, index: u64, kernelField: bool): bool {
  if (!rates(inp, out)) return false;
  const tgt = load<u64>(out, 24);
  if (tgt >= EXACT_DOUBLE || load<u64>(inp, 24) >= EXACT_DOUBLE) return false; // JSON prints Number(): rounded beyond 2^53
  if (load<u64>(rateScaled) >= JSON_EXACT_LIMIT || load<u64>(rateScaled, 8) >= JSON_EXACT_LIMIT || load<u64>(rateScaled, 16) >= JSON_EXACT_LIMIT) return false;
  const hv = hvCode(out);
  if (hv == HVP_VALID) {
    if (!hvRates(inp, out)) return false;
    if (load<u64>(rateScaled, 24) >= JSON_EXACT_LIMIT || load<u64>(rateScaled, 32) >= JSON_EXACT_LIMIT || load<u64>(rateScaled, 40) >= JSON_EXACT_LIMIT) return false;
  } else if (hv != HVP_MUL) {
    return false; // a page code this printer has no text for
  }
  const w0 = load<u64>(inp);
  const w1 = <u32>load<u64>(inp, 8);
  const labels = <u32>load<u64>(inp, 32);
  const frac = w1 & 0xff;
  const status = load<u64>(out);
  const ratio = load<u64>(out, 16);
  const a = load<u64>(out, 80), b = load<u64>(out, 88), c = load<u64>(out, 96);
  const gs = load<u64>(out, 32), hs = load<u64>(out, 40), cs = load<u64>(out, 8);
  json(0); putU64(index);
  json(1); putU64(w0 & 0xffff_ffff);
  json(2); putU64(w0 >> 32);
  json(3); putSlot(SLOT_VENDOR + <i32>(labels & 0xff));
  json(4); putU64(load<u64>(inp, 24));
  json(5); putSlot(ratio != (<u64>1 << frac) ? SLOT_TRUE : SLOT_FALSE);
  json(6); putSlot(SLOT_SCALING + <i32>((status >> 32) & 0xff));
  json(7); putU64(ratio);
  json(8); putU64(tgt);
  json(9); putU64(a);
  json(10); putU64(b);
  json(11); putU64(c);
  json(12); putS64(b - a);
  json(13); putS64(c - a);
  json(14); putS64(b - c);
  json(15); putJsonRate(0);
  json(16); putJsonRate(1);
  json(17); putJsonRate(2);
  json(18); putFraction(0);
  json(19); putFraction(1);
  json(20); putFraction(2);
  json(21); putS64(load<u64>(out, 104));
  json(22); putS64(load<u64>(out, 112));
  json(23); putU64(load<u64>(out, 128));
  json(24); putI32(<i32>(gs >> 32));
  json(25); putU64(gs & 0xffff_ffff);
  json(26); putI32(<i32>(hs >> 32));
  json(27); putU64(hs & 0xffff_ffff);
  json(28); putU64(cs & 0xffff_ffff);
  json(29); putU64(cs >> 32);
  json(30);
  if (kernelField) {
    json(31);
    putSlot(SLOT_KERNEL + <i32>((labels >> 8) & 0xffff));
    json(32);
  }
  if (hv == HVP_VALID) {
    json(33); putU64(load<u64>(out, 144));
    json(34); putJsonRate(3);
    json(35); putJsonRate(4);
    json(36); putJsonRate(5);
    json(37); putFraction(3);
    json(38); putFraction(4);
    json(39); putFraction(5);
    json(40);
  } else {
    json(41);
  }
  json(42);
  return true;
}

function csvLine(inp: usize, out: usize, index: u64, kernelField: bool): bool {
  if (!rates(inp, out)) return false;
  const hv = hvCode(out);
  if (hv == HVP_VALID) {
    if (!hvRates(inp, out)) return false;
  } else if (hv != HVP_MUL) {
    return false;
  }
  const w0 = load<u64>(inp);
  const w1 = <u32>load<u64>(inp, 8);
  const labels = <u32>load<u64>(inp, 32);
  const frac = w1 & 0xff;
  const status = load<u64>(out);
  const ratio = load<u64>(out, 16);
  const a = load<u64>(out, 80), b = load<u64>(out, 88), c = load<u64>(out, 96);
  putU64(index); put(44);
  putU64(w0 & 0xffff_ffff); put(44);
  putU64(w0 >> 32); put(44);
  putSlot(SLOT_VENDOR + <i32>(labels & 0xff)); put(44);
  putU64(load<u64>(inp, 24)); put(44);
  put(ratio != (<u64>1 << frac) ? 49 : 48); put(44);
  putSlot(SLOT_SCALING + <i32>((status >> 32) & 0xff)); put(44);
  putU64(ratio); put(44);
  putU64(load<u64>(out, 24)); put(44);
  putU64(a); put(44);
  putU64(b); put(44);
  putU64(c); put(44);
  putS64(b - a); put(44);
  putS64(c - a); put(44);
  putS64(b - c); put(44);
  putDecimal(0); put(44);
  putDecimal(1); put(44);
  putDecimal(2); put(44);
  putS64(load<u64>(out, 104));
  for (let k = 0; k < 6; k++) put(44);
  if (kernelField) {
    put(44);
    putSlot(SLOT_KERNEL + <i32>((labels >> 8) & 0xffff));
  }
  // hvPageValid, hvScale, hvRatePpbVsB, hvRatePpbVsNominal, hvRatePpbVsA.
  if (hv == HVP_VALID) {
    put(44); put(49);
    put(44); putU64(load<u64>(out, 144));
    put(44); putDecimal(3);
    put(44); putDecimal(4);
    put(44); putDecimal(5);
  } else {
    put(44); put(48);
    for (let k = 0; k < 4; k++) put(44);
  }
  put(10);
  return true;
}

/**
 * Print points first .. first+n-1 of the chain's buffers (n <= TEXT_POINTS) as JSON lines
 * (csv false) or CSV rows, the first with grid index `index`. Returns the bytes written to
 * the text buffer; the ends array gives each line's end, or TEXT_DECLINED.
 */
export function pointsText(first: i32, n: i32, index: u64, csv: bool, kernelField: bool): i32 {
  if (<u32>n > <u32>TEXT_POINTS) unreachable();
  pos = textBuf;
  for (let j = 0; j < n; j++) {
    const i = <usize>(first + j);
    const inp = pointsIn + i * IN_W * 8;
    const out = pointsOut + i * OUT_W * 8;
    const start = pos;
    let ok: bool = <u32>load<u64>(out) == <u32>STATUS_OK;
    if (ok) ok = csv ? csvLine(inp, out, index + <u64>j, kernelField) : jsonLine(inp, out, index + <u64>j, kernelField);
    if (ok) {
      store<u32>(ends + (<usize>j << 2), <u32>(pos - textBuf));
    } else {
      pos = start;
      store<u32>(ends + (<usize>j << 2), <u32>(pos - textBuf) | TEXT_DECLINED);
    }
  }
  return <i32>(pos - textBuf);
}
