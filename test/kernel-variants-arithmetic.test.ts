/**
 * Known answers for the upstream-variant arithmetic: the worked numbers of the kernel-variants
 * document (V§n), on both backends through the public API. Where the document's prose and the
 * kernel-validated vectors disagree, the vectors win and the test says so.
 */
import { describe, expect, it } from 'vitest';
import type { KvmclockApi } from '../src/api.js';
import { KernelProfile, KernelRuleError, U64_MAX } from '../src/index.js';
import { BACKENDS, apiFor } from './helpers/backends.js';

const NS = 1_000_000_000n;
const VMX_MAX = U64_MAX;
const SVM_MAX = (1n << 40n) - 1n;
/** 2.5 → 1.0 GHz on VMX: ⌊0.4·2^48⌋. */
const RATIO_1G = 112_589_990_684_262n;

/** The KernelRuleError code `f` throws (fails if it returns or throws anything else). */
function ruleError(f: () => unknown): KernelRuleError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KernelRuleError);
    return e as KernelRuleError;
  }
  throw new Error('expected a KernelRuleError, got a result');
}

describe.each(BACKENDS)('%s backend', (backend) => {
  const api: KvmclockApi = apiFor(backend);

  describe('V§1 hz-pvclock: the pvclock frequency in Hz', () => {
    it('2.5 → 1.0 GHz: 999,999,999 Hz instead of the kHz-floored 999,999,000', () => {
      expect(api.tgtTscHz(2_500_000n, RATIO_1G, 48, true)).toBe(999_999_999n);
      expect(api.tgtTscKhz(2_500_000, RATIO_1G, 48, true) * 1000n).toBe(999_999_000n);
    });

    it('3.0 → 2.5 GHz (the commit message example): 2,499,999,999 Hz instead of 2,499,999,000', () => {
      const ratio = api.tscRatio(2_500_000, 3_000_000, 48, VMX_MAX);
      expect(ratio).toBe(234_562_480_592_213n);
      expect(api.tgtTscHz(3_000_000n, ratio, 48, true)).toBe(2_499_999_999n);
      expect(api.tgtTscKhz(3_000_000, ratio, 48, true) * 1000n).toBe(2_499_999_000n);
    });

    it('without hardware scaling it is the host frequency, whatever the ratio (catch-up guests included)', () => {
      for (const ratio of [0n, RATIO_1G, 1n << 48n, U64_MAX]) expect(api.tgtTscHz(2_500_000n, ratio, 48, false)).toBe(2_500_000_000n);
    });

    it('a scaled 0 Hz is clamped to 1 Hz, whose pvclock is shift +30, mul 4,000,000,000', () => {
      expect(api.tgtTscHz(2_500_000n, 0n, 48, true)).toBe(1n);
      expect(api.tgtTscHz(1n, 1n, 48, true)).toBe(1n); // 1000·1/2^48 floors to 0
      expect(api.getTimeScale(NS, 1n)).toEqual({ shift: 30, mul: 4_000_000_000 });
    });

    it('host_khz·1000 wraps: 0 (nofreq, the update is abandoned) exactly for multiples of 2^61', () => {
      for (const k of [0n, 1n << 61n, 1n << 62n, 3n << 61n, 1n << 63n]) expect(ruleError(() => api.tgtTscHz(k, 1n << 48n, 48, true)).code).toBe('nofreq');
      expect(api.tgtTscHz((1n << 61n) + 1n, 1n << 48n, 48, false)).toBe(1000n);
      expect(api.tgtTscHz(U64_MAX / 1000n + 1n, 1n << 48n, 48, false)).toBe(BigInt.asUintN(64, (U64_MAX / 1000n + 1n) * 1000n));
    });
  });

  describe('V§2 c-via-guest-tsc: KVM_GET_CLOCK through the guest TSC', () => {
    it('the snapshot mul/shift of the API example: 2.5 → 1.0 GHz gives (shift +1, mul 2,147,483,650)', () => {
      expect(api.masterTscScale(2_500_000n, RATIO_1G, 48, true)).toEqual({ shift: 1, mul: 2_147_483_650 });
    });

    it('no frequency at the snapshot: the master clock turns off (nomaster) — no "?: 1" clamp here', () => {
      expect(ruleError(() => api.masterTscScale(2_500_000n, 0n, 48, true)).code).toBe('nomaster');
      expect(ruleError(() => api.masterTscScale(0n, 1n << 48n, 48, false)).code).toBe('nomaster');
      // 6.18's C hangs in kvm_get_time_scale(10^9, 0) instead
      expect(ruleError(() => api.getKvmclock('6.18', 1n, 0n, 0n, 0n, 1n << 48n, 48, 0n, true)).code).toBe('hang');
      expect(ruleError(() => api.getKvmclock('7.4-queued', 1n, 0n, 0n, 0n, 1n << 48n, 48, 0n, true)).code).toBe('nomaster');
    });

    it('the API example: one day of a 2.5 → 1.0 GHz guest under 7.4-queued reads C′ = 86,400,000,080,465 ns', () => {
      expect(api.getKvmclock('7.4-queued', 217_000_000_000_000n, 10n ** 12n, 0n, 0n, RATIO_1G, 48, 2_500_000n, true)).toBe(86_400_000_080_465n);
    });

    it('a host TSC before M is a huge u64 delta, as in the baseline (not a negative one)', () => {
      const before = api.getKvmclock('7.4-queued', 10n ** 12n - 1n, 10n ** 12n, 0n, 0n, 1n << 48n, 48, 2_500_000n, true);
      expect(before).toBe(api.getKvmclock('6.18', 10n ** 12n - 1n, 10n ** 12n, 0n, 0n, 1n << 48n, 48, 2_500_000n, true));
      expect(before > 1n << 62n).toBe(true);
    });
  });

  describe('V§3 signed-compute-guest-tsc', () => {
    it('2.5 GHz (vmult 2,684,354,560, vshift +2), written 10^12 at 5·10^9 ns, asked at 4·10^9 ns', () => {
      expect(api.computeGuestTsc(10n ** 12n, 5n * NS, 4n * NS, 2_684_354_560, 2, true)).toBe(997_500_000_000n);
      // The document's prose gives 6,148,914,599,610,548,224 for the baseline; the kernel-validated
      // vector (compute_guest_tsc.jsonl line 1) and the arithmetic give lo64(10^12 + 0.625·((2^64 − 10^9)·4
      // mod 2^64)) = 11,529,216,043,568,469,760 — the prose number is a typo (see tests-findings).
      expect(api.computeGuestTsc(10n ** 12n, 5n * NS, 4n * NS, 2_684_354_560, 2, false)).toBe(11_529_216_043_568_469_760n);
    });

    it('a delta of exactly INT64_MIN is used as the magnitude 2^63', () => {
      // vmult 2^31, vshift 0: sd(2^63) = 2^62; 2^62 − 2^62 = 0 signed, 2^62 + 2^62 = 2^63 unsigned
      expect(api.computeGuestTsc(1n << 62n, 0n, -(1n << 63n), 2 ** 31, 0, true)).toBe(0n);
      expect(api.computeGuestTsc(1n << 62n, 0n, -(1n << 63n), 2 ** 31, 0, false)).toBe(1n << 63n);
    });

    it('positive deltas are unchanged', () => {
      expect(api.computeGuestTsc(10n ** 12n, 4n * NS, 5n * NS, 2_684_354_560, 2, true)).toBe(10n ** 12n + 2_500_000_000n);
      expect(api.computeGuestTsc(10n ** 12n, 4n * NS, 5n * NS, 2_684_354_560, 2, false)).toBe(10n ** 12n + 2_500_000_000n);
    });
  });

  describe('V§4 upscale-to-now: the catch-up step', () => {
    // A 1 GHz virtual TSC (vmult 2^31, vshift +1: one cycle per ns) written as 0 at 0 ns, the identity
    // ratio, L1 offset 0; master reference (M, K) = (1000, 2000), now (h_now, k_now) = (1500, 2600).
    const args = [0n, 0n, 2 ** 31, 1, 0n, 1n << 48n, 48, 1000n, 2000n, 1500n, 2600n] as const;

    it('baseline: lag measured at the reference, bump 1000, tsc_timestamp = compute_guest_tsc(K) = 2000', () => {
      expect(api.tscCatchup('6.18', ...args)).toEqual({ l1Offset: 1000n, tscTimestamp: 2000n });
      expect(api.tscCatchup('6.18+signed-compute-guest-tsc', ...args)).toEqual({ l1Offset: 1000n, tscTimestamp: 2000n });
    });

    it('upscale-to-now: lag measured now (2600 − 1500 = 1100), then tsc_timestamp re-read at M with the new offset (2100)', () => {
      expect(api.tscCatchup('7.4-queued', ...args)).toEqual({ l1Offset: 1100n, tscTimestamp: 2100n });
      expect(api.tscCatchup('6.18+upscale-to-now', ...args)).toEqual({ l1Offset: 1100n, tscTimestamp: 2100n });
    });

    it('a guest ahead of the target is not bumped back in either form', () => {
      const ahead = [0n, 0n, 2 ** 31, 1, 5000n, 1n << 48n, 48, 1000n, 2000n, 1500n, 2600n] as const;
      expect(api.tscCatchup('6.18', ...ahead)).toEqual({ l1Offset: 5000n, tscTimestamp: 6000n });
      expect(api.tscCatchup('7.4-queued', ...ahead)).toEqual({ l1Offset: 5000n, tscTimestamp: 6000n });
    });

    it('the lag test: unsigned (u64 want > T) in the baseline, signed (0 < s64(want − T)) with upscale-to-now', () => {
      // No master clock here: (M, K) = (h_now, k_now) = (1000, 2000), so both measure want − T at the
      // same instant and differ only in the test (V§4).
      const at = (write: bigint, l1: bigint) => [write, 0n, 2 ** 31, 1, l1, 1n << 48n, 48, 1000n, 2000n, 1000n, 2000n] as const;
      // both: guest at M = lo64(2^64 − 1000 + 1000) = 0, target 2000 → bump by 2000
      expect(api.tscCatchup('6.18', ...at(0n, U64_MAX - 999n))).toEqual({ l1Offset: 1000n, tscTimestamp: 2000n });
      expect(api.tscCatchup('7.4-queued', ...at(0n, U64_MAX - 999n))).toEqual({ l1Offset: 1000n, tscTimestamp: 2000n });
      // target 2^63 + 7000 (write 2^63 + 5000) against a guest at 1000: above as u64, but the lag
      // 2^63 + 6000 is negative as s64 — only the baseline bumps
      expect(api.tscCatchup('6.18', ...at((1n << 63n) + 5000n, 0n))).toEqual({ l1Offset: (1n << 63n) + 6000n, tscTimestamp: (1n << 63n) + 7000n });
      expect(api.tscCatchup('7.4-queued', ...at((1n << 63n) + 5000n, 0n))).toEqual({ l1Offset: 0n, tscTimestamp: 1000n });
      // guest at 2^64 − 2^62 + 999, target 2000: below as u64, but the lag 2^62 + 1001 is positive as
      // s64 — only upscale-to-now bumps (the offset wraps to 1000)
      expect(api.tscCatchup('6.18', ...at(0n, U64_MAX - (1n << 62n)))).toEqual({ l1Offset: U64_MAX - (1n << 62n), tscTimestamp: U64_MAX - (1n << 62n) + 1000n });
      expect(api.tscCatchup('7.4-queued', ...at(0n, U64_MAX - (1n << 62n)))).toEqual({ l1Offset: 1000n, tscTimestamp: 2000n });
      // neither: guest at 2^63 + 1500, target 2000 (below as u64; lag 2^63 + 500 negative as s64)
      expect(api.tscCatchup('6.18', ...at(0n, (1n << 63n) + 500n))).toEqual({ l1Offset: (1n << 63n) + 500n, tscTimestamp: (1n << 63n) + 1500n });
      expect(api.tscCatchup('7.4-queued', ...at(0n, (1n << 63n) + 500n))).toEqual({ l1Offset: (1n << 63n) + 500n, tscTimestamp: (1n << 63n) + 1500n });
    });
  });

  describe('V§5 masterclock-offset-tscs', () => {
    const modes = (kernel: string) => ({
      // matched_tsc, matched_freq, tsc_clocksource, backwards_tsc, old_kvmclock
      allMatched: api.mclockMode(kernel, true, true, true, false, false),
      freqOnly: api.mclockMode(kernel, false, true, true, false, false),
      none: api.mclockMode(kernel, false, false, true, false, false),
      notTsc: api.mclockMode(kernel, true, true, false, false, false),
      backwards: api.mclockMode(kernel, true, true, true, true, false),
      oldMsr: api.mclockMode(kernel, true, true, true, false, true),
    });
    const OFF = { useMasterClock: false, tscStable: false };
    const ON = { useMasterClock: true, tscStable: true };

    it('6.18 and 7.4-queued: the master clock needs matched offsets; TSC_STABLE whenever it is on', () => {
      for (const k of ['6.18', '7.4-queued']) expect(modes(k)).toEqual({ allMatched: ON, freqOnly: OFF, none: OFF, notTsc: OFF, backwards: OFF, oldMsr: OFF });
    });

    it('clocks-v6: matched frequencies suffice for the master clock; TSC_STABLE still needs matched offsets', () => {
      for (const k of ['clocks-v6', '6.18+masterclock-offset-tscs']) {
        expect(modes(k)).toEqual({ allMatched: ON, freqOnly: { useMasterClock: true, tscStable: false }, none: OFF, notTsc: OFF, backwards: OFF, oldMsr: OFF });
      }
      // matched offsets imply matched frequencies
      expect(api.mclockMode('clocks-v6', true, false, true, false, false)).toEqual(ON);
    });
  });

  describe('V§7 set-clock-guest-v6: hvclock_to_hz and the worked GET/SET round trip', () => {
    it('hvclock_to_hz examples', () => {
      expect(api.hvclockToHz(3_435_973_836, -1)).toBe(2_500_000_000n);
      expect(api.hvclockToHz(2_147_485_795, 1)).toBe(999_999_000n);
      expect(api.hvclockToHz(2_147_483_650, 1)).toBe(999_999_999n);
      expect(api.hvclockToHz(3_435_973_839, -1)).toBe(2_499_999_998n); // an approximation (V§12.6)
      expect(api.hvclockToHz(4_096_000_000, 20)).toBe(1000n);
    });

    it('hvclock_to_hz corners: mul 0 hangs; |s| ≥ 64 gives 0 (also after the s8 wrap); a left shift drops bits', () => {
      expect(ruleError(() => api.hvclockToHz(0, 0)).code).toBe('hang');
      expect(api.hvclockToHz(2 ** 31, 127)).toBe(0n); // s = s8(127 + 2 + 31) = −96
      expect(api.hvclockToHz(1, 62)).toBe(0n); // s = 64
      expect(api.hvclockToHz(1, -66)).toBe(0n); // s = −64
      // s = −63: tm ≪ 63 keeps only tm's lowest bit; ⌊10^9·2^34/3⌋ is odd, 10^9·2^34 is even
      expect(api.hvclockToHz(3, -65)).toBe(1n << 63n);
      expect(api.hvclockToHz(1, -65)).toBe(0n);
    });

    const V6 = 'clocks-v6';
    const GET = (kernel: string, m: bigint, k: bigint, matched = true) => api.getClockGuestV6(kernel, true, m, k, 0n, 0n, RATIO_1G, 48, 2_500_000n, true, matched);
    const SET = (rec: Parameters<KvmclockApi['setClockGuestV6']>[0], m: bigint, k: bigint) => api.setClockGuestV6(rec, false, true, m, k, 0n, RATIO_1G, 48, 2_500_000n, true);

    it('GET at (M, K) = (10^12, 400·10^9) under clocks-v6: (399,999,999,999, 400·10^9, 2,147,483,650, +1, STABLE)', () => {
      expect(GET(V6, 10n ** 12n, 400n * NS)).toEqual({ tscTimestamp: 399_999_999_999n, systemTime: 400_000_000_000n, mul: 2_147_483_650, shift: 1, flags: 1 });
    });

    it('GET flags: 05/36 alone always sets TSC_STABLE; with 22/36 only when all offsets matched', () => {
      expect(GET('6.18+set-clock-guest-v6', 10n ** 12n, 400n * NS, false).flags).toBe(1);
      expect(GET(V6, 10n ** 12n, 400n * NS, false).flags).toBe(0);
    });

    it('SET of that record: at the same reference offset 0; 1000 s later +931 ns (the pvclock is +0.93 ppb)', () => {
      const rec = GET(V6, 10n ** 12n, 400n * NS);
      expect(SET(rec, 10n ** 12n, 400n * NS)).toEqual({ kvmclockOffset: 0n, guestTsc: 399_999_999_999n });
      expect(SET(rec, 3_500_000_000_000n, 1400n * NS)).toEqual({ kvmclockOffset: 931n, guestTsc: 1_399_999_999_999n });
    });

    it("SET of the 6.18 kHz-based record (mul 2,147,485,795): +999,774 ns — 999,999,000 Hz is inside the 1 kHz window", () => {
      const old = GET('6.18', 10n ** 12n, 400n * NS);
      expect(old).toMatchObject({ mul: 2_147_485_795, shift: 1, tscTimestamp: 399_999_999_999n });
      expect(SET(old, 3_500_000_000_000n, 1400n * NS)).toEqual({ kvmclockOffset: 999_774n, guestTsc: 1_399_999_999_999n });
    });

    it('the ±1000 Hz window is inclusive on both sides (2.5 GHz record against unscaled hosts)', () => {
      // hvclock_to_hz(3,435,973,836, −1) = 2,500,000,000 exactly
      const rec = { tscTimestamp: 0n, systemTime: 0n, mul: 3_435_973_836, shift: -1 };
      const at = (hostKhz: bigint) => () => api.setClockGuestV6(rec, false, true, 10n ** 12n, 0n, 0n, 1n << 48n, 48, hostKhz, false);
      expect(() => at(2_499_999n)()).not.toThrow(); // user = c + 1000
      expect(() => at(2_500_001n)()).not.toThrow(); // user = c − 1000
      expect(ruleError(at(2_499_998n)).code).toBe('ERANGE'); // user = c + 2000
      expect(ruleError(at(2_500_002n)).code).toBe('ERANGE'); // user = c − 2000
    });

    it('both window bounds wrap: below 1000 Hz every record is refused, and so above 2^64 − 1001', () => {
      const rec = { tscTimestamp: 0n, systemTime: 0n, mul: 4_096_000_000, shift: 20 }; // 1000 Hz
      // 1 kHz host scaled by 1023/1024: c = 999 Hz, lower bound lo64(999 − 1000) = 2^64 − 1
      expect(ruleError(() => api.setClockGuestV6(rec, false, true, 0n, 0n, 0n, 1023n, 10, 1n, true)).code).toBe('ERANGE');
      // the same record on the unscaled 1 kHz host is exact
      expect(api.setClockGuestV6(rec, false, true, 0n, 0n, 0n, 1023n, 10, 1n, false).guestTsc).toBe(0n);
      // c = 2^64 − 616: the upper bound wraps to 384
      expect(ruleError(() => api.setClockGuestV6(rec, false, true, 0n, 0n, 0n, 1n, 0, U64_MAX / 1000n, false)).code).toBe('ERANGE');
    });

    it('SET checks in the v6 order: pads, mul, shift (±31 allowed), master clock, frequency, window, guest TSC', () => {
      const rec = GET(V6, 10n ** 12n, 400n * NS);
      const set = (r: object, pads: boolean, master: boolean, hostKhz: bigint, m = 10n ** 12n) => () =>
        api.setClockGuestV6(r as typeof rec, pads, master, m, 400n * NS, 0n, RATIO_1G, 48, hostKhz, true);
      const msg = (f: () => unknown) => ruleError(f).message;
      expect(msg(set({ ...rec, mul: 0, shift: 40 }, true, false, 0n))).toContain('padding');
      expect(msg(set({ ...rec, mul: 0, shift: 40 }, false, false, 0n))).toContain('tsc_to_system_mul is 0');
      expect(msg(set({ ...rec, shift: 32 }, false, false, 0n))).toContain('tsc_shift 32');
      expect(msg(set({ ...rec, shift: -32 }, false, false, 0n))).toContain('tsc_shift -32');
      expect(msg(set({ ...rec, shift: 31 }, false, false, 0n))).toContain('master clock');
      expect(msg(set(rec, false, true, 0n))).toContain('times 1000 is 0');
      expect(ruleError(set(rec, false, true, 3_000_000n)).code).toBe('ERANGE');
      expect(msg(set(rec, false, true, 2_500_000n, 10n ** 12n - 3n))).toContain('below the record');
    });
  });

  describe('V§9.2 one-day evaluation: the mul/shift table and B, C, C′ (C0 = M = 10^12, offsets 0, h = M + host_khz·1000·86400)', () => {
    const CASES = [
      // name, host kHz, user kHz, frac, max ratio; 6.18/7.4 B; v6 B; 6.18 C; 7.4 & v6 C′
      ['2.5→1.0 VMX', 2_500_000, 1_000_000, 48, VMX_MAX, [1, 2_147_485_795], [1, 2_147_483_650], [-1, 3_435_973_836], [1, 2_147_483_650]],
      ['2.5→2.0 VMX', 2_500_000, 2_000_000, 48, VMX_MAX, [0, 2_147_484_721], [0, 2_147_483_649], [-1, 3_435_973_836], [0, 2_147_483_649]],
      ['2.5→2.5 VMX', 2_500_000, 2_500_000, 48, VMX_MAX, [-1, 3_435_973_836], [-1, 3_435_973_836], [-1, 3_435_973_836], [-1, 3_435_973_836]],
      ['3.0→2.5 VMX', 3_000_000, 2_500_000, 48, VMX_MAX, [-1, 3_435_975_211], [-1, 3_435_973_839], [-1, 2_863_311_530], [-1, 3_435_973_839]],
      ['3.0→2.5 SVM', 3_000_000, 2_500_000, 32, SVM_MAX, [-1, 3_435_975_211], [-1, 3_435_973_839], [-1, 2_863_311_530], [-1, 3_435_973_839]],
    ] as const;
    const ts = ([shift, mul]: readonly [number, number]) => ({ shift, mul });

    it.each(CASES)('%s: mul/shift of B (kHz and Hz), C and C′', (_name, host, user, frac, max, bOld, bNew, c, cPrime) => {
      const ratio = api.tscRatio(user, host, frac, max);
      expect(api.getTimeScale(NS, api.tgtTscKhz(host, ratio, frac, true) * 1000n)).toEqual(ts(bOld));
      expect(api.getTimeScale(NS, api.tgtTscHz(BigInt(host), ratio, frac, true))).toEqual(ts(bNew));
      expect(api.getTimeScale(NS, BigInt(host) * 1000n)).toEqual(ts(c));
      expect(api.masterTscScale(BigInt(host), ratio, frac, true)).toEqual(ts(cPrime));
    });

    const VALUES = {
      // B and C (C′) per profile: 6.18, 7.4-queued, clocks-v6
      '2.5→1.0 VMX': { B: [86_400_086_380_541n, 86_400_086_380_541n, 86_400_000_080_466n], C: [86_399_999_979_883n, 86_400_000_080_465n, 86_400_000_080_465n] },
      '2.5→2.0 VMX': { B: [86_400_043_170_154n, 86_400_043_170_154n, 86_400_000_040_233n], C: [86_399_999_979_883n, 86_400_000_040_232n, 86_400_000_040_232n] },
      '2.5→2.5 VMX': { B: [86_399_999_979_883n, 86_399_999_979_883n, 86_399_999_979_883n], C: [86_399_999_979_883n, 86_399_999_979_883n, 86_399_999_979_883n] },
      '3.0→2.5 VMX': { B: [86_400_034_555_234n, 86_400_034_555_234n, 86_400_000_055_320n], C: [86_399_999_979_883n, 86_400_000_055_319n, 86_400_000_055_319n] },
      '3.0→2.5 SVM': { B: [86_400_034_547_187n, 86_400_034_547_187n, 86_400_000_047_274n], C: [86_399_999_979_883n, 86_400_000_047_273n, 86_400_000_047_273n] },
    } as const;

    it.each(CASES)('%s: B (the guest reading its GET record) and C / C′ (KVM_GET_CLOCK) one day later, per profile', (name, host, user, frac, max) => {
      const ratio = api.tscRatio(user, host, frac, max);
      const m = 10n ** 12n;
      const h = m + BigInt(host) * 1000n * 86_400n;
      const profiles = ['6.18', '7.4-queued', 'clocks-v6'];
      const b = profiles.map((p) => {
        const rec = api.getClockGuestV6(p, true, m, 0n, 0n, 0n, ratio, frac, BigInt(host), true, true);
        return api.pvclockRead(api.readL1Tsc(h, 0n, ratio, frac), rec.tscTimestamp, rec.systemTime, rec.mul, rec.shift);
      });
      const c = profiles.map((p) => api.getKvmclock(p, h, m, 0n, 0n, ratio, frac, BigInt(host), true));
      expect({ B: b, C: c }).toEqual(VALUES[name]);
      // clocks-v6: B and C′ differ by the +1 ns of end-point vs delta scaling only (identity ratio: 0)
      expect(b[2] - c[2]).toBe(name === '2.5→2.5 VMX' ? 0n : 1n);
    });
  });

  describe('profiles: the arithmetic follows the changes, not the names', () => {
    it('7.4-queued = 6.18 + its three changes, for KVM_GET_CLOCK and the catch-up', () => {
      const built = KernelProfile.parse('6.18+c-via-guest-tsc+signed-compute-guest-tsc+upscale-to-now');
      expect(api.getKvmclock(built, 217_000_000_000_000n, 10n ** 12n, 0n, 0n, RATIO_1G, 48, 2_500_000n, true)).toBe(86_400_000_080_465n);
      expect(api.tscCatchup(built, 0n, 0n, 2 ** 31, 1, 0n, 1n << 48n, 48, 1000n, 2000n, 1500n, 2600n)).toEqual({ l1Offset: 1100n, tscTimestamp: 2100n });
    });

    it('keep-active-masterclock and resync-after-set-tsc-khz do not change these single-step results', () => {
      for (const extra of ['+keep-active-masterclock', '+resync-after-set-tsc-khz']) {
        expect(api.getKvmclock(`7.4-queued${extra}`, 217_000_000_000_000n, 10n ** 12n, 0n, 0n, RATIO_1G, 48, 2_500_000n, true)).toBe(86_400_000_080_465n);
        expect(GET_V6(api, `clocks-v6${extra}`)).toEqual(GET_V6(api, 'clocks-v6'));
      }
    });
  });
});

function GET_V6(api: KvmclockApi, kernel: string) {
  return api.getClockGuestV6(kernel, true, 10n ** 12n, 400n * NS, 0n, 0n, RATIO_1G, 48, 2_500_000n, true, false);
}
