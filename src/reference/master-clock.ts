/**
 * The master clock as the upstream variants change it (kernel-variants §2, §5): the
 * frequency the snapshot derives KVM_GET_CLOCK's mul/shift from, KVM_GET_CLOCK itself
 * (definition C of the baseline, C′ with `c-via-guest-tsc`), and when the master clock
 * and PVCLOCK_TSC_STABLE are on.
 */
import type { MasterClockMode, TimeScale } from '../backend.js';
import { KernelRuleError } from '../errors.js';
import { NSEC_PER_SEC } from '../units.js';
import { lo64 } from './c-types.js';
import { pvclockRead, pvclockScaleDelta } from './pvclock.js';
import { getTimeScale } from './time-scale.js';
import { scaleTsc } from './tsc.js';

/**
 * `c-via-guest-tsc` (v6 13/36): the (shift, mul) the master-clock snapshot stores for C′:
 * kvm_get_time_scale(10^9, f) with f = lo64(host_khz·1000) scaled by the VM ratio under
 * hardware scaling — without the `?: 1` clamp. f = 0 (a ratio too small, or host_khz·1000
 * ≡ 0) turns the master clock off: `nomaster`.
 */
export function masterTscScale(hostKhz: bigint, ratio: bigint, frac: number, hasControl: boolean): TimeScale {
  let hz = lo64(hostKhz * 1000n);
  if (hz !== 0n && hasControl) hz = scaleTsc(hz, ratio, frac);
  if (hz === 0n) {
    throw new KernelRuleError('nomaster', `pvclock_update_vm_gtod_copy finds no frequency (host_khz ${hostKhz}·1000 scaled by ratio ${ratio} with ${frac} fractional bits is 0 Hz): the master clock is turned off`);
  }
  return getTimeScale(NSEC_PER_SEC, hz);
}

/**
 * KVM_GET_CLOCK / get_kvmclock_ns with the master clock on, at host TSC `hostTsc`.
 * Baseline (definition C): the host TSC delta from master_cycle_now converted with
 * kvm_get_time_scale(10^9, host_khz·1000) — which never terminates when host_khz·1000 ≡ 0
 * (`hang`). With `viaGuestTsc` (C′): the delta is scaled by the VM ratio first (under
 * hardware scaling) and converted with {@link masterTscScale}'s factors (`nomaster` when
 * the snapshot found no frequency). Both start from system_time = lo64(K + kvmclock_offset).
 */
export function getKvmclock(viaGuestTsc: boolean, hostTsc: bigint, masterCycleNow: bigint, masterKernelNs: bigint, kvmclockOffset: bigint, ratio: bigint, frac: number, hostKhz: bigint, hasControl: boolean): bigint {
  const systemTime = lo64(masterKernelNs + kvmclockOffset);
  if (!viaGuestTsc) {
    const host = getTimeScale(NSEC_PER_SEC, lo64(hostKhz * 1000n));
    return pvclockRead(hostTsc, masterCycleNow, systemTime, host.mul, host.shift);
  }
  const master = masterTscScale(hostKhz, ratio, frac, hasControl);
  let delta = lo64(hostTsc - masterCycleNow);
  if (hasControl) delta = scaleTsc(delta, ratio, frac);
  return lo64(systemTime + pvclockScaleDelta(delta, master.mul, master.shift));
}

/**
 * Whether the master clock is used and whether the records carry PVCLOCK_TSC_STABLE
 * (kernel-variants §5). Baseline: on iff every vCPU's TSC matched (offset and frequency),
 * the host clocksource is the TSC, no backwards TSC was seen and the boot vCPU does not run
 * the old kvmclock MSR; TSC_STABLE whenever it is on. With `offsetTscs`
 * (`masterclock-offset-tscs`): matching frequencies suffice (matched TSCs imply them), and
 * TSC_STABLE additionally needs matched TSCs.
 */
export function mclockMode(offsetTscs: boolean, matchedTsc: boolean, matchedFreq: boolean, tscClocksource: boolean, backwardsTsc: boolean, oldKvmclock: boolean): MasterClockMode {
  const matched = offsetTscs ? matchedTsc || matchedFreq : matchedTsc;
  const useMasterClock = tscClocksource && matched && !backwardsTsc && !oldKvmclock;
  return { useMasterClock, tscStable: useMasterClock && (!offsetTscs || matchedTsc) };
}
