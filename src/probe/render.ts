/** Human-readable and JSON renderings of the probe's results (pure). */
import { groupDigits as g } from '../cli/table.js';
import { formatDecimal, type Ratio } from '../rational.js';
import type { Analysis } from './analysis.js';
import type { CheckStatus } from './boot-check.js';
import type { OffsetCheck } from './clock-offset.js';
import type { ClocksourceRegistration } from './clocksource.js';
import { evidenceText } from './kvm-evidence.js';
import type { PvclockRecord } from './record.js';
import { flagNames } from './record.js';
import type { RecordStep } from './step.js';
import type { MonoResult, RunResult } from './run.js';
import { KHZ_SOURCE_TEXT } from './tsc-khz.js';

export type { RunResult } from './run.js';

const signed = (s: string) => (s.startsWith('-') || /^0(\.0*)?$/.test(s) ? s : `+${s}`);
/** A ppb value with 4 decimals and a sign. */
export const ppb = (r: Ratio, digits = 4) => signed(formatDecimal(r, digits));
const nsToMs = (r: Ratio) => ({ num: r.num, den: r.den * 1_000_000n });
const signedInt = (v: bigint) => (v > 0n ? `+${g(v)}` : g(v));

/** A record's fields on one line. */
export function recordText(r: PvclockRecord): string {
  return `version ${r.version}, tsc_timestamp ${g(r.tscTimestamp)}, system_time ${g(r.systemTime)} ns, tsc_to_system_mul ${g(r.tscToSystemMul)}, tsc_shift ${r.tscShift}, flags ${r.flags} (${flagNames(r.flags)})`;
}

export interface Source {
  readonly hypervisor: string;
  readonly pageSource: string;
  readonly retries: number;
}

/** "2,596,121 kHz (the only value)", a range, or why there is none. */
function hostText(a: Analysis): string {
  if (a.hostKhz === null) return 'none: no integer kHz gives exactly this scale (a host computing in Hz, or a record not written by KVM)';
  if (a.hostKhz.min === a.hostKhz.max) return `${g(a.hostKhz.min)} kHz (the only value)`;
  return `${g(a.hostKhz.min)} … ${g(a.hostKhz.max)} kHz (${g(a.hostKhz.max - a.hostKhz.min + 1n)} values)`;
}

function regText(r: ClocksourceRegistration): string {
  return `mult ${g(r.mult)}, shift ${r.shift}, maxadj ${g(r.maxadj)}, maxsec ${r.maxsec}, max_cycles 0x${r.maxCycles.toString(16)}, max_idle_ns ${g(r.maxIdleNs)}`;
}

/** The record, the frequencies it implies, and the evidence for KVM's clock. */
function recordSection(src: Source, a: Analysis): string[] {
  const r = a.record;
  const p = a.prediction;
  const ev = evidenceText(a.kvm);
  return [
    `pvclock record of vCPU 0 (${src.pageSource === 'file' ? 'from a file' : '[vvar_vclock] page'}${src.retries ? `; ${src.retries} retries` : ''})`,
    `  ${recordText(r)}`,
    `  kvm-clock converts ${formatDecimal(p.kvmclockRate, 12)} ns per guest TSC cycle (mul·2^shift/2^32, exact ${p.kvmclockRate.num}/${p.kvmclockRate.den})`,
    `  guest TSC frequency derived from it (pvclock_tsc_khz)  ${g(a.guestKhz)} kHz`,
    `  host tgt_tsc_khz giving exactly this mul/shift          ${hostText(a)}`,
    `  KVM's clock: ${a.kvm.kvmClock ? 'yes' : 'NOT CONFIRMED'} — ${ev.signs}`,
    `  ${ev.info}`,
  ];
}

/** What CLOCK_MONOTONIC_RAW runs on, when it is not D, and what is (or cannot be) predicted against it. */
function rawSection(a: Analysis): string[] {
  const raw = a.rawClock;
  if (raw.kind === 'tsc') return [];
  const avail = a.availableClocksources === null ? '' : `; available: ${a.availableClocksources.join(', ') || 'none'}`;
  const out = [`CLOCK_MONOTONIC_RAW runs on ${raw.current.name ?? 'a clocksource that is not known'} (${raw.current.source}${avail})`];
  if (raw.kind === 'kvm-clock' && raw.registration && raw.nsPerCount && raw.kvmclockVsRawPpb) {
    out.push(`  kvm-clock registered at 1 GHz: ${regText(raw.registration)}`);
    out.push(
      raw.exactOffset
        ? `  mult/2^shift = exactly 1 ns per kvm-clock ns: RAW is the record's nanoseconds plus a constant`
        : `  mult/2^shift = ${formatDecimal(raw.nsPerCount, 12)} ns per kvm-clock ns`,
    );
    out.push(`  predicted drift of kvm-clock against RAW: ${ppb(raw.kvmclockVsRawPpb)} ppb${raw.kvmclockVsRawPpb.num === 0n ? ' (exactly)' : ''}`);
  } else if (raw.registration) {
    out.push(`  ${raw.current.name} registered: ${regText(raw.registration)}`);
  }
  for (const n of raw.notPredicted) out.push(`  not predicted: ${n.what} — ${n.why}`);
  return [...out, ''];
}

/** Clock D: running (what RAW runs on) or what it would be. */
function dSection(a: Analysis): string[] {
  const d = a.d.registration;
  const p = a.prediction;
  const running = a.dStatus.running === true;
  const others = a.tscKhz.candidates.slice(1).map((c) => `${KHZ_SOURCE_TEXT[c.source]} ${g(c.khz)}${c.khz === a.tscKhz.chosen.khz ? '' : ' (differs)'}`);
  const out = [
    running ? `clock D: the guest's TSC clocksource (${a.dStatus.text})` : `clock D: the guest's TSC clocksource — ${a.dStatus.text}`,
    `  tsc_khz ${g(a.tscKhz.chosen.khz)} from ${KHZ_SOURCE_TEXT[a.tscKhz.chosen.source]}${others.length ? `; ${others.join(', ')}` : ''}`,
    `  ${running ? 'registered' : 'would register'}: ${regText(d)}`,
    `  ${formatDecimal(a.d.rate, 12)} ns per cycle; against 10^6/tsc_khz ${ppb(a.d.errorPpb, 3)} ppb`,
    '',
  ];
  if (running) {
    out.push(`predicted drift of kvm-clock against D: ${ppb(p.ppb)} ppb = ${signed(formatDecimal(nsToMs(p.nsPerDay), 3))} ms/day`);
  } else {
    out.push(
      `hypothetical drift of D against kvm-clock: ${ppb(p.dVsKvmclockPpb)} ppb (kvm-clock against D ${ppb(p.ppb)} ppb = ${signed(formatDecimal(nsToMs(p.nsPerDay), 3))} ms/day) — not measured: ${a.dStatus.running === null ? 'whether D is running is not known' : 'D is not running'}`,
    );
  }
  out.push(`  (kvm-clock ${ppb(p.kvmclockVsNominalPpb, 3)} ppb and D ${ppb(p.dVsNominalPpb, 3)} ppb against a TSC at exactly ${g(a.tscKhz.chosen.khz)} kHz)`);
  return out;
}

/** The analysis: the record and what it implies, what RAW runs on, clock D (running or as it would be) and the predictions. */
export function renderAnalysis(src: Source, a: Analysis): string {
  return [...recordSection(src, a), '', ...rawSection(a), ...dSection(a)].join('\n');
}

const STATUS_MARK: Readonly<Record<CheckStatus, string>> = { match: 'match   ', mismatch: 'MISMATCH', 'not-modelled': 'skipped ', 'not-registered': 'absent  ' };

/** The boot lines against the project's computation, with the counts per status. */
export function renderBoot(a: Analysis): string {
  if ('unavailable' in a.boot) return `kernel boot lines: not compared — ${a.boot.unavailable}`;
  const b = a.boot;
  const counts: Record<CheckStatus, number> = { match: 0, mismatch: 0, 'not-modelled': 0, 'not-registered': 0 };
  for (const c of b.checks) counts[c.status]++;
  const notRegistered = counts['not-registered'] ? `, ${counts['not-registered']} not registered` : '';
  const out = [
    `kernel boot lines (${b.source}${b.fromBoot ? '' : '; the log no longer reaches back to boot'}): ${counts.match} match, ${counts.mismatch} mismatch, ${counts['not-modelled']} not modelled${notRegistered}`,
  ];
  if (b.checks.length === 0) out.push('  no TSC or clocksource lines found in the log');
  for (const c of b.checks) {
    out.push(`  ${STATUS_MARK[c.status]} ${c.line}`);
    if (c.status === 'not-modelled') {
      out.push(`           not modelled: ${c.basis}`);
    } else if (c.status === 'not-registered') {
      out.push(`           ${c.basis}`);
    } else {
      const diffs = c.fields.map((f) => (f.computed === f.printed ? `${f.name} ${f.computed}` : `${f.name} printed ${f.printed}, computed ${f.computed}`));
      out.push(`           computed: ${diffs.join(', ')} — ${c.basis}`);
    }
  }
  return out.join('\n');
}

const range = (lo: bigint, hi: bigint) => `${signedInt(lo)} … ${signedInt(hi)}`;

/** The exact "clock = record + constant" check of one clock over a run. */
function offsetLines(name: string, o: OffsetCheck): string[] {
  return [
    `  ${name} − kvm-clock (the record at the first … last TSC of each window): start ${range(o.start.atWindowStartNs, o.start.atWindowEndNs)} ns, end ${range(o.end.atWindowStartNs, o.end.atWindowEndNs)} ns`,
    o.consistent
      ? `  ${name} = kvm-clock + constant: holds — change ${signedInt(o.changeNs)} ns (the windows allow ${range(o.allowedNs.min, o.allowedNs.max)} ns); the constant is ${range(o.constantNs!.min, o.constantNs!.max)} ns`
      : `  ${name} = kvm-clock + constant: DOES NOT HOLD — change ${signedInt(o.changeNs)} ns, outside the ${range(o.allowedNs.min, o.allowedNs.max)} ns the windows allow`,
  ];
}

function monoLine(m: MonoResult): string {
  const p = m.predicted;
  const name = m.against === 'RAW' ? 'RAW (the TSC as common ruler)' : m.against;
  const unit = m.against === 'kvm-clock' ? 'kvm-clock ns' : 'cycles';
  return 'reason' in p
    ? `  CLOCK_MONOTONIC against ${name}: measured ${ppb(m.measuredPpb, 3)} ppb (not predicted: ${p.reason})`
    : `  CLOCK_MONOTONIC against ${name}: measured ${ppb(m.measuredPpb, 3)} ppb, predicted ${ppb(p.vsRawPpb, 3)} ppb (NTP tick length ${formatDecimal({ num: p.tickLength, den: 1n << 32n }, 3)} ns per ${g(p.cycleInterval)} ${unit}, HZ ${p.hz}), residual ${ppb(m.residualPpb!, 3)} ppb`;
}

/** One measurement run: the exact offset check (kvm-clock guests), the drift against RAW, CLOCK_MONOTONIC. */
export function renderRun(x: RunResult): string {
  const m = x.measurement;
  const secs = formatDecimal({ num: m.rawElapsedNs, den: 1_000_000_000n }, 3);
  const out = [`measurement ${x.run}: ${secs} s of CLOCK_MONOTONIC_RAW (narrowest TSC windows ${x.windows[0]} and ${x.windows[1]} cycles)`];
  if (x.rawOffset) out.push(...offsetLines('RAW', x.rawOffset));
  const unitNote = m.multUnitNs === null ? '' : ` (one unit of mult: ${g(m.multUnitNs)} ns)`;
  const rawVs = m.rawResidualNs === null ? '' : `, ${signed(formatDecimal(m.rawResidualNs, 1))} ns against ${m.counter === 'kvm-clock' ? 'kvm-clock·mult/2^shift' : 'mult/2^shift'}${unitNote}`;
  out.push(`  guest TSC elapsed ${g(m.tscElapsed)} cycles; ${m.counter === 'tsc' ? 'D (RAW)' : 'RAW'} ${g(m.rawElapsedNs)} ns${rawVs}`);
  out.push(`  kvm-clock elapsed ${g(m.kvmclockElapsedNs)} ns (the record evaluated at the same TSCs)`);
  if (m.recordUpdate) {
    const u = m.recordUpdate;
    out.push(`  the host wrote a new record meanwhile (version ${u.versions[0]} → ${u.versions[1]}): its step of ${signedInt(u.stepNs)} ns is ${u.stepIncluded ? 'included (RAW runs on kvm-clock and took it too)' : 'excluded'}`);
  }
  out.push(
    m.predictedPpb === null || m.residualPpb === null
      ? `  drift of kvm-clock against RAW: measured ${ppb(m.measuredPpb)} ppb (not predicted: see above; measurement bound ±${formatDecimal(m.boundPpb, 3)} ppb)`
      : `  drift: measured ${ppb(m.measuredPpb)} ppb, predicted ${ppb(m.predictedPpb)} ppb, residual ${ppb(m.residualPpb)} ppb (measurement bound ±${formatDecimal(m.boundPpb, 3)} ppb)`,
  );
  out.push(monoLine(x.mono));
  if (x.mono.offset) out.push(...offsetLines('CLOCK_MONOTONIC', x.mono.offset));
  return out.join('\n');
}

/** The residuals of several runs (and on kvm-clock guests the offset changes), one line each. */
export function renderRunsSummary(runs: readonly RunResult[]): string {
  const res = runs.map((r) => (r.measurement.residualPpb === null ? `${ppb(r.measurement.measuredPpb, 3)} measured` : ppb(r.measurement.residualPpb, 3)));
  const out = [`residuals over ${runs.length} runs (ppb): ${res.join(', ')}`];
  if (runs.every((r) => r.rawOffset)) out.push(`RAW − kvm-clock changes over ${runs.length} runs (ns): ${runs.map((r) => `${signedInt(r.rawOffset!.changeNs)}${r.rawOffset!.consistent ? '' : ' (does not hold)'}`).join(', ')}`);
  return out.join('\n');
}

/** CLOCK_REALTIME ns as an ISO-8601 UTC time with nanoseconds. */
export function isoNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

export interface WatchEvent {
  readonly realtimeNs: bigint;
  readonly prev: PvclockRecord;
  readonly next: PvclockRecord;
  readonly step: RecordStep;
  readonly retries: number;
}

export function renderUpdate(e: WatchEvent): string {
  const s = e.step;
  const head = `${isoNs(e.realtimeNs)}  version ${e.prev.version} → ${e.next.version}${s.writes === 1 ? '' : ` (${s.writes} writes)`}${e.retries ? `, seen after ${e.retries} retries` : ''}`;
  if (s.rewriteOnly) return `${head}: the host rewrote the same record (no step)`;
  const dir = s.stepNs > 0n ? 'forward' : s.stepNs < 0n ? 'BACKWARDS' : 'no step';
  return [
    `${head}: new record`,
    `  old  ${recordText(e.prev)}`,
    `  new  ${recordText(e.next)}`,
    `  step of kvm-clock at TSC ${g(s.tsc)} (when seen): ${signedInt(s.stepNs)} ns (${dir}); at the new reference TSC ${g(s.atReference.tsc)}: ${signedInt(s.atReference.stepNs)} ns`,
    ...(s.rateChangePpb ? [`  the rate changed by ${ppb(s.rateChangePpb)} ppb`] : []),
  ].join('\n');
}

/** JSON replacer: bigints as decimal strings, exact ratios as {num, den, decimal}. */
export function probeJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        const keys = Object.keys(o);
        if (keys.length === 2 && typeof o.num === 'bigint' && typeof o.den === 'bigint') return { num: o.num.toString(), den: o.den.toString(), decimal: formatDecimal(o as unknown as Ratio, 6) };
      }
      return v;
    },
    indent,
  );
}
