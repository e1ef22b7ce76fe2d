/**
 * kvm_guest_time_update (spec §7.2; kernel-variants §1, §3, §4): the record a vCPU's guest
 * reads — tsc_timestamp from the master reference (or now, without the master clock), the
 * software catch-up, the pvclock factors from tgt_tsc_khz (or the Hz frequency with
 * `hz-pvclock`), system_time and the flags.
 */
import { PVCLOCK_GUEST_STOPPED, PVCLOCK_TSC_STABLE_BIT } from '../units.js';
import { guestPvclockScale } from './definitions.js';
import { setupPage } from './hyperv-page.js';
import type { ModelContext, VcpuState, VmState } from './vm-state.js';

const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** Rewrite vCPU v's record at host TSC h (the KVM_REQ_CLOCK_UPDATE work); clears its pending request. */
export function guestTimeUpdate(m: ModelContext, s: VmState, v: VcpuState, h: bigint): void {
  const { api, host } = m;
  const caps = host.caps;
  const master = s.useMasterClock;
  const hostTsc = master ? s.masterCycleNow : h;
  const kernelNs = master ? s.masterKernelNs : host.kvmclockBaseNs(h);
  let tscTimestamp = api.readL1Tsc(hostTsc, v.l1TscOffset, v.ratio, caps.frac);
  if (v.tscCatchup) {
    // The catch-up: compute_guest_tsc against the reference (baseline) or against now
    // (upscale-to-now), signed or not; api.tscCatchup holds the variants.
    const c = api.tscCatchup(
      m.kernel,
      v.thisTscWrite,
      v.thisTscNsec,
      v.virtualTscMult,
      v.virtualTscShift,
      v.l1TscOffset,
      v.ratio,
      caps.frac,
      hostTsc,
      BigInt.asIntN(64, kernelNs),
      h,
      BigInt.asIntN(64, host.kvmclockBaseNs(h)),
    );
    v.l1TscOffset = c.l1Offset; // adjust_tsc_offset_guest
    tscTimestamp = c.tscTimestamp;
  }
  const freq = guestPvclockScale(api, m.kernel, host.tscKhz, v.ratio, caps.frac, caps.hasTscControl);
  if (v.pvclockScale === null || freq.hz !== v.hwTscHz) {
    v.pvclockScale = freq.scale;
    v.hwTscHz = freq.hz;
  }
  v.hwTscKhz = freq.tgtKhz;
  v.lastGuestTsc = tscTimestamp;
  const previous = v.pvti;
  const version = previous === null ? 2 : (previous.version + 2) >>> 0; // stays even: odd only mid-update
  // The guest's copy keeps GUEST_STOPPED until the guest clears it; KVM_KVMCLOCK_CTRL sets it here.
  const stopped = (previous === null ? 0 : previous.flags & PVCLOCK_GUEST_STOPPED) | (v.guestStoppedRequest ? PVCLOCK_GUEST_STOPPED : 0);
  v.guestStoppedRequest = false;
  v.pvti = {
    version,
    tscTimestamp,
    systemTime: lo64(kernelNs + s.kvmclockOffset),
    tscToSystemMul: v.pvclockScale.mul,
    tscShift: v.pvclockScale.shift,
    flags: (s.tscStable ? PVCLOCK_TSC_STABLE_BIT : 0) | stopped,
  };
  v.clockUpdatePending = false;
  // kvm_hv_setup_tsc_page: the first vCPU that finds a changed page computes it from its record.
  s.hvPage = setupPage(api, s.hvPage, v.pvti);
}

/** The pvclock factors a vCPU's next update would write (for clock states of vCPUs without a record). */
export function nextGuestScale(m: ModelContext, v: VcpuState) {
  return guestPvclockScale(m.api, m.kernel, m.host.tscKhz, v.ratio, m.host.caps.frac, m.host.caps.hasTscControl).scale;
}

