/**
 * Clocksource registration as the kernel does it when a driver registers a clocksource
 * by frequency (spec §6.2), with the two values it prints at boot: max_cycles and
 * max_idle_ns. Used for the guest's own TSC clocksource (clock D) and to check the
 * running kernel's boot lines.
 */
import type { KvmclockApi } from '../api.js';
import type { ClocksourceParams } from '../backend.js';
import { InternalError } from '../errors.js';
import { U64_MAX } from '../units.js';

/** A registration and what the kernel derives from it. */
export interface ClocksourceRegistration extends ClocksourceParams {
  readonly name: string;
  /** Frequency in units of 1/scale seconds (kHz with scale 1000, Hz with scale 1). */
  readonly freq: number;
  readonly scale: number;
  readonly mask: bigint;
  /** The largest cycle delta the timekeeper converts without overflow: min(⌊(2^64−1)/(mult+maxadj)⌋, mask). */
  readonly maxCycles: bigint;
  /** Half of max_cycles converted at mult − maxadj (the idle limit the kernel prints). */
  readonly maxIdleNs: bigint;
}

/** Register `name` at `freq`/`scale` with `mask`, as __clocksource_update_freq_scale does. */
export function registerClocksource(api: KvmclockApi, name: string, freq: number, scale: number, mask: bigint): ClocksourceRegistration {
  const p = api.clocksourceRegister(freq, scale, mask);
  return { name, freq, scale, mask, ...p, ...maxDeferment(api, p, mask) };
}

/**
 * max_cycles and max_idle_ns of a clocksource with these factors: the largest delta
 * whose product with the largest adjusted mult (mult + maxadj, a u32 sum) fits 64 bits,
 * capped by the mask; converted at the smallest adjusted mult (mult − maxadj) with the
 * kernel's 64-bit cyc2ns, then halved so that a bad value is noticed in time.
 */
export function maxDeferment(api: KvmclockApi, p: ClocksourceParams, mask: bigint): { maxCycles: bigint; maxIdleNs: bigint } {
  const hi = (p.mult + p.maxadj) >>> 0;
  if (hi === 0) throw new InternalError(`clocksource mult ${p.mult} + maxadj ${p.maxadj} wraps to 0`);
  const byProduct = U64_MAX / BigInt(hi);
  const maxCycles = byProduct < mask ? byProduct : mask;
  const maxIdleNs = api.cyc2ns(maxCycles, (p.mult - p.maxadj) >>> 0, p.shift) >> 1n;
  return { maxCycles, maxIdleNs };
}

/** The masks of the clocksources the probe knows how the kernel registers. */
export const MASK_64 = U64_MAX;
export const MASK_24 = 0xff_ffffn;

/** How a known clocksource is registered: the TSC from tsc_khz, kvm-clock at 1 GHz, the ACPI PM timer. */
export interface KnownRegistration {
  readonly freq: number;
  readonly scale: number;
  readonly mask: bigint;
  /** Where the frequency comes from, for the report. */
  readonly basis: string;
}

/** kvm-clock counts nanoseconds: it registers as a 1 GHz clocksource (Hz, scale 1) with a 64-bit mask. */
export const KVM_CLOCK_HZ = 1_000_000_000;

/** kvm-clock's registration: 1 GHz, scale 1, 64-bit mask (mult 2^23, shift 23: exactly 1 ns per count). */
export function kvmClockRegistration(api: KvmclockApi): ClocksourceRegistration {
  return registerClocksource(api, 'kvm-clock', KVM_CLOCK_HZ, 1, MASK_64);
}

/** ACPI PM timer rate (Hz): 3.579545 MHz. */
export const ACPI_PM_HZ = 3_579_545;

/** The PIT's input clock (Hz), which the refined jiffies clocksource is derived from. */
export const PIT_TICK_RATE = 1_193_182;

/** ⌊(a + ⌊b/2⌋)/b⌋: a/b rounded half up, as the kernel's tick arithmetic rounds. */
const roundDiv = (a: bigint, b: bigint) => (a + b / 2n) / b;

/**
 * The tick counters `jiffies` and `refined-jiffies`: no frequency; one count per tick,
 * converted with a fixed mult = (ns per tick) << JIFFIES_SHIFT (8 for HZ >= 67, 7 for
 * HZ >= 34, else 6), a 32-bit mask, and the default 11 % maxadj. `jiffies` takes the ns per
 * tick as 10^9/HZ rounded; `refined-jiffies` derives it from the PIT rate: cycles per tick
 * = PIT/HZ rounded, ticks per second ×256 = PIT·256/(cycles per tick) rounded, then ns per
 * tick = 10^9·256/that rounded (the length of a real PIT tick, slightly over 10^9/HZ).
 */
export function jiffiesRegistration(api: KvmclockApi, name: 'jiffies' | 'refined-jiffies', hz: number): ClocksourceRegistration {
  const HZ = BigInt(hz);
  const shift = hz < 34 ? 6 : hz < 67 ? 7 : 8;
  let nsPerTick: bigint;
  if (name === 'jiffies') {
    nsPerTick = roundDiv(1_000_000_000n, HZ);
  } else {
    const pit = BigInt(PIT_TICK_RATE);
    const cyclesPerTick = roundDiv(pit, HZ);
    const hz256 = BigInt.asUintN(32, roundDiv(pit << 8n, cyclesPerTick));
    nsPerTick = BigInt.asUintN(32, roundDiv(1_000_000_000n << 8n, hz256));
  }
  const mult = Number(BigInt.asUintN(32, nsPerTick << BigInt(shift)));
  const maxadj = Number(BigInt.asUintN(32, (BigInt(mult) * 11n) / 100n));
  const mask = 0xffff_ffffn;
  const p = { mult, shift, maxadj, maxsec: 0n };
  return { name, freq: 0, scale: 0, mask, ...p, ...maxDeferment(api, p, mask) };
}
