/**
 * The drift of kvm-clock (the record's scale) against clock D (the guest's TSC
 * clocksource), predicted exactly. Both convert the same guest TSC, so the TSC's true
 * frequency cancels: the drift is the ratio of the two fixed-point rates (spec §9).
 */
import { over, pvclockRate } from '../model/rates.js';
import { ppbOf, type Ratio } from '../rational.js';
import type { GuestClockD } from './clock-d.js';
import { reduce } from './ratio-math.js';

export interface DriftPrediction {
  /** kvm-clock ns per guest TSC cycle: mul·2^shift/2^32. */
  readonly kvmclockRate: Ratio;
  /** D ns per guest TSC cycle: mult/2^shift. */
  readonly dRate: Ratio;
  /** kvm-clock's rate against D. */
  readonly ratio: Ratio;
  /** (ratio − 1)·10^9: positive when kvm-clock runs fast against D. */
  readonly ppb: Ratio;
  /** What kvm-clock gains on D per day of D (ns, exact): ppb·86400. */
  readonly nsPerDay: Ratio;
  /** kvm-clock against a TSC at exactly the guest's tsc_khz (ppb). */
  readonly kvmclockVsNominalPpb: Ratio;
  /** D against the same nominal rate (ppb): the clocksource mult's rounding. */
  readonly dVsNominalPpb: Ratio;
  /** The same drift seen from D: D against kvm-clock (ppb), (1/ratio − 1)·10^9. */
  readonly dVsKvmclockPpb: Ratio;
}

/** Predicted drift of a record's kvm-clock against clock D. */
export function predictDrift(mul: number, shift: number, d: GuestClockD): DriftPrediction {
  const kvmclockRate = pvclockRate(mul, shift);
  const ratio = reduce(over(kvmclockRate, d.rate));
  const ppb = reduce(ppbOf(ratio));
  return {
    kvmclockRate,
    dRate: d.rate,
    ratio,
    ppb,
    nsPerDay: reduce({ num: ppb.num * 86_400n, den: ppb.den }),
    kvmclockVsNominalPpb: reduce(ppbOf(over(kvmclockRate, d.nominalRate))),
    dVsNominalPpb: d.errorPpb,
    dVsKvmclockPpb: reduce(ppbOf({ num: ratio.den, den: ratio.num })),
  };
}
