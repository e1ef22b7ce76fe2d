/**
 * Boot lines against the project's arithmetic: for each line the running kernel printed
 * about the TSC frequency and each clocksource registration, what the project computes for
 * the same registration, field by field.
 */
import type { KvmclockApi } from '../api.js';
import type { BootLog, ClocksourceLine } from './boot-log.js';
import { ACPI_PM_HZ, type ClocksourceRegistration, jiffiesRegistration, MASK_24, MASK_64, registerClocksource } from './clocksource.js';

export type CheckStatus = 'match' | 'mismatch' | 'not-modelled';

export interface CheckField {
  readonly name: string;
  readonly printed: string;
  readonly computed: string | null;
}

export interface BootCheck {
  /** The kernel's message. */
  readonly line: string;
  readonly status: CheckStatus;
  /** What the computed values assume (or why the line is not modelled). */
  readonly basis: string;
  readonly fields: readonly CheckField[];
}

export interface BootCheckInputs {
  /** pvclock_tsc_khz of the record: what a KVM guest's TSC calibration returns. */
  readonly recordKhz: number;
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
      return { freq: 1_000_000_000, scale: 1, mask: MASK_64, basis: '1 GHz (kvm-clock counts ns), scale 1, 64-bit mask' };
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

/** Every comparable boot line, in the order: TSC frequency lines, preset lpj, clocksource registrations. */
export function checkBootLog(api: KvmclockApi, log: BootLog, x: BootCheckInputs): BootCheck[] {
  const out: BootCheck[] = [];
  for (const t of log.tsc) {
    const printed = [{ name: 'kHz', printed: String(t.khz) }];
    if (t.kind === 'refined') {
      out.push({ line: t.line, status: 'not-modelled', basis: 'a hardware calibration against another timer', fields: printed.map((f) => ({ ...f, computed: null })) });
      continue;
    }
    const fields = printed.map((f) => ({ ...f, computed: String(x.recordKhz) }));
    out.push({ line: t.line, status: statusOf(fields), basis: "pvclock_tsc_khz of vCPU 0's current record (a KVM guest's TSC calibration; the boot-time record may have had another scale)", fields });
  }
  const early = bootTscKhz(log).early;
  if (log.lpj !== null && early !== null && x.hz) {
    const fields = [{ name: 'lpj', printed: String(log.lpj), computed: String(Math.floor((early * 1000) / x.hz)) }];
    out.push({ line: `Calibrating delay loop (skipped) … (lpj=${log.lpj})`, status: statusOf(fields), basis: `⌊tsc_khz·1000/HZ⌋ with tsc_khz ${early}, HZ ${x.hz}`, fields });
  }
  for (const cs of log.clocksources) out.push(checkClocksource(api, cs, log, x.hz));
  return out;
}
