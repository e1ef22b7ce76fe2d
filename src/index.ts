/**
 * kvmclock: Linux KVM/x86 guest-time arithmetic, bit for bit.
 *
 * The named functions use the WebAssembly backend. `kvmclock('reference')` gives the
 * same API on the BigInt reference implementation (the definition of correctness).
 * There is no silent fallback: asking for the Wasm backend on an engine without
 * WebAssembly throws.
 */
import { createApi, type KvmclockApi } from './api.js';
import type { Backend, BackendName } from './backend.js';
import { ArgumentRangeError, ArgumentTypeError } from './errors.js';
import { referenceBackend } from './reference/index.js';
import { wasmBackend } from './wasm/index.js';

export type {
  Backend,
  BackendName,
  ClockGuestRecord,
  ClocksourceParams,
  GuestRead,
  HvTscPage,
  MasterClockMode,
  MultShift,
  PvclockParams,
  SetClockGuestV6Result,
  SetTscKhzResult,
  TimeScale,
  TimeScaleBatch,
  TscCatchupResult,
  VmclockPeriod,
  VmclockTime,
  WallClock,
  XenTscLeaf,
} from './backend.js';
export { KernelProfile, PRESETS, PRESET_NAMES, DEFAULT_KERNEL, parseKernelList, sameChanges, type PresetName } from './kernel/profile.js';
export { CHANGES, CHANGE_IDS, type ChangeId, type ChangeInfo } from './kernel/changes.js';
export { wasmInfo, wasmBatchEngine, setWasmBatchEngine } from './wasm/index.js';
export type { BatchEngine } from './wasm/instance.js';
export type { KvmclockApi } from './api.js';
export * from './errors.js';
export * from './units.js';

const backends: Record<BackendName, Backend> = { reference: referenceBackend, wasm: wasmBackend };
const apis = new Map<BackendName, KvmclockApi>();

/** The validated API on the chosen backend (default `wasm`). */
export function kvmclock(backend: BackendName = 'wasm'): KvmclockApi {
  if (typeof backend !== 'string') throw new ArgumentTypeError('backend', "'wasm' | 'reference'", backend);
  let api = apis.get(backend);
  if (api === undefined) {
    if (!Object.hasOwn(backends, backend)) throw ArgumentRangeError.choice('backend', Object.keys(backends), backend);
    const impl = backends[backend];
    api = createApi(impl);
    apis.set(backend, api);
  }
  return api;
}

const wasm = kvmclock('wasm');

export const {
  mulU64U32Shr,
  mulU64U64Shr,
  mulS64U64Shr,
  mulU64U32Div,
  mulU64U32DivGeneric,
  getTimeScale,
  pvclockScaleDelta,
  pvclockRead,
  pvclockTscKhz,
  pvclockGuestRead,
  scaleTsc,
  tscRatio,
  computeL1TscOffset,
  readL1Tsc,
  nestedTscOffset,
  nestedTscMultiplier,
  adjustTscKhz,
  maxGuestTscKhz,
  tgtTscKhz,
  setTscKhz,
  clocksCalcMultShift,
  clocksourceRegister,
  clocksourceKhz,
  rawNs,
  kvmBaseNs,
  cyc2ns,
  syncWindow,
  setClock,
  wallClock,
  tgtTscHz,
  masterTscScale,
  getKvmclock,
  mclockMode,
  computeGuestTsc,
  tscCatchup,
  hvclockToHz,
  setClockGuestV6,
  getClockGuestV6,
  hvTscPage,
  hvRefRead,
  hvRefMsr,
  xenTscLeaf,
  vmclockRead,
  vmclockGettime,
  vmclockPeriod,
  pvclockReadBatch,
  pvclockScaleDeltaBatch,
  scaleTscBatch,
  readL1TscBatch,
  mulU64U64ShrBatch,
  guestKvmclockBatch,
} = wasm;
