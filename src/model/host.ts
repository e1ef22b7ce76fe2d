/**
 * A host as KVM sees it (spec §5–§6): its TSC frequency, the vendor's scaling caps,
 * the TSC clocksource's mult/shift, the raw timekeeper and offs_boot, and a
 * CLOCK_REALTIME that may be offset from true time and run at a slightly wrong rate.
 *
 * Host instants are host TSC values (u64 bigints). The raw clock is kept as one
 * reference (cycle_last, raw_sec, xtime_nsec) and evaluated with the exact closed form
 * of §6.3, which every tick preserves; the timekeeper state at an instant is the one
 * after the last tick (ticks every `tickCycles`), as KVM's 64-bit snapshot reads it.
 */
import type { KvmclockApi } from '../api.js';
import type { ClocksourceParams, TimeScale } from '../backend.js';
import { floorDiv } from '../rational.js';
import { ArgumentRangeError } from '../errors.js';
import { DEFAULT_TSC_TOLERANCE_PPM, NSEC_PER_SEC, U64_MAX } from '../units.js';
import { aBool, aS32, aS64, aU32, aU32NonZero, aU64 } from '../validate.js';
import { type TscCaps, type Vendor, tscCaps } from './vendor.js';

/** Raw timekeeper state (the CLOCK_MONOTONIC_RAW part of struct timekeeper). */
export interface RawTimekeeper {
  readonly cycleLast: bigint;
  readonly rawSec: bigint;
  /** Nanoseconds × 2^shift (the sub-nanosecond fraction kept). */
  readonly xtimeNsec: bigint;
}

export interface HostOptions {
  /** tsc_khz: the TSC frequency the kernel registered (u32 kHz, ≥ 1). */
  readonly tscKhz: number;
  readonly vendor: Vendor;
  /** Hardware TSC scaling available (default true). */
  readonly hasTscControl?: boolean;
  /** kvm.tsc_tolerance_ppm (default 250). */
  readonly tscTolerancePpm?: number;
  /** Raw timekeeper at the model's start (default: all zero at TSC 0). */
  readonly rawClock?: RawTimekeeper;
  /** CLOCK_BOOTTIME − CLOCK_MONOTONIC (s64 ns, default 0). */
  readonly offsBootNs?: bigint;
  /**
   * Cycles between timekeeper ticks; 0n means no tick since `rawClock` (as the spec's
   * `abc` command assumes). Default: one tick per millisecond of cycle_interval.
   */
  readonly tickCycles?: bigint;
  /** CLOCK_REALTIME at true time 0 of this host, ns (default 0). */
  readonly realtimeOffsetNs?: bigint;
  /** Frequency error of CLOCK_REALTIME against true time, ppb (integer, default 0). */
  readonly realtimeErrorPpb?: number;
  /** Host TSC value at true time 0 (default: rawClock.cycleLast). */
  readonly tscAtTrueZero?: bigint;
}

/** How many cycles one 1 ms NTP interval is (timekeeper cycle_interval, CONFIG_HZ=1000). */
function cycleInterval(mult: number, shift: number): bigint {
  const ntpIntervalNs = 1_000_000n;
  const ci = ((ntpIntervalNs << BigInt(shift)) + BigInt(mult >>> 1)) / BigInt(mult);
  return ci > 0n ? ci : 1n;
}

export type HostClocksource = 'tsc' | 'other';

/** Opaque saved state of a Host (see saveState). */
export interface HostSavedState {
  readonly tscKhz: number;
  readonly clocksource: ClocksourceParams;
  readonly kind: HostClocksource;
  readonly raw: RawTimekeeper;
  readonly tickCycles: bigint;
}

export class Host {
  readonly api: KvmclockApi;
  readonly caps: TscCaps;
  readonly tscTolerancePpm: number;
  readonly offsBootNs: bigint;
  readonly realtimeOffsetNs: bigint;
  readonly realtimeErrorPpb: number;
  readonly tscAtTrueZero: bigint;
  /** The TSC's physical rate against true time (kHz): tsc_khz at construction; recalibration does not change it. */
  readonly trueKhz: number;
  /** kvm_caps.max_guest_tsc_khz, computed once as at module load (0 without hardware scaling). */
  readonly maxGuestTscKhz: number;
  readonly #userTickCycles: boolean;
  #tscKhz: number;
  #clocksource: ClocksourceParams;
  #clocksourceKind: HostClocksource = 'tsc';
  #raw: RawTimekeeper;
  #tickCycles: bigint;

  constructor(api: KvmclockApi, options: HostOptions) {
    if (typeof options !== 'object' || options === null) throw new ArgumentRangeError('host', 'object', 0n, 0n, String(options));
    this.api = api;
    this.#tscKhz = aU32NonZero(options.tscKhz, 'host.tscKhz', 'a host TSC frequency of 0 kHz cannot be registered');
    this.caps = tscCaps(options.vendor, options.hasTscControl === undefined ? true : aBool(options.hasTscControl, 'host.hasTscControl'));
    this.tscTolerancePpm = options.tscTolerancePpm === undefined ? DEFAULT_TSC_TOLERANCE_PPM : aU32(options.tscTolerancePpm, 'host.tscTolerancePpm');
    const raw = options.rawClock ?? { cycleLast: 0n, rawSec: 0n, xtimeNsec: 0n };
    this.#raw = { cycleLast: aU64(raw.cycleLast, 'host.rawClock.cycleLast'), rawSec: aU64(raw.rawSec, 'host.rawClock.rawSec'), xtimeNsec: aU64(raw.xtimeNsec, 'host.rawClock.xtimeNsec') };
    this.offsBootNs = options.offsBootNs === undefined ? 0n : aS64(options.offsBootNs, 'host.offsBootNs');
    this.realtimeOffsetNs = options.realtimeOffsetNs === undefined ? 0n : aS64(options.realtimeOffsetNs, 'host.realtimeOffsetNs');
    this.realtimeErrorPpb = options.realtimeErrorPpb === undefined ? 0 : aRealtimeError(options.realtimeErrorPpb);
    this.tscAtTrueZero = options.tscAtTrueZero === undefined ? this.#raw.cycleLast : aU64(options.tscAtTrueZero, 'host.tscAtTrueZero');
    this.#clocksource = api.clocksourceKhz(this.#tscKhz);
    this.#userTickCycles = options.tickCycles !== undefined;
    this.#tickCycles = options.tickCycles === undefined ? cycleInterval(this.#clocksource.mult, this.#clocksource.shift) : aU64(options.tickCycles, 'host.tickCycles');
    this.trueKhz = this.#tscKhz;
    this.maxGuestTscKhz = this.caps.hasTscControl ? api.maxGuestTscKhz(this.#tscKhz, this.caps.maxRatio, this.caps.frac) : 0;
  }

  /** tsc_khz (what KVM's get_cpu_tsc_khz returns on a constant-TSC host). */
  get tscKhz(): number {
    return this.#tscKhz;
  }
  get vendor(): Vendor {
    return this.caps.vendor;
  }
  /** The registered TSC clocksource (mult, shift, maxadj, maxsec). */
  get clocksource(): ClocksourceParams {
    return this.#clocksource;
  }
  /** Whether the timekeeper runs on the TSC (master clock possible) or another clocksource. */
  get clocksourceKind(): HostClocksource {
    return this.#clocksourceKind;
  }
  /** The raw timekeeper reference the closed form starts from. */
  get rawReference(): RawTimekeeper {
    return this.#raw;
  }
  get tickCycles(): bigint {
    return this.#tickCycles;
  }
  /** kvm_get_time_scale(10^9, tsc_khz·1000): the host-side pvclock factors (definition C). */
  get hostTimeScale(): TimeScale {
    return this.api.getTimeScale(NSEC_PER_SEC, BigInt(this.#tscKhz) * 1000n);
  }

  /** The mutable part of the host, for transactional model operations. */
  saveState(): HostSavedState {
    return { tscKhz: this.#tscKhz, clocksource: this.#clocksource, kind: this.#clocksourceKind, raw: this.#raw, tickCycles: this.#tickCycles };
  }
  restoreState(saved: HostSavedState): void {
    this.#tscKhz = saved.tscKhz;
    this.#clocksource = saved.clocksource;
    this.#clocksourceKind = saved.kind;
    this.#raw = saved.raw;
    this.#tickCycles = saved.tickCycles;
  }

  /** Reject instants before the raw reference: the closed form and the model start there. */
  checkInstant(h: bigint, name = 'at'): bigint {
    aU64(h, name);
    if (h < this.#raw.cycleLast) {
      throw new ArgumentRangeError(name, 'host TSC', this.#raw.cycleLast, U64_MAX, h, 'before the host raw clock reference (negative time)');
    }
    return h;
  }

  /** CLOCK_MONOTONIC_RAW at host TSC h, exact (ktime_get_raw). */
  rawNs(h: bigint): bigint {
    const { cycleLast, rawSec, xtimeNsec } = this.#raw;
    return this.api.rawNs(h, cycleLast, rawSec, xtimeNsec, this.#clocksource.mult, this.#clocksource.shift);
  }

  /** get_kvmclock_base_ns(): RAW + offs_boot, as the u64 bit pattern of the s64 sum. */
  kvmclockBaseNs(h: bigint): bigint {
    return BigInt.asUintN(64, this.rawNs(h) + this.offsBootNs);
  }

  /** The timekeeper state after the last tick at or before h. */
  timekeeperAt(h: bigint): RawTimekeeper {
    const { cycleLast, rawSec, xtimeNsec } = this.#raw;
    if (this.#tickCycles === 0n || h - cycleLast < this.#tickCycles) return this.#raw;
    const advanced = ((h - cycleLast) / this.#tickCycles) * this.#tickCycles;
    const { mult, shift } = this.#clocksource;
    const secondUnits = NSEC_PER_SEC << BigInt(shift);
    const total = rawSec * secondUnits + xtimeNsec + advanced * BigInt(mult);
    return { cycleLast: cycleLast + advanced, rawSec: total / secondUnits, xtimeNsec: total % secondUnits };
  }

  /** do_kvmclock_base: KVM's 64-bit read of RAW + offs_boot used for master-clock snapshots. */
  kvmBaseNsForSnapshot(h: bigint): bigint {
    const tk = this.timekeeperAt(h);
    return this.api.kvmBaseNs(h, tk.cycleLast, tk.rawSec, tk.xtimeNsec, this.#clocksource.mult, this.#clocksource.shift, this.offsBootNs);
  }

  /**
   * True time at host TSC h, ns since this host's true zero: (h − tscAtTrueZero)·10^6/trueKhz,
   * floored. The TSC is taken to run at exactly its initial tsc_khz (a model assumption).
   */
  trueNs(h: bigint): bigint {
    return floorDiv((h - this.tscAtTrueZero) * 1_000_000n, BigInt(this.trueKhz));
  }

  /**
   * CLOCK_REALTIME at host TSC h: realtimeOffset + t + ⌊t·errorPpb/10^9⌋ with t = trueNs(h)
   * (a model of an NTP-disciplined clock, not kernel arithmetic); u64 like ktime_get_real_ns.
   */
  realtimeNs(h: bigint): bigint {
    const t = this.trueNs(h);
    return BigInt.asUintN(64, this.realtimeOffsetNs + t + floorDiv(t * BigInt(this.realtimeErrorPpb), NSEC_PER_SEC));
  }

  /** Host TSC at a true time (ns since this host's true zero), floored. */
  tscAtTrueNs(ns: bigint): bigint {
    return this.tscAtTrueZero + floorDiv(ns * BigInt(this.trueKhz), 1_000_000n);
  }

  /** Host TSC value `seconds` after `from` at the TSC's rate (the spec's h = M + khz·1000·s). */
  tscAfterSeconds(from: bigint, seconds: bigint): bigint {
    return from + BigInt(this.trueKhz) * 1000n * seconds;
  }

  /**
   * A clocksource change at h (§6.3): the timekeeper is brought forward to h, then
   * re-based on the new clocksource, its xtime_nsec rescaled to the new shift (bits
   * dropped when the shift shrinks). `tsc` with a new kHz re-registers the TSC
   * clocksource (refined calibration) and updates tsc_khz; `other` moves the
   * timekeeper off the TSC, which KVM treats as "no master clock". While on `other`
   * the raw clock is modelled as continuing at the TSC clocksource's rate.
   */
  changeClocksource(h: bigint, kind: HostClocksource, tscKhz?: number): void {
    this.checkInstant(h);
    if (kind !== 'tsc' && kind !== 'other') throw ArgumentRangeError.choice('clocksource', ['tsc', 'other'], String(kind));
    const khz = tscKhz === undefined ? this.#tscKhz : aU32NonZero(tscKhz, 'tscKhz', 'a host TSC frequency of 0 kHz cannot be registered');
    const next = this.api.clocksourceKhz(khz);
    // Forward to h exactly (timekeeping_forward_now), then normalise and rescale.
    const { mult, shift } = this.#clocksource;
    const secondUnits = NSEC_PER_SEC << BigInt(shift);
    const total = this.#raw.rawSec * secondUnits + this.#raw.xtimeNsec + (h - this.#raw.cycleLast) * BigInt(mult);
    const rawSec = total / secondUnits;
    let xtimeNsec = total % secondUnits;
    const shiftChange = next.shift - shift;
    xtimeNsec = shiftChange < 0 ? xtimeNsec >> BigInt(-shiftChange) : xtimeNsec << BigInt(shiftChange);
    this.#raw = { cycleLast: h, rawSec, xtimeNsec };
    this.#clocksource = next;
    this.#tscKhz = khz;
    this.#clocksourceKind = kind;
    if (!this.#userTickCycles) this.#tickCycles = cycleInterval(next.mult, next.shift);
  }
}

/** The realtime frequency error: an integer number of ppb within ±10^9. */
function aRealtimeError(v: unknown): number {
  const n = aS32(v, 'host.realtimeErrorPpb');
  if (n < -1_000_000_000 || n > 1_000_000_000) throw new ArgumentRangeError('host.realtimeErrorPpb', 'ppb', -1_000_000_000n, 1_000_000_000n, n);
  return n;
}
