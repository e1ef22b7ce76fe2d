/**
 * What the drift explorer page shows, computed from its form fields by the library itself:
 * one frequency pair on the standard reference under one or more kernel profiles (the clocks
 * at the horizon, the exact rates, the re-snapshot step, the migration methods M0–M5) and the
 * divergence of the clocks sampled from the reference to the horizon.
 *
 * No DOM here: the page (page.ts) renders the result, and the tests call the same function.
 * Field text is handed to the library as it is wherever the library can judge it, so a bad
 * value produces the library's typed error (with its message), never a NaN.
 */
import type { KvmclockApi } from '../api.js';
import { parseDurationNs } from '../duration.js';
import { ArgumentRangeError } from '../errors.js';
import { kvmclock } from '../index.js';
import { type KernelProfile, parseKernelList } from '../kernel/profile.js';
import { resnapshotStep } from '../model/definitions.js';
import { hvPageOf } from '../model/guest-clocks.js';
import { standardVm } from '../model/standard.js';
import type { Vendor } from '../model/vendor.js';
import { type KernelColumn, compareKernels } from '../report/kernel-comparison.js';
import type { MigrationConfig } from '../scenario/migration.js';

export const GUEST_KINDS = ['linux', 'windows', 'xen'] as const;
export type GuestKind = (typeof GUEST_KINDS)[number];

/** The form, as text (what the inputs hold). */
export interface ExplorerInput {
  readonly hostKhz: string;
  readonly guestKhz: string;
  readonly vendor: string;
  /** One profile or several separated by commas (`6.18,7.4-queued,clocks-v6`). */
  readonly kernels: string;
  /** A duration: `1d`, `30d`, `3600` (seconds), `1.5h`… */
  readonly horizon: string;
  readonly guest: string;
}

export const DEFAULT_INPUT: ExplorerInput = {
  hostKhz: '2500000',
  guestKhz: '1000000',
  vendor: 'vmx',
  kernels: '6.18,7.4-queued,clocks-v6',
  horizon: '1d',
  guest: 'linux',
};

/** One sampled instant of the divergence series (ns since the reference; differences in ns). */
export interface DivergenceSample {
  readonly tNs: bigint;
  readonly bMinusA: bigint;
  readonly cMinusA: bigint;
  readonly bMinusC: bigint;
  /** Windows reference time H (100 ns units, from the page KVM computes, else the MSR) ×100 minus B, ns. */
  readonly hMinusB: bigint;
  /** The step a legacy master-clock re-snapshot would cause at this instant. */
  readonly resnapshotStepNs: bigint;
}

export interface ExplorerColumn extends KernelColumn {
  readonly series: readonly DivergenceSample[];
}

export interface Exploration {
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly vendor: Vendor;
  readonly guest: GuestKind;
  readonly horizonNs: bigint;
  readonly migration: Omit<MigrationConfig, 'kernel' | 'guestKhz'> | null;
  readonly columns: readonly ExplorerColumn[];
  /** Samples per series (the reference, then evenly to the horizon). */
  readonly samples: number;
}

/** Instants sampled per divergence series (plus the reference). */
export const SERIES_SAMPLES = 120;

/**
 * The number a kHz field holds, or the text itself when it is not a plain integer: the
 * library then refuses it with its own typed error (`"host.tscKhz" expected number (u32),
 * got string ""`), which is what the page shows.
 */
export function fieldNumber(text: string): number | string {
  const t = text.trim();
  return /^[+-]?\d+$/.test(t) ? Number(t) : text;
}

/** The guest kind, checked like the library checks its enumerations. */
export function guestKind(text: string): GuestKind {
  if ((GUEST_KINDS as readonly string[]).includes(text)) return text as GuestKind;
  throw ArgumentRangeError.choice('guest', GUEST_KINDS, text);
}

/**
 * Everything the page shows for one form state.
 * @throws the library's typed errors (ArgumentTypeError, ArgumentRangeError, KernelProfileError, KernelRuleError…) for input it refuses.
 */
export function explore(input: ExplorerInput, api: KvmclockApi = kvmclock('wasm'), samples = SERIES_SAMPLES): Exploration {
  const kernels = parseKernelList(input.kernels, 'kernel');
  const horizonNs = parseDurationNs(input.horizon, 'horizon');
  const guest = guestKind(input.guest);
  // Handed over unconverted where they are not integers: the library validates them.
  const hostKhz = fieldNumber(input.hostKhz) as number;
  const guestKhz = fieldNumber(input.guestKhz) as number;
  const vendor = input.vendor as Vendor;
  const comparison = compareKernels(api, { hostKhz, guestKhz, vendor, horizonNs, kernels });
  const columns = comparison.columns.map((column, i) => ({ ...column, series: divergenceSeries(api, hostKhz, guestKhz, vendor, kernels[i], horizonNs, samples) }));
  return { hostKhz, guestKhz, vendor, guest, horizonNs, migration: comparison.migration, columns, samples };
}

/**
 * The clocks of the standard reference VM at `samples + 1` instants from the reference to the
 * horizon (host TSC M + ⌊t·host_khz/10^6⌋, as the summary uses for the horizon itself).
 */
export function divergenceSeries(api: KvmclockApi, hostKhz: number, guestKhz: number, vendor: Vendor, kernel: KernelProfile, horizonNs: bigint, samples: number): DivergenceSample[] {
  const { vm, m } = standardVm(api, { hostKhz, guestKhz, vendor, kernel });
  const state = vm.clockState(0);
  const record = vm.vcpu(0).pvti;
  // Clock H as the summary computes it at the horizon: the reference TSC page KVM derives
  // from the vCPU's record, or the MSR fallback ⌊kvmclock_ns/100⌋ where no page is valid.
  const page = record === null ? null : hvPageOf(api, record);
  const s64 = (x: bigint) => BigInt.asIntN(64, x);
  const out: DivergenceSample[] = [];
  for (let i = 0; i <= samples; i++) {
    const tNs = (horizonNs * BigInt(i)) / BigInt(samples);
    const at = m + (tNs * BigInt(hostKhz)) / 1_000_000n;
    const v = vm.clocks(0, at);
    const h = page !== null && page.valid ? api.hvRefRead(v.guestTsc, page.scale, page.offset) : api.hvRefMsr(v.kvmclockNs);
    out.push({
      tNs,
      bMinusA: s64(v.b - v.a),
      cMinusA: s64(v.c - v.a),
      bMinusC: s64(v.b - v.c),
      hMinusB: h * 100n - v.b,
      resnapshotStepNs: resnapshotStep(api, state, at).legacyStepNs,
    });
  }
  return out;
}
