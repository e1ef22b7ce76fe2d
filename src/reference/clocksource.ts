/** §6 of the spec: clocksource mult/shift, CLOCK_MONOTONIC_RAW and KVM's 64-bit copy of it. */
import type { ClocksourceParams, MultShift } from '../backend.js';
import { ArithmeticFaultError } from '../errors.js';
import { bitLength, lo32, lo64 } from './c-types.js';

const U32_LIMIT = 1n << 32n;
const MAX_UPDATE_SECONDS = 600n; // the "10 minutes" cap for masks wider than 32 bits

/**
 * clocks_calc_mult_shift(from, to, maxsec): the largest shift (≤ 32) whose mult —
 * ⌊(to·2^shift + ⌊from/2⌋)/from⌋, rounded to nearest — fits the bits that
 * maxsec·from leaves free; shift 0 with the sft = 1 mult if none does.
 */
export function clocksCalcMultShift(from: number, to: number, maxsec: number): MultShift {
  if (from === 0) throw new ArithmeticFaultError('div0', 'clocks_calc_mult_shift: do_div by from = 0');
  const f = BigInt(from);
  const allowedBits = 32 - bitLength((BigInt(maxsec) * f) >> 32n);
  let mult = 0n;
  let shift = 32;
  for (; shift > 0; shift--) {
    mult = ((BigInt(to) << BigInt(shift)) + f / 2n) / f;
    if (mult >> BigInt(allowedBits) === 0n) break;
  }
  return { mult: Number(lo32(mult)), shift };
}

/** clocksource_max_adjustment: 11 % of mult, as u32. */
const maxAdjustment = (mult: bigint): bigint => lo32((mult * 11n) / 100n);

/**
 * __clocksource_update_freq_scale(cs, scale, freq) for freq ≠ 0: the idle limit in
 * seconds (mask/freq/scale, at least 1, capped at 600 for masks wider than 32 bits),
 * mult/shift for it, then maxadj — halving mult while mult + maxadj would wrap a u32.
 */
export function clocksourceRegister(freq: number, scale: number, mask: bigint): ClocksourceParams {
  let sec = mask / BigInt(freq) / BigInt(scale);
  if (sec === 0n) sec = 1n;
  else if (sec > MAX_UPDATE_SECONDS && mask > U32_LIMIT - 1n) sec = MAX_UPDATE_SECONDS;
  const ms = clocksCalcMultShift(freq, Number(1_000_000_000n / BigInt(scale)), Number(lo32(sec * BigInt(scale))));
  let mult = BigInt(ms.mult);
  let shift = ms.shift;
  let maxadj = maxAdjustment(mult);
  while (mult + maxadj >= U32_LIMIT || mult - maxadj < 0n) {
    mult >>= 1n;
    shift--;
    maxadj = maxAdjustment(mult);
  }
  return { mult: Number(mult), shift, maxadj: Number(maxadj), maxsec: sec };
}

/**
 * CLOCK_MONOTONIC_RAW (ktime_get_raw) in its exact closed form (§6.3):
 * raw_sec·10^9 + ⌊(xtime_nsec + Δ·mult) / 2^shift⌋ with Δ = cycles − cycle_last
 * (wrapping, 64-bit mask), the product and sum exact, the result as u64 ns. A Δ with
 * its top bit set is the reader's "clock went backwards" case: it returns the last
 * tick's value, i.e. Δ counts as 0.
 */
export function rawNs(cycles: bigint, cycleLast: bigint, rawSec: bigint, xtimeNsec: bigint, mult: number, shift: number): bigint {
  let delta = lo64(cycles - cycleLast);
  if (delta >= 1n << 63n) delta = 0n;
  return lo64(rawSec * 1_000_000_000n + ((xtimeNsec + delta * BigInt(mult)) >> BigInt(shift)));
}

/**
 * KVM's do_kvmclock_base read (§6.4): the TSC clamped up to cycle_last, the
 * cycles·mult product and the sum with xtime_nsec both in wrapping u64, then the
 * seconds and offs_boot added modulo 2^64.
 */
export function kvmBaseNs(cycles: bigint, cycleLast: bigint, rawSec: bigint, xtimeNsec: bigint, mult: number, shift: number, offsBoot: bigint): bigint {
  const tsc = cycles < cycleLast ? cycleLast : cycles;
  const delta = lo64(tsc - cycleLast);
  const ns = lo64(xtimeNsec + lo64(delta * BigInt(mult))) >> BigInt(shift);
  return lo64(ns + lo64(rawSec * 1_000_000_000n + offsBoot));
}

/** clocksource_cyc2ns: the product truncated to 64 bits, then shifted. shift 0..63. */
export function cyc2ns(delta: bigint, mult: number, shift: number): bigint {
  return lo64(delta * BigInt(mult)) >> BigInt(shift);
}
