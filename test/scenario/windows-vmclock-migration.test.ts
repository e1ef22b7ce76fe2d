/**
 * Guests that do not read kvmclock, across the migration methods (issue 16): a Windows
 * guest's Hyper-V reference time H, the effect of restoring the clock rounded to 100 ns, and
 * VMClock. The expected numbers for the README's realistic case (2.8 → 3.0 GHz VMX, 2.0 GHz
 * guest, 4 vCPUs, 7 days, 200 ms downtime, 30 µs sync error) are derived here from the API
 * primitives — the source record from KVM_SET_TSC_KHZ's ratio, tgt_tsc_khz and
 * kvm_get_time_scale; api.hvTscPage / hvRefRead / hvRefMsr on the records involved;
 * api.vmclockPeriod / vmclockGettime for VMClock — not from the scenario's helpers.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { clockSummary } from '../../src/model/clock-summary.js';
import { reduce } from '../../src/rational.js';
import { windowsMigrationCharts } from '../../src/plot/windows-charts.js';
import { roundClock } from '../../src/scenario/guest-clock-migration.js';
import { compareMigrationMethods, type MethodResult, type MigrationConfig, type MigrationReport } from '../../src/scenario/migration.js';

const api = kvmclock('wasm');
const NS = 1_000_000_000n;
const DAY = 86_400n * NS;

const realistic: MigrationConfig = {
  src: { tscKhz: 2_800_000, vendor: 'vmx' },
  dst: { tscKhz: 3_000_000, vendor: 'vmx' },
  guestKhz: 2_000_000,
  vcpus: 4,
  uptimeNs: 7n * DAY,
  downtimeNs: 200_000_000n,
  syncErrorNs: 30_000n,
  vcpuGapNs: 10_000n,
  dstNoMasterClock: false,
  liveUpdate: false,
};

/** The scenario's conventions (src/scenario/migration.ts): the source host's TSC at true time 0, the UTC of true time 0. */
const SRC_TSC_AT_ZERO = 1_000_000_000_000n;
const EPOCH_UTC_NS = 1_763_856_000_000_000_000n;

/**
 * The source side of the realistic case from the primitives: the vCPU's ratio and offset (guest
 * TSC 0 at creation), the record KVM writes at the reference (tsc_timestamp 0, system_time 0,
 * factors from tgt_tsc_khz, TSC_STABLE), the page KVM derives from it, and the guest TSC at a
 * true instant.
 */
function sourceFromPrimitives() {
  const set = api.setTscKhz(2_000_000, 2_800_000, true, 48, 0xffff_ffff_ffff_ffffn, 250);
  const ratio = set.ratio as bigint;
  const offset = api.computeL1TscOffset(0n, SRC_TSC_AT_ZERO, ratio, 48);
  const tgt = api.tgtTscKhz(2_800_000, ratio, 48, true);
  const scale = api.getTimeScale(NS, tgt * 1000n);
  const record = { tscTimestamp: api.readL1Tsc(SRC_TSC_AT_ZERO, offset, ratio, 48), systemTime: 0n, mul: scale.mul, shift: scale.shift, flags: 1 };
  const page = api.hvTscPage(record.mul, record.shift, record.tscTimestamp, record.systemTime, record.flags);
  const guestTscAt = (trueNs: bigint) => api.readL1Tsc(SRC_TSC_AT_ZERO + (trueNs * 2_800_000n) / 1_000_000n, offset, ratio, 48);
  const hAt = (trueNs: bigint) => api.hvRefRead(guestTscAt(trueNs), page.scale, page.offset);
  return { ratio, tgt, record, page, guestTscAt, hAt };
}

const pauseNs = realistic.uptimeNs;
const resumeNs = realistic.uptimeNs + realistic.downtimeNs;
const w = (m: MethodResult) => m.windows as NonNullable<MethodResult['windows']>;
const v = (m: MethodResult) => m.vmclock as NonNullable<MethodResult['vmclock']>;
const byMethod = (r: MigrationReport) => Object.fromEntries(r.results.map((m) => [m.method, m]));

describe('a Linux guest (the default) is measured exactly as before', () => {
  it('guest "linux" and no guest give the same report, with no Windows or VMClock fields', () => {
    const plain = compareMigrationMethods(api, realistic);
    const linux = compareMigrationMethods(api, { ...realistic, guest: 'linux' });
    expect({ ...linux, config: plain.config }).toEqual(plain);
    expect(plain.windows).toBeUndefined();
    expect(plain.vmclock).toBeUndefined();
    for (const m of plain.results) expect(Object.keys(m)).not.toEqual(expect.arrayContaining(['windows']));
    // The README's table for the realistic case (kvmclock error and step at resume, ns).
    expect(plain.results.map((m) => [m.kvmclockErrorNs, m.resumeStepNs])).toEqual([
      [-502_350_156n, -302_350_056n],
      [-302_330_156n, -102_330_056n],
      [-302_330_156n, -102_330_056n],
      [30_000n, 200_030_100n],
      [0n, 200_000_100n],
      [-502_350_156n, -302_350_056n],
    ]);
  });

  it('a Windows guest changes nothing the Linux table reports: the page does not touch kvmclock', () => {
    const linux = compareMigrationMethods(api, realistic);
    const windows = compareMigrationMethods(api, { ...realistic, guest: 'windows' });
    expect(windows.ideal).toEqual(linux.ideal);
    windows.results.forEach((m, i) => {
      const { windows: _w, vmclock: _v, operations, ...rest } = m;
      const { operations: linuxOps, ...linuxRest } = linux.results[i];
      expect(rest).toEqual(linuxRest);
      // The only extra operation is the VMM's restore of the MSR.
      expect(operations.filter((op) => !linuxOps.includes(op))).toEqual(['dst KVM_SET_MSRS HV_X64_MSR_REFERENCE_TSC (host write: the page the guest enabled)']);
    });
  });
});

describe('what a Windows guest sees in each method: the realistic case', () => {
  const report = compareMigrationMethods(api, { ...realistic, guest: 'windows' });
  const src = sourceFromPrimitives();
  const lastRead = src.hAt(pauseNs);
  const idealH = src.hAt(resumeNs);

  it('the source page and the last H read come from the source record', () => {
    expect(src.tgt).toBe(1_999_999n);
    expect(report.windows?.sourcePage).toMatchObject({ status: 'set', scale: src.page.scale, offset: src.page.offset });
    expect(src.page).toEqual({ scale: 92_233_766_453_546_844n, offset: 0n });
    expect(report.windows?.lastReadUnits).toBe(lastRead);
    expect(lastRead).toBe(6_048_003_021_910n);
    expect(report.windows?.idealUnits).toBe(idealH);
    expect(report.ideal.guestTsc).toBe(src.guestTscAt(resumeNs));
  });

  it('H at resume is the destination page (computed from the destination record) at the resumed guest TSC', () => {
    for (const r of report.results) {
      const x = w(r);
      const rec = x.record;
      expect(rec.flags & 1).toBe(1); // the destination has a master clock: TSC_STABLE
      const page = api.hvTscPage(rec.tscToSystemMul, rec.tscShift, rec.tscTimestamp, rec.systemTime, rec.flags);
      expect(x.page).toMatchObject({ status: 'set', scale: page.scale, offset: page.offset });
      const g = BigInt.asUintN(64, report.ideal.guestTsc + r.tscErrorCycles);
      const h = api.hvRefRead(g, page.scale, page.offset);
      expect([x.source, x.resumeUnits, x.stepUnits, x.errorUnits]).toEqual(['page', h, h - lastRead, h - idealH]);
      expect(x.stepNs).toBe(x.stepUnits * 100n);
      expect(x.minusBUnits).toBe(h - api.pvclockRead(g, rec.tscTimestamp, rec.systemTime, rec.tscToSystemMul, rec.tscShift) / 100n);
      expect(x.msrUnits).toBe(h); // with the page SET the MSR evaluates the page
    }
  });

  it('the steps and errors of H, per method (100 ns units)', () => {
    const table = Object.fromEntries(report.results.map((r) => [r.method, [w(r).stepUnits, w(r).errorUnits, w(r).backwardUnits]]));
    expect(table).toEqual({
      m0: [-3_023_500n, -5_023_501n, 3_023_500n], // C − B of the week (−302 ms) and the downtime lost: backwards
      m1: [-1_023_300n, -3_023_301n, 1_023_300n], // the downtime kept, C − B not: backwards by 102 ms
      m2: [-1_023_300n, -3_023_301n, 1_023_300n],
      m3: [2_000_301n, 300n, 0n], // the downtime plus the sync error
      m4: [2_000_001n, 0n, 0n], // the ideal step: the downtime on a clock 500 ppb fast
      m5: [-3_023_500n, -5_023_501n, 3_023_500n],
    });
    expect(idealH - lastRead).toBe(2_000_001n);
  });

  it('the error series starts at the error at resume and keeps it (same tgt_tsc_khz, same page slope on both hosts)', () => {
    for (const r of report.results) {
      expect(w(r).errorSeries[0]).toEqual([0n, w(r).errorUnits]);
      expect(w(r).errorSeries).toHaveLength(25);
      for (const [, e] of w(r).errorSeries) expect(e - w(r).errorUnits >= -1n && e - w(r).errorUnits <= 1n).toBe(true);
    }
  });
});

describe('a destination without a master clock leaves the page BROKEN and Windows on the MSR (⌊A/100⌋)', () => {
  const report = compareMigrationMethods(api, { ...realistic, guest: 'windows', dstNoMasterClock: true });
  const src = sourceFromPrimitives();

  it.each(['m0', 'm1', 'm2', 'm3', 'm5'] as const)('%s', (method) => {
    const r = byMethod(report)[method];
    const x = w(r);
    expect(r.dstMasterClock).toBe(false);
    expect(x.page).toMatchObject({ status: 'broken', sequence: 0, invalidReason: 'unstable' });
    // The record lacks TSC_STABLE: KVM cannot derive a page from it.
    expect(x.record.flags & 1).toBe(0);
    expect(() => api.hvTscPage(x.record.tscToSystemMul, x.record.tscShift, x.record.tscTimestamp, x.record.systemTime, x.record.flags)).toThrow(expect.objectContaining({ code: 'invalid' }));
    // Without a master clock the record is re-based on "now" at resume: its system_time is A then, and the MSR returns ⌊A/100⌋.
    expect([x.source, x.kvmclockDefinition]).toEqual(['msr', 'A']);
    expect(x.resumeUnits).toBe(api.hvRefMsr(x.record.systemTime));
    expect(x.stepUnits).toBe(x.resumeUnits - src.hAt(pauseNs));
    expect(x.errorUnits).toBe(x.resumeUnits - src.hAt(resumeNs));
  });

  it('the MSR follows A, not B: an hour later H has drifted from the ideal while B would not have', () => {
    const r = byMethod(report).m2;
    const last = w(r).errorSeries.at(-1) as readonly [bigint, bigint];
    expect(last[0]).toBe(3_600n * NS);
    // A runs ≈559 ppb behind the ideal B line (tgt_tsc_khz 1,999,999 and the host raw clock's own rate): ≈2 ms in an hour.
    expect(last[1] - w(r).errorUnits).toBeLessThan(-19_000n);
    expect(last[1] - w(r).errorUnits).toBeGreaterThan(-21_000n);
  });

  it('M4 stays on the source host, which has a master clock: the page is SET', () => {
    expect(w(byMethod(report).m4).page.status).toBe('set');
    expect(w(byMethod(report).m4).source).toBe('page');
  });
});

describe('restoring the clock rounded to 100 ns', () => {
  it('roundClock: exact, ⌊c/100⌋·100 and ⌈c/100⌉·100 (wrapping as a u64)', () => {
    expect([roundClock(1_234n, 'exact'), roundClock(1_234n, 'down'), roundClock(1_234n, 'up')]).toEqual([1_234n, 1_200n, 1_300n]);
    expect([roundClock(1_200n, 'down'), roundClock(1_200n, 'up'), roundClock(0n, 'up'), roundClock(99n, 'down')]).toEqual([1_200n, 1_200n, 0n, 0n]);
    expect(roundClock(0xffff_ffff_ffff_ffffn, 'up')).toBe(84n); // 2^64 − 1 = …615: ⌈⌉·100 = 2^64 + 84, wrapped
  });

  const report = compareMigrationMethods(api, { ...realistic, guest: 'windows' });
  const rows = report.windows?.rounding ?? [];

  it('compares the methods that restore with KVM_SET_CLOCK: M0, M1, M2, M5', () => {
    expect(rows.map((r) => r.method)).toEqual(['m0', 'm1', 'm2', 'm5']);
    expect(report.windows?.neverBackwards).toEqual(['exact', 'up']);
  });

  it('B moves by exactly the rounding; H by what the record shifted by it gives (derived with api.hvTscPage)', () => {
    const exact = byMethod(report);
    const lastRead = sourceFromPrimitives().hAt(pauseNs);
    for (const row of rows) {
      expect(row.savedClockNs).toBe(604_799_999_831_020n); // KVM_GET_CLOCK (C) on the source at the pause
      const x = w(exact[row.method]);
      const g = BigInt.asUintN(64, report.ideal.guestTsc + exact[row.method].tscErrorCycles);
      for (const variant of row.variants) {
        expect(variant.restoredClockNs).toBe(roundClock(row.savedClockNs, variant.rounding));
        expect(variant.roundingNs).toBe({ exact: 0n, down: -20n, up: 80n }[variant.rounding]);
        expect(variant.bVsExactNs).toBe(variant.roundingNs); // KVM_SET_CLOCK moves kvmclock_offset, hence system_time, by it
        const rec = x.record;
        const page = api.hvTscPage(rec.tscToSystemMul, rec.tscShift, rec.tscTimestamp, BigInt.asUintN(64, rec.systemTime + variant.roundingNs), rec.flags);
        expect(variant.hStepUnits).toBe(api.hvRefRead(g, page.scale, page.offset) - lastRead);
        expect(variant.hVsExactUnits).toBe({ exact: 0n, down: 0n, up: 1n }[variant.rounding]);
      }
    }
  });

  it('M3 joins the comparison when KVM_SET_CLOCK_GUEST fails and it falls back to KVM_SET_CLOCK', () => {
    const r = compareMigrationMethods(api, { ...realistic, guest: 'windows', dstNoMasterClock: true }, ['m3', 'm4']);
    expect(r.windows?.rounding.map((x) => x.method)).toEqual(['m3']);
    const none = compareMigrationMethods(api, { ...realistic, guest: 'windows' }, ['m3', 'm4']);
    expect(none.windows?.rounding).toEqual([]);
  });
});

describe('VMClock across the methods', () => {
  const report = compareMigrationMethods(api, { ...realistic, guest: 'windows' });
  const src = sourceFromPrimitives();
  const period = api.vmclockPeriod(2_000_000_000n);
  const counterAtPause = src.guestTscAt(pauseNs);
  const utcAtPause = EPOCH_UTC_NS + pauseNs;
  const trueTaiAtResume = EPOCH_UTC_NS + resumeNs + 37n * NS;
  const taiNs = (t: { sec: bigint; nsec: number }) => t.sec * NS + BigInt(t.nsec);

  it('the source page: the period for 2 GHz (§3.4), the guest TSC and UTC at the pause, marker 1', () => {
    expect(period).toEqual({ shift: 30, period: 9_903_520_314_283_042_199n });
    expect(report.vmclock?.page).toMatchObject({
      counterValue: counterAtPause,
      counterPeriodFracSec: period.period,
      counterPeriodShift: 30,
      timeSec: utcAtPause / NS,
      timeFracSec: 0n,
      taiOffsetSec: -37,
      disruptionMarker: 1n,
    });
    expect(report.vmclock?.errorNs).toBe(0n);
  });

  it('VMClock time drifts against B as clock summarises it for the same pair', () => {
    const s = clockSummary(api, { hostKhz: 2_800_000, guestKhz: 2_000_000, vendor: 'vmx' }, DAY);
    expect(report.vmclock?.vsBPpb).toEqual(reduce(s.guests.vmclock?.vsBPpb as never));
    expect(report.vmclock?.vsNominalPpb).toEqual(reduce(s.guests.vmclock?.vsNominalPpb as never));
  });

  it('carried: the source line at the resumed guest TSC, marker unchanged; re-populated: the sync error, a new marker', () => {
    const errors: Record<string, [bigint, bigint, boolean]> = {};
    for (const r of report.results) {
      const g = BigInt.asUintN(64, report.ideal.guestTsc + r.tscErrorCycles);
      const carried = taiNs(api.vmclockGettime(g, counterAtPause, period.period, period.shift, utcAtPause / NS, 0n, 0, 1n, -37, 2)) - trueTaiAtResume;
      const x = v(r);
      expect(x.carried.errorNs).toBe(carried);
      expect(x.carried.markerChanged).toBe(false);
      expect(x.carried.page.disruptionMarker).toBe(1n);
      expect(x.repopulated.page.counterValue).toBe(g);
      errors[r.method] = [x.carried.errorNs, x.repopulated.errorNs, x.repopulated.markerChanged];
    }
    expect(errors).toEqual({
      m0: [-199_940_001n, 30_000n, true], // the TSC paused: VMClock lost the downtime
      m1: [-199_940_001n, 30_000n, true],
      m2: [29_998n, 30_000n, true],
      m3: [29_999n, 30_000n, true],
      m4: [-1n, 0n, false], // live update: the counter was not disrupted
      m5: [-199_940_001n, 30_000n, true],
    });
    expect(report.results.map((r) => v(r).counterDisrupted)).toEqual([true, true, true, true, false, true]);
    expect(v(byMethod(report).m3).repopulated.page.disruptionMarker).toBe(2n);
  });

  it('a live update that pauses the TSC (M0) disrupts the counter: the re-populating VMM changes the marker', () => {
    const r = compareMigrationMethods(api, { ...realistic, guest: 'windows', liveUpdate: true, syncErrorNs: 0n }, ['m0', 'm4']);
    expect(r.results.map((m) => [v(m).counterDisrupted, v(m).repopulated.markerChanged, v(m).repopulated.errorNs])).toEqual([
      [true, true, 0n],
      [false, false, 0n],
    ]);
  });
});

describe('the Windows charts', () => {
  it('none for a Linux guest; for Windows the step at resume per method (ms) and the H error series (µs)', () => {
    expect(windowsMigrationCharts(compareMigrationMethods(api, realistic, ['m0']))).toEqual([]);
    const r = compareMigrationMethods(api, { ...realistic, guest: 'windows' }, ['m0', 'm3']);
    const [step, error] = windowsMigrationCharts(r);
    expect([step.name, error.name]).toEqual(['windows-reference-step', 'windows-reference-error']);
    const steps = (step.spec.data as { values: { stepMs: number; readFrom: string }[] }).values;
    expect(steps.map((x) => [x.stepMs, x.readFrom])).toEqual([
      [-302.35, 'reference TSC page'],
      [200.0301, 'reference TSC page'],
    ]);
    const rows = (error.spec.data as { values: { method: string; errorUs: number }[] }).values;
    expect(rows).toHaveLength(50);
    expect(rows[0]).toMatchObject({ method: 'M0: reference TSC page', errorUs: -502_350.1 });
  });
});

describe('bad input', () => {
  it('an unknown guest is refused naming the field', () => {
    expect(() => compareMigrationMethods(api, { ...realistic, guest: 'solaris' as never })).toThrow(expect.objectContaining({ message: expect.stringContaining('"guest" expected one of "linux", "windows"') }));
  });
});
