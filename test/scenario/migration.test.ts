/**
 * The migration document's expectations, as tests: each method is run on the model as
 * the VMM's ioctls, then measured at the resume instant against the ideal.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { compareMigrationMethods, type MethodResult, type MigrationConfig } from '../../src/scenario/migration.js';
import { hotplugSteps } from '../../src/scenario/hotplug.js';

const api = kvmclock('wasm');
const DAY = 86_400_000_000_000n;
const MS = 1_000_000n;

const base: MigrationConfig = {
  src: { tscKhz: 2_500_000, vendor: 'vmx' },
  dst: { tscKhz: 2_500_000, vendor: 'vmx' },
  guestKhz: 1_000_000,
  vcpus: 2,
  uptimeNs: DAY,
  downtimeNs: 300n * MS,
  syncErrorNs: 50_000n,
  vcpuGapNs: 10_000n,
  dstNoMasterClock: false,
  liveUpdate: false,
};

function run(config: Partial<MigrationConfig>, method: MethodResult['method']): MethodResult {
  return compareMigrationMethods(api, { ...base, ...config }, [method]).results[0];
}

const near = (v: bigint, target: bigint, tolerance: bigint) => (v > target ? v - target : target - v) <= tolerance;

describe('live update with M4 is cycle- and nanosecond-perfect', () => {
  it.each([
    ['vmx', 2_500_000, 1_000_000],
    ['vmx', 2_500_000, 2_500_000],
    ['svm', 3_000_000, 2_500_000],
    ['svm', 2_400_000, 2_400_000],
    ['vmx', 3_700_000, 3_000_000],
  ] as const)('%s host %i kHz, guest %i kHz', (vendor, hostKhz, guestKhz) => {
    for (const uptimeNs of [0n, DAY, 30n * DAY]) {
      const r = run({ src: { tscKhz: hostKhz, vendor }, dst: { tscKhz: hostKhz, vendor }, guestKhz, uptimeNs, liveUpdate: true }, 'm4');
      expect(r.tscErrorCycles).toBe(0n);
      expect(r.kvmclockErrorNs).toBe(0n);
      expect(r.disagreementNs).toBe(0n);
      expect(r.vcpuSkewCycles).toBe(0n);
      expect(r.fallback).toBeNull();
    }
  });
});

describe('M3 between hosts', () => {
  it.each([
    [50_000n, 2_500_000, 'vmx'],
    [-2_000_000n, 3_000_000, 'svm'],
    [0n, 2_400_000, 'vmx'],
  ] as const)('sync error %i ns: TSC and KVM clock errors equal it, no disagreement (dst %i kHz %s)', (syncErrorNs, dstKhz, vendor) => {
    const r = run({ syncErrorNs, dst: { tscKhz: dstKhz, vendor } }, 'm3');
    expect(near(r.tscErrorNs, syncErrorNs, 1n)).toBe(true);
    expect(near(r.kvmclockErrorNs, syncErrorNs, 3n)).toBe(true); // the pvclock's rounding
    expect(near(r.disagreementNs, 0n, 1n)).toBe(true);
    expect(r.fallback).toBeNull();
    expect(r.dstMasterClock).toBe(true);
  });

  it('without a destination master clock, KVM_SET_CLOCK_GUEST fails with EINVAL and the VMM falls back', () => {
    const r = run({ dstNoMasterClock: true }, 'm3');
    expect(r.fallback).toMatch(/EINVAL/);
    expect(r.dstMasterClock).toBe(false);
    expect(r.operations.some((op) => op.includes('EINVAL'))).toBe(true);
    // The fallback re-bases the clock as M2 does: the C − B step appears again.
    expect(near(r.kvmclockErrorNs, -86_400_658n + base.syncErrorNs, 100_000n)).toBe(true);
    // Without a master clock the record has no TSC_STABLE: the guest's guard holds the clock instead of stepping back.
    expect(r.guardApplies).toBe(true);
  });
});

describe('M0 and M2 restore C, not B: the C − B divergence since the last reference appears as a step', () => {
  for (const days of [1n, 2n, 4n]) {
    it(`after ${days} day(s) of uptime, 2.5 GHz host → 1.0 GHz VMX guest`, () => {
      const expected = -86_400_658n * days; // C − B over `days`, spec §9 (−86.4 ms a day)
      const m0 = run({ uptimeNs: days * DAY }, 'm0');
      // M0 resumes where it stopped: the step the guest sees is C − B (plus the VMM's ioctl time).
      expect(near(m0.resumeStepNs, expected, 100_000n)).toBe(true);
      expect(near(m0.kvmclockErrorNs, expected - base.downtimeNs, 100_000n)).toBe(true);
      const m2 = run({ uptimeNs: days * DAY }, 'm2');
      // M2 also carries the sync error; the ideal line gains ~1 ppm over the downtime (300 ns here).
      expect(near(m2.kvmclockErrorNs, expected + base.syncErrorNs, 1_000n)).toBe(true);
      expect(near(m2.tscErrorNs, base.syncErrorNs, 2n)).toBe(true);
    });
  }
});

describe('M1 pauses the TSC but advances the KVM clock', () => {
  it('the TSC/kvmclock disagreement equals the downtime (with no uptime to add C − B)', () => {
    for (const downtimeNs of [300n * MS, 5_000n * MS]) {
      const r = run({ uptimeNs: 0n, downtimeNs }, 'm1');
      // The REALTIME flag adds the real time passed between the source's KVM_GET_CLOCK and the
      // destination's KVM_SET_CLOCK: the downtime, less the VMM's per-vCPU ioctl time around it.
      expect(near(r.disagreementNs, downtimeNs, 100_000n)).toBe(true);
      expect(near(r.tscErrorNs, -downtimeNs, 100_000n)).toBe(true);
    }
  });
});

describe('M5 stops the clocks and tells the guest', () => {
  it('REALTIME is behind by the downtime until the guest handles the notification', () => {
    const r = run({ uptimeNs: 0n }, 'm5');
    expect(near(r.realtimeErrorNs, -base.downtimeNs, 100_000n)).toBe(true);
    expect(near(r.realtimeErrorAfterNotifyNs, 0n, 100_000n)).toBe(true);
  });
});

describe('vCPU hotplug after long uptimes', () => {
  it('steps the guest clock back by B − A under the legacy rule, not at all under the current rule or a continuous re-snapshot', () => {
    const steps = hotplugSteps(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' }, [DAY, 30n * DAY, 90n * DAY]);
    expect(steps.map((s) => s.legacyStepNs)).toEqual(steps.map((s) => -s.bMinusANs));
    expect(steps[0].legacyStepNs).toBe(-91_530_383n);
    expect(steps.every((s) => s.currentRuleStepNs === 0n && s.continuousStepNs === 0n)).toBe(true);
    // The divergence, and so the step, grows linearly with the time since the reference (within a few ns of rounding).
    expect(near(steps[1].legacyStepNs, 30n * steps[0].legacyStepNs, 30n)).toBe(true);
  });
});

describe('bad input', () => {
  it.each([
    [{ vcpus: 0 }, 'vcpus'],
    [{ guestKhz: 0 }, 'guestKhz'],
    [{ src: { tscKhz: 2 ** 32, vendor: 'vmx' } }, 'srcKhz'],
    [{ dst: { tscKhz: 2_500_000, vendor: 'arm' } }, 'vendor'],
    [{ downtimeNs: -1n }, 'downtime'],
    [{ downtimeNs: 10n }, 'downtime'],
  ] as const)('%o is refused naming %s', (patch, field) => {
    expect(() => compareMigrationMethods(api, { ...base, ...(patch as Partial<MigrationConfig>) })).toThrow(expect.objectContaining({ message: expect.stringContaining(field) }));
  });
});
