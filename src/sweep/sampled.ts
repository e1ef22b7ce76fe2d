/**
 * Sampled mode of a sweep: B and C (and A) evaluated by brute force at N host-TSC
 * instants spread evenly over the horizon, reduced to the extremes of B − C and B − A
 * and where they occur. The floors and pre-shifts of the kernel's arithmetic make the
 * divergence a staircase, so its true extremes need not sit at the horizon.
 *
 * Instant i of N (N ≥ 2) is h_i = M + ⌊i·H/(N−1)⌋ (so the first is the reference M and
 * the last M + H); N = 1 samples only M + H. The reference implementation below is
 * BigInt and slow; the Wasm kernel (assembly/extremes.ts) computes the same values.
 */
import type { KvmclockApi } from '../api.js';
import { type ClockState, clockA, clockB, clockC } from '../model/definitions.js';

export interface Extreme {
  readonly ns: bigint;
  /** The sample index, its host TSC and its time since the reference in ns (floored). */
  readonly sample: bigint;
  readonly atTsc: bigint;
  readonly atNs: bigint;
}

export interface SampledExtremes {
  readonly samples: bigint;
  readonly bMinusC: { readonly min: Extreme; readonly max: Extreme };
  readonly bMinusA: { readonly min: Extreme; readonly max: Extreme };
}

/** The host TSC of sample i of n over [m, m + horizonCycles]. */
export function sampleInstant(m: bigint, horizonCycles: bigint, n: bigint, i: bigint): bigint {
  return n <= 1n ? m + horizonCycles : m + (i * horizonCycles) / (n - 1n);
}

/** Raw extremes as the kernels produce them: values and sample indices. */
export interface RawExtremes {
  readonly minBC: bigint;
  readonly maxBC: bigint;
  readonly minBA: bigint;
  readonly maxBA: bigint;
  readonly minBCAt: bigint;
  readonly maxBCAt: bigint;
  readonly minBAAt: bigint;
  readonly maxBAAt: bigint;
}

/** Attach instants to raw extremes. */
export function describeExtremes(raw: RawExtremes, m: bigint, horizonCycles: bigint, n: bigint, hostKhz: number): SampledExtremes {
  const at = (ns: bigint, sample: bigint): Extreme => {
    const atTsc = sampleInstant(m, horizonCycles, n, sample);
    return { ns, sample, atTsc, atNs: ((atTsc - m) * 1_000_000n) / BigInt(hostKhz) };
  };
  return {
    samples: n,
    bMinusC: { min: at(raw.minBC, raw.minBCAt), max: at(raw.maxBC, raw.maxBCAt) },
    bMinusA: { min: at(raw.minBA, raw.minBAAt), max: at(raw.maxBA, raw.maxBAAt) },
  };
}

/** Brute force in BigInt over the model's definitions of A, B, C: the definition of correctness for sampled mode. */
export function sampledExtremesReference(api: KvmclockApi, state: ClockState, horizonCycles: bigint, n: bigint): RawExtremes {
  let minBC = 0n, maxBC = 0n, minBA = 0n, maxBA = 0n;
  let minBCAt = 0n, maxBCAt = 0n, minBAAt = 0n, maxBAAt = 0n;
  for (let i = 0n; i < n; i++) {
    const h = sampleInstant(state.masterCycleNow, horizonCycles, n, i);
    const b = clockB(api, state, h);
    const bc = BigInt.asIntN(64, b - clockC(api, state, h));
    const ba = BigInt.asIntN(64, b - clockA(api, state, h));
    if (i === 0n || bc < minBC) [minBC, minBCAt] = [bc, i];
    if (i === 0n || bc > maxBC) [maxBC, maxBCAt] = [bc, i];
    if (i === 0n || ba < minBA) [minBA, minBAAt] = [ba, i];
    if (i === 0n || ba > maxBA) [maxBA, maxBAAt] = [ba, i];
  }
  return { minBC, maxBC, minBA, maxBA, minBCAt, maxBCAt, minBAAt, maxBAAt };
}
