/**
 * vCPU hotplug after long uptimes: the step the guest's kvmclock takes when a vCPU is
 * added, under the kernel's TSC-matching rules and the two re-snapshot variants.
 * Each case runs the model: a running VM on the standard reference under the chosen kernel
 * profile, a vCPU hotplugged `elapsed` after the master clock was taken, B of vCPU 0
 * compared just before and just after at the hotplug instant.
 */
import type { KvmclockApi } from '../api.js';
import { type StandardOptions, standardVm } from '../model/standard.js';
import type { TscMatchingRule } from '../model/vm.js';
import { Host } from '../model/host.js';
import { Vm } from '../model/vm.js';
import { STANDARD_M } from '../model/standard.js';

export interface HotplugStep {
  readonly elapsedNs: bigint;
  /** B step of vCPU 0 at the hotplug with the current kernel rule (no re-snapshot for a matched vCPU). */
  readonly currentRuleStepNs: bigint;
  /** B step with the legacy rule: the hotplug re-snapshots the master clock, B snaps to A. */
  readonly legacyStepNs: bigint;
  /** B step when the re-snapshot is continuous (kvmclock_offset adjusted): 0 by construction, computed. */
  readonly continuousStepNs: bigint;
  /** B − A just before the hotplug: the divergence a legacy re-snapshot removes. */
  readonly bMinusANs: bigint;
}

function hotplugStep(api: KvmclockApi, o: StandardOptions, elapsedNs: bigint, rule: TscMatchingRule | 'continuous'): bigint {
  const host = new Host(api, { tscKhz: o.hostKhz, vendor: o.vendor, hasTscControl: o.hasTscControl, tscTolerancePpm: o.tolerancePpm, rawClock: { cycleLast: STANDARD_M, rawSec: 0n, xtimeNsec: 0n } });
  const vm = new Vm(host, { at: STANDARD_M, guestTscKhz: o.guestKhz, tscMatchingRule: rule === 'continuous' ? 'legacy' : rule, kernel: o.kernel });
  vm.createVcpu(STANDARD_M);
  vm.run(STANDARD_M); // the guest runs: the hotplugged vCPU enters at once and requests are serviced
  const h = STANDARD_M + (elapsedNs * BigInt(o.hostKhz)) / 1_000_000n;
  const before = vm.clocks(0, h).b;
  if (rule === 'continuous') {
    // The re-snapshot the hotplug triggers, done the continuous way, then the new vCPU.
    vm.resnapshot(h, 'continuous');
    vm.createVcpu(h);
  } else {
    vm.createVcpu(h);
  }
  return BigInt.asIntN(64, vm.clocks(0, h).b - before);
}

/** The hotplug step after each elapsed time since the master clock was taken. */
export function hotplugSteps(api: KvmclockApi, o: StandardOptions, elapsedNs: readonly bigint[]): HotplugStep[] {
  return elapsedNs.map((e) => {
    const { host, vm, m } = standardVm(api, o);
    const c = vm.clocks(0, m + (e * BigInt(host.tscKhz)) / 1_000_000n);
    return {
      elapsedNs: e,
      currentRuleStepNs: hotplugStep(api, o, e, 'current'),
      legacyStepNs: hotplugStep(api, o, e, 'legacy'),
      continuousStepNs: hotplugStep(api, o, e, 'continuous'),
      bMinusANs: BigInt.asIntN(64, c.b - c.a),
    };
  });
}
