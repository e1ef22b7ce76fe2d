/**
 * The clock model's operations (src/model/vm.ts, host.ts, pvclock-record.ts) against the
 * spec (§5.4–5.6, §6.3–6.4, §7, §8) and the issue: vCPU creation and hotplug,
 * KVM_SET_TSC_KHZ, TSC writes and matching, KVM_VCPU_TSC_OFFSET, KVM_GET/SET_CLOCK,
 * clocksource changes, CLOCK_REALTIME, bad input, and what the guest's clock read returns.
 *
 * Expected values come from the spec's tables or from the arithmetic primitives of the
 * API (which the kernel vectors validate), not from the model's own helpers.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { clockA, clockB, clockC } from '../../src/model/definitions.js';
import { Host, type HostOptions } from '../../src/model/host.js';
import { guestClockRead, MAX_VERSION_RETRIES, type PvclockRecord } from '../../src/model/pvclock-record.js';
import { type TscMatchingRule, Vm, type VmOptions } from '../../src/model/vm.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';

const START = 1_000_000_000_000n; // host TSC at VM creation
const NSEC = 1_000_000_000n;
const U64 = (1n << 64n) - 1n;
const lo64 = (x: bigint) => BigInt.asUintN(64, x);
const s64 = (x: bigint) => BigInt.asIntN(64, x);

/** The error `f` throws (fails the test if it returns). */
function thrown(f: () => unknown): Error & { code?: string; argument?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string; argument?: string };
  }
  throw new Error('expected an error, none was thrown');
}

describe.each(BACKEND_NAMES)('clock model operations on the %s backend', (backend) => {
  const api = kvmclock(backend);

  function makeHost(o: Partial<HostOptions> = {}): Host {
    return new Host(api, { tscKhz: 2_500_000, vendor: 'vmx', ...o });
  }
  /**
   * A VM created at START with `vcpus` vCPUs created at START and run there: a running
   * guest, so requests are serviced when raised (the model defers them only while the
   * vCPUs are not running; see 'requests wait for a vCPU entry').
   */
  function makeVm(o: { host?: Partial<HostOptions>; vm?: Partial<VmOptions>; vcpus?: number } = {}): { host: Host; vm: Vm } {
    const host = makeHost(o.host);
    const vm = new Vm(host, { at: START, ...o.vm });
    for (let i = 0; i < (o.vcpus ?? 1); i++) vm.createVcpu(START);
    vm.run(START);
    return { host, vm };
  }
  /** Host TSC `s` seconds after START at the host's kHz. */
  const after = (host: Host, s: bigint, extra = 0n) => START + BigInt(host.tscKhz) * 1000n * s + extra;

  /** Everything observable about a VM at host TSC h (for "unchanged after a rejection"). */
  function state(vm: Vm, h: bigint) {
    const ids = Array.from({ length: vm.vcpuCount }, (_, i) => i);
    return {
      now: vm.now,
      offset: vm.kvmclockOffset,
      master: vm.masterClock,
      matching: vm.tscMatching,
      lastValue: vm.guestLastValue,
      vcpus: ids.map((i) => vm.vcpu(i)),
      clocks: ids.map((i) => vm.clocks(i, h)),
      host: { khz: vm.host.tscKhz, kind: vm.host.clocksourceKind, raw: vm.host.rawReference, cs: vm.host.clocksource },
    };
  }

  // ------------------------------------------------------------------ creation and hotplug

  describe('VM and vCPU creation', () => {
    it('KVM_CREATE_VM sets kvmclock_offset = −(RAW + offs_boot) and leaves the master clock off (no vCPU)', () => {
      const host = makeHost({ offsBootNs: 7_000_000n });
      const vm = new Vm(host, { at: START });
      const cs = api.clocksourceKhz(2_500_000);
      const base = api.rawNs(START, 0n, 0n, 0n, cs.mult, cs.shift) + 7_000_000n;
      expect(vm.kvmclockOffset).toBe(-base);
      expect(vm.masterClock.inUse).toBe(false);
      expect(vm.masterClock.blockers).toEqual(['no-vcpus']);
      expect(vm.vcpuCount).toBe(0);
    });

    it('the first vCPU requests the master clock; its first entry turns it on, with its guest TSC starting at 0 and A = B = C at the reference', () => {
      const host = makeHost();
      const vm = new Vm(host, { at: START });
      const h = START + 123_456_789n;
      expect(vm.createVcpu(h)).toBe(0);
      // KVM_REQ_MASTERCLOCK_UPDATE and the first clock update wait for the vCPU to enter the guest.
      expect(vm.running).toBe(false);
      expect(vm.masterClock).toMatchObject({ inUse: false, updatePending: true, blockers: ['awaiting-masterclock-update'] });
      expect(vm.vcpu(0).pvti).toBeNull();
      const hRun = h + 1000n;
      vm.run(hRun);
      const mc = vm.masterClock;
      expect(mc.inUse).toBe(true);
      expect(mc.updatePending).toBe(false);
      expect(mc.blockers).toEqual([]);
      expect(mc.cycleNow).toBe(hRun); // the snapshot is taken when the request is serviced
      expect(mc.kernelNs).toBe(host.kvmclockBaseNs(hRun));
      const v = vm.vcpu(0);
      expect(v.l1TscOffset).toBe(lo64(-h)); // a sync write of 0: guest TSC 0 at creation
      expect(v.ratio).toBe(1n << 48n);
      expect(v.virtualTscKhz).toBe(2_500_000);
      expect(v.pvti).toEqual({
        version: v.pvti?.version,
        tscTimestamp: 1000n, // the guest TSC at the reference, 1000 cycles after creation
        systemTime: lo64(mc.kernelNs + vm.kvmclockOffset),
        tscToSystemMul: 3_435_973_836, // §4.2: 2.5 GHz
        tscShift: -1,
        flags: 1, // PVCLOCK_TSC_STABLE_BIT
      });
      expect((v.pvti?.version ?? 1) % 2).toBe(0);
      const c = vm.clocks(0, hRun);
      expect(c.guestTsc).toBe(1000n);
      expect(c.a).toBe(c.b);
      expect(c.b).toBe(c.c);
      expect(c.kvmclockNs).toBe(c.c);
      expect(vm.tscMatching).toMatchObject({ generation: 1, nrVcpusMatched: 0, lastTscKhz: 2_500_000, userSetTsc: false });
    });

    it.each(['current', 'legacy'] as const)('a second, matched vCPU hotplugged after 3 days keeps the master clock on (%s rule)', (rule: TscMatchingRule) => {
      const { host, vm } = makeVm({ vm: { tscMatchingRule: rule } });
      const h = after(host, 3n * 86_400n);
      const before = vm.clocks(0, h);
      const record0 = vm.vcpu(0).pvti;
      expect(before.b - before.a).toBe(15_389_174n); // +5.13 ms/day (§9.1) for 3 days

      expect(vm.createVcpu(h)).toBe(1);
      expect(vm.tscMatching).toMatchObject({ generation: 1, nrVcpusMatched: 1 });
      expect(vm.masterClock.inUse).toBe(true);
      expect(vm.vcpu(1).l1TscOffset).toBe(vm.vcpu(0).l1TscOffset); // matched: same TSC as vCPU 0
      const now0 = vm.clocks(0, h);
      const now1 = vm.clocks(1, h);
      expect(now1.guestTsc).toBe(now0.guestTsc);
      if (rule === 'current') {
        // No re-snapshot: nothing steps. The new vCPU's first load requests a global clock
        // update, so vCPU 0's record is rewritten from the same reference: only its version moves.
        expect(vm.masterClock.cycleNow).toBe(START);
        expect(vm.vcpu(0).pvti).toEqual({ ...record0, version: record0!.version + 2 });
        expect(now0).toEqual(before);
        expect(now1.b).toBe(before.b);
      } else {
        // Legacy: every hotplug re-snapshots; the guest clock snaps to A, B steps by A − B.
        expect(vm.masterClock.cycleNow).toBe(h);
        expect(now0.b - before.b).toBe(before.a - before.b);
        expect(now0.b - before.b).toBe(-15_389_174n);
        expect(now0.b).toBe(before.a);
        expect(now0.a).toBe(before.a); // A is the reference and does not move
        expect(now1.b).toBe(now0.b);
      }
    });
  });

  describe('the pure definitions (definitions.ts) and the VM agree while the records are current', () => {
    it('A, B and C from clockState equal vm.clocks after creation, hotplug, KVM_SET_CLOCK and a re-snapshot', () => {
      const { host, vm } = makeVm({ vm: { guestTscKhz: 1_000_000, tscMatchingRule: 'legacy' } });
      const check = (h: bigint) => {
        for (let id = 0; id < vm.vcpuCount; id++) {
          const s = vm.clockState(id);
          const c = vm.clocks(id, h);
          expect([clockA(api, s, h), clockB(api, s, h), clockC(api, s, h)]).toEqual([c.a, c.b, c.c]);
        }
      };
      check(after(host, 86_400n));
      vm.createVcpu(after(host, 86_400n));
      check(after(host, 2n * 86_400n));
      vm.setClock(after(host, 2n * 86_400n), { clock: 10n ** 15n });
      check(after(host, 3n * 86_400n, 12_345n));
      vm.resnapshot(after(host, 3n * 86_400n), 'continuous');
      check(after(host, 4n * 86_400n, 1n));
    });
  });

  describe('hotplug corner cases', () => {
    it('a hotplugged vCPU at a different kHz than the last synchronised one starts a new generation: master clock off', () => {
      const { host, vm } = makeVm();
      const h = after(host, 60n);
      vm.setTscKhz(0, h, 1_000_000);
      vm.hostWriteTsc(0, h, 0n); // kHz differs from last_tsc_khz: not matched, new generation at the new rate
      expect(vm.tscMatching).toMatchObject({ generation: 2, lastTscKhz: 1_000_000 });
      expect(vm.masterClock.inUse).toBe(true); // one vCPU: still "all matched"
      expect(vm.clocks(0, h).guestTsc).toBe(0n);
      vm.createVcpu(after(host, 120n)); // the VM default is still 2.5 GHz
      expect(vm.tscMatching).toMatchObject({ generation: 3, nrVcpusMatched: 0 });
      expect(vm.masterClock.inUse).toBe(false);
      expect(vm.masterClock.blockers).toEqual(['vcpus-not-matched']);
    });

    it('with an unstable host TSC a synchronising write adds the elapsed time (nsec_to_cycles) instead of reusing the offset', () => {
      const { host, vm } = makeVm({ vm: { unstableTsc: true } });
      const h = after(host, 1n);
      vm.createVcpu(h);
      const v0 = vm.vcpu(0);
      const elapsed = host.kvmclockBaseNs(h) - host.kvmclockBaseNs(START);
      const data = api.pvclockScaleDelta(elapsed, v0.virtualTscMult, v0.virtualTscShift);
      expect(vm.clocks(1, h).guestTsc).toBe(data);
      expect(vm.clocks(0, h).guestTsc - data).toBe(150n); // RAW runs 59.6 ppb slow against the TSC
      expect(vm.tscMatching.nrVcpusMatched).toBe(1);
    });
  });

  describe('KVM_RUN (vCPU load)', () => {
    it('a first run, or a run without the master clock, rewrites every record (global clock update); otherwise nothing', () => {
      const host = makeHost();
      const vm = new Vm(host, { at: START });
      vm.createVcpu(START);
      vm.createVcpu(START);
      expect([vm.vcpu(0).pvti, vm.vcpu(1).pvti]).toEqual([null, null]); // not yet entered: the requests wait
      const h1 = after(host, 10n);
      vm.run(h1); // first load: the master-clock update and every clock update are serviced at h1
      expect([vm.vcpu(0).hasRun, vm.vcpu(1).hasRun]).toEqual([true, true]);
      expect(vm.masterClock).toMatchObject({ inUse: true, cycleNow: h1 });
      const again = vm.vcpu(0).pvti;
      vm.run(after(host, 20n));
      expect(vm.vcpu(0).pvti).toEqual(again); // all have run, master clock on: no update
      vm.hostClocksourceChange(after(host, 30n), 'other');
      const h = after(host, 3_600n);
      expect(vm.clocks(1, h).b).not.toBe(vm.clocks(1, h).a);
      vm.run(h); // master clock off: records rewritten from now
      for (const id of [0, 1]) expect(vm.clocks(id, h).b).toBe(vm.clocks(id, h).a);
      expect(thrown(() => vm.run(h - 1n)).argument).toBe('at');
    });
  });

  // ------------------------------------------------------------------ KVM_SET_TSC_KHZ

  describe('KVM_SET_TSC_KHZ', () => {
    it('within the ±250 ppm window (2,499,375 … 2,500,625 kHz at 2.5 GHz) there is no scaling; just outside there is', () => {
      const { host, vm } = makeVm();
      const h = after(host, 1n);
      const def = 1n << 48n;
      for (const [khz, scaled] of [
        [2_500_625, false],
        [2_499_375, false],
        [2_500_626, true],
        [2_499_374, true],
      ] as const) {
        vm.setTscKhz(0, h, khz);
        const v = vm.vcpu(0);
        expect(v.virtualTscKhz).toBe(khz);
        expect(v.setTscKhzResult?.useScaling).toBe(scaled);
        expect(v.ratio).toBe(scaled ? (def * BigInt(khz)) / 2_500_000n : def);
      }
    });

    it('KVM_SET_TSC_KHZ 0 means the host tsc_khz', () => {
      const { host, vm } = makeVm({ vm: { guestTscKhz: 1_000_000 } });
      expect(vm.vcpu(0).ratio).not.toBe(1n << 48n);
      vm.setTscKhz(0, after(host, 1n), 0);
      expect(vm.vcpu(0).virtualTscKhz).toBe(2_500_000);
      expect(vm.vcpu(0).ratio).toBe(1n << 48n);
    });

    it.each([
      // host kHz, guest kHz, VMX ratio, SVM ratio (spec §5.4)
      [2_500_000, 1_000_000, 112_589_990_684_262n, 1_717_986_918n],
      [2_500_000, 2_000_000, 225_179_981_368_524n, 3_435_973_836n],
      [2_500_000, 2_500_000, 281_474_976_710_656n, 4_294_967_296n],
      [2_500_000, 3_000_000, 337_769_972_052_787n, 5_153_960_755n],
      [3_000_000, 1_000_000, 93_824_992_236_885n, 1_431_655_765n],
      [3_000_000, 2_000_000, 187_649_984_473_770n, 2_863_311_530n],
      [3_000_000, 2_500_000, 234_562_480_592_213n, 3_579_139_413n],
    ] as const)('host %i kHz → guest %i kHz selects the spec’s VMX and SVM ratios', (hostKhz, guestKhz, vmxRatio, svmRatio) => {
      for (const [vendor, ratio] of [
        ['vmx', vmxRatio],
        ['svm', svmRatio],
      ] as const) {
        const { host, vm } = makeVm({ host: { tscKhz: hostKhz, vendor } });
        vm.setTscKhz(0, after(host, 1n), guestKhz);
        expect(vm.vcpu(0).ratio).toBe(ratio);
      }
    });

    it('the pvclock frequency is the floored kHz product of the floored ratio (tgt_tsc_khz, §5.5)', () => {
      for (const [hostKhz, guestKhz, tgt] of [
        [2_500_000, 1_000_000, 999_999n],
        [3_000_000, 2_500_000, 2_499_999n],
        [3_000_000, 1_500_000, 1_500_000n], // exact ratio
      ] as const) {
        const { host, vm } = makeVm({ host: { tscKhz: hostKhz }, vm: { guestTscKhz: guestKhz } });
        const v = vm.vcpu(0);
        expect(v.hwTscKhz).toBe(tgt);
        const scale = api.getTimeScale(NSEC, tgt * 1000n);
        expect([v.pvti?.tscToSystemMul, v.pvti?.tscShift]).toEqual([scale.mul, scale.shift]);
        // A later KVM_SET_TSC_KHZ only takes effect in the record at the next clock update.
        vm.setTscKhz(0, after(host, 1n), hostKhz);
        expect(vm.vcpu(0).pvti).toEqual(v.pvti);
        vm.resnapshot(after(host, 2n), 'legacy');
        expect(vm.vcpu(0).hwTscKhz).toBe(BigInt(hostKhz));
      }
    });

    it('rejects at and above max_guest_tsc_khz with EINVAL (SVM: 256× the host), leaving the model unchanged', () => {
      const { host, vm } = makeVm({ host: { vendor: 'svm' }, vcpus: 2 });
      expect(host.maxGuestTscKhz).toBe(639_999_999); // §9.4
      const h = after(host, 10n);
      for (const khz of [639_999_999, 640_000_000, 2_500_000_000]) {
        const before = state(vm, h);
        const e = thrown(() => vm.setTscKhz(1, h, khz));
        expect(e.code).toBe('EINVAL');
        expect(e.message).toContain('max_guest_tsc_khz');
        expect(state(vm, h)).toEqual(before);
      }
      vm.setTscKhz(1, h, 639_999_998); // just below the limit: accepted
      expect(vm.vcpu(1).ratio).toBe(((1n << 32n) * 639_999_998n) / 2_500_000n);
      expect(vm.vcpu(1).ratio < (1n << 40n) - 1n).toBe(true);
    });

    it('VMX caps max_guest_tsc_khz at 2^31 − 1 kHz and rejects that value itself (≥, not >)', () => {
      const { host, vm } = makeVm();
      expect(host.maxGuestTscKhz).toBe(2_147_483_647);
      const h = after(host, 1n);
      const before = state(vm, h);
      expect(thrown(() => vm.setTscKhz(0, h, 2_147_483_647)).code).toBe('EINVAL');
      expect(state(vm, h)).toEqual(before);
      vm.setTscKhz(0, h, 2_147_483_646);
      expect(vm.vcpu(0).virtualTscKhz).toBe(2_147_483_646);
    });

    it('without hardware scaling a faster guest gets software catch-up; a slower one fails (kvm_set_tsc_khz −1 → EINVAL), state unchanged', () => {
      const { host, vm } = makeVm({ host: { hasTscControl: false } });
      expect(host.maxGuestTscKhz).toBe(0);
      const h = after(host, 1n);
      const before = state(vm, h);
      const e = thrown(() => vm.setTscKhz(0, h, 2_000_000));
      expect(e.code).toBe('EINVAL');
      expect(state(vm, h)).toEqual(before);

      vm.setTscKhz(0, h, 3_000_000);
      const v = vm.vcpu(0);
      expect(v.tscCatchup).toBe(true);
      expect(v.tscAlwaysCatchup).toBe(true);
      expect(v.ratio).toBe(1n << 48n); // no ratio written
      expect(v.virtualTscKhz).toBe(3_000_000);
      // No max_guest_tsc_khz check without hardware scaling.
      vm.setTscKhz(0, h, 4_000_000_000);
      expect(vm.vcpu(0).virtualTscKhz).toBe(4_000_000_000);
    });

    it('software catch-up moves the guest TSC forward at clock updates to the virtual rate (compute_guest_tsc, §5.6)', () => {
      const { host, vm } = makeVm({ host: { hasTscControl: false }, vm: { guestTscKhz: 3_000_000 } });
      expect(vm.vcpu(0).tscCatchup).toBe(true);
      const h = after(host, 1n);
      expect(vm.clocks(0, h).guestTsc).toBe(2_500_000_000n); // between updates it runs at the host rate
      vm.resnapshot(h, 'legacy');
      const v = vm.vcpu(0);
      // kernel_ns − this_tsc_nsec is RAW over 1 s (−59.6 ppb) converted at 3 GHz
      const elapsed = vm.masterClock.kernelNs - v.thisTscNsec;
      const expected = api.pvclockScaleDelta(elapsed, v.virtualTscMult, v.virtualTscShift);
      expect(vm.clocks(0, h).guestTsc).toBe(expected);
      expect(v.pvti?.tscTimestamp).toBe(expected);
      expect(expected > 2_999_999_000n && expected <= 3_000_000_000n).toBe(true);
    });

    it('an out-of-range kHz is a typed range error naming "khz"', () => {
      const { host, vm } = makeVm();
      const h = after(host, 1n);
      const before = state(vm, h);
      for (const bad of [2 ** 32, -1]) {
        const e = thrown(() => vm.setTscKhz(0, h, bad));
        expect(e.code).toBe('range');
        expect(e.argument).toBe('khz');
      }
      expect(thrown(() => vm.setTscKhz(0, h, 1.5)).argument).toBe('khz');
      expect(state(vm, h)).toEqual(before);
    });
  });

  // ------------------------------------------------------------------ TSC writes and matching

  describe('TSC writes, TSC_ADJUST and KVM_VCPU_TSC_OFFSET', () => {
    it('host TSC writes: the first user write starts a new generation; a write within ±1 s matches; one outside does not', () => {
      const { host, vm } = makeVm({ vcpus: 2 });
      expect(vm.masterClock.inUse).toBe(true);
      const x = 5_000_000_000_000n;
      const h1 = after(host, 100n);
      vm.hostWriteTsc(0, h1, x); // no user write before: never "synchronising"
      expect(vm.tscMatching).toMatchObject({ generation: 2, nrVcpusMatched: 0, userSetTsc: true });
      expect(vm.masterClock.inUse).toBe(false);
      expect(vm.masterClock.blockers).toEqual(['vcpus-not-matched']);
      expect(vm.clocks(0, h1).guestTsc).toBe(x);

      // QEMU writes the same value to the next vCPU half a second later: within the window.
      const h2 = h1 + 1_250_000_000n;
      vm.hostWriteTsc(1, h2, x);
      expect(vm.tscMatching).toMatchObject({ generation: 2, nrVcpusMatched: 1 });
      expect(vm.masterClock.inUse).toBe(true);
      expect(vm.masterClock.cycleNow).toBe(h2);
      expect(vm.vcpu(1).l1TscOffset).toBe(vm.vcpu(0).l1TscOffset); // the generation's offset, not x
      expect(vm.clocks(1, h2).guestTsc).toBe(x + 1_250_000_000n);

      // Two seconds after the last write the same value is outside the window.
      const h3 = h2 + 5_000_000_000n;
      vm.hostWriteTsc(1, h3, x);
      expect(vm.tscMatching).toMatchObject({ generation: 3, nrVcpusMatched: 0 });
      expect(vm.masterClock.inUse).toBe(false);
      expect(vm.masterClock.blockers).toEqual(['vcpus-not-matched']);
      expect(vm.clocks(1, h3).guestTsc).toBe(x);
    });

    it('a host write of 0 always synchronises (matched into the current generation)', () => {
      const { host, vm } = makeVm({ vcpus: 2 });
      const h = after(host, 1_000n);
      vm.hostWriteTsc(1, h, 0n);
      expect(vm.tscMatching).toMatchObject({ generation: 1, nrVcpusMatched: 1 });
      expect(vm.masterClock.inUse).toBe(true);
      expect(vm.vcpu(1).l1TscOffset).toBe(vm.vcpu(0).l1TscOffset);
    });

    it('a guest TSC write moves the offset and TSC_ADJUST by the same amount without a clock update, so B jumps', () => {
      const { host, vm } = makeVm();
      const h = after(host, 60n);
      const before = vm.clocks(0, h);
      const v0 = vm.vcpu(0);
      const target = before.guestTsc + 2_500_000_000n; // one second ahead
      vm.guestWriteTsc(0, h, target);
      const v1 = vm.vcpu(0);
      const moved = lo64(v1.l1TscOffset - v0.l1TscOffset);
      expect(moved).toBe(2_500_000_000n);
      expect(v1.tscAdjust - v0.tscAdjust).toBe(s64(moved));
      expect(v1.pvti).toEqual(v0.pvti); // no record update
      const now = vm.clocks(0, h);
      expect(now.guestTsc).toBe(target);
      expect(now.a).toBe(before.a);
      expect(now.b - before.b).toBe(api.pvclockScaleDelta(target - v0.pvti!.tscTimestamp, v0.pvti!.tscToSystemMul, v0.pvti!.tscShift) - (before.b - v0.pvti!.systemTime));
      expect(now.b - before.b > 999_000_000n).toBe(true);
      // A write below the current value moves TSC_ADJUST negative (s64).
      vm.guestWriteTsc(0, h, 0n);
      expect(vm.vcpu(0).tscAdjust).toBe(s64(v0.tscAdjust - before.guestTsc));
    });

    it('a guest TSC_ADJUST write moves the offset by the change and rewrites the record (B continuous with the master clock)', () => {
      const { host, vm } = makeVm();
      const h = after(host, 60n);
      const before = vm.clocks(0, h);
      const v0 = vm.vcpu(0);
      vm.guestWriteTscAdjust(0, h, 1_000_000n);
      const v1 = vm.vcpu(0);
      expect(v1.tscAdjust).toBe(1_000_000n);
      expect(lo64(v1.l1TscOffset - v0.l1TscOffset)).toBe(1_000_000n);
      expect(v1.pvti?.version).toBe((v0.pvti?.version ?? 0) + 2);
      expect(v1.pvti?.tscTimestamp).toBe(v0.pvti!.tscTimestamp + 1_000_000n);
      const now = vm.clocks(0, h);
      expect(now.guestTsc).toBe(before.guestTsc + 1_000_000n);
      expect(now.b).toBe(before.b);
      vm.guestWriteTscAdjust(0, h, -5n);
      expect(vm.vcpu(0).tscAdjust).toBe(-5n);
      expect(lo64(vm.vcpu(0).l1TscOffset - v0.l1TscOffset)).toBe(lo64(-5n));
    });

    it('KVM_VCPU_TSC_OFFSET: get returns the L1 offset; set matches iff it equals the last offset at the same kHz', () => {
      const { host, vm } = makeVm({ vcpus: 2 });
      const off = vm.getTscOffset(0);
      expect(off).toBe(vm.vcpu(0).l1TscOffset);
      const h = after(host, 10n);
      vm.setTscOffset(1, h, off); // same as the last one: matched
      expect(vm.tscMatching).toMatchObject({ generation: 1, nrVcpusMatched: 1, userSetTsc: true });
      expect(vm.masterClock.inUse).toBe(true);

      vm.setTscOffset(1, h, lo64(off + 1000n)); // different: new generation, master clock off
      expect(vm.tscMatching).toMatchObject({ generation: 2, nrVcpusMatched: 0 });
      expect(vm.masterClock.inUse).toBe(false);
      expect(vm.masterClock.blockers).toEqual(['vcpus-not-matched']);
      expect(vm.getTscOffset(1)).toBe(lo64(off + 1000n));

      vm.setTscOffset(0, h, lo64(off + 1000n)); // vCPU 0 follows: matched, on again
      expect(vm.tscMatching).toMatchObject({ generation: 2, nrVcpusMatched: 1 });
      expect(vm.masterClock.inUse).toBe(true);
      expect(vm.clocks(0, h).guestTsc).toBe(vm.clocks(1, h).guestTsc);
    });
  });

  // ------------------------------------------------------------------ KVM_GET_CLOCK / KVM_SET_CLOCK

  describe('KVM_GET_CLOCK and KVM_SET_CLOCK', () => {
    it('GET with the master clock on a TSC host: flags REALTIME|HOST_TSC|TSC_STABLE = 14, clock = C (not B for a scaled guest)', () => {
      const { host, vm } = makeVm({ vm: { guestTscKhz: 1_000_000 }, host: { realtimeOffsetNs: 1_700_000_000_000_000_000n } });
      const h = after(host, 86_400n);
      const d = vm.getClock(h);
      const c = vm.clocks(0, h);
      expect(d.flags).toBe(14);
      expect(d.clock).toBe(c.c);
      expect(d.clock).not.toBe(c.b);
      expect(d.clock - c.a).toBe(5_129_725n); // §9.3 C − A
      expect(d.hostTsc).toBe(h);
      // true time runs from the host's raw reference (TSC 0 here) at tsc_khz
      expect(d.realtime).toBe(1_700_000_000_000_000_000n + (h * 1_000_000n) / 2_500_000n);
      // C from its definition: host TSC, host scale, from the master-clock reference
      const hs = api.getTimeScale(NSEC, 2_500_000_000n);
      expect(d.clock).toBe(api.pvclockRead(h, vm.masterClock.cycleNow, lo64(vm.masterClock.kernelNs + vm.kvmclockOffset), hs.mul, hs.shift));
    });

    it('GET without the master clock: flags 0, no realtime, clock = A', () => {
      const { host, vm } = makeVm();
      vm.hostClocksourceChange(after(host, 10n), 'other');
      const h = after(host, 20n);
      const d = vm.getClock(h);
      expect(d).toEqual({ clock: vm.clocks(0, h).a, flags: 0 });
    });

    it('SET with an unknown flag fails with EINVAL and changes nothing', () => {
      const { host, vm } = makeVm();
      const h = after(host, 5n);
      const before = state(vm, h);
      for (const flags of [1, 16, 0x80000000, 0xffffffff]) {
        expect(thrown(() => vm.setClock(h, { clock: 0n, flags })).code).toBe('EINVAL');
        expect(state(vm, h)).toEqual(before);
      }
    });

    it('SET takes a fresh snapshot; afterwards every vCPU’s B at that instant equals the clock given', () => {
      const { host, vm } = makeVm({ vcpus: 2, vm: { guestTscKhz: 1_000_000 } });
      const h = after(host, 3_600n, 777n);
      const clock = 1_234_567_890_123n;
      vm.setClock(h, { clock, flags: 10, realtime: 5n }); // TSC_STABLE | HOST_TSC are accepted and ignored
      expect(vm.masterClock.cycleNow).toBe(h);
      expect(vm.kvmclockOffset).toBe(s64(clock - vm.masterClock.kernelNs));
      for (const id of [0, 1]) {
        const c = vm.clocks(id, h);
        expect(c.a).toBe(clock);
        expect(c.b).toBe(clock);
        expect(c.c).toBe(clock);
      }
      // A tiny clock: system_time = K + offset wraps nowhere because SET uses K itself.
      vm.setClock(h + 1n, { clock: 0n });
      expect(vm.clocks(0, h + 1n).b).toBe(0n);
    });

    it('SET with REALTIME advances the clock by now_real − realtime only when that is positive', () => {
      const { host, vm } = makeVm({ host: { realtimeOffsetNs: 1_000_000_000_000n } });
      const h = after(host, 100n);
      const nowReal = host.realtimeNs(h);
      expect(nowReal).toBe(1_000_000_000_000n + (h * 1_000_000n) / 2_500_000n);
      vm.setClock(h, { clock: 5_000n, flags: 4, realtime: nowReal - 2_000_000n });
      expect(vm.clocks(0, h).b).toBe(5_000n + 2_000_000n);
      vm.setClock(h, { clock: 5_000n, flags: 4, realtime: nowReal + 2_000_000n }); // never steps back
      expect(vm.clocks(0, h).b).toBe(5_000n);
      vm.setClock(h, { clock: 5_000n, flags: 0, realtime: nowReal - 2_000_000n }); // flag not given: ignored
      expect(vm.clocks(0, h).b).toBe(5_000n);
    });

    it('SET without the master clock uses the base clock now', () => {
      const { host, vm } = makeVm();
      vm.hostClocksourceChange(after(host, 1n), 'other');
      const h = after(host, 2n);
      vm.setClock(h, { clock: 42n });
      expect(vm.masterClock.inUse).toBe(false);
      expect(vm.kvmclockOffset).toBe(s64(42n - host.kvmclockBaseNs(h)));
      expect(vm.clocks(0, h).b).toBe(42n);
      expect(vm.vcpu(0).pvti?.flags).toBe(0);
    });

    it('GET → SET with the same data (flags 14, realtime) on the same host moves kvmclock by the real time elapsed', () => {
      const { host, vm } = makeVm();
      const h1 = after(host, 10n);
      const d = vm.getClock(h1);
      const h2 = after(host, 12n);
      vm.setClock(h2, { clock: d.clock, flags: d.flags, realtime: d.realtime });
      expect(vm.clocks(0, h2).b).toBe(d.clock + 2n * NSEC);
    });
  });

  // ------------------------------------------------------------------ host clocksource and realtime

  describe('host clocksource and CLOCK_REALTIME', () => {
    it('a change away from the TSC drops the master clock; records are then written from "now" (B = A at updates)', () => {
      const { host, vm } = makeVm({ vcpus: 2, vm: { guestTscKhz: 1_000_000 } });
      const h = after(host, 86_400n);
      const before = vm.clocks(0, h);
      expect(before.b - before.a).toBe(91_530_383n);
      vm.hostClocksourceChange(h, 'other');
      expect(vm.masterClock.inUse).toBe(false);
      expect(vm.masterClock.blockers).toEqual(['host-clocksource-not-tsc']);
      expect(host.clocksourceKind).toBe('other');
      for (const id of [0, 1]) {
        const c = vm.clocks(id, h);
        expect(c.a).toBe(before.a);
        expect(c.b).toBe(c.a);
        expect(c.kvmclockNs).toBe(c.a);
        expect(vm.vcpu(id).pvti?.flags).toBe(0);
        expect(vm.vcpu(id).pvti?.tscTimestamp).toBe(c.guestTsc);
      }
      // The next update on a vCPU (TSC_ADJUST write) rewrites its record from that instant.
      const h2 = after(host, 2n * 86_400n);
      expect(vm.clocks(0, h2).b).not.toBe(vm.clocks(0, h2).a);
      vm.guestWriteTscAdjust(0, h2, 0n);
      expect(vm.clocks(0, h2).b).toBe(vm.clocks(0, h2).a);
      expect(vm.vcpu(0).pvti?.systemTime).toBe(vm.clocks(0, h2).a);
      expect(() => vm.getClockGuest(0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    });

    it('a TSC re-registration with a refined kHz keeps RAW continuous (to the nanosecond) and keeps the master clock', () => {
      const { host, vm } = makeVm();
      const h = after(host, 3_600n);
      const a = vm.clocks(0, h).a;
      vm.hostClocksourceChange(h, 'tsc', 2_500_100);
      expect(host.tscKhz).toBe(2_500_100);
      expect(host.clocksource).toEqual(api.clocksourceKhz(2_500_100));
      const a2 = vm.clocks(0, h).a;
      expect(a2 - a >= -1n && a2 - a <= 0n).toBe(true); // xtime_nsec rescaled: at most a lost fraction
      expect(vm.masterClock.inUse).toBe(true);
    });

    it('CLOCK_REALTIME does not jump at a clocksource change (it is a property of time, not of the calibration)', () => {
      // True time follows the TSC's physical rate; a refined calibration changes tsc_khz only.
      const { host, vm } = makeVm();
      const h = after(host, 3_600n);
      const before = host.realtimeNs(h);
      vm.hostClocksourceChange(h, 'tsc', 2_500_100);
      expect(host.realtimeNs(h)).toBe(before);
    });

    it('reports a reason whenever the master clock is not in use (back on the TSC but not yet re-snapshotted)', () => {
      // After 'other' → 'tsc' nothing requests a master-clock update (as in the kernel), so it stays off until one.
      const { host, vm } = makeVm();
      vm.hostClocksourceChange(after(host, 1n), 'other');
      vm.hostClocksourceChange(after(host, 2n), 'tsc');
      const mc = vm.masterClock;
      expect(mc.inUse).toBe(false);
      expect(mc.blockers).toEqual(['awaiting-masterclock-update']);
    });

    it('a later KVM_SET_CLOCK re-snapshots and turns the master clock back on after a return to the TSC', () => {
      const { host, vm } = makeVm();
      vm.hostClocksourceChange(after(host, 1n), 'other');
      vm.hostClocksourceChange(after(host, 2n), 'tsc');
      const h = after(host, 3n);
      vm.setClock(h, { clock: vm.getClock(h).clock });
      expect(vm.masterClock.inUse).toBe(true);
      expect(vm.vcpu(0).pvti?.flags).toBe(1);
    });

    it('CLOCK_REALTIME has a configurable offset and frequency error (ppb)', () => {
      const host = makeHost({ tscKhz: 1_000_000, realtimeOffsetNs: 1_600_000_000_000_000_000n, realtimeErrorPpb: 100, rawClock: { cycleLast: START, rawSec: 0n, xtimeNsec: 0n } });
      expect(host.realtimeNs(START)).toBe(1_600_000_000_000_000_000n);
      const h = START + 1_000n * NSEC; // 1000 s at 1 GHz
      expect(host.trueNs(h)).toBe(1_000n * NSEC);
      expect(host.realtimeNs(h)).toBe(1_600_000_000_000_000_000n + 1_000n * NSEC + 100_000n);
      const slow = makeHost({ tscKhz: 1_000_000, realtimeErrorPpb: -250, rawClock: { cycleLast: START, rawSec: 0n, xtimeNsec: 0n } });
      expect(slow.realtimeNs(h)).toBe(1_000n * NSEC - 250_000n);
      expect(thrown(() => makeHost({ realtimeErrorPpb: 2_000_000_000 })).argument).toBe('host.realtimeErrorPpb');
    });
  });

  // ------------------------------------------------------------------ bad input

  describe('bad input', () => {
    it('an instant before the raw clock reference or before the previous operation is a range error naming "at"; nothing changes', () => {
      const host = makeHost({ rawClock: { cycleLast: START, rawSec: 0n, xtimeNsec: 0n } });
      expect(thrown(() => new Vm(host, { at: START - 1n })).argument).toBe('at');
      const vm = new Vm(host, { at: START });
      vm.createVcpu(START);
      const h = START + 10n * 2_500_000_000n;
      vm.setClock(h, { clock: 1n });
      const before = state(vm, h);
      const ops: (() => unknown)[] = [
        () => vm.createVcpu(h - 1n),
        () => vm.setTscKhz(0, h - 1n, 1_000_000),
        () => vm.hostWriteTsc(0, h - 1n, 0n),
        () => vm.guestWriteTsc(0, h - 1n, 0n),
        () => vm.guestWriteTscAdjust(0, h - 1n, 0n),
        () => vm.setTscOffset(0, h - 1n, 0n),
        () => vm.setClock(h - 1n, { clock: 0n }),
        () => vm.resnapshot(h - 1n, 'legacy'),
        () => vm.hostClocksourceChange(h - 1n, 'other'),
        () => vm.setClock(START - 1n, { clock: 0n }),
        () => vm.setClock(-1n, { clock: 0n }),
      ];
      for (const op of ops) {
        const e = thrown(op);
        expect(e.code).toBe('range');
        expect(e.argument).toBe('at');
        expect(state(vm, h)).toEqual(before);
      }
    });

    it('frequencies of 0 or beyond u32 are typed errors naming the field', () => {
      for (const bad of [0, 2 ** 32, -5]) {
        const e = thrown(() => makeHost({ tscKhz: bad }));
        expect(e.code).toBe('range');
        expect(e.argument).toBe('host.tscKhz');
      }
      const host = makeHost();
      for (const bad of [0, 2 ** 32]) {
        const e = thrown(() => new Vm(host, { at: START, guestTscKhz: bad }));
        expect(e.code).toBe('range');
        expect(e.argument).toBe('guestTscKhz');
      }
      const e = thrown(() => new Vm(host, { at: START, guestTscKhz: 2_147_483_647 }));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toContain('guestTscKhz');
      const { vm } = makeVm();
      const h = after(host, 1n);
      const before = state(vm, h);
      for (const bad of [0, 2 ** 32]) {
        const e2 = thrown(() => vm.hostClocksourceChange(h, 'tsc', bad));
        expect(e2.code).toBe('range');
        expect(e2.argument).toBe('tscKhz');
        expect(state(vm, h)).toEqual(before);
      }
    });

    it('an unknown vendor, clocksource, variant or matching rule is a typed error naming it', () => {
      expect(thrown(() => makeHost({ vendor: 'arm' as 'vmx' })).argument).toBe('vendor');
      const { host, vm } = makeVm();
      expect(thrown(() => new Vm(host, { at: START, tscMatchingRule: 'old' as 'legacy' })).argument).toBe('tscMatchingRule');
      const h = after(host, 1n);
      expect(thrown(() => vm.hostClocksourceChange(h, 'hpet' as 'other')).argument).toBe('clocksource');
      expect(thrown(() => vm.resnapshot(h, 'smooth' as 'legacy')).argument).toBe('variant');
      expect(thrown(() => vm.clocks(7, h)).argument).toBe('vcpu');
      expect(thrown(() => vm.hostWriteTsc(0, h, -1n)).argument).toBe('value');
      expect(thrown(() => vm.guestWriteTscAdjust(0, h, 1n << 63n)).argument).toBe('value');
      expect(thrown(() => vm.setTscOffset(0, h, U64 + 1n)).argument).toBe('offset');
      expect(thrown(() => vm.setClock(h, { clock: -1n })).argument).toBe('clock');
      expect(vm.now).toBe(START);
    });
  });

  // ------------------------------------------------------------------ guest reads

  describe('what the guest’s clock read returns', () => {
    /** Read, hotplug a vCPU (legacy rule → re-snapshot, B steps back), read again at the same instant. */
    function stepBack(guestStableBit: boolean) {
      const { host, vm } = makeVm({ vm: { tscMatchingRule: 'legacy', guestStableBit } });
      const h = after(host, 86_400n);
      const first = vm.guestRead(0, h);
      vm.createVcpu(h);
      const second = vm.guestRead(0, h);
      return { vm, h, first, second };
    }

    it('with TSC_STABLE and the guest’s stable bit the backward step is visible', () => {
      const { vm, h, first, second } = stepBack(true);
      expect(first.stable).toBe(true);
      expect(first.retries).toBe(0);
      expect(first.result).toBe(first.raw);
      expect(second.result).toBe(vm.clocks(0, h).b);
      expect(second.result - first.result).toBe(-5_129_725n); // one day of +59.37 ppb (§9.1)
      expect(vm.guestLastValue).toBe(0n); // the stable path returns before touching last_value
    });

    it('without the guest’s stable bit the last_value guard clamps (result = last_value)', () => {
      const { vm, first, second } = stepBack(false);
      expect(first.stable).toBe(false);
      expect(second.raw - first.result).toBe(-5_129_725n);
      expect(second.result).toBe(first.result);
      expect(second.lastValue).toBe(first.result);
      expect(vm.guestLastValue).toBe(first.result);
    });

    it('without TSC_STABLE in the record (no master clock) the guard applies even with the stable bit', () => {
      const { host, vm } = makeVm();
      vm.hostClocksourceChange(after(host, 1n), 'other');
      const h = after(host, 2n);
      const r = vm.guestRead(0, h);
      expect(r.stable).toBe(false);
      // Push last_value ahead, then read again: clamped.
      const r2 = vm.guestRead(0, after(host, 3n));
      vm.setClock(after(host, 3n), { clock: 0n });
      const r3 = vm.guestRead(0, after(host, 3n));
      expect(r3.raw).toBe(0n);
      expect(r3.result).toBe(r2.result);
      expect(r.result <= r2.result).toBe(true);
    });

    it('GUEST_STOPPED is reported once and cleared by the guest', () => {
      const { host, vm } = makeVm();
      vm.markGuestStopped(0);
      expect(vm.vcpu(0).pvti?.flags).toBe(3);
      const r = vm.guestRead(0, after(host, 1n));
      expect(r.guestStopped).toBe(true);
      expect(vm.vcpu(0).pvti?.flags).toBe(1);
      expect(vm.guestRead(0, after(host, 2n)).guestStopped).toBe(false);
    });

    it('version retry protocol: odd or changed versions are retried and counted', () => {
      const rec = (version: number, systemTime = 1_000n): PvclockRecord => ({ version, tscTimestamp: 100n, systemTime, tscToSystemMul: 2 ** 31, tscShift: 1, flags: 1 });
      const seq = [
        { before: rec(3), after: rec(3) }, // host writing
        { before: rec(4, 999_999n), after: rec(6) }, // torn: an update completed during the read
        { before: rec(7), after: rec(8) }, // odd before
        { before: rec(8), after: rec(8) }, // consistent
      ];
      const calls: number[] = [];
      const r = guestClockRead(api, (attempt) => (calls.push(attempt), seq[attempt]), 300n, 1, 0n);
      expect(r.retries).toBe(3);
      expect(calls).toEqual([0, 1, 2, 3]);
      expect(r.raw).toBe(1_000n + 200n); // (300 − 100) cycles at 1 ns/cycle
      expect(r.result).toBe(r.raw);
      expect(r.stable).toBe(true);
    });

    it('a record whose version never settles ends in an InternalError after a bounded number of retries (no hang)', () => {
      let calls = 0;
      const odd: PvclockRecord = { version: 5, tscTimestamp: 0n, systemTime: 0n, tscToSystemMul: 1, tscShift: 0, flags: 0 };
      const e = thrown(() =>
        guestClockRead(
          api,
          () => {
            calls++;
            return { before: odd, after: odd };
          },
          0n,
          1,
          0n,
        ),
      );
      expect(e.code).toBe('internal');
      expect(e.name).toBe('InternalError');
      expect(calls).toBe(MAX_VERSION_RETRIES + 1);
    });

    it('the guard compares as u64 and is global across vCPUs', () => {
      const { host, vm } = makeVm({ vcpus: 2, vm: { guestStableBit: false } });
      const h = after(host, 10n);
      const r0 = vm.guestRead(0, h);
      const r1 = vm.guestRead(1, h - 1n); // an earlier instant on the other vCPU
      expect(r1.raw < r0.result).toBe(true);
      expect(r1.result).toBe(r0.result);
    });
  });
});
