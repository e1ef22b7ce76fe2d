/**
 * Exact durations for the CLI and scenario files: `300ms`, `1.5s`, `30d`, `1y`, or a
 * bare number of seconds. Parsed to integer nanoseconds with BigInt, never floats.
 */
import { ArgumentRangeError, ArgumentTypeError } from './errors.js';

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  min: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
  y: 31_536_000_000_000_000n, // 365 days
};

const PATTERN = /^([0-9]+)(?:\.([0-9]+))?\s*([a-zµ]*)$/;

/**
 * Parse a duration to nanoseconds. A number is seconds. A string is a decimal with an
 * optional unit (ns, us, ms, s, m/min, h, d, w, y = 365 d); no unit means seconds.
 * Fractions must resolve to whole nanoseconds.
 */
export function parseDurationNs(v: unknown, name: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new ArgumentRangeError(name, 'duration', 0n, BigInt(Number.MAX_SAFE_INTEGER), v, 'a non-negative number of seconds');
    return parseDurationNs(String(v), name);
  }
  if (typeof v !== 'string') throw new ArgumentTypeError(name, 'a duration such as "300ms", "1.5s", "30d" or a number of seconds', v);
  const m = PATTERN.exec(v.trim());
  const unit = m?.[3] === '' ? 's' : m?.[3];
  const scale = unit === undefined ? undefined : UNIT_NS[unit];
  if (m === null || scale === undefined) {
    throw new ArgumentTypeError(name, `a duration: a non-negative decimal with a unit of ${Object.keys(UNIT_NS).join('/')} (no unit: seconds)`, v);
  }
  const frac = m[2] ?? '';
  const denom = 10n ** BigInt(frac.length);
  const total = BigInt(m[1]) * scale * denom + BigInt(frac === '' ? '0' : frac) * scale;
  if (total % denom !== 0n) throw new ArgumentRangeError(name, 'duration', 0n, 0n, v, 'finer than one nanosecond');
  return total / denom;
}

/** A duration in ns as a short human string (exact when it is a whole number of the unit). */
export function formatDurationNs(ns: bigint): string {
  const units: [string, bigint][] = [
    ['y', UNIT_NS.y],
    ['d', UNIT_NS.d],
    ['h', UNIT_NS.h],
    ['m', UNIT_NS.m],
    ['s', UNIT_NS.s],
    ['ms', UNIT_NS.ms],
    ['us', UNIT_NS.us],
  ];
  for (const [u, scale] of units) if (ns !== 0n && ns % scale === 0n) return `${ns / scale}${u}`;
  return `${ns}ns`;
}

/**
 * A duration in ns, approximately, for messages and estimates: the largest unit it reaches
 * with three significant digits ("97.5y", "49.7d", "3.20h", "850ms"). Exact values belong
 * in {@link formatDurationNs}.
 */
export function describeDurationNs(ns: bigint): string {
  const units: [string, bigint][] = [
    ['y', UNIT_NS.y],
    ['d', UNIT_NS.d],
    ['h', UNIT_NS.h],
    ['min', UNIT_NS.m],
    ['s', UNIT_NS.s],
    ['ms', UNIT_NS.ms],
    ['us', UNIT_NS.us],
  ];
  const abs = ns < 0n ? -ns : ns;
  for (const [u, scale] of units) {
    if (abs >= scale) {
      const v = Number(ns) / Number(scale);
      const whole = Math.abs(v) >= 100;
      return `${whole ? Math.round(v) : Number(v.toPrecision(3))}${u}`;
    }
  }
  return `${ns}ns`;
}
