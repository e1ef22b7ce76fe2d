/**
 * Measuring the drift of kvm-clock against CLOCK_MONOTONIC_RAW on the running guest from
 * two samples of the native reader. kvm-clock at a TSC is the record evaluated there (what
 * the guest's kvm-clock reads); RAW's elapsed time is measured, and predicted from what it
 * runs on: D's mult/2^shift per TSC cycle on a tsc guest, kvm-clock's own nanoseconds
 * through its 1 GHz registration on a kvm-clock guest. Each kernel clock read happened at
 * an unknown TSC inside its (narrow) window; the window's middle is used and the window
 * bounds the error.
 */
import type { KvmclockApi } from '../api.js';
import { InternalError } from '../errors.js';
import type { PvclockRecord } from '../model/pvclock-record.js';
import { pvclockRate, times } from '../model/rates.js';
import { ppbOf, type Ratio } from '../rational.js';
import type { GuestClockD } from './clock-d.js';
import type { DriftPrediction } from './drift.js';
import type { NativeSample, PairReading } from './native-output.js';
import { minus, reduce } from './ratio-math.js';
import { kvmclockAt, sameContent } from './record.js';

/** The TSC at the middle of a reading's window (floor). */
export function windowMid(p: PairReading): bigint {
  return p.tscBefore + (p.tscAfter - p.tscBefore) / 2n;
}

/** The largest distance from the middle to the window's ends, in cycles (ceil). */
export function windowHalf(p: PairReading): bigint {
  return (p.tscAfter - p.tscBefore + 1n) / 2n;
}

/** A sample is usable when the record did not change while it was taken. */
export function sampleRecord(s: NativeSample): PvclockRecord | null {
  return sameContent(s.before.record, s.after.record) ? s.after.record : null;
}

/** The drift of kvm-clock against RAW measured between two samples, against its prediction. */
export interface DriftMeasurement {
  /** Raw-clock TSC midpoints and the elapsed guest TSC between them. */
  readonly tscStart: bigint;
  readonly tscEnd: bigint;
  readonly tscElapsed: bigint;
  /** RAW elapsed: CLOCK_MONOTONIC_RAW end − start (ns). */
  readonly rawElapsedNs: bigint;
  /**
   * kvm-clock elapsed: the records evaluated at the two midpoints (ns). A step the host made
   * between them is excluded when RAW does not run on kvm-clock, and included when it does
   * (RAW took the same step).
   */
  readonly kvmclockElapsedNs: bigint;
  /** The host updated the record between the samples: its step, and whether kvmclockElapsedNs includes it. */
  readonly recordUpdate: { readonly versions: readonly [number, number]; readonly stepNs: bigint; readonly atTsc: bigint; readonly stepIncluded: boolean } | null;
  /** (kvm-clock elapsed / RAW elapsed − 1)·10^9, exact on the measured integers. */
  readonly measuredPpb: Ratio;
  /** The prediction for what RAW runs on (null: not predicted there). */
  readonly predictedPpb: Ratio | null;
  /** measured − predicted (null: not predicted). */
  readonly residualPpb: Ratio | null;
  /**
   * A worst-case bound on |residual| from the measurement itself: each raw read may sit
   * anywhere in its window (half a window from the middle), a negative pvclock shift drops
   * low bits of each converted delta (both in cycles, converted at RAW's rate per cycle),
   * and each difference of two floored readings is off by < 1 ns; as ppb of the elapsed time.
   */
  readonly boundPpb: Ratio;
  /** What RAW counts (TSC cycles for tsc, kvm-clock ns for kvm-clock; null: not evaluable) and how many counts elapsed. */
  readonly counter: RawCounter;
  readonly counterElapsed: bigint | null;
  /** RAW's predicted elapsed time over the same counts (counts·mult/2^shift), exact, and RAW against it (ns); null when not evaluable. */
  readonly rawPredictedNs: Ratio | null;
  readonly rawResidualNs: Ratio | null;
  /** What one unit of the current clocksource's mult amounts to over this interval (ns, rounded): counts/2^shift. */
  readonly multUnitNs: bigint | null;
}

/** What CLOCK_MONOTONIC_RAW counts, when the probe can evaluate it at a guest TSC. */
export type RawCounter = 'tsc' | 'kvm-clock' | null;

/** What the measurement needs to know about RAW's clocksource (see raw-clock.ts). */
export interface RawModel {
  readonly counter: RawCounter;
  /** RAW ns per count: mult/2^shift (null: unknown). */
  readonly nsPerCount: Ratio | null;
  /** The current clocksource's shift (for the size of one unit of mult), when known. */
  readonly registration: { readonly shift: number } | null;
  /** The predicted drift of kvm-clock against RAW, or null. */
  readonly kvmclockVsRawPpb: Ratio | null;
}

/** The count of RAW's clocksource at a guest TSC, under a record (TSC cycles, or kvm-clock ns). */
function countAt(api: KvmclockApi, counter: 'tsc' | 'kvm-clock', r: PvclockRecord, tsc: bigint): bigint {
  return counter === 'tsc' ? tsc : kvmclockAt(api, r, tsc);
}

/** A measurement where RAW is a function of the TSC the probe evaluates and the drift is predicted: nothing is null. */
export type PredictedDriftMeasurement = DriftMeasurement & {
  readonly predictedPpb: Ratio;
  readonly residualPpb: Ratio;
  readonly counterElapsed: bigint;
  readonly rawPredictedNs: Ratio;
  readonly rawResidualNs: Ratio;
  readonly multUnitNs: bigint;
};

/** The drift of kvm-clock against D (RAW on a guest whose clocksource is tsc), measured between two samples. */
export function measureDrift(api: KvmclockApi, start: NativeSample, end: NativeSample, d: GuestClockD, prediction: DriftPrediction): PredictedDriftMeasurement {
  const m = measureKvmclockAgainstRaw(api, start, end, { counter: 'tsc', nsPerCount: d.rate, registration: d.registration, kvmclockVsRawPpb: prediction.ppb });
  if (!isPredicted(m)) throw new InternalError('a measurement against D must be predicted and evaluable');
  return m;
}

/** Whether the measurement has a prediction and a RAW the probe could evaluate. */
export function isPredicted(m: DriftMeasurement): m is PredictedDriftMeasurement {
  return m.predictedPpb !== null && m.residualPpb !== null && m.counterElapsed !== null && m.rawPredictedNs !== null && m.rawResidualNs !== null && m.multUnitNs !== null;
}

/** The drift of kvm-clock against RAW between two samples, against the prediction for RAW's clocksource. Throws if a sample straddles an update. */
export function measureKvmclockAgainstRaw(api: KvmclockApi, start: NativeSample, end: NativeSample, raw: RawModel): DriftMeasurement {
  const r0 = sampleRecord(start);
  const r1 = sampleRecord(end);
  if (r0 === null || r1 === null) throw new RangeError('a sample straddles a record update; take it again');
  const t0 = windowMid(start.pairs.raw);
  const t1 = windowMid(end.pairs.raw);
  if (t1 <= t0) throw new RangeError('the end sample is not after the start sample');
  let kvmElapsed: bigint;
  let recordUpdate: DriftMeasurement['recordUpdate'] = null;
  if (sameContent(r0, r1)) {
    kvmElapsed = kvmclockAt(api, r1, t1) - kvmclockAt(api, r0, t0);
  } else {
    // Piecewise: the old record up to the new reference, the new one after it.
    const tsw = r1.tscTimestamp < t0 ? t0 : r1.tscTimestamp > t1 ? t1 : r1.tscTimestamp;
    const stepNs = BigInt.asIntN(64, kvmclockAt(api, r1, tsw) - kvmclockAt(api, r0, tsw));
    const stepIncluded = raw.counter === 'kvm-clock';
    kvmElapsed = kvmclockAt(api, r0, tsw) - kvmclockAt(api, r0, t0) + (kvmclockAt(api, r1, t1) - kvmclockAt(api, r1, tsw)) + (stepIncluded ? stepNs : 0n);
    recordUpdate = { versions: [r0.version, r1.version], stepNs, atTsc: tsw, stepIncluded };
  }
  const rawElapsed = end.pairs.raw.ns - start.pairs.raw.ns;
  if (rawElapsed <= 0n) throw new RangeError('CLOCK_MONOTONIC_RAW did not advance between the samples');
  const measuredPpb = ppbOf({ num: kvmElapsed, den: rawElapsed });
  // Counts of RAW's clocksource between the midpoints (for kvm-clock, a host step included as RAW took it too).
  const counterElapsed = raw.counter === null ? null : countAt(api, raw.counter, r1, t1) - countAt(api, raw.counter, r0, t0);
  // RAW ns per guest TSC cycle: from the registration where RAW is a known function of the TSC, else as measured.
  const rawPerCycle: Ratio =
    raw.counter === 'tsc' && raw.nsPerCount ? raw.nsPerCount : raw.counter === 'kvm-clock' && raw.nsPerCount ? times(pvclockRate(r1.tscToSystemMul, r1.tscShift), raw.nsPerCount) : { num: rawElapsed, den: t1 - t0 };
  // Cycles of timing uncertainty: half of each window, plus the low bits a negative
  // pvclock pre-shift drops from each of the two deltas the guest converts.
  const shiftLoss = r1.tscShift < 0 ? 2n * ((1n << BigInt(-r1.tscShift)) - 1n) : 0n;
  const cycles = windowHalf(start.pairs.raw) + windowHalf(end.pairs.raw) + shiftLoss;
  const boundNs: Ratio = { num: cycles * rawPerCycle.num + 2n * rawPerCycle.den, den: rawPerCycle.den };
  const rawPredictedNs: Ratio | null = counterElapsed !== null && raw.nsPerCount ? reduce({ num: counterElapsed * raw.nsPerCount.num, den: raw.nsPerCount.den }) : null;
  const shift = raw.registration?.shift;
  return {
    tscStart: t0,
    tscEnd: t1,
    tscElapsed: t1 - t0,
    rawElapsedNs: rawElapsed,
    kvmclockElapsedNs: kvmElapsed,
    recordUpdate,
    measuredPpb: reduce(measuredPpb),
    predictedPpb: raw.kvmclockVsRawPpb,
    residualPpb: raw.kvmclockVsRawPpb === null ? null : reduce(minus(measuredPpb, raw.kvmclockVsRawPpb)),
    boundPpb: reduce({ num: boundNs.num * 1_000_000_000n, den: boundNs.den * rawElapsed }),
    counter: raw.counter,
    counterElapsed,
    rawPredictedNs,
    rawResidualNs: rawPredictedNs === null ? null : reduce(minus({ num: rawElapsed, den: 1n }, rawPredictedNs)),
    multUnitNs: counterElapsed === null || shift === undefined ? null : (counterElapsed + (1n << BigInt(shift)) / 2n) >> BigInt(shift),
  };
}

/** A clock's measured rate against D over two samples of it (ppb), each read at its window's middle. */
export function measureAgainstD(startPair: PairReading, endPair: PairReading, d: GuestClockD): Ratio {
  const cycles = windowMid(endPair) - windowMid(startPair);
  const ns = endPair.ns - startPair.ns;
  return reduce(ppbOf({ num: ns * d.rate.den, den: cycles * d.rate.num }));
}

/**
 * CLOCK_MONOTONIC's measured rate against RAW (ppb), each read at its window's middle:
 * against RAW's clocksource evaluated at the same TSCs where the probe can (D's mult/2^shift
 * per cycle; kvm-clock's ns through its registration, a host step included as RAW takes it
 * too), else against RAW's own readings with the TSC as the common ruler.
 */
export function measureMonoAgainstRaw(api: KvmclockApi, start: NativeSample, end: NativeSample, raw: RawModel): Ratio {
  const m0 = start.pairs.mono;
  const m1 = end.pairs.mono;
  const ns = m1.ns - m0.ns;
  if (raw.counter !== null && raw.nsPerCount !== null) {
    const counts = countAt(api, raw.counter, end.after.record, windowMid(m1)) - countAt(api, raw.counter, start.before.record, windowMid(m0));
    return reduce(ppbOf({ num: ns * raw.nsPerCount.den, den: counts * raw.nsPerCount.num }));
  }
  const rawNs = end.pairs.raw.ns - start.pairs.raw.ns;
  const rawCycles = windowMid(end.pairs.raw) - windowMid(start.pairs.raw);
  const monoCycles = windowMid(m1) - windowMid(m0);
  return reduce(ppbOf({ num: ns * rawCycles, den: monoCycles * rawNs }));
}
