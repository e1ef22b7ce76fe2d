/**
 * The clock model under kernel profiles (kernel-variants §1–§9, §12) and with requests that
 * wait for a vCPU entry: the standard reference reproduces the §9.2 table per profile; the
 * VM-wide ratio behind C′ is written at TSC synchronisation, so a per-vCPU KVM_SET_TSC_KHZ
 * after creation leaves it stale under 7.4-queued (§12.3) and not under clocks-v6; the
 * master clock with offset TSCs; keep-active re-snapshots; v6 KVM_[GS]ET_CLOCK_GUEST in the
 * lifecycle; and the paused VM whose host leaves the TSC (a pending master-clock update
 * with no clock update) before and after it resumes.
 *
 * Expected numbers come from the spec's tables or from the API's primitives (which the
 * kernel-validated vectors pin), not from the model's own helpers.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { KernelProfile } from '../../src/kernel/profile.js';
import { Host } from '../../src/model/host.js';
import { standardVm } from '../../src/model/standard.js';
import { Vm } from '../../src/model/vm.js';
import type { Vendor } from '../../src/model/vendor.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';

const M = 1_000_000_000_000n;
const lo64 = (x: bigint) => BigInt.asUintN(64, x);
const s64 = (x: bigint) => BigInt.asIntN(64, x);

function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error, none was thrown');
}

// kernel-variants §9.2: one day after the standard reference, A = 86,399,994,850,158 ns in every profile.
const A_ONE_DAY = 86_399_994_850_158n;
const TABLE_9_2: readonly {
  readonly host: number;
  readonly guest: number;
  readonly vendor: Vendor;
  readonly rows: Readonly<Record<'6.18' | '7.4-queued' | 'clocks-v6', readonly [b: bigint, c: bigint, step: bigint]>>;
}[] = [
  { host: 2_500_000, guest: 1_000_000, vendor: 'vmx', rows: { '6.18': [86_400_086_380_541n, 86_399_999_979_883n, -91_530_383n], '7.4-queued': [86_400_086_380_541n, 86_400_000_080_465n, -91_530_383n], 'clocks-v6': [86_400_000_080_466n, 86_400_000_080_465n, -5_230_308n] } },
  { host: 2_500_000, guest: 2_000_000, vendor: 'vmx', rows: { '6.18': [86_400_043_170_154n, 86_399_999_979_883n, -48_319_996n], '7.4-queued': [86_400_043_170_154n, 86_400_000_040_232n, -48_319_996n], 'clocks-v6': [86_400_000_040_233n, 86_400_000_040_232n, -5_190_075n] } },
  { host: 2_500_000, guest: 2_500_000, vendor: 'vmx', rows: { '6.18': [86_399_999_979_883n, 86_399_999_979_883n, -5_129_725n], '7.4-queued': [86_399_999_979_883n, 86_399_999_979_883n, -5_129_725n], 'clocks-v6': [86_399_999_979_883n, 86_399_999_979_883n, -5_129_725n] } },
  { host: 3_000_000, guest: 2_500_000, vendor: 'vmx', rows: { '6.18': [86_400_034_555_234n, 86_399_999_979_883n, -39_705_076n], '7.4-queued': [86_400_034_555_234n, 86_400_000_055_319n, -39_705_076n], 'clocks-v6': [86_400_000_055_320n, 86_400_000_055_319n, -5_205_162n] } },
  { host: 3_000_000, guest: 2_500_000, vendor: 'svm', rows: { '6.18': [86_400_034_547_187n, 86_399_999_979_883n, -39_697_029n], '7.4-queued': [86_400_034_547_187n, 86_400_000_047_273n, -39_697_029n], 'clocks-v6': [86_400_000_047_274n, 86_400_000_047_273n, -5_197_116n] } },
];

describe.each(BACKEND_NAMES)('the clock model under kernel profiles (%s backend)', (backend) => {
  const api = kvmclock(backend);
  const host = (khz = 2_500_000, o: { hasTscControl?: boolean } = {}) => new Host(api, { tscKhz: khz, vendor: 'vmx', rawClock: { cycleLast: M, rawSec: 0n, xtimeNsec: 0n }, ...o });
  const day = (khz: number) => BigInt(khz) * 1000n * 86_400n;

  describe('the standard reference after one day reproduces kernel-variants §9.2', () => {
    for (const t of TABLE_9_2) {
      for (const kernel of ['6.18', '7.4-queued', 'clocks-v6'] as const) {
        it(`${t.host} → ${t.guest} kHz ${t.vendor}, ${kernel}: A, B, C (KVM_GET_CLOCK) and the re-snapshot step`, () => {
          const { vm } = standardVm(api, { hostKhz: t.host, guestKhz: t.guest, vendor: t.vendor, kernel });
          const h = M + day(t.host);
          const [b, c, step] = t.rows[kernel];
          const v = vm.clocks(0, h);
          expect([v.a, v.b, v.c, vm.getClock(h).clock]).toEqual([A_ONE_DAY, b, c, c]);
          // The re-snapshot an unforced master-clock update takes: the guest clock snaps to A.
          vm.resnapshot(h, 'legacy');
          expect(vm.clocks(0, h).b - b).toBe(step);
        });
      }
    }

    it('with keep-active-masterclock an unforced update keeps the reference (step 0), a forced one (KVM_SET_CLOCK) does not', () => {
      const { vm } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', kernel: '6.18+keep-active-masterclock' });
      const h = M + day(2_500_000);
      const before = vm.clocks(0, h);
      vm.resnapshot(h, 'legacy');
      expect(vm.masterClock.cycleNow).toBe(M);
      expect(vm.clocks(0, h)).toEqual(before);
      const clock = vm.getClock(h).clock;
      vm.setClock(h, { clock });
      expect(vm.masterClock.cycleNow).toBe(h);
      expect(vm.clocks(0, h).b).toBe(clock); // re-based on the clock given: C, not B
      expect(clock - before.b).toBe(-86_400_658n);
    });
  });

  describe('the VM ratio behind C′ (kernel-variants §2, §6, §12.3)', () => {
    /** A VM whose vCPU is created at the host rate, then given 1 GHz by a per-vCPU KVM_SET_TSC_KHZ, with no later TSC write. */
    function perVcpuSetTscKhz(kernel: string) {
      const vm = new Vm(host(), { at: M, kernel });
      vm.createVcpu(M);
      vm.setTscKhz(0, M, 1_000_000);
      vm.run(M);
      return vm;
    }
    const ratio1GHz = api.tscRatio(1_000_000, 2_500_000, 48, (1n << 64n) - 1n);

    it('7.4-queued: the ratio stays the identity of the last synchronisation, so KVM_GET_CLOCK is the baseline C exactly', () => {
      const vm = perVcpuSetTscKhz('7.4-queued');
      expect(vm.tscMatching.tscScalingRatio).toBe(1n << 48n);
      expect(vm.vcpu(0).ratio).toBe(ratio1GHz);
      const h = M + day(2_500_000);
      const hs = api.getTimeScale(1_000_000_000n, 2_500_000_000n);
      const baselineC = api.pvclockRead(h, vm.masterClock.cycleNow, lo64(vm.masterClock.kernelNs + vm.kvmclockOffset), hs.mul, hs.shift);
      expect(vm.getClock(h).clock).toBe(baselineC);
      // The guest's B still runs on the kHz-floored pvclock: 86,400,658 ns a day ahead of what KVM_GET_CLOCK says (as 6.18).
      expect(vm.clocks(0, h).b - baselineC).toBe(86_400_658n);
    });

    it('clocks-v6: KVM_SET_TSC_KHZ re-synchronises, so the VM ratio follows and KVM_GET_CLOCK is within 1 ns of B', () => {
      const vm = perVcpuSetTscKhz('clocks-v6');
      expect(vm.tscMatching.tscScalingRatio).toBe(ratio1GHz);
      expect(vm.masterClock.tscScalingRatio).toBe(ratio1GHz);
      const h = M + day(2_500_000);
      expect(vm.clocks(0, h).b - vm.getClock(h).clock).toBe(1n);
    });

    it('7.4-queued: a host TSC write after KVM_SET_TSC_KHZ makes the ratio current again (the ratio is written at synchronisation)', () => {
      const vm = perVcpuSetTscKhz('7.4-queued');
      vm.hostWriteTsc(0, M + 1000n, 0n);
      expect(vm.tscMatching.tscScalingRatio).toBe(ratio1GHz);
      expect(vm.masterClock.tscScalingRatio).toBe(ratio1GHz); // a new generation: the running VM re-snapshots
    });

    it('resync-after-set-tsc-khz keeps the guest TSC continuous across the change; without it the TSC jumps', () => {
      for (const [kernel, continuous] of [['6.18', false], ['6.18+resync-after-set-tsc-khz', true]] as const) {
        const vm = new Vm(host(), { at: M, kernel });
        vm.createVcpu(M);
        vm.run(M);
        const h = M + 2_500_000_000n;
        const before = vm.clocks(0, h).guestTsc;
        vm.setTscKhz(0, h, 1_000_000);
        const after = vm.clocks(0, h).guestTsc;
        if (continuous) expect(after).toBe(before);
        else expect(after).toBe(lo64(vm.vcpu(0).l1TscOffset + api.scaleTsc(h, ratio1GHz, 48)));
        expect(after === before).toBe(continuous);
      }
    });
  });

  describe('the master clock with offset TSCs (masterclock-offset-tscs, §5)', () => {
    it('two vCPUs at one frequency with different offsets: 6.18 has no master clock; clocks-v6 has one, without TSC_STABLE', () => {
      for (const [kernel, inUse, blockers] of [
        ['6.18', false, ['vcpus-not-matched']],
        ['clocks-v6', true, []],
      ] as const) {
        const vm = new Vm(host(), { at: M, kernel });
        vm.createVcpu(M);
        vm.createVcpu(M);
        vm.run(M);
        vm.hostWriteTsc(1, M + 1000n, 1n << 50n); // far outside the ±1 s window: a new TSC generation
        expect(vm.masterClock).toMatchObject({ inUse, tscStable: false, blockers });
        for (const id of [0, 1]) expect(vm.vcpu(id).pvti?.flags).toBe(0);
        const mode = api.mclockMode(kernel, false, true, true, false, false);
        expect(mode).toEqual({ useMasterClock: inUse, tscStable: false });
      }
    });

    it('clocks-v6: matching the offsets again turns TSC_STABLE back on (the flip requests an update)', () => {
      const vm = new Vm(host(), { at: M, kernel: 'clocks-v6' });
      vm.createVcpu(M);
      vm.createVcpu(M);
      vm.run(M);
      vm.hostWriteTsc(1, M + 1000n, 1n << 50n);
      expect(vm.masterClock.tscStable).toBe(false);
      vm.setTscOffset(0, M + 2000n, vm.getTscOffset(1));
      expect(vm.masterClock).toMatchObject({ inUse: true, tscStable: true });
      expect(vm.vcpu(0).pvti?.flags).toBe(1);
    });
  });

  describe('KVM_[GS]ET_CLOCK_GUEST: the v6 ioctls under clocks-v6, the 2024 proposal elsewhere (§7)', () => {
    it('v6 GET gives the Hz-based record of the reference; the 2024 proposal gives the vCPU record (kHz factors)', () => {
      const v6 = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', kernel: 'clocks-v6' }).vm.getClockGuest(0, M);
      expect(v6).toMatchObject({ tscTimestamp: 399_999_999_999n, systemTime: 0n, tscToSystemMul: 2_147_483_650, tscShift: 1, flags: 1 });
      const old = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', kernel: '6.18' }).vm.getClockGuest(0, M);
      expect(old).toMatchObject({ tscTimestamp: 399_999_999_999n, systemTime: 0n, tscToSystemMul: 2_147_485_795, tscShift: 1, flags: 1 });
    });

    it('v6 SET refuses a record of another frequency with ERANGE (state unchanged); the 2024 proposal accepts it', () => {
      const foreign = standardVm(api, { hostKhz: 2_500_000, guestKhz: 2_000_000, vendor: 'vmx', kernel: 'clocks-v6' }).vm.getClockGuest(0, M);
      const { vm } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', kernel: 'clocks-v6' });
      const offset = vm.kvmclockOffset;
      const e = thrown(() => vm.setClockGuest(0, M + 1000n, foreign));
      expect(e.code).toBe('ERANGE');
      expect(e.message).toContain('1000');
      expect(vm.kvmclockOffset).toBe(offset);
      const old = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', kernel: '6.18' }).vm;
      old.setClockGuest(0, M + 1000n, foreign);
      expect(old.kvmclockOffset).not.toBe(offset);
    });

    it('v6 SET checks the shift (±31) and the guest TSC against the record (EINVAL)', () => {
      const { vm } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', kernel: 'clocks-v6' });
      const rec = vm.getClockGuest(0, M);
      expect(thrown(() => vm.setClockGuest(0, M + 1n, { ...rec, tscShift: 32 })).message).toContain('tsc_shift 32');
      expect(thrown(() => vm.setClockGuest(0, M + 1n, { ...rec, tscTimestamp: rec.tscTimestamp + 10n ** 9n })).message).toContain('below the record');
    });

    it('a v6 GET → SET round trip a day later keeps B (the worked round trip: +931 ns over 1000 s when K moves)', () => {
      const { vm } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', kernel: 'clocks-v6' });
      const rec = vm.getClockGuest(0, M);
      const h = M + day(2_500_000);
      const before = vm.clocks(0, h).b;
      vm.setClockGuest(0, h, rec);
      const after = vm.clocks(0, h).b;
      // The new reference evaluates the same record at the guest TSC of h: B moves by at most the 1 ns floor.
      expect(after - before === 0n || after - before === -1n || after - before === 1n).toBe(true);
      const expected = api.setClockGuestV6({ tscTimestamp: rec.tscTimestamp, systemTime: rec.systemTime, mul: rec.tscToSystemMul, shift: rec.tscShift }, false, true, h, s64(vm.masterClock.kernelNs), 0n, vm.vcpu(0).ratio, 48, 2_500_000n, true);
      expect(vm.kvmclockOffset).toBe(expected.kvmclockOffset);
    });
  });

  describe('requests wait for a vCPU entry: a paused VM whose host leaves the TSC', () => {
    /**
     * A 2.5 → 1.0 GHz guest runs a day, is paused, and the host clocksource moves from the TSC to
     * HPET: pvclock_gtod_notify requests a master-clock update, but no vCPU enters to service it.
     */
    function pausedAtClocksourceChange(kernel: string) {
      const { vm } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', kernel });
      const pause = M + day(2_500_000);
      vm.pause(pause);
      vm.hostClocksourceChange(pause + 1000n, 'other');
      return { vm, pause };
    }

    for (const kernel of ['6.18', '7.4-queued', 'clocks-v6']) {
      it(`${kernel}: before resume the master clock is still on from the old reference; after resume it is off and B snaps to A`, () => {
        const { vm, pause } = pausedAtClocksourceChange(kernel);
        const k = KernelProfile.parse(kernel);
        const h = pause + 150_000_000_000n; // a minute later, still paused
        expect(vm.masterClock).toMatchObject({ inUse: true, updatePending: true, cycleNow: M });
        const before = vm.clocks(0, h);
        // KVM_GET_CLOCK: still C (C′) from the old reference; without a TSC-based host clock no REALTIME/HOST_TSC.
        const got = vm.getClock(h);
        expect(got.flags).toBe(2);
        expect(got.clock).toBe(api.getKvmclock(k, h, M, 0n, vm.kvmclockOffset, vm.masterClock.tscScalingRatio, 48, 2_500_000n, true));
        // KVM_GET_CLOCK_GUEST: no clock update is pending, so the record of the old reference (stable).
        const rec = vm.getClockGuest(0, h);
        expect([rec.tscTimestamp, rec.systemTime, rec.flags]).toEqual([399_999_999_999n, 0n, 1]);
        expect(rec.tscToSystemMul).toBe(k.has('hz-pvclock') ? 2_147_483_650 : 2_147_485_795);

        vm.run(h); // the first entry services the master-clock update: the master clock goes off
        expect(vm.masterClock).toMatchObject({ inUse: false, updatePending: false, blockers: ['host-clocksource-not-tsc'] });
        const after = vm.clocks(0, h);
        expect(after.b).toBe(after.a); // records re-based on "now" (A)
        expect(after.b - before.b).toBe(before.a - before.b);
        expect(vm.vcpu(0).pvti?.flags).toBe(0); // no TSC_STABLE: the guest's last_value guard holds the clock still instead
        expect(vm.getClock(h)).toEqual({ clock: after.a, flags: 0 });
        expect(thrown(() => vm.getClockGuest(0, h)).code).toBe('EINVAL');
      });
    }

    it('the step at resume is the A − B of the profile: −91,657,508 ns (6.18, 7.4-queued) and −5,237,572 ns (clocks-v6) after a day and two minutes', () => {
      const steps = ['6.18', '7.4-queued', 'clocks-v6'].map((kernel) => {
        const { vm, pause } = pausedAtClocksourceChange(kernel);
        const h = pause + 300_000_000_000n;
        const b = vm.clocks(0, h).b;
        vm.run(h);
        return vm.clocks(0, h).b - b;
      });
      expect(steps).toEqual([-91_657_508n, -91_657_508n, -5_237_572n]);
    });

    it('a running VM drops the master clock at the change itself (the request is serviced at once)', () => {
      const { vm } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' });
      vm.hostClocksourceChange(M + 1000n, 'other');
      expect(vm.masterClock).toMatchObject({ inUse: false, updatePending: false });
    });
  });

  describe('software catch-up follows the profile (upscale-to-now, §4)', () => {
    it('the L1 offset after a clock update equals api.tscCatchup under each profile (and the two profiles differ)', () => {
      const offsets: bigint[] = [];
      for (const kernel of ['6.18', '7.4-queued']) {
        const hs = host(2_500_000, { hasTscControl: false });
        const vm = new Vm(hs, { at: M, kernel, guestTscKhz: 3_000_000 });
        vm.createVcpu(M);
        vm.run(M);
        const v0 = vm.vcpu(0);
        expect(v0.tscCatchup).toBe(true);
        const h = M + day(2_500_000);
        const expected = api.tscCatchup(kernel, v0.thisTscWrite, v0.thisTscNsec, v0.virtualTscMult, v0.virtualTscShift, v0.l1TscOffset, v0.ratio, 48, vm.masterClock.cycleNow, s64(vm.masterClock.kernelNs), h, s64(hs.kvmclockBaseNs(h)));
        vm.clockUpdate(h);
        expect(vm.vcpu(0).l1TscOffset).toBe(expected.l1Offset);
        expect(vm.vcpu(0).pvti?.tscTimestamp).toBe(expected.tscTimestamp);
        offsets.push(expected.l1Offset);
      }
      // 6.18 measures the lag at the reference (none: the vCPU was just created), upscale-to-now at the update.
      expect(offsets[0]).not.toBe(offsets[1]);
    });
  });
});
