/**
 * Exact conversion rates of the kernel's fixed-point factors (spec §9), as fractions:
 * nanoseconds per cycle of a pvclock (mul, shift) or a clocksource (mult, shift).
 */
import type { Ratio } from '../rational.js';
import { type ClockState, kernelOf } from './definitions.js';

/** pvclock_scale_delta(x, mul, shift)/x for large x, exact: mul·2^shift/2^32. */
export function pvclockRate(mul: number, shift: number): Ratio {
  return shift >= 0 ? { num: BigInt(mul) << BigInt(shift), den: 1n << 32n } : { num: BigInt(mul), den: 1n << BigInt(32 - shift) };
}

/** A clocksource's ns per cycle, exact: mult/2^shift. */
export function clocksourceRate(mult: number, shift: number): Ratio {
  return { num: BigInt(mult), den: 1n << BigInt(shift) };
}

/** A TSC ratio as a fraction: ratio/2^frac. */
export function tscRatioRate(ratio: bigint, frac: number): Ratio {
  return { num: ratio, den: 1n << BigInt(frac) };
}

/** x·y as a fraction. */
export function times(x: Ratio, y: Ratio): Ratio {
  return { num: x.num * y.num, den: x.den * y.den };
}

/** x/y as a fraction. */
export function over(x: Ratio, y: Ratio): Ratio {
  return { num: x.num * y.den, den: x.den * y.num };
}

/** The rates of A, B and C per host cycle (ns), exact. */
export interface ClockRates {
  /** A: the host raw clock, mult/2^shift. */
  readonly a: Ratio;
  /** B: the guest pvclock through the vCPU ratio, (ratio/2^frac)·mul_g·2^shift_g/2^32. */
  readonly b: Ratio;
  /**
   * C: mul_h·2^shift_h/2^32 of the host TSC; under `c-via-guest-tsc` (C′) the delta passes
   * through the snapshot's VM ratio first, (masterRatio/2^frac)·mul_h′·2^shift_h′/2^32.
   */
  readonly c: Ratio;
}

/**
 * The exact rates of a clock state's definitions (spec §9; kernel-variants §9.2). They are
 * the slopes the floors oscillate around: B − C at a horizon is this rate difference times
 * the elapsed cycles, up to the rounding of the last conversion.
 */
export function clockRates(s: ClockState): ClockRates {
  const kernel = kernelOf(s);
  const a = clocksourceRate(s.raw.mult, s.raw.shift);
  const b = times(tscRatioRate(s.ratio, s.frac), pvclockRate(s.guestScale.mul, s.guestScale.shift));
  const hostScale = pvclockRate(s.hostScale.mul, s.hostScale.shift);
  const scaledDelta = kernel.has('c-via-guest-tsc') && (s.hasTscControl ?? true);
  const c = scaledDelta ? times(tscRatioRate(s.masterRatio ?? s.ratio, s.frac), hostScale) : hostScale;
  return { a, b, c };
}
