/** CLOCK_MONOTONIC's long-run rate, and clock D in the clock model. */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { systemTime } from '../../src/model/definitions.js';
import { standardVm } from '../../src/model/standard.js';
import { formatDecimal } from '../../src/rational.js';
import { clockD, guestClocksourceD, guestTscKhzOfScale, kvmclockOverD } from '../../src/probe/clock-d.js';
import { predictDrift } from '../../src/probe/drift.js';
import { predictMonotonic } from '../../src/probe/mono.js';
import { toNumber } from '../../src/probe/ratio-math.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';
import { IDLE_NTP } from './helpers.js';

describe.each(BACKEND_NAMES)('CLOCK_MONOTONIC and clock D on the %s backend', (backend) => {
  const api = kvmclock(backend);
  const d = guestClocksourceD(api, 2_596_120);

  it('with NTP idle MONOTONIC runs at exactly D’s rate (the clocksource rounding is kept)', () => {
    const p = predictMonotonic(d, 250, IDLE_NTP);
    expect('reason' in p).toBe(false);
    if ('reason' in p) return;
    expect(p.cycleInterval).toBe(10_384_480n); // = the preset lpj: tsc_khz·1000/HZ
    expect(p.tickLength).toBe(4_000_000n << 32n);
    expect(p.vsDPpb.num).toBe(0n);
  });

  it('an NTP frequency correction adds that many ppm of the nominal tick to each interval', () => {
    const p = predictMonotonic(d, 250, { ...IDLE_NTP, freq: 65_536n * 10n }); // +10 ppm
    if ('reason' in p) throw new Error(p.reason);
    expect(formatDecimal(p.vsDPpb, 3)).toBe('10000.000');
    const q = predictMonotonic(d, 250, { ...IDLE_NTP, tick: 10_001n }); // tick 10001 µs: +100 ppm
    if ('reason' in q) throw new Error(q.reason);
    // 400 ns more per 4 ms tick, over cycle_interval cycles that D counts as 3,999,999.81 ns
    expect(formatDecimal(q.vsDPpb, 3)).toBe('100000.005');
  });

  it('is not predicted without HZ or while NTP slews an offset', () => {
    expect(predictMonotonic(d, null, IDLE_NTP)).toEqual({ reason: 'CONFIG_HZ is not known' });
    expect(predictMonotonic(d, 250, { ...IDLE_NTP, status: 1, offset: 5000n })).toEqual({ reason: 'NTP is slewing an offset' });
  });

  it('D in the model: equal to B at the reference, then apart at the predicted rate (2.5 → 1.0 GHz VMX, one day)', () => {
    const { host, vm, m } = standardVm(api, { hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' });
    const s = vm.clockState(0);
    expect(guestTscKhzOfScale(api, s.guestScale.mul, s.guestScale.shift)).toBe(999_999);
    const dd = guestClocksourceD(api, 999_999);
    expect(clockD(api, s, m)).toBe(systemTime(s));
    const h = host.tscAfterSeconds(m, 86_400n);
    const b = vm.clocks(0, h).b;
    const dh = clockD(api, s, h);
    expect(clockD(api, s, h, dd)).toBe(dh);
    // B − D = (kvm-clock/D − 1)·(D − S), to within the two floors
    const p = predictDrift(s.guestScale.mul, s.guestScale.shift, dd);
    const expected = toNumber({ num: p.ppb.num * (dh - systemTime(s)), den: p.ppb.den * 1_000_000_000n });
    expect(Math.abs(Number(b - dh) - expected)).toBeLessThan(2);
    expect(kvmclockOverD(s.guestScale.mul, s.guestScale.shift, dd)).toEqual({ num: p.kvmclockRate.num * dd.rate.den, den: p.kvmclockRate.den * dd.rate.num });
  });
});
