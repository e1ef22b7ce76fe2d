// The master clock under the upstream variants (kernel-variants sections 2 and 5): the
// snapshot's mul/shift for C', KVM_GET_CLOCK (C or C') and master-clock/TSC_STABLE rules.
import { setRes0, setResI0, setResI1 } from "./out";
import { readClock, scaleDelta } from "./pvclock";
import { STATUS_HANG, STATUS_NOMASTER, STATUS_OK } from "./status";
import { TIME_SCALE_HANG, timeScale } from "./timescale";
import { scale } from "./tsc";

const NSEC_PER_SEC: u64 = 1_000_000_000;

// The packed kvm_get_time_scale(10^9, f) for C' (f = host Hz scaled by the VM ratio under
// hardware scaling, no clamp), or TIME_SCALE_HANG standing for "no frequency" when f is 0.
// f >= 1 never hangs. frac in 0..63.
// @ts-ignore: decorator
@inline
function masterScale(hostKhz: u64, ratio: u64, frac: u32, hasControl: bool): u64 {
  let hz = hostKhz * 1000;
  if (hz != 0 && hasControl) hz = scale(hz, ratio, frac);
  return hz == 0 ? TIME_SCALE_HANG : timeScale(NSEC_PER_SEC, hz);
}

/**
 * c-via-guest-tsc: the snapshot's (shift, mul) for C'. STATUS_NOMASTER when the scaled
 * frequency is 0 (the master clock is turned off), else STATUS_OK with the shift (s8) in
 * resI0 and the mul in resI1.
 */
export function masterTscScale(hostKhz: u64, ratio: u64, frac: u32, hasControl: bool): i32 {
  const packed = masterScale(hostKhz, ratio, frac, hasControl);
  if (packed == TIME_SCALE_HANG) return STATUS_NOMASTER;
  setResI0(<i32><i8>(packed >> 32));
  setResI1(<i32>packed);
  return STATUS_OK;
}

/**
 * KVM_GET_CLOCK with the master clock on. Baseline (viaGuestTsc false): C, the host TSC
 * delta converted with kvm_get_time_scale(10^9, host_khz * 1000) — STATUS_HANG when that
 * never terminates. viaGuestTsc (C'): the delta scaled by the VM ratio under hardware
 * scaling, converted with masterTscScale's factors — STATUS_NOMASTER without a frequency.
 * STATUS_OK puts the clock in res0. K and the offset are s64 bit patterns; frac in 0..63.
 */
export function getKvmclock(viaGuestTsc: bool, hostTsc: u64, masterCycleNow: u64, masterKernelNs: u64, kvmclockOffset: u64, ratio: u64, frac: u32, hostKhz: u64, hasControl: bool): i32 {
  const systemTime = masterKernelNs + kvmclockOffset;
  if (!viaGuestTsc) {
    const packed = timeScale(NSEC_PER_SEC, hostKhz * 1000);
    if (packed == TIME_SCALE_HANG) return STATUS_HANG;
    setRes0(readClock(hostTsc, masterCycleNow, systemTime, <u32>packed, <i32><i8>(packed >> 32)));
    return STATUS_OK;
  }
  const packed = masterScale(hostKhz, ratio, frac, hasControl);
  if (packed == TIME_SCALE_HANG) return STATUS_NOMASTER;
  let delta = hostTsc - masterCycleNow;
  if (hasControl) delta = scale(delta, ratio, frac);
  setRes0(systemTime + scaleDelta(delta, <u32>packed, <i32><i8>(packed >> 32)));
  return STATUS_OK;
}

/**
 * Master-clock use (bit 0) and PVCLOCK_TSC_STABLE (bit 1). Baseline: on iff the TSCs
 * matched, the host clocksource is the TSC, no backwards TSC and no old kvmclock MSR;
 * stable whenever on. offsetTscs (masterclock-offset-tscs): matching frequencies suffice
 * (matched TSCs imply them); stable only with matched TSCs too.
 */
export function mclockMode(offsetTscs: bool, matchedTsc: bool, matchedFreq: bool, tscClocksource: bool, backwardsTsc: bool, oldKvmclock: bool): i32 {
  const matched = offsetTscs ? matchedTsc || matchedFreq : matchedTsc;
  const use = tscClocksource && matched && !backwardsTsc && !oldKvmclock;
  const stable = use && (!offsetTscs || matchedTsc);
  return (use ? 1 : 0) | (stable ? 2 : 0);
}
