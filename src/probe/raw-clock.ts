/**
 * What CLOCK_MONOTONIC_RAW runs on — the timekeeper's current clocksource — and which of
 * the probe's predictions follow from it.
 *
 * - `tsc`: RAW is clock D, the guest's TSC clocksource (mult/2^shift ns per TSC cycle),
 *   and kvm-clock drifts against it by the ratio of the two fixed-point rates.
 * - `kvm-clock`: RAW counts kvm-clock's nanoseconds (the record evaluated at the TSC the
 *   kernel read) through kvm-clock's own registration at 1 GHz, whose mult/2^shift is
 *   exactly 1: kvm-clock drifts against RAW by exactly 0, and more sharply, RAW is the
 *   record's nanoseconds plus a constant (spec §6.3, closed form with mult = 2^shift).
 *   D is then not running: it is shown as what it would be.
 * - anything else (hpet, acpi_pm…): a counter that is not a function of the TSC the probe
 *   can evaluate, so the drift of kvm-clock against RAW is measured but not predicted.
 */
import type { KvmclockApi } from '../api.js';
import { clocksourceRate } from '../model/rates.js';
import { ppbOf, type Ratio } from '../rational.js';
import { markText, notRegisteredReason } from './boot-check.js';
import type { BootLog } from './boot-log.js';
import type { GuestClockD } from './clock-d.js';
import { ACPI_PM_HZ, type ClocksourceRegistration, jiffiesRegistration, kvmClockRegistration, MASK_24, registerClocksource } from './clocksource.js';
import type { DriftPrediction } from './drift.js';
import { reduce } from './ratio-math.js';

/** What RAW runs on, as far as the predictions go. */
export type RawClockKind = 'tsc' | 'kvm-clock' | 'other' | 'unknown';

/** The current clocksource and where its name comes from (or why it is not known). */
export interface CurrentClocksource {
  readonly name: string | null;
  /** The file it was read from, the boot log's last switch, or why neither was available. */
  readonly source: string;
  /** Taken from the boot log's last "Switched to clocksource" line (the file could not be read). */
  readonly fromBootLog: boolean;
}

/** A prediction the probe cannot make on this guest, and why. */
export interface NotPredicted {
  readonly what: string;
  readonly why: string;
}

/** What RAW runs on and what follows from it. */
export interface RawClock {
  readonly kind: RawClockKind;
  readonly current: CurrentClocksource;
  /** The current clocksource's registration (D's for tsc), when the probe knows how it is registered. */
  readonly registration: ClocksourceRegistration | null;
  /** What one count of the current clocksource is, when the probe can evaluate it at a guest TSC. */
  readonly counter: 'tsc' | 'kvm-clock' | null;
  /** RAW ns per count of the current clocksource: mult/2^shift, exact (null: registration unknown). */
  readonly nsPerCount: Ratio | null;
  /** Predicted drift of kvm-clock against RAW (ppb, positive: kvm-clock runs fast), or null. */
  readonly kvmclockVsRawPpb: Ratio | null;
  /** RAW is exactly the record's ns plus a constant (RAW runs on kvm-clock registered at 1 ns per count). */
  readonly exactOffset: boolean;
  /** What cannot be predicted here, with the reason. */
  readonly notPredicted: readonly NotPredicted[];
}

/** The sysfs file the timekeeper's current clocksource is read from. */
export const CURRENT_CLOCKSOURCE_FILE = '/sys/devices/system/clocksource/clocksource0/current_clocksource';

/**
 * The current clocksource: as read (sysfs, or a recording's copy of it), else the boot
 * log's last "Switched to clocksource" line (the boot-time choice; a later switch through
 * sysfs would not be in it), else unknown with the reasons.
 */
export function currentClocksourceOf(read: { readonly name: string | null; readonly source: string }, log: BootLog | null): CurrentClocksource {
  if (read.name) return { name: read.name, source: read.source, fromBootLog: false };
  const last = log?.clocksourceSwitches.at(-1);
  if (last !== undefined) return { name: last, source: `the boot log's last "Switched to clocksource" line (${read.source})`, fromBootLog: true };
  return { name: null, source: `${read.source}; no "Switched to clocksource" line in the boot log`, fromBootLog: false };
}

/** The predictions that depend on what RAW runs on, by the words used for them in NotPredicted.what. */
export const RAW_DRIFT = 'the drift of kvm-clock against CLOCK_MONOTONIC_RAW';
export const MONO_VS_RAW = 'CLOCK_MONOTONIC against CLOCK_MONOTONIC_RAW';

/** Registrations the probe knows for clocksources other than tsc and kvm-clock. */
function otherRegistration(api: KvmclockApi, name: string, hz: number | null): ClocksourceRegistration | null {
  if (name === 'acpi_pm') return registerClocksource(api, name, ACPI_PM_HZ, 1, MASK_24);
  if ((name === 'jiffies' || name === 'refined-jiffies') && hz) return jiffiesRegistration(api, name, hz);
  return null;
}

/** What RAW runs on and what is predicted against it, from the current clocksource. */
export function rawClockOf(api: KvmclockApi, current: CurrentClocksource, d: GuestClockD, prediction: DriftPrediction, hz: number | null): RawClock {
  const base = { current, exactOffset: false, notPredicted: [] as NotPredicted[] };
  if (current.name === 'tsc') {
    return { ...base, kind: 'tsc', registration: d.registration, counter: 'tsc', nsPerCount: d.rate, kvmclockVsRawPpb: prediction.ppb };
  }
  if (current.name === 'kvm-clock') {
    const registration = kvmClockRegistration(api);
    const nsPerCount = reduce(clocksourceRate(registration.mult, registration.shift));
    // kvm-clock against RAW: one kvm-clock ns is nsPerCount RAW ns.
    const kvmclockVsRawPpb = reduce(ppbOf({ num: nsPerCount.den, den: nsPerCount.num }));
    return { ...base, kind: 'kvm-clock', registration, counter: 'kvm-clock', nsPerCount, kvmclockVsRawPpb, exactOffset: nsPerCount.num === nsPerCount.den };
  }
  if (current.name === null) {
    return {
      ...base,
      kind: 'unknown',
      registration: null,
      counter: null,
      nsPerCount: null,
      kvmclockVsRawPpb: null,
      notPredicted: [
        { what: RAW_DRIFT, why: `the current clocksource is not known (${current.source}); on tsc it would be the drift against D below, on kvm-clock exactly 0` },
        { what: MONO_VS_RAW, why: 'it depends on the current clocksource’s mult/shift, which are not known' },
      ],
    };
  }
  const registration = otherRegistration(api, current.name, hz);
  const notPredicted: NotPredicted[] = [
    {
      what: RAW_DRIFT,
      why: `CLOCK_MONOTONIC_RAW runs on ${current.name}, a counter that is neither the TSC nor kvm-clock: its rate against the guest TSC is a property of the (virtual) hardware, not of the kernel's arithmetic, so it is measured only`,
    },
  ];
  if (registration === null) notPredicted.push({ what: MONO_VS_RAW, why: `${current.name} is registered from a frequency the probe cannot know, so its mult/shift (over which NTP's tick is spread) are unknown` });
  return { ...base, kind: 'other', registration, counter: null, nsPerCount: registration ? clocksourceRate(registration.mult, registration.shift) : null, kvmclockVsRawPpb: null, notPredicted };
}

/** Whether clock D (the TSC clocksource) is what RAW runs on, and if not, why not, in plain words. */
export interface DStatus {
  /** null: the current clocksource is not known. */
  readonly running: boolean | null;
  readonly text: string;
}

/** D's status from what RAW runs on, the boot log and the available clocksources. */
export function dStatusOf(raw: RawClock, log: BootLog | null, available: readonly string[] | null): DStatus {
  if (raw.kind === 'tsc') return { running: true, text: `what CLOCK_MONOTONIC_RAW runs on: the current clocksource is tsc${raw.current.fromBootLog ? ", from the boot log's last clocksource switch" : ''}` };
  const why: string[] = [];
  if (raw.kind === 'unknown') why.push('the current clocksource is not known, so D may or may not be what CLOCK_MONOTONIC_RAW runs on');
  else why.push(`the current clocksource is ${raw.current.name}`);
  if (log !== null) {
    const registered = log.clocksources.some((c) => c.name === 'tsc');
    const later = log.tscUnstableMarks.filter((m) => m.afterRegistrations > 0 && log.clocksources.slice(0, m.afterRegistrations).some((c) => c.name === 'tsc'));
    if (registered) why.push(later.length ? `tsc was registered, then ${markText(later[0])}` : 'tsc was registered but is not the current clocksource');
    else if (log.fromBoot) why.push(`tsc was ${notRegisteredReason(log)}`);
  }
  if (available !== null) why.push(available.includes('tsc') ? 'tsc is available' : `tsc is not among the available clocksources (${available.join(', ') || 'none'})`);
  if (raw.kind === 'unknown') return { running: null, text: why.join('; ') };
  return { running: false, text: `NOT RUNNING: ${why.join('; ')}` };
}
