/**
 * A VM and its vCPUs as KVM keeps them (spec §5, §7, §8) under a kernel profile chosen
 * once, at creation (kernel-variants; default 6.18): kvmclock_offset, the master-clock
 * reference and why it is or is not in use, TSC-matching generations, and per vCPU the TSC
 * ratio, L1 offset, TSC_ADJUST, catch-up state and the pvclock record kvm_guest_time_update
 * writes. Every operation takes the host TSC instant at which it happens.
 *
 * Requests are requests: KVM_REQ_MASTERCLOCK_UPDATE and KVM_REQ_CLOCK_UPDATE wait for a
 * vCPU to enter the guest. While the VMM runs the vCPUs (after `run`, until `pause`) the
 * next entry is immediate, so the model services them at the instant of the operation that
 * raised them; a VM whose vCPUs never ran, or that is paused, keeps them pending until
 * `run` (or an ioctl that services them, such as v6 KVM_GET_CLOCK_GUEST).
 *
 * Operations are transactional: one that fails (a typed error) leaves the model as it
 * was. Where the kernel itself changes state before failing (KVM_SET_TSC_KHZ sets
 * virtual_tsc_khz before rejecting a ratio; KVM_SET_CLOCK_GUEST has taken its snapshot) the
 * error message or the README says so.
 */
import type { KvmclockApi } from '../api.js';
import { ArgumentRangeError, InternalError, KernelRuleError, isKvmclockError } from '../errors.js';
import { type KernelProfile, aKernelProfile } from '../kernel/profile.js';
import { KVM_CLOCK_HOST_TSC, KVM_CLOCK_REALTIME, KVM_CLOCK_TSC_STABLE, PVCLOCK_GUEST_STOPPED, PVCLOCK_TSC_STABLE_BIT } from '../units.js';
import { aBool, aS64, aU32, aU64 } from '../validate.js';
import { clockD, guestTscClocksource } from './clock-d.js';
import { setClockGuestOffset } from './clock-guest.js';
import type { ClockState } from './definitions.js';
import { guestTimeUpdate, nextGuestScale } from './guest-time-update.js';
import type { Host, HostClocksource } from './host.js';
import { HV_PAGE_UNSET, type HvTscPageState, referenceTime, requestPageUpdate, writeReferenceTscMsr } from './hyperv-page.js';
import { type MasterClockBlocker, allOffsetsMatched, blockers, snapshot } from './master-clock.js';
import { type GuestClockRead, type PvclockRecord, aPvclockRecord, guestClockRead, readRecord } from './pvclock-record.js';
import { commitTscSync, synchronizeTsc } from './tsc-sync.js';
import { type ModelContext, type TscMatchingRule, type VcpuState, type VmState, cloneState, newVcpu } from './vm-state.js';

export type { MasterClockBlocker } from './master-clock.js';
export type { TscMatchingRule, VcpuState } from './vm-state.js';

const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);

export interface VmOptions {
  /** Host TSC at VM creation (KVM_CREATE_VM). */
  readonly at: bigint;
  /** default_tsc_khz for new vCPUs (VM-wide KVM_SET_TSC_KHZ); default: host tsc_khz. */
  readonly guestTscKhz?: number;
  readonly tscMatchingRule?: TscMatchingRule;
  /** The guest accepted KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (default true, as Linux guests do). */
  readonly guestStableBit?: boolean;
  /** kvm_check_tsc_unstable(): an unstable host TSC makes synchronisation add elapsed time (default false). */
  readonly unstableTsc?: boolean;
  /** The kernel profile whose arithmetic the VM follows: a KernelProfile or a string such as '7.4-queued' (default '6.18'). */
  readonly kernel?: KernelProfile | string;
}

/** KVM_GET_CLOCK's struct kvm_clock_data. */
export interface KvmClockData {
  readonly clock: bigint;
  readonly flags: number;
  readonly realtime?: bigint;
  readonly hostTsc?: bigint;
}

/** The definitions of the KVM clock for one vCPU at one instant, with the guest TSC. */
export interface ClockValues {
  readonly h: bigint;
  readonly guestTsc: bigint;
  /** Host reference: RAW + offs_boot + kvmclock_offset. */
  readonly a: bigint;
  /** What the guest computes from its TSC and its pvclock record. */
  readonly b: bigint;
  /** __get_kvmclock from the current reference: C, or C′ under `c-via-guest-tsc` (A when the reference has no frequency). */
  readonly c: bigint;
  /** What get_kvmclock_ns (KVM_GET_CLOCK) returns now: C with the master clock, A without. */
  readonly kvmclockNs: bigint;
  /** D: the guest's TSC clocksource (CLOCK_MONOTONIC_RAW of a guest on `tsc`), aligned with B at its record's reference; null when the record gives no usable kHz. */
  readonly d: bigint | null;
  /**
   * H: the Hyper-V reference time a Windows guest reads on this vCPU, in 100 ns units — from
   * the reference TSC page while its sequence is valid, else from the reference-counter MSR
   * (⌊kvmclockNs/100⌋).
   */
  readonly hvReference: { readonly units: bigint; readonly source: 'page' | 'msr' };
}

/** The master clock as KVM holds it. */
export interface MasterClockView {
  readonly inUse: boolean;
  readonly kernelNs: bigint;
  readonly cycleNow: bigint;
  readonly blockers: readonly MasterClockBlocker[];
  /** PVCLOCK_TSC_STABLE in the records. */
  readonly tscStable: boolean;
  /** KVM_REQ_MASTERCLOCK_UPDATE is waiting for a vCPU entry. */
  readonly updatePending: boolean;
  /** The VM ratio the snapshot captured for C′ (`c-via-guest-tsc`). */
  readonly tscScalingRatio: bigint;
}

export class Vm {
  readonly api: KvmclockApi;
  readonly host: Host;
  readonly kernel: KernelProfile;
  readonly tscMatchingRule: TscMatchingRule;
  readonly guestValidFlags: number;
  readonly unstableTsc: boolean;
  readonly #m: ModelContext;
  #s: VmState;
  #now: bigint;

  /** KVM_CREATE_VM at host TSC `options.at`: kvmclock_offset = −get_kvmclock_base_ns(), then a (forced) snapshot. */
  constructor(host: Host, options: VmOptions) {
    this.api = host.api;
    this.host = host;
    const at = host.checkInstant(options.at, 'at');
    const rule = options.tscMatchingRule ?? 'current';
    if (rule !== 'current' && rule !== 'legacy') throw ArgumentRangeError.choice('tscMatchingRule', ['current', 'legacy'], String(rule));
    this.tscMatchingRule = rule;
    this.kernel = aKernelProfile(options.kernel, 'kernel');
    this.guestValidFlags = options.guestStableBit === undefined || aBool(options.guestStableBit, 'guestStableBit') ? PVCLOCK_TSC_STABLE_BIT : 0;
    this.unstableTsc = options.unstableTsc === undefined ? false : aBool(options.unstableTsc, 'unstableTsc');
    this.#m = { api: this.api, host, kernel: this.kernel, tscMatchingRule: rule, unstableTsc: this.unstableTsc };
    const defaultTscKhz = options.guestTscKhz === undefined ? host.tscKhz : this.#checkGuestKhz(options.guestTscKhz, 'guestTscKhz');
    this.#now = at;
    this.#s = {
      kvmclockOffset: s64(-host.kvmclockBaseNs(at)),
      masterKernelNs: 0n,
      masterCycleNow: 0n,
      useMasterClock: false,
      tscStable: false,
      masterTscScalingRatio: host.caps.defaultRatio,
      masterScale: null,
      backwardsTscObserved: false,
      bootVcpuRunsOldKvmclock: false,
      defaultTscKhz,
      nrVcpusMatchedTsc: 0,
      curTscGeneration: 0,
      curTscNsec: 0n,
      curTscWrite: 0n,
      curTscOffset: 0n,
      curTscScalingRatio: host.caps.defaultRatio,
      curFreqKhz: 0,
      curFreqGeneration: 0,
      nrVcpusMatchedFreq: 0,
      lastTscNsec: 0n,
      lastTscWrite: 0n,
      lastTscKhz: 0,
      lastTscOffset: 0n,
      userSetTsc: false,
      guestLastValue: 0n,
      masterclockUpdatePending: false,
      running: false,
      hvPage: HV_PAGE_UNSET,
      vcpus: [],
    };
    snapshot(this.#m, this.#s, at, true);
  }

  // ---------------------------------------------------------------- state views

  /** The instant of the last operation (operations must not go back in time). */
  get now(): bigint {
    return this.#now;
  }
  get kvmclockOffset(): bigint {
    return this.#s.kvmclockOffset;
  }
  get masterClock(): MasterClockView {
    const s = this.#s;
    return {
      inUse: s.useMasterClock,
      kernelNs: s.masterKernelNs,
      cycleNow: s.masterCycleNow,
      blockers: blockers(this.#m, s),
      tscStable: s.tscStable,
      updatePending: s.masterclockUpdatePending,
      tscScalingRatio: s.masterTscScalingRatio,
    };
  }
  get tscMatching(): { readonly generation: number; readonly nrVcpusMatched: number; readonly userSetTsc: boolean; readonly lastTscKhz: number; readonly tscScalingRatio: bigint } {
    const s = this.#s;
    return { generation: s.curTscGeneration, nrVcpusMatched: s.nrVcpusMatchedTsc, userSetTsc: s.userSetTsc, lastTscKhz: s.lastTscKhz, tscScalingRatio: s.curTscScalingRatio };
  }
  /** Whether the VMM is running the vCPUs (requests are serviced at once) or the VM is paused or not yet run. */
  get running(): boolean {
    return this.#s.running;
  }
  get vcpuCount(): number {
    return this.#s.vcpus.length;
  }
  get guestLastValue(): bigint {
    return this.#s.guestLastValue;
  }
  /** The Hyper-V reference TSC page and its status (guest-clock-abis §1.6). */
  get hvTscPage(): HvTscPageState {
    return this.#s.hvPage;
  }
  /** A copy of a vCPU's state. */
  vcpu(id: number): Readonly<VcpuState> {
    return { ...this.#vcpu(id) };
  }

  /** The ClockState the spec's definitions evaluate for a vCPU (see definitions.ts). */
  clockState(id: number): ClockState {
    const v = this.#vcpu(id);
    const s = this.#s;
    const raw = this.host.rawReference;
    const cs = this.host.clocksource;
    const viaGuestTsc = this.kernel.has('c-via-guest-tsc');
    return {
      raw: { ...raw, mult: cs.mult, shift: cs.shift },
      offsBootNs: this.host.offsBootNs,
      kvmclockOffset: s.kvmclockOffset,
      masterCycleNow: s.masterCycleNow,
      masterKernelNs: s.masterKernelNs,
      l1TscOffset: v.l1TscOffset,
      ratio: v.ratio,
      frac: this.host.caps.frac,
      guestScale: v.pvclockScale ?? nextGuestScale(this.#m, v),
      hostScale: viaGuestTsc && s.masterScale !== null ? s.masterScale : this.host.hostTimeScale,
      kernel: this.kernel,
      hostKhz: BigInt(this.host.tscKhz),
      hasTscControl: this.host.caps.hasTscControl,
      masterRatio: s.masterTscScalingRatio,
    };
  }

  /** A, B, C (and the guest TSC) for a vCPU at host TSC h; B from the vCPU's current record. */
  clocks(id: number, h: bigint): ClockValues {
    const at = this.host.checkInstant(h, 'h');
    const v = this.#vcpu(id);
    const guestTsc = this.#readL1Tsc(v, at);
    const a = lo64(this.host.kvmclockBaseNs(at) + this.#s.kvmclockOffset);
    const b = v.pvti === null ? a : readRecord(this.api, v.pvti, guestTsc);
    const c = this.#masterClockNs(at) ?? a;
    const cs = v.pvti === null ? null : guestTscClocksource(this.api, v.pvti.tscToSystemMul, v.pvti.tscShift);
    const d = v.pvti === null || cs === null ? null : clockD(this.api, v.pvti, cs, guestTsc);
    const kvmclockNs = this.#s.useMasterClock ? c : a;
    return { h: at, guestTsc, a, b, c, kvmclockNs, d, hvReference: referenceTime(this.api, this.#s.hvPage, guestTsc, kvmclockNs) };
  }

  // ---------------------------------------------------------------- operations

  /**
   * KVM_CREATE_VCPU (creation or hotplug): kvm_set_tsc_khz(default), TSC sync with 0, the
   * matching it triggers. In a running VM the new vCPU enters at once (its first load
   * requests a global clock update); otherwise its record waits for `run`. Returns the id.
   */
  createVcpu(h: bigint): number {
    return this.#op(h, (at) => {
      const id = this.#s.vcpus.length;
      const v = newVcpu(id, this.host.caps.defaultRatio);
      this.#kvmSetTscKhz(v, this.#s.defaultTscKhz); // the kernel ignores its result here
      this.#s.vcpus.push(v); // online_vcpus++ happens before kvm_arch_vcpu_postcreate
      if (synchronizeTsc(this.#m, this.#s, v, at, undefined)) this.#s.masterclockUpdatePending = true;
      if (this.#s.running) this.#enterGuest([v]);
      this.#serviceIfRunning(at);
      return id;
    });
  }

  /**
   * KVM_SET_TSC_KHZ on a vCPU. 0 means the host's tsc_khz. Fails with EINVAL at or
   * above max_guest_tsc_khz (with hardware scaling) or when kvm_set_tsc_khz fails. With
   * `resync-after-set-tsc-khz` the guest TSC is read with the old parameters first and
   * written back (kvm_synchronize_tsc) with the new ones, so it stays continuous and the
   * VM ratio follows; without it the guest TSC jumps and the VM ratio stays as it was.
   */
  setTscKhz(id: number, h: bigint, khz: number): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      let user = aU32(khz, 'khz');
      const max = this.host.maxGuestTscKhz;
      if (this.host.caps.hasTscControl && user >= max) {
        throw new KernelRuleError('EINVAL', `KVM_SET_TSC_KHZ returns -EINVAL: ${user} kHz is not below max_guest_tsc_khz ${max} (${this.host.vendor}, host ${this.host.tscKhz} kHz)`);
      }
      if (user === 0) user = this.host.tscKhz;
      const guestTscBefore = this.#readL1Tsc(v, at);
      const rc = this.#kvmSetTscKhz(v, user);
      if (rc !== 0) {
        throw new KernelRuleError(
          'EINVAL',
          `KVM_SET_TSC_KHZ returns -EINVAL: kvm_set_tsc_khz(${user}) failed (ratio zero or >= max_tsc_scaling_ratio, or a slower guest without hardware scaling); the kernel would still have set virtual_tsc_khz = ${user}, which this model does not keep`,
        );
      }
      if (this.kernel.has('resync-after-set-tsc-khz') && synchronizeTsc(this.#m, this.#s, v, at, guestTscBefore)) this.#s.masterclockUpdatePending = true;
      this.#serviceIfRunning(at);
    });
  }

  /** Host-initiated write of IA32_TSC (KVM_SET_MSRS): kvm_synchronize_tsc with the user's value. */
  hostWriteTsc(id: number, h: bigint, value: bigint): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      if (synchronizeTsc(this.#m, this.#s, v, at, aU64(value, 'value'))) this.#s.masterclockUpdatePending = true;
      this.#serviceIfRunning(at);
    });
  }

  /** Guest WRMSR(IA32_TSC): the offset and IA32_TSC_ADJUST move by the same amount; no clock update. */
  guestWriteTsc(id: number, h: bigint, value: bigint): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      const adj = lo64(this.api.computeL1TscOffset(aU64(value, 'value'), at, v.ratio, this.host.caps.frac) - v.l1TscOffset);
      v.l1TscOffset = lo64(v.l1TscOffset + adj);
      v.tscAdjust = s64(v.tscAdjust + adj);
    });
  }

  /** Guest WRMSR(IA32_TSC_ADJUST): the offset moves by the change, and a clock update is requested. */
  guestWriteTscAdjust(id: number, h: bigint, value: bigint): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      const target = aS64(value, 'value');
      const adj = lo64(target - v.tscAdjust);
      v.l1TscOffset = lo64(v.l1TscOffset + adj);
      v.tscAdjust = target;
      v.clockUpdatePending = true;
      this.#serviceIfRunning(at);
    });
  }

  /** KVM_GET_DEVICE_ATTR KVM_VCPU_TSC_OFFSET: the vCPU's L1 TSC offset. */
  getTscOffset(id: number): bigint {
    return this.#vcpu(id).l1TscOffset;
  }

  /** KVM_SET_DEVICE_ATTR KVM_VCPU_TSC_OFFSET: set the offset directly, matched iff it equals the last one at the same kHz. */
  setTscOffset(id: number, h: bigint, offset: bigint): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      const off = aU64(offset, 'offset');
      const s = this.#s;
      const matched = v.virtualTscKhz !== 0 && s.lastTscKhz === v.virtualTscKhz && s.lastTscOffset === off;
      const tsc = lo64(this.api.scaleTsc(at, v.ratio, this.host.caps.frac) + off);
      const ns = this.host.kvmclockBaseNs(at);
      s.userSetTsc = true;
      if (commitTscSync(this.#m, s, v, off, tsc, ns, matched, true)) s.masterclockUpdatePending = true;
      this.#serviceIfRunning(at);
    });
  }

  /**
   * KVM_GET_CLOCK (spec §8.2): with the master clock in use, C (C′ under
   * `c-via-guest-tsc`) from the current reference — even while a master-clock update is
   * pending — with REALTIME|HOST_TSC only when the host runs on the TSC; else A, no flags.
   */
  getClock(h: bigint): KvmClockData {
    const at = this.host.checkInstant(h, 'h');
    const clock = this.#s.useMasterClock ? this.#masterClockNs(at) : null;
    if (clock !== null) {
      if (this.host.clocksourceKind === 'tsc') {
        return { clock, flags: KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC, realtime: this.host.realtimeNs(at), hostTsc: at };
      }
      return { clock, flags: KVM_CLOCK_TSC_STABLE, hostTsc: at };
    }
    return { clock: lo64(this.host.kvmclockBaseNs(at) + this.#s.kvmclockOffset), flags: 0 };
  }

  /** KVM_SET_CLOCK (spec §8.3): EINVAL for unknown flags; a fresh (forced) snapshot; REALTIME advance; new kvmclock_offset; clock updates requested. */
  setClock(h: bigint, data: { readonly clock: bigint; readonly flags?: number; readonly realtime?: bigint }): void {
    this.#op(h, (at) => {
      const clock = aU64(data?.clock, 'clock');
      const flags = data.flags === undefined ? 0 : aU32(data.flags, 'flags');
      const realtime = data.realtime === undefined ? 0n : aU64(data.realtime, 'realtime');
      // Validate the flags before anything changes, as the kernel does.
      this.api.setClock(clock, flags, realtime, 0n, false, 0n, 0n);
      this.#updateMasterclock(at, true);
      const s = this.#s;
      s.kvmclockOffset = this.api.setClock(clock, flags, realtime, this.host.realtimeNs(at), s.useMasterClock, s.masterKernelNs, this.host.kvmclockBaseNs(at));
      this.#serviceIfRunning(at);
    });
  }

  /**
   * KVM_GET_CLOCK_GUEST on a vCPU at host TSC h (default: the last operation's instant).
   * `set-clock-guest-v6`: a pending (or never run) clock update runs first, then EINVAL
   * without the master clock, else the record from the reference (Hz factors under
   * `hz-pvclock`, TSC_STABLE only with matched offsets under `masterclock-offset-tscs`).
   * Other profiles: the 2024 proposal — EINVAL without the master clock, else the vCPU's
   * record (after its pending clock update).
   */
  getClockGuest(id: number, h: bigint = this.#now): PvclockRecord {
    return this.#op(h, (at) => {
      const v = this.#vcpu(id);
      const s = this.#s;
      if (v.clockUpdatePending || v.pvti === null) guestTimeUpdate(this.#m, s, v, at);
      if (this.kernel.has('set-clock-guest-v6')) {
        const caps = this.host.caps;
        const r = this.api.getClockGuestV6(this.kernel, s.useMasterClock, s.masterCycleNow, s64(s.masterKernelNs), s64(s.kvmclockOffset), v.l1TscOffset, v.ratio, caps.frac, BigInt(this.host.tscKhz), caps.hasTscControl, allOffsetsMatched(s));
        return { version: 0, tscTimestamp: r.tscTimestamp, systemTime: r.systemTime, tscToSystemMul: r.mul, tscShift: r.shift, flags: r.flags };
      }
      if (!s.useMasterClock) throw new KernelRuleError('EINVAL', 'KVM_GET_CLOCK_GUEST (2024 proposal) returns -EINVAL: the master clock is not in use');
      return { ...(v.pvti as PvclockRecord) };
    });
  }

  /**
   * KVM_SET_CLOCK_GUEST: a fresh master-clock reference, the guest TSC at it, the given
   * record evaluated there, and kvmclock_offset set so the kernel's clock agrees.
   * `set-clock-guest-v6`: the v6 ioctl with its checks in order (EINVAL for mul 0, a shift
   * outside ±31, no master clock, a guest TSC behind the record; ERANGE outside the ±1000 Hz
   * window). Other profiles: the 2024 proposal (EINVAL without the master clock, no other
   * check). Clock updates are requested for every vCPU; on a failure nothing changes.
   */
  setClockGuest(id: number, h: bigint, record: PvclockRecord): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      const given = aPvclockRecord(record, 'record');
      this.#s.hvPage = requestPageUpdate(this.#s.hvPage);
      snapshot(this.#m, this.#s, at, true);
      const s = this.#s;
      const caps = this.host.caps;
      if (this.kernel.has('set-clock-guest-v6')) {
        const user = { tscTimestamp: given.tscTimestamp, systemTime: given.systemTime, mul: given.tscToSystemMul, shift: given.tscShift, flags: given.flags };
        s.kvmclockOffset = this.api.setClockGuestV6(user, false, s.useMasterClock, s.masterCycleNow, s64(s.masterKernelNs), v.l1TscOffset, v.ratio, caps.frac, BigInt(this.host.tscKhz), caps.hasTscControl).kvmclockOffset;
      } else {
        if (!s.useMasterClock) {
          throw new KernelRuleError('EINVAL', `KVM_SET_CLOCK_GUEST (2024 proposal) returns -EINVAL: the master clock is not in use (${blockers(this.#m, s).join(', ')})`);
        }
        s.kvmclockOffset = setClockGuestOffset(this.api, given, true, s.masterCycleNow, s.masterKernelNs, s.kvmclockOffset, v.l1TscOffset, v.ratio, caps.frac).kvmclockOffset;
      }
      this.#requestAllClockUpdates();
      this.#serviceIfRunning(at);
    });
  }

  /**
   * A master-clock re-snapshot at h. `legacy`: kvm_update_masterclock as the
   * KVM_REQ_MASTERCLOCK_UPDATE path runs it (what hotplug on older kernels or a clocksource
   * event triggers) — a new reference, kvmclock_offset unchanged, so the guest clock snaps
   * to definition A; under `keep-active-masterclock` an active reference is kept (step 0).
   * `continuous` (a proposal): kvmclock_offset is set so that vCPU `referenceVcpu`'s B does
   * not jump at h.
   */
  resnapshot(h: bigint, variant: 'legacy' | 'continuous', referenceVcpu = 0): void {
    if (variant !== 'legacy' && variant !== 'continuous') throw ArgumentRangeError.choice('variant', ['legacy', 'continuous'], String(variant));
    this.#op(h, (at) => {
      const s = this.#s;
      if (variant === 'legacy') {
        this.#updateMasterclock(at, false);
        s.masterclockUpdatePending = false; // this is the request path running
      } else {
        const ref = s.vcpus.length > 0 ? this.#vcpu(referenceVcpu) : undefined;
        const before = ref?.pvti ? readRecord(this.api, ref.pvti, this.#readL1Tsc(ref, at)) : undefined;
        const wasMaster = s.useMasterClock;
        this.#updateMasterclock(at, true);
        if (before !== undefined && wasMaster && s.useMasterClock) s.kvmclockOffset = s64(before - s.masterKernelNs);
      }
      this.#serviceIfRunning(at);
    });
  }

  /**
   * The host's clocksource changes at h (§6.3). Leaving the TSC notifies KVM
   * (pvclock_gtod_notify), which requests a master-clock update on every vCPU: a running VM
   * drops the master clock at once, a paused one holds the request until it runs.
   */
  hostClocksourceChange(h: bigint, kind: HostClocksource, tscKhz?: number): void {
    this.#op(h, (at) => {
      this.host.changeClocksource(at, kind, tscKhz);
      if (kind !== 'tsc' && this.#s.useMasterClock) this.#s.masterclockUpdatePending = true;
      this.#serviceIfRunning(at);
    });
  }

  /**
   * The vCPUs enter the guest (KVM_RUN) at h, and the VM counts as running until `pause`.
   * A vCPU's first load, or any load while the master clock is off, raises
   * KVM_REQ_GLOBAL_CLOCK_UPDATE: every vCPU's record is rewritten (the kernel updates the
   * loading vCPU at once and the others ~100 ms later; the model does both at h). Pending
   * requests are serviced: first the master-clock update, then the clock updates.
   */
  run(h: bigint): void {
    this.#op(h, (at) => {
      this.#s.running = true;
      this.#enterGuest(this.#s.vcpus);
      this.#service(at);
    });
  }

  /** The VMM stops running the vCPUs at h (a pause, or before saving state): requests now wait for `run`. */
  pause(h: bigint): void {
    this.#op(h, () => {
      this.#s.running = false;
    });
  }

  /**
   * The periodic kvmclock_sync work (every 300 s) and other global clock updates: each
   * vCPU's record is rewritten (at once while running, at the next `run` otherwise). With
   * the master clock on this reuses the same (K, M) and changes nothing but the version;
   * without it the records are re-based on "now".
   */
  clockUpdate(h: bigint): void {
    this.#op(h, (at) => {
      this.#requestAllClockUpdates();
      this.#serviceIfRunning(at);
    });
  }

  /**
   * KVM_KVMCLOCK_CTRL: asks for GUEST_STOPPED in a vCPU's record; it is set by the vCPU's
   * next clock update (at once while running, at `run` otherwise) and cleared by the guest
   * when it reads it.
   */
  markGuestStopped(id: number, h: bigint = this.#now): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      v.guestStoppedRequest = true;
      v.clockUpdatePending = true;
      this.#serviceIfRunning(at);
    });
  }

  /**
   * A write of HV_X64_MSR_REFERENCE_TSC at h by the guest or by the VMM (a restore): with the
   * enable bit the page becomes GUEST_CHANGED / HOST_CHANGED (clearing a sticky BROKEN) and a
   * master-clock update is requested, which computes it; without it the page is UNSET.
   */
  writeReferenceTscMsr(h: bigint, enable: boolean, by: 'guest' | 'host' = 'host'): void {
    if (by !== 'guest' && by !== 'host') throw ArgumentRangeError.choice('by', ['guest', 'host'], String(by));
    this.#op(h, (at) => {
      this.#s.hvPage = writeReferenceTscMsr(this.#s.hvPage, aBool(enable, 'enable'), by);
      if (enable) this.#s.masterclockUpdatePending = true;
      this.#serviceIfRunning(at);
    });
  }

  /**
   * HV_X64_MSR_TIME_REF_COUNT read by the guest on vCPU 0 at h (100 ns units): with the page
   * SET, the page formula at vCPU 0's guest TSC; otherwise ⌊get_kvmclock_ns()/100⌋.
   */
  hvReferenceCounter(h: bigint): bigint {
    const c = this.clocks(0, h);
    const page = this.#s.hvPage;
    return page.status === 'set' ? this.api.hvRefRead(c.guestTsc, page.scale, page.offset) : this.api.hvRefMsr(c.kvmclockNs);
  }

  /** The guest reads its kvmclock on a vCPU at host TSC h (version protocol, stable flag, last_value guard). */
  guestRead(id: number, h: bigint): GuestClockRead {
    const at = this.host.checkInstant(h, 'h');
    const v = this.#vcpu(id);
    const pvti = v.pvti;
    if (pvti === null) throw new KernelRuleError('EINVAL', `vCPU ${id} has no pvclock record: the guest cannot read kvmclock yet`);
    const r = guestClockRead(this.api, () => ({ before: pvti, after: pvti }), this.#readL1Tsc(v, at), this.guestValidFlags, this.#s.guestLastValue);
    this.#s.guestLastValue = r.lastValue;
    if (r.guestStopped) v.pvti = { ...pvti, flags: pvti.flags & ~PVCLOCK_GUEST_STOPPED };
    return r;
  }

  // ---------------------------------------------------------------- kernel internals

  #op<T>(h: bigint, body: (at: bigint) => T): T {
    const at = this.host.checkInstant(h, 'at');
    if (at < this.#now) throw new ArgumentRangeError('at', 'host TSC', this.#now, 0xffff_ffff_ffff_ffffn, at, 'before the previous operation (time runs forward)');
    const saved = cloneState(this.#s);
    const hostSaved = this.host.saveState();
    try {
      const result = body(at);
      this.#now = at;
      return result;
    } catch (e) {
      this.#s = saved;
      this.host.restoreState(hostSaved);
      if (isKvmclockError(e)) throw e;
      throw new InternalError(`model operation failed unexpectedly: ${(e as Error)?.message ?? e}`, { cause: e });
    }
  }

  #vcpu(id: number): VcpuState {
    const n = aU32(id, 'vcpu');
    const v = this.#s.vcpus[n];
    if (v === undefined) throw new ArgumentRangeError('vcpu', 'vCPU id', 0n, BigInt(this.#s.vcpus.length - 1), n, this.#s.vcpus.length === 0 ? 'the VM has no vCPU' : 'no such vCPU');
    return v;
  }

  #checkGuestKhz(khz: unknown, name: string): number {
    const n = aU32(khz, name);
    if (n === 0) throw new ArgumentRangeError(name, 'u32 kHz', 1n, 0xffff_ffffn, n, 'a guest TSC frequency of 0 kHz');
    const max = this.host.maxGuestTscKhz;
    if (this.host.caps.hasTscControl && n >= max) {
      throw new KernelRuleError('EINVAL', `KVM_SET_TSC_KHZ returns -EINVAL: ${name} ${n} kHz is not below max_guest_tsc_khz ${max} (${this.host.vendor}, host ${this.host.tscKhz} kHz)`);
    }
    return n;
  }

  #readL1Tsc(v: VcpuState, h: bigint): bigint {
    return this.api.readL1Tsc(h, v.l1TscOffset, v.ratio, this.host.caps.frac);
  }

  /** get_kvmclock's master-clock value at h from the current reference (C or C′), or null when C′ has no frequency. */
  #masterClockNs(h: bigint): bigint | null {
    const s = this.#s;
    const caps = this.host.caps;
    try {
      return this.api.getKvmclock(this.kernel, h, s.masterCycleNow, s64(s.masterKernelNs), s64(s.kvmclockOffset), s.masterTscScalingRatio, caps.frac, BigInt(this.host.tscKhz), caps.hasTscControl);
    } catch (e) {
      if (isKvmclockError(e) && e.code === 'nomaster') return null;
      throw e;
    }
  }

  /** kvm_set_tsc_khz (§5.4): returns the kernel's rc; writes the vCPU fields it writes. */
  #kvmSetTscKhz(v: VcpuState, userKhz: number): number {
    const caps = this.host.caps;
    const r = this.api.setTscKhz(userKhz, this.host.tscKhz, caps.hasTscControl, caps.frac, caps.maxRatio, this.host.tscTolerancePpm);
    v.setTscKhzResult = r;
    if (r.virtualTscShift !== null && r.virtualTscMult !== null) {
      v.virtualTscKhz = userKhz;
      v.virtualTscShift = r.virtualTscShift;
      v.virtualTscMult = r.virtualTscMult;
    }
    if (r.ratio !== null) v.ratio = r.ratio;
    if (r.catchup) {
      v.tscCatchup = true;
      v.tscAlwaysCatchup = true;
    }
    return r.rc;
  }

  /** vCPUs load on a physical CPU (kvm_arch_vcpu_load): a first load, or any without the master clock, requests a global clock update. */
  #enterGuest(vcpus: readonly VcpuState[]): void {
    let global = false;
    for (const v of vcpus) {
      if (!v.hasRun || !this.#s.useMasterClock) global = true;
      v.hasRun = true;
    }
    if (global) this.#requestAllClockUpdates();
  }

  #requestAllClockUpdates(): void {
    for (const v of this.#s.vcpus) v.clockUpdatePending = true;
  }

  /**
   * kvm_update_masterclock: the snapshot, then KVM_REQ_CLOCK_UPDATE on every vCPU. A direct
   * call (KVM_SET_CLOCK) leaves a pending KVM_REQ_MASTERCLOCK_UPDATE pending, as the kernel does.
   */
  #updateMasterclock(h: bigint, forced: boolean): void {
    this.#s.hvPage = requestPageUpdate(this.#s.hvPage); // kvm_hv_request_tsc_page_update
    snapshot(this.#m, this.#s, h, forced);
    this.#requestAllClockUpdates();
  }

  /** Service pending requests when the VM is running (the next entry is immediate). */
  #serviceIfRunning(h: bigint): void {
    if (this.#s.running) this.#service(h);
  }

  /** vcpu_enter_guest's request handling: the master-clock update first, then each vCPU's clock update. */
  #service(h: bigint): void {
    const s = this.#s;
    if (s.masterclockUpdatePending) {
      s.masterclockUpdatePending = false;
      this.#updateMasterclock(h, false);
    }
    for (const v of s.vcpus) if (v.clockUpdatePending) guestTimeUpdate(this.#m, s, v, h);
  }
}
