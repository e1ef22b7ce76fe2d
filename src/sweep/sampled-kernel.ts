/**
 * Sampled extremes on the chosen backend: the Wasm kernel (assembly/extremes.ts) or the
 * BigInt reference. Both fold the same instants into the same extremes, with C or C′ as the
 * state's kernel profile says. (A C′ whose snapshot ratio differs from the vCPU's, which no
 * sweep point has, is left to the reference.)
 */
import type { KvmclockApi } from '../api.js';
import type { BackendName } from '../backend.js';
import type { ClockState } from '../model/definitions.js';
import { scaledDeltaC, wasmSampledExtremes } from '../wasm/extremes.js';
import { type RawExtremes, sampledExtremesReference } from './sampled.js';

export function sampledExtremes(backend: BackendName, api: KvmclockApi, state: ClockState, horizonCycles: bigint, samples: bigint): RawExtremes {
  const wasm = backend === 'wasm' && !(scaledDeltaC(state) && (state.masterRatio ?? state.ratio) !== state.ratio);
  return wasm ? wasmSampledExtremes(state, horizonCycles, samples) : sampledExtremesReference(api, state, horizonCycles, samples);
}
