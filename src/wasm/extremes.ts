/**
 * The sampled-extremes kernel (assembly/extremes.ts) in Wasm: A, B and C at N instants
 * over a horizon, reduced inside Wasm to the extremes of B − C and B − A, with no
 * per-sample JS work and no memory proportional to N. It runs on the module the batch
 * forms use (batchExports: the SIMD build, whose kernel evaluates two samples per v128
 * step, when the engine supports it; else the scalar build); both give identical results.
 */
import { InternalError } from '../errors.js';
import { type ClockState, kernelOf } from '../model/definitions.js';
import type { RawExtremes } from '../sweep/sampled.js';
import { batchExports } from './instance.js';

const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);

/**
 * Samples per kernel call (about 3 ms; the result does not depend on it). Short calls also
 * let a fresh worker switch to V8's optimised code early: a call that started in the
 * baseline tier (Liftoff) finishes there, as Wasm has no on-stack replacement.
 */
const CHUNK = 1n << 20n;

/**
 * Whether C of a state is C′ with a scaled delta (c-via-guest-tsc with TSC scaling): the
 * host TSC delta scaled by the snapshot's ratio, then the snapshot's factors (state.hostScale).
 */
export function scaledDeltaC(s: ClockState): boolean {
  return kernelOf(s).has('c-via-guest-tsc') && (s.hasTscControl ?? true);
}

/**
 * Extremes of B − C and B − A over `samples` instants spread over
 * [M, M + horizonCycles] (see sweep/sampled.ts for the instants), computed in Wasm, with C
 * or, under c-via-guest-tsc, C′. Requires the raw clock's shift ≤ 63 (true for every
 * registered clocksource) and, for C′, the snapshot's ratio equal to the vCPU's (true of
 * every state `abc` builds; {@link scaledDeltaC} tells when it matters).
 */
export function wasmSampledExtremes(s: ClockState, horizonCycles: bigint, samples: bigint): RawExtremes {
  if (samples <= 0n) return { minBC: 0n, maxBC: 0n, minBA: 0n, maxBA: 0n, minBCAt: 0n, maxBCAt: 0n, minBAAt: 0n, maxBAAt: 0n }; // as the reference
  const w = batchExports();
  const tscTimestamp = lo64(s.l1TscOffset + (s.ratio === 1n << BigInt(s.frac) ? s.masterCycleNow : (s.masterCycleNow * s.ratio) >> BigInt(s.frac)));
  const systemTime = lo64(s.masterKernelNs + s.kvmclockOffset);
  const base = lo64(s.raw.rawSec * 1_000_000_000n + s.offsBootNs + s.kvmclockOffset);
  w.extremesInstants(s.masterCycleNow, horizonCycles, samples);
  w.extremesGuest(s.l1TscOffset, s.ratio, s.frac, tscTimestamp, systemTime, s.guestScale.mul, s.guestScale.shift);
  if (scaledDeltaC(s)) {
    if ((s.masterRatio ?? s.ratio) !== s.ratio) throw new InternalError('wasmSampledExtremes: C′ with a snapshot ratio other than the vCPU ratio is not supported by the Wasm kernel');
    w.extremesScaledC(1);
  }
  w.extremesHost(s.hostScale.mul, s.hostScale.shift, s.raw.cycleLast, s.raw.xtimeNsec, s.raw.mult, s.raw.shift, base);
  for (let from = 0n; from < samples; from += CHUNK) w.extremesRun(from, from + CHUNK < samples ? from + CHUNK : samples);
  return {
    minBC: s64(w.minBC.value),
    maxBC: s64(w.maxBC.value),
    minBA: s64(w.minBA.value),
    maxBA: s64(w.maxBA.value),
    minBCAt: lo64(w.minBCAt.value),
    maxBCAt: lo64(w.maxBCAt.value),
    minBAAt: lo64(w.minBAAt.value),
    maxBAAt: lo64(w.maxBAAt.value),
  };
}
