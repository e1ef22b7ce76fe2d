/**
 * The line protocol of the native reader (native/probe/kvmclock-probe.c), parsed and
 * checked. Pure: the tests feed it recorded and synthetic output.
 */
import { ProbeError, type ProbeErrorCode } from '../errors.js';
import type { PvclockRecord } from '../model/pvclock-record.js';
import { NSEC_PER_SEC, U32_MAX, U64_MAX } from '../units.js';

export type ClockName = 'raw' | 'mono' | 'real';
export const CLOCK_NAMES: readonly ClockName[] = ['raw', 'mono', 'real'];

/** A kernel clock read between two TSC reads: it read the TSC somewhere in [tscBefore, tscAfter]. */
export interface PairReading {
  readonly clock: ClockName;
  readonly tscBefore: bigint;
  readonly tscAfter: bigint;
  /** The clock's value in ns (sec·10^9 + nsec). */
  readonly ns: bigint;
  /** How many tries the narrowest window was chosen from. */
  readonly tries: number;
}

export interface RecordRead {
  readonly record: PvclockRecord;
  /** Failed attempts (odd or changing version) before this consistent read. */
  readonly retries: number;
}

/** adjtimex(2) with no modes: the kernel's NTP state. freq is ppm·2^16; tick is µs per USER_HZ tick. */
export interface NtpState {
  readonly state: number;
  readonly status: number;
  readonly freq: bigint;
  readonly tick: bigint;
  readonly offset: bigint;
}

/** A new record seen by --watch. */
export interface RecordUpdate {
  /** The TSC right after the new record was read. */
  readonly tsc: bigint;
  /** CLOCK_REALTIME at that moment (ns since the epoch). */
  readonly realtimeNs: bigint;
  readonly retries: number;
  readonly record: PvclockRecord;
}

/** --watch: an update still in progress after a whole read budget (reported, then watched on). */
export interface BusyRead {
  readonly tsc: bigint;
  readonly realtimeNs: bigint;
  readonly retries: number;
}

export type NativeLine =
  | { readonly kind: 'platform'; readonly hypervisor: string }
  | { readonly kind: 'page'; readonly address: bigint; readonly source: string }
  | { readonly kind: 'record'; readonly read: RecordRead }
  | { readonly kind: 'pair'; readonly pair: PairReading }
  | { readonly kind: 'ntp'; readonly ntp: NtpState }
  | { readonly kind: 'update'; readonly update: RecordUpdate }
  | { readonly kind: 'busy'; readonly busy: BusyRead }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

const UINT = /^[0-9]+$/;
const INT = /^-?[0-9]+$/;

function bad(line: string, why: string): ProbeError {
  return new ProbeError('native', `unexpected output from the native reader (${why}): ${JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line)}`);
}

function u(line: string, s: string | undefined, max: bigint, what: string): bigint {
  if (s === undefined || !UINT.test(s)) throw bad(line, `${what} is not an unsigned integer`);
  const v = BigInt(s);
  if (v > max) throw bad(line, `${what} out of range`);
  return v;
}

function i(line: string, s: string | undefined, min: bigint, max: bigint, what: string): bigint {
  if (s === undefined || !INT.test(s)) throw bad(line, `${what} is not an integer`);
  const v = BigInt(s);
  if (v < min || v > max) throw bad(line, `${what} out of range`);
  return v;
}

function recordOf(line: string, f: readonly string[]): PvclockRecord {
  return {
    version: Number(u(line, f[0], BigInt(U32_MAX), 'version')),
    tscTimestamp: u(line, f[1], U64_MAX, 'tsc_timestamp'),
    systemTime: u(line, f[2], U64_MAX, 'system_time'),
    tscToSystemMul: Number(u(line, f[3], BigInt(U32_MAX), 'tsc_to_system_mul')),
    tscShift: Number(i(line, f[4], -128n, 127n, 'tsc_shift')),
    flags: Number(u(line, f[5], 255n, 'flags')),
  };
}

function timespecNs(line: string, sec: string | undefined, nsec: string | undefined): bigint {
  const s = i(line, sec, -(1n << 62n), 1n << 62n, 'tv_sec');
  const n = u(line, nsec, NSEC_PER_SEC - 1n, 'tv_nsec');
  return s * NSEC_PER_SEC + n;
}

function arity(line: string, f: readonly string[], n: number): void {
  if (f.length !== n) throw bad(line, `${n} fields expected, got ${f.length}`);
}

/** One output line. */
export function parseNativeLine(line: string): NativeLine {
  const [tag, ...f] = line.trim().split(/\s+/);
  switch (tag) {
    case 'platform':
      arity(line, f, 1);
      return { kind: 'platform', hypervisor: f[0] };
    case 'page':
      arity(line, f, 2);
      if (!/^[0-9a-f]+$/.test(f[0])) throw bad(line, 'address is not hex');
      return { kind: 'page', address: BigInt(`0x${f[0]}`), source: f[1] };
    case 'record':
      arity(line, f, 7);
      return { kind: 'record', read: { record: recordOf(line, f), retries: Number(u(line, f[6], BigInt(U32_MAX), 'retries')) } };
    case 'pair': {
      arity(line, f, 6);
      const clock = f[0] as ClockName;
      if (!CLOCK_NAMES.includes(clock)) throw bad(line, `unknown clock ${f[0]}`);
      const tscBefore = u(line, f[1], U64_MAX, 'tsc_before');
      const tscAfter = u(line, f[2], U64_MAX, 'tsc_after');
      if (tscAfter < tscBefore) throw bad(line, 'the TSC went backwards inside the window');
      return { kind: 'pair', pair: { clock, tscBefore, tscAfter, ns: timespecNs(line, f[3], f[4]), tries: Number(u(line, f[5], BigInt(U32_MAX), 'tries')) } };
    }
    case 'ntp':
      arity(line, f, 5);
      return {
        kind: 'ntp',
        ntp: {
          state: Number(i(line, f[0], -1n, 1000n, 'state')),
          status: Number(i(line, f[1], -(1n << 31n), 1n << 31n, 'status')),
          freq: i(line, f[2], -(1n << 63n), 1n << 63n, 'freq'),
          tick: i(line, f[3], -(1n << 63n), 1n << 63n, 'tick'),
          offset: i(line, f[4], -(1n << 63n), 1n << 63n, 'offset'),
        },
      };
    case 'update':
      arity(line, f, 10);
      return {
        kind: 'update',
        update: { tsc: u(line, f[0], U64_MAX, 'tsc'), realtimeNs: timespecNs(line, f[1], f[2]), retries: Number(u(line, f[3], BigInt(U32_MAX), 'retries')), record: recordOf(line, f.slice(4)) },
      };
    case 'busy':
      arity(line, f, 4);
      return { kind: 'busy', busy: { tsc: u(line, f[0], U64_MAX, 'tsc'), realtimeNs: timespecNs(line, f[1], f[2]), retries: Number(u(line, f[3], BigInt(U32_MAX), 'retries')) } };
    case 'error': {
      const m = /^\s*error\s+(\S+)\s*(.*)$/.exec(line);
      return { kind: 'error', code: m?.[1] ?? 'unknown', message: m?.[2] ?? '' };
    }
    default:
      throw bad(line, `unknown tag ${JSON.stringify(tag ?? '')}`);
  }
}

/** The native reader's error codes, as ProbeError codes. */
const ERROR_CODES: Readonly<Record<string, ProbeErrorCode>> = { platform: 'platform', nopvclock: 'nopvclock', odd: 'odd', changing: 'changing' };

/** The typed error for an `error` line of the native reader. */
export function probeErrorOf(code: string, message: string): ProbeError {
  const c = ERROR_CODES[code] ?? 'native';
  return new ProbeError(c, c === 'native' ? `native reader failed (${code}): ${message}` : message);
}

/** All lines of a finished run; an `error` line becomes its ProbeError. */
export function parseNativeOutput(text: string): NativeLine[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '').map(parseNativeLine);
  const err = lines.find((l) => l.kind === 'error');
  if (err !== undefined && err.kind === 'error') throw probeErrorOf(err.code, err.message);
  return lines;
}

/** What `kvmclock-probe record` printed. */
export interface NativeRecord {
  readonly hypervisor: string;
  readonly pageSource: string;
  readonly read: RecordRead;
}

function header(lines: readonly NativeLine[], text: string): { hypervisor: string; pageSource: string } {
  const platform = lines.find((l) => l.kind === 'platform');
  const page = lines.find((l) => l.kind === 'page');
  if (platform?.kind !== 'platform' || page?.kind !== 'page') throw bad(text, 'platform or page line missing');
  return { hypervisor: platform.hypervisor, pageSource: page.source };
}

export function parseRecordRun(text: string): NativeRecord {
  const lines = parseNativeOutput(text);
  const records = lines.filter((l) => l.kind === 'record');
  if (records.length !== 1 || records[0].kind !== 'record') throw bad(text, 'one record line expected');
  return { ...header(lines, text), read: records[0].read };
}

/** What `kvmclock-probe sample N` printed: the record before and after the paired readings. */
export interface NativeSample {
  readonly hypervisor: string;
  readonly pageSource: string;
  readonly before: RecordRead;
  readonly after: RecordRead;
  readonly pairs: Readonly<Record<ClockName, PairReading>>;
  readonly ntp: NtpState;
}

export function parseSampleRun(text: string): NativeSample {
  const lines = parseNativeOutput(text);
  const records = lines.flatMap((l) => (l.kind === 'record' ? [l.read] : []));
  const pairs = lines.flatMap((l) => (l.kind === 'pair' ? [l.pair] : []));
  const ntp = lines.find((l) => l.kind === 'ntp');
  if (records.length !== 2) throw bad(text, 'two record lines expected');
  if (ntp?.kind !== 'ntp') throw bad(text, 'ntp line missing');
  const byClock = {} as Record<ClockName, PairReading>;
  for (const c of CLOCK_NAMES) {
    const p = pairs.filter((x) => x.clock === c);
    if (p.length !== 1) throw bad(text, `one ${c} pair expected`);
    byClock[c] = p[0];
  }
  return { ...header(lines, text), before: records[0], after: records[1], pairs: byClock, ntp: ntp.ntp };
}
