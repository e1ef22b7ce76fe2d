/**
 * One sweep point computed exactly: the standard reference (spec §11 `abc` conventions:
 * c0 = M = 10^12, every offset 0) evaluated at h = M + host_khz·1000·horizon, the exact
 * drift rates from the fixed-point factors (spec §9), the scaling facts behind them, and
 * the legacy re-snapshot step at the horizon, and the Hyper-V reference TSC page KVM derives
 * from the guest's record (guest-clock-abis §1) with the exact drift of the reference time H
 * a Windows guest reads from it.
 */
import type { KvmclockApi } from '../api.js';
import { isKvmclockError } from '../errors.js';
import { KernelProfile } from '../kernel/profile.js';
import { abc, type AbcValues, abcValues, type ClockState, resnapshotStep } from '../model/definitions.js';
import { type HvPageOutcome, hvPageOf, hvReferenceRatesPpb } from '../model/guest-clocks.js';
import { STANDARD_M } from '../model/standard.js';
import { tscCaps } from '../model/vendor.js';
import { clockRates, over } from '../model/rates.js';
import { type Ratio, ppbOf } from '../rational.js';
import { PVCLOCK_TSC_STABLE_BIT } from '../units.js';
import { profileNamed } from './chain-grid.js';
import type { GridPoint } from './grid.js';

/** Why the guest TSC is or is not scaled. */
export type ScalingStatus =
  | 'scaled' // a hardware ratio was written
  | 'within-tolerance' // inside ±tolerance: the default ratio, the guest TSC runs at the host rate
  | 'catch-up' // no hardware scaling, faster guest: software catch-up
  | 'refused-slower-without-scaling' // no hardware scaling, slower guest: kvm_set_tsc_khz fails
  | 'refused-ratio' // ratio 0 or ≥ max_tsc_scaling_ratio: kvm_set_tsc_khz fails
  | 'refused-max-guest-khz'; // KVM_SET_TSC_KHZ refuses ≥ max_guest_tsc_khz before computing a ratio

/**
 * The Hyper-V reference TSC page of a point: valid with its tsc_scale and the exact rates
 * (X/Y − 1)·10^9 of H against B, against the guest TSC at exactly the guest kHz, and
 * against A (model/guest-clocks.ts hvReferenceRatesPpb); or invalid, with the reason
 * compute_tsc_page_parameters gives (`mul` for a guest TSC of 10 MHz or slower).
 */
export type SweepHvPage =
  | { readonly valid: true; readonly scale: bigint; readonly ratePpb: { readonly vsB: Ratio; readonly vsNominal: Ratio; readonly vsA: Ratio } }
  | { readonly valid: false; readonly reason: string };

/** A point's page from the page outcome (or its tsc_scale) and the state the point was evaluated on. */
export function sweepHvPage(page: HvPageOutcome | { readonly valid: true; readonly scale: bigint }, state: ClockState, guestKhz: number): SweepHvPage {
  if (!page.valid) return { valid: false, reason: page.reason };
  return { valid: true, scale: page.scale, ratePpb: hvReferenceRatesPpb(state, page.scale, guestKhz) };
}

export interface ExactPoint extends GridPoint, AbcValues {
  readonly scaled: boolean;
  readonly scaling: ScalingStatus;
  readonly ratio: bigint;
  readonly tgtKhz: bigint;
  readonly guestScale: { readonly shift: number; readonly mul: number };
  readonly hostScale: { readonly shift: number; readonly mul: number };
  readonly rawClock: { readonly mult: number; readonly shift: number };
  readonly h: bigint;
  /** Exact relative rates (X/Y − 1)·10^9 as fractions. */
  readonly ratePpb: { readonly bMinusA: Ratio; readonly cMinusA: Ratio; readonly bMinusC: Ratio };
  readonly resnapshotStepNs: bigint;
  readonly continuousKvmclockOffset: bigint;
  /** The Hyper-V reference TSC page KVM derives from the guest's record. */
  readonly hvPage: SweepHvPage;
}

/** A point the kernel cannot evaluate (e.g. kvm_set_tsc_khz would take a divide error). */
export interface FailedPoint extends GridPoint {
  readonly error: { readonly code: string; readonly message: string };
  /** Set when KVM_SET_TSC_KHZ would refuse the guest frequency before the failing computation. */
  readonly scaling?: 'refused-max-guest-khz';
}

export type PointResult = ExactPoint | FailedPoint;

export const isFailedPoint = (p: PointResult): p is FailedPoint => 'error' in p;

/** The profile a point is computed under: the one given, else the point's own (its name), else 6.18. */
function profileOf(p: GridPoint, kernel: KernelProfile | undefined): KernelProfile {
  if (kernel !== undefined) return kernel;
  return p.kernel === undefined ? KernelProfile.baseline : profileNamed(p.kernel);
}

/** Compute one point exactly (under `kernel`; default: the point's profile, else 6.18). */
export function exactPoint(api: KvmclockApi, p: GridPoint, tolerancePpm: number, kernel?: KernelProfile): PointResult {
  return evaluatePoint(api, p, tolerancePpm, kernel).point;
}

/**
 * Compute one point exactly, with the clock state it was evaluated on (for sampling), under
 * `kernelProfile` (default: the point's own profile, else 6.18).
 */
export function evaluatePoint(api: KvmclockApi, p: GridPoint, tolerancePpm: number, kernelProfile?: KernelProfile): { readonly point: PointResult; readonly state?: ClockState } {
  const kernel = profileOf(p, kernelProfile);
  const caps = tscCaps(p.vendor);
  const h = STANDARD_M + BigInt(p.hostKhz) * 1000n * p.horizonS;
  let r: ReturnType<typeof abc>;
  let set: ReturnType<KvmclockApi['setTscKhz']>;
  try {
    set = api.setTscKhz(p.guestKhz, p.hostKhz, caps.hasTscControl, caps.frac, caps.maxRatio, tolerancePpm);
    r = abc(api, {
      hostKhz: p.hostKhz,
      userKhz: p.guestKhz,
      frac: caps.frac,
      maxRatio: caps.maxRatio,
      hasControl: caps.hasTscControl,
      tolPpm: tolerancePpm,
      c0: STANDARD_M,
      rawSec: 0n,
      xtimeNsec: 0n,
      offsBoot: 0n,
      kvmclockOffset: 0n,
      masterCycleNow: STANDARD_M,
      l1Offset: 0n,
      h,
    }, kernel);
  } catch (e) {
    if (isKvmclockError(e) && e.code !== 'internal' && e.code !== 'type' && e.code !== 'range') {
      const maxGuest = api.maxGuestTscKhz(p.hostKhz, caps.maxRatio, caps.frac);
      const refused = p.guestKhz >= maxGuest;
      const message = refused
        ? `KVM_SET_TSC_KHZ refuses ${p.guestKhz} kHz (not below max_guest_tsc_khz ${maxGuest}) before kvm_set_tsc_khz runs; kvm_set_tsc_khz itself (as abc evaluates it) would take this error: ${e.message}`
        : e.message;
      return { point: { ...p, error: { code: e.code, message }, ...(refused ? { scaling: 'refused-max-guest-khz' as const } : {}) } };
    }
    throw e;
  }
  const maxGuest = api.maxGuestTscKhz(p.hostKhz, caps.maxRatio, caps.frac);
  const scaling: ScalingStatus =
    p.guestKhz >= maxGuest
      ? 'refused-max-guest-khz'
      : !set.useScaling
        ? 'within-tolerance'
        : set.catchup
          ? 'catch-up'
          : set.ratio === null
            ? caps.hasTscControl
              ? 'refused-ratio'
              : 'refused-slower-without-scaling'
            : 'scaled';
  // Per host cycle: A = mult/2^shift, C = mh·2^sh/2^32 (C′: through the VM ratio), B = (ratio/2^frac)·mg·2^sg/2^32 (ns).
  const { a: rateA, b: rateB, c: rateC } = clockRates(r.state);
  const step = resnapshotStep(api, r.state, h);
  // kvm_hv_setup_tsc_page on the record kvm_guest_time_update wrote: the standard reference
  // runs the master clock, so the record has PVCLOCK_TSC_STABLE.
  const page = hvPageOf(api, { version: 0, tscTimestamp: r.tscTimestamp, systemTime: r.systemTime, tscToSystemMul: r.guestScale.mul, tscShift: r.guestScale.shift, flags: PVCLOCK_TSC_STABLE_BIT });
  const point: ExactPoint = {
    ...p,
    scaled: r.ratio !== caps.defaultRatio,
    scaling,
    ratio: r.ratio,
    tgtKhz: r.tgtKhz,
    guestScale: r.guestScale,
    hostScale: r.hostScale,
    rawClock: { mult: r.mult, shift: r.shift },
    h,
    ...abcValues(r.a, r.b, r.c),
    ratePpb: { bMinusA: ppbOf(over(rateB, rateA)), cMinusA: ppbOf(over(rateC, rateA)), bMinusC: ppbOf(over(rateB, rateC)) },
    resnapshotStepNs: step.legacyStepNs,
    continuousKvmclockOffset: step.continuousKvmclockOffset,
    hvPage: sweepHvPage(page, r.state, p.guestKhz),
  };
  return { point, state: r.state };
}
