/**
 * The drift of kvm-clock against clock D: the exact prediction, and the measurement on
 * samples recorded on a real guest and on synthetic samples with known answers.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { guestClocksourceD } from '../../src/probe/clock-d.js';
import { predictDrift } from '../../src/probe/drift.js';
import { measureAgainstD, measureDrift, sampleRecord, windowHalf, windowMid } from '../../src/probe/measure.js';
import { parseSampleRun } from '../../src/probe/native-output.js';
import { toNumber } from '../../src/probe/ratio-math.js';
import { formatDecimal } from '../../src/rational.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';
import { fixture, GUEST, GUEST_RECORD, type SyntheticClock, syntheticSample } from './helpers.js';

describe.each(BACKEND_NAMES)('drift of kvm-clock against D on the %s backend', (backend) => {
  const api = kvmclock(backend);
  const d = guestClocksourceD(api, 2_596_120);
  const prediction = predictDrift(GUEST_RECORD.tscToSystemMul, GUEST_RECORD.tscShift, d);

  it('predicts the recorded guest exactly: −338.4955 ppb, −29.246 ms a day', () => {
    // (3308757408/2^33)/(6462419/2^24) − 1, exactly
    expect(prediction.ratio.num * 6_462_419n * 512n).toBe(prediction.ratio.den * 3_308_757_408n);
    expect(prediction.ratio).toEqual({ num: 103_398_669n, den: 103_398_704n }); // in lowest terms
    // seen from D: 103398704/103398669 − 1 = 35/103398669
    expect(prediction.dVsKvmclockPpb).toEqual({ num: 35_000_000_000n, den: 103_398_669n });
    expect(formatDecimal(prediction.dVsKvmclockPpb, 4)).toBe('338.4957');
    expect(formatDecimal(prediction.ppb, 6)).toBe('-338.495539');
    expect(formatDecimal(prediction.nsPerDay, 0)).toBe('-29246015');
    // kvm-clock converts at the host's 2,596,121 kHz (floored mul), D rounds its own way
    expect(formatDecimal(prediction.kvmclockVsNominalPpb, 3)).toBe('-385.328');
    expect(formatDecimal(prediction.dVsNominalPpb, 3)).toBe('-46.833');
  });

  it('the same frequency on both sides still drifts: the two fixed-point formats round differently', () => {
    // 2.5 GHz: pvclock −0.233 ppb, clocksource −59.605 ppb (spec §9.1) → kvm-clock gains 59.372 ppb on D
    const p = predictDrift(3_435_973_836, -1, guestClocksourceD(api, 2_500_000));
    expect(formatDecimal(p.ppb, 3)).toBe('59.372');
    // 2 GHz: both exact
    expect(predictDrift(2_147_483_648, 0, guestClocksourceD(api, 2_000_000)).ppb.num).toBe(0n);
  });

  it('measures the recorded 20 s on the guest within 3 ppb of the prediction', () => {
    const start = parseSampleRun(fixture(GUEST, 'sample-start.txt'));
    const end = parseSampleRun(fixture(GUEST, 'sample-end.txt'));
    const m = measureDrift(api, start, end, d, prediction);
    expect(m.tscElapsed).toBe(51_942_414_214n);
    expect(m.rawElapsedNs).toBe(20_007_708_343n);
    expect(m.kvmclockElapsedNs).toBe(20_007_701_569n);
    expect(formatDecimal(m.measuredPpb, 4)).toBe('-338.5695');
    expect(formatDecimal(m.residualPpb, 4)).toBe('-0.0740');
    expect(Math.abs(toNumber(m.residualPpb))).toBeLessThan(3);
    expect(Math.abs(toNumber(m.residualPpb))).toBeLessThan(toNumber(m.boundPpb));
    expect(formatDecimal(m.rawResidualNs, 3)).toBe('0.780'); // RAW against mult/2^shift: under a ns in 20 s
    expect(m.multUnitNs).toBe(3096n); // a mult one unit off would be 3 µs away
    expect(m.recordUpdate).toBeNull();
    // CLOCK_MONOTONIC with NTP idle runs at D's rate too
    expect(Math.abs(toNumber(measureAgainstD(start.pairs.mono, end.pairs.mono, d)))).toBeLessThan(3);
  });

  const clock: SyntheticClock = { mult: d.registration.mult, shift: d.registration.shift, tsc0: 10n ** 12n, rawAt0: 400_000_000_000n };

  it('on synthetic readings the residual stays inside the bound wherever in its window each clock read happened', () => {
    const t0 = 2n * 10n ** 12n;
    const t1 = t0 + 2_596_120_000n * 20n;
    for (const [o0, o1] of [
      [50n, 50n],
      [0n, 100n],
      [100n, 0n],
    ]) {
      const m = measureDrift(api, syntheticSample(GUEST_RECORD, clock, t0, { readOffset: o0 }), syntheticSample(GUEST_RECORD, clock, t1, { readOffset: o1 }), d, prediction);
      expect(Math.abs(toNumber(m.residualPpb))).toBeLessThanOrEqual(toNumber(m.boundPpb));
      if (o0 === o1) expect(Math.abs(toNumber(m.residualPpb))).toBeLessThan(0.1);
    }
  });

  it('a wrong D shows: a guest registered one kHz higher is ~385 ppb off', () => {
    const wrong = guestClocksourceD(api, 2_596_121);
    const t0 = 2n * 10n ** 12n;
    const m = measureDrift(api, syntheticSample(GUEST_RECORD, clock, t0), syntheticSample(GUEST_RECORD, clock, t0 + 51_922_400_000n), wrong, predictDrift(GUEST_RECORD.tscToSystemMul, GUEST_RECORD.tscShift, wrong));
    expect(Math.abs(toNumber(m.residualPpb))).toBeGreaterThan(300);
  });

  it('a host update between the samples: its step is excluded from the drift and reported', () => {
    const t0 = 5n * 10n ** 12n;
    const t1 = t0 + 51_922_400_000n;
    const next = { ...GUEST_RECORD, version: 42, tscTimestamp: t0 + 10_000_000_000n, systemTime: 1_000_000_000_000n };
    const start = syntheticSample(GUEST_RECORD, clock, t0);
    const end = syntheticSample(next, clock, t1);
    const m = measureDrift(api, start, end, d, prediction);
    const oldAtSwitch = api.pvclockRead(next.tscTimestamp, GUEST_RECORD.tscTimestamp, GUEST_RECORD.systemTime, GUEST_RECORD.tscToSystemMul, GUEST_RECORD.tscShift);
    expect(m.recordUpdate).toEqual({ versions: [40, 42], stepNs: next.systemTime - oldAtSwitch, atTsc: next.tscTimestamp, stepIncluded: false });
    expect(Math.abs(toNumber(m.residualPpb))).toBeLessThan(0.1);
  });

  it('refuses a sample that straddles an update, and samples out of order', () => {
    const t0 = 5n * 10n ** 12n;
    const straddling = syntheticSample(GUEST_RECORD, clock, t0, { after: { ...GUEST_RECORD, version: 42, systemTime: 5n } });
    expect(sampleRecord(straddling)).toBeNull();
    expect(() => measureDrift(api, straddling, syntheticSample(GUEST_RECORD, clock, t0 + 10n ** 9n), d, prediction)).toThrow(/straddles/);
    expect(() => measureDrift(api, syntheticSample(GUEST_RECORD, clock, t0), syntheticSample(GUEST_RECORD, clock, t0 - 10n ** 9n), d, prediction)).toThrow(/not after/);
  });

  it('window arithmetic', () => {
    const p = { clock: 'raw' as const, tscBefore: 100n, tscAfter: 205n, ns: 0n, tries: 1 };
    expect(windowMid(p)).toBe(152n);
    expect(windowHalf(p)).toBe(53n);
  });
});
