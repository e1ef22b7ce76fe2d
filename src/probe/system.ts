/**
 * What the probe reads from the running system besides the pvclock page: the kernel log
 * (for the boot lines), /proc/cpuinfo, the kernel's HZ, and the current and available
 * clocksources. Each reader says why when it cannot read.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import type { SystemFacts } from './analysis.js';
import { parseBootLog } from './boot-log.js';
import { hzFromConfig } from './mono.js';
import { CURRENT_CLOCKSOURCE_FILE } from './raw-clock.js';

export type Readable<T> = { readonly ok: true; readonly value: T; readonly source: string } | { readonly ok: false; readonly reason: string };

/** The kernel log as text: /dev/kmsg (non-blocking, to the current end), else the dmesg tool. */
export function readKernelLog(): Readable<string> {
  const reasons: string[] = [];
  try {
    const fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
    const lines: string[] = [];
    const buf = Buffer.alloc(16384);
    try {
      for (let i = 0; i < 1_000_000; i++) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN' || code === 'EWOULDBLOCK') break;
          if (code === 'EPIPE') continue; // a record was overwritten while we read: skip it
          throw e;
        }
        if (n === 0) break;
        // One record per read: "prefix;message\n" then optional " KEY=value" continuation lines.
        lines.push(buf.toString('utf8', 0, n).split('\n')[0]);
      }
    } finally {
      closeSync(fd);
    }
    if (lines.length > 0) return { ok: true, value: lines.join('\n'), source: '/dev/kmsg' };
    reasons.push('/dev/kmsg: empty');
  } catch (e) {
    reasons.push(`/dev/kmsg: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const r = spawnSync('dmesg', [], { encoding: 'utf8', timeout: 10_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status === 0 && r.stdout) return { ok: true, value: r.stdout, source: 'dmesg' };
  reasons.push(`dmesg: ${r.error ? ((r.error as NodeJS.ErrnoException).code ?? r.error.message) : (r.stderr || `exit ${r.status}`).trim()}`);
  let restrict = '';
  try {
    restrict = readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() === '1' ? ' (kernel.dmesg_restrict is 1: reading needs CAP_SYSLOG)' : '';
  } catch {
    // not Linux, or no procfs
  }
  return { ok: false, reason: `the kernel log is not readable${restrict}: ${reasons.join('; ')}` };
}

export function readCpuinfo(): Readable<string> {
  try {
    return { ok: true, value: readFileSync('/proc/cpuinfo', 'utf8'), source: '/proc/cpuinfo' };
  } catch (e) {
    return { ok: false, reason: `/proc/cpuinfo: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

/** CONFIG_HZ from /proc/config.gz or /boot/config-<release>. */
export function readKernelHz(): Readable<number> {
  const tries: [string, () => string][] = [
    ['/proc/config.gz', () => gunzipSync(readFileSync('/proc/config.gz')).toString('utf8')],
    [`/boot/config-${release()}`, () => readFileSync(`/boot/config-${release()}`, 'utf8')],
  ];
  const reasons: string[] = [];
  for (const [source, read] of tries) {
    try {
      const hz = hzFromConfig(read());
      if (hz !== null) return { ok: true, value: hz, source };
      reasons.push(`${source}: no CONFIG_HZ`);
    } catch (e) {
      reasons.push(`${source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return { ok: false, reason: reasons.join('; ') };
}

/** The timekeeper's current clocksource (what CLOCK_MONOTONIC_RAW runs on). */
export function readCurrentClocksource(): Readable<string> {
  const f = CURRENT_CLOCKSOURCE_FILE;
  try {
    return { ok: true, value: readFileSync(f, 'utf8').trim(), source: f };
  } catch (e) {
    return { ok: false, reason: `${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

/** The sysfs file listing the clocksources the timekeeper may switch to. */
export const AVAILABLE_CLOCKSOURCES_FILE = '/sys/devices/system/clocksource/clocksource0/available_clocksource';

/** The names in an available_clocksource file (space separated). */
export function clocksourceList(text: string): string[] {
  return text.split(/\s+/).filter((n) => n !== '');
}

/** The clocksources the timekeeper may switch to. */
export function readAvailableClocksources(): Readable<string[]> {
  const f = AVAILABLE_CLOCKSOURCES_FILE;
  try {
    return { ok: true, value: clocksourceList(readFileSync(f, 'utf8')), source: f };
  } catch (e) {
    return { ok: false, reason: `${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

/** Everything the analysis takes from the running system besides the record. */
export function readSystemFacts(): SystemFacts {
  const log = readKernelLog();
  const cpuinfo = readCpuinfo();
  const hz = readKernelHz();
  const cs = readCurrentClocksource();
  const available = readAvailableClocksources();
  return {
    bootLog: log.ok ? { log: parseBootLog(log.value), source: log.source } : { unavailable: log.reason },
    cpuinfo: cpuinfo.ok ? cpuinfo.value : null,
    hz: hz.ok ? hz.value : null,
    currentClocksource: cs.ok ? cs.value : null,
    currentClocksourceSource: cs.ok ? cs.source : cs.reason,
    availableClocksources: available.ok ? available.value : null,
  };
}
