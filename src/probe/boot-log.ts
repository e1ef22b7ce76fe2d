/**
 * The running kernel's boot lines about time: the TSC frequency it detected (and refined),
 * each clocksource it registered with the mask, max_cycles and max_idle_ns it printed,
 * and the preset loops-per-jiffy. Parsed from `dmesg` or /dev/kmsg text (pure).
 */

/** "Detected X MHz processor|TSC" and "Refined TSC clocksource calibration: X MHz", as kHz. */
export interface TscLine {
  readonly kind: 'processor' | 'tsc' | 'refined';
  readonly khz: number;
  readonly line: string;
}

export interface ClocksourceLine {
  readonly name: string;
  readonly mask: bigint;
  readonly maxCycles: bigint;
  readonly maxIdleNs: bigint;
  readonly line: string;
}

export interface BootLog {
  readonly tsc: readonly TscLine[];
  /** Every registration line, in log order (a clocksource may register more than once). */
  readonly clocksources: readonly ClocksourceLine[];
  /** lpj of "Calibrating delay loop (skipped) … (lpj=N)": tsc_khz·1000/HZ on a KVM guest. */
  readonly lpj: number | null;
  /** The TSC was marked unstable at some point. */
  readonly tscUnstable: boolean;
  /** Whether the log still reaches back to boot (a "Linux version" line or a timestamp of 0). */
  readonly fromBoot: boolean;
}

/** The message part of a dmesg line ("[    0.000059] tsc: …") or a /dev/kmsg record ("6,12,59,-;tsc: …"). */
export function messageOf(line: string): string {
  const kmsg = /^\d+,\d+,\d+,[^;]*;(.*)$/.exec(line);
  if (kmsg) return kmsg[1];
  const stamp = /^\s*\[\s*[0-9.]+\]\s?(.*)$/.exec(line);
  return stamp ? stamp[1] : line;
}

function khzOf(mhz: string, frac: string): number {
  return Number(mhz) * 1000 + Number(frac);
}

/** Parse the log text (one message per line). */
export function parseBootLog(text: string): BootLog {
  const tsc: TscLine[] = [];
  const clocksources: ClocksourceLine[] = [];
  let lpj: number | null = null;
  let tscUnstable = false;
  let fromBoot = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const msg = messageOf(line);
    if (/^Linux version /.test(msg) || /^\s*\[\s*0\.000000\]/.test(line) || /^\d+,\d+,0,/.test(line)) fromBoot = true;
    let m = /^tsc: Detected (\d+)\.(\d{3}) MHz (processor|TSC)\b/.exec(msg);
    if (m) {
      tsc.push({ kind: m[3] === 'TSC' ? 'tsc' : 'processor', khz: khzOf(m[1], m[2]), line: msg });
      continue;
    }
    m = /^tsc: Refined TSC clocksource calibration: (\d+)\.(\d{3}) MHz/.exec(msg);
    if (m) {
      tsc.push({ kind: 'refined', khz: khzOf(m[1], m[2]), line: msg });
      continue;
    }
    m = /^clocksource: (\S+): mask: 0x([0-9a-f]+) max_cycles: 0x([0-9a-f]+), max_idle_ns: (\d+) ns/.exec(msg);
    if (m) {
      clocksources.push({ name: m[1], mask: BigInt(`0x${m[2]}`), maxCycles: BigInt(`0x${m[3]}`), maxIdleNs: BigInt(m[4]), line: msg });
      continue;
    }
    m = /Calibrating delay loop \(skipped\).*\(lpj=(\d+)\)/.exec(msg);
    if (m) lpj = Number(m[1]);
    if (/^tsc: Marking TSC unstable/.test(msg) || /clocksource: Marking clocksource 'tsc' as unstable/.test(msg)) tscUnstable = true;
  }
  return { tsc, clocksources, lpj, tscUnstable, fromBoot };
}
