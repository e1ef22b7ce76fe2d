/**
 * The running kernel's boot lines about time: the TSC frequency it detected (and refined),
 * each clocksource it registered with the mask, max_cycles and max_idle_ns it printed,
 * the preset loops-per-jiffy, the clocksource switches, every time the TSC was marked
 * unstable (and why), and what the kernel says about the hypervisor and kvm-clock.
 * Parsed from `dmesg` or /dev/kmsg text (pure).
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

/** The TSC (or one of its clocksources) marked unstable, in log order relative to the registrations. */
export interface TscUnstableMark {
  /** The reason the kernel gave ("boot parameter", "check_tsc_sync_source failed", "the skew is too large"…). */
  readonly reason: string;
  /** Marked because of the kernel command line (tsc=unstable), not by a check the kernel ran. */
  readonly byCommandLine: boolean;
  /** How many clocksource registration lines came before it. */
  readonly afterRegistrations: number;
  readonly line: string;
}

export interface BootLog {
  readonly tsc: readonly TscLine[];
  /** Every registration line, in log order (a clocksource may register more than once). */
  readonly clocksources: readonly ClocksourceLine[];
  /** lpj of "Calibrating delay loop (skipped) … (lpj=N)". */
  readonly lpj: number | null;
  /**
   * Where that lpj came from, by the message: "preset value" (set before calibration: on a
   * KVM guest kvm-clock presets it from its own kHz, or the lpj= parameter) or "value
   * calculated using timer frequency" (from the TSC clocksource's tsc_khz).
   */
  readonly lpjSource: 'preset' | 'timer' | null;
  /** The TSC was marked unstable at some point. */
  readonly tscUnstable: boolean;
  /** Whether the log still reaches back to boot (a "Linux version" line or a timestamp of 0). */
  readonly fromBoot: boolean;
  /** Every time the TSC or a TSC clocksource was marked unstable, in log order. */
  readonly tscUnstableMarks: readonly TscUnstableMark[];
  /** "clocksource: Switched to clocksource X", the names in log order (the last is the boot-time choice). */
  readonly clocksourceSwitches: readonly string[];
  /** The kernel command line ("Command line: …"), when logged. */
  readonly commandLine: string | null;
  /** What "Hypervisor detected: X" names (the kernel's CPUID-based guess), when logged. */
  readonly hypervisorDetected: string | null;
  /** The "kvm-clock: Using msrs …" line: the guest enabled kvm-clock through KVM's clock MSRs. */
  readonly kvmClockMsrs: string | null;
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
  let lpjSource: BootLog['lpjSource'] = null;
  const tscUnstableMarks: TscUnstableMark[] = [];
  const clocksourceSwitches: string[] = [];
  let commandLine: string | null = null;
  let hypervisorDetected: string | null = null;
  let kvmClockMsrs: string | null = null;
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
    m = /Calibrating delay loop \(skipped\)(.*)\(lpj=(\d+)\)/.exec(msg);
    if (m) {
      lpj = Number(m[2]);
      lpjSource = /preset value/.test(m[1]) ? 'preset' : /timer frequency/.test(m[1]) ? 'timer' : null;
      continue;
    }
    const mark = unstableMark(msg, clocksources.length);
    if (mark) {
      tscUnstableMarks.push(mark);
      continue;
    }
    m = /^clocksource: Switched to clocksource (\S+)/.exec(msg);
    if (m) {
      clocksourceSwitches.push(m[1]);
      continue;
    }
    m = /^Command line: (.*)$/.exec(msg);
    if (m && commandLine === null) {
      commandLine = m[1];
      continue;
    }
    m = /^Hypervisor detected: (.+)$/.exec(msg);
    if (m) {
      hypervisorDetected = m[1].trim();
      continue;
    }
    if (/^kvm-clock: Using msrs /.test(msg)) kvmClockMsrs = msg;
  }
  return { tsc, clocksources, lpj, lpjSource, tscUnstable: tscUnstableMarks.length > 0, fromBoot, tscUnstableMarks, clocksourceSwitches, commandLine, hypervisorDetected, kvmClockMsrs };
}

/** "tsc: Marking TSC unstable due to R" or "clocksource: Marking clocksource 'tsc' as unstable because R". */
function unstableMark(msg: string, afterRegistrations: number): TscUnstableMark | null {
  let m = /^tsc: Marking TSC unstable due to (.+?)\s*$/.exec(msg);
  if (m) return { reason: m[1], byCommandLine: m[1] === 'boot parameter', afterRegistrations, line: msg };
  m = /^clocksource: Marking clocksource '(tsc(?:-early)?)' as unstable(?: because (.+?))?:?\s*$/.exec(msg);
  if (m) return { reason: m[2] ?? `the clocksource watchdog rejected ${m[1]}`, byCommandLine: false, afterRegistrations, line: msg };
  return null;
}
