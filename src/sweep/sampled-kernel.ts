/**
 * Sampled extremes on the chosen backend: the Wasm kernel (assembly/extremes.ts) or the
 * BigInt reference. Both fold the same instants into the same extremes.
 */
import type { KvmclockApi } from '../api.js';
import type { BackendName } from '../backend.js';
import type { ClockState } from '../model/definitions.js';
import { wasmSampledExtremes } from '../wasm/extremes.js';
import { type RawExtremes, sampledExtremesReference } from './sampled.js';

export function sampledExtremes(backend: BackendName, api: KvmclockApi, state: ClockState, horizonCycles: bigint, samples: bigint): RawExtremes {
  return backend === 'wasm' ? wasmSampledExtremes(state, horizonCycles, samples) : sampledExtremesReference(api, state, horizonCycles, samples);
}
