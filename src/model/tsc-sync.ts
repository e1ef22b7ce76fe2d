/**
 * TSC synchronisation (spec §8.5) and what it requests (§8.4; kernel-variants §5, §6):
 * kvm_synchronize_tsc for a host-initiated write (or a vCPU's creation), the commit of
 * __kvm_synchronize_tsc — offset, TSC generation, the VM ratio C′ uses, the frequency
 * generation of `masterclock-offset-tscs` — and kvm_track_tsc_matching's decision to request
 * a master-clock update.
 */
import { lo64 } from '../reference/c-types.js';
import { masterClockEligibility } from './master-clock.js';
import type { ModelContext, VcpuState, VmState } from './vm-state.js';

/**
 * kvm_synchronize_tsc: a host write of `userValue` (undefined: the write of 0 at vCPU
 * creation) at host TSC h. Returns whether a master-clock update is requested.
 */
export function synchronizeTsc(m: ModelContext, s: VmState, v: VcpuState, h: bigint, userValue: bigint | undefined): boolean {
  const { api, host } = m;
  let data = userValue ?? 0n;
  const frac = host.caps.frac;
  const ns = host.kvmclockBaseNs(h);
  let offset = api.computeL1TscOffset(data, h, v.ratio, frac);
  const elapsed = lo64(ns - s.lastTscNsec);
  let synchronizing = false;
  if (v.virtualTscKhz !== 0) {
    if (data === 0n) synchronizing = true;
    else if (s.userSetTsc) synchronizing = api.syncWindow(data, s.lastTscWrite, elapsed, v.virtualTscKhz, v.virtualTscMult, v.virtualTscShift);
  }
  let matched = false;
  if (synchronizing && v.virtualTscKhz === s.lastTscKhz) {
    if (!m.unstableTsc) {
      offset = s.curTscOffset;
    } else {
      data = lo64(data + api.pvclockScaleDelta(elapsed, v.virtualTscMult, v.virtualTscShift));
      offset = api.computeL1TscOffset(data, h, v.ratio, frac);
    }
    matched = true;
  }
  return commitTscSync(m, s, v, offset, data, ns, matched, userValue !== undefined);
}

/**
 * __kvm_synchronize_tsc then kvm_track_tsc_matching: the vCPU takes the offset, the VM
 * records the write (and the writer's ratio as the VM ratio), the TSC generation starts
 * anew unless matched, the frequency generation counts the vCPU; returns whether a
 * master-clock update is requested.
 */
export function commitTscSync(m: ModelContext, s: VmState, v: VcpuState, offset: bigint, tsc: bigint, ns: bigint, matched: boolean, userSetTsc: boolean): boolean {
  if (userSetTsc) s.userSetTsc = true;
  s.lastTscNsec = ns;
  s.lastTscWrite = tsc;
  s.lastTscKhz = v.virtualTscKhz;
  s.lastTscOffset = offset;
  s.curTscScalingRatio = v.ratio;
  v.lastGuestTsc = tsc;
  v.l1TscOffset = offset;
  if (!matched) {
    s.curTscGeneration++;
    s.curTscNsec = ns;
    s.curTscWrite = tsc;
    s.curTscOffset = offset;
    s.nrVcpusMatchedTsc = 0;
  } else if (v.thisTscGeneration !== s.curTscGeneration) {
    s.nrVcpusMatchedTsc++;
  }
  v.thisTscGeneration = s.curTscGeneration;
  v.thisTscNsec = s.curTscNsec;
  v.thisTscWrite = s.curTscWrite;
  countFrequency(s, v);
  return trackTscMatching(m, s, matched);
}

/** The frequency generation (`masterclock-offset-tscs`): a new one when the vCPU's kHz differs from the VM's; each vCPU counted once per generation. */
function countFrequency(s: VmState, v: VcpuState): void {
  if (v.virtualTscKhz !== s.curFreqKhz) {
    s.curFreqKhz = v.virtualTscKhz;
    s.curFreqGeneration++;
    s.nrVcpusMatchedFreq = 1;
  } else if (v.thisFreqGeneration !== s.curFreqGeneration) {
    s.nrVcpusMatchedFreq++;
  }
  v.thisFreqGeneration = s.curFreqGeneration;
}

/**
 * kvm_track_tsc_matching: whether a master-clock update is requested. Legacy rule: on
 * every synchronisation while the master clock is or could be on. Current rule: when the
 * master clock would toggle, or a new TSC generation starts while it is on — and, with
 * `masterclock-offset-tscs`, when "all offsets matched" (hence TSC_STABLE) would flip.
 */
function trackTscMatching(m: ModelContext, s: VmState, matched: boolean): boolean {
  // The kernel's test here looks only at matching and the host clocksource.
  const could = masterClockEligibility(m, s, { ignoreStickyBlockers: true });
  if (m.tscMatchingRule === 'legacy') return s.useMasterClock || could.useMasterClock;
  const toggles = s.useMasterClock !== could.useMasterClock;
  const newGeneration = s.useMasterClock && !matched;
  const stableFlips = m.kernel.has('masterclock-offset-tscs') && s.useMasterClock && could.useMasterClock && s.tscStable !== could.tscStable;
  return toggles || newGeneration || stableFlips;
}
