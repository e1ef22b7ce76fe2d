/**
 * Live update and live migration of guest time (the project's migration-methods
 * document): a source and a destination host on one true-time axis, a VM that has run
 * for `uptime` since its last master-clock reference, a pause, a downtime, and each
 * method M0–M5 carried out as the ioctl-level operations a VMM issues on the model.
 * The outcome is measured against the ideal: a guest TSC that kept running at its
 * frequency through the downtime, and a KVM clock that stayed the same function of it.
 *
 * Instants are true-time nanoseconds since the source VM's creation; each host maps
 * them to its own TSC (hosts boot at different times and run at different rates).
 *
 * With `guest: 'windows'` the guest also reads clock H (the Hyper-V reference time) and the
 * report adds what each method does to it, the effect of rounding the restored clock to
 * 100 ns, and what each method does to VMClock (./guest-clock-migration.ts states the
 * assumptions). The default (`linux`) runs exactly as before.
 */
import type { KvmclockApi } from '../api.js';
import { floorDiv } from '../rational.js';
import { ArgumentRangeError, isKvmclockError } from '../errors.js';
import { KernelProfile } from '../kernel/profile.js';
import { Host } from '../model/host.js';
import { type PvclockRecord, readRecord } from '../model/pvclock-record.js';
import { type Vendor, tscCaps } from '../model/vendor.js';
import { Vm } from '../model/vm.js';
import { KVM_CLOCK_REALTIME } from '../units.js';
import { aU32, aU32NonZero } from '../validate.js';
import {
  type ClockRounding,
  type IdealPoint,
  MIGRATION_GUESTS,
  type MigrationGuest,
  type RoundingResult,
  type VmclockMethodResult,
  type VmclockSource,
  type WindowsMethodResult,
  type WindowsSource,
  measureVmclock,
  measureWindows,
  neverBackwards,
  roundClock,
  vmclockSource,
} from './guest-clock-migration.js';

export type MethodId = 'm0' | 'm1' | 'm2' | 'm3' | 'm4' | 'm5';
export const METHODS: readonly MethodId[] = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];

export const METHOD_NAMES: Readonly<Record<MethodId, string>> = {
  m0: 'pause: TSC values + KVM_SET_CLOCK',
  m1: 'pause TSC, KVM_SET_CLOCK with REALTIME',
  m2: 'advance TSC offsets (KVM_VCPU_TSC_OFFSET) + KVM_SET_CLOCK REALTIME',
  m3: 'advance TSC offsets + KVM_SET_CLOCK_GUEST',
  m4: 'live update: same offsets + KVM_SET_CLOCK_GUEST',
  m5: 'stop the clocks, tell the guest the real time passed',
};

export interface HostSpec {
  readonly tscKhz: number;
  readonly vendor: Vendor;
  readonly hasTscControl?: boolean;
}

export interface MigrationConfig {
  readonly src: HostSpec;
  /** Ignored for a live update (the destination is the source host). */
  readonly dst: HostSpec;
  /** The guest TSC frequency (KVM_SET_TSC_KHZ on every vCPU, both sides). */
  readonly guestKhz: number;
  readonly vcpus: number;
  /** Time since the source's last master-clock reference when the VM is paused, ns. */
  readonly uptimeNs: bigint;
  /** Real time between pausing on the source and resuming on the destination, ns. */
  readonly downtimeNs: bigint;
  /** Destination CLOCK_REALTIME minus source CLOCK_REALTIME, ns (signed). */
  readonly syncErrorNs: bigint;
  /** Time between consecutive per-vCPU ioctls of the VMM, ns. */
  readonly vcpuGapNs: bigint;
  /** The destination timekeeper is not on the TSC, so it has no master clock. */
  readonly dstNoMasterClock: boolean;
  /** Same host, new VM (a VMM live update): ε = 0, the host TSC never stopped. */
  readonly liveUpdate: boolean;
  /** Frequency error of each host's CLOCK_REALTIME against true time, ppb. */
  readonly srcRealtimeErrorPpb?: number;
  readonly dstRealtimeErrorPpb?: number;
  /** The kernel profile both hosts run (default 6.18). */
  readonly kernel?: KernelProfile;
  /**
   * The guest OS (default linux). `windows`: the guest enabled the Hyper-V reference TSC page
   * at boot and the destination VMM restores HV_X64_MSR_REFERENCE_TSC; the report adds clock
   * H, the clock-rounding comparison and VMClock.
   */
  readonly guest?: MigrationGuest;
}

/** What one method did to the guest, measured at the instant the guest resumes. */
export interface MethodResult {
  readonly method: MethodId;
  readonly name: string;
  /** Guest TSC (vCPU 0) minus the ideal, cycles (s64), and in ns at the guest frequency (rounded toward zero). */
  readonly tscErrorCycles: bigint;
  readonly tscErrorNs: bigint;
  /** The guest's KVM clock (B, vCPU 0) minus the ideal, ns. */
  readonly kvmclockErrorNs: bigint;
  /** B minus the pre-migration pvclock line evaluated at the resumed guest TSC, ns. */
  readonly disagreementNs: bigint;
  /** First guest read after resume minus the last before the pause, ns (negative = backwards). */
  readonly resumeStepNs: bigint;
  /** How far B went backwards at resume (0 if it went forwards). */
  readonly backwardNs: bigint;
  /**
   * Whether the guest's last_value guard applies on the destination (the record lacks
   * TSC_STABLE): then the guest's clock does not go back but stands still for
   * backwardNs instead. Without it (TSC_STABLE, as with a master clock) the guest sees
   * the backward step.
   */
  readonly guardApplies: boolean;
  /** The backward step the guest's clock actually shows (0 when the guard applies). */
  readonly backwardSeenNs: bigint;
  /** Guest CLOCK_REALTIME minus true real time right after resume, ns (before any notification is handled). */
  readonly realtimeErrorNs: bigint;
  /** The same after the guest handled the method's notification (M5), ns; equal to realtimeErrorNs otherwise. */
  readonly realtimeErrorAfterNotifyNs: bigint;
  /** Largest change of any vCPU's TSC relative to vCPU 0 across the migration, cycles. */
  readonly vcpuSkewCycles: bigint;
  /** The fallback the VMM took, if any (e.g. KVM_SET_CLOCK_GUEST → EINVAL). */
  readonly fallback: string | null;
  /** The ioctl-level operations performed, in order. */
  readonly operations: readonly string[];
  /** B error against the ideal after resume: [ns since resume, error ns]. */
  readonly errorSeries: readonly (readonly [bigint, bigint])[];
  /** Destination master clock in use after the method. */
  readonly dstMasterClock: boolean;
  /** Windows guest: clock H at resume (present only with `guest: 'windows'`). */
  readonly windows?: WindowsMethodResult;
  /** VMClock at resume for a VMM that carries the page and one that re-populates it (with `guest: 'windows'`). */
  readonly vmclock?: VmclockMethodResult;
}

/** The Windows guest's side of a report: its page on the source and the clock-rounding comparison. */
export interface WindowsReport {
  /** The reference TSC page as the guest enabled it on the source (at the pause). */
  readonly sourcePage: WindowsSource['page'];
  /** The last H the guest read before the pause (vCPU 0, 100 ns units). */
  readonly lastReadUnits: bigint;
  /** The ideal H at resume: what the source would have given the guest then (its page line at the ideal guest TSC; its MSR if the page was never valid). */
  readonly idealUnits: bigint;
  /** For each compared method that restores the clock with KVM_SET_CLOCK: exact, rounded down, rounded up. */
  readonly rounding: readonly RoundingResult[];
  /** The roundings that never move B or H below the exact restore (in every method of `rounding`). */
  readonly neverBackwards: readonly ClockRounding[];
}

export interface MigrationReport {
  readonly config: MigrationConfig;
  /** The ideal guest TSC and KVM clock at resume (vCPU 0). */
  readonly ideal: { readonly guestTsc: bigint; readonly kvmclockNs: bigint };
  readonly resumeAtNs: bigint;
  readonly results: readonly MethodResult[];
  /** With `guest: 'windows'`: the page on the source and the rounding comparison. */
  readonly windows?: WindowsReport;
  /** With `guest: 'windows'`: the VMClock the source VMM populated. */
  readonly vmclock?: VmclockSource;
}

const SRC_TSC_AT_ZERO = 1_000_000_000_000n;
const DST_TSC_AT_ZERO = 7_000_000_000_000n;
const REALTIME_EPOCH_NS = 1_763_856_000_000_000_000n; // 2025-11-23T00:00:00Z, an arbitrary wall-clock start
const DST_CREATE_LEAD_NS = 1_000_000_000n; // the destination VMM creates its VM 1 s before the guest resumes
const SERIES_POINTS = 24;
const SERIES_SPAN_NS = 3_600_000_000_000n; // one hour after resume

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** Validate a configuration before any work starts; errors name the field. */
export function checkMigrationConfig(c: MigrationConfig): MigrationConfig {
  aU32NonZero(c.src.tscKhz, 'srcKhz', 'a host TSC of 0 kHz');
  aU32NonZero(c.dst.tscKhz, 'dstKhz', 'a host TSC of 0 kHz');
  aU32NonZero(c.guestKhz, 'guestKhz', 'a guest TSC of 0 kHz');
  tscCaps(c.src.vendor);
  tscCaps(c.dst.vendor);
  const vcpus = aU32(c.vcpus, 'vcpus');
  if (vcpus < 1 || vcpus > 1024) throw new ArgumentRangeError('vcpus', 'count', 1n, 1024n, vcpus);
  const maxNs = 100n * 365n * 86_400_000_000_000n;
  for (const [name, v] of [['uptime', c.uptimeNs], ['downtime', c.downtimeNs], ['vcpuGap', c.vcpuGapNs]] as const) {
    if (typeof v !== 'bigint' || v < 0n || v > maxNs) throw new ArgumentRangeError(name, 'duration ns', 0n, maxNs, typeof v === 'bigint' ? v : String(v), 'at most 100 years');
  }
  if (typeof c.syncErrorNs !== 'bigint' || c.syncErrorNs < -maxNs || c.syncErrorNs > maxNs) {
    throw new ArgumentRangeError('syncError', 'duration ns', -maxNs, maxNs, String(c.syncErrorNs));
  }
  if (c.guest !== undefined && !(MIGRATION_GUESTS as readonly string[]).includes(c.guest)) throw ArgumentRangeError.choice('guest', MIGRATION_GUESTS, String(c.guest));
  if (c.downtimeNs < BigInt(vcpus + 2) * c.vcpuGapNs) {
    throw new ArgumentRangeError('downtime', 'duration ns', BigInt(vcpus + 2) * c.vcpuGapNs, maxNs, c.downtimeNs, 'shorter than the VMM needs for its per-vCPU ioctls');
  }
  return c;
}

/** Run the chosen methods on the same timeline. */
export function compareMigrationMethods(api: KvmclockApi, config: MigrationConfig, methods: readonly MethodId[] = METHODS): MigrationReport {
  const c = checkMigrationConfig(config);
  for (const m of methods) if (!METHODS.includes(m)) throw ArgumentRangeError.choice('method', METHODS, String(m));
  const runs = methods.map((m) => runMethod(api, c, m));
  const results = runs.map((r) => r.result);
  const { source, pauseNs, resumeNs } = buildSource(api, c);
  const ideal = idealAt(api, source, pauseNs, resumeNs);
  if (c.guest !== 'windows') return { config: c, ideal, resumeAtNs: resumeNs, results };
  const win = windowsSource(source, pauseNs);
  const rounding = roundingComparison(api, c, runs);
  return {
    config: c,
    ideal,
    resumeAtNs: resumeNs,
    results,
    windows: { sourcePage: win.page, lastReadUnits: win.lastReadUnits, idealUnits: idealReference(source, resumeNs), rounding, neverBackwards: neverBackwards(rounding) },
    vmclock: sourceVmclock(api, c, source, pauseNs),
  };
}

/**
 * Restoring the saved clock exactly, rounded down to a multiple of 100 ns and rounded up
 * (roundClock), for each run that restored it with KVM_SET_CLOCK (M0, M1, M2, M5, and M3
 * when KVM_SET_CLOCK_GUEST failed and it fell back): each variant is the whole
 * method run again with the VMM keeping only the rounded value (M2 also computes its
 * offsets from it).
 */
function roundingComparison(api: KvmclockApi, c: MigrationConfig, runs: readonly MethodRun[]): RoundingResult[] {
  const rows: RoundingResult[] = [];
  for (const exact of runs) {
    if (exact.restoredClockNs === null) continue;
    const variants = (['exact', 'down', 'up'] as const).map((rounding) => {
      const run = rounding === 'exact' ? exact : runMethod(api, c, exact.result.method, rounding);
      const r = run.result;
      const w = r.windows as WindowsMethodResult;
      const e = exact.result;
      const restored = run.restoredClockNs as bigint;
      return {
        rounding,
        restoredClockNs: restored,
        roundingNs: s64(restored - run.savedClockNs),
        bStepNs: r.resumeStepNs,
        hStepUnits: w.stepUnits,
        bErrorNs: r.kvmclockErrorNs,
        hErrorUnits: w.errorUnits,
        bVsExactNs: s64(r.resumeStepNs - e.resumeStepNs),
        hVsExactUnits: w.stepUnits - (e.windows as WindowsMethodResult).stepUnits,
      };
    });
    rows.push({ method: exact.result.method, savedClockNs: exact.savedClockNs, variants });
  }
  return rows;
}

interface Source {
  readonly host: Host;
  readonly vm: Vm;
  readonly record0: PvclockRecord;
}

/** One method's result with what the VMM saved and restored (for the rounding comparison). */
interface MethodRun {
  readonly result: MethodResult;
  /** KVM_GET_CLOCK's value on the source. */
  readonly savedClockNs: bigint;
  /** The value the destination passed to KVM_SET_CLOCK; null when the method restored the clock otherwise. */
  readonly restoredClockNs: bigint | null;
}

/**
 * The ideal H at true time t: what the source gives its guest on vCPU 0 at t, as if the guest
 * had kept running there — its page line at the ideal guest TSC (the MSR if the page was
 * never valid, e.g. a guest TSC of 10 MHz or less).
 */
function idealReference(src: Source, t: bigint): bigint {
  return src.vm.clocks(0, src.host.tscAtTrueNs(t)).hvReference.units;
}

/** The Windows guest's page on the source and its last H read (vCPU 0 at the pause). */
function windowsSource(src: Source, pauseNs: bigint): WindowsSource {
  return { page: src.vm.hvTscPage, lastReadUnits: src.vm.clocks(0, src.host.tscAtTrueNs(pauseNs)).hvReference.units };
}

/** The VMClock the source VMM last populated: at the pause, from its CLOCK_REALTIME, for the guest TSC (vCPU 0). */
function sourceVmclock(api: KvmclockApi, c: MigrationConfig, src: Source, pauseNs: bigint): VmclockSource {
  const h = src.host.tscAtTrueNs(pauseNs);
  return vmclockSource(api, src.vm, c.guestKhz, src.vm.clocks(0, h).guestTsc, src.host.realtimeNs(h), REALTIME_EPOCH_NS + src.host.trueNs(h), pauseNs);
}

function makeHost(api: KvmclockApi, spec: HostSpec, tscAtZero: bigint, realtimeOffsetNs: bigint, realtimeErrorPpb: number | undefined): Host {
  return new Host(api, {
    tscKhz: spec.tscKhz,
    vendor: spec.vendor,
    hasTscControl: spec.hasTscControl,
    rawClock: { cycleLast: tscAtZero, rawSec: 0n, xtimeNsec: 0n },
    tscAtTrueZero: tscAtZero,
    realtimeOffsetNs,
    realtimeErrorPpb,
  });
}

/** The source VM up to the pause: created at true time 0 with its vCPUs, reference taken then. */
function buildSource(api: KvmclockApi, c: MigrationConfig) {
  const host = makeHost(api, c.src, SRC_TSC_AT_ZERO, REALTIME_EPOCH_NS, c.srcRealtimeErrorPpb);
  const vm = new Vm(host, { at: host.tscAtTrueNs(0n), guestTscKhz: c.guestKhz, kernel: kernelOf(c) });
  for (let i = 0; i < c.vcpus; i++) vm.createVcpu(host.tscAtTrueNs(0n));
  vm.run(host.tscAtTrueNs(0n));
  // A Windows guest enables the reference TSC page as it boots: a guest MSR write, page SET at once.
  if (c.guest === 'windows') vm.writeReferenceTscMsr(host.tscAtTrueNs(0n), true, 'guest');
  const pauseNs = c.uptimeNs;
  const resumeNs = pauseNs + c.downtimeNs;
  return { source: { host, vm, record0: vm.vcpu(0).pvti as PvclockRecord }, pauseNs, resumeNs };
}

const kernelOf = (c: MigrationConfig): KernelProfile => c.kernel ?? KernelProfile.baseline;

/** The ideal at true time t: the source's vCPU 0 TSC kept running, its pvclock line kept. */
function idealAt(api: KvmclockApi, src: Source, _pauseNs: bigint, t: bigint) {
  const guestTsc = src.vm.clocks(0, src.host.tscAtTrueNs(t)).guestTsc;
  return { guestTsc, kvmclockNs: readRecord(api, src.record0, guestTsc) };
}

/** Carry out one method and measure it; `rounding` is how the VMM rounds the clock it saved before restoring it. */
function runMethod(api: KvmclockApi, c: MigrationConfig, method: MethodId, rounding: ClockRounding = 'exact'): MethodRun {
  const { source: src, pauseNs, resumeNs } = buildSource(api, c);
  const n = c.vcpus;
  const gap = c.vcpuGapNs;
  const ops: string[] = [];
  const srcAt = (t: bigint) => src.host.tscAtTrueNs(t);

  // ---- what the guest saw last, and the source-side VMM reads (at the pause)
  const lastRead = src.vm.clocks(0, srcAt(pauseNs)).b;
  src.vm.pause(srcAt(pauseNs));
  ops.push('src pause (the vCPUs stop entering the guest)');
  const skewBefore = vcpuTscs(src.vm, srcAt(pauseNs));
  const liveUpdate = c.liveUpdate || method === 'm4';

  const dstHost = liveUpdate ? src.host : makeHost(api, c.dst, DST_TSC_AT_ZERO, REALTIME_EPOCH_NS + c.syncErrorNs, c.dstRealtimeErrorPpb);
  const dstAt = (t: bigint) => dstHost.tscAtTrueNs(t);
  if (c.dstNoMasterClock && !liveUpdate) dstHost.changeClocksource(dstHost.rawReference.cycleLast, 'other'); // e.g. hpet

  // Source reads (instants t_p, t_p + gap, …)
  let t = pauseNs;
  const step = () => {
    const now = t;
    t += gap;
    return now;
  };
  const srcClock = src.vm.getClock(srcAt(step()));
  ops.push(`src KVM_GET_CLOCK → clock ${srcClock.clock}, flags ${srcClock.flags}`);
  // What the VMM keeps of the clock (the exact value unless a rounding is being compared).
  const savedClock = roundClock(srcClock.clock, rounding);
  if (rounding !== 'exact') ops.push(`src VMM keeps the clock rounded ${rounding} to a multiple of 100 ns: ${savedClock}`);
  let restoredClockNs: bigint | null = null;
  const tscValues: bigint[] = [];
  const srcOffsets: bigint[] = [];
  let record: PvclockRecord | undefined;
  let recordError: string | undefined;
  if (method === 'm3' || method === 'm4') {
    try {
      record = src.vm.getClockGuest(0, srcAt(t));
      ops.push('src KVM_GET_CLOCK_GUEST(vCPU 0)');
    } catch (e) {
      recordError = isKvmclockError(e) ? e.message : String(e);
      ops.push(`src KVM_GET_CLOCK_GUEST → ${recordError}`);
    }
  }
  for (let i = 0; i < n; i++) {
    const at = srcAt(step());
    if (method === 'm0' || method === 'm1' || method === 'm5') {
      tscValues.push(src.vm.clocks(i, at).guestTsc); // KVM_GET_MSRS IA32_TSC
      ops.push(`src vCPU ${i}: read IA32_TSC`);
    } else {
      srcOffsets.push(src.vm.getTscOffset(i));
      ops.push(`src vCPU ${i}: KVM_VCPU_TSC_OFFSET get`);
    }
  }
  const srcPairTsc = srcClock.hostTsc ?? srcAt(pauseNs);
  const srcPairRealtime = srcClock.realtime ?? src.host.realtimeNs(srcAt(pauseNs));

  // ---- destination: a new VM created before resume, vCPUs at the guest frequency
  const createNs = resumeNs - DST_CREATE_LEAD_NS > pauseNs ? resumeNs - DST_CREATE_LEAD_NS : pauseNs + (resumeNs - pauseNs) / 2n;
  const dst = new Vm(dstHost, { at: dstAt(createNs), guestTscKhz: c.guestKhz, kernel: kernelOf(c) });
  for (let i = 0; i < n; i++) dst.createVcpu(dstAt(createNs));
  ops.push(`dst KVM_CREATE_VM + ${n} × KVM_CREATE_VCPU (KVM_SET_TSC_KHZ ${c.guestKhz})`);

  // Destination writes end exactly at the resume instant.
  const writes = n + 2;
  t = resumeNs - BigInt(writes - 1) * gap;
  let fallback: string | null = null;
  const guestKhz = BigInt(c.guestKhz);
  if (c.guest === 'windows') {
    // The vCPU state restore (KVM_SET_MSRS) comes before the clock and TSC-offset ioctls; it
    // includes the partition-wide HV_X64_MSR_REFERENCE_TSC, written by the host.
    dst.writeReferenceTscMsr(dstAt(t), true, 'host');
    ops.push('dst KVM_SET_MSRS HV_X64_MSR_REFERENCE_TSC (host write: the page the guest enabled)');
  }

  switch (method) {
    case 'm0':
    case 'm5':
    case 'm1': {
      for (let i = 0; i < n; i++) {
        dst.hostWriteTsc(i, dstAt(step()), tscValues[i]);
        ops.push(`dst vCPU ${i}: KVM_SET_MSRS IA32_TSC (host write)`);
      }
      const realtime = method === 'm1';
      dst.setClock(dstAt(step()), { clock: savedClock, flags: realtime ? KVM_CLOCK_REALTIME : 0, realtime: realtime ? srcPairRealtime : 0n });
      restoredClockNs = savedClock;
      ops.push(`dst KVM_SET_CLOCK(${realtime ? 'REALTIME' : 'no flags'})`);
      if (method === 'm5') {
        for (let i = 0; i < n; i++) dst.markGuestStopped(i, dstAt(t - gap));
        ops.push('dst KVM_KVMCLOCK_CTRL (GUEST_STOPPED) + notify the guest of the real time passed');
      }
      step();
      break;
    }
    case 'm2': {
      fallback = advanceOffsetsWithSetClock(api, dst, dstAt, step, savedClock, srcPairRealtime, srcPairTsc, src, srcOffsets, guestKhz, ops);
      restoredClockNs = savedClock;
      break;
    }
    case 'm3':
    case 'm4': {
      // Offsets first: the guest TSC the source would show now (M4: unchanged offsets).
      const pairAt = step();
      const dstPairTsc = dstAt(pairAt);
      const dstPairRealtime = dstHost.realtimeNs(dstPairTsc);
      ops.push('dst {CLOCK_REALTIME, host TSC} pair');
      const srcGuest0 = api.readL1Tsc(srcPairTsc, srcOffsets[0], src.vm.vcpu(0).ratio, src.host.caps.frac);
      const elapsed = s64(dstPairRealtime - srcPairRealtime);
      const target0 = lo64(srcGuest0 + floorDiv(elapsed * guestKhz, 1_000_000n));
      for (let i = 0; i < n; i++) {
        const offset = method === 'm4' ? srcOffsets[i] : lo64(target0 + (srcOffsets[i] - srcOffsets[0]) - api.scaleTsc(dstPairTsc, dst.vcpu(i).ratio, dstHost.caps.frac));
        dst.setTscOffset(i, dstAt(step()), offset);
        ops.push(`dst vCPU ${i}: KVM_VCPU_TSC_OFFSET set${method === 'm4' ? ' (unchanged)' : ''}`);
      }
      const at = dstAt(t); // the resume instant
      try {
        if (record === undefined) throw new Error(recordError ?? 'no record');
        dst.setClockGuest(0, at, record);
        ops.push('dst KVM_SET_CLOCK_GUEST(vCPU 0 record)');
      } catch (e) {
        if (!isKvmclockError(e) || e.code !== 'EINVAL') throw e;
        fallback = `KVM_SET_CLOCK_GUEST failed (${e.code}: ${e.message}); fell back to KVM_SET_CLOCK with REALTIME (M2's clock)`;
        ops.push('dst KVM_SET_CLOCK_GUEST → EINVAL; fallback KVM_SET_CLOCK(REALTIME)');
        dst.setClock(at, { clock: savedClock, flags: KVM_CLOCK_REALTIME, realtime: srcPairRealtime });
        restoredClockNs = savedClock;
      }
      break;
    }
  }

  // ---- the guest resumes: the vCPUs' first KVM_RUN on the destination
  const resumeAt = dstAt(resumeNs);
  dst.run(resumeAt);
  ops.push('dst KVM_RUN (first entry: global clock update)');

  // ---- measure at the resume instant
  const ideal = idealAt(api, src, pauseNs, resumeNs);
  const after = dst.clocks(0, resumeAt);
  const tscErrorCycles = s64(after.guestTsc - ideal.guestTsc);
  const kvmclockErrorNs = s64(after.b - ideal.kvmclockNs);
  const disagreementNs = s64(after.b - readRecord(api, src.record0, after.guestTsc));
  const resumeStepNs = s64(after.b - lastRead);
  const backwardNs = resumeStepNs < 0n ? -resumeStepNs : 0n;
  const guardApplies = ((dst.vcpu(0).pvti?.flags ?? 0) & dst.guestValidFlags & 1) === 0;
  const realtimeErrorNs = resumeStepNs - (resumeNs - pauseNs);
  const skewAfter = vcpuTscs(dst, resumeAt);
  let vcpuSkewCycles = 0n;
  for (let i = 1; i < n; i++) {
    const d = s64(skewAfter[i] - skewAfter[0] - (skewBefore[i] - skewBefore[0]));
    const abs = d < 0n ? -d : d;
    if (abs > vcpuSkewCycles) vcpuSkewCycles = abs;
  }
  const errorSeries: [bigint, bigint][] = [];
  for (let k = 0; k <= SERIES_POINTS; k++) {
    const dt = (SERIES_SPAN_NS * BigInt(k)) / BigInt(SERIES_POINTS);
    const b = dst.clocks(0, dstAt(resumeNs + dt)).b;
    errorSeries.push([dt, s64(b - idealAt(api, src, pauseNs, resumeNs + dt).kvmclockNs)]);
  }
  const windows =
    c.guest === 'windows'
      ? measureWindows(
          dst,
          windowsSource(src, pauseNs),
          errorSeries.map(([dt]): IdealPoint => ({ dtNs: dt, h: dstAt(resumeNs + dt), idealUnits: idealReference(src, resumeNs + dt) })),
        )
      : undefined;
  const vmclock =
    c.guest === 'windows'
      ? measureVmclock(api, sourceVmclock(api, c, src, pauseNs), dst, c.guestKhz, after.guestTsc, dstHost.realtimeNs(resumeAt), REALTIME_EPOCH_NS + dstHost.trueNs(resumeAt), !liveUpdate || tscErrorCycles !== 0n)
      : undefined;
  const result: MethodResult = {
    method,
    name: METHOD_NAMES[method],
    tscErrorCycles,
    tscErrorNs: (tscErrorCycles * 1_000_000n) / guestKhz,
    kvmclockErrorNs,
    disagreementNs,
    resumeStepNs,
    backwardNs,
    guardApplies,
    backwardSeenNs: guardApplies ? 0n : backwardNs,
    realtimeErrorNs,
    realtimeErrorAfterNotifyNs: method === 'm5' ? realtimeErrorNs + (resumeNs - pauseNs) : realtimeErrorNs,
    vcpuSkewCycles,
    fallback,
    operations: ops,
    errorSeries,
    dstMasterClock: dst.masterClock.inUse,
    ...(windows === undefined ? {} : { windows }),
    ...(vmclock === undefined ? {} : { vmclock }),
  };
  return { result, savedClockNs: srcClock.clock, restoredClockNs };
}

/**
 * M2's destination side (the documented KVM_VCPU_TSC_OFFSET algorithm): KVM_SET_CLOCK
 * with the source's {clock, realtime} and REALTIME; KVM_GET_CLOCK for (tsc_dst,
 * guest_dst); each offset advanced by the real time elapsed (in guest cycles) and
 * corrected for the hosts' TSC difference through each side's ratio.
 */
function advanceOffsetsWithSetClock(
  api: KvmclockApi,
  dst: Vm,
  dstAt: (t: bigint) => bigint,
  step: () => bigint,
  guestSrc: bigint,
  realtimeSrc: bigint,
  tscSrc: bigint,
  src: Source,
  srcOffsets: readonly bigint[],
  guestKhz: bigint,
  ops: string[],
): string | null {
  dst.setClock(dstAt(step()), { clock: guestSrc, flags: KVM_CLOCK_REALTIME, realtime: realtimeSrc });
  ops.push('dst KVM_SET_CLOCK(REALTIME)');
  const getAt = dstAt(step());
  const got = dst.getClock(getAt);
  const tscDst = got.hostTsc ?? getAt; // without a master clock the VMM reads the TSC itself
  ops.push(`dst KVM_GET_CLOCK → flags ${got.flags}`);
  const elapsedCycles = floorDiv(s64(got.clock - guestSrc) * guestKhz, 1_000_000n);
  const srcFrac = src.host.caps.frac;
  for (let i = 0; i < srcOffsets.length; i++) {
    const v = dst.vcpu(i);
    const offset = lo64(srcOffsets[i] + api.scaleTsc(tscSrc, src.vm.vcpu(i).ratio, srcFrac) + elapsedCycles - api.scaleTsc(tscDst, v.ratio, dst.host.caps.frac));
    dst.setTscOffset(i, dstAt(step()), offset);
    ops.push(`dst vCPU ${i}: KVM_VCPU_TSC_OFFSET set`);
  }
  return got.hostTsc === undefined ? 'destination KVM_GET_CLOCK gave no host TSC (no master clock): used the VMM’s own TSC read' : null;
}

function vcpuTscs(vm: Vm, h: bigint): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < vm.vcpuCount; i++) out.push(vm.clocks(i, h).guestTsc);
  return out;
}

