/**
 * The spec's standard reference (§11, `abc` conventions) as a model: a host whose raw
 * clock starts at zero at TSC c0 = M = 10^12 with offs_boot 0, a VM created there
 * (kvmclock_offset 0), one vCPU created there whose L1 TSC offset the VMM then sets to
 * 0 with KVM_VCPU_TSC_OFFSET (so every offset is 0), the vCPU run there (its requests
 * serviced: the master clock taken at M), under a kernel profile (default 6.18).
 * Evaluations happen at h = M + host_khz·1000·seconds.
 */
import type { KvmclockApi } from '../api.js';
import type { KernelProfile } from '../kernel/profile.js';
import { Host } from './host.js';
import type { Vendor } from './vendor.js';
import { Vm } from './vm.js';

export const STANDARD_M = 1_000_000_000_000n;

export interface StandardOptions {
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly vendor: Vendor;
  readonly hasTscControl?: boolean;
  readonly tolerancePpm?: number;
  /** The kernel profile (default 6.18). */
  readonly kernel?: KernelProfile | string;
}

export interface StandardVm {
  readonly host: Host;
  readonly vm: Vm;
  /** master_cycle_now of the reference. */
  readonly m: bigint;
}

/** Build the standard reference VM with one vCPU. */
export function standardVm(api: KvmclockApi, o: StandardOptions): StandardVm {
  const host = new Host(api, {
    tscKhz: o.hostKhz,
    vendor: o.vendor,
    hasTscControl: o.hasTscControl,
    tscTolerancePpm: o.tolerancePpm,
    rawClock: { cycleLast: STANDARD_M, rawSec: 0n, xtimeNsec: 0n },
  });
  const vm = new Vm(host, { at: STANDARD_M, guestTscKhz: o.guestKhz, kernel: o.kernel });
  vm.createVcpu(STANDARD_M);
  vm.setTscOffset(0, STANDARD_M, 0n);
  vm.run(STANDARD_M);
  return { host, vm, m: STANDARD_M };
}
