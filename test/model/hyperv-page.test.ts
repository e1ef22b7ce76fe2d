/**
 * Clock H — the Hyper-V reference time a Windows guest reads — in the clock model
 * (guest-clock-abis §1.5–§1.7): the page KVM derives from the record when the guest enables
 * it, the worked numbers of §1.5 a day later, the MSR fallback (C or C′, not B) while the page
 * is invalid, and the sticky BROKEN state through a timeline of operations.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { Host } from '../../src/model/host.js';
import { standardVm } from '../../src/model/standard.js';
import { Vm } from '../../src/model/vm.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';

const M = 1_000_000_000_000n;
const DAY_2_5GHZ = 2_500_000_000n * 86_400n;

describe.each(BACKEND_NAMES)('the Hyper-V reference TSC page in the model (%s backend)', (backend) => {
  const api = kvmclock(backend);

  it('enabling the page on the standard 2.5 → 1.0 GHz VMX guest computes §1.5’s record: scale 184,467,625,162,991,206, offset −4,000,003,999', () => {
    const { vm } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' });
    expect(vm.hvTscPage.status).toBe('unset');
    vm.writeReferenceTscMsr(M, true, 'guest');
    expect(vm.hvTscPage).toMatchObject({ status: 'set', sequence: 1, scale: 184_467_625_162_991_206n, offset: -4_000_003_999n });
    expect(vm.clocks(0, M).hvReference).toEqual({ units: 0n, source: 'page' });
    const h = M + DAY_2_5GHZ;
    const c = vm.clocks(0, h);
    // §1.5: one day later the page reads 864,000,863,805 units = ⌊B/100⌋, 915,304 units ahead of ⌊A/100⌋.
    expect(c.hvReference).toEqual({ units: 864_000_863_805n, source: 'page' });
    expect(c.hvReference.units - c.b / 100n).toBe(0n);
    expect(c.hvReference.units - c.a / 100n).toBe(915_304n);
    expect(vm.hvReferenceCounter(h)).toBe(864_000_863_805n); // the MSR with the page SET: the page formula
  });

  it('the 2.0 GHz record of §1.5 reads one unit above ⌊B/100⌋ a day later (the two floors differ)', () => {
    const { vm } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 2_000_000, vendor: 'vmx' });
    vm.writeReferenceTscMsr(M, true, 'guest');
    const c = vm.clocks(0, M + DAY_2_5GHZ);
    expect(c.hvReference.units).toBe(864_000_431_702n);
    expect(c.hvReference.units - c.b / 100n).toBe(1n);
  });

  it('a page computed while the master clock is off is BROKEN (sequence 0, MSR fallback on C/A), and stays so until the MSR is written again', () => {
    const host = new Host(api, { tscKhz: 2_500_000, vendor: 'vmx', rawClock: { cycleLast: M, rawSec: 0n, xtimeNsec: 0n } });
    const vm = new Vm(host, { at: M, guestTscKhz: 1_000_000 });
    vm.createVcpu(M);
    vm.createVcpu(M);
    vm.run(M);
    vm.hostWriteTsc(1, M + 1000n, 1n << 50n); // vCPU 1 off by far more than a second: no master clock
    expect(vm.masterClock.inUse).toBe(false);
    vm.writeReferenceTscMsr(M + 2000n, true, 'host'); // a VMM restoring the MSR
    expect(vm.hvTscPage).toMatchObject({ status: 'broken', sequence: 0, invalidReason: 'unstable' });
    const h1 = M + 10_000n;
    const c1 = vm.clocks(0, h1);
    expect(c1.hvReference).toEqual({ units: c1.kvmclockNs / 100n, source: 'msr' });
    expect(c1.kvmclockNs).toBe(c1.a); // without the master clock get_kvmclock_ns is A

    // The VMM sets both offsets to vCPU 0's (KVM_VCPU_TSC_OFFSET; the second matches the first):
    // the master clock comes back, the page stays BROKEN.
    const offset0 = vm.getTscOffset(0);
    vm.setTscOffset(1, M + 20_000n, offset0);
    vm.setTscOffset(0, M + 20_000n, offset0);
    expect(vm.masterClock.inUse).toBe(true);
    expect(vm.hvTscPage.status).toBe('broken');
    const h2 = M + DAY_2_5GHZ;
    const c2 = vm.clocks(0, h2);
    // The MSR now returns ⌊C/100⌋ — KVM's host-side clock, not the guest's B (1 ppm apart for this scaled guest).
    expect(c2.hvReference).toEqual({ units: c2.c / 100n, source: 'msr' });
    expect(c2.b - c2.c).toBeGreaterThan(86_000_000n);

    vm.writeReferenceTscMsr(h2, true, 'guest'); // only a new MSR write retries
    expect(vm.hvTscPage).toMatchObject({ status: 'set', sequence: 1 });
    const c3 = vm.clocks(0, h2);
    expect(c3.hvReference.source).toBe('page');
  });

  it('a master-clock update re-computes a SET page from the new record (sequence + 1); disabling the MSR leaves it UNSET', () => {
    const { vm } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' });
    vm.writeReferenceTscMsr(M, true, 'guest');
    const h = M + DAY_2_5GHZ;
    vm.resnapshot(h, 'legacy');
    const page = vm.hvTscPage;
    expect(page).toMatchObject({ status: 'set', sequence: 2 });
    const r = vm.vcpu(0).pvti!;
    expect({ scale: page.scale, offset: page.offset }).toEqual(api.hvTscPage(r.tscToSystemMul, r.tscShift, r.tscTimestamp, r.systemTime, r.flags));
    vm.writeReferenceTscMsr(h, false, 'guest');
    expect(vm.hvTscPage.status).toBe('unset');
  });

  it('a 10 MHz guest (tgt_tsc_khz 10,000) gets a BROKEN page with reason mul; 10.001 MHz gets a valid one (§1.4)', () => {
    // An unscaled guest on a host at that frequency: tgt_tsc_khz is the host's kHz.
    for (const [khz, status] of [[10_000, 'broken'], [10_001, 'set']] as const) {
      const { vm } = standardVm(api, { hostKhz: khz, guestKhz: khz, vendor: 'vmx' });
      expect(vm.vcpu(0).hwTscKhz).toBe(BigInt(khz));
      vm.writeReferenceTscMsr(M, true, 'guest');
      expect(vm.hvTscPage.status).toBe(status);
      if (status === 'broken') expect(vm.hvTscPage.invalidReason).toBe('mul');
      else expect(vm.hvTscPage.scale).toBe(18_444_899_582_480_817_848n);
    }
  });
});
