/** The step kvm-clock takes at a record update, against the clock model's re-snapshot. */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { resnapshotStep } from '../../src/model/definitions.js';
import { standardVm } from '../../src/model/standard.js';
import { formatDecimal } from '../../src/rational.js';
import { recordStep } from '../../src/probe/step.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';
import { parseNativeOutput } from '../../src/probe/native-output.js';
import { fixture, GUEST, GUEST_RECORD, KVM_CLOCK_HOST_KHZ_GUEST } from './helpers.js';

describe.each(BACKEND_NAMES)('record steps on the %s backend', (backend) => {
  const api = kvmclock(backend);

  it('a legacy master-clock re-snapshot after a day: the step equals the model’s (−91,530,383 ns, backwards)', () => {
    const { host, vm, m } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' });
    const h = host.tscAfterSeconds(m, 86_400n);
    const expected = resnapshotStep(api, vm.clockState(0), h).legacyStepNs;
    const prev = vm.getClockGuest(0);
    const g = vm.clocks(0, h).guestTsc;
    vm.resnapshot(h, 'legacy');
    const next = vm.getClockGuest(0);
    const s = recordStep(api, prev, next, g);
    expect(s.stepNs).toBe(expected);
    expect(s.stepNs).toBe(-91_530_383n);
    expect(s.atReference.tsc).toBe(g);
    expect(s.atReference.stepNs).toBe(-91_530_383n);
    expect(s.rewriteOnly).toBe(false);
    expect(s.rateChangePpb).toBeNull();
  });

  it('a continuous re-snapshot does not step', () => {
    const { host, vm, m } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' });
    const h = host.tscAfterSeconds(m, 86_400n);
    const prev = vm.getClockGuest(0);
    const g = vm.clocks(0, h).guestTsc;
    vm.resnapshot(h, 'continuous');
    expect(recordStep(api, prev, vm.getClockGuest(0), g).stepNs).toBe(0n);
  });

  it('a rewrite of the same reference (only the version moves) is no step', () => {
    const s = recordStep(api, GUEST_RECORD, { ...GUEST_RECORD, version: 44 }, 10n ** 13n);
    expect(s).toMatchObject({ stepNs: 0n, rewriteOnly: true, writes: 2, rateChangePpb: null });
  });

  it('forward steps, scale changes and version wrap', () => {
    const next = { ...GUEST_RECORD, version: 2, systemTime: GUEST_RECORD.systemTime + 5_000n };
    const s = recordStep(api, { ...GUEST_RECORD, version: 0xffff_fffe }, next, 10n ** 13n);
    expect(s.stepNs).toBe(5_000n);
    expect(s.writes).toBe(2);
    const faster = recordStep(api, GUEST_RECORD, { ...GUEST_RECORD, version: 42, tscToSystemMul: GUEST_RECORD.tscToSystemMul + 1275 }, GUEST_RECORD.tscTimestamp);
    expect(faster.stepNs).toBe(0n); // at the reference both give system_time
    expect(formatDecimal(faster.rateChangePpb!, 1)).toBe('385.3'); // one kHz lower host frequency
  });

  it('the recorded --watch: the host rewrote the same reference every ~300 s, no step', () => {
    const lines = parseNativeOutput(fixture(GUEST, 'watch.txt'));
    const first = lines.find((l) => l.kind === 'record');
    if (first?.kind !== 'record') throw new Error('record line expected');
    let prev = first.read.record;
    const seen: bigint[] = [];
    for (const l of lines) {
      if (l.kind !== 'update') continue;
      const s = recordStep(api, prev, l.update.record, l.update.tsc);
      expect(s).toMatchObject({ stepNs: 0n, rewriteOnly: true, writes: 1 });
      seen.push(l.update.realtimeNs);
      prev = l.update.record;
    }
    expect(seen.length).toBe(2);
    expect(Number(seen[1] - seen[0]) / 1e9).toBeCloseTo(301.9, 1);
  });

  it('the recorded --watch on the kvm-clock guest: one rewrite of the same reference in 90 s, no step', () => {
    const lines = parseNativeOutput(fixture(KVM_CLOCK_HOST_KHZ_GUEST, 'watch.txt'));
    const first = lines.find((l) => l.kind === 'record');
    const update = lines.find((l) => l.kind === 'update');
    if (first?.kind !== 'record' || update?.kind !== 'update') throw new Error('record and update lines expected');
    expect(recordStep(api, first.read.record, update.update.record, update.update.tsc)).toMatchObject({ stepNs: 0n, rewriteOnly: true, writes: 1 });
  });
});
