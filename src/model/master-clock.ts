/**
 * The master clock (spec §7.1, §8.4; kernel-variants §2, §5, §8): when it may be used,
 * what blocks it, and the snapshot pvclock_update_vm_gtod_copy takes — including the VM
 * ratio and factors C′ needs (`c-via-guest-tsc`), the "frequency 0 ⇒ off" rule, and
 * `keep-active-masterclock`, under which an unforced update keeps an active reference.
 */
import { isKvmclockError } from '../errors.js';
import type { ModelContext, VmState } from './vm-state.js';

/** Why the master clock is not in use (spec §7.1); empty when it is. */
export type MasterClockBlocker =
  | 'no-vcpus'
  | 'vcpus-not-matched'
  /** `masterclock-offset-tscs`: the vCPUs' TSC frequencies differ. */
  | 'frequencies-not-matched'
  | 'host-clocksource-not-tsc'
  | 'backwards-tsc-observed'
  | 'boot-vcpu-old-kvmclock-msr'
  /** `c-via-guest-tsc`: the snapshot found 0 Hz after scaling by the VM ratio. */
  | 'no-frequency'
  /** Nothing blocks it now, but no master-clock update has run since the blocker went away. */
  | 'awaiting-masterclock-update';

/** Whether the vCPUs' TSC offsets all matched (one TSC generation holds every vCPU). */
export function allOffsetsMatched(s: VmState): boolean {
  return s.vcpus.length > 0 && s.nrVcpusMatchedTsc + 1 === s.vcpus.length;
}

/** Whether every vCPU runs at the VM's TSC frequency (`masterclock-offset-tscs` counting). */
export function allFrequenciesMatched(s: VmState): boolean {
  return s.vcpus.length > 0 && s.nrVcpusMatchedFreq >= s.vcpus.length;
}

/**
 * Master-clock use and TSC_STABLE if a snapshot were taken now, by the profile's rule
 * (api.mclockMode). `ignoreStickyBlockers`: kvm_track_tsc_matching's test, which looks only
 * at matching and the host clocksource.
 */
export function masterClockEligibility(m: ModelContext, s: VmState, o: { readonly ignoreStickyBlockers?: boolean } = {}) {
  const sticky = !o.ignoreStickyBlockers;
  return m.api.mclockMode(
    m.kernel,
    allOffsetsMatched(s),
    allFrequenciesMatched(s),
    m.host.clocksourceKind === 'tsc',
    sticky && s.backwardsTscObserved,
    sticky && s.bootVcpuRunsOldKvmclock,
  );
}

/** What would block the master clock if a snapshot were taken now. */
export function currentBlockers(m: ModelContext, s: VmState): MasterClockBlocker[] {
  const out: MasterClockBlocker[] = [];
  if (s.vcpus.length === 0) out.push('no-vcpus');
  else if (!allOffsetsMatched(s)) {
    if (!m.kernel.has('masterclock-offset-tscs')) out.push('vcpus-not-matched');
    else if (!allFrequenciesMatched(s)) out.push('frequencies-not-matched');
  }
  if (m.host.clocksourceKind !== 'tsc') out.push('host-clocksource-not-tsc');
  if (s.backwardsTscObserved) out.push('backwards-tsc-observed');
  if (s.bootVcpuRunsOldKvmclock) out.push('boot-vcpu-old-kvmclock-msr');
  if (out.length === 0 && m.kernel.has('c-via-guest-tsc') && snapshotScale(m, s) === null) out.push('no-frequency');
  return out;
}

/** The blockers of a master clock that is not in use (empty when it is). */
export function blockers(m: ModelContext, s: VmState): MasterClockBlocker[] {
  if (s.useMasterClock) return [];
  const out = currentBlockers(m, s);
  if (out.length === 0) out.push('awaiting-masterclock-update');
  return out;
}

/** `c-via-guest-tsc`: the factors of the snapshot from the VM ratio, or null when the scaled frequency is 0 Hz. */
function snapshotScale(m: ModelContext, s: VmState) {
  const caps = m.host.caps;
  try {
    return m.api.masterTscScale(BigInt(m.host.tscKhz), s.curTscScalingRatio, caps.frac, caps.hasTscControl);
  } catch (e) {
    if (isKvmclockError(e) && e.code === 'nomaster') return null;
    throw e;
  }
}

/**
 * pvclock_update_vm_gtod_copy at host TSC h. The reference (K, M) is re-read when the host
 * runs on the TSC — except, under `keep-active-masterclock`, for an unforced update
 * (`forced` false: the KVM_REQ_MASTERCLOCK_UPDATE path) that finds the master clock on and
 * leaves it on: then only the flags are written. With `c-via-guest-tsc` the snapshot also
 * captures the VM ratio and its factors, and a frequency of 0 turns the master clock off.
 */
export function snapshot(m: ModelContext, s: VmState, h: bigint, forced: boolean): void {
  const mode = masterClockEligibility(m, s);
  let use = mode.useMasterClock;
  const scale = use && m.kernel.has('c-via-guest-tsc') ? snapshotScale(m, s) : null;
  if (use && m.kernel.has('c-via-guest-tsc') && scale === null) use = false;
  const keep = !forced && m.kernel.has('keep-active-masterclock') && s.useMasterClock && use;
  if (!keep && m.host.clocksourceKind === 'tsc') {
    s.masterKernelNs = m.host.kvmBaseNsForSnapshot(h);
    s.masterCycleNow = h;
    if (scale !== null) {
      s.masterTscScalingRatio = s.curTscScalingRatio;
      s.masterScale = scale;
    }
  }
  s.useMasterClock = use;
  s.tscStable = use && mode.tscStable;
}
