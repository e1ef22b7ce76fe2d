/**
 * One measurement run of the probe (pure): two samples of the native reader, compared
 * with what the analysis predicts for the clock CLOCK_MONOTONIC_RAW runs on — the drift
 * of kvm-clock against RAW, CLOCK_MONOTONIC against RAW, and on a kvm-clock guest the
 * exact "RAW = record + constant" check.
 */
import type { KvmclockApi } from '../api.js';
import type { Ratio } from '../rational.js';
import type { Analysis } from './analysis.js';
import { checkConstantOffset, type OffsetCheck } from './clock-offset.js';
import { type DriftMeasurement, measureKvmclockAgainstRaw, measureMonoAgainstRaw } from './measure.js';
import { type MonoPrediction, predictMonotonic, predictMonotonicOn } from './mono.js';
import type { NativeSample } from './native-output.js';
import { MONO_VS_RAW } from './raw-clock.js';
import { minus } from './ratio-math.js';

/** CLOCK_MONOTONIC over a run: measured against RAW's clock, predicted, and (kvm-clock guests) checked exactly. */
export interface MonoResult {
  /** What MONOTONIC is compared with: "D" (RAW on tsc), "kvm-clock" (RAW on kvm-clock), or "RAW" (its readings, the TSC as ruler). */
  readonly against: 'D' | 'kvm-clock' | 'RAW';
  readonly measuredPpb: Ratio;
  readonly predicted: MonoPrediction | { readonly reason: string };
  readonly residualPpb: Ratio | null;
  /** On a kvm-clock guest whose NTP tick is the nominal one: MONOTONIC = record + constant, checked exactly. */
  readonly offset?: OffsetCheck;
}

/** One measurement run. */
export interface RunResult {
  readonly run: number;
  readonly measurement: DriftMeasurement;
  /** The narrowest TSC windows of the two RAW readings (cycles). */
  readonly windows: readonly [bigint, bigint];
  readonly mono: MonoResult;
  /** On a kvm-clock guest: RAW = record + constant, checked exactly. */
  readonly rawOffset?: OffsetCheck;
}

function monoPrediction(a: Analysis, end: NativeSample): MonoPrediction | { readonly reason: string } {
  const raw = a.rawClock;
  if (raw.kind === 'tsc') return predictMonotonic(a.d, a.hz, end.ntp);
  if (raw.registration !== null) return predictMonotonicOn(raw.registration, a.hz, end.ntp);
  return { reason: raw.notPredicted.find((n) => n.what === MONO_VS_RAW)?.why ?? 'the current clocksource’s registration is not known' };
}

/** Compare the two samples with the analysis's predictions. */
export function runResult(api: KvmclockApi, run: number, start: NativeSample, end: NativeSample, a: Analysis): RunResult {
  const raw = a.rawClock;
  const measurement = measureKvmclockAgainstRaw(api, start, end, raw);
  const predicted = monoPrediction(a, end);
  const measuredPpb = measureMonoAgainstRaw(api, start, end, raw);
  const against = raw.kind === 'tsc' ? 'D' : raw.kind === 'kvm-clock' ? 'kvm-clock' : 'RAW';
  const mono: MonoResult = { against, measuredPpb, predicted, residualPpb: 'reason' in predicted ? null : minus(measuredPpb, predicted.vsRawPpb) };
  const windows = [start.pairs.raw.tscAfter - start.pairs.raw.tscBefore, end.pairs.raw.tscAfter - end.pairs.raw.tscBefore] as const;
  if (!raw.exactOffset) return { run, measurement, windows, mono };
  const at = (s: NativeSample, which: 'raw' | 'mono', edge: 'before' | 'after') => ({ record: s[edge].record, pair: s.pairs[which] });
  const rawOffset = checkConstantOffset(api, at(start, 'raw', 'before'), at(end, 'raw', 'after'));
  const monoExact = !('reason' in predicted) && predicted.vsRawPpb.num === 0n;
  return {
    run,
    measurement,
    windows,
    mono: monoExact ? { ...mono, offset: checkConstantOffset(api, at(start, 'mono', 'before'), at(end, 'mono', 'after')) } : mono,
    rawOffset,
  };
}
