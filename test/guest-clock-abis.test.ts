/**
 * Known answers for the guest clock ABIs derived from the KVM clock: the worked numbers of the
 * guest-clock-abis document (G§n) — the Hyper-V reference TSC page, the Xen CPUID TSC leaf and
 * VMClock — on both backends through the public API.
 */
import { describe, expect, it } from 'vitest';
import type { KvmclockApi } from '../src/api.js';
import { KernelRuleError, U64_MAX } from '../src/index.js';
import { BACKENDS, apiFor } from './helpers/backends.js';

const NS = 1_000_000_000n;
const M = 10n ** 12n;
const DAY_OF_HOST_CYCLES = 2_500_000_000n * 86_400n;

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
  /** The pvclock KVM gives a guest of `khz` (tgt_tsc_khz). */
  const pvclock = (khz: number) => api.getTimeScale(NS, BigInt(khz) * 1000n);

  describe('G§1.4 Hyper-V page validity: the 10 MHz threshold', () => {
    it('10,000 kHz: s = 7, m = 3,355,443,200 = 100·2^25 = max_mul — one tick is exactly 100 ns, invalid (the test is ≥)', () => {
      expect(pvclock(10_000)).toEqual({ shift: 7, mul: 3_355_443_200 });
      const e = ruleError(() => api.hvTscPage(3_355_443_200, 7, 0n, 0n, 1));
      expect({ code: e.code, reason: e.reason }).toEqual({ code: 'invalid', reason: 'mul' });
    });

    it('10,001 kHz: s = 7, m = 3,355,107,689, tsc_scale 18,444,899,582,480,817,848 (just under 2^64)', () => {
      expect(pvclock(10_001)).toEqual({ shift: 7, mul: 3_355_107_689 });
      expect(api.hvTscPage(3_355_107_689, 7, 0n, 0n, 1)).toEqual({ scale: 18_444_899_582_480_817_848n, offset: 0n });
    });

    it('every kHz from 1 to 10,000 around the threshold is invalid, above it valid (spot checks incl. 4,294,957,295)', () => {
      for (const k of [1, 2, 999, 1000, 5_000, 9_999, 10_000]) expect(ruleError(() => api.hvTscPage(pvclock(k).mul, pvclock(k).shift, 0n, 0n, 1)).reason, `${k} kHz`).toBe('mul');
      for (const k of [10_001, 10_002, 100_000, 2_000_000, 2_500_000, 4_294_957_295, 0xffff_ffff]) expect(() => api.hvTscPage(pvclock(k).mul, pvclock(k).shift, 0n, 0n, 1), `${k} kHz`).not.toThrow();
    });

    it('above 2 GHz the shift is ≤ 0, so max_mul ≥ 100·2^32 exceeds every u32: always valid', () => {
      for (const k of [2_000_001, 3_000_000, 10_000_000]) expect(pvclock(k).shift).toBeLessThanOrEqual(0);
      for (const s of [0, -1, -2, -10]) expect(() => api.hvTscPage(0xffff_ffff, s, 0n, 0n, 1)).not.toThrow();
    });
  });

  describe('G§1.5 the three standard records (2.5 GHz host, VMX, M = 10^12, S = 0, TSC_STABLE)', () => {
    const RECORDS = [
      // guest, ratio, tgt_tsc_khz, s, m, T, tsc_scale, tsc_offset, one day: guest TSC, ReferenceTime, B, ⌊B/100⌋
      ['1.0 GHz', 112_589_990_684_262n, 999_999, 1, 2_147_485_795, 399_999_999_999n, 184_467_625_162_991_206n, -4_000_003_999n, 86_799_999_999_999n, 864_000_863_805n, 86_400_086_380_541n, 864_000_863_805n],
      ['2.0 GHz', 225_179_981_368_524n, 1_999_999, 0, 2_147_484_721, 799_999_999_999n, 92_233_766_453_546_844n, -4_000_001_998n, 173_599_999_999_999n, 864_000_431_702n, 86_400_043_170_154n, 864_000_431_701n],
      ['2.5 GHz', 1n << 48n, 2_500_000, -1, 3_435_973_836, 1_000_000_000_000n, 73_786_976_277_658_337n, -3_999_999_999n, 217_000_000_000_000n, 863_999_999_798n, 86_399_999_979_883n, 863_999_999_798n],
    ] as const;

    for (const [guest, ratio, khz, s, m, t, scale, offset, guestTsc, ref, b, bFloor] of RECORDS) {
      it(`${guest}: record, page and ReferenceTime(T) = 0`, () => {
        expect(api.tgtTscKhz(2_500_000, ratio, 48, true)).toBe(BigInt(khz));
        expect(pvclock(khz)).toEqual({ shift: s, mul: m });
        expect(api.scaleTsc(M, ratio, 48)).toBe(t);
        expect(api.hvTscPage(m, s, t, 0n, 1)).toEqual({ scale, offset });
        expect(api.hvRefRead(t, scale, offset)).toBe(0n);
        // the offset may be given as its u64 pattern too
        expect(api.hvRefRead(t, scale, BigInt.asUintN(64, offset))).toBe(0n);
      });

      it(`${guest}: one day later, ReferenceTime vs the kvmclock B it is derived from`, () => {
        const g = api.readL1Tsc(M + DAY_OF_HOST_CYCLES, 0n, ratio, 48);
        expect(g).toBe(guestTsc);
        expect(api.hvRefRead(g, scale, offset)).toBe(ref);
        expect(api.pvclockRead(g, t, 0n, m, s)).toBe(b);
        expect(api.hvRefMsr(b)).toBe(bFloor); // ⌊B/100⌋, what the MSR fallback would give for B
        expect(ref - bFloor).toBe(guest === '2.0 GHz' ? 1n : 0n); // the two floors can differ by one unit
      });
    }
  });

  describe('G§1.2, G§1.3 page pitfalls and corners', () => {
    it('"negative" system_time 2^64 − 10^9 (−1 s) on the 1 GHz record: offset 184,467,436,727,091,517, not −4,010,003,999', () => {
      const page = api.hvTscPage(2_147_485_795, 1, 399_999_999_999n, U64_MAX + 1n - NS, 1);
      expect(page).toEqual({ scale: 184_467_625_162_991_206n, offset: 184_467_436_727_091_517n });
      // the read at T is ⌊(2^64 − 10^9)/100⌋ units: ≈ 584 years ahead instead of −0.01 s
      expect(api.hvRefRead(399_999_999_999n, page.scale, page.offset)).toBe((U64_MAX + 1n - NS) / 100n);
    });

    it('without TSC_STABLE the page is invalid (unstable), before the mul check', () => {
      for (const flags of [0, 2, 6]) expect(ruleError(() => api.hvTscPage(2_147_485_795, 1, 0n, 0n, flags)).reason).toBe('unstable');
      expect(ruleError(() => api.hvTscPage(0, -30, 0n, 0n, 0)).reason).toBe('unstable');
      expect(() => api.hvTscPage(2_147_485_795, 1, 0n, 0n, 3)).not.toThrow(); // other bits do not matter
    });

    it('shift counts that wrap: s = −30, −31, +33, +34 give max_mul = 0 (even mul 0 is invalid); s = −32 gives max_mul 100, scale 0', () => {
      for (const s of [-30, -31, 33, 34]) expect(ruleError(() => api.hvTscPage(0, s, 0n, 0n, 1)).reason, `shift ${s}`).toBe('mul');
      expect(api.hvTscPage(99, -32, 5n, 12_345n, 1)).toEqual({ scale: 0n, offset: 123n });
      expect(ruleError(() => api.hvTscPage(100, -32, 0n, 0n, 1)).reason).toBe('mul');
    });
  });

  describe('G§1.7 the reference-counter MSR', () => {
    it('⌊kvmclock_ns/100⌋, unsigned', () => {
      expect(api.hvRefMsr(0n)).toBe(0n);
      expect(api.hvRefMsr(99n)).toBe(0n);
      expect(api.hvRefMsr(100n)).toBe(1n);
      expect(api.hvRefMsr(86_399_999_979_883n)).toBe(863_999_999_798n);
      expect(api.hvRefMsr(U64_MAX)).toBe(184_467_440_737_095_516n);
    });
  });

  describe('G§2.2 the Xen CPUID TSC leaf', () => {
    it.each([
      ['2.5 GHz (unscaled)', 2_500_000, 3_435_973_836, 4_294_967_295],
      ['1.0 GHz', 999_999, 2_147_485_795, 1],
      ['2.0 GHz', 1_999_999, 2_147_484_721, 0],
      ['10 MHz', 10_000, 3_355_443_200, 7],
      ['1 kHz', 1, 4_096_000_000, 20],
    ] as const)('%s: ECX %i… as the table gives', (_name, khz, ecx, edx) => {
      expect(api.xenTscLeaf(khz)).toEqual({ ecx, edx, eax: khz });
    });

    it('EAX is the floored scaled kHz: a 1 GHz TSC is reported as 999.999 MHz', () => {
      expect(api.xenTscLeaf(Number(api.tgtTscKhz(2_500_000, 112_589_990_684_262n, 48, true))).eax).toBe(999_999);
    });

    it('0 kHz never terminates in kvm_get_time_scale: hang', () => {
      expect(ruleError(() => api.xenTscLeaf(0)).code).toBe('hang');
    });
  });

  describe('G§3.4 VMClock period and shift for a counter frequency', () => {
    it.each([
      [1_000_000_000n, 29, 9_903_520_314_283_042_199n],
      [2_500_000_000n, 31, 15_845_632_502_852_867_518n],
      [3_000_000_000n, 31, 13_204_693_752_377_389_598n],
      [1n << 32n, 31, 1n << 63n],
      [2n, 0, 1n << 63n],
      [3n, 1, 12_297_829_382_473_034_410n],
      [U64_MAX, 63, 1n << 63n],
    ] as const)('%s Hz → shift %i, period %s', (f, shift, period) => {
      expect(api.vmclockPeriod(f)).toEqual({ shift, period });
    });

    it('f = 2^k gives shift k − 1 and period 2^63 exactly; below 2 Hz nothing fits (nofit)', () => {
      for (let k = 1; k <= 63; k++) expect(api.vmclockPeriod(1n << BigInt(k))).toEqual({ shift: k - 1, period: 1n << 63n });
      expect(ruleError(() => api.vmclockPeriod(1n)).code).toBe('nofit');
      expect(ruleError(() => api.vmclockPeriod(0n)).code).toBe('nofit');
    });
  });

  describe('G§3.2 worked reads (2.5 GHz, shift 31, counter_value 10^12, time_sec 1.7·10^9)', () => {
    const P = 15_845_632_502_852_867_518n;
    const read = (c: bigint, frac = 0n) => api.vmclockRead(c, M, P, 31, 1_700_000_000n, frac);

    it('at counter_value: 1,700,000,000 s 0 ns', () => {
      expect(read(M)).toEqual({ sec: 1_700_000_000n, nsec: 0 });
    });
    it('one second later: 1,700,000,000 s 999,999,999 ns (the floored period stays below the whole second)', () => {
      expect(read(M + 2_500_000_000n)).toEqual({ sec: 1_700_000_000n, nsec: 999_999_999 });
    });
    it('one day later: 1,700,086,399.999999999', () => {
      expect(read(M + DAY_OF_HOST_CYCLES)).toEqual({ sec: 1_700_086_399n, nsec: 999_999_999 });
    });
    it('one tick before counter_value wraps: 9,078,697,629 s 483,820,645 ns', () => {
      expect(read(M - 1n)).toEqual({ sec: 9_078_697_629n, nsec: 483_820_645 });
    });
    it('time_frac_sec = 2^63 and one tick: 1,700,000,000.5 s', () => {
      expect(read(M + 1n, 1n << 63n)).toEqual({ sec: 1_700_000_000n, nsec: 500_000_000 });
    });
    it('a shift ≥ 128 is taken mod 128 (159 reads like 31)', () => {
      expect(api.vmclockRead(M + 2_500_000_000n, M, P, 159, 1_700_000_000n, 0n)).toEqual(read(M + 2_500_000_000n));
    });
    it('the carry from time_frac_sec into the seconds is kept; the seconds wrap as a u64', () => {
      expect(api.vmclockRead(M + 1n, M, P, 31, U64_MAX, U64_MAX)).toEqual({ sec: 0n, nsec: Number(((U64_MAX + (P >> 31n) - (1n << 64n)) * NS) >> 64n) });
    });
  });

  describe('G§3.3 ptp_vmclock TAI time', () => {
    const P = 15_845_632_502_852_867_518n;
    // time_frac_sec half a second past 1,700,000,000 s, read one second of counts later (as in vmclock_gettime.jsonl)
    const g = (type: number, flags: bigint, tai: number, status: number) => () =>
      api.vmclockGettime(1_002_500_000_000n, M, P, 31, 1_700_000_000n, 1n << 63n, type, flags, tai, status);

    it('TAI (time_type 1) is used as read', () => {
      // 1.5 s less the floored period's fraction of a ns
      expect(g(1, 0n, -37, 2)()).toEqual({ sec: 1_700_000_001n, nsec: 499_999_999 });
    });
    it('UTC with TAI_OFFSET_VALID: TAI = UTC − (UTC − TAI) = UTC + 37 s in 2025, given as s16 or its u16 pattern', () => {
      expect(g(0, 1n, -37, 2)()).toEqual({ sec: 1_700_000_038n, nsec: 499_999_999 });
      expect(g(0, 1n, 0xffdb, 2)()).toEqual({ sec: 1_700_000_038n, nsec: 499_999_999 });
      expect(g(0, 0x81n, -37, 0)()).toEqual({ sec: 1_700_000_038n, nsec: 499_999_999 });
    });
    it('a stale "+37" offset puts TAI 74 s away from the right one', () => {
      expect(g(0, 1n, -37, 2)().sec - g(0, 1n, 37, 2)().sec).toBe(74n);
    });
    it('EINVAL: UTC without a valid offset, monotonic or smeared time, and an unreliable clock (checked first)', () => {
      expect(ruleError(g(0, 0n, -37, 2)).code).toBe('EINVAL');
      for (const t of [2, 3, 4]) expect(ruleError(g(t, 1n, -37, 2)).code).toBe('EINVAL');
      expect(ruleError(g(1, 1n, -37, 4)).message).toContain('unreliable');
      expect(ruleError(g(9, 0n, -37, 4)).message).toContain('unreliable');
    });
  });
});
