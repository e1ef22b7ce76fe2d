/**
 * Everything the probe predicts from one pvclock record and what the system says about
 * itself (pure): the guest's and the host's frequencies, clock D, the drift of kvm-clock
 * against D, and the boot-line comparison.
 */
import type { KvmclockApi } from '../api.js';
import type { PvclockRecord } from '../model/pvclock-record.js';
import { type BootCheck, checkBootLog } from './boot-check.js';
import type { BootLog } from './boot-log.js';
import { type GuestClockD, guestClocksourceD, guestTscKhzOfScale } from './clock-d.js';
import { type DriftPrediction, predictDrift } from './drift.js';
import { hostKhzCandidates, type KhzRange } from './host-khz.js';
import { chooseTscKhz, type KhzCandidate, tscKhzCandidates } from './tsc-khz.js';

export interface AnalysisInputs {
  readonly record: PvclockRecord;
  /** --tsc-khz: the guest tsc_khz to register D with, overriding what the system says. */
  readonly tscKhzOption?: number;
  /** The parsed kernel log, or why there is none. */
  readonly bootLog: { readonly log: BootLog; readonly source: string } | { readonly unavailable: string };
  readonly cpuinfo: string | null;
  readonly hz: number | null;
  /** The current clocksource, when known: the measurement compares against D only when it is `tsc`. */
  readonly currentClocksource?: string | null;
}

export interface Analysis {
  readonly record: PvclockRecord;
  /** pvclock_tsc_khz(mul, shift): the TSC frequency the guest derives from the record. */
  readonly guestKhz: number;
  /** Every host tgt_tsc_khz giving exactly this scale (null: none). */
  readonly hostKhz: KhzRange | null;
  readonly tscKhz: { readonly candidates: readonly KhzCandidate[]; readonly chosen: KhzCandidate; readonly allAgree: boolean };
  readonly d: GuestClockD;
  readonly prediction: DriftPrediction;
  readonly boot: { readonly source: string; readonly fromBoot: boolean; readonly checks: readonly BootCheck[] } | { readonly unavailable: string };
  readonly hz: number | null;
  readonly currentClocksource: string | null;
}

export function analyse(api: KvmclockApi, x: AnalysisInputs): Analysis {
  const r = x.record;
  const guestKhz = guestTscKhzOfScale(api, r.tscToSystemMul, r.tscShift);
  const log = 'log' in x.bootLog ? x.bootLog.log : null;
  const candidates = tscKhzCandidates({ option: x.tscKhzOption, boot: log, cpuinfo: x.cpuinfo, recordKhz: guestKhz });
  const tscKhz = { candidates, ...chooseTscKhz(candidates) };
  const d = guestClocksourceD(api, tscKhz.chosen.khz);
  return {
    record: r,
    guestKhz,
    hostKhz: hostKhzCandidates(api, r.tscToSystemMul, r.tscShift),
    tscKhz,
    d,
    prediction: predictDrift(r.tscToSystemMul, r.tscShift, d),
    boot: 'log' in x.bootLog ? { source: x.bootLog.source, fromBoot: x.bootLog.log.fromBoot, checks: checkBootLog(api, x.bootLog.log, { recordKhz: guestKhz, hz: x.hz }) } : { unavailable: x.bootLog.unavailable },
    hz: x.hz,
    currentClocksource: x.currentClocksource ?? null,
  };
}
