/**
 * fast-check arbitraries for the C types kvmclock works with. Every integer
 * arbitrary mixes three sources so that both the corners and the bulk are hit:
 *   - uniform over the whole type (fc.bigInt / fc.integer; fast-check itself also
 *     biases these towards small values and the bounds),
 *   - an explicit edge list (0, 1, 2^32±1, 2^48, 2^63±1, 2^64−2, 2^64−1, every
 *     power of two ±1, …),
 *   - "bit-sized" values: a random bit length first, then a value of that length,
 *     so that magnitudes are spread log-uniformly (uniform u64s are almost all ≈2^63).
 * Importing this module also configures the global fast-check seed (./seed.ts).
 */
import fc from 'fast-check';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, SVM_FRAC_BITS, SVM_MAX_RATIO, U32_MAX, U64_MAX, VMX_FRAC_BITS, VMX_MAX_RATIO } from '../../src/units.js';
import './seed.js';

const pow2 = (k: number): bigint => 1n << BigInt(k);

function uniqBig(xs: Iterable<bigint>, min: bigint, max: bigint): bigint[] {
  return [...new Set([...xs].filter((x) => x >= min && x <= max))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
function uniqNum(xs: Iterable<number>, min: number, max: number): number[] {
  return [...new Set([...xs].filter((x) => Number.isInteger(x) && x >= min && x <= max))].sort((a, b) => a - b);
}
/** Every integer in min..max, in order. */
export function range(min: number, max: number): number[] {
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

// ---------------------------------------------------------------------------
// Edge lists

/** Powers of two 2^0..2^64 and their ±1 neighbours (before clipping to a type). */
const POW2_PM1: bigint[] = range(0, 64).flatMap((k) => [pow2(k) - 1n, pow2(k), pow2(k) + 1n]);

/** u64 edges: the named ones of the spec plus every power of two ±1. */
export const EDGE_U64: readonly bigint[] = uniqBig(
  [0n, 1n, 2n, pow2(32) - 1n, pow2(32), pow2(32) + 1n, pow2(48), pow2(63) - 1n, pow2(63), pow2(63) + 1n, U64_MAX - 1n, U64_MAX, ...POW2_PM1,
    1_000_000_000n, 2_500_000_000n, 10n ** 18n],
  0n,
  U64_MAX,
);

/** s64 edges: ± every u64 edge that fits, plus the two extremes. */
export const EDGE_S64: readonly bigint[] = uniqBig(
  [S64_MIN, S64_MIN + 1n, S64_MAX, S64_MAX - 1n, -1n, ...EDGE_U64.flatMap((e) => [e, -e])],
  S64_MIN,
  S64_MAX,
);

/** u32 edges. */
export const EDGE_U32: readonly number[] = uniqNum(
  [...POW2_PM1.filter((x) => x <= BigInt(U32_MAX)).map(Number), 1000, 1_000_000, 1_000_000_000, 2_147_483_647, 2_147_483_648, U32_MAX - 1, U32_MAX],
  0,
  U32_MAX,
);

/** s32 edges (ppm arguments). */
export const EDGE_S32: readonly number[] = uniqNum(
  [0, 1, -1, 250, -250, 1000, -1000, 999_999, -999_999, 1_000_000, -1_000_000, -1_000_001, 2_146_483_647, 2_146_483_648, S32_MAX, S32_MAX - 1, S32_MIN, S32_MIN + 1,
    ...POW2_PM1.filter((x) => x <= 2n ** 31n).flatMap((x) => [Number(x), -Number(x)])],
  S32_MIN,
  S32_MAX,
);

export const EDGE_U8: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x7f, 0x80, 0xfe, 0xff];

/** Every s8 (pvclock tsc_shift) value. */
export const ALL_S8: readonly number[] = range(-128, 127);
/** Every shift of the 64×64→128 / 64×32→96 multiply-shift helpers. */
export const ALL_MUL_SHIFT: readonly number[] = range(0, 127);
/** Every right-shift count of a 64-bit value (clocksource shift). */
export const ALL_SHIFT64: readonly number[] = range(0, 63);
/** Every accepted number of fractional ratio bits. */
export const ALL_FRAC: readonly number[] = range(0, 63);

const EDGE_S8 = [-128, -127, -65, -64, -63, -62, -33, -32, -31, -20, -19, -12, -3, -2, -1, 0, 1, 2, 3, 20, 31, 32, 33, 62, 63, 64, 65, 126, 127];
const EDGE_MUL_SHIFT = [0, 1, 2, 31, 32, 33, 47, 48, 49, 63, 64, 65, 95, 96, 97, 126, 127];
const EDGE_SHIFT64 = [0, 1, 2, 22, 23, 24, 31, 32, 33, 62, 63];

/** Typical TSC frequencies in kHz (and a few awkward ones around them). */
export const TYPICAL_KHZ: readonly number[] = [
  1, 2, 1000, 999_999, 1_000_000, 1_000_001, 1_500_000, 1_999_999, 2_000_000, 2_100_000, 2_400_000, 2_499_375, 2_499_999, 2_500_000, 2_500_001, 2_500_625,
  2_893_202, 3_000_000, 3_700_000, 4_700_000, 10_000_000, 2_147_483_647, U32_MAX,
];

// ---------------------------------------------------------------------------
// Integer arbitraries

function bitSizedBig(maxBits: number): fc.Arbitrary<bigint> {
  return fc.integer({ min: 0, max: maxBits }).chain((bits) => (bits === 0 ? fc.constant(0n) : fc.bigInt({ min: pow2(bits - 1), max: pow2(bits) - 1n })));
}

/** u64 as a bigint in 0..2^64−1. */
export const u64: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_U64) },
  { weight: 3, arbitrary: bitSizedBig(64) },
);

/** s64 as a bigint in −2^63..2^63−1. */
export const s64: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: S64_MIN, max: S64_MAX }) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_S64) },
  { weight: 3, arbitrary: fc.tuple(bitSizedBig(63), fc.boolean()).map(([m, neg]) => (neg ? -m : m)) },
);

/** u32 as a number in 0..2^32−1. */
export const u32: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: U32_MAX }) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_U32) },
  { weight: 2, arbitrary: bitSizedBig(32).map(Number) },
);

/** A u32 that is never 0 (clocksource freq/scale). */
export const u32NonZero: fc.Arbitrary<number> = u32.map((x) => (x === 0 ? 1 : x));

/** s32 (ppm) as a number. */
export const s32: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: S32_MIN, max: S32_MAX }) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_S32) },
  { weight: 2, arbitrary: fc.integer({ min: -2_000_000, max: 2_000_000 }) },
);

/** u8 (pvclock flags). */
export const u8: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...EDGE_U8));

/** An s8 shift, −128..127 (pvclock tsc_shift, virtual_tsc_shift). */
export const s8Shift: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: -128, max: 127 }) },
  { weight: 2, arbitrary: fc.integer({ min: -32, max: 32 }) },
  { weight: 1, arbitrary: fc.constantFrom(...EDGE_S8) },
);

/** A multiply-shift helper shift, 0..127. */
export const mulShift: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 127 }) },
  { weight: 1, arbitrary: fc.constantFrom(...EDGE_MUL_SHIFT) },
);

/** A 64-bit right-shift count, 0..63 (clocksource shift). */
export const shift64: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 63 }) },
  { weight: 1, arbitrary: fc.constantFrom(...EDGE_SHIFT64) },
);

/** Fractional ratio bits 0..63, biased to the real ones (SVM 32, VMX 48). */
export const frac: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(SVM_FRAC_BITS, VMX_FRAC_BITS) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 63 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 31, 33, 47, 49, 62, 63) },
);

/** Log-uniform kHz in 1 kHz … 10 GHz (1..10^7 kHz). */
export const khzLogUniform: fc.Arbitrary<number> = fc.integer({ min: 0, max: 1_000_000 }).map((i) => Math.max(1, Math.round(10 ** ((7 * i) / 1_000_000))));

/** A TSC frequency in kHz: log-uniform 1 kHz … 10 GHz plus the typical values. */
export const khz: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: khzLogUniform },
  { weight: 2, arbitrary: fc.constantFrom(...TYPICAL_KHZ) },
);

/** A kHz argument as the kernel takes it (u32): mostly realistic, sometimes any u32 (0 included). */
export const khzArg: fc.Arbitrary<number> = fc.oneof({ weight: 4, arbitrary: khz }, { weight: 1, arbitrary: u32 });

/** A frequency in Hz as a u64 bigint: kHz·1000, 10^9, or any u64. */
export const hz: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: khz.map((k) => BigInt(k) * 1000n) },
  { weight: 1, arbitrary: fc.constant(1_000_000_000n) },
  { weight: 2, arbitrary: u64 },
);

// ---------------------------------------------------------------------------
// TSC scaling capabilities and ratios

export interface TscCaps {
  readonly frac: number;
  readonly maxRatio: bigint;
}
export const VMX: TscCaps = { frac: VMX_FRAC_BITS, maxRatio: VMX_MAX_RATIO };
export const SVM: TscCaps = { frac: SVM_FRAC_BITS, maxRatio: SVM_MAX_RATIO };

/** A max_ratio: the VMX/SVM ones, their neighbours, or any u64. */
export const maxRatio: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(VMX_MAX_RATIO, SVM_MAX_RATIO, SVM_MAX_RATIO + 1n, SVM_MAX_RATIO - 1n, VMX_MAX_RATIO - 1n) },
  { weight: 1, arbitrary: u64 },
);

/** (frac, max_ratio): VMX, SVM, or any frac with any max ratio. `fracOverride` forces frac. */
export function caps(fracOverride?: number): fc.Arbitrary<TscCaps> {
  if (fracOverride !== undefined) return maxRatio.map((m) => ({ frac: fracOverride, maxRatio: m }));
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(VMX, SVM) }, { weight: 1, arbitrary: fc.record({ frac, maxRatio }) });
}

/**
 * A TSC scaling ratio for `f` fractional bits: the default 2^f, a value next to it,
 * the ratio kvm_set_tsc_khz would pick for a random pair of frequencies, or any u64.
 */
export function ratioFor(f: number): fc.Arbitrary<bigint> {
  const def = pow2(f);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(def) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }).map((d) => BigInt.asUintN(64, def + BigInt(d))) },
    { weight: 3, arbitrary: fc.tuple(khz, khz).map(([user, host]) => BigInt.asUintN(64, (def * BigInt(user)) / BigInt(host))) },
    { weight: 2, arbitrary: u64 },
  );
}

/** (frac, ratio) with the ratio drawn for that frac; `fracOverride` forces frac. */
export function fracAndRatio(fracOverride?: number): fc.Arbitrary<[number, bigint]> {
  const f = fracOverride === undefined ? frac : fc.constant(fracOverride);
  return f.chain((x) => fc.tuple(fc.constant(x), ratioFor(x)));
}

/** kvm_get_time_scale arguments: the two real directions (ns↔cycles) or any pair of u64s. */
export const timeScaleArgs: fc.Arbitrary<[bigint, bigint]> = fc.oneof(
  { weight: 2, arbitrary: khz.map((k): [bigint, bigint] => [1_000_000_000n, BigInt(k) * 1000n]) },
  { weight: 2, arbitrary: khz.map((k): [bigint, bigint] => [BigInt(k) * 1000n, 1_000_000_000n]) },
  { weight: 3, arbitrary: fc.tuple(hz, hz) },
);

/** A tolerance in ppm (u32): the default 250, small values, or any u32. */
export const tolPpm: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(250, 0, 1, 1000, 999_999, 1_000_000, 1_000_001, 2 ** 31 - 1, 2 ** 31, U32_MAX) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
  { weight: 1, arbitrary: u32 },
);

/** KVM_SET_CLOCK flags: valid combinations mostly, sometimes any u32. */
export const setClockFlags: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 2, 4, 6, 8, 10, 12, 14) },
  { weight: 1, arbitrary: fc.constantFrom(1, 16, 0x80000000, U32_MAX) },
  { weight: 1, arbitrary: u32 },
);

/** pvclock (mul, shift) pairs: kvm_get_time_scale outputs for real kHz, or anything. */
export const pvclockMulShift = (shiftOverride?: number): fc.Arbitrary<[number, number]> =>
  shiftOverride !== undefined
    ? u32.map((m): [number, number] => [m, shiftOverride])
    : fc.oneof({ weight: 1, arbitrary: fc.tuple(u32, s8Shift) }, { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 2 ** 31, max: U32_MAX }), fc.integer({ min: -32, max: 32 })) });

/** A length for batch inputs. */
export const batchLength: fc.Arbitrary<number> = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 3, 7, 8, 9, 31, 32, 33) });

/** An odd element offset into a backing buffer (sub-array views). */
export const oddOffset: fc.Arbitrary<number> = fc.integer({ min: 0, max: 4 }).map((k) => 2 * k + 1);

// ---------------------------------------------------------------------------
// Upstream variants and guest clock ABIs

/** Every u8 value: VMClock counter_period_shift, including the ≥ 128 the x86-64 code masks. */
export const ALL_U8: readonly number[] = range(0, 255);

/**
 * Kernel profiles: every preset, compositions adding and removing changes (some equal to a preset
 * under another name), blanks around one, and parsed KernelProfile objects (built lazily by the
 * caller: see {@link kernelProfile}).
 */
export const KERNEL_PROFILE_STRINGS: readonly string[] = [
  '6.18',
  '7.4-queued',
  'clocks-v6',
  '6.18+c-via-guest-tsc',
  '6.18+signed-compute-guest-tsc',
  '6.18+upscale-to-now',
  '6.18+masterclock-offset-tscs',
  '6.18+hz-pvclock',
  '6.18+keep-active-masterclock',
  '7.4-queued+hz-pvclock',
  '7.4-queued-signed-compute-guest-tsc',
  '7.4-queued+masterclock-offset-tscs',
  'clocks-v6-hz-pvclock',
  'clocks-v6-masterclock-offset-tscs',
  'clocks-v6-c-via-guest-tsc-upscale-to-now',
  'clocks-v6+keep-active-masterclock',
  '6.18+hz-pvclock+hz-pvclock-hz-pvclock',
  ' clocks-v6 ',
];

/** A kernel profile argument: one of {@link KERNEL_PROFILE_STRINGS} as a string, or `parse` of it. */
export function kernelProfile<P>(parse: (text: string) => P): fc.Arbitrary<string | P> {
  const parsed = KERNEL_PROFILE_STRINGS.map(parse);
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KERNEL_PROFILE_STRINGS) }, { weight: 1, arbitrary: fc.constantFrom(...parsed) });
}

/**
 * host_khz as a u64 (the kernel's unsigned long, ·1000 may wrap): real kHz, multiples of 2^61
 * (·1000 ≡ 0), values around the first wrap 2^64/1000, 2^32 ± 1, 2^63, 2^64 − 1, or any u64.
 */
export const hostKhz64: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 5, arbitrary: khz.map(BigInt) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }).map((k) => BigInt(k) << 61n) },
  { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }).map((d) => (1n << 61n) + BigInt(d)) },
  { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }).map((d) => U64_MAX / 1000n + BigInt(d)) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, pow2(32) - 1n, pow2(32), pow2(32) + 1n, pow2(63), U64_MAX) },
  { weight: 1, arbitrary: u64 },
);

/**
 * A ratio for `f` fractional bits as the variant arithmetic sees it: {@link ratioFor}'s, plus 0, 1, 2,
 * the identity ± 4, and ratios too small for real frequencies (a scaled frequency of 0).
 */
export function variantRatioFor(f: number): fc.Arbitrary<bigint> {
  const def = pow2(f);
  return fc.oneof(
    { weight: 4, arbitrary: ratioFor(f) },
    { weight: 1, arbitrary: fc.constantFrom(0n, 1n, 2n) },
    { weight: 1, arbitrary: fc.integer({ min: -4, max: 4 }).map((d) => BigInt.asUintN(64, def + BigInt(d))) },
    { weight: 1, arbitrary: bitSizedBig(Math.max(1, f - 20)) },
  );
}

/** (frac, ratio) with {@link variantRatioFor}; `fracOverride` forces frac. */
export function fracAndVariantRatio(fracOverride?: number): fc.Arbitrary<[number, bigint]> {
  const f = fracOverride === undefined ? frac : fc.constant(fracOverride);
  return f.chain((x) => fc.tuple(fc.constant(x), variantRatioFor(x)));
}

/** A 64-bit word given as s64 or as its u64 pattern (Hyper-V tsc_offset). */
export const word64: fc.Arbitrary<bigint> = fc.oneof(u64, s64);

/** An s16 given as s16 or as its u16 pattern (VMClock tai_offset_sec), with the real ±37. */
export const s16Pattern: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: -0x8000, max: 0xffff }) },
  { weight: 2, arbitrary: fc.constantFrom(-37, 37, 0, -1, 1, 0xffdb, 0xffff, 0x7fff, 0x8000, -0x8000) },
);

/** A pvclock multiplier for the new helpers: any u32, powers of two (trailing zeros), odd values near 2^32. */
export const pvMul: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: u32 },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 0xffff })).map(([z, odd]) => ((2 * odd + 1) * 2 ** z) % 2 ** 32) },
  { weight: 1, arbitrary: fc.integer({ min: 2 ** 31, max: U32_MAX }) },
);

/** pvclock flags for the Hyper-V page: TSC_STABLE set or clear among other bits. */
export const pvFlags: fc.Arbitrary<number> = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(1, 0, 3, 2, 5, 0xff, 0xfe) }, { weight: 1, arbitrary: u8 });

/** VMClock time_type: UTC, TAI, the unsupported ones, any u8. */
export const vmclockTimeType: fc.Arbitrary<number> = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 0, 1, 2, 3, 4) }, { weight: 1, arbitrary: u8 });
/** VMClock clock_status: 0…4 (4 = unreliable) or any u8. */
export const vmclockStatus: fc.Arbitrary<number> = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: u8 });
/** VMClock flags: with or without TAI_OFFSET_VALID (bit 0), among other bits. */
export const vmclockFlags: fc.Arbitrary<bigint> = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0n, 1n, 0x80n, 0x81n, 0x3ffn, 0x3fen) }, { weight: 1, arbitrary: u64 });
/** A VMClock counter_period_shift, u8: the natural 0…63 mostly, and ≥ 128 (masked to 7 bits). */
export const vmclockShift: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 63 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 29, 31, 63, 64, 65, 127, 128, 129, 159, 191, 255) },
);
