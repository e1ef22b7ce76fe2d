/**
 * Everything the probe predicts from one pvclock record and what the system says about
 * itself (pure): the guest's and the host's frequencies, clock D, what CLOCK_MONOTONIC_RAW
 * runs on and the drift of kvm-clock predicted against it, the evidence for KVM's clock,
 * and the boot-line comparison.
 */
import type { KvmclockApi } from '../api.js';
import type { PvclockRecord } from '../model/pvclock-record.js';
import { type BootCheck, checkBootLog } from './boot-check.js';
import type { BootLog } from './boot-log.js';
import { type GuestClockD, guestClocksourceD, guestTscKhzOfScale } from './clock-d.js';
import { type DriftPrediction, predictDrift } from './drift.js';
import { hostKhzCandidates, type KhzRange } from './host-khz.js';
import { type KvmClockEvidence, kvmClockEvidence } from './kvm-evidence.js';
import { CURRENT_CLOCKSOURCE_FILE, currentClocksourceOf, type DStatus, dStatusOf, type RawClock, rawClockOf } from './raw-clock.js';
import { chooseTscKhz, type KhzCandidate, tscKhzCandidates } from './tsc-khz.js';

/** What the analysis takes: the record, the options, and what the system says about itself. */
export interface AnalysisInputs {
  readonly record: PvclockRecord;
  /** --tsc-khz: the guest tsc_khz to register D with, overriding what the system says. */
  readonly tscKhzOption?: number;
  /** The parsed kernel log, or why there is none. */
  readonly bootLog: { readonly log: BootLog; readonly source: string } | { readonly unavailable: string };
  readonly cpuinfo: string | null;
  readonly hz: number | null;
  /** The current clocksource as read, when known (else the boot log's last switch is used). */
  readonly currentClocksource?: string | null;
  /** Where currentClocksource was read (default: the sysfs file), or why it could not be. */
  readonly currentClocksourceSource?: string;
  /** The available clocksources, when known. */
  readonly availableClocksources?: readonly string[] | null;
  /** What the native reader reported about the page and the CPU: for the evidence of KVM's clock. */
  readonly native?: { readonly hypervisor: string; readonly pageSource: string };
}

/** What the analysis takes from the system (or a recording of it) besides the record and the options. */
export type SystemFacts = Omit<AnalysisInputs, 'record' | 'tscKhzOption' | 'native'>;

/** Everything the probe predicts from one record (see the fields). */
export interface Analysis {
  readonly record: PvclockRecord;
  /** pvclock_tsc_khz(mul, shift): the TSC frequency the guest derives from the record. */
  readonly guestKhz: number;
  /** Every host tgt_tsc_khz giving exactly this scale (null: none). */
  readonly hostKhz: KhzRange | null;
  readonly tscKhz: { readonly candidates: readonly KhzCandidate[]; readonly chosen: KhzCandidate; readonly allAgree: boolean };
  /** Clock D, the guest's TSC clocksource: what RAW runs on when the clocksource is tsc, else what it would be. */
  readonly d: GuestClockD;
  /** Whether D is running, and if not why. */
  readonly dStatus: DStatus;
  /** The drift of kvm-clock against D (hypothetical when D is not running). */
  readonly prediction: DriftPrediction;
  /** What CLOCK_MONOTONIC_RAW runs on and what is predicted against it. */
  readonly rawClock: RawClock;
  /** The evidence for KVM's clock (the CPUID signature is information only). */
  readonly kvm: KvmClockEvidence;
  readonly boot: { readonly source: string; readonly fromBoot: boolean; readonly checks: readonly BootCheck[] } | { readonly unavailable: string };
  readonly hz: number | null;
  /** The current clocksource's name as resolved (read, else from the boot log), or null. */
  readonly currentClocksource: string | null;
  readonly availableClocksources: readonly string[] | null;
}

/** Analyse one record against what the system (or a recording of it) says. */
export function analyse(api: KvmclockApi, x: AnalysisInputs): Analysis {
  const r = x.record;
  const guestKhz = guestTscKhzOfScale(api, r.tscToSystemMul, r.tscShift);
  const log = 'log' in x.bootLog ? x.bootLog.log : null;
  const candidates = tscKhzCandidates({ option: x.tscKhzOption, boot: log, cpuinfo: x.cpuinfo, recordKhz: guestKhz });
  const tscKhz = { candidates, ...chooseTscKhz(candidates) };
  const d = guestClocksourceD(api, tscKhz.chosen.khz);
  const prediction = predictDrift(r.tscToSystemMul, r.tscShift, d);
  const current = currentClocksourceOf({ name: x.currentClocksource ?? null, source: x.currentClocksourceSource ?? CURRENT_CLOCKSOURCE_FILE }, log);
  const rawClock = rawClockOf(api, current, d, prediction, x.hz);
  const available = x.availableClocksources ?? null;
  const hostKhz = hostKhzCandidates(api, r.tscToSystemMul, r.tscShift);
  return {
    record: r,
    guestKhz,
    hostKhz,
    tscKhz,
    d,
    dStatus: dStatusOf(rawClock, log, available),
    prediction,
    rawClock,
    kvm: kvmClockEvidence({ pvclockPage: x.native?.pageSource ?? null, hostKhz, log, available, current: current.name, cpuidSignature: x.native?.hypervisor ?? null }),
    boot: 'log' in x.bootLog ? { source: x.bootLog.source, fromBoot: x.bootLog.log.fromBoot, checks: checkBootLog(api, x.bootLog.log, { recordKhz: guestKhz, hostKhz, hz: x.hz }) } : { unavailable: x.bootLog.unavailable },
    hz: x.hz,
    currentClocksource: current.name,
    availableClocksources: available,
  };
}
