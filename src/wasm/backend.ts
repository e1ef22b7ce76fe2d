/**
 * The WebAssembly implementation of {@link Backend}: thin wrappers that call the
 * AssemblyScript exports (assembly/index.ts), lift i64 results to u64/s64 bigints, and
 * turn the module's status codes into the typed errors the interface documents.
 * Arguments are assumed validated by the caller (src/api.ts), as the interface states.
 */
import {
  timeScaleBatchHangRule,
  type Backend,
  type ClocksourceParams,
  type GuestRead,
  type MultShift,
  type PvclockParams,
  type SetTscKhzResult,
  type TimeScale,
  type WallClock,
} from '../backend.js';
import { ArithmeticFaultError, InternalError, KernelRuleError } from '../errors.js';
import { batchExports, viewsOf, wasmExports, type BatchViews, type KvmclockExports } from './instance.js';

/** Status codes returned by fallible exports; mirrors assembly/status.ts (checked by a test). */
export const WasmStatus = {
  ok: 0,
  div0: 1,
  overflow: 2,
  de: 3,
  hang: 4,
  zero: 5,
  toolarge: 6,
  EINVAL: 7,
} as const;

/** setTscKhz flag bits in resI1; mirrors assembly/tsckhz.ts (checked by a test). */
export const SetTscFlags = {
  ratioWritten: 1,
  useScaling: 2,
  catchup: 4,
  virtualScale: 8,
} as const;

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);

// A status the export is not documented to return: the ABI and this file disagree.
function unexpected(fn: string, status: number): InternalError {
  return new InternalError(`${fn} returned unexpected Wasm status ${status}`);
}

const MUL_DIV_DIV0 = 'mul_u64_u32_div divides by zero: divisor is 0 (x86-64 DIV raises #DE)';
const MUL_DIV_OVERFLOW = 'mul_u64_u32_div quotient does not fit 64 bits: a*mul/div >= 2^64 (x86-64 DIV raises #DE)';
const MUL_DIV_GENERIC_DIV0 = 'mul_u64_u32_div (generic 32-bit kernel version) divides by zero: divisor is 0';
const TIME_SCALE_HANG = 'kvm_get_time_scale never terminates: base_hz reduces to 0 (scaled_hz = 0 or 2^63, or base_hz = 0)';
const TSC_KHZ_DIV0 = 'pvclock_tsc_khz divides by zero: tsc_to_system_mul is 0';
const RATIO_DIV0 = 'kvm_set_tsc_khz ratio mul_u64_u32_div(2^frac, user_khz, host_khz) divides by zero: host tsc_khz is 0 (x86-64 #DE)';
const RATIO_OVERFLOW = 'kvm_set_tsc_khz ratio mul_u64_u32_div(2^frac, user_khz, host_khz) does not fit 64 bits (x86-64 #DE)';
const RATIO_ZERO = 'kvm_set_tsc_khz rejects a zero TSC scaling ratio: 2^frac * user_khz < host_khz';
const SET_TSC_KHZ_DE = 'kvm_set_tsc_khz takes a divide error: mul_u64_u32_div(2^frac, user_khz, host_khz) has host_khz = 0 or a quotient >= 2^64';
const CALC_MULT_SHIFT_DIV0 = 'clocks_calc_mult_shift divides by zero: from is 0';

function wasmMulU64U32Div(w: KvmclockExports, a: bigint, mul: number, div: number): bigint {
  const status = w.mulU64U32Div(a, mul, div);
  if (status === WasmStatus.ok) return u64(w.res0.value);
  if (status === WasmStatus.div0) throw new ArithmeticFaultError('div0', MUL_DIV_DIV0);
  if (status === WasmStatus.overflow) throw new ArithmeticFaultError('overflow', MUL_DIV_OVERFLOW);
  throw unexpected('mulU64U32Div', status);
}

/**
 * Runs a one-operand batch: copies `input` through buffer A in chunks of the buffer's
 * capacity, lets `compute(len)` transform the chunk in place, and copies it to `out` at
 * the same index. Any length works in constant memory; `out` may be `input` itself
 * (disjoint or identical arrays only: a partially overlapping view could be overwritten
 * before it is read).
 */
function runBatch(w: KvmclockExports, input: BigUint64Array, out: BigUint64Array, compute: (len: number) => void): void {
  const n = input.length;
  let views: BatchViews = viewsOf(w);
  for (let i = 0; i < n; i += views.capacity) {
    const len = Math.min(views.capacity, n - i);
    views.a.set(len === n ? input : input.subarray(i, i + len));
    compute(len);
    views = viewsOf(w); // unchanged unless memory grew during the call
    out.set(len === views.capacity ? views.a : views.a.subarray(0, len), i);
  }
}

type BatchForm = 'pvclockReadBatch' | 'pvclockScaleDeltaBatch' | 'scaleTscBatch' | 'readL1TscBatch' | 'mulU64U64ShrBatch' | 'guestKvmclockBatch' | 'getTimeScaleBatch';

// The scalar forms: always the scalar module's exports.
const scalarForms: Omit<Backend, BatchForm> = {
  name: 'wasm',

  mulU64U32Shr(a, mul, shift) {
    return u64(wasmExports().mulU64U32Shr(a, mul, shift));
  },

  mulU64U64Shr(a, b, shift) {
    return u64(wasmExports().mulU64U64Shr(a, b, shift));
  },

  mulS64U64Shr(a, b, shift) {
    return u64(wasmExports().mulS64U64Shr(a, b, shift));
  },

  mulU64U32Div(a, mul, div) {
    return wasmMulU64U32Div(wasmExports(), a, mul, div);
  },

  mulU64U32DivGeneric(a, mul, div) {
    const w = wasmExports();
    const status = w.mulU64U32DivGeneric(a, mul, div);
    if (status === WasmStatus.ok) return u64(w.res0.value);
    if (status === WasmStatus.div0) throw new ArithmeticFaultError('div0', MUL_DIV_GENERIC_DIV0);
    throw unexpected('mulU64U32DivGeneric', status);
  },

  getTimeScale(scaledHz, baseHz): TimeScale {
    const w = wasmExports();
    const status = w.getTimeScale(scaledHz, baseHz);
    if (status === WasmStatus.ok) return { shift: w.resI0.value, mul: w.resI1.value >>> 0 };
    if (status === WasmStatus.hang) throw new KernelRuleError('hang', TIME_SCALE_HANG);
    throw unexpected('getTimeScale', status);
  },

  pvclockScaleDelta(delta, mul, shift) {
    return u64(wasmExports().pvclockScaleDelta(delta, mul, shift));
  },

  pvclockRead(tsc, tscTimestamp, systemTime, mul, shift) {
    return u64(wasmExports().pvclockRead(tsc, tscTimestamp, systemTime, mul, shift));
  },

  pvclockTscKhz(mul, shift) {
    const w = wasmExports();
    const status = w.pvclockTscKhz(mul, shift);
    if (status === WasmStatus.ok) return u64(w.res0.value);
    if (status === WasmStatus.div0) throw new ArithmeticFaultError('div0', TSC_KHZ_DIV0);
    throw unexpected('pvclockTscKhz', status);
  },

  pvclockGuestRead(ret, flags, validFlags, lastValue): GuestRead {
    const w = wasmExports();
    w.pvclockGuestRead(ret, flags, validFlags, lastValue);
    return { result: u64(w.res0.value), newLastValue: u64(w.res1.value) };
  },

  scaleTsc(tsc, ratio, frac) {
    return u64(wasmExports().scaleTsc(tsc, ratio, frac));
  },

  tscRatio(userKhz, hostKhz, frac, maxRatio) {
    const w = wasmExports();
    const status = w.tscRatio(userKhz, hostKhz, frac, maxRatio);
    if (status === WasmStatus.ok) return u64(w.res0.value);
    if (status === WasmStatus.div0) throw new ArithmeticFaultError('div0', RATIO_DIV0);
    if (status === WasmStatus.overflow) throw new ArithmeticFaultError('overflow', RATIO_OVERFLOW);
    if (status === WasmStatus.zero) throw new KernelRuleError('zero', RATIO_ZERO, 0n);
    if (status === WasmStatus.toolarge) {
      const rule = `kvm_set_tsc_khz rejects a TSC scaling ratio >= max_ratio ${maxRatio}`;
      throw new KernelRuleError('toolarge', rule, u64(w.res0.value));
    }
    throw unexpected('tscRatio', status);
  },

  computeL1TscOffset(targetTsc, hostTsc, ratio, frac) {
    return u64(wasmExports().computeL1TscOffset(targetTsc, hostTsc, ratio, frac));
  },

  readL1Tsc(hostTsc, offset, ratio, frac) {
    return u64(wasmExports().readL1Tsc(hostTsc, offset, ratio, frac));
  },

  nestedTscOffset(l1Offset, l2Offset, l2Mult, frac) {
    // The i64 parameter takes the offset's 64 bits whether it arrives as u64 or s64;
    // the module reinterprets it as s64 (the kernel casts the L1 offset to signed).
    return u64(wasmExports().nestedTscOffset(l1Offset, l2Offset, l2Mult, frac));
  },

  nestedTscMultiplier(l1Mult, l2Mult, frac) {
    return u64(wasmExports().nestedTscMultiplier(l1Mult, l2Mult, frac));
  },

  adjustTscKhz(khz, ppm) {
    return wasmExports().adjustTscKhz(khz, ppm) >>> 0;
  },

  maxGuestTscKhz(hostKhz, maxRatio, frac) {
    return wasmExports().maxGuestTscKhz(hostKhz, maxRatio, frac) >>> 0;
  },

  tgtTscKhz(hostKhz, ratio, frac, hasControl) {
    return u64(wasmExports().tgtTscKhz(hostKhz, ratio, frac, hasControl ? 1 : 0));
  },

  setTscKhz(userKhz, hostKhz, hasControl, frac, maxRatio, tolPpm): SetTscKhzResult {
    const w = wasmExports();
    const status = w.setTscKhz(userKhz, hostKhz, hasControl ? 1 : 0, frac, maxRatio, tolPpm);
    if (status === WasmStatus.de) throw new ArithmeticFaultError('de', SET_TSC_KHZ_DE);
    if (status !== WasmStatus.ok) throw unexpected('setTscKhz', status);
    const flags = w.resI1.value;
    const virtualScale = (flags & SetTscFlags.virtualScale) !== 0;
    return {
      rc: w.resI0.value === 0 ? 0 : -1,
      ratio: (flags & SetTscFlags.ratioWritten) !== 0 ? u64(w.res0.value) : null,
      useScaling: (flags & SetTscFlags.useScaling) !== 0,
      catchup: (flags & SetTscFlags.catchup) !== 0,
      virtualTscShift: virtualScale ? w.resI2.value : null,
      virtualTscMult: virtualScale ? w.resI3.value >>> 0 : null,
    };
  },

  clocksCalcMultShift(from, to, maxsec): MultShift {
    const w = wasmExports();
    const status = w.clocksCalcMultShift(from, to, maxsec);
    if (status === WasmStatus.ok) return { mult: w.resI0.value >>> 0, shift: w.resI1.value >>> 0 };
    if (status === WasmStatus.div0) throw new ArithmeticFaultError('div0', CALC_MULT_SHIFT_DIV0);
    throw unexpected('clocksCalcMultShift', status);
  },

  clocksourceRegister(freq, scale, mask): ClocksourceParams {
    const w = wasmExports();
    w.clocksourceRegister(freq, scale, mask);
    return { mult: w.resI0.value >>> 0, shift: w.resI1.value >>> 0, maxadj: w.resI2.value >>> 0, maxsec: u64(w.res0.value) };
  },

  rawNs(cycles, cycleLast, rawSec, xtimeNsec, mult, shift) {
    return u64(wasmExports().rawNs(cycles, cycleLast, rawSec, xtimeNsec, mult, shift));
  },

  kvmBaseNs(cycles, cycleLast, rawSec, xtimeNsec, mult, shift, offsBoot) {
    return u64(wasmExports().kvmBaseNs(cycles, cycleLast, rawSec, xtimeNsec, mult, shift, offsBoot));
  },

  cyc2ns(delta, mult, shift) {
    return u64(wasmExports().cyc2ns(delta, mult, shift));
  },

  syncWindow(data, lastWrite, elapsedNs, virtualTscKhz, virtualTscMult, virtualTscShift) {
    return wasmExports().syncWindow(data, lastWrite, elapsedNs, virtualTscKhz, virtualTscMult, virtualTscShift) !== 0;
  },

  setClock(clock, flags, realtime, nowReal, useMasterClock, masterKernelNs, baseNow) {
    const w = wasmExports();
    const status = w.setClock(clock, flags, realtime, nowReal, useMasterClock ? 1 : 0, masterKernelNs, baseNow);
    if (status === WasmStatus.ok) return s64(w.res0.value);
    if (status === WasmStatus.EINVAL) {
      const rule = `KVM_SET_CLOCK returns -EINVAL: flags 0x${(flags >>> 0).toString(16)} outside KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC (0xe)`;
      throw new KernelRuleError('EINVAL', rule);
    }
    throw unexpected('setClock', status);
  },

  wallClock(wallNs): WallClock {
    const w = wasmExports();
    w.wallClock(wallNs);
    return { sec: w.resI0.value >>> 0, nsec: w.resI1.value >>> 0, secHi: w.resI2.value >>> 0 };
  },
};

/**
 * The batch forms over the exports `w()` returns, chunk by chunk through its buffers.
 * @internal used by {@link wasmBackend} and by benchmarks that pin one build.
 */
export function wasmBatchForms(w: () => KvmclockExports): Pick<Backend, BatchForm> {
  return {
    pvclockReadBatch(tsc, params: PvclockParams, out) {
      const e = w();
      const { tscTimestamp, systemTime, mul, shift } = params;
      runBatch(e, tsc, out, (len) => e.pvclockReadBatch(len, tscTimestamp, systemTime, mul, shift));
    },

    pvclockScaleDeltaBatch(delta, mul, shift, out) {
      const e = w();
      runBatch(e, delta, out, (len) => e.pvclockScaleDeltaBatch(len, mul, shift));
    },

    scaleTscBatch(tsc, ratio, frac, out) {
      const e = w();
      runBatch(e, tsc, out, (len) => e.scaleTscBatch(len, ratio, frac));
    },

    readL1TscBatch(hostTsc, offset, ratio, frac, out) {
      const e = w();
      runBatch(e, hostTsc, out, (len) => e.readL1TscBatch(len, offset, ratio, frac));
    },

    mulU64U64ShrBatch(a, b, shift, out) {
      const e = w();
      // Buffer B takes the second operand chunk matching the chunk runBatch puts in A.
      let start = 0;
      runBatch(e, a, out, (len) => {
        viewsOf(e).b.set(start === 0 && len === b.length ? b : b.subarray(start, start + len));
        e.mulU64U64ShrBatch(len, shift);
        start += len;
      });
    },

    guestKvmclockBatch(hostTsc, l1Offset, ratio, frac, { tscTimestamp, systemTime, mul, shift }, out) {
      const e = w();
      runBatch(e, hostTsc, out, (len) => e.guestKvmclockBatch(len, l1Offset, ratio, frac, tscTimestamp, systemTime, mul, shift));
    },

    getTimeScaleBatch(scaledHz, baseHz, outShift, outMul) {
      const e = w();
      const n = baseHz.length;
      for (let i = 0; i < n; ) {
        const views = viewsOf(e);
        const len = Math.min(views.capacity, n - i);
        views.a.set(baseHz.subarray(i, i + len));
        const done = e.getTimeScaleBatch(len, scaledHz);
        // Results: u32 muls at the start of buffer B, s8 shifts after capacity u32s.
        const b = e.memory.buffer;
        const base = e.batchBufferB();
        outMul.set(new Uint32Array(b, base, done), i);
        outShift.set(new Int8Array(b, base + 4 * views.capacity, done), i);
        if (done !== len) throw new KernelRuleError('hang', timeScaleBatchHangRule(i + done, scaledHz, baseHz[i + done]));
        i += len;
      }
    },
  };
}

/**
 * {@link Backend} implemented by the embedded AssemblyScript modules (instantiated lazily on
 * the first call). Scalar calls run on the scalar module; batch forms run on the SIMD module
 * when the engine supports Wasm SIMD and on the scalar module otherwise
 * ({@link wasmBatchEngine} says which). Kernel-defined failures throw ArithmeticFaultError /
 * KernelRuleError with the protocol codes; a Wasm trap (a kvmclock bug) throws InternalError.
 * @example
 * wasmBackend.getTimeScale(1_000_000_000n, 2_500_000_000n) // { shift: -1, mul: 3435973836 }
 * wasmBackend.tscRatio(1_000_000, 2_500_000, 48, 2n ** 64n - 1n) // 112589990684262n
 */
export const wasmBackend: Backend = { ...scalarForms, ...wasmBatchForms(batchExports) };
