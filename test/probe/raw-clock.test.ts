/**
 * What CLOCK_MONOTONIC_RAW runs on and what follows from it: the current clocksource
 * (sysfs, else the boot log), the predictions on tsc, on kvm-clock and on other
 * clocksources (where the probe says what it cannot predict), the measurement on synthetic
 * kvm-clock guests (a host step included, a RAW that does not follow the record), and the
 * evidence for KVM's clock.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { analyse } from '../../src/probe/analysis.js';
import { parseBootLog } from '../../src/probe/boot-log.js';
import { guestClocksourceD } from '../../src/probe/clock-d.js';
import { predictDrift } from '../../src/probe/drift.js';
import { evidenceText, kvmClockEvidence } from '../../src/probe/kvm-evidence.js';
import { measureKvmclockAgainstRaw, measureMonoAgainstRaw } from '../../src/probe/measure.js';
import { predictMonotonicOn } from '../../src/probe/mono.js';
import { currentClocksourceOf, rawClockOf } from '../../src/probe/raw-clock.js';
import { toNumber } from '../../src/probe/ratio-math.js';
import { kvmclockAt } from '../../src/probe/record.js';
import { renderAnalysis, renderRun } from '../../src/probe/render.js';
import { runResult } from '../../src/probe/run.js';
import { formatDecimal } from '../../src/rational.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';
import { fixture, IDLE_NTP, KVM_CLOCK_GUEST, KVM_CLOCK_RECORD, kvmclockSample, syntheticSample } from './helpers.js';

describe('the current clocksource', () => {
  const log = parseBootLog(fixture(KVM_CLOCK_GUEST, 'dmesg.txt'));

  it('as read, else the boot log’s last switch, else unknown with the reasons', () => {
    expect(currentClocksourceOf({ name: 'tsc', source: 'sysfs' }, log)).toEqual({ name: 'tsc', source: 'sysfs', fromBootLog: false });
    expect(currentClocksourceOf({ name: null, source: 'sysfs: EACCES' }, log)).toEqual({ name: 'kvm-clock', source: 'the boot log\'s last "Switched to clocksource" line (sysfs: EACCES)', fromBootLog: true });
    expect(currentClocksourceOf({ name: null, source: 'sysfs: EACCES' }, null)).toEqual({ name: null, source: 'sysfs: EACCES; no "Switched to clocksource" line in the boot log', fromBootLog: false });
  });
});

describe.each(BACKEND_NAMES)('predictions by clocksource on the %s backend', (backend) => {
  const api = kvmclock(backend);
  const d = guestClocksourceD(api, 2_096_032);
  const p = predictDrift(KVM_CLOCK_RECORD.tscToSystemMul, KVM_CLOCK_RECORD.tscShift, d);
  const current = (name: string | null) => ({ name, source: 'test', fromBootLog: false });

  it('tsc: RAW is D, and kvm-clock drifts against it by the ratio of the two rates', () => {
    const raw = rawClockOf(api, current('tsc'), d, p, 250);
    expect(raw).toMatchObject({ kind: 'tsc', counter: 'tsc', nsPerCount: d.rate, kvmclockVsRawPpb: p.ppb, exactOffset: false, notPredicted: [] });
    expect(raw.registration).toBe(d.registration);
  });

  it('kvm-clock: exactly 0 ppb, RAW = record + constant', () => {
    const raw = rawClockOf(api, current('kvm-clock'), d, p, 250);
    expect(raw).toMatchObject({ kind: 'kvm-clock', counter: 'kvm-clock', nsPerCount: { num: 1n, den: 1n }, kvmclockVsRawPpb: { num: 0n, den: 1n }, exactOffset: true, notPredicted: [] });
  });

  it('hpet: neither drift is predicted, and the probe says why', () => {
    const raw = rawClockOf(api, current('hpet'), d, p, 250);
    expect(raw).toMatchObject({ kind: 'other', counter: null, registration: null, kvmclockVsRawPpb: null, exactOffset: false });
    expect(raw.notPredicted.map((n) => n.what)).toEqual(['the drift of kvm-clock against CLOCK_MONOTONIC_RAW', 'CLOCK_MONOTONIC against CLOCK_MONOTONIC_RAW']);
    expect(raw.notPredicted[0].why).toContain('runs on hpet, a counter that is neither the TSC nor kvm-clock');
    expect(raw.notPredicted[1].why).toContain('hpet is registered from a frequency the probe cannot know');
  });

  it('acpi_pm: its registration is known, so CLOCK_MONOTONIC is predicted; kvm-clock against RAW is not', () => {
    const raw = rawClockOf(api, current('acpi_pm'), d, p, 250);
    expect(raw.registration).toMatchObject({ maxCycles: 0xffffffn, maxIdleNs: 2_085_701_024n });
    expect(raw.notPredicted.map((n) => n.what)).toEqual(['the drift of kvm-clock against CLOCK_MONOTONIC_RAW']);
    const mono = predictMonotonicOn(raw.registration!, 250, IDLE_NTP);
    if ('reason' in mono) throw new Error(mono.reason);
    expect(mono.vsRawPpb.num).toBe(0n); // NTP idle at HZ 250: the tick is the nominal one
  });

  it('not known: nothing against RAW is predicted', () => {
    const raw = rawClockOf(api, current(null), d, p, 250);
    expect(raw.kind).toBe('unknown');
    expect(raw.notPredicted.map((n) => n.what)).toEqual(['the drift of kvm-clock against CLOCK_MONOTONIC_RAW', 'CLOCK_MONOTONIC against CLOCK_MONOTONIC_RAW']);
  });

  it('CLOCK_MONOTONIC on kvm-clock: 4,000,000 kvm-clock ns per tick at HZ 250; an NTP frequency of +10 ppm shows as +10,000 ppb', () => {
    const reg = rawClockOf(api, current('kvm-clock'), d, p, 250).registration!;
    const idle = predictMonotonicOn(reg, 250, IDLE_NTP);
    const fast = predictMonotonicOn(reg, 250, { ...IDLE_NTP, freq: 65_536n * 10n });
    if ('reason' in idle || 'reason' in fast) throw new Error('predicted expected');
    expect(idle).toMatchObject({ cycleInterval: 4_000_000n, rate: { num: 1n, den: 1n }, vsRawPpb: { num: 0n, den: 1n } });
    expect(formatDecimal(fast.vsRawPpb, 3)).toBe('10000.000');
  });
});

describe.each(BACKEND_NAMES)('measuring on synthetic kvm-clock guests on the %s backend', (backend) => {
  const api = kvmclock(backend);
  const log = parseBootLog(fixture(KVM_CLOCK_GUEST, 'dmesg.txt'));
  const a = analyse(api, { record: KVM_CLOCK_RECORD, bootLog: { log, source: 'test' }, cpuinfo: null, hz: 250, currentClocksource: 'kvm-clock', availableClocksources: ['kvm-clock'] });
  const t0 = KVM_CLOCK_RECORD.tscTimestamp + 1_000_000_000_000n;
  const t1 = t0 + 41_920_640_000n; // ~20 s at 2,096,032 kHz
  const consts = { rawConst: -345_702_465n, monoConst: -137_228_930n };

  it('wherever in its window each clock was read, the exact check holds and the drift is 0', () => {
    for (const [o0, o1] of [
      [0n, 84n],
      [84n, 0n],
      [42n, 42n],
    ]) {
      const r = runResult(api, 1, kvmclockSample(api, KVM_CLOCK_RECORD, t0, { ...consts, readOffset: o0 }), kvmclockSample(api, KVM_CLOCK_RECORD, t1, { ...consts, readOffset: o1 }), a);
      expect(r.rawOffset!.consistent).toBe(true);
      expect(r.mono.offset!.consistent).toBe(true);
      expect(Math.abs(toNumber(r.measurement.residualPpb!))).toBeLessThanOrEqual(toNumber(r.measurement.boundPpb));
    }
  });

  it('a RAW that gains 1 µs over the run fails the exact check (and shows as +50 ppb)', () => {
    const r = runResult(api, 1, kvmclockSample(api, KVM_CLOCK_RECORD, t0, consts), kvmclockSample(api, KVM_CLOCK_RECORD, t1, { ...consts, rawExtra: 1000n }), a);
    expect(r.rawOffset).toMatchObject({ consistent: false, changeNs: 1000n, constantNs: null });
    expect(formatDecimal(r.measurement.residualPpb!, 0)).toBe('-50');
    expect(renderRun(r)).toContain('RAW = kvm-clock + constant: DOES NOT HOLD — change +1,000 ns, outside the -40 … +40 ns the windows allow');
  });

  it('a host step between the samples: RAW runs on kvm-clock and takes it too, so it is included and the constant holds', () => {
    const next = { ...KVM_CLOCK_RECORD, version: 24, tscTimestamp: t0 + 10_000_000_000n, systemTime: kvmclockAt(api, KVM_CLOCK_RECORD, t0 + 10_000_000_000n) + 5_000n };
    const r = runResult(api, 1, kvmclockSample(api, KVM_CLOCK_RECORD, t0, consts), kvmclockSample(api, next, t1, consts), a);
    expect(r.measurement.recordUpdate).toMatchObject({ versions: [22, 24], stepNs: 5_000n, stepIncluded: true });
    expect(r.rawOffset!.consistent).toBe(true);
    expect(Math.abs(toNumber(r.measurement.residualPpb!))).toBeLessThan(0.1);
    expect(renderRun(r)).toContain('its step of +5,000 ns is included (RAW runs on kvm-clock and took it too)');
  });

  it('on another clocksource the drift is measured only, and MONOTONIC is compared with RAW’s own readings', () => {
    const other = analyse(api, { record: KVM_CLOCK_RECORD, bootLog: { log, source: 'test' }, cpuinfo: null, hz: 250, currentClocksource: 'hpet' });
    const d = other.d;
    // RAW here is synthetic: a counter running at D's rate (what an hpet looks like against the TSC is unknown)
    const clock = { mult: d.registration.mult, shift: d.registration.shift, tsc0: 10n ** 12n, rawAt0: 400_000_000_000n };
    const s0 = syntheticSample(KVM_CLOCK_RECORD, clock, t0);
    const s1 = syntheticSample(KVM_CLOCK_RECORD, clock, t1);
    const m = measureKvmclockAgainstRaw(api, s0, s1, other.rawClock);
    expect(m).toMatchObject({ predictedPpb: null, residualPpb: null, counter: null, counterElapsed: null, rawPredictedNs: null, multUnitNs: null });
    // measured only; here the synthetic RAW is D, so it shows kvm-clock against D, within the measurement's bound
    expect(Math.abs(toNumber(m.measuredPpb) - toNumber(other.prediction.ppb))).toBeLessThan(toNumber(m.boundPpb));
    expect(Math.abs(toNumber(measureMonoAgainstRaw(api, s0, s1, other.rawClock)))).toBeLessThan(0.1);
    const r = runResult(api, 1, s0, s1, other);
    expect(r.rawOffset).toBeUndefined();
    expect(r.mono).toMatchObject({ against: 'RAW', residualPpb: null });
    const text = `${renderAnalysis({ hypervisor: '-', pageSource: 'vvar_vclock', retries: 0 }, other)}\n${renderRun(r)}`;
    expect(text).toContain('not predicted: the drift of kvm-clock against CLOCK_MONOTONIC_RAW — CLOCK_MONOTONIC_RAW runs on hpet');
    expect(text).toContain("clock D: the guest's TSC clocksource — NOT RUNNING: the current clocksource is hpet");
    expect(text).toMatch(/drift of kvm-clock against RAW: measured -32\.\d{4} ppb \(not predicted: see above/);
    expect(text).toContain('CLOCK_MONOTONIC against RAW (the TSC as common ruler): measured');
  });
});

describe('the evidence for KVM’s clock', () => {
  const log = parseBootLog(fixture(KVM_CLOCK_GUEST, 'dmesg.txt'));

  it('does not depend on the CPUID signature', () => {
    const e = kvmClockEvidence({ pvclockPage: 'vvar_vclock', hostKhz: { min: 1n, max: 1n }, log, available: ['kvm-clock'], current: 'kvm-clock', cpuidSignature: 'bhyve_bhyve_' });
    expect(e.kvmClock).toBe(true);
    expect(evidenceText(e).info).toBe('CPUID hypervisor signature bhyve_bhyve_ (not KVM’s KVMKVMKVM); the kernel logged "Hypervisor detected: PVM" — information only: the checks rely on the pvclock record and the kvm-clock clocksource');
  });

  it('a record whose scale no KVM host writes, with no kvm-clock anywhere, is not confirmed — even with KVM’s signature', () => {
    const e = kvmClockEvidence({ pvclockPage: 'vvar_vclock', hostKhz: null, log: parseBootLog('[    0.000000] Linux version 6.18'), available: ['tsc', 'hpet'], current: 'tsc', cpuidSignature: 'KVMKVMKVM' });
    expect(e.kvmClock).toBe(false);
    expect(evidenceText(e).signs).toBe('pvclock record mapped ([vvar_vclock]), its scale is not one KVM writes from a kHz frequency, no kvm-clock MSR line in the boot log, no kvm-clock registration in the boot log, kvm-clock not available');
  });
});
