/**
 * Measuring the drift of kvm-clock against D on the running guest from two samples of
 * the native reader. kvm-clock at a TSC is the record evaluated there (what the guest's
 * kvm-clock would read); D's elapsed time is CLOCK_MONOTONIC_RAW's, whose NTP-free rate
 * is mult/2^shift. Each kernel clock read happened at an unknown TSC inside its (narrow)
 * window; the window's middle is used and the window bounds the error.
 */
import type { KvmclockApi } from '../api.js';
import type { PvclockRecord } from '../model/pvclock-record.js';
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

export interface DriftMeasurement {
  /** Raw-clock TSC midpoints and the elapsed guest TSC between them. */
  readonly tscStart: bigint;
  readonly tscEnd: bigint;
  readonly tscElapsed: bigint;
  /** D elapsed: CLOCK_MONOTONIC_RAW end − start (ns). */
  readonly rawElapsedNs: bigint;
  /** kvm-clock elapsed: the records evaluated at the two midpoints, minus any step between them (ns). */
  readonly kvmclockElapsedNs: bigint;
  /** The host updated the record between the samples: the step excluded from kvmclockElapsedNs. */
  readonly recordUpdate: { readonly versions: readonly [number, number]; readonly stepNs: bigint; readonly atTsc: bigint } | null;
  /** (kvm-clock elapsed / D elapsed − 1)·10^9, exact on the measured integers. */
  readonly measuredPpb: Ratio;
  readonly predictedPpb: Ratio;
  /** measured − predicted. */
  readonly residualPpb: Ratio;
  /**
   * A worst-case bound on |residual| from the measurement itself: each raw read may sit
   * anywhere in its window (half a window from the middle), a negative pvclock shift drops
   * low bits of each converted delta (both in cycles, converted at D's rate), and each
   * difference of two floored readings is off by < 1 ns; as ppb of the elapsed time.
   */
  readonly boundPpb: Ratio;
  /** D's predicted elapsed time over the same TSC interval, exact, and the raw clock against it (ns). */
  readonly rawPredictedNs: Ratio;
  readonly rawResidualNs: Ratio;
  /** What one unit of D's mult amounts to over this interval (ns, rounded): tscElapsed/2^shift. */
  readonly multUnitNs: bigint;
}

/** The drift measured between two samples, against the prediction. Throws if a sample straddles an update. */
export function measureDrift(api: KvmclockApi, start: NativeSample, end: NativeSample, d: GuestClockD, prediction: DriftPrediction): DriftMeasurement {
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
    kvmElapsed = kvmclockAt(api, r0, tsw) - kvmclockAt(api, r0, t0) + (kvmclockAt(api, r1, t1) - kvmclockAt(api, r1, tsw));
    recordUpdate = { versions: [r0.version, r1.version], stepNs, atTsc: tsw };
  }
  const rawElapsed = end.pairs.raw.ns - start.pairs.raw.ns;
  if (rawElapsed <= 0n) throw new RangeError('CLOCK_MONOTONIC_RAW did not advance between the samples');
  const measuredPpb = ppbOf({ num: kvmElapsed, den: rawElapsed });
  // Cycles of timing uncertainty: half of each window, plus the low bits a negative
  // pvclock pre-shift drops from each of the two deltas the guest converts.
  const shiftLoss = r1.tscShift < 0 ? 2n * ((1n << BigInt(-r1.tscShift)) - 1n) : 0n;
  const cycles = windowHalf(start.pairs.raw) + windowHalf(end.pairs.raw) + shiftLoss;
  const boundNs: Ratio = { num: cycles * d.rate.num + 2n * d.rate.den, den: d.rate.den };
  const rawPredictedNs: Ratio = { num: (t1 - t0) * d.rate.num, den: d.rate.den };
  return {
    tscStart: t0,
    tscEnd: t1,
    tscElapsed: t1 - t0,
    rawElapsedNs: rawElapsed,
    kvmclockElapsedNs: kvmElapsed,
    recordUpdate,
    measuredPpb: reduce(measuredPpb),
    predictedPpb: prediction.ppb,
    residualPpb: reduce(minus(measuredPpb, prediction.ppb)),
    boundPpb: reduce({ num: boundNs.num * 1_000_000_000n, den: boundNs.den * rawElapsed }),
    rawPredictedNs: reduce(rawPredictedNs),
    rawResidualNs: reduce(minus({ num: rawElapsed, den: 1n }, rawPredictedNs)),
    multUnitNs: ((t1 - t0) + (1n << BigInt(d.registration.shift)) / 2n) >> BigInt(d.registration.shift),
  };
}

/** A clock's measured rate against D over two samples of it (ppb), each read at its window's middle. */
export function measureAgainstD(startPair: PairReading, endPair: PairReading, d: GuestClockD): Ratio {
  const cycles = windowMid(endPair) - windowMid(startPair);
  const ns = endPair.ns - startPair.ns;
  return reduce(ppbOf({ num: ns * d.rate.den, den: cycles * d.rate.num }));
}
