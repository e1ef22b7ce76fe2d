/**
 * Which tsc_khz the guest kernel registered its TSC clocksource (clock D) with. Sources,
 * most authoritative first: a value given on the command line; the boot log's refined
 * calibration; its "Detected … MHz TSC" line (printed when it differs from the CPU
 * frequency) or else its "Detected … MHz processor" line (then the two are equal); the
 * value a KVM guest derives from its pvclock record; /proc/cpuinfo's "cpu MHz" (the
 * kernel's cpu_khz unless a cpufreq driver reports something else).
 */
import type { BootLog } from './boot-log.js';

export type KhzSource = 'option' | 'dmesg-refined' | 'dmesg-tsc' | 'dmesg-processor' | 'pvclock' | 'cpuinfo';

export interface KhzCandidate {
  readonly source: KhzSource;
  readonly khz: number;
}

export const KHZ_SOURCE_TEXT: Readonly<Record<KhzSource, string>> = {
  option: '--tsc-khz',
  'dmesg-refined': 'boot log: refined TSC calibration',
  'dmesg-tsc': 'boot log: detected TSC',
  'dmesg-processor': 'boot log: detected processor (= TSC)',
  pvclock: 'pvclock_tsc_khz of the record',
  cpuinfo: '/proc/cpuinfo cpu MHz',
};

/** The first "cpu MHz : X.YYY" of /proc/cpuinfo as kHz (the kernel prints exactly three decimals). */
export function cpuinfoKhz(text: string): number | null {
  const m = /^cpu MHz\s*:\s*(\d+)\.(\d{3})\s*$/m.exec(text);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : null;
}

export interface KhzInputs {
  readonly option?: number;
  readonly boot?: BootLog | null;
  readonly cpuinfo?: string | null;
  /** pvclock_tsc_khz of the current record. */
  readonly recordKhz: number;
}

/** Every available candidate, most authoritative first. */
export function tscKhzCandidates(x: KhzInputs): KhzCandidate[] {
  const out: KhzCandidate[] = [];
  if (x.option !== undefined) out.push({ source: 'option', khz: x.option });
  const lines = x.boot?.tsc ?? [];
  const last = (k: string) => lines.filter((l) => l.kind === k).at(-1);
  const refined = last('refined');
  if (refined) out.push({ source: 'dmesg-refined', khz: refined.khz });
  const tsc = last('tsc');
  const processor = last('processor');
  if (tsc) out.push({ source: 'dmesg-tsc', khz: tsc.khz });
  else if (processor) out.push({ source: 'dmesg-processor', khz: processor.khz });
  out.push({ source: 'pvclock', khz: x.recordKhz });
  const c = x.cpuinfo ? cpuinfoKhz(x.cpuinfo) : null;
  if (c !== null) out.push({ source: 'cpuinfo', khz: c });
  return out;
}

/** The most authoritative candidate and whether all candidates agree on it. */
export function chooseTscKhz(candidates: readonly KhzCandidate[]): { readonly chosen: KhzCandidate; readonly allAgree: boolean } {
  if (candidates.length === 0) throw new RangeError('no tsc_khz candidate');
  const chosen = candidates[0];
  return { chosen, allAgree: candidates.every((c) => c.khz === chosen.khz) };
}
