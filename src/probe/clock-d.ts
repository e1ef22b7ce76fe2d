/**
 * Clock D: the guest's own TSC clocksource, the clock CLOCK_MONOTONIC_RAW runs on in a
 * KVM guest whose current clocksource is `tsc`. The guest registers it like any TSC
 * clocksource (spec §6.2: its tsc_khz, scale 1000, 64-bit mask, the 600 s cap, the maxadj
 * loop), and its raw clock then advances exactly mult/2^shift ns per guest TSC cycle
 * (§6.3, never NTP-adjusted). A KVM guest usually takes tsc_khz from the pvclock record
 * (pvclock_tsc_khz, §3.4), so D is a function of the record's scale too.
 */
import type { KvmclockApi } from '../api.js';
import { type ClockState, guestTsc, systemTime, tscTimestamp } from '../model/definitions.js';
import { clocksourceRate, over, pvclockRate } from '../model/rates.js';
import { ppbOf, type Ratio } from '../rational.js';
import { type ClocksourceRegistration, MASK_64, registerClocksource } from './clocksource.js';
import { reduce } from './ratio-math.js';

export interface GuestClockD {
  /** The guest's tsc_khz the clocksource was registered with. */
  readonly tscKhz: number;
  /** The `tsc` clocksource registration: mult, shift, maxadj, maxsec, max_cycles, max_idle_ns. */
  readonly registration: ClocksourceRegistration;
  /** ns per guest TSC cycle, exact: mult/2^shift. */
  readonly rate: Ratio;
  /** ns per cycle of a TSC at exactly tsc_khz: 10^6/tsc_khz. */
  readonly nominalRate: Ratio;
  /** D's rate against the nominal one, in ppb (the mult rounding error), exact. */
  readonly errorPpb: Ratio;
}

/** Clock D for a guest whose tsc_khz is `tscKhz` (1..2^32−1). */
export function guestClocksourceD(api: KvmclockApi, tscKhz: number): GuestClockD {
  const registration = registerClocksource(api, 'tsc', tscKhz, 1000, MASK_64);
  const rate = clocksourceRate(registration.mult, registration.shift);
  const nominalRate: Ratio = { num: 1_000_000n, den: BigInt(tscKhz) };
  return { tscKhz, registration, rate, nominalRate, errorPpb: reduce(ppbOf(over(rate, nominalRate))) };
}

/** The tsc_khz a KVM guest derives from its record's scale (what its TSC calibration returns). */
export function guestTscKhzOfScale(api: KvmclockApi, mul: number, shift: number): number {
  return Number(api.pvclockTscKhz(mul, shift));
}

/** The rate of kvm-clock against D, exact: (mul·2^shift/2^32)/(mult/2^shift_D). */
export function kvmclockOverD(mul: number, shift: number, d: GuestClockD): Ratio {
  return over(pvclockRate(mul, shift), d.rate);
}

/**
 * D in the clock model, at host TSC h: the guest's raw clock aligned with B at the
 * master-clock reference (both read system_time at guest TSC tsc_timestamp), advancing by
 * the exact closed form ⌊(g(h) − tsc_timestamp)·mult/2^shift⌋ (mod 2^64). D − B is then the
 * drift of what the guest reads (kvm-clock) against its own TSC clocksource since the
 * reference. The guest's tsc_khz is pvclock_tsc_khz of the record's scale.
 */
export function clockD(api: KvmclockApi, s: ClockState, h: bigint, d: GuestClockD = guestClocksourceD(api, guestTscKhzOfScale(api, s.guestScale.mul, s.guestScale.shift))): bigint {
  const t = tscTimestamp(api, s);
  const elapsed = api.rawNs(guestTsc(api, s, h), t, 0n, 0n, d.registration.mult, d.registration.shift);
  return BigInt.asUintN(64, systemTime(s) + elapsed);
}
