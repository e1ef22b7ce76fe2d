/**
 * The spec's worked numbers (§9) reproduced by the clock model on the standard
 * reference, and the re-snapshot, GET/SET_CLOCK_GUEST behaviour the model exists to show.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { clockSummary } from '../../src/model/clock-summary.js';
import { standardVm } from '../../src/model/standard.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';

const DAY_NS = 86_400_000_000_000n;

describe.each(BACKEND_NAMES)('clock model on the %s backend', (backend) => {
  const api = kvmclock(backend);

  it.each([
    // host kHz, guest kHz, vendor, A, B, C (spec §9.3)
    [2_500_000, 1_000_000, 'vmx', 86_399_994_850_158n, 86_400_086_380_541n, 86_399_999_979_883n],
    [2_500_000, 2_000_000, 'vmx', 86_399_994_850_158n, 86_400_043_170_154n, 86_399_999_979_883n],
    [2_500_000, 2_500_000, 'vmx', 86_399_994_850_158n, 86_399_999_979_883n, 86_399_999_979_883n],
    [3_000_000, 2_500_000, 'vmx', 86_399_994_850_158n, 86_400_034_555_234n, 86_399_999_979_883n],
    [3_000_000, 2_500_000, 'svm', 86_399_994_850_158n, 86_400_034_547_187n, 86_399_999_979_883n],
  ] as const)('one day at %i → %i kHz (%s) gives the spec’s A, B, C', (hostKhz, guestKhz, vendor, a, b, c) => {
    const s = clockSummary(api, { hostKhz, guestKhz, vendor }, DAY_NS);
    expect([s.a, s.b, s.c]).toEqual([a, b, c]);
    expect(s.bMinusA).toBe(b - a);
    expect(s.cMinusA).toBe(c - a);
  });

  it('a 2.5 → 1.0 GHz VMX guest’s kvmclock gains 86.4 ms a day on C (the tgt_tsc_khz truncation)', () => {
    const s = clockSummary(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' }, DAY_NS);
    expect(s.vcpu.tgtTscKhz).toBe(999_999n);
    expect(s.bMinusC).toBe(86_400_658n); // +1000.008 ppb × 86400 s
  });

  it('the raw clock at 2.5 GHz runs −59.6 ppb slow (A against nominal time)', () => {
    const s = clockSummary(api, { hostKhz: 2_500_000, guestKhz: 2_500_000, vendor: 'vmx' }, DAY_NS);
    // (A − t)/t in ppb, exactly: −5,149,842 ns over a day
    expect(s.a - DAY_NS).toBe(-5_149_842n);
    expect(Number(s.a - DAY_NS) / 86_400).toBeCloseTo(-59.605, 3);
  });

  it('a legacy master-clock re-snapshot after one day at 2.5 → 1.0 GHz steps the guest back by ≈91.5 ms; the continuous variant by 0', () => {
    for (const variant of ['legacy', 'continuous'] as const) {
      const { host, vm, m } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' });
      const h = host.tscAfterSeconds(m, 86_400n);
      const before = vm.clocks(0, h).b;
      vm.resnapshot(h, variant);
      const step = vm.clocks(0, h).b - before;
      expect(step).toBe(variant === 'legacy' ? -91_530_383n : 0n);
      // Legacy snaps the guest clock to A; continuous keeps B and moves kvmclock_offset.
      if (variant === 'legacy') expect(vm.clocks(0, h).b).toBe(vm.clocks(0, h).a);
      else expect(vm.kvmclockOffset).toBe(91_530_383n);
      expect(vm.masterClock.cycleNow).toBe(h);
    }
  });

  it('the model’s re-snapshot equals the pure mclock_step arithmetic', () => {
    const s = clockSummary(api, { hostKhz: 3_000_000, guestKhz: 2_500_000, vendor: 'svm' }, 30n * DAY_NS);
    const { host, vm, m } = standardVm(api, { hostKhz: 3_000_000, guestKhz: 2_500_000, vendor: 'svm' });
    const h = host.tscAfterSeconds(m, 30n * 86_400n);
    const before = vm.clocks(0, h).b;
    vm.resnapshot(h, 'legacy');
    expect(vm.clocks(0, h).b - before).toBe(s.resnapshotStepNs);
  });

  it('KVM_GET_CLOCK_GUEST then KVM_SET_CLOCK_GUEST on the same host leaves B unchanged to the nanosecond', () => {
    const { host, vm, m } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' });
    const h = host.tscAfterSeconds(m, 86_400n) + 12_345n;
    const record = vm.getClockGuest(0);
    const before = vm.clocks(0, h).b;
    const later = [h + 1n, h + 2_500_000_000n, h + 3_600n * 2_500_000_000n, h + 86_400n * 2_500_000_000n];
    const laterBefore = later.map((p) => vm.clocks(0, p).b);
    vm.setClockGuest(0, h, record);
    // Exactly the same value at the instant the new reference is taken…
    expect(vm.clocks(0, h).b).toBe(before);
    expect(vm.masterClock.cycleNow).toBe(h);
    expect(vm.vcpu(0).pvti?.tscTimestamp).not.toBe(record.tscTimestamp);
    // …and the same line afterwards, up to the floor of the pvclock multiply, which is
    // not additive: ⌊x·m⌋ + ⌊y·m⌋ may be one less than ⌊(x + y)·m⌋.
    later.forEach((p, i) => {
      const diff = vm.clocks(0, p).b - laterBefore[i];
      expect(diff >= -1n && diff <= 1n, `B moved by ${diff} ns at +${p - h} cycles`).toBe(true);
    });
  });

  it('KVM_SET_CLOCK_GUEST without a master clock fails with EINVAL and changes nothing', () => {
    const { host, vm, m } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' });
    const record = vm.getClockGuest(0);
    const h = host.tscAfterSeconds(m, 3_600n);
    vm.hostClocksourceChange(h, 'other');
    expect(vm.masterClock.inUse).toBe(false);
    expect(vm.masterClock.blockers).toEqual(['host-clocksource-not-tsc']);
    const later = h + 1_000_000n;
    const state = { master: vm.masterClock, offset: vm.kvmclockOffset, vcpu: vm.vcpu(0), clocks: vm.clocks(0, later), now: vm.now };
    expect(() => vm.setClockGuest(0, later, record)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect({ master: vm.masterClock, offset: vm.kvmclockOffset, vcpu: vm.vcpu(0), clocks: vm.clocks(0, later), now: vm.now }).toEqual(state);
    expect(() => vm.getClockGuest(0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
