/** Small exact helpers on Ratio values used by the probe's arithmetic. */
import type { Ratio } from '../rational.js';

/** a − b, exact. */
export function minus(a: Ratio, b: Ratio): Ratio {
  return { num: a.num * b.den - b.num * a.den, den: a.den * b.den };
}

/** |r| as a Number (for comparisons against tolerances, never for printed exact values). */
export function toNumber(r: Ratio): number {
  // Scale into a safe range before converting so huge numerators/denominators keep precision.
  const neg = r.num < 0n !== r.den < 0n;
  const n = r.num < 0n ? -r.num : r.num;
  const d = r.den < 0n ? -r.den : r.den;
  const q = n / d;
  const rem = n % d;
  const frac = Number((rem * 1_000_000_000_000n) / d) / 1e12;
  const v = Number(q) + frac;
  return neg ? -v : v;
}

/** An integer as a Ratio. */
export function whole(n: bigint): Ratio {
  return { num: n, den: 1n };
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** The same fraction in lowest terms, with a positive denominator. */
export function reduce(r: Ratio): Ratio {
  const g = gcd(r.num, r.den) || 1n;
  const s = r.den < 0n ? -1n : 1n;
  return { num: (s * r.num) / g, den: (s * r.den) / g };
}
