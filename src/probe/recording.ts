/**
 * A recording of a guest made with the recipe of test/fixtures/probe/README.md: what the
 * native reader printed (two samples some seconds apart), the boot lines, /proc/cpuinfo,
 * CONFIG_HZ and, when recorded, the current and available clocksources. Read back, it
 * gives the probe the same inputs as a live run, so the same analysis and measurement can
 * be replayed where no such guest is at hand (`kvmclock probe --replay DIR`, the tests).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SystemFacts } from './analysis.js';
import { parseBootLog } from './boot-log.js';
import { sampleRecord } from './measure.js';
import { hzFromConfig } from './mono.js';
import { type NativeSample, parseSampleRun } from './native-output.js';
import { clocksourceList, type Readable } from './system.js';

/** The files of a recording; only the two samples are required. */
export const RECORDING_FILES = {
  start: 'sample-start.txt',
  end: 'sample-end.txt',
  dmesg: 'dmesg.txt',
  cpuinfo: 'cpuinfo.txt',
  configHz: 'config-hz.txt',
  current: 'current_clocksource.txt',
  available: 'available_clocksource.txt',
} as const;

/** A recording read back: the two samples and the system facts. */
export interface Recording {
  readonly dir: string;
  readonly start: NativeSample;
  readonly end: NativeSample;
  readonly facts: SystemFacts;
}

function optional(dir: string, file: string): string | null {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Read a recording. Missing optional files leave their facts unknown (said so where they
 * would be used); a missing or unreadable sample, or a sample taken while the host was
 * writing the record, makes the recording unusable (with the reason). Output the native
 * reader would not print is its ProbeError `native`.
 */
export function readRecording(dir: string): Readable<Recording> {
  const samples: NativeSample[] = [];
  for (const f of [RECORDING_FILES.start, RECORDING_FILES.end]) {
    let text: string;
    try {
      text = readFileSync(join(dir, f), 'utf8');
    } catch (e) {
      return { ok: false, reason: `${join(dir, f)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    const s = parseSampleRun(text);
    if (sampleRecord(s) === null) return { ok: false, reason: `${join(dir, f)}: the record changed while this sample was taken` };
    samples.push(s);
  }
  let dmesg: string | null;
  let cpuinfo: string | null;
  let configHz: string | null;
  let current: string | null;
  let available: string | null;
  try {
    dmesg = optional(dir, RECORDING_FILES.dmesg);
    cpuinfo = optional(dir, RECORDING_FILES.cpuinfo);
    configHz = optional(dir, RECORDING_FILES.configHz);
    current = optional(dir, RECORDING_FILES.current);
    available = optional(dir, RECORDING_FILES.available);
  } catch (e) {
    return { ok: false, reason: `${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  const currentName = current?.trim() || null;
  const facts: SystemFacts = {
    bootLog: dmesg === null ? { unavailable: `the recording has no ${RECORDING_FILES.dmesg}` } : { log: parseBootLog(dmesg), source: `recorded ${RECORDING_FILES.dmesg}` },
    cpuinfo,
    hz: configHz === null ? null : hzFromConfig(configHz),
    currentClocksource: currentName,
    currentClocksourceSource: currentName === null ? `the recording has no ${RECORDING_FILES.current}` : `recorded ${RECORDING_FILES.current}`,
    availableClocksources: available === null ? null : clocksourceList(available),
  };
  return { ok: true, value: { dir, start: samples[0], end: samples[1], facts }, source: dir };
}
