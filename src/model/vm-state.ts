/**
 * The state KVM keeps for a VM's clock (struct kvm_arch's clock fields) and for each vCPU
 * (struct kvm_vcpu_arch's TSC and pvclock fields), as the model holds it, plus the
 * requests (KVM_REQ_MASTERCLOCK_UPDATE, KVM_REQ_CLOCK_UPDATE) that wait for a vCPU to enter
 * the guest. Plain data: the operations live in tsc-sync.ts, master-clock.ts,
 * guest-time-update.ts and vm.ts.
 */
import type { KvmclockApi } from '../api.js';
import type { SetTscKhzResult, TimeScale } from '../backend.js';
import type { KernelProfile } from '../kernel/profile.js';
import type { Host } from './host.js';
import type { HvTscPageState } from './hyperv-page.js';
import type { PvclockRecord } from './pvclock-record.js';

/**
 * Which kvm_track_tsc_matching rule requests a master-clock update:
 * `current` — only when the master clock would toggle or a new TSC generation starts
 * while it is on (kernels with the "don't force a masterclock update on vCPU hotplug"
 * change, as in the snapshot the arithmetic follows); `legacy` — on every TSC
 * synchronisation while the master clock is (or could be) on, as older kernels did,
 * which re-snapshots on every vCPU hotplug.
 */
export type TscMatchingRule = 'current' | 'legacy';

export interface VcpuState {
  readonly id: number;
  virtualTscKhz: number;
  virtualTscShift: number;
  virtualTscMult: number;
  /** l1_tsc_scaling_ratio. */
  ratio: bigint;
  l1TscOffset: bigint;
  /** IA32_TSC_ADJUST (s64). */
  tscAdjust: bigint;
  tscCatchup: boolean;
  tscAlwaysCatchup: boolean;
  thisTscGeneration: number;
  thisTscNsec: bigint;
  thisTscWrite: bigint;
  /** The frequency generation this vCPU was last counted in (`masterclock-offset-tscs`). */
  thisFreqGeneration: number;
  lastGuestTsc: bigint;
  /** hw_tsc_khz: tgt_tsc_khz of the last update (⌊Hz/1000⌋ under `hz-pvclock`, what the Xen leaf reports). */
  hwTscKhz: bigint;
  /** The pvclock frequency in Hz the cached factors were computed for (tgt_tsc_khz·1000, or the Hz frequency under `hz-pvclock`). */
  hwTscHz: bigint;
  pvclockScale: TimeScale | null;
  /** The record as last written by kvm_guest_time_update (null before the first update). */
  pvti: PvclockRecord | null;
  /** What the last kvm_set_tsc_khz on this vCPU did (creation or KVM_SET_TSC_KHZ). */
  setTscKhzResult: SetTscKhzResult | null;
  /** The vCPU has entered the guest since it was created. */
  hasRun: boolean;
  /** KVM_REQ_CLOCK_UPDATE is pending: the record is rewritten at the vCPU's next entry. */
  clockUpdatePending: boolean;
  /** KVM_KVMCLOCK_CTRL asked for GUEST_STOPPED: the next clock update sets it in the record. */
  guestStoppedRequest: boolean;
}

export interface VmState {
  kvmclockOffset: bigint;
  masterKernelNs: bigint;
  masterCycleNow: bigint;
  useMasterClock: boolean;
  /** PVCLOCK_TSC_STABLE in the records: the master clock is on (and, with `masterclock-offset-tscs`, every offset matched). */
  tscStable: boolean;
  /** The VM ratio the last snapshot captured (master_tsc_scaling_ratio, `c-via-guest-tsc`). */
  masterTscScalingRatio: bigint;
  /** The snapshot's factors for C′ (`c-via-guest-tsc`); null before a snapshot found a frequency. */
  masterScale: TimeScale | null;
  backwardsTscObserved: boolean;
  bootVcpuRunsOldKvmclock: boolean;
  defaultTscKhz: number;
  nrVcpusMatchedTsc: number;
  curTscGeneration: number;
  curTscNsec: bigint;
  curTscWrite: bigint;
  curTscOffset: bigint;
  /**
   * The ratio of the vCPU that last went through __kvm_synchronize_tsc (v6 13/36
   * last_tsc_scaling_ratio, 22/36 cur_tsc_scaling_ratio): the VM ratio C′ uses.
   */
  curTscScalingRatio: bigint;
  /** `masterclock-offset-tscs`: the VM's current TSC frequency, its generation and how many vCPUs run at it. */
  curFreqKhz: number;
  curFreqGeneration: number;
  nrVcpusMatchedFreq: number;
  lastTscNsec: bigint;
  lastTscWrite: bigint;
  lastTscKhz: number;
  lastTscOffset: bigint;
  userSetTsc: boolean;
  guestLastValue: bigint;
  /** KVM_REQ_MASTERCLOCK_UPDATE is pending: kvm_update_masterclock runs at the next vCPU entry. */
  masterclockUpdatePending: boolean;
  /** The VMM is running the vCPUs (between KVM_RUN and a pause): requests are serviced at once. */
  running: boolean;
  /** The Hyper-V reference TSC page of a Windows guest and KVM's status for it. */
  hvPage: HvTscPageState;
  vcpus: VcpuState[];
}

/** What the model's kernel code reads besides the state: the arithmetic, the host and the kernel profile. */
export interface ModelContext {
  readonly api: KvmclockApi;
  readonly host: Host;
  readonly kernel: KernelProfile;
  readonly tscMatchingRule: TscMatchingRule;
  /** kvm_check_tsc_unstable(): synchronisation adds elapsed time instead of reusing the offset. */
  readonly unstableTsc: boolean;
}

/** A deep enough copy for transactional operations (records and scales are immutable). */
export function cloneState(s: VmState): VmState {
  return { ...s, vcpus: s.vcpus.map((v) => ({ ...v })) };
}

/** A vCPU as KVM_CREATE_VCPU leaves it before kvm_set_tsc_khz and the first synchronisation. */
export function newVcpu(id: number, defaultRatio: bigint): VcpuState {
  return {
    id,
    virtualTscKhz: 0,
    virtualTscShift: 0,
    virtualTscMult: 0,
    ratio: defaultRatio,
    l1TscOffset: 0n,
    tscAdjust: 0n,
    tscCatchup: false,
    tscAlwaysCatchup: false,
    thisTscGeneration: 0,
    thisTscNsec: 0n,
    thisTscWrite: 0n,
    thisFreqGeneration: 0,
    lastGuestTsc: 0n,
    hwTscKhz: 0n,
    hwTscHz: 0n,
    pvclockScale: null,
    pvti: null,
    setTscKhzResult: null,
    hasRun: false,
    clockUpdatePending: false,
    guestStoppedRequest: false,
  };
}
