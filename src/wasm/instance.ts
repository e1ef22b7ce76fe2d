/**
 * Loads the embedded kvmclock WebAssembly modules: portable base64 decoding, synchronous
 * lazy instantiation with no imports, typed exports, batch-buffer views that follow
 * memory.buffer, and Wasm traps turned into {@link InternalError}.
 *
 * Two binaries with the same exports are embedded: the scalar build (every engine with
 * WebAssembly runs it) and the SIMD build, whose batch forms are v128 kernels. Scalar calls
 * always use the scalar module; batch forms use the SIMD module when the engine can
 * instantiate it and fall back to the scalar one otherwise, which {@link wasmBatchEngine}
 * reports (with the reason).
 */
import { EnvironmentError, InternalError } from '../errors.js';
import { WASM_BASE64, WASM_BYTE_LENGTH, WASM_SHA256, WASM_SIMD_BASE64, WASM_SIMD_BYTE_LENGTH, WASM_SIMD_SHA256 } from './binary.gen.js';

/** An exported Wasm global as JS sees it (i64 → bigint, signed; i32 → number, signed). */
export interface WasmGlobal<T> {
  readonly value: T;
}

/**
 * The module's exports (assembly/index.ts). i64 arguments accept any bigint (wrapped mod
 * 2^64) and i64 results come back signed; i32 results come back signed.
 */
export interface KvmclockExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly STATUS_OK: WasmGlobal<number>;
  readonly STATUS_DIV0: WasmGlobal<number>;
  readonly STATUS_OVERFLOW: WasmGlobal<number>;
  readonly STATUS_DE: WasmGlobal<number>;
  readonly STATUS_HANG: WasmGlobal<number>;
  readonly STATUS_ZERO: WasmGlobal<number>;
  readonly STATUS_TOOLARGE: WasmGlobal<number>;
  readonly STATUS_EINVAL: WasmGlobal<number>;
  readonly STATUS_ERANGE: WasmGlobal<number>;
  readonly STATUS_NOFREQ: WasmGlobal<number>;
  readonly STATUS_NOMASTER: WasmGlobal<number>;
  readonly STATUS_INVALID: WasmGlobal<number>;
  readonly STATUS_NOFIT: WasmGlobal<number>;
  readonly CLOCK_GUEST_PADS: WasmGlobal<number>;
  readonly CLOCK_GUEST_MUL: WasmGlobal<number>;
  readonly CLOCK_GUEST_SHIFT: WasmGlobal<number>;
  readonly CLOCK_GUEST_NO_MASTER: WasmGlobal<number>;
  readonly CLOCK_GUEST_NO_FREQ: WasmGlobal<number>;
  readonly CLOCK_GUEST_TSC_BEHIND: WasmGlobal<number>;
  readonly HV_INVALID_UNSTABLE: WasmGlobal<number>;
  readonly HV_INVALID_MUL: WasmGlobal<number>;
  readonly SET_TSC_RATIO_WRITTEN: WasmGlobal<number>;
  readonly SET_TSC_USE_SCALING: WasmGlobal<number>;
  readonly SET_TSC_CATCHUP: WasmGlobal<number>;
  readonly SET_TSC_VIRTUAL_SCALE: WasmGlobal<number>;
  readonly res0: WasmGlobal<bigint>;
  readonly res1: WasmGlobal<bigint>;
  readonly resI0: WasmGlobal<number>;
  readonly resI1: WasmGlobal<number>;
  readonly resI2: WasmGlobal<number>;
  readonly resI3: WasmGlobal<number>;
  mulU64U32Shr(a: bigint, mul: number, shift: number): bigint;
  mulU64U64Shr(a: bigint, b: bigint, shift: number): bigint;
  mulS64U64Shr(a: bigint, b: bigint, shift: number): bigint;
  mulU64U32Div(a: bigint, mul: number, div: number): number;
  mulU64U32DivGeneric(a: bigint, mul: number, div: number): number;
  getTimeScale(scaledHz: bigint, baseHz: bigint): number;
  pvclockScaleDelta(delta: bigint, mul: number, shift: number): bigint;
  pvclockRead(tsc: bigint, tscTimestamp: bigint, systemTime: bigint, mul: number, shift: number): bigint;
  pvclockTscKhz(mul: number, shift: number): number;
  pvclockGuestRead(ret: bigint, flags: number, validFlags: number, lastValue: bigint): void;
  scaleTsc(tsc: bigint, ratio: bigint, frac: number): bigint;
  tscRatio(userKhz: number, hostKhz: number, frac: number, maxRatio: bigint): number;
  computeL1TscOffset(targetTsc: bigint, hostTsc: bigint, ratio: bigint, frac: number): bigint;
  readL1Tsc(hostTsc: bigint, offset: bigint, ratio: bigint, frac: number): bigint;
  nestedTscOffset(l1Offset: bigint, l2Offset: bigint, l2Mult: bigint, frac: number): bigint;
  nestedTscMultiplier(l1Mult: bigint, l2Mult: bigint, frac: number): bigint;
  adjustTscKhz(khz: number, ppm: number): number;
  maxGuestTscKhz(hostKhz: number, maxRatio: bigint, frac: number): number;
  tgtTscKhz(hostKhz: number, ratio: bigint, frac: number, hasControl: number): bigint;
  setTscKhz(userKhz: number, hostKhz: number, hasControl: number, frac: number, maxRatio: bigint, tolPpm: number): number;
  clocksCalcMultShift(from: number, to: number, maxsec: number): number;
  clocksourceRegister(freq: number, scale: number, mask: bigint): void;
  rawNs(cycles: bigint, cycleLast: bigint, rawSec: bigint, xtimeNsec: bigint, mult: number, shift: number): bigint;
  kvmBaseNs(cycles: bigint, cycleLast: bigint, rawSec: bigint, xtimeNsec: bigint, mult: number, shift: number, offsBoot: bigint): bigint;
  cyc2ns(delta: bigint, mult: number, shift: number): bigint;
  setClock(clock: bigint, flags: number, realtime: bigint, nowReal: bigint, useMasterClock: number, masterKernelNs: bigint, baseNow: bigint): number;
  wallClock(wallNs: bigint): void;
  syncWindow(data: bigint, lastWrite: bigint, elapsedNs: bigint, virtualTscKhz: number, virtualTscMult: number, virtualTscShift: number): number;
  // Upstream variants (assembly/tsckhz.ts, masterclock.ts, catchup.ts, clockguest.ts).
  tgtTscHz(hostKhz: bigint, ratio: bigint, frac: number, hasControl: number): number;
  masterTscScale(hostKhz: bigint, ratio: bigint, frac: number, hasControl: number): number;
  getKvmclock(viaGuestTsc: number, hostTsc: bigint, masterCycleNow: bigint, masterKernelNs: bigint, kvmclockOffset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: number): number;
  /** Bit 0: master clock in use; bit 1: TSC_STABLE. */
  mclockMode(offsetTscs: number, matchedTsc: number, matchedFreq: number, tscClocksource: number, backwardsTsc: number, oldKvmclock: number): number;
  computeGuestTsc(thisTscWrite: bigint, thisTscNsec: bigint, kernelNs: bigint, virtualTscMult: number, virtualTscShift: number, signed: number): bigint;
  tscCatchup(upscaleToNow: number, signed: number, thisTscWrite: bigint, thisTscNsec: bigint, virtualTscMult: number, virtualTscShift: number, l1Offset: bigint, ratio: bigint, frac: number, masterCycleNow: bigint, masterKernelNs: bigint, hostTscNow: bigint, kernelNsNow: bigint): void;
  hvclockToHz(mul: number, shift: number): number;
  setClockGuestV6(tscTimestamp: bigint, systemTime: bigint, mul: number, shift: number, padsNonzero: number, useMasterClock: number, masterCycleNow: bigint, masterKernelNs: bigint, l1Offset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: number): number;
  // Guest clock ABIs (assembly/hyperv.ts, xen.ts, vmclock.ts).
  hvTscPage(mul: number, shift: number, tscTimestamp: bigint, systemTime: bigint, flags: number): number;
  hvRefRead(tsc: bigint, scale: bigint, offset: bigint): bigint;
  hvRefMsr(kvmclockNs: bigint): bigint;
  xenTscLeaf(tgtTscKhz: number): number;
  vmclockRead(counter: bigint, counterValue: bigint, periodFrac: bigint, shift: number, timeSec: bigint, timeFracSec: bigint): void;
  vmclockGettime(counter: bigint, counterValue: bigint, periodFrac: bigint, shift: number, timeSec: bigint, timeFracSec: bigint, timeType: number, flags: bigint, taiOffsetSec: number, clockStatus: number): number;
  vmclockPeriod(freqHz: bigint): number;
  getClockGuestV6(hzPvclock: number, useMasterClock: number, masterCycleNow: bigint, masterKernelNs: bigint, kvmclockOffset: bigint, l1Offset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: number, tscStable: number): number;
  batchCapacity(): number;
  batchBufferA(): number;
  batchBufferB(): number;
  pvclockReadBatch(n: number, tscTimestamp: bigint, systemTime: bigint, mul: number, shift: number): void;
  pvclockScaleDeltaBatch(n: number, mul: number, shift: number): void;
  scaleTscBatch(n: number, ratio: bigint, frac: number): void;
  readL1TscBatch(n: number, offset: bigint, ratio: bigint, frac: number): void;
  mulU64U64ShrBatch(n: number, shift: number): void;
  guestKvmclockBatch(n: number, l1Offset: bigint, ratio: bigint, frac: number, tscTimestamp: bigint, systemTime: bigint, mul: number, shift: number): void;
  /** Returns n, or the index of the first base_hz on which the kernel loops forever. */
  getTimeScaleBatch(n: number, scaledHz: bigint): number;
  fillRampBatch(n: number, start: bigint, step: bigint, first: bigint): void;
  sumBatch(n: number): bigint;
  // Sampled drift extremes (assembly/extremes.ts).
  extremesInstants(m: bigint, horizonCycles: bigint, n: bigint): void;
  extremesGuest(offset: bigint, ratio: bigint, frac: number, tscTimestamp: bigint, systemTime: bigint, mul: number, shift: number): void;
  extremesHost(hostMul: number, hostShift: number, cycleLast: bigint, xtimeNsec: bigint, mult: number, shift: number, base: bigint): void;
  extremesRun(from: bigint, to: bigint): void;
  /** C' (c-via-guest-tsc with TSC scaling): C converts the host TSC delta scaled by the guest's ratio (1) or not (0). */
  extremesScaledC(on: number): void;
  readonly minBC: WasmGlobal<bigint>;
  readonly maxBC: WasmGlobal<bigint>;
  readonly minBA: WasmGlobal<bigint>;
  readonly maxBA: WasmGlobal<bigint>;
  readonly minBCAt: WasmGlobal<bigint>;
  readonly maxBCAt: WasmGlobal<bigint>;
  readonly minBAAt: WasmGlobal<bigint>;
  readonly maxBAAt: WasmGlobal<bigint>;
  // The exact sweep point chain (assembly/points.ts).
  readonly PF_CONTROL: WasmGlobal<number>;
  readonly PF_HZ_PVCLOCK: WasmGlobal<number>;
  readonly PF_C_VIA_GUEST_TSC: WasmGlobal<number>;
  readonly PF_KEEP_ACTIVE: WasmGlobal<number>;
  readonly PF_HORIZON: WasmGlobal<number>;
  readonly O_STATUS: WasmGlobal<number>;
  readonly O_CLOCKSOURCE: WasmGlobal<number>;
  readonly O_RATIO: WasmGlobal<number>;
  readonly O_TGT_KHZ: WasmGlobal<number>;
  readonly O_GUEST_SCALE: WasmGlobal<number>;
  readonly O_HOST_SCALE: WasmGlobal<number>;
  readonly O_MASTER_KERNEL_NS: WasmGlobal<number>;
  readonly O_TSC_TIMESTAMP: WasmGlobal<number>;
  readonly O_SYSTEM_TIME: WasmGlobal<number>;
  readonly O_GUEST_TSC: WasmGlobal<number>;
  readonly O_A: WasmGlobal<number>;
  readonly O_B: WasmGlobal<number>;
  readonly O_C: WasmGlobal<number>;
  readonly O_STEP: WasmGlobal<number>;
  readonly O_CONTINUOUS_OFFSET: WasmGlobal<number>;
  readonly O_MAX_GUEST_KHZ: WasmGlobal<number>;
  readonly O_H: WasmGlobal<number>;
  readonly O_WORST: WasmGlobal<number>;
  readonly SCALING_SCALED: WasmGlobal<number>;
  readonly SCALING_WITHIN_TOLERANCE: WasmGlobal<number>;
  readonly SCALING_CATCH_UP: WasmGlobal<number>;
  readonly SCALING_REFUSED_SLOWER: WasmGlobal<number>;
  readonly SCALING_REFUSED_RATIO: WasmGlobal<number>;
  readonly SCALING_REFUSED_MAX_GUEST: WasmGlobal<number>;
  readonly SET_WRITTEN: WasmGlobal<number>;
  readonly SET_USE_SCALING: WasmGlobal<number>;
  readonly SET_CATCHUP: WasmGlobal<number>;
  pointsCapacity(): number;
  pointsInput(): number;
  pointsOutput(): number;
  pointInWords(): number;
  pointOutWords(): number;
  pointsSetup(c0: bigint, rawSec: bigint, xtimeNsec: bigint, offsBoot: bigint, kvmclockOffset: bigint, m: bigint, l1Offset: bigint, tolPpm: number): void;
  /** Returns the number of points whose status is not OK. */
  pointsRun(n: number): number;
  // Printing the chain's points (assembly/points-text.ts).
  readonly TEXT_DECLINED: WasmGlobal<number>;
  readonly SLOT_SCALING: WasmGlobal<number>;
  readonly SLOT_TRUE: WasmGlobal<number>;
  readonly SLOT_FALSE: WasmGlobal<number>;
  readonly SLOT_VENDOR: WasmGlobal<number>;
  readonly SLOT_JSON: WasmGlobal<number>;
  readonly SLOT_KERNEL: WasmGlobal<number>;
  textBuffer(): number;
  textEnds(): number;
  textPoints(): number;
  textSlotTable(): number;
  textStrings(): number;
  textSlots(): number;
  textStringBytes(): number;
  /** Returns the bytes written to the text buffer. */
  pointsText(first: number, n: number, index: bigint, csv: number, kernelField: number): number;
}

/** Typed views over the two batch buffers; each holds `capacity` u64. */
export interface BatchViews {
  readonly capacity: number;
  /** Buffer A: inputs, overwritten in place with the results. */
  readonly a: BigUint64Array;
  /** Buffer B: the second operand of two-operand batch forms. */
  readonly b: BigUint64Array;
}

/** One entry of WebAssembly.Module.imports(). */
export interface WasmImportDescriptor {
  readonly module: string;
  readonly name: string;
  readonly kind: string;
}

// The project compiles against lib ES2022 and @types/node 20, neither of which declares
// the WebAssembly namespace, so the few members used here are typed locally.
interface WebAssemblyApi {
  Module: { new (bytes: Uint8Array): object; imports(module: object): WasmImportDescriptor[] };
  validate(bytes: Uint8Array): boolean;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  RuntimeError: new (message?: string) => Error;
}

function webAssembly(): WebAssemblyApi {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (api === undefined) throw new InternalError('WebAssembly is not available in this JavaScript environment; use the reference backend');
  return api;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Decodes standard base64 (RFC 4648 §4, `=` padding optional) without Buffer or atob, so
 * it runs unchanged in Node, browsers and workers.
 * @throws InternalError on a character outside the alphabet.
 * @example decodeBase64('AGFzbQ==') // Uint8Array [0, 97, 115, 109]
 */
export function decodeBase64(text: string): Uint8Array {
  const lookup = new Int16Array(128).fill(-1);
  for (let i = 0; i < BASE64_ALPHABET.length; i++) lookup[BASE64_ALPHABET.charCodeAt(i)] = i;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* '=' */) end--;
  const out = new Uint8Array((end * 3) >> 2);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? lookup[c] : -1;
    if (v < 0) throw new InternalError(`invalid base64 character at offset ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Which of the two embedded binaries. */
export type WasmBuild = 'scalar' | 'simd';

interface BuildData {
  readonly base64: string;
  readonly byteLength: number;
  readonly sha256: string;
  bytes?: Uint8Array;
  module?: object;
}

const BUILDS: Record<WasmBuild, BuildData> = {
  scalar: { base64: WASM_BASE64, byteLength: WASM_BYTE_LENGTH, sha256: WASM_SHA256 },
  simd: { base64: WASM_SIMD_BASE64, byteLength: WASM_SIMD_BYTE_LENGTH, sha256: WASM_SIMD_SHA256 },
};

/** The embedded bytes of one build (decoded once). */
export function buildBytes(build: WasmBuild): Uint8Array {
  const b = BUILDS[build];
  if (b.bytes === undefined) {
    const bytes = decodeBase64(b.base64);
    if (bytes.length !== b.byteLength) throw new InternalError(`embedded ${build} Wasm decodes to ${bytes.length} bytes, expected ${b.byteLength}`);
    b.bytes = bytes;
  }
  return b.bytes;
}

/** The scalar module's bytes (decoded once). */
export function wasmBytes(): Uint8Array {
  return buildBytes('scalar');
}

/**
 * How engines say that the embedder forbids compiling WebAssembly: a page whose
 * Content-Security-Policy lacks 'wasm-unsafe-eval' (Chromium: "Wasm code generation
 * disallowed by embedder" or a message naming 'unsafe-eval'; Firefox and WebKit name the CSP).
 */
const CSP_REFUSAL = /disallowed by embedder|wasm-unsafe-eval|unsafe-eval|content security policy|content-security-policy/i;

/** The typed error for a compile refused by the page's Content-Security-Policy. */
export function cspError(cause: unknown): EnvironmentError {
  return new EnvironmentError(
    'csp',
    "kvmclock cannot compile its embedded WebAssembly module: this page's Content-Security-Policy forbids WebAssembly compilation. Allow it with 'wasm-unsafe-eval' in script-src (e.g. script-src 'self' 'wasm-unsafe-eval'), or use kvmclock('reference'), which needs no WebAssembly",
    { cause },
  );
}

/** How V8 words an instance whose linear memory it could not reserve. */
const MEMORY_REFUSAL = /out of memory|cannot allocate|could not allocate/i;

/**
 * The typed error for an instance the engine could not give memory. On 64-bit V8 reserves
 * about 10 GiB of address space for each WebAssembly memory (its out-of-bounds guard
 * regions, used by the trap handler), so a virtual-memory limit (ulimit -v, RLIMIT_AS)
 * below that refuses every instance however little memory kvmclock uses.
 */
export function wasmMemoryError(build: WasmBuild, cause: unknown): EnvironmentError {
  return new EnvironmentError(
    'memory',
    `kvmclock cannot instantiate its embedded ${build} WebAssembly module: the engine could not reserve its memory (${String((cause as Error)?.message ?? cause)}). ` +
      'V8 reserves about 10 GiB of address space per WebAssembly memory for its guard regions, which a virtual-memory limit (ulimit -v) refuses: ' +
      'start Node with --disable-wasm-trap-handler (e.g. NODE_OPTIONS=--disable-wasm-trap-handler; the kvmclock command does this itself), raise the limit, or use the reference backend',
    { cause },
  );
}

function compiled(build: WasmBuild): object {
  const b = BUILDS[build];
  if (b.module === undefined) {
    try {
      b.module = new (webAssembly().Module)(buildBytes(build));
    } catch (e) {
      if (e instanceof InternalError) throw e;
      if (CSP_REFUSAL.test(String((e as Error)?.message ?? e))) throw cspError(e);
      throw new InternalError(`cannot compile the embedded ${build} Wasm module: ${String(e)}`, { cause: e });
    }
  }
  return b.module;
}

/** What the embedded scalar module imports (expected: nothing). */
export function wasmImports(build: WasmBuild = 'scalar'): WasmImportDescriptor[] {
  return webAssembly().Module.imports(compiled(build));
}

/**
 * Byte size and sha256 (hex) of the embedded scalar module (and, under `simd`, of the SIMD
 * module), without instantiating either.
 * @example wasmInfo().byteLength // a few KB
 */
export function wasmInfo(): { readonly byteLength: number; readonly sha256: string; readonly simd: { readonly byteLength: number; readonly sha256: string } } {
  return { byteLength: WASM_BYTE_LENGTH, sha256: WASM_SHA256, simd: { byteLength: WASM_SIMD_BYTE_LENGTH, sha256: WASM_SIMD_SHA256 } };
}

// Rethrows a Wasm trap as InternalError naming the export; other errors pass through.
function asInternal(name: string, e: unknown): unknown {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (api !== undefined && e instanceof api.RuntimeError) {
    return new InternalError(`Wasm trap in ${name}: ${(e as Error).message}`, { cause: e });
  }
  return e;
}

// Wraps an exported function so that a trap surfaces as InternalError.
function guard(name: string, fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  return function guarded(): unknown {
    try {
      // eslint-disable-next-line prefer-rest-params
      return Reflect.apply(fn, undefined, arguments);
    } catch (e) {
      throw asInternal(name, e);
    }
  };
}

/**
 * A new, private instance of one build (its own memory and batch buffers): what each
 * stream converter and each worker thread uses, so that nothing is shared between them.
 * @throws EnvironmentError (reason `memory`) when the engine cannot reserve the instance's memory (see {@link wasmMemoryError});
 *   InternalError when WebAssembly is unavailable or the build does not compile or instantiate.
 */
export function instantiate(build: WasmBuild): KvmclockExports {
  let raw: Record<string, unknown>;
  try {
    raw = new (webAssembly().Instance)(compiled(build), {}).exports;
  } catch (e) {
    if (e instanceof EnvironmentError) throw e;
    if (!(e instanceof InternalError) && CSP_REFUSAL.test(String((e as Error)?.message ?? e))) throw cspError(e);
    if (e instanceof RangeError && MEMORY_REFUSAL.test(e.message)) throw wasmMemoryError(build, e);
    throw e instanceof InternalError ? e : new InternalError(`cannot instantiate the embedded ${build} Wasm module: ${String(e)}`, { cause: e });
  }
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    wrapped[name] = typeof value === 'function' ? guard(name, value as (...args: unknown[]) => unknown) : value;
  }
  return Object.freeze(wrapped) as unknown as KvmclockExports;
}

let cachedExports: KvmclockExports | undefined;

/**
 * The scalar module's exports, created synchronously on first use with
 * `new WebAssembly.Instance(new WebAssembly.Module(bytes), {})` (a few KB, so synchronous
 * compilation is allowed everywhere). Every exported function is wrapped so that a trap
 * (WebAssembly.RuntimeError: a kvmclock bug, never a kernel-defined failure) becomes an
 * {@link InternalError}.
 * @throws InternalError when WebAssembly is unavailable or the module does not compile.
 */
export function wasmExports(): KvmclockExports {
  if (cachedExports === undefined) cachedExports = instantiate('scalar');
  return cachedExports;
}

/** Which build runs the batch forms, and why. */
export interface BatchEngine {
  /** True when the SIMD module runs the batch forms. */
  readonly simd: boolean;
  /** A sentence saying which module is used and, for the scalar one, why. */
  readonly reason: string;
}

type SimdState = { readonly exports: KvmclockExports; readonly engine: BatchEngine } | { readonly exports: undefined; readonly engine: BatchEngine };
let simdState: SimdState | undefined;
let forcedScalar = false;

/** The SIMD build if this engine validates and instantiates it, else a reason why not (probed once). */
export function probeSimd(): SimdState {
  if (simdState === undefined) {
    const api = webAssembly();
    const bytes = buildBytes('simd');
    let valid: boolean;
    try {
      valid = api.validate(bytes);
    } catch (e) {
      // A page that forbids compilation may refuse validate() too; say so rather than guess.
      if (CSP_REFUSAL.test(String((e as Error)?.message ?? e))) throw cspError(e);
      throw e;
    }
    if (!valid) {
      simdState = { exports: undefined, engine: { simd: false, reason: 'scalar Wasm batch kernels: this engine does not support WebAssembly SIMD (the SIMD module does not validate)' } };
    } else {
      try {
        simdState = { exports: instantiate('simd'), engine: { simd: true, reason: 'Wasm SIMD batch kernels (v128)' } };
      } catch (e) {
        if (e instanceof EnvironmentError) throw e;
        simdState = { exports: undefined, engine: { simd: false, reason: `scalar Wasm batch kernels: the SIMD module cannot be instantiated (${(e as Error).message})` } };
      }
    }
  }
  return simdState;
}

/**
 * Which module the Wasm backend's batch forms use: the SIMD one when the engine supports
 * it, otherwise the scalar one, with the reason.
 * @example wasmBatchEngine() // { simd: true, reason: 'Wasm SIMD batch kernels (v128)' }
 */
export function wasmBatchEngine(): BatchEngine {
  if (forcedScalar) return { simd: false, reason: 'scalar Wasm batch kernels: SIMD disabled by setWasmBatchEngine("scalar")' };
  return probeSimd().engine;
}

/**
 * Chooses the batch kernels: 'auto' (SIMD when available, the default) or 'scalar'
 * (the scalar module, e.g. to compare the two or to rule out an engine's SIMD support).
 */
export function setWasmBatchEngine(engine: 'auto' | 'scalar'): void {
  forcedScalar = engine === 'scalar';
}

/** The exports that run batch forms: the SIMD instance when available, else the scalar one. */
export function batchExports(): KvmclockExports {
  if (forcedScalar) return wasmExports();
  return probeSimd().exports ?? wasmExports();
}

const viewCache = new WeakMap<KvmclockExports, { buffer: ArrayBuffer; views: BatchViews }>();

/**
 * BigUint64Array views over an instance's batch buffers, rebuilt whenever its
 * memory.buffer changes (a grown memory detaches the old ArrayBuffer).
 */
export function viewsOf(exports: KvmclockExports): BatchViews {
  const buffer = exports.memory.buffer;
  const cached = viewCache.get(exports);
  if (cached !== undefined && cached.buffer === buffer) return cached.views;
  const capacity = exports.batchCapacity();
  const views: BatchViews = {
    capacity,
    a: new BigUint64Array(buffer, exports.batchBufferA(), capacity),
    b: new BigUint64Array(buffer, exports.batchBufferB(), capacity),
  };
  viewCache.set(exports, { buffer, views });
  return views;
}

/** Views over the scalar instance's batch buffers (see {@link viewsOf}). */
export function batchViews(): BatchViews {
  return viewsOf(wasmExports());
}
