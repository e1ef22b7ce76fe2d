/**
 * Algebraic properties of the BigInt reference that follow from the kernel's
 * definitions (spec sections in brackets). Each carries the reason it holds; none
 * is a restatement of the implementation. The Wasm backend inherits them through
 * the differential suite.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArithmeticFaultError, KernelRuleError } from '../src/errors.js';
import { CHANGE_IDS } from '../src/kernel/changes.js';
import { KernelProfile } from '../src/kernel/profile.js';
import { KVM_CLOCK_REALTIME, S64_MIN, U32_MAX, U64_MAX } from '../src/units.js';
import {
  KERNEL_PROFILE_STRINGS,
  caps,
  frac,
  fracAndRatio,
  fracAndVariantRatio,
  hostKhz64,
  hz,
  khz,
  mulShift,
  pvMul,
  pvclockMulShift,
  s16Pattern,
  s64,
  s8Shift,
  setClockFlags,
  timeScaleArgs,
  u32,
  u64,
  u8,
  vmclockFlags,
  vmclockShift,
  vmclockStatus,
  vmclockTimeType,
} from './helpers/arbitraries.js';
import { apiFor, outcome } from './helpers/backends.js';

const api = apiFor('reference');
const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const pow2 = (k: number): bigint => 1n << BigInt(k);
const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;

describe('reference: 64-bit multiply helpers [§2]', () => {
  it('mulU64U64Shr(a, 2^k, k) === a for k ≤ 63', () => {
    // a·2^k is exact in 128 bits and shifting it back right by k gives a, which fits 64 bits.
    fc.assert(fc.property(u64, fc.integer({ min: 0, max: 63 }), (a, k) => api.mulU64U64Shr(a, pow2(k), k) === a));
  });

  it('mulU64U32Shr(a, m, s) === mulU64U64Shr(a, m, s)', () => {
    // Both are lo64(⌊a·m / 2^s⌋) of the exact product; a u32 multiplier is just a small u64 one.
    fc.assert(fc.property(u64, u32, mulShift, (a, m, s) => api.mulU64U32Shr(a, m, s) === api.mulU64U64Shr(a, BigInt(m), s)));
  });

  it('mulU64U64Shr(a, b, s) is symmetric in a and b', () => {
    // The 128-bit product commutes; the shift and the truncation are applied to the same product.
    fc.assert(fc.property(u64, u64, mulShift, (a, b, s) => api.mulU64U64Shr(a, b, s) === api.mulU64U64Shr(b, a, s)));
  });

  it('mulU64U64Shr(a, b, s) never truncates for s ≥ 64', () => {
    // a·b < 2^128, so ⌊a·b/2^s⌋ < 2^64 once s ≥ 64: the result is the exact quotient.
    fc.assert(fc.property(u64, u64, fc.integer({ min: 64, max: 127 }), (a, b, s) => api.mulU64U64Shr(a, b, s) === (a * b) >> BigInt(s)));
  });

  it('mulS64U64Shr(−a) === −mulS64U64Shr(a) mod 2^64 (a ≠ −2^63)', () => {
    // Sign-magnitude: |−a| = |a| gives the same magnitude, and the sign only decides whether it is negated mod 2^64.
    fc.assert(
      fc.property(s64, u64, mulShift, (a, b, s) => {
        fc.pre(a !== S64_MIN);
        return api.mulS64U64Shr(-a, b, s) === lo64(-api.mulS64U64Shr(a, b, s));
      }),
    );
  });

  it('mulS64U64Shr(a, b, s) === mulU64U64Shr(a, b, s) for a ≥ 0', () => {
    // A non-negative a is its own magnitude and is not negated.
    fc.assert(fc.property(s64, u64, mulShift, (a, b, s) => a < 0n || api.mulS64U64Shr(a, b, s) === api.mulU64U64Shr(a, b, s)));
  });

  it('x86-64 mulU64U32Div returns what the generic version returns, or throws overflow exactly when the quotient needs > 64 bits', () => {
    // Both divide the same exact 96-bit product; the generic one keeps the low 64 bits of the
    // quotient, the x86 DIV raises #DE instead when the quotient does not fit.
    fc.assert(
      fc.property(u64, u32, u32, (a, m, d) => {
        fc.pre(d !== 0);
        const generic = api.mulU64U32DivGeneric(a, m, d);
        const fits = a * BigInt(m) < BigInt(d) << 64n; // ⌊a·m/d⌋ < 2^64
        if (fits) return api.mulU64U32Div(a, m, d) === generic;
        expect(() => api.mulU64U32Div(a, m, d)).toThrow(expect.objectContaining({ code: 'overflow' }));
        return true;
      }),
    );
  });

  it('mulU64U32Div(a, m, m) === a for m ≠ 0', () => {
    // a·m/m = a exactly, which fits 64 bits, so the x86 DIV cannot fault.
    fc.assert(fc.property(u64, u32, (a, m) => m === 0 || api.mulU64U32Div(a, m, m) === a));
  });
});

describe('reference: kvm_get_time_scale [§4]', () => {
  // Pairs whose reductions coincide (scaled ≈ base) reach the spec's corner; random pairs alone
  // almost never do.
  const closePairs = fc.oneof(
    { weight: 3, arbitrary: timeScaleArgs },
    { weight: 1, arbitrary: fc.tuple(fc.bigInt({ min: 1n, max: pow2(63) - 1n }), fc.integer({ min: -2, max: 2 })).map(([x, d]): [bigint, bigint] => [x, x + BigInt(d) < 1n ? 1n : x + BigInt(d)]) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 62 }), fc.integer({ min: 0, max: 62 })).chain(([i, j]) => fc.tuple(fc.constantFrom(pow2(i) - 1n, pow2(i), pow2(i) + 1n), fc.constantFrom(pow2(j) - 1n, pow2(j), pow2(j) + 1n))) },
  );

  it('for 1 ≤ scaled_hz < 2^63 and base_hz ≥ 1 it returns, with mul ∈ [2^31 − 1, 2^32) and shift ∈ [−62, 64]', () => {
    // Phase 1 leaves t ≥ 1 (the doubled limit is ≥ 2); phases 2–3 end with s < t ≤ 2s or with
    // 2^31 ≤ t ≤ s < 2^32, which phase 4 turns into s' = ⌊s/2⌋ with 2s' ≥ t − 1; so
    // mul = ⌊s·2^32/t⌋ ≥ ⌊(t − 1)·2^31/t⌋ = 2^31 − 1. NOTE: the spec (§4) claims mul ≥ 2^31 here;
    // that fails when phase 4 meets s = t odd — see the pinned example below. The shift bound
    // is the spec's §4.3 (a 63-bit pre-reduction).
    fc.assert(
      fc.property(closePairs, ([scaled, base]) => {
        fc.pre(scaled >= 1n && scaled < pow2(63) && base >= 1n);
        const { shift, mul } = api.getTimeScale(scaled, base);
        return Number.isInteger(mul) && mul >= TWO_31 - 1 && mul < TWO_32 && Number.isInteger(shift) && shift >= -62 && shift <= 64;
      }),
    );
  });

  it('mul ≥ 2^31 fails only through phase 4 with equal odd reductions: getTimeScale(2^31 + 1, 2^31 + 1) = {shift 1, mul 2^31 − 1}', () => {
    // t = s = 2^31 + 1 (no reduction); t ≥ 2^31 blocks growth, so s is halved to 2^30 and
    // mul = ⌊2^62/(2^31 + 1)⌋ = 2^31 − 1. The kernel's interleaved loop does the same.
    expect(api.getTimeScale(pow2(31) + 1n, pow2(31) + 1n)).toEqual({ shift: 1, mul: TWO_31 - 1 });
    expect(api.getTimeScale(pow2(32) + 2n, pow2(32) + 2n)).toEqual({ shift: 1, mul: TWO_31 - 1 });
    // an even common reduction gives exactly 2^31
    expect(api.getTimeScale(pow2(31) + 2n, pow2(31) + 2n)).toEqual({ shift: 1, mul: TWO_31 });
  });

  it('throws `hang` exactly when base_hz = 0 or lo64(2·scaled_hz) = 0 (scaled_hz ∈ {0, 2^63})', () => {
    // The base is halved while it exceeds lo64(2·scaled); with that limit 0, or a base of 0, it
    // reaches 0 and the kernel's loop never ends. Otherwise the limit is ≥ 2 and the base stays ≥ 1.
    const scaledArb = fc.oneof(u64, fc.constantFrom(0n, pow2(63)));
    const baseArb = fc.oneof(u64, fc.constant(0n));
    fc.assert(
      fc.property(scaledArb, baseArb, (scaled, base) => {
        const hangs = base === 0n || scaled === 0n || scaled === pow2(63);
        let code: unknown = null;
        try {
          api.getTimeScale(scaled, base);
        } catch (e) {
          expect(e).toBeInstanceOf(KernelRuleError);
          code = (e as KernelRuleError).code;
        }
        return hangs ? code === 'hang' : code === null;
      }),
    );
  });

  it('getTimeScale(x, x) is the identity scale for 1 ≤ x < 2^63: pvclockScaleDelta(d, mul, shift) ≤ d', () => {
    // mul < 2^32 and the rate scaled/base = 1, so the floored conversion can never exceed d
    // once d ≪ shift does not wrap (d < 2^(64 − shift) for a positive shift).
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: pow2(63) - 1n }), u64, (x, d) => {
        const { shift, mul } = api.getTimeScale(x, x);
        fc.pre(shift <= 0 || d < pow2(64 - shift));
        return api.pvclockScaleDelta(d, mul, shift) <= d;
      }),
    );
  });
});

describe('reference: pvclock [§3]', () => {
  it('pvclockScaleDelta is monotonic non-decreasing in delta for shift ≤ 0', () => {
    // A right pre-shift (count masked to 6 bits, still a right shift), a product with a fixed
    // multiplier and the ≫ 32 are all monotonic; only positive pre-shifts wrap.
    fc.assert(
      fc.property(u64, u64, u32, fc.oneof(fc.integer({ min: -128, max: 0 }), fc.constantFrom(-64, -65, -63, -32, -1, 0)), (d1, d2, mul, shift) => {
        const [lo, hi] = d1 <= d2 ? [d1, d2] : [d2, d1];
        return api.pvclockScaleDelta(lo, mul, shift) <= api.pvclockScaleDelta(hi, mul, shift);
      }),
    );
  });

  it('pvclockScaleDelta(d, mul, shift) ≤ d for shift ≤ 0', () => {
    // mul/2^32 < 1 and a right shift only shrinks d.
    fc.assert(fc.property(u64, u32, fc.integer({ min: -128, max: 0 }), (d, mul, shift) => api.pvclockScaleDelta(d, mul, shift) <= d));
  });

  it('pvclockRead at tsc === tsc_timestamp returns system_time', () => {
    // The delta is 0 and scale_delta(0) = 0 whatever the pre-shift and multiplier.
    fc.assert(fc.property(u64, u64, u32, s8Shift, (ts, st, mul, shift) => api.pvclockRead(ts, ts, st, mul, shift) === st));
  });

  it('pvclockTscKhz(getTimeScale(10^9, khz·1000)) is within 1 kHz of khz for khz ≤ 4,000,000 (within 2^−shift − 1 beyond)', () => {
    // mul is floored, so 10^6·2^32/mul slightly exceeds the true kHz / 2^−shift and the floor
    // brings it back; undoing a negative pre-shift multiplies that sub-unit error by 2^−shift
    // (shift ≥ −1 up to 4 GHz).
    fc.assert(
      fc.property(fc.oneof(khz, fc.integer({ min: 1, max: 4_000_000 })), (k) => {
        const { shift, mul } = api.getTimeScale(1_000_000_000n, BigInt(k) * 1000n);
        const back = api.pvclockTscKhz(mul, shift);
        const err = back > BigInt(k) ? back - BigInt(k) : BigInt(k) - back;
        const bound = k <= 4_000_000 ? 1n : pow2(Math.max(0, -shift)) - 1n;
        return err <= bound;
      }),
    );
  });

  it('the guest read guard never goes below last_value unless both sides have TSC_STABLE', () => {
    // Without the stable bit the guest clamps against, then raises, the global last_value.
    fc.assert(
      fc.property(u64, u8, u8, u64, (ret, flags, valid, last) => {
        const r = api.pvclockGuestRead(ret, flags, valid, last);
        if (flags & valid & 1) return r.result === ret && r.newLastValue === last;
        return r.result >= last && r.result >= ret && r.newLastValue === r.result;
      }),
    );
  });
});

describe('reference: TSC scaling and offsets [§5]', () => {
  it('scaleTsc with the default ratio 2^frac is the identity', () => {
    // kvm_scale_tsc short-cuts the default ratio; tsc·2^f ≫ f = tsc anyway.
    fc.assert(fc.property(u64, frac, (t, f) => api.scaleTsc(t, pow2(f), f) === t));
  });

  it('scaleTsc(t, r, f) === mulU64U64Shr(t, r, f) for every ratio', () => {
    // The identity short-cut agrees with the multiply (see above), so the multiply is the whole story.
    fc.assert(fc.property(u64, fracAndRatio(), (t, [f, r]) => api.scaleTsc(t, r, f) === api.mulU64U64Shr(t, r, f)));
  });

  it('computeL1TscOffset then readL1Tsc at the same host TSC returns the target', () => {
    // offset = target − scale(h) and read = offset + scale(h), both mod 2^64.
    fc.assert(
      fc.property(u64, u64, fracAndRatio(), (target, host, [f, r]) => api.readL1Tsc(host, api.computeL1TscOffset(target, host, r, f), r, f) === target),
    );
  });

  it('nested TSC: a default L2 multiplier passes the L1 values through', () => {
    // kvm_calc_nested_tsc_multiplier/offset short-cut l2_multiplier == 2^frac.
    fc.assert(
      fc.property(u64, u64, u64, frac, (l1, o1, o2, f) => {
        return api.nestedTscMultiplier(l1, pow2(f), f) === l1 && api.nestedTscOffset(o1, o2, pow2(f), f) === lo64(o1 + o2);
      }),
    );
  });

  it('tscRatio(k, k, frac, max) === 2^frac when 0 < 2^frac < max', () => {
    // ⌊2^f·k/k⌋ = 2^f exactly; the quotient fits 64 bits, and it is neither 0 nor ≥ max.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: U32_MAX }), caps(), (k, c) => {
        fc.pre(pow2(c.frac) < c.maxRatio);
        return api.tscRatio(k, k, c.frac, c.maxRatio) === pow2(c.frac);
      }),
    );
  });

  it('tscRatio: a zero ratio is rejected with `zero`, one ≥ max with `toolarge`, both carrying the ratio', () => {
    // kvm_set_tsc_khz refuses those ratios; the error reports the offending value.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: U32_MAX }), fc.integer({ min: 1, max: U32_MAX }), caps(), (u, h, c) => {
        const exact = (pow2(c.frac) * BigInt(u)) / BigInt(h);
        fc.pre(exact <= U64_MAX);
        try {
          const r = api.tscRatio(u, h, c.frac, c.maxRatio);
          return r === exact && r !== 0n && r < c.maxRatio;
        } catch (e) {
          expect(e).toBeInstanceOf(KernelRuleError);
          const k = e as KernelRuleError;
          return k.value === exact && (exact === 0n ? k.code === 'zero' : k.code === 'toolarge' && exact >= c.maxRatio);
        }
      }),
    );
  });

  it('adjustTscKhz(k, 0) === k', () => {
    // The factor is 10^6 + 0; k·10^6 < 2^52 fits u64 and dividing by 10^6 gives k back.
    fc.assert(fc.property(u32, (k) => api.adjustTscKhz(k, 0) === k));
  });

  it('adjustTscKhz(k, ppm) ≤ k for −10^6 ≤ ppm ≤ 0, and is non-decreasing in ppm there', () => {
    // The factor 10^6 + ppm lies in [0, 10^6]: no s32 wrap, k·factor/10^6 ≤ k < 2^32, so no u32
    // wrap either, and a larger factor never gives a smaller floor.
    fc.assert(
      fc.property(u32, fc.integer({ min: -1_000_000, max: 0 }), fc.integer({ min: -1_000_000, max: 0 }), (k, p1, p2) => {
        const [lo, hi] = p1 <= p2 ? [p1, p2] : [p2, p1];
        const a = api.adjustTscKhz(k, lo);
        const b = api.adjustTscKhz(k, hi);
        return a <= b && b <= k;
      }),
    );
  });

  it('setTscKhz for user = host (≤ 2^31 kHz) stays within any tolerance ≤ 10^6 ppm: default ratio, no scaling', () => {
    // adjust(host, −tol) ≤ host ≤ adjust(host, +tol) when the factors stay in [0, 2·10^6] and
    // 2·host < 2^32; the inclusive thresholds keep user = host inside the window.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: TWO_31 }), fc.boolean(), caps(), fc.integer({ min: 0, max: 1_000_000 }), (k, ctl, c, tol) => {
        const r = api.setTscKhz(k, k, ctl, c.frac, c.maxRatio, tol);
        return r.rc === 0 && r.ratio === pow2(c.frac) && !r.useScaling && !r.catchup && r.virtualTscShift !== null && r.virtualTscMult !== null;
      }),
    );
  });

  it('setTscKhz reports virtual_tsc_mult/shift = getTimeScale(user·1000, 10^9) for every non-zero request', () => {
    // kvm_set_tsc_khz computes them before any other check, so they are set even when it fails.
    fc.assert(
      fc.property(khz, khz, fc.boolean(), caps(), fc.integer({ min: 0, max: 100_000 }), (u, h, ctl, c, tol) => {
        const ts = api.getTimeScale(BigInt(u) * 1000n, 1_000_000_000n);
        try {
          const r = api.setTscKhz(u, h, ctl, c.frac, c.maxRatio, tol);
          return r.virtualTscShift === ts.shift && r.virtualTscMult === ts.mul;
        } catch (e) {
          expect(e).toBeInstanceOf(ArithmeticFaultError); // only the #DE path may throw
          return true;
        }
      }),
    );
  });

  it('tgtTscKhz without TSC control is the host kHz; with a default ratio it is the host kHz (0 → 1)', () => {
    // Only has_tsc_control scales; scaling by 2^frac is the identity; the `?: 1` clamp maps 0 to 1.
    fc.assert(
      fc.property(u32, fracAndRatio(), (h, [f, r]) => {
        return api.tgtTscKhz(h, r, f, false) === BigInt(h) && api.tgtTscKhz(h, pow2(f), f, true) === (h === 0 ? 1n : BigInt(h));
      }),
    );
  });

  it('maxGuestTscKhz never exceeds 2^31 − 1', () => {
    // KVM caps kvm_caps.max_guest_tsc_khz at 0x7fffffff.
    fc.assert(fc.property(u32, caps(), (h, c) => api.maxGuestTscKhz(h, c.maxRatio, c.frac) <= TWO_31 - 1));
  });
});

describe('reference: clocksource and raw time [§6]', () => {
  it('rawNs === kvmBaseNs when KVM\'s 64-bit path cannot wrap (cycles ≥ cycle_last, offs_boot 0)', () => {
    // Both compute raw_sec·10^9 + ⌊(xtime_nsec + Δ·mult)/2^shift⌋; KVM's copy merely does it in
    // u64, which is exact as long as no intermediate reaches 2^64.
    fc.assert(
      fc.property(u64, fc.bigInt({ min: 0n, max: pow2(34) }), fc.bigInt({ min: 0n, max: pow2(33) }), fc.bigInt({ min: 0n, max: pow2(62) }), u32, fc.integer({ min: 0, max: 63 }), (last, d, sec, xt, mult, shift) => {
        const cycles = last + d;
        fc.pre(cycles <= U64_MAX);
        const sum = xt + d * BigInt(mult);
        fc.pre(sum <= U64_MAX && sec * 1_000_000_000n + (sum >> BigInt(shift)) <= U64_MAX);
        return api.rawNs(cycles, last, sec, xt, mult, shift) === api.kvmBaseNs(cycles, last, sec, xt, mult, shift, 0n);
      }),
    );
  });

  it('kvmBaseNs clamps a TSC below cycle_last up to cycle_last', () => {
    // do_kvmclock_base's read_tsc never returns less than cycle_last.
    fc.assert(
      fc.property(u64, u64, u64, u64, u32, fc.integer({ min: 0, max: 63 }), s64, (a, b, sec, xt, mult, shift, ob) => {
        const [cycles, last] = a < b ? [a, b] : [b, a];
        return api.kvmBaseNs(cycles, last, sec, xt, mult, shift, ob) === api.kvmBaseNs(last, last, sec, xt, mult, shift, ob);
      }),
    );
  });

  it('cyc2ns(d, mult, shift) === mulU64U64Shr(d, mult, shift) when d·mult < 2^64', () => {
    // clocksource_cyc2ns truncates the product to 64 bits first; without truncation the two agree.
    fc.assert(
      fc.property(u64, u32, fc.integer({ min: 0, max: 63 }), (d, mult, shift) => {
        fc.pre(d * BigInt(mult) <= U64_MAX);
        return api.cyc2ns(d, mult, shift) === api.mulU64U64Shr(d, BigInt(mult), shift);
      }),
    );
  });

  it('clocksourceRegister leaves room for the maximum adjustment: mult + maxadj < 2^32, maxadj = ⌊11 % of mult⌋', () => {
    // __clocksource_update_freq_scale halves mult until mult ± maxadj fits a u32.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: U32_MAX }), fc.constantFrom(1, 1000, 1_000_000), fc.oneof(u64, fc.constantFrom(U64_MAX, 0xffff_ffffn)), (freq, scale, mask) => {
        const r = api.clocksourceRegister(freq, scale, mask);
        return r.mult + r.maxadj < TWO_32 && r.maxadj === Math.floor((r.mult * 11) / 100) && r.maxsec >= 1n && (mask < pow2(32) || r.maxsec <= 600n);
      }),
    );
  });
});

describe('reference: ioctls and wall clock [§7, §8]', () => {
  it('wallClock splits the epoch losslessly: ((sec_hi·2^32 + sec)·10^9 + nsec) === wall_nsec', () => {
    // sec = ⌊wall/10^9⌋ < 2^35 is split into its low and high 32 bits; nsec is the remainder.
    fc.assert(
      fc.property(u64, (w) => {
        const r = api.wallClock(w);
        return r.nsec >= 0 && r.nsec < 1e9 && ((BigInt(r.secHi) << 32n) + BigInt(r.sec)) * 1_000_000_000n + BigInt(r.nsec) === w;
      }),
    );
  });

  it('setClock: clock ≡ offset + base (mod 2^64) unless the REALTIME correction applies', () => {
    // kvmclock_offset = (s64)(clock − base) and nothing is added without REALTIME or when
    // now_real ≤ realtime, so adding the base back gives the clock.
    fc.assert(
      fc.property(u64, setClockFlags, u64, u64, fc.boolean(), u64, u64, (clock, flags, rt, now, um, k, bn) => {
        fc.pre((flags & ~0xe) === 0);
        const off = api.setClock(clock, flags, rt, now, um, k, bn);
        const base = um ? k : bn;
        const added = flags & KVM_CLOCK_REALTIME && now > rt ? now - rt : 0n;
        return lo64(off + base) === lo64(clock + added);
      }),
    );
  });

  it('setClock rejects any flag outside TSC_STABLE|REALTIME|HOST_TSC with EINVAL', () => {
    // KVM_SET_CLOCK's first check.
    fc.assert(
      fc.property(u64, u32, (clock, flags) => {
        fc.pre((flags & ~0xe) !== 0);
        expect(() => api.setClock(clock, flags, 0n, 0n, false, 0n, 0n)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
        return true;
      }),
    );
  });

  it('syncWindow: a write of exactly the expected value is inside the window (no u64 wrap)', () => {
    // expected < expected + hz and expected + hz > expected when neither sum wraps.
    fc.assert(
      fc.property(u64, u64, fc.integer({ min: 1, max: U32_MAX }), u32, s8Shift, (last, el, vk, vm, vs) => {
        const expected = lo64(last + api.pvclockScaleDelta(el, vm, vs));
        fc.pre(expected + BigInt(vk) * 1000n <= U64_MAX);
        return api.syncWindow(expected, last, el, vk, vm, vs);
      }),
    );
  });
});

describe('reference: batch forms', () => {
  it('each batch form is its scalar form applied element-wise', () => {
    // The Backend contract: out[i] = f(in[i], …).
    fc.assert(
      fc.property(fc.array(u64, { maxLength: 20 }), u64, u64, pvclockMulShift(), fracAndRatio(), mulShift, (xs, p0, p1, [mul, shift], [f, r], ms) => {
        const a = BigUint64Array.from(xs);
        const ys = xs.map((x) => lo64(x * 3n + 1n));
        const b = BigUint64Array.from(ys);
        expect(Array.from(api.pvclockReadBatch(a, { tscTimestamp: p0, systemTime: p1, mul, shift }))).toEqual(xs.map((x) => api.pvclockRead(x, p0, p1, mul, shift)));
        expect(Array.from(api.pvclockScaleDeltaBatch(a, mul, shift))).toEqual(xs.map((x) => api.pvclockScaleDelta(x, mul, shift)));
        expect(Array.from(api.scaleTscBatch(a, r, f))).toEqual(xs.map((x) => api.scaleTsc(x, r, f)));
        expect(Array.from(api.readL1TscBatch(a, p0, r, f))).toEqual(xs.map((x) => api.readL1Tsc(x, p0, r, f)));
        expect(Array.from(api.mulU64U64ShrBatch(a, b, ms))).toEqual(xs.map((x, i) => api.mulU64U64Shr(x, ys[i], ms)));
        return true;
      }),
      { numRuns: Math.max(20, Math.ceil(fc.readConfigureGlobal().numRuns! / 5)) },
    );
  });
});

// ---------------------------------------------------------------------------
// Upstream variants (kernel-variants document, "V§") and guest clock ABIs ("G§")

const NS = 1_000_000_000n;
const TWO_61 = pow2(61);
const TWO_63 = pow2(63);
const s64of = (x: bigint): bigint => BigInt.asIntN(64, x);
const PROFILES = KERNEL_PROFILE_STRINGS.map((t) => KernelProfile.parse(t));
const profile = fc.constantFrom(...PROFILES);
/** The code of the KernelRuleError `f` throws, or null when it returns. */
function ruleCode(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(KernelRuleError);
    return (e as KernelRuleError).code;
  }
}

describe('reference: Hz pvclock frequency and the master clock [V§1, V§2]', () => {
  it('tgtTscHz refuses (nofreq) exactly the host kHz that are multiples of 2^61; without TSC control it is host_khz·1000 mod 2^64', () => {
    // 1000 = 2^3·125 with 125 odd, so host·1000 ≡ 0 (mod 2^64) iff host ≡ 0 (mod 2^61); without
    // hardware scaling the frequency is used as it is (V§1).
    fc.assert(
      fc.property(hostKhz64, fracAndVariantRatio(), fc.boolean(), (host, [f, r], ctl) => {
        if (host % TWO_61 === 0n) return ruleCode(() => api.tgtTscHz(host, r, f, ctl)) === 'nofreq';
        const hz = api.tgtTscHz(host, r, f, ctl);
        return ctl ? hz >= 1n : hz === lo64(host * 1000n);
      }),
    );
  });

  it('tgtTscHz with the identity ratio 2^frac equals tgtTscHz without TSC control', () => {
    // Scaling by 2^frac is the identity and the frequency is already non-zero, so the clamp never applies.
    fc.assert(fc.property(hostKhz64, frac, (host, f) => host % TWO_61 === 0n || api.tgtTscHz(host, pow2(f), f, true) === api.tgtTscHz(host, pow2(f), f, false)));
  });

  it('flooring once in Hz: tgtTscKhz·1000 ≤ tgtTscHz < tgtTscKhz·1000 + 1000 when the scaled kHz is ≥ 1 and nothing truncates', () => {
    // With x = host·ratio/2^frac: 1000·⌊x⌋ ≤ ⌊1000·x⌋ < 1000·⌊x⌋ + 1000 (V§1: "the Hz product is floored
    // once instead of (kHz floor)×1000"); ⌊x⌋ ≥ 1 keeps both clamps out of play.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: U32_MAX }), fracAndVariantRatio(), (host, [f, r]) => {
        fc.pre(BigInt(host) * 1000n * r < pow2(64 + f) && (BigInt(host) * r) >> BigInt(f) >= 1n);
        const k = api.tgtTscKhz(host, r, f, true) * 1000n;
        const hz = api.tgtTscHz(BigInt(host), r, f, true);
        return k <= hz && hz < k + 1000n;
      }),
    );
  });

  it("masterTscScale is kvm_get_time_scale of tgtTscHz's frequency, except where tgtTscHz clamps 0 Hz to 1 (nomaster there)", () => {
    // Both start from lo64(host·1000) scaled by the same ratio; only the `?: 1` clamp differs (V§2:
    // "NO ?: 1 clamp"). This is also why B and C′ share mul/shift in clocks-v6 (V§9.1).
    fc.assert(
      fc.property(hostKhz64, fracAndVariantRatio(), fc.boolean(), (host, [f, r], ctl) => {
        if (host % TWO_61 === 0n) return ruleCode(() => api.masterTscScale(host, r, f, ctl)) === 'nomaster';
        const hz = api.tgtTscHz(host, r, f, ctl);
        const master = outcome(() => api.masterTscScale(host, r, f, ctl));
        if (!master.ok) return master.error.code === 'nomaster' && ctl && hz === 1n && api.scaleTsc(lo64(host * 1000n), r, f) === 0n;
        expect(master.value).toEqual(api.getTimeScale(NS, hz));
        return true;
      }),
    );
  });

  it('masterTscScale at the identity ratio (or without TSC control) equals getTimeScale(10^9, host_khz·1000)', () => {
    // scale(f, 2^frac) = f, and without control the ratio is not applied at all (V§2).
    fc.assert(
      fc.property(hostKhz64, fracAndVariantRatio(), fc.boolean(), (host, [f, r], identity) => {
        fc.pre(host % TWO_61 !== 0n);
        const t = identity ? api.masterTscScale(host, pow2(f), f, true) : api.masterTscScale(host, r, f, false);
        expect(t).toEqual(api.getTimeScale(NS, lo64(host * 1000n)));
        return true;
      }),
    );
  });

  it('getKvmclock: C′ = C bit for bit at the identity ratio or without TSC control; with no frequency C hangs and C′ reports nomaster', () => {
    // V§2: with vm_ratio = 2^frac the delta scaling is the identity and f = host_hz, so the
    // snapshot's mul/shift are C's; without has_tsc_control C′ is pv(h; M, S, ts(10^9, host_hz)) = C.
    const viaGuest = PROFILES.filter((p) => p.has('c-via-guest-tsc'));
    const baseline = PROFILES.filter((p) => !p.has('c-via-guest-tsc'));
    fc.assert(
      fc.property(
        fc.constantFrom(...viaGuest),
        fc.constantFrom(...baseline),
        u64,
        u64,
        s64,
        s64,
        fracAndVariantRatio(),
        hostKhz64,
        fc.boolean(),
        (pv, p0, h, m, k, off, [f, r], host, identity) => {
          const [ratio, ctl] = identity ? [pow2(f), true] : [r, false];
          const c = outcome(() => api.getKvmclock(p0, h, m, k, off, ratio, f, host, ctl));
          const cPrime = outcome(() => api.getKvmclock(pv, h, m, k, off, ratio, f, host, ctl));
          if (host % TWO_61 === 0n) return !c.ok && c.error.code === 'hang' && !cPrime.ok && cPrime.error.code === 'nomaster';
          expect(cPrime).toStrictEqual(c);
          return true;
        },
      ),
    );
  });

  it('getKvmclock at host_tsc = master_cycle_now is system_time = lo64(K + kvmclock_offset) in every profile', () => {
    // The delta is 0: scaling it and converting it both give 0 (V§2 "S = lo64(K + kvmclock_offset)").
    fc.assert(
      fc.property(profile, u64, s64, s64, fracAndVariantRatio(), hostKhz64, fc.boolean(), (p, m, k, off, [f, r], host, ctl) => {
        const o = outcome(() => api.getKvmclock(p, m, m, k, off, r, f, host, ctl));
        return !o.ok || o.value === lo64(k + off);
      }),
    );
  });
});

describe('reference: compute_guest_tsc and the catch-up [V§3, V§4]', () => {
  const vm = pvclockMulShift();

  it('signed compute_guest_tsc equals the baseline whenever kernel_ns − this_tsc_nsec is non-negative (as s64)', () => {
    // V§3: "Positive-delta results are unchanged"; δ = 0 gives this_tsc_write in both.
    fc.assert(
      fc.property(u64, u64, s64, vm, (w, nsec, k, [m, sh]) => {
        fc.pre(s64of(k - nsec) >= 0n);
        const signed = api.computeGuestTsc(w, nsec, k, m, sh, true);
        return signed === api.computeGuestTsc(w, nsec, k, m, sh, false) && (s64of(k - nsec) !== 0n || signed === w);
      }),
    );
  });

  it('signed compute_guest_tsc mirrors a negative delta: cgt(n − δ) + cgt(n + δ) ≡ 2·this_tsc_write (mod 2^64)', () => {
    // A negative delta subtracts the scaled magnitude that the positive delta adds (V§3).
    fc.assert(
      fc.property(u64, fc.bigInt({ min: 0n, max: pow2(62) - 1n }), fc.bigInt({ min: 1n, max: pow2(62) }), vm, (w, n, d, [m, sh]) => {
        return lo64(api.computeGuestTsc(w, n, n - d, m, sh, true) + api.computeGuestTsc(w, n, n + d, m, sh, true)) === lo64(2n * w);
      }),
    );
  });

  it('at a delta of exactly −2^63 the signed and unsigned forms are mirror images (|INT64_MIN| taken as 2^63)', () => {
    // The u64 delta and the magnitude are both 2^63: one adds sd(2^63), the other subtracts it (V§3).
    fc.assert(
      fc.property(u64, u64, vm, (w, n, [m, sh]) => {
        const k = s64of(n - TWO_63);
        return lo64(api.computeGuestTsc(w, n, k, m, sh, true) + api.computeGuestTsc(w, n, k, m, sh, false)) === lo64(2n * w);
      }),
    );
  });

  const catchupArgs = fc.tuple(u64, u64, vm, u64, fracAndVariantRatio(), u64, s64, u64, s64);

  it('after the catch-up in any profile, tsc_timestamp is the guest TSC at master_cycle_now with the new L1 offset', () => {
    // Baseline: a bump by want − T moves read_l1(M) from T to want (mod 2^64); upscale-to-now re-reads
    // read_l1(M) with the new offset by definition (V§4). So the record matches the TSC the guest reads.
    fc.assert(
      fc.property(profile, catchupArgs, (p, [w, nsec, [m, sh], l1, [f, r], mm, k, hNow, kNow]) => {
        const c = api.tscCatchup(p, w, nsec, m, sh, l1, r, f, mm, k, hNow, kNow);
        return api.readL1Tsc(mm, c.l1Offset, r, f) === c.tscTimestamp;
      }),
    );
  });

  it('the baseline catch-up never moves tsc_timestamp below read_l1(M); upscale-to-now only raises the offset by 0 < lag < 2^63', () => {
    // Baseline: T' = max(T, want) in u64; upscale-to-now adds the lag only when it is positive as s64 (V§4).
    fc.assert(
      fc.property(profile, catchupArgs, (p, [w, nsec, [m, sh], l1, [f, r], mm, k, hNow, kNow]) => {
        const c = api.tscCatchup(p, w, nsec, m, sh, l1, r, f, mm, k, hNow, kNow);
        if (!p.has('upscale-to-now')) return c.tscTimestamp >= api.readL1Tsc(mm, l1, r, f);
        const bump = lo64(c.l1Offset - l1);
        return bump < TWO_63;
      }),
    );
  });

  it('without the master clock ((M, K) = (h_now, k_now)) baseline and upscale-to-now agree exactly when the unsigned and signed lag tests agree', () => {
    // V§4: "old/new agree except for the signed/unsigned test": both bump by want − T to T' = want.
    fc.assert(
      fc.property(fc.boolean(), catchupArgs, (signed, [w, nsec, [m, sh], l1, [f, r], mm, k]) => {
        const base = KernelProfile.parse(signed ? '6.18+signed-compute-guest-tsc' : '6.18');
        const now = KernelProfile.parse(signed ? '7.4-queued' : '6.18+upscale-to-now');
        const a = api.tscCatchup(base, w, nsec, m, sh, l1, r, f, mm, k, mm, k);
        const b = api.tscCatchup(now, w, nsec, m, sh, l1, r, f, mm, k, mm, k);
        const want = api.computeGuestTsc(w, nsec, k, m, sh, signed);
        const t = api.readL1Tsc(mm, l1, r, f);
        const testsAgree = want > t === s64of(want - t) > 0n;
        return testsAgree === (a.l1Offset === b.l1Offset && a.tscTimestamp === b.tscTimestamp);
      }),
    );
  });
});

describe('reference: master clock and TSC_STABLE rules [V§5]', () => {
  const combos = Array.from({ length: 32 }, (_, bits) => [0, 1, 2, 3, 4].map((i) => (bits & (1 << i)) !== 0) as [boolean, boolean, boolean, boolean, boolean]);

  it('baseline: matched_freq is ignored and TSC_STABLE is exactly "master clock on"', () => {
    // 6.18 decides on matched offsets only and sets the stable bit whenever the master clock is used.
    for (const p of PROFILES.filter((q) => !q.has('masterclock-offset-tscs'))) {
      for (const [t, f, cs, bw, old] of combos) {
        const mode = api.mclockMode(p, t, f, cs, bw, old);
        expect(mode).toEqual(api.mclockMode(p, t, !f, cs, bw, old));
        expect(mode).toEqual({ useMasterClock: t && cs && !bw && !old, tscStable: t && cs && !bw && !old });
      }
    }
  });

  it('masterclock-offset-tscs: more permissive master clock, TSC_STABLE ⇒ master clock, matched TSCs imply matched frequencies', () => {
    // V§5: on = clocksource ∧ freq_matched ∧ ¬backwards ∧ ¬old MSR (matched offsets imply matched
    // frequencies); stable only with matched offsets as well.
    const base = KernelProfile.parse('6.18');
    for (const p of PROFILES.filter((q) => q.has('masterclock-offset-tscs'))) {
      for (const [t, f, cs, bw, old] of combos) {
        const mode = api.mclockMode(p, t, f, cs, bw, old);
        if (mode.tscStable) expect(mode.useMasterClock).toBe(true);
        if (api.mclockMode(base, t, f, cs, bw, old).useMasterClock) expect(mode).toEqual({ useMasterClock: true, tscStable: true });
        if (t) expect(mode).toEqual(api.mclockMode(p, t, true, cs, bw, old));
        expect(mode.useMasterClock).toBe((t || f) && cs && !bw && !old);
        expect(mode.tscStable).toBe(mode.useMasterClock && t);
      }
    }
  });
});

describe('reference: KVM_[GS]ET_CLOCK_GUEST v6 and hvclock_to_hz [V§7]', () => {
  const ctz = (m: number): number => 31 - Math.clz32(m & -m);

  it('hvclockToHz is unchanged when trailing zero bits of mul move into the shift', () => {
    // z grows by k while shift drops by k: the same s = s8(shift + 2 + z) and the same mul ≫ z.
    fc.assert(
      fc.property(pvMul, s8Shift, fc.integer({ min: 0, max: 31 }), (m, sh, k) => {
        fc.pre(m !== 0 && m * 2 ** k <= U32_MAX && sh - k >= -128);
        return api.hvclockToHz(m * 2 ** k, sh - k) === api.hvclockToHz(m, sh);
      }),
    );
  });

  it('hvclockToHz is 0 whenever shift + 2 + z ≥ 64 or ≤ −64: the s8 wrap of a sum ≥ 128 cannot change that', () => {
    // A count of 64 or more shifts everything out; a wrapped sum (128…160) lands in −128…−96, also
    // out of range (V§7: "The s8 wrap of s can never change the result").
    fc.assert(
      fc.property(pvMul, fc.oneof(s8Shift, fc.integer({ min: 30, max: 127 }), fc.integer({ min: -128, max: -60 })), (m, sh) => {
        fc.pre(m !== 0);
        const sum = sh + 2 + ctz(m);
        return sum < 64 && sum > -64 ? true : api.hvclockToHz(m, sh) === 0n;
      }),
    );
  });

  it("a host's own pvclock (1 kHz … 10 GHz) converts back within ±1000 Hz: its GET record passes SET's window", () => {
    // mul ≥ 2^31 after kvm_get_time_scale, so its floor errs by < 2^−31 relative; ⌊10^9·2^34/mul⌋ adds
    // < 1 unit, which a shift of ≥ −4 (f ≤ 10 GHz) multiplies by ≤ 16: well under 1000 Hz.
    fc.assert(
      fc.property(fc.oneof(khz.filter((k) => k <= 10_000_000), fc.integer({ min: 1, max: 10_000_000 })), fc.integer({ min: 0, max: 999 }), (k, extra) => {
        const f = BigInt(k) * 1000n + (k < 10_000_000 ? BigInt(extra) : 0n);
        const t = api.getTimeScale(NS, f);
        const back = api.hvclockToHz(t.mul, t.shift);
        return back > f ? back - f <= 1000n : f - back <= 1000n;
      }),
    );
  });

  it('SET inverts GET at the same reference: the old offset and the record timestamp come back (or SET refuses with ERANGE / the shift check)', () => {
    // GET gives T = read_l1(M) and S = lo64(K + off); SET reads g = read_l1(M) = T, so pv(g) = S and the
    // new offset is s64(S − K) = off (V§7 worked round trip, "offset 0, guest TSC 399,999,999,999").
    fc.assert(
      fc.property(profile, u64, s64, s64, u64, fracAndVariantRatio(), hostKhz64, fc.boolean(), fc.boolean(), (p, m, k, off, l1, [f, r], host, ctl, matched) => {
        fc.pre(host % TWO_61 !== 0n);
        const rec = outcome(() => api.getClockGuestV6(p, true, m, k, off, l1, r, f, host, ctl, matched));
        if (!rec.ok) return rec.error.code === 'hang' && !p.has('hz-pvclock');
        const record = rec.value as { tscTimestamp: bigint; systemTime: bigint; mul: number; shift: number; flags: number };
        const set = outcome(() => api.setClockGuestV6(record, false, true, m, k, l1, r, f, host, ctl));
        if (!set.ok) return set.error.code === 'ERANGE' || (set.error.code === 'EINVAL' && (record.shift < -31 || record.shift > 31));
        expect(set.value).toEqual({ guestTsc: record.tscTimestamp, kvmclockOffset: off });
        return true;
      }),
    );
  });

  it('with hz-pvclock, GET records of real set-ups (1 MHz … 10 GHz guests from tscRatio, VMX or SVM) are always accepted by SET', () => {
    // The window's c and the record's frequency are the same scaled Hz (no clamp needed for c ≥ 1 MHz),
    // and the record converts back within ±1000 Hz (previous property).
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: 10_000_000 }), fc.integer({ min: 1_000, max: 10_000_000 }), caps(), u64, s64, s64, (user, host, c, m, k, off) => {
        const ratio = outcome(() => api.tscRatio(user, host, c.frac, c.maxRatio));
        fc.pre(ratio.ok);
        const r = ratio.value as bigint;
        fc.pre(api.tgtTscHz(BigInt(host), r, c.frac, true) >= 1_000_000n);
        const rec = api.getClockGuestV6('clocks-v6', true, m, k, off, 0n, r, c.frac, BigInt(host), true, true);
        expect(api.setClockGuestV6(rec, false, true, m, k, 0n, r, c.frac, BigInt(host), true).kvmclockOffset).toBe(off);
        return true;
      }),
    );
  });

  it('GET: system_time = lo64(K + offset), tsc_timestamp = read_l1(M), TSC_STABLE unless offsets are unmatched under masterclock-offset-tscs', () => {
    // V§7 GET (v6): the reference is (M, K) and the flags follow 22/36 when it is in the profile.
    fc.assert(
      fc.property(profile, u64, s64, s64, u64, fracAndVariantRatio(), hostKhz64, fc.boolean(), fc.boolean(), (p, m, k, off, l1, [f, r], host, ctl, matched) => {
        const rec = outcome(() => api.getClockGuestV6(p, true, m, k, off, l1, r, f, host, ctl, matched));
        if (!rec.ok) return true;
        expect(rec.value).toMatchObject({ systemTime: lo64(k + off), tscTimestamp: api.readL1Tsc(m, l1, r, f), flags: !p.has('masterclock-offset-tscs') || matched ? 1 : 0 });
        return true;
      }),
    );
  });

  it("GET's mul/shift: hz-pvclock's are the master clock's (C′) whenever the snapshot has a frequency; without TSC control hz-pvclock changes nothing", () => {
    // V§9.1: only with hz-pvclock do B and C′ share mul/shift; V§1: "hz-pvclock changes nothing unless
    // has_tsc_control = 1" (f = host_khz·1000 either way).
    const hzOn = KernelProfile.parse('clocks-v6');
    const hzOff = KernelProfile.parse('clocks-v6-hz-pvclock');
    fc.assert(
      fc.property(u64, s64, s64, u64, fracAndVariantRatio(), hostKhz64, fc.boolean(), (m, k, off, l1, [f, r], host, ctl) => {
        fc.pre(host % TWO_61 !== 0n);
        const rec = api.getClockGuestV6(hzOn, true, m, k, off, l1, r, f, host, ctl, true);
        const master = outcome(() => api.masterTscScale(host, r, f, ctl));
        if (master.ok) expect({ shift: rec.shift, mul: rec.mul }).toEqual(master.value);
        if (!ctl) expect(api.getClockGuestV6(hzOff, true, m, k, off, l1, r, f, host, ctl, true)).toEqual(rec);
        return true;
      }),
    );
  });

  it("the baseline GET's mul/shift are kvm_get_time_scale of tgt_tsc_khz·1000 (the kHz floor of V§1)", () => {
    // 6.18: k = has_tsc_control ? (scale(host_khz, ratio) ?: 1) : host_khz, then ts(10^9, k·1000).
    fc.assert(
      fc.property(u32, fracAndVariantRatio(), fc.boolean(), (host, [f, r], ctl) => {
        fc.pre(host !== 0);
        const k = lo64(api.tgtTscKhz(host, r, f, ctl) * 1000n);
        fc.pre(k !== 0n);
        const rec = api.getClockGuestV6('6.18', true, 0n, 0n, 0n, 0n, r, f, BigInt(host), ctl, true);
        expect({ shift: rec.shift, mul: rec.mul }).toEqual(api.getTimeScale(NS, k));
        return true;
      }),
    );
  });
});

describe('reference: Hyper-V reference TSC page [G§1]', () => {
  it('ReferenceTime(tsc_timestamp) = ⌊system_time/100⌋ for every valid page, "negative" system_time included', () => {
    // G§1.2: offset = lo64(⌊S/100⌋ − ⌊T·scale/2^64⌋) and the read adds ⌊T·scale/2^64⌋ back mod 2^64 —
    // the wrap cancels, so no S < 2^63 condition is needed.
    fc.assert(
      fc.property(pvMul, s8Shift, u64, u64, (m, sh, t, st) => {
        const page = outcome(() => api.hvTscPage(m, sh, t, st, 1));
        if (!page.ok) return page.error.code === 'invalid';
        const { scale, offset } = page.value as { scale: bigint; offset: bigint };
        return api.hvRefRead(t, scale, offset) === st / 100n;
      }),
    );
  });

  it('the same holds for the records KVM itself writes (kvm_get_time_scale of a kHz above 10 MHz)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10_001, max: U32_MAX }), u64, u64, (k, t, st) => {
        const { mul, shift } = api.getTimeScale(NS, BigInt(k) * 1000n);
        const page = api.hvTscPage(mul, shift, t, st, 1);
        return api.hvRefRead(t, page.scale, page.offset) === st / 100n;
      }),
    );
  });

  it('a record without PVCLOCK_TSC_STABLE is invalid (unstable) whatever its mul and shift', () => {
    // G§1.2 step 1 comes before the mul check.
    fc.assert(
      fc.property(u32, s8Shift, u64, u64, u8, (m, sh, t, st, fl) => {
        fc.pre((fl & 1) === 0);
        try {
          api.hvTscPage(m, sh, t, st, fl);
          return false;
        } catch (e) {
          return e instanceof KernelRuleError && e.code === 'invalid' && e.reason === 'unstable';
        }
      }),
    );
  });

  it('KVM-made records give a valid page exactly above 10,000 kHz (TSC faster than 10 MHz)', () => {
    // G§1.4, verified there for every u32 kHz: at 10 MHz one tick is exactly 100 ns and the test is ≥.
    const kArb = fc.oneof(fc.integer({ min: 1, max: U32_MAX }), fc.integer({ min: 9_000, max: 11_000 }), fc.constantFrom(1, 10_000, 10_001, 4_294_957_295, U32_MAX));
    fc.assert(
      fc.property(kArb, (k) => {
        const { mul, shift } = api.getTimeScale(NS, BigInt(k) * 1000n);
        const page = outcome(() => api.hvTscPage(mul, shift, 0n, 0n, 1));
        return k > 10_000 ? page.ok : !page.ok && page.error.code === 'invalid';
      }),
    );
  });

  it('for −25 ≤ shift ≤ 32 the mul check is "one tick is under 100 ns": mul·2^shift < 100·2^32', () => {
    // G§1.2 step 2: no wrap of 100·2^(32 − shift) in that range.
    fc.assert(
      fc.property(pvMul, fc.integer({ min: -25, max: 32 }), (m, sh) => {
        const valid = BigInt(m) << BigInt(sh + 25) < 100n << 57n;
        const page = outcome(() => api.hvTscPage(m, sh, 0n, 0n, 1));
        return page.ok === valid && (valid || (!page.ok && page.error.code === 'invalid'));
      }),
    );
  });

  it('the reference-counter MSR advances by one unit per 100 ns of kvmclock', () => {
    // ⌊(ns + 100)/100⌋ = ⌊ns/100⌋ + 1, and ⌊⌋ never decreases (G§1.7).
    fc.assert(
      fc.property(u64, (ns) => {
        fc.pre(ns <= U64_MAX - 100n);
        const a = api.hvRefMsr(ns);
        return api.hvRefMsr(ns + 100n) === a + 1n && api.hvRefMsr(ns + 1n) - a <= 1n && api.hvRefMsr(ns + 1n) >= a;
      }),
    );
  });
});

describe('reference: Xen CPUID leaf and VMClock [G§2, G§3]', () => {
  it("xenTscLeaf reports the vCPU's own pvclock: ECX/EDX = GET_CLOCK_GUEST's mul/shift without TSC scaling, EAX = tgt_tsc_khz", () => {
    // G§2.2: ECX = tsc_to_system_mul, EDX = tsc_shift sign-extended to 32 bits, EAX = tgt_tsc_khz; the
    // record is the one kvm_guest_time_update makes from tgt_tsc_khz (host kHz without scaling).
    fc.assert(
      fc.property(fc.integer({ min: 1, max: U32_MAX }), fc.constantFrom('6.18', 'clocks-v6'), (k, p) => {
        const leaf = api.xenTscLeaf(k);
        const rec = api.getClockGuestV6(p, true, 0n, 0n, 0n, 0n, pow2(48), 48, BigInt(k), false, true);
        return leaf.ecx === rec.mul && (leaf.edx | 0) === rec.shift && leaf.edx >= 0 && leaf.edx <= U32_MAX && leaf.eax === k;
      }),
    );
  });

  const readArgs = fc.tuple(u64, u64, vmclockShift, u64, u64);

  it('vmclockRead at counter = counter_value is time_sec and ⌊time_frac_sec·10^9/2^64⌋ ns', () => {
    // delta = 0 leaves X = time_frac_sec (G§3.2).
    fc.assert(
      fc.property(readArgs, ([cv, p, sh, sec, fr]) => {
        expect(api.vmclockRead(cv, cv, p, sh, sec, fr)).toEqual({ sec, nsec: Number((fr * NS) >> 64n) });
        return true;
      }),
    );
  });

  it('vmclockRead with shift s + 128 equals shift s (the x86-64 count is taken mod 128)', () => {
    fc.assert(
      fc.property(u64, readArgs, fc.integer({ min: 0, max: 127 }), (c, [cv, p, , sec, fr], sh) => {
        expect(api.vmclockRead(c, cv, p, sh + 128, sec, fr)).toEqual(api.vmclockRead(c, cv, p, sh, sec, fr));
        return true;
      }),
    );
  });

  it('vmclockRead never goes backwards as the counter advances (shift mod 128 ≥ 1, time_sec < 2^62)', () => {
    // X = ⌊δ·period/2^s⌋ + frac < 2^127 + 2^64 cannot wrap and grows with δ; seconds cannot wrap either.
    fc.assert(
      fc.property(u64, fc.bigInt({ min: 0n, max: U64_MAX }), fc.bigInt({ min: 0n, max: U64_MAX }), u64, fc.integer({ min: 1, max: 255 }), fc.bigInt({ min: 0n, max: pow2(62) - 1n }), u64, (cv, d1, d2, p, sh, sec, fr) => {
        fc.pre((sh & 127) !== 0);
        const [lo, hi] = d1 <= d2 ? [d1, d2] : [d2, d1];
        const a = api.vmclockRead(lo64(cv + lo), cv, p, sh, sec, fr);
        const b = api.vmclockRead(lo64(cv + hi), cv, p, sh, sec, fr);
        return a.sec < b.sec || (a.sec === b.sec && a.nsec <= b.nsec);
      }),
    );
  });

  it('one second of counts with the exact period reads a whole second only for power-of-two frequencies, else 999,999,999 ns', () => {
    // f·period = 2^(64+s) − r with r < f ≤ 2^(s+1), so X = 2^64 − ⌈r/2^s⌉ with ⌈r/2^s⌉ ∈ {0, 1, 2}; r = 0
    // iff f divides 2^(64+s), i.e. f is a power of two (G§3.4: "999,999,999 ns" at 2.5 GHz).
    fc.assert(
      fc.property(fc.oneof(hz, fc.integer({ min: 1, max: 64 }).map((k) => lo64(pow2(k)))), u64, u64, (f, cv, sec) => {
        fc.pre(f >= 2n);
        const { period, shift } = api.vmclockPeriod(f);
        const r = api.vmclockRead(lo64(cv + f), cv, period, shift, sec, 0n);
        const pow2f = (f & (f - 1n)) === 0n;
        expect(r).toEqual(pow2f ? { sec: lo64(sec + 1n), nsec: 0 } : { sec, nsec: 999_999_999 });
        return true;
      }),
    );
  });

  it('vmclockPeriod: the largest shift with 2^shift < f, the floor of 2^(64+shift)/f, and a period using all 64 bits', () => {
    // G§3.4: 2^s < f ≤ 2^(s+1) (s < 63) makes 2^63 ≤ 2^(64+s)/f < 2^64.
    fc.assert(
      fc.property(fc.oneof(hz, u64), (f) => {
        if (f < 2n) return ruleCode(() => api.vmclockPeriod(f)) === 'nofit';
        const { shift, period } = api.vmclockPeriod(f);
        const num = pow2(64 + shift);
        return pow2(shift) < f && (shift === 63 || f <= pow2(shift + 1)) && period * f <= num && num < (period + 1n) * f && period >= TWO_63 && period <= U64_MAX;
      }),
    );
  });

  it('vmclockGettime: TAI as read, UTC minus the s16 offset (given as s16 or u16), EINVAL otherwise (unreliable first)', () => {
    // G§3.3: status 4 is checked before anything; TAI is used as is; UTC needs TAI_OFFSET_VALID and
    // subtracts UTC − TAI; the monotonic and smeared types are refused.
    fc.assert(
      fc.property(u64, readArgs, vmclockTimeType, vmclockFlags, s16Pattern, vmclockStatus, (c, [cv, p, sh, sec, fr], type, flags, tai, status) => {
        const got = outcome(() => api.vmclockGettime(c, cv, p, sh, sec, fr, type, flags, tai, status));
        expect(got).toStrictEqual(outcome(() => api.vmclockGettime(c, cv, p, sh, sec, fr, type, flags, tai < 0 ? tai + 0x10000 : tai, status)));
        const read = api.vmclockRead(c, cv, p, sh, sec, fr);
        if (status === 4 || !(type === 1 || (type === 0 && (flags & 1n) === 1n))) return !got.ok && got.error.code === 'EINVAL';
        const s16 = (tai << 16) >> 16;
        expect(got).toStrictEqual({ ok: true, value: type === 1 ? read : { sec: lo64(read.sec - BigInt(s16)), nsec: read.nsec } });
        return true;
      }),
    );
  });
});

describe('reference: profiles select arithmetic, not names', () => {
  it('profiles with the same changes compute the same thing whatever they are called', () => {
    // A profile is a set of changes (kernel-variants §9); the arithmetic consults has(change) only.
    const same = [
      ['7.4-queued', '6.18+c-via-guest-tsc+signed-compute-guest-tsc+upscale-to-now'],
      ['clocks-v6-hz-pvclock-masterclock-offset-tscs-resync-after-set-tsc-khz-set-clock-guest-v6', '7.4-queued'],
      ['6.18+hz-pvclock-hz-pvclock', '6.18'],
    ] as const;
    for (const [a, b] of same) expect(CHANGE_IDS.filter((c) => KernelProfile.parse(a).has(c))).toEqual(CHANGE_IDS.filter((c) => KernelProfile.parse(b).has(c)));
    fc.assert(
      fc.property(fc.constantFrom(...same), u64, u64, s64, s64, fracAndVariantRatio(), hostKhz64, fc.boolean(), ([a, b], h, m, k, off, [f, r], host, ctl) => {
        expect(outcome(() => api.getKvmclock(a, h, m, k, off, r, f, host, ctl))).toStrictEqual(outcome(() => api.getKvmclock(b, h, m, k, off, r, f, host, ctl)));
        expect(outcome(() => api.getClockGuestV6(a, true, m, k, off, h, r, f, host, ctl, false))).toStrictEqual(outcome(() => api.getClockGuestV6(b, true, m, k, off, h, r, f, host, ctl, false)));
        return true;
      }),
    );
  });
});
