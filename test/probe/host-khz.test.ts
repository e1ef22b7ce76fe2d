/** Recovering the host's tgt_tsc_khz from a record's (mul, shift). */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { guestKhzFromRecord, hostKhzCandidates, scaleKey } from '../../src/probe/host-khz.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';
import { GUEST_RECORD } from './helpers.js';

describe.each(BACKEND_NAMES)('host kHz recovery on the %s backend', (backend) => {
  const api = kvmclock(backend);
  const scaleOf = (k: bigint) => api.getTimeScale(1_000_000_000n, k * 1000n);

  it('the recorded guest: the host ran at 2,596,121 kHz, the guest derives 2,596,120', () => {
    expect(hostKhzCandidates(api, GUEST_RECORD.tscToSystemMul, GUEST_RECORD.tscShift)).toEqual({ min: 2_596_121n, max: 2_596_121n });
    expect(guestKhzFromRecord(api, GUEST_RECORD.tscToSystemMul, GUEST_RECORD.tscShift)).toBe(2_596_120n);
  });

  it('the spec’s examples (§4.2, §9.4)', () => {
    expect(hostKhzCandidates(api, 3_435_973_836, -1)).toEqual({ min: 2_500_000n, max: 2_500_000n });
    expect(hostKhzCandidates(api, 2_147_485_795, 1)).toEqual({ min: 999_999n, max: 999_999n });
    expect(hostKhzCandidates(api, 2_147_483_648, 1)).toEqual({ min: 1_000_000n, max: 1_000_000n });
    // 1 kHz: shift +20, mul 4,096,000,000 — exact
    expect(hostKhzCandidates(api, 4_096_000_000, 20)).toEqual({ min: 1n, max: 1n });
  });

  it('every recovered range is exact: each k inside gives the scale, its neighbours do not', () => {
    let seed = 12345n;
    const next = () => (seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n));
    for (let i = 0; i < 60; i++) {
      const k = 1n + (next() >> 32n) % 4_294_967_294n;
      const { mul, shift } = scaleOf(k);
      const r = hostKhzCandidates(api, mul, shift);
      expect(r).not.toBeNull();
      expect(r!.min <= k && k <= r!.max).toBe(true);
      for (const x of [r!.min, r!.max]) expect(scaleOf(x)).toEqual({ mul, shift });
      if (r!.min > 1n) expect(scaleOf(r!.min - 1n)).not.toEqual({ mul, shift });
      if (r!.max < 4_294_967_295n) expect(scaleOf(r!.max + 1n)).not.toEqual({ mul, shift });
    }
  });

  it('only absurd frequencies share a scale: there the base is shifted right by 10+ bits before the divide', () => {
    expect(hostKhzCandidates(api, scaleOf(1_000_003n).mul, scaleOf(1_000_003n).shift)).toEqual({ min: 1_000_003n, max: 1_000_003n });
    expect(hostKhzCandidates(api, 2_932_031_007, -10)).toEqual({ min: 1_500_000_000n, max: 1_500_000_001n });
    expect(hostKhzCandidates(api, 4_096_000_003, -12)).toEqual({ min: 4_294_967_292n, max: 4_294_967_295n });
  });

  it('a scale no kHz value yields gives null (a host computing in Hz, or not KVM)', () => {
    const { mul, shift } = scaleOf(2_596_121n);
    expect(hostKhzCandidates(api, mul + 1, shift)).toBeNull(); // between 2,596,120 and 2,596,121 kHz
    expect(hostKhzCandidates(api, 1, 0)).toBeNull(); // not normalised: no KVM time scale has mul < 2^31 here
    expect(hostKhzCandidates(api, 3_000_000_000, 100)).toBeNull(); // shift outside what kvm_get_time_scale produces
  });

  it('the key does not increase with the frequency (what the bisection relies on)', () => {
    let prev = scaleKey(scaleOf(1n).mul, scaleOf(1n).shift);
    for (const k of [2n, 3n, 1000n, 65_535n, 65_536n, 65_537n, 999_999n, 1_000_000n, 2_147_483n, 2_147_484n, 2_596_121n, 4_294_967n, 4_294_968n, 4_294_967_295n]) {
      const key = scaleKey(scaleOf(k).mul, scaleOf(k).shift);
      expect(key <= prev).toBe(true);
      prev = key;
    }
  });
});
