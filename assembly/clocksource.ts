// Host clocksource and CLOCK_MONOTONIC_RAW (spec section 6): mult/shift selection,
// clocksource registration, the RAW closed form and KVM's 64-bit copy of it.
import { mulHi, sar128, umul128 } from "./mul128";
import { setRes0, setResI0, setResI1, setResI2 } from "./out";
import { STATUS_DIV0, STATUS_OK } from "./status";

const NSEC_PER_SEC: u64 = 1_000_000_000;
/** The "10 minutes" cap on max_idle seconds for clocksources wider than 32 bits. */
const MAX_IDLE_SEC_CAP: u64 = 600;
const U32_MAX: u64 = 0xffff_ffff;

/** Shift chosen by the last calcMultShift. */
let calcShift: u32 = 0;

// clocks_calc_mult_shift core: returns mult (u32), shift to `calcShift`; from in 1..2^32-1.
function calcMultShift(from: u32, to: u32, maxsec: u32): u32 {
  // Bits of mult allowed: 32 minus the bit length of floor(maxsec*from / 2^32).
  let over = (<u64>maxsec * <u64>from) >> 32;
  let accuracy: u64 = 32;
  while (over != 0) {
    over >>= 1;
    accuracy--;
  }
  let sft: u32 = 32;
  let mult: u64 = 0;
  for (; sft > 0; sft--) {
    // to*2^sft + from/2 < 2^64 for u32 operands: no overflow. Rounded to nearest.
    mult = ((<u64>to << <u64>sft) + <u64>(from >> 1)) / <u64>from;
    if ((mult >> accuracy) == 0) break;
  }
  calcShift = sft;
  return <u32>mult;
}

/**
 * clocks_calc_mult_shift(from, to, maxsec): the largest shift (32..1) whose rounded
 * mult = round(to * 2^shift / from) keeps maxsec*from cycles from overflowing 64 bits;
 * shift 0 with lo32(the sft = 1 mult) when none does. STATUS_DIV0 for from = 0, else
 * STATUS_OK with mult (u32) in resI0 and shift in resI1. Any u32 inputs.
 */
export function clocksCalcMultShift(from: u32, to: u32, maxsec: u32): i32 {
  if (from == 0) return STATUS_DIV0;
  setResI0(<i32>calcMultShift(from, to, maxsec));
  setResI1(<i32>calcShift);
  return STATUS_OK;
}

/**
 * __clocksource_update_freq_scale: max_idle seconds (capped at 600 for masks wider than
 * 32 bits), mult/shift from clocks_calc_mult_shift, then the 11 % maxadj with mult halved
 * (shift decremented as a u32) while mult +- maxadj wraps. Writes mult to resI0, shift
 * (u32) to resI1, maxadj (u32) to resI2, the seconds to res0. freq and scale in
 * 1..2^32-1 (a 0 is a caller bug: the division traps).
 */
export function clocksourceRegister(freq: u32, scale: u32, mask: u64): void {
  let sec = mask / <u64>freq / <u64>scale;
  if (sec == 0) sec = 1;
  else if (sec > MAX_IDLE_SEC_CAP && mask > U32_MAX) sec = MAX_IDLE_SEC_CAP;
  let mult = calcMultShift(freq, <u32>(NSEC_PER_SEC / <u64>scale), <u32>(sec * <u64>scale));
  let shift = calcShift;
  let maxadj = maxAdjustment(mult);
  while (mult + maxadj < mult || mult - maxadj > mult) {
    mult >>= 1;
    shift--;
    maxadj = maxAdjustment(mult);
  }
  setResI0(<i32>mult);
  setResI1(<i32>shift);
  setResI2(<i32>maxadj);
  setRes0(sec);
}

// clocksource_max_adjustment: lo32(floor(mult * 11 / 100)); any u32 mult.
// @ts-ignore: decorator
@inline
function maxAdjustment(mult: u32): u32 {
  return <u32>((<u64>mult * 11) / 100);
}

/**
 * CLOCK_MONOTONIC_RAW, exact closed form (spec section 6.3):
 * raw_sec*10^9 + floor((xtime_nsec + delta*mult) / 2^shift) with delta = cycles - cycle_last
 * (wrapping) and the product and sum in 128 bits; result modulo 2^64. A delta with bit 63
 * set is the reader's "went backwards" case and counts as 0. shift 0..63.
 */
export function rawNs(cycles: u64, cycleLast: u64, rawSec: u64, xtimeNsec: u64, mult: u32, shift: u32): u64 {
  let delta = cycles - cycleLast;
  if (delta >> 63) delta = 0; // the reader's "clock went backwards" case: the last tick's value
  const pLo = umul128(delta, <u64>mult);
  const lo = pLo + xtimeNsec;
  const hi = mulHi + (lo < pLo ? 1 : 0);
  return rawSec * NSEC_PER_SEC + sar128(lo, hi, shift);
}

/**
 * KVM's do_kvmclock_base on its 64-bit copy: cycles clamped up to cycle_last, then
 * lo64(lo64(xtime_nsec + lo64(delta*mult)) >> shift) + raw_sec*10^9 + offs_boot, all
 * wrapping. shift in 0..63 (larger counts are masked to 6 bits, as x86 and Wasm do).
 */
export function kvmBaseNs(cycles: u64, cycleLast: u64, rawSec: u64, xtimeNsec: u64, mult: u32, shift: u32, offsBoot: i64): u64 {
  const delta = cycles < cycleLast ? 0 : cycles - cycleLast;
  return ((xtimeNsec + delta * <u64>mult) >> <u64>shift) + rawSec * NSEC_PER_SEC + <u64>offsBoot;
}

/** clocksource_cyc2ns: lo64(delta * mult) >> shift (the product wraps). shift in 0..63 (masked to 6 bits). */
export function cyc2ns(delta: u64, mult: u32, shift: u32): u64 {
  return (delta * <u64>mult) >> <u64>shift;
}
