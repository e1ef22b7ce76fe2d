/** Human-readable and JSON renderings of the probe's results (pure). */
import { groupDigits as g } from '../cli/table.js';
import { formatDecimal, type Ratio } from '../rational.js';
import type { Analysis } from './analysis.js';
import type { DriftMeasurement } from './measure.js';
import type { MonoPrediction } from './mono.js';
import type { PvclockRecord } from './record.js';
import { flagNames } from './record.js';
import type { RecordStep } from './step.js';
import { KHZ_SOURCE_TEXT } from './tsc-khz.js';

const signed = (s: string) => (s.startsWith('-') || /^0(\.0*)?$/.test(s) ? s : `+${s}`);
/** A ppb value with 4 decimals and a sign. */
export const ppb = (r: Ratio, digits = 4) => signed(formatDecimal(r, digits));
const nsToMs = (r: Ratio) => ({ num: r.num, den: r.den * 1_000_000n });
const signedInt = (v: bigint) => (v > 0n ? `+${g(v)}` : g(v));

export function recordText(r: PvclockRecord): string {
  return `version ${r.version}, tsc_timestamp ${g(r.tscTimestamp)}, system_time ${g(r.systemTime)} ns, tsc_to_system_mul ${g(r.tscToSystemMul)}, tsc_shift ${r.tscShift}, flags ${r.flags} (${flagNames(r.flags)})`;
}

export interface Source {
  readonly hypervisor: string;
  readonly pageSource: string;
  readonly retries: number;
}

export function renderAnalysis(src: Source, a: Analysis): string {
  const r = a.record;
  const d = a.d.registration;
  const p = a.prediction;
  const host =
    a.hostKhz === null
      ? 'none: no integer kHz gives exactly this scale (a host computing in Hz, or a record not written by KVM)'
      : a.hostKhz.min === a.hostKhz.max
        ? `${g(a.hostKhz.min)} kHz (the only value)`
        : `${g(a.hostKhz.min)} … ${g(a.hostKhz.max)} kHz (${g(a.hostKhz.max - a.hostKhz.min + 1n)} values)`;
  const others = a.tscKhz.candidates.slice(1).map((c) => `${KHZ_SOURCE_TEXT[c.source]} ${g(c.khz)}${c.khz === a.tscKhz.chosen.khz ? '' : ' (differs)'}`);
  const out = [
    `pvclock record of vCPU 0 (${src.pageSource === 'file' ? 'from a file' : '[vvar_vclock] page'}; hypervisor ${src.hypervisor}${src.retries ? `; ${src.retries} retries` : ''})`,
    `  ${recordText(r)}`,
    `  kvm-clock converts ${formatDecimal(p.kvmclockRate, 12)} ns per guest TSC cycle (mul·2^shift/2^32, exact ${p.kvmclockRate.num}/${p.kvmclockRate.den})`,
    `  guest TSC frequency derived from it (pvclock_tsc_khz)  ${g(a.guestKhz)} kHz`,
    `  host tgt_tsc_khz giving exactly this mul/shift          ${host}`,
    '',
    a.currentClocksource === null || a.currentClocksource === 'tsc'
      ? `clock D: the guest's TSC clocksource (what CLOCK_MONOTONIC_RAW runs on${a.currentClocksource === 'tsc' ? ': the current clocksource is tsc' : ''})`
      : `clock D: the guest's TSC clocksource — NOTE: the current clocksource is ${a.currentClocksource}, so CLOCK_MONOTONIC_RAW does not run on D and the measurement below compares kvm-clock with ${a.currentClocksource}'s raw clock, not with D`,
    `  tsc_khz ${g(a.tscKhz.chosen.khz)} from ${KHZ_SOURCE_TEXT[a.tscKhz.chosen.source]}${others.length ? `; ${others.join(', ')}` : ''}`,
    `  registered: mult ${g(d.mult)}, shift ${d.shift}, maxadj ${g(d.maxadj)}, maxsec ${d.maxsec}, max_cycles 0x${d.maxCycles.toString(16)}, max_idle_ns ${g(d.maxIdleNs)}`,
    `  ${formatDecimal(a.d.rate, 12)} ns per cycle; against 10^6/tsc_khz ${ppb(a.d.errorPpb, 3)} ppb`,
    '',
    `predicted drift of kvm-clock against D: ${ppb(p.ppb)} ppb = ${signed(formatDecimal(nsToMs(p.nsPerDay), 3))} ms/day`,
    `  (kvm-clock ${ppb(p.kvmclockVsNominalPpb, 3)} ppb and D ${ppb(p.dVsNominalPpb, 3)} ppb against a TSC at exactly ${g(a.tscKhz.chosen.khz)} kHz)`,
  ];
  return out.join('\n');
}

export function renderBoot(a: Analysis): string {
  if ('unavailable' in a.boot) return `kernel boot lines: not compared — ${a.boot.unavailable}`;
  const b = a.boot;
  const counts = { match: 0, mismatch: 0, 'not-modelled': 0 };
  for (const c of b.checks) counts[c.status]++;
  const out = [
    `kernel boot lines (${b.source}${b.fromBoot ? '' : '; the log no longer reaches back to boot'}): ${counts.match} match, ${counts.mismatch} mismatch, ${counts['not-modelled']} not modelled`,
  ];
  if (b.checks.length === 0) out.push('  no TSC or clocksource lines found in the log');
  for (const c of b.checks) {
    const mark = c.status === 'match' ? 'match   ' : c.status === 'mismatch' ? 'MISMATCH' : 'skipped ';
    out.push(`  ${mark} ${c.line}`);
    if (c.status === 'not-modelled') {
      out.push(`           not modelled: ${c.basis}`);
    } else {
      const diffs = c.fields.map((f) => (f.computed === f.printed ? `${f.name} ${f.computed}` : `${f.name} printed ${f.printed}, computed ${f.computed}`));
      out.push(`           computed: ${diffs.join(', ')} — ${c.basis}`);
    }
  }
  return out.join('\n');
}

export interface RunResult {
  readonly run: number;
  readonly measurement: DriftMeasurement;
  readonly windows: readonly [bigint, bigint];
  readonly mono: { readonly measuredPpb: Ratio; readonly predicted: MonoPrediction | { readonly reason: string }; readonly residualPpb: Ratio | null };
}

export function renderRun(x: RunResult): string {
  const m = x.measurement;
  const secs = formatDecimal({ num: m.rawElapsedNs, den: 1_000_000_000n }, 3);
  const out = [
    `measurement ${x.run}: ${secs} s of CLOCK_MONOTONIC_RAW (narrowest TSC windows ${x.windows[0]} and ${x.windows[1]} cycles)`,
    `  guest TSC elapsed ${g(m.tscElapsed)} cycles; D (RAW) ${g(m.rawElapsedNs)} ns, ${signed(formatDecimal(m.rawResidualNs, 1))} ns against mult/2^shift (one unit of mult: ${g(m.multUnitNs)} ns)`,
    `  kvm-clock elapsed ${g(m.kvmclockElapsedNs)} ns (the record evaluated at the same TSCs)`,
  ];
  if (m.recordUpdate) out.push(`  the host wrote a new record meanwhile (version ${m.recordUpdate.versions[0]} → ${m.recordUpdate.versions[1]}): its step of ${signedInt(m.recordUpdate.stepNs)} ns is excluded`);
  out.push(`  drift: measured ${ppb(m.measuredPpb)} ppb, predicted ${ppb(m.predictedPpb)} ppb, residual ${ppb(m.residualPpb)} ppb (measurement bound ±${formatDecimal(m.boundPpb, 3)} ppb)`);
  const p = x.mono.predicted;
  out.push(
    'reason' in p
      ? `  CLOCK_MONOTONIC against D: measured ${ppb(x.mono.measuredPpb, 3)} ppb (not predicted: ${p.reason})`
      : `  CLOCK_MONOTONIC against D: measured ${ppb(x.mono.measuredPpb, 3)} ppb, predicted ${ppb(p.vsDPpb, 3)} ppb (NTP tick length ${formatDecimal({ num: p.tickLength, den: 1n << 32n }, 3)} ns per ${g(p.cycleInterval)} cycles, HZ ${p.hz}), residual ${ppb(x.mono.residualPpb!, 3)} ppb`,
  );
  return out.join('\n');
}

export function renderRunsSummary(runs: readonly RunResult[]): string {
  const res = runs.map((r) => ppb(r.measurement.residualPpb, 3));
  return `residuals over ${runs.length} runs (ppb): ${res.join(', ')}`;
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
