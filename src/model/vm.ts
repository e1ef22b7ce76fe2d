/**
 * A VM and its vCPUs as KVM keeps them (spec §5, §7, §8): kvmclock_offset, the
 * master-clock reference and why it is or is not in use, TSC-matching generations,
 * and per vCPU the TSC ratio, L1 offset, TSC_ADJUST, catch-up state and the pvclock
 * record kvm_guest_time_update writes. Every operation takes the host TSC instant at
 * which it happens; requests the kernel would service at the next guest entry
 * (master-clock and clock updates) are serviced at that same instant.
 *
 * Operations are transactional: one that fails (a typed error) leaves the model as it
 * was. Where the kernel itself changes state before failing (KVM_SET_TSC_KHZ sets
 * virtual_tsc_khz before rejecting a ratio) the error message says so.
 */
import type { KvmclockApi } from '../api.js';
import type { SetTscKhzResult, TimeScale } from '../backend.js';
import { ArgumentRangeError, InternalError, KernelRuleError, isKvmclockError } from '../errors.js';
import { KVM_CLOCK_HOST_TSC, KVM_CLOCK_REALTIME, KVM_CLOCK_TSC_STABLE, NSEC_PER_SEC, PVCLOCK_GUEST_STOPPED, PVCLOCK_TSC_STABLE_BIT } from '../units.js';
import { aBool, aS64, aU32, aU64 } from '../validate.js';
import { clockD, guestTscClocksource } from './clock-d.js';
import { setClockGuestOffset } from './clock-guest.js';
import type { ClockState } from './definitions.js';
import type { Host, HostClocksource } from './host.js';
import { type GuestClockRead, type PvclockRecord, aPvclockRecord, guestClockRead, readRecord } from './pvclock-record.js';

const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);

/** Why the master clock is not in use (spec §7.1); empty when it is. */
export type MasterClockBlocker =
  | 'no-vcpus'
  | 'vcpus-not-matched'
  | 'host-clocksource-not-tsc'
  | 'backwards-tsc-observed'
  | 'boot-vcpu-old-kvmclock-msr'
  /** Nothing blocks it now, but no master-clock update has run since the blocker went away. */
  | 'awaiting-masterclock-update';

/**
 * Which kvm_track_tsc_matching rule requests a master-clock update:
 * `current` — only when the master clock would toggle or a new TSC generation starts
 * while it is on (kernels with the "don't force a masterclock update on vCPU hotplug"
 * change, as in the snapshot the arithmetic follows); `legacy` — on every TSC
 * synchronisation while the master clock is (or could be) on, as older kernels did,
 * which re-snapshots on every vCPU hotplug.
 */
export type TscMatchingRule = 'current' | 'legacy';

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
}

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
  lastGuestTsc: bigint;
  /** hw_tsc_khz: the tgt_tsc_khz the cached pvclock factors were computed for. */
  hwTscKhz: bigint;
  pvclockScale: TimeScale | null;
  /** The record as last written by kvm_guest_time_update (null before the first update). */
  pvti: PvclockRecord | null;
  /** What the last kvm_set_tsc_khz on this vCPU did (creation or KVM_SET_TSC_KHZ). */
  setTscKhzResult: SetTscKhzResult | null;
  /** The vCPU has entered the guest since it was created. */
  hasRun: boolean;
}

interface VmState {
  kvmclockOffset: bigint;
  masterKernelNs: bigint;
  masterCycleNow: bigint;
  useMasterClock: boolean;
  backwardsTscObserved: boolean;
  bootVcpuRunsOldKvmclock: boolean;
  defaultTscKhz: number;
  nrVcpusMatchedTsc: number;
  curTscGeneration: number;
  curTscNsec: bigint;
  curTscWrite: bigint;
  curTscOffset: bigint;
  lastTscNsec: bigint;
  lastTscWrite: bigint;
  lastTscKhz: number;
  lastTscOffset: bigint;
  userSetTsc: boolean;
  guestLastValue: bigint;
  vcpus: VcpuState[];
}

/** KVM_GET_CLOCK's struct kvm_clock_data. */
export interface KvmClockData {
  readonly clock: bigint;
  readonly flags: number;
  readonly realtime?: bigint;
  readonly hostTsc?: bigint;
}

/** The three definitions of the KVM clock for one vCPU at one instant, with the guest TSC. */
export interface ClockValues {
  readonly h: bigint;
  readonly guestTsc: bigint;
  /** Host reference: RAW + offs_boot + kvmclock_offset. */
  readonly a: bigint;
  /** What the guest computes from its TSC and its pvclock record. */
  readonly b: bigint;
  /** __get_kvmclock: host TSC with host scale from the master-clock reference. */
  readonly c: bigint;
  /** What get_kvmclock_ns returns now: C with the master clock, A without. */
  readonly kvmclockNs: bigint;
  /** D: the guest's TSC clocksource (CLOCK_MONOTONIC_RAW of a guest on `tsc`), aligned with B at its record's reference; null when the record gives no usable kHz. */
  readonly d: bigint | null;
}

export class Vm {
  readonly api: KvmclockApi;
  readonly host: Host;
  readonly tscMatchingRule: TscMatchingRule;
  readonly guestValidFlags: number;
  readonly unstableTsc: boolean;
  #s: VmState;
  #now: bigint;

  /** KVM_CREATE_VM at host TSC `options.at`: kvmclock_offset = −get_kvmclock_base_ns(), then a snapshot. */
  constructor(host: Host, options: VmOptions) {
    this.api = host.api;
    this.host = host;
    const at = host.checkInstant(options.at, 'at');
    const rule = options.tscMatchingRule ?? 'current';
    if (rule !== 'current' && rule !== 'legacy') throw ArgumentRangeError.choice('tscMatchingRule', ['current', 'legacy'], String(rule));
    this.tscMatchingRule = rule;
    this.guestValidFlags = options.guestStableBit === undefined || aBool(options.guestStableBit, 'guestStableBit') ? PVCLOCK_TSC_STABLE_BIT : 0;
    this.unstableTsc = options.unstableTsc === undefined ? false : aBool(options.unstableTsc, 'unstableTsc');
    const defaultTscKhz = options.guestTscKhz === undefined ? host.tscKhz : this.#checkGuestKhz(options.guestTscKhz, 'guestTscKhz');
    this.#now = at;
    this.#s = {
      kvmclockOffset: s64(-host.kvmclockBaseNs(at)),
      masterKernelNs: 0n,
      masterCycleNow: 0n,
      useMasterClock: false,
      backwardsTscObserved: false,
      bootVcpuRunsOldKvmclock: false,
      defaultTscKhz,
      nrVcpusMatchedTsc: 0,
      curTscGeneration: 0,
      curTscNsec: 0n,
      curTscWrite: 0n,
      curTscOffset: 0n,
      lastTscNsec: 0n,
      lastTscWrite: 0n,
      lastTscKhz: 0,
      lastTscOffset: 0n,
      userSetTsc: false,
      guestLastValue: 0n,
      vcpus: [],
    };
    this.#updateMasterclock(at);
  }

  // ---------------------------------------------------------------- state views

  /** The instant of the last operation (operations must not go back in time). */
  get now(): bigint {
    return this.#now;
  }
  get kvmclockOffset(): bigint {
    return this.#s.kvmclockOffset;
  }
  get masterClock(): { readonly inUse: boolean; readonly kernelNs: bigint; readonly cycleNow: bigint; readonly blockers: readonly MasterClockBlocker[] } {
    return { inUse: this.#s.useMasterClock, kernelNs: this.#s.masterKernelNs, cycleNow: this.#s.masterCycleNow, blockers: this.#blockers() };
  }
  get tscMatching(): { readonly generation: number; readonly nrVcpusMatched: number; readonly userSetTsc: boolean; readonly lastTscKhz: number } {
    return { generation: this.#s.curTscGeneration, nrVcpusMatched: this.#s.nrVcpusMatchedTsc, userSetTsc: this.#s.userSetTsc, lastTscKhz: this.#s.lastTscKhz };
  }
  get vcpuCount(): number {
    return this.#s.vcpus.length;
  }
  get guestLastValue(): bigint {
    return this.#s.guestLastValue;
  }
  /** A copy of a vCPU's state. */
  vcpu(id: number): Readonly<VcpuState> {
    return { ...this.#vcpu(id) };
  }

  /** The ClockState the spec's definitions evaluate for a vCPU (see definitions.ts). */
  clockState(id: number): ClockState {
    const v = this.#vcpu(id);
    const raw = this.host.rawReference;
    const cs = this.host.clocksource;
    return {
      raw: { ...raw, mult: cs.mult, shift: cs.shift },
      offsBootNs: this.host.offsBootNs,
      kvmclockOffset: this.#s.kvmclockOffset,
      masterCycleNow: this.#s.masterCycleNow,
      masterKernelNs: this.#s.masterKernelNs,
      l1TscOffset: v.l1TscOffset,
      ratio: v.ratio,
      frac: this.host.caps.frac,
      guestScale: v.pvclockScale ?? this.#guestScale(v),
      hostScale: this.host.hostTimeScale,
    };
  }

  /** A, B, C (and the guest TSC) for a vCPU at host TSC h; B from the vCPU's current record. */
  clocks(id: number, h: bigint): ClockValues {
    const at = this.host.checkInstant(h, 'h');
    const v = this.#vcpu(id);
    const guestTsc = this.#readL1Tsc(v, at);
    const a = lo64(this.host.kvmclockBaseNs(at) + this.#s.kvmclockOffset);
    const b = v.pvti === null ? a : readRecord(this.api, v.pvti, guestTsc);
    const hs = this.host.hostTimeScale;
    const c = this.api.pvclockRead(at, this.#s.masterCycleNow, lo64(this.#s.masterKernelNs + this.#s.kvmclockOffset), hs.mul, hs.shift);
    const cs = v.pvti === null ? null : guestTscClocksource(this.api, v.pvti.tscToSystemMul, v.pvti.tscShift);
    const d = v.pvti === null || cs === null ? null : clockD(this.api, v.pvti, cs, guestTsc);
    return { h: at, guestTsc, a, b, c, kvmclockNs: this.#s.useMasterClock ? c : a, d };
  }

  // ---------------------------------------------------------------- operations

  /** KVM_CREATE_VCPU (creation or hotplug): kvm_set_tsc_khz(default), TSC sync with 0, matching, requests. Returns the id. */
  createVcpu(h: bigint): number {
    return this.#op(h, (at) => {
      const id = this.#s.vcpus.length;
      const v: VcpuState = {
        id,
        virtualTscKhz: 0,
        virtualTscShift: 0,
        virtualTscMult: 0,
        ratio: this.host.caps.defaultRatio,
        l1TscOffset: 0n,
        tscAdjust: 0n,
        tscCatchup: false,
        tscAlwaysCatchup: false,
        thisTscGeneration: 0,
        thisTscNsec: 0n,
        thisTscWrite: 0n,
        lastGuestTsc: 0n,
        hwTscKhz: 0n,
        pvclockScale: null,
        pvti: null,
        setTscKhzResult: null,
        hasRun: false,
      };
      this.#kvmSetTscKhz(v, this.#s.defaultTscKhz); // the kernel ignores its result here
      this.#s.vcpus.push(v); // online_vcpus++ happens before kvm_arch_vcpu_postcreate
      const request = this.#synchronizeTsc(v, at, undefined);
      this.#serviceRequests(at, request, [v]);
      return id;
    });
  }

  /**
   * KVM_SET_TSC_KHZ on a vCPU. 0 means the host's tsc_khz. Fails with EINVAL at or
   * above max_guest_tsc_khz (with hardware scaling) or when kvm_set_tsc_khz fails.
   */
  setTscKhz(id: number, h: bigint, khz: number): void {
    this.#op(h, () => {
      const v = this.#vcpu(id);
      let user = aU32(khz, 'khz');
      const max = this.host.maxGuestTscKhz;
      if (this.host.caps.hasTscControl && user >= max) {
        throw new KernelRuleError('EINVAL', `KVM_SET_TSC_KHZ returns -EINVAL: ${user} kHz is not below max_guest_tsc_khz ${max} (${this.host.vendor}, host ${this.host.tscKhz} kHz)`);
      }
      if (user === 0) user = this.host.tscKhz;
      const rc = this.#kvmSetTscKhz(v, user);
      if (rc !== 0) {
        throw new KernelRuleError(
          'EINVAL',
          `KVM_SET_TSC_KHZ returns -EINVAL: kvm_set_tsc_khz(${user}) failed (ratio zero or >= max_tsc_scaling_ratio, or a slower guest without hardware scaling); the kernel would still have set virtual_tsc_khz = ${user}, which this model does not keep`,
        );
      }
    });
  }

  /** Host-initiated write of IA32_TSC (KVM_SET_MSRS): kvm_synchronize_tsc with the user's value. */
  hostWriteTsc(id: number, h: bigint, value: bigint): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      const request = this.#synchronizeTsc(v, at, aU64(value, 'value'));
      this.#serviceRequests(at, request, []);
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

  /** Guest WRMSR(IA32_TSC_ADJUST): the offset moves by the change, then a clock update. */
  guestWriteTscAdjust(id: number, h: bigint, value: bigint): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      const target = aS64(value, 'value');
      const adj = lo64(target - v.tscAdjust);
      v.l1TscOffset = lo64(v.l1TscOffset + adj);
      v.tscAdjust = target;
      this.#guestTimeUpdate(v, at);
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
      const matched = v.virtualTscKhz !== 0 && this.#s.lastTscKhz === v.virtualTscKhz && this.#s.lastTscOffset === off;
      const tsc = lo64(this.api.scaleTsc(at, v.ratio, this.host.caps.frac) + off);
      const ns = this.host.kvmclockBaseNs(at);
      this.#s.userSetTsc = true;
      const request = this.#kvmSynchronizeTscCommit(v, off, tsc, ns, matched, true);
      this.#serviceRequests(at, request, []);
    });
  }

  /** KVM_GET_CLOCK (spec §8.2). */
  getClock(h: bigint): KvmClockData {
    const at = this.host.checkInstant(h, 'h');
    if (this.#s.useMasterClock) {
      const hs = this.host.hostTimeScale;
      const clock = this.api.pvclockRead(at, this.#s.masterCycleNow, lo64(this.#s.masterKernelNs + this.#s.kvmclockOffset), hs.mul, hs.shift);
      if (this.host.clocksourceKind === 'tsc') {
        return { clock, flags: KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC, realtime: this.host.realtimeNs(at), hostTsc: at };
      }
      return { clock, flags: KVM_CLOCK_TSC_STABLE, hostTsc: at };
    }
    return { clock: lo64(this.host.kvmclockBaseNs(at) + this.#s.kvmclockOffset), flags: 0 };
  }

  /** KVM_SET_CLOCK (spec §8.3): EINVAL for unknown flags; a fresh snapshot; REALTIME advance; new kvmclock_offset. */
  setClock(h: bigint, data: { readonly clock: bigint; readonly flags?: number; readonly realtime?: bigint }): void {
    this.#op(h, (at) => {
      const clock = aU64(data?.clock, 'clock');
      const flags = data.flags === undefined ? 0 : aU32(data.flags, 'flags');
      const realtime = data.realtime === undefined ? 0n : aU64(data.realtime, 'realtime');
      // Validate the flags before anything changes, as the kernel does.
      this.api.setClock(clock, flags, realtime, 0n, false, 0n, 0n);
      this.#snapshot(at);
      this.#s.kvmclockOffset = this.api.setClock(clock, flags, realtime, this.host.realtimeNs(at), this.#s.useMasterClock, this.#s.masterKernelNs, this.host.kvmclockBaseNs(at));
      for (const v of this.#s.vcpus) this.#guestTimeUpdate(v, at);
    });
  }

  /** KVM_GET_CLOCK_GUEST (proposed): the vCPU's pvclock record; EINVAL without a master clock. */
  getClockGuest(id: number): PvclockRecord {
    const v = this.#vcpu(id);
    if (!this.#s.useMasterClock) throw new KernelRuleError('EINVAL', 'KVM_GET_CLOCK_GUEST returns -EINVAL: the master clock is not in use');
    if (v.pvti === null) throw new KernelRuleError('EINVAL', `KVM_GET_CLOCK_GUEST returns -EINVAL: vCPU ${id} has no pvclock record yet`);
    return { ...v.pvti };
  }

  /**
   * KVM_SET_CLOCK_GUEST (proposed): take a fresh master-clock reference, read the guest
   * TSC at it, evaluate the given record there, and move kvmclock_offset by the
   * difference from the kernel's own value at that instant (wrapping u64, as s64).
   * EINVAL, with nothing changed, when the master clock is not in use.
   */
  setClockGuest(id: number, h: bigint, record: PvclockRecord): void {
    this.#op(h, (at) => {
      const v = this.#vcpu(id);
      const given = aPvclockRecord(record, 'record');
      this.#snapshot(at);
      if (!this.#s.useMasterClock) {
        throw new KernelRuleError('EINVAL', `KVM_SET_CLOCK_GUEST returns -EINVAL: the master clock is not in use (${this.#blockers().join(', ')})`);
      }
      const s = this.#s;
      s.kvmclockOffset = setClockGuestOffset(this.api, given, true, s.masterCycleNow, s.masterKernelNs, s.kvmclockOffset, v.l1TscOffset, v.ratio, this.host.caps.frac).kvmclockOffset;
      for (const u of s.vcpus) this.#guestTimeUpdate(u, at);
    });
  }

  /**
   * A master-clock re-snapshot at h (what hotplug on older kernels, KVM_SET_CLOCK or a
   * clocksource event triggers). `legacy`: the new reference, kvmclock_offset unchanged
   * — the guest clock snaps to definition A. `continuous` (proposed upstream):
   * kvmclock_offset is set so that vCPU `referenceVcpu`'s B does not jump at h.
   */
  resnapshot(h: bigint, variant: 'legacy' | 'continuous', referenceVcpu = 0): void {
    if (variant !== 'legacy' && variant !== 'continuous') throw ArgumentRangeError.choice('variant', ['legacy', 'continuous'], String(variant));
    this.#op(h, (at) => {
      const ref = variant === 'continuous' && this.#s.vcpus.length > 0 ? this.#vcpu(referenceVcpu) : undefined;
      const before = ref?.pvti ? readRecord(this.api, ref.pvti, this.#readL1Tsc(ref, at)) : undefined;
      const wasMaster = this.#s.useMasterClock;
      this.#snapshot(at);
      if (before !== undefined && wasMaster && this.#s.useMasterClock) this.#s.kvmclockOffset = s64(before - this.#s.masterKernelNs);
      for (const v of this.#s.vcpus) this.#guestTimeUpdate(v, at);
    });
  }

  /** The host's clocksource changes at h (§6.3); leaving the TSC notifies KVM, which drops the master clock. */
  hostClocksourceChange(h: bigint, kind: HostClocksource, tscKhz?: number): void {
    this.#op(h, (at) => {
      this.host.changeClocksource(at, kind, tscKhz);
      if (kind !== 'tsc' && this.#s.useMasterClock) this.#updateMasterclock(at); // pvclock_gtod_notify
    });
  }

  /**
   * The vCPUs enter the guest (KVM_RUN) at h. A vCPU's first load, or any load while the
   * master clock is off, raises KVM_REQ_GLOBAL_CLOCK_UPDATE: every vCPU's record is
   * rewritten (the kernel updates the loading vCPU at once and the others ~100 ms later;
   * the model does both at h). This is what refreshes records after a VMM restored TSC
   * offsets without a master-clock update.
   */
  run(h: bigint): void {
    this.#op(h, (at) => {
      const vcpus = this.#s.vcpus;
      if (vcpus.some((v) => !v.hasRun) || !this.#s.useMasterClock) for (const v of vcpus) this.#guestTimeUpdate(v, at);
      for (const v of vcpus) v.hasRun = true;
    });
  }

  /**
   * The periodic kvmclock_sync work (every 300 s) and other per-vCPU clock updates: each
   * vCPU's record is rewritten. With the master clock on this reuses the same (K, M) and
   * changes nothing but the version; without it the records are re-based on "now".
   */
  clockUpdate(h: bigint): void {
    this.#op(h, (at) => {
      for (const v of this.#s.vcpus) this.#guestTimeUpdate(v, at);
    });
  }

  /** KVM_KVMCLOCK_CTRL: set GUEST_STOPPED in a vCPU's record (the guest clears it on its next read). */
  markGuestStopped(id: number): void {
    const v = this.#vcpu(id);
    if (v.pvti === null) throw new KernelRuleError('EINVAL', `KVM_KVMCLOCK_CTRL returns -EINVAL: vCPU ${id} has no pvclock record`);
    v.pvti = { ...v.pvti, flags: v.pvti.flags | PVCLOCK_GUEST_STOPPED };
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

  #guestScale(v: VcpuState): TimeScale {
    const tgt = this.api.tgtTscKhz(this.host.tscKhz, v.ratio, this.host.caps.frac, this.host.caps.hasTscControl);
    return this.api.getTimeScale(NSEC_PER_SEC, lo64(tgt * 1000n));
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

  /** kvm_synchronize_tsc (§8.5); returns whether a master-clock update was requested. */
  #synchronizeTsc(v: VcpuState, h: bigint, userValue: bigint | undefined): boolean {
    let data = userValue ?? 0n;
    const frac = this.host.caps.frac;
    const ns = this.host.kvmclockBaseNs(h);
    let offset = this.api.computeL1TscOffset(data, h, v.ratio, frac);
    const elapsed = lo64(ns - this.#s.lastTscNsec);
    let synchronizing = false;
    if (v.virtualTscKhz !== 0) {
      if (data === 0n) synchronizing = true;
      else if (this.#s.userSetTsc) synchronizing = this.api.syncWindow(data, this.#s.lastTscWrite, elapsed, v.virtualTscKhz, v.virtualTscMult, v.virtualTscShift);
    }
    let matched = false;
    if (synchronizing && v.virtualTscKhz === this.#s.lastTscKhz) {
      if (!this.unstableTsc) {
        offset = this.#s.curTscOffset;
      } else {
        data = lo64(data + this.api.pvclockScaleDelta(elapsed, v.virtualTscMult, v.virtualTscShift));
        offset = this.api.computeL1TscOffset(data, h, v.ratio, frac);
      }
      matched = true;
    }
    return this.#kvmSynchronizeTscCommit(v, offset, data, ns, matched, userValue !== undefined);
  }

  /** __kvm_synchronize_tsc then kvm_track_tsc_matching; returns whether a master-clock update is requested. */
  #kvmSynchronizeTscCommit(v: VcpuState, offset: bigint, tsc: bigint, ns: bigint, matched: boolean, userSetTsc: boolean): boolean {
    const s = this.#s;
    if (userSetTsc) s.userSetTsc = true;
    s.lastTscNsec = ns;
    s.lastTscWrite = tsc;
    s.lastTscKhz = v.virtualTscKhz;
    s.lastTscOffset = offset;
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
    // kvm_track_tsc_matching
    const couldUseMaster = s.nrVcpusMatchedTsc + 1 === s.vcpus.length && this.host.clocksourceKind === 'tsc';
    if (this.tscMatchingRule === 'legacy') return s.useMasterClock || couldUseMaster;
    return (s.useMasterClock && !matched) || s.useMasterClock !== couldUseMaster;
  }

  /** Service KVM_REQ_MASTERCLOCK_UPDATE (all vCPUs then update) or the clock updates of `touched`. */
  #serviceRequests(h: bigint, masterclockUpdate: boolean, touched: readonly VcpuState[]): void {
    if (masterclockUpdate) this.#updateMasterclock(h);
    else for (const v of touched) this.#guestTimeUpdate(v, h);
  }

  #blockers(): MasterClockBlocker[] {
    const s = this.#s;
    const out = this.#currentBlockers();
    if (!s.useMasterClock && out.length === 0) out.push('awaiting-masterclock-update');
    return s.useMasterClock ? [] : out;
  }

  /** What would block the master clock if a snapshot were taken now. */
  #currentBlockers(): MasterClockBlocker[] {
    const s = this.#s;
    const out: MasterClockBlocker[] = [];
    if (s.vcpus.length === 0) out.push('no-vcpus');
    else if (s.nrVcpusMatchedTsc + 1 !== s.vcpus.length) out.push('vcpus-not-matched');
    if (this.host.clocksourceKind !== 'tsc') out.push('host-clocksource-not-tsc');
    if (s.backwardsTscObserved) out.push('backwards-tsc-observed');
    if (s.bootVcpuRunsOldKvmclock) out.push('boot-vcpu-old-kvmclock-msr');
    return out;
  }

  /** pvclock_update_vm_gtod_copy (§7.1). */
  #snapshot(h: bigint): void {
    const s = this.#s;
    const vcpusMatched = s.nrVcpusMatchedTsc + 1 === s.vcpus.length;
    const hostTsc = this.host.clocksourceKind === 'tsc';
    if (hostTsc) {
      s.masterKernelNs = this.host.kvmBaseNsForSnapshot(h);
      s.masterCycleNow = h;
    }
    s.useMasterClock = hostTsc && vcpusMatched && !s.backwardsTscObserved && !s.bootVcpuRunsOldKvmclock;
  }

  /** kvm_update_masterclock: snapshot, then a clock update on every vCPU. */
  #updateMasterclock(h: bigint): void {
    this.#snapshot(h);
    for (const v of this.#s.vcpus) this.#guestTimeUpdate(v, h);
  }

  /** kvm_guest_time_update (§7.2). */
  #guestTimeUpdate(v: VcpuState, h: bigint): void {
    const s = this.#s;
    const master = s.useMasterClock;
    const hostTsc = master ? s.masterCycleNow : h;
    const kernelNs = master ? s.masterKernelNs : this.host.kvmclockBaseNs(h);
    let tscTimestamp = this.#readL1Tsc(v, hostTsc);
    if (v.tscCatchup) {
      // compute_guest_tsc(kernel_ns): the TSC the guest should have reached by now.
      const tsc = lo64(v.thisTscWrite + this.api.pvclockScaleDelta(lo64(kernelNs - v.thisTscNsec), v.virtualTscMult, v.virtualTscShift));
      if (tsc > tscTimestamp) {
        v.l1TscOffset = lo64(v.l1TscOffset + (tsc - tscTimestamp)); // adjust_tsc_offset_guest
        tscTimestamp = tsc;
      }
    }
    const tgt = this.api.tgtTscKhz(this.host.tscKhz, v.ratio, this.host.caps.frac, this.host.caps.hasTscControl);
    if (v.pvclockScale === null || tgt !== v.hwTscKhz) {
      v.pvclockScale = this.api.getTimeScale(NSEC_PER_SEC, lo64(tgt * 1000n));
      v.hwTscKhz = tgt;
    }
    v.lastGuestTsc = tscTimestamp;
    const previous = v.pvti;
    const version = previous === null ? 2 : (previous.version + 2) >>> 0; // stays even: odd only mid-update
    const stopped = previous === null ? 0 : previous.flags & PVCLOCK_GUEST_STOPPED;
    v.pvti = {
      version,
      tscTimestamp,
      systemTime: lo64(kernelNs + s.kvmclockOffset),
      tscToSystemMul: v.pvclockScale.mul,
      tscShift: v.pvclockScale.shift,
      flags: (master ? PVCLOCK_TSC_STABLE_BIT : 0) | stopped,
    };
  }
}

function cloneState(s: VmState): VmState {
  return { ...s, vcpus: s.vcpus.map((v) => ({ ...v })) };
}
