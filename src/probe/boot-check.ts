/**
 * Boot lines against the project's arithmetic: for each line the running kernel printed
 * about the TSC frequency and each clocksource registration, what the project computes for
 * the same registration, field by field. A TSC clocksource the kernel never registered
 * (marked unstable first, by the command line or by one of its checks) has no line to
 * compare: it is listed as not registered, with the reason the log gives.
 */
import type { KvmclockApi } from '../api.js';
import type { BootLog, ClocksourceLine, TscLine, TscUnstableMark } from './boot-log.js';
import type { KhzRange } from './host-khz.js';
import { ACPI_PM_HZ, type ClocksourceRegistration, jiffiesRegistration, KVM_CLOCK_HZ, MASK_24, MASK_64, registerClocksource } from './clocksource.js';

/** A boot line matches, mismatches, is not modelled, or (a TSC clocksource) was never registered. */
export type CheckStatus = 'match' | 'mismatch' | 'not-modelled' | 'not-registered';

export interface CheckField {
  readonly name: string;
  readonly printed: string;
  readonly computed: string | null;
}

export interface BootCheck {
  /** The kernel's message. */
  readonly line: string;
  readonly status: CheckStatus;
  /** What the computed values assume (or why the line is not modelled, or why there is no line). */
  readonly basis: string;
  readonly fields: readonly CheckField[];
}

/** What the boot lines are checked against. */
export interface BootCheckInputs {
  /** pvclock_tsc_khz of the record: what a KVM guest's TSC calibration derives from it. */
  readonly recordKhz: number;
  /** The host tgt_tsc_khz values giving exactly the record's scale (a guest may be told this frequency instead). */
  readonly hostKhz?: KhzRange | null;
  /** CONFIG_HZ when known (for the preset loops-per-jiffy line). */
  readonly hz?: number | null;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

function statusOf(fields: readonly CheckField[]): CheckStatus {
  return fields.every((f) => f.computed === f.printed) ? 'match' : 'mismatch';
}

/** The kHz the kernel registered `tsc-early` and `tsc` with, from its own lines. */
function bootTscKhz(log: BootLog): { early: number | null; final: number | null } {
  const last = (k: string) => log.tsc.filter((l) => l.kind === k).at(-1)?.khz ?? null;
  const early = last('tsc') ?? last('processor');
  return { early, final: last('refined') ?? early };
}

type Registration = { freq: number; scale: number; mask: bigint; basis: string } | { fixed: ClocksourceRegistration; basis: string } | { notModelled: string };

function registration(api: KvmclockApi, name: string, log: BootLog, hz: number | null | undefined): Registration {
  const khz = bootTscKhz(log);
  switch (name) {
    case 'tsc-early':
      return khz.early === null ? { notModelled: 'no "tsc: Detected" line to take tsc_khz from' } : { freq: khz.early, scale: 1000, mask: MASK_64, basis: `tsc_khz ${khz.early} (the detected value), scale 1000, 64-bit mask` };
    case 'tsc':
      return khz.final === null
        ? { notModelled: 'no "tsc: Detected" line to take tsc_khz from' }
        : { freq: khz.final, scale: 1000, mask: MASK_64, basis: `tsc_khz ${khz.final} (${khz.final === khz.early ? 'the detected value' : 'the refined calibration'}), scale 1000, 64-bit mask` };
    case 'kvm-clock':
      return { freq: KVM_CLOCK_HZ, scale: 1, mask: MASK_64, basis: '1 GHz (kvm-clock counts ns), scale 1, 64-bit mask' };
    case 'acpi_pm':
      return { freq: ACPI_PM_HZ, scale: 1, mask: MASK_24, basis: `${ACPI_PM_HZ} Hz, scale 1, 24-bit mask` };
    case 'jiffies':
    case 'refined-jiffies':
      if (!hz) return { notModelled: 'a tick counter whose mult depends on CONFIG_HZ, which is not known' };
      return {
        fixed: jiffiesRegistration(api, name, hz),
        basis: name === 'jiffies' ? `a tick counter, HZ ${hz}: ns per tick 10^9/HZ rounded` : `a tick counter, HZ ${hz}: ns per tick of the PIT at 1193182 Hz`,
      };
    default:
      return { notModelled: 'registered from a frequency the probe cannot know' };
  }
}

function checkClocksource(api: KvmclockApi, cs: ClocksourceLine, log: BootLog, hz: number | null | undefined): BootCheck {
  const reg = registration(api, cs.name, log, hz);
  const printed = [
    { name: 'mask', printed: hex(cs.mask) },
    { name: 'max_cycles', printed: hex(cs.maxCycles) },
    { name: 'max_idle_ns', printed: String(cs.maxIdleNs) },
  ];
  if ('notModelled' in reg) return { line: cs.line, status: 'not-modelled', basis: reg.notModelled, fields: printed.map((f) => ({ ...f, computed: null })) };
  const r = 'fixed' in reg ? reg.fixed : registerClocksource(api, cs.name, reg.freq, reg.scale, reg.mask);
  const computed = [hex(r.mask), hex(r.maxCycles), String(r.maxIdleNs)];
  const fields = printed.map((f, i) => ({ ...f, computed: computed[i] }));
  return { line: cs.line, status: statusOf(fields), basis: `${reg.basis}: mult ${r.mult}, shift ${r.shift}, maxadj ${r.maxadj}`, fields };
}

/** The TSC clocksources a booting x86 kernel registers (the early one from the boot calibration, then the final one). */
export const TSC_CLOCKSOURCES = ['tsc-early', 'tsc'] as const;

/** Why the log has no registration line for a TSC clocksource, in plain words. */
export function notRegisteredReason(log: BootLog): string {
  const mark = log.tscUnstableMarks[0];
  if (mark !== undefined) return `not registered: ${markText(mark)}`;
  if (!log.tsc.some((t) => t.kind !== 'refined')) return 'not registered: the kernel logged no TSC frequency (no "tsc: Detected" line)';
  return 'not registered: the log has no registration line for it and gives no reason';
}

/** "marked unstable by the command line (…)" or "marked unstable by the kernel (…)". */
export function markText(mark: TscUnstableMark): string {
  return mark.byCommandLine ? `marked unstable by the command line ("${mark.line}")` : `marked unstable by the kernel: ${mark.reason} ("${mark.line}")`;
}

/**
 * The TSC clocksources with no registration line in a log that reaches back to boot:
 * each is reported as not registered (not as a mismatch), with the reason.
 */
export function unregisteredTscClocksources(log: BootLog): BootCheck[] {
  if (!log.fromBoot) return [];
  const reason = notRegisteredReason(log);
  return TSC_CLOCKSOURCES.filter((name) => !log.clocksources.some((c) => c.name === name)).map((name) => ({ line: `clocksource: ${name}`, status: 'not-registered' as const, basis: reason, fields: [] }));
}

/**
 * A detected TSC frequency against the record: a KVM guest either derives it from its
 * record (pvclock_tsc_khz, which floors and usually comes out 1 kHz below the host's) or
 * is told the host's frequency, the tgt_tsc_khz the record was written with; both follow
 * from the record exactly, and the basis says which one the kernel printed.
 */
function checkTscLine(t: TscLine, x: BootCheckInputs): BootCheck {
  const printed = [{ name: 'kHz', printed: String(t.khz) }];
  if (t.kind === 'refined') return { line: t.line, status: 'not-modelled', basis: 'a hardware calibration against another timer', fields: printed.map((f) => ({ ...f, computed: null })) };
  const boot = '(the boot-time record may have had another scale)';
  const host = x.hostKhz ?? null;
  const isHost = host !== null && BigInt(t.khz) >= host.min && BigInt(t.khz) <= host.max && t.khz !== x.recordKhz;
  if (isHost) {
    return {
      line: t.line,
      status: 'match',
      basis: `the host's tgt_tsc_khz recovered from vCPU 0's current record: this guest was given the host's frequency rather than deriving pvclock_tsc_khz ${x.recordKhz} from the record ${boot}`,
      fields: printed.map((f) => ({ ...f, computed: String(t.khz) })),
    };
  }
  const fields = printed.map((f) => ({ ...f, computed: String(x.recordKhz) }));
  const alsoHost = host === null ? '' : `, or the host's tgt_tsc_khz ${host.min === host.max ? host.min : `${host.min}…${host.max}`} the record was written with`;
  return { line: t.line, status: statusOf(fields), basis: `pvclock_tsc_khz of vCPU 0's current record (a KVM guest's TSC calibration${alsoHost}) ${boot}`, fields };
}

/**
 * The skipped delay-loop calibration's lpj: a "preset value" is kvm-clock's preset,
 * ⌊pvclock_tsc_khz·1000/HZ⌋ from the record (or the lpj= boot parameter); a value
 * "calculated using timer frequency" is ⌊tsc_khz·1000/HZ⌋ with the TSC clocksource's kHz.
 */
function checkLpj(log: BootLog, x: BootCheckInputs): BootCheck | null {
  if (log.lpj === null || !x.hz) return null;
  const line = `Calibrating delay loop (skipped) ${log.lpjSource === 'timer' ? 'using timer frequency' : 'preset value'} … (lpj=${log.lpj})`;
  const param = log.commandLine === null ? null : /(?:^|\s)lpj=(\d+)(?:\s|$)/.exec(log.commandLine);
  let computed: number;
  let basis: string;
  if (log.lpjSource === 'preset' && param !== null) {
    computed = Number(param[1]);
    basis = 'the lpj= boot parameter';
  } else if (log.lpjSource === 'preset') {
    computed = Math.floor((x.recordKhz * 1000) / x.hz);
    basis = `kvm-clock's preset: ⌊pvclock_tsc_khz·1000/HZ⌋ with pvclock_tsc_khz ${x.recordKhz} of vCPU 0's current record, HZ ${x.hz}`;
  } else {
    const early = bootTscKhz(log).early;
    if (early === null) return null;
    computed = Math.floor((early * 1000) / x.hz);
    basis = `⌊tsc_khz·1000/HZ⌋ with tsc_khz ${early}, HZ ${x.hz}`;
  }
  const fields = [{ name: 'lpj', printed: String(log.lpj), computed: String(computed) }];
  return { line, status: statusOf(fields), basis, fields };
}

/**
 * Every comparable boot line, in the order: TSC frequency lines, preset lpj, clocksource
 * registrations; then the TSC clocksources that were never registered.
 */
export function checkBootLog(api: KvmclockApi, log: BootLog, x: BootCheckInputs): BootCheck[] {
  const out: BootCheck[] = [];
  for (const t of log.tsc) out.push(checkTscLine(t, x));
  const lpj = checkLpj(log, x);
  if (lpj !== null) out.push(lpj);
  for (const cs of log.clocksources) out.push(checkClocksource(api, cs, log, x.hz));
  out.push(...unregisteredTscClocksources(log));
  return out;
}
