/**
 * Exact conversion rates of the kernel's fixed-point factors (spec §9), as fractions:
 * nanoseconds per cycle of a pvclock (mul, shift) or a clocksource (mult, shift).
 */
import type { Ratio } from '../rational.js';

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
