/**
 * CLOCK_MONOTONIC against CLOCK_MONOTONIC_RAW: both run on the current clocksource (D for
 * tsc, kvm-clock's nanoseconds for kvm-clock), MONOTONIC steered by the NTP layer. The timekeeper accumulates in intervals of cycle_interval cycles
 * (spec §6.3) and steers MONOTONIC so that each interval adds, in the long run, the NTP tick
 * length minus a fixed remainder: the nominal interval length minus what cycle_interval cycles
 * give at the clocksource's mult. The clocksource's own rounding is therefore kept (NTP sees it
 * as part of the oscillator's error) and with no frequency correction MONOTONIC runs at exactly
 * RAW's rate. Per count of the clocksource (a TSC cycle, or a kvm-clock ns), in the long run:
 *   rate = mult/2^shift + (tick_length/2^32 − ⌊10^9/HZ⌋)/cycle_interval
 *   cycle_interval = max(1, ⌊(⌊10^9/HZ⌋·2^shift + ⌊mult/2⌋)/mult⌋)
 *   tick_length = ⌊second_length/HZ⌋ (ns·2^32), second_length = tick·1000·USER_HZ·2^32 + freq·1000·2^16
 * with tick and freq (ppm·2^16) as adjtimex reports them and USER_HZ 100 on x86. While an NTP
 * offset is being slewed (PLL/FLL with a non-zero offset) the rate is not predictable from these.
 */
import type { ClocksourceParams } from '../backend.js';
import { clocksourceRate, over } from '../model/rates.js';
import { ppbOf, type Ratio } from '../rational.js';
import type { GuestClockD } from './clock-d.js';
import type { NtpState } from './native-output.js';
import { reduce } from './ratio-math.js';

export const USER_HZ = 100;
const STA_PLL = 0x0001;
const STA_FLL = 0x0008;

/** The long-run rate of CLOCK_MONOTONIC predicted from the clocksource's factors, HZ and the NTP state. */
export interface MonoPrediction {
  readonly hz: number;
  readonly cycleInterval: bigint;
  /** ns·2^32 per interval. */
  readonly tickLength: bigint;
  /** MONOTONIC ns per count of the clocksource (a guest TSC cycle for tsc, a kvm-clock ns for kvm-clock), exact. */
  readonly rate: Ratio;
  /** MONOTONIC against RAW (ppb). */
  readonly vsRawPpb: Ratio;
  /** MONOTONIC against D (ppb), when RAW runs on D (the tsc clocksource). */
  readonly vsDPpb?: Ratio;
}

/** The long-run rate of CLOCK_MONOTONIC against D, RAW's clock on a guest whose clocksource is tsc. */
export function predictMonotonic(d: GuestClockD, hz: number | null, ntp: NtpState): (MonoPrediction & { readonly vsDPpb: Ratio }) | { readonly reason: string } {
  const p = predictMonotonicOn(d.registration, hz, ntp);
  return 'reason' in p ? p : { ...p, vsDPpb: p.vsRawPpb };
}

/** The long-run rate of CLOCK_MONOTONIC on a clocksource registered with `cs` (mult, shift), or why it cannot be predicted. */
export function predictMonotonicOn(cs: Pick<ClocksourceParams, 'mult' | 'shift'>, hz: number | null, ntp: NtpState): MonoPrediction | { readonly reason: string } {
  if (hz === null || !Number.isInteger(hz) || hz <= 0) return { reason: 'CONFIG_HZ is not known' };
  if (ntp.offset !== 0n && (ntp.status & (STA_PLL | STA_FLL)) !== 0) return { reason: 'NTP is slewing an offset' };
  const { mult, shift } = cs;
  const intervalNs = 1_000_000_000n / BigInt(hz);
  let cycleInterval = ((intervalNs << BigInt(shift)) + BigInt(mult >>> 1)) / BigInt(mult);
  if (cycleInterval === 0n) cycleInterval = 1n;
  const secondLength = ((ntp.tick * 1000n * BigInt(USER_HZ)) << 32n) + ntp.freq * 1000n * 65536n;
  const tickLength = secondLength / BigInt(hz);
  // mult/2^shift + (tickLength/2^32 − intervalNs)/cycleInterval, over the common denominator cycleInterval·2^(32+shift).
  const rate: Ratio = {
    num: ((tickLength - (intervalNs << 32n)) << BigInt(shift)) + ((cycleInterval * BigInt(mult)) << 32n),
    den: cycleInterval << BigInt(32 + shift),
  };
  return { hz, cycleInterval, tickLength, rate: reduce(rate), vsRawPpb: reduce(ppbOf(over(rate, clocksourceRate(mult, shift)))) };
}

/** HZ from the kernel config text (/proc/config.gz, decompressed). */
export function hzFromConfig(config: string): number | null {
  const m = /^CONFIG_HZ=(\d+)$/m.exec(config);
  return m ? Number(m[1]) : null;
}
