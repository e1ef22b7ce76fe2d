/**
 * The WebAssembly implementation of {@link Backend}: thin wrappers that call the
 * AssemblyScript exports (assembly/index.ts), lift i64 results to u64/s64 bigints, and
 * turn the module's status codes into the typed errors the interface documents.
 * Arguments are assumed validated by the caller (src/api.ts), as the interface states.
 */
import {
  timeScaleBatchHangRule,
  type Backend,
  type ClockGuestRecord,
  type ClocksourceParams,
  type HvTscPage,
  type MasterClockMode,
  type VmclockPeriod,
  type VmclockTime,
  type XenTscLeaf,
  type SetClockGuestV6Result,
  type TscCatchupResult,
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
  ERANGE: 8,
  nofreq: 9,
  nomaster: 10,
  invalid: 11,
  nofit: 12,
} as const;

/** Why a Hyper-V TSC page is invalid, in resI0; mirrors assembly/hyperv.ts (checked by a test). */
export const HvInvalid = { unstable: 1, mul: 2 } as const;

/** Which KVM_[GS]ET_CLOCK_GUEST (v6) check failed, in resI0 after EINVAL; mirrors assembly/clockguest.ts (checked by a test). */
export const ClockGuestCheck = {
  pads: 1,
  mul: 2,
  shift: 3,
  noMaster: 4,
  noFreq: 5,
  tscBehind: 6,
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
const NOFREQ = (hostKhz: bigint) => `kvm_guest_time_update abandons the update: host_khz ${hostKhz} times 1000 is 0 modulo 2^64 (no frequency)`;
const NOMASTER = (hostKhz: bigint, ratio: bigint, frac: number) =>
  `pvclock_update_vm_gtod_copy finds no frequency (host_khz ${hostKhz}·1000 scaled by ratio ${ratio} with ${frac} fractional bits is 0 Hz): the master clock is turned off`;
const HV_HANG = 'hvclock_to_hz never terminates for tsc_to_system_mul = 0 (it strips trailing zero bits of mul)';

/** The EINVAL message of a v6 KVM_[GS]ET_CLOCK_GUEST check (same wording as the reference). */
function clockGuestEinval(ioctl: 'SET' | 'GET', check: number, detail: { shift?: number; hostKhz?: bigint; guestTsc?: bigint; tscTimestamp?: bigint }): KernelRuleError {
  const why =
    check === ClockGuestCheck.pads
      ? 'a padding field of the record is not zero'
      : check === ClockGuestCheck.mul
        ? 'tsc_to_system_mul is 0'
        : check === ClockGuestCheck.shift
          ? `tsc_shift ${detail.shift} is outside -31..31`
          : check === ClockGuestCheck.noMaster
            ? ioctl === 'SET'
              ? 'the master clock is not in use after the snapshot'
              : 'the master clock is not in use'
            : check === ClockGuestCheck.noFreq
              ? ioctl === 'SET'
                ? `host_khz ${detail.hostKhz} times 1000 is 0 modulo 2^64`
                : `the clock update it runs first fails: host_khz ${detail.hostKhz} times 1000 is 0 modulo 2^64`
              : check === ClockGuestCheck.tscBehind
                ? `the guest TSC at the new reference (${detail.guestTsc}) is below the record's tsc_timestamp (${detail.tscTimestamp})`
                : `unknown check ${check}`;
  return new KernelRuleError('EINVAL', `KVM_${ioctl}_CLOCK_GUEST (v6) returns -EINVAL: ${why}`);
}

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
      const rule = `kvm_set_tsc_khz rejects a TSC scaling ratio >= max_tsc_scaling_ratio (${maxRatio})`;
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

  tgtTscHz(hostKhz, ratio, frac, hasControl) {
    const w = wasmExports();
    const status = w.tgtTscHz(hostKhz, ratio, frac, hasControl ? 1 : 0);
    if (status === WasmStatus.ok) return u64(w.res0.value);
    if (status === WasmStatus.nofreq) throw new KernelRuleError('nofreq', NOFREQ(hostKhz));
    throw unexpected('tgtTscHz', status);
  },

  masterTscScale(hostKhz, ratio, frac, hasControl): TimeScale {
    const w = wasmExports();
    const status = w.masterTscScale(hostKhz, ratio, frac, hasControl ? 1 : 0);
    if (status === WasmStatus.ok) return { shift: w.resI0.value, mul: w.resI1.value >>> 0 };
    if (status === WasmStatus.nomaster) throw new KernelRuleError('nomaster', NOMASTER(hostKhz, ratio, frac));
    throw unexpected('masterTscScale', status);
  },

  getKvmclock(viaGuestTsc, hostTsc, masterCycleNow, masterKernelNs, kvmclockOffset, ratio, frac, hostKhz, hasControl) {
    const w = wasmExports();
    const status = w.getKvmclock(viaGuestTsc ? 1 : 0, hostTsc, masterCycleNow, masterKernelNs, kvmclockOffset, ratio, frac, hostKhz, hasControl ? 1 : 0);
    if (status === WasmStatus.ok) return u64(w.res0.value);
    if (status === WasmStatus.hang) throw new KernelRuleError('hang', TIME_SCALE_HANG);
    if (status === WasmStatus.nomaster) throw new KernelRuleError('nomaster', NOMASTER(hostKhz, ratio, frac));
    throw unexpected('getKvmclock', status);
  },

  mclockMode(offsetTscs, matchedTsc, matchedFreq, tscClocksource, backwardsTsc, oldKvmclock): MasterClockMode {
    const bits = wasmExports().mclockMode(offsetTscs ? 1 : 0, matchedTsc ? 1 : 0, matchedFreq ? 1 : 0, tscClocksource ? 1 : 0, backwardsTsc ? 1 : 0, oldKvmclock ? 1 : 0);
    return { useMasterClock: (bits & 1) !== 0, tscStable: (bits & 2) !== 0 };
  },

  computeGuestTsc(thisTscWrite, thisTscNsec, kernelNs, virtualTscMult, virtualTscShift, signed) {
    return u64(wasmExports().computeGuestTsc(thisTscWrite, thisTscNsec, kernelNs, virtualTscMult, virtualTscShift, signed ? 1 : 0));
  },

  tscCatchup(upscaleToNow, signed, thisTscWrite, thisTscNsec, virtualTscMult, virtualTscShift, l1Offset, ratio, frac, masterCycleNow, masterKernelNs, hostTscNow, kernelNsNow): TscCatchupResult {
    const w = wasmExports();
    w.tscCatchup(upscaleToNow ? 1 : 0, signed ? 1 : 0, thisTscWrite, thisTscNsec, virtualTscMult, virtualTscShift, l1Offset, ratio, frac, masterCycleNow, masterKernelNs, hostTscNow, kernelNsNow);
    return { l1Offset: u64(w.res0.value), tscTimestamp: u64(w.res1.value) };
  },

  hvclockToHz(mul, shift) {
    const w = wasmExports();
    const status = w.hvclockToHz(mul, shift);
    if (status === WasmStatus.ok) return u64(w.res0.value);
    if (status === WasmStatus.hang) throw new KernelRuleError('hang', HV_HANG);
    throw unexpected('hvclockToHz', status);
  },

  setClockGuestV6(record, padsNonzero, useMasterClock, masterCycleNow, masterKernelNs, l1Offset, ratio, frac, hostKhz, hasControl): SetClockGuestV6Result {
    const w = wasmExports();
    const status = w.setClockGuestV6(record.tscTimestamp, record.systemTime, record.mul, record.shift, padsNonzero ? 1 : 0, useMasterClock ? 1 : 0, masterCycleNow, masterKernelNs, l1Offset, ratio, frac, hostKhz, hasControl ? 1 : 0);
    if (status === WasmStatus.ok) return { kvmclockOffset: s64(w.res0.value), guestTsc: u64(w.res1.value) };
    if (status === WasmStatus.EINVAL) {
      throw clockGuestEinval('SET', w.resI0.value, { shift: record.shift, hostKhz, guestTsc: u64(w.res1.value), tscTimestamp: record.tscTimestamp });
    }
    if (status === WasmStatus.ERANGE) {
      const userHz = u64(w.res0.value);
      const hostHz = u64(w.res1.value);
      throw new KernelRuleError(
        'ERANGE',
        `KVM_SET_CLOCK_GUEST (v6) returns -ERANGE: the record's frequency ${userHz} Hz (hvclock_to_hz) is outside [${u64(hostHz - 1000n)}, ${u64(hostHz + 1000n)}] Hz, the vCPU's ${hostHz} Hz ± 1000 in wrapping u64`,
      );
    }
    throw unexpected('setClockGuestV6', status);
  },

  hvTscPage(mul, shift, tscTimestamp, systemTime, flags): HvTscPage {
    const w = wasmExports();
    const status = w.hvTscPage(mul, shift, tscTimestamp, systemTime, flags);
    if (status === WasmStatus.ok) return { scale: u64(w.res0.value), offset: s64(w.res1.value) };
    if (status === WasmStatus.invalid) {
      if (w.resI0.value === HvInvalid.unstable) {
        throw new KernelRuleError('invalid', 'the Hyper-V reference TSC page is invalid (sequence 0): the kvmclock record lacks PVCLOCK_TSC_STABLE (no master clock)', undefined, 'unstable');
      }
      const maxMul = u64(100n << BigInt((32 - shift) & 63));
      throw new KernelRuleError('invalid', `the Hyper-V reference TSC page is invalid (sequence 0): tsc_to_system_mul ${mul} is not below 100·2^(32 − tsc_shift) = ${maxMul} (a tick of 100 ns or more)`, undefined, 'mul');
    }
    if (status === WasmStatus.overflow) throw new ArithmeticFaultError('overflow', 'compute_tsc_page_parameters: mul_u64_u32_div quotient exceeds 64 bits (x86-64 #DE)');
    throw unexpected('hvTscPage', status);
  },

  hvRefRead(tsc, scale, offset) {
    return u64(wasmExports().hvRefRead(tsc, scale, offset));
  },

  hvRefMsr(kvmclockNs) {
    return u64(wasmExports().hvRefMsr(kvmclockNs));
  },

  xenTscLeaf(tgtTscKhz): XenTscLeaf {
    const w = wasmExports();
    const status = w.xenTscLeaf(tgtTscKhz);
    if (status === WasmStatus.ok) return { ecx: w.resI1.value >>> 0, edx: w.resI0.value >>> 0, eax: tgtTscKhz };
    if (status === WasmStatus.hang) throw new KernelRuleError('hang', 'kvm_get_time_scale never terminates for tgt_tsc_khz 0 (base_hz 0)');
    throw unexpected('xenTscLeaf', status);
  },

  vmclockRead(counter, counterValue, periodFrac, shift, timeSec, timeFracSec): VmclockTime {
    const w = wasmExports();
    w.vmclockRead(counter, counterValue, periodFrac, shift, timeSec, timeFracSec);
    return { sec: u64(w.res0.value), nsec: Number(w.res1.value) };
  },

  vmclockGettime(counter, counterValue, periodFrac, shift, timeSec, timeFracSec, timeType, flags, taiOffsetSec, clockStatus): VmclockTime {
    const w = wasmExports();
    const status = w.vmclockGettime(counter, counterValue, periodFrac, shift, timeSec, timeFracSec, timeType, flags, taiOffsetSec, clockStatus);
    if (status === WasmStatus.ok) return { sec: u64(w.res0.value), nsec: Number(w.res1.value) };
    if (status === WasmStatus.EINVAL) {
      const why =
        w.resI0.value === 1 ? 'clock_status is 4 (unreliable)' : timeType === 0 ? 'UTC time without a valid TAI offset is ambiguous' : `time_type ${timeType} is not TAI or UTC`;
      throw new KernelRuleError('EINVAL', `ptp_vmclock returns -EINVAL: ${why}`);
    }
    throw unexpected('vmclockGettime', status);
  },

  vmclockPeriod(freqHz): VmclockPeriod {
    const w = wasmExports();
    const status = w.vmclockPeriod(freqHz);
    if (status === WasmStatus.ok) return { shift: w.resI0.value, period: u64(w.res0.value) };
    if (status === WasmStatus.nofit) throw new KernelRuleError('nofit', `no 64-bit VMClock period exists for ${freqHz} Hz (the counter must run at 2 Hz or more)`);
    throw unexpected('vmclockPeriod', status);
  },

  getClockGuestV6(hzPvclock, useMasterClock, masterCycleNow, masterKernelNs, kvmclockOffset, l1Offset, ratio, frac, hostKhz, hasControl, tscStable): ClockGuestRecord {
    const w = wasmExports();
    const status = w.getClockGuestV6(hzPvclock ? 1 : 0, useMasterClock ? 1 : 0, masterCycleNow, masterKernelNs, kvmclockOffset, l1Offset, ratio, frac, hostKhz, hasControl ? 1 : 0, tscStable ? 1 : 0);
    if (status === WasmStatus.ok) return { tscTimestamp: u64(w.res0.value), systemTime: u64(w.res1.value), mul: w.resI1.value >>> 0, shift: w.resI0.value, flags: w.resI2.value };
    if (status === WasmStatus.EINVAL) throw clockGuestEinval('GET', w.resI0.value, { hostKhz });
    if (status === WasmStatus.hang) throw new KernelRuleError('hang', TIME_SCALE_HANG);
    throw unexpected('getClockGuestV6', status);
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
