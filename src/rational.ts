/**
 * Exact rationals for drift rates. Rates are derived from the kernel's fixed-point
 * factors as exact fractions; only the final decimal rendering rounds.
 */

/** A rate relative to 1, as the exact fraction num/den (den > 0). */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

/** (num/den − 1)·10^9: the relative rate error in parts per billion, exact. */
export function ppbOf(r: Ratio): Ratio {
  return { num: (r.num - r.den) * 1_000_000_000n, den: r.den };
}

/** Round num/den to `digits` decimals, half away from zero, as a string (e.g. "-59.605"). */
export function formatDecimal(r: Ratio, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const negative = r.num < 0n !== r.den < 0n;
  const num = r.num < 0n ? -r.num : r.num;
  const den = r.den < 0n ? -r.den : r.den;
  const scaled = (num * scale * 2n + den) / (2n * den); // round half up on the magnitude
  const int = scaled / scale;
  const frac = (scaled % scale).toString().padStart(digits, '0');
  const sign = negative && scaled !== 0n ? '-' : '';
  return digits === 0 ? `${sign}${int}` : `${sign}${int}.${frac}`;
}

/** ⌊a/b⌋ for b > 0 (BigInt division truncates toward zero; this floors). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** The fraction in lowest terms with a positive denominator. */
export function reduce(r: Ratio): Ratio {
  let a = r.num < 0n ? -r.num : r.num;
  let b = r.den < 0n ? -r.den : r.den;
  while (b !== 0n) [a, b] = [b, a % b];
  const g = a === 0n ? 1n : a;
  const sign = r.den < 0n ? -1n : 1n;
  return { num: (sign * r.num) / g, den: (sign * r.den) / g };
}
