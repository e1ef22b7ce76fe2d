/**
 * What the probe reads from the running system besides the pvclock page: the kernel log
 * (for the boot lines), /proc/cpuinfo and the kernel's HZ. Each reader says why when it
 * cannot read.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { hzFromConfig } from './mono.js';

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
  const f = '/sys/devices/system/clocksource/clocksource0/current_clocksource';
  try {
    return { ok: true, value: readFileSync(f, 'utf8').trim(), source: f };
  } catch (e) {
    return { ok: false, reason: `${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}
