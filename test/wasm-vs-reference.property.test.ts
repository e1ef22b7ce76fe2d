/**
 * Differential properties: for every method of the public API, the Wasm backend
 * returns exactly what the BigInt reference returns (the definition of correctness),
 * and throws exactly what it throws (same class, same `code`, same `value`).
 *
 * - scalar methods: random arguments from ./helpers/arbitraries (edge values mixed in);
 * - every shift-like argument (s8 shifts, multiply-shift 0..127, clocksource 0..63,
 *   frac 0..63) is additionally swept over its whole domain;
 * - batch methods: random lengths 0..40, inputs and outputs as sub-array views at odd
 *   offsets of a larger buffer, output aliasing an input, output longer than the
 *   input (the tail must be left alone), and a few long arrays.
 * - the upstream-variant and guest-clock-ABI methods compare the whole outcome: class, code,
 *   value, reason, the argument an argument error names, and the message (except `hang`,
 *   whose wording differs between the backends, as for getTimeScale); every kernel profile
 *   preset and a few compositions run through each profile-taking method; mclockMode is
 *   checked on its whole domain.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KvmclockApi } from '../src/api.js';
import { KernelProfile } from '../src/kernel/profile.js';
import { U32_MAX, U64_MAX } from '../src/units.js';
import {
  ALL_FRAC,
  ALL_MUL_SHIFT,
  ALL_S8,
  ALL_SHIFT64,
  ALL_U8,
  KERNEL_PROFILE_STRINGS,
  batchLength,
  caps,
  fracAndRatio,
  fracAndVariantRatio,
  hostKhz64,
  hz,
  kernelProfile,
  khz,
  khzArg,
  mulShift,
  oddOffset,
  pvFlags,
  pvMul,
  pvclockMulShift,
  ratioFor,
  s16Pattern,
  s32,
  s64,
  s8Shift,
  setClockFlags,
  shift64,
  timeScaleArgs,
  tolPpm,
  u32,
  u32NonZero,
  u64,
  u8,
  vmclockFlags,
  vmclockShift,
  vmclockStatus,
  vmclockTimeType,
  word64,
} from './helpers/arbitraries.js';
import { apiMethodNames, bothApis, normalize, outcome, show } from './helpers/backends.js';
import { NUM_RUNS, subSeed } from './helpers/seed.js';

const { reference: ref, wasm } = bothApis();

type Method = Exclude<keyof KvmclockApi, 'backend'>;
type Args = readonly unknown[];
const call = (api: KvmclockApi, m: Method, args: Args): unknown => (api[m] as (...a: unknown[]) => unknown)(...args);

/** A shift-like argument forced to `s`, or drawn from `arb`. */
const S = <T>(s: number | undefined, arb: fc.Arbitrary<T>): fc.Arbitrary<T | number> => (s === undefined ? arb : fc.constant(s));
const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** u64 "near" another value: base + a mostly small signed delta, wrapping. */
const near = (base: fc.Arbitrary<bigint>): fc.Arbitrary<[bigint, bigint]> =>
  fc.tuple(base, fc.oneof(s64, fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }))).map(([b, d]) => [b, lo64(b + d)]);

interface ScalarSpec {
  /** Argument tuples; `s` forces the swept argument when given. */
  gen(s?: number): fc.Arbitrary<Args>;
  /** The full domain of the shift-like argument to sweep, if any. */
  sweep?: readonly number[];
}

const userHostKhz: fc.Arbitrary<[number, number]> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(khzArg, khzArg) },
  // requests around the host frequency, to straddle the tolerance window
  { weight: 2, arbitrary: fc.tuple(khz, fc.integer({ min: -3000, max: 3000 })).map(([h, d]): [number, number] => [Math.min(0xffff_ffff, Math.max(0, h + d)), h]) },
  { weight: 1, arbitrary: khz.map((h): [number, number] => [h, h]) },
  // a zero on either side: user 0 is "use the default", host 0 divides by zero
  { weight: 1, arbitrary: fc.tuple(khzArg, khzArg, fc.boolean()).map(([u, h, zeroHost]): [number, number] => (zeroHost ? [u, 0] : [0, h])) },
);

// ---------------------------------------------------------------------------
// Generators for the upstream-variant and guest-clock-ABI methods. Some shape their inputs with
// the reference (a record for the host's own frequency, a page KVM would write) so that the
// interesting branches are reached; the comparison itself is always wasm against reference.

const NS = 1_000_000_000n;
const s64of = (x: bigint): bigint => BigInt.asIntN(64, x);
const profileArb = kernelProfile((t) => KernelProfile.parse(t));
const mostly = (p: boolean): fc.Arbitrary<boolean> => fc.oneof({ weight: 5, arbitrary: fc.constant(p) }, { weight: 1, arbitrary: fc.constant(!p) });
/** A signed step: mostly small, sometimes any s64 (wrapping). */
const step = fc.oneof({ weight: 3, arbitrary: fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }) }, { weight: 1, arbitrary: s64 });
/** (mul, shift) of kvm_get_time_scale(10^9, f) for 1 ≤ f < 2^63, or undefined. */
function pvclockFor(f: bigint): { mul: number; shift: number } | undefined {
  return f >= 1n && f < 1n << 63n ? ref.getTimeScale(NS, f) : undefined;
}
/** A multiplier that makes (mul, shift) convert at about `f` Hz, when one fits a u32. */
function mulForShift(f: bigint, shift: number): number | undefined {
  if (f === 0n) return undefined;
  const m = shift <= 32 ? (NS << BigInt(32 - shift)) / f : NS / f >> BigInt(shift - 32);
  return m >= 1n && m <= BigInt(U32_MAX) ? Number(m) : undefined;
}

/** KVM_SET_CLOCK_GUEST arguments: mostly a record at about the vCPU's own frequency (the window), near its guest TSC. */
function setClockGuestArgs(s?: number): fc.Arbitrary<Args> {
  return fc
    .record({
      host: hostKhz64,
      fr: fracAndVariantRatio(),
      ctl: fc.boolean(),
      master: mostly(true),
      pads: mostly(false),
      m: u64,
      k: s64,
      l1: u64,
      mode: fc.constantFrom('natural', 'forShift', 'forShift', 'random'),
      freqDelta: fc.oneof(fc.integer({ min: -1100, max: 1100 }).map(BigInt), fc.constantFrom(-1001n, -1000n, 999n, 1000n, 1001n), s64),
      shift: s === undefined ? fc.oneof(s8Shift, fc.constantFrom(-32, -31, 31, 32), fc.integer({ min: -31, max: 31 })) : fc.constant(s),
      mul: pvMul,
      tsDelta: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }).map(BigInt) }, { weight: 1, arbitrary: s64 }),
      tsRandom: fc.option(u64, { freq: 6 }),
      st: u64,
      flags: fc.option(u8),
    })
    .map((a) => {
      const [frac, ratio] = a.fr;
      let c = lo64(a.host * 1000n);
      if (a.ctl) c = ref.scaleTsc(c, ratio, frac);
      const want = lo64(c + a.freqDelta);
      let mul = a.mul;
      let shift = a.shift;
      if (a.mode === 'natural' && s === undefined) {
        const t = pvclockFor(want);
        if (t !== undefined) ({ mul, shift } = t);
      } else if (a.mode !== 'random') {
        mul = mulForShift(want, shift) ?? mul;
      }
      const g = ref.readL1Tsc(a.m, a.l1, ratio, frac);
      const tscTimestamp = a.tsRandom ?? lo64(g + a.tsDelta);
      const record = { tscTimestamp, systemTime: a.st, mul, shift, ...(a.flags === null ? {} : { flags: a.flags }) };
      return [record, a.pads, a.master, a.m, a.k, a.l1, ratio, frac, a.host, a.ctl];
    });
}

/** KVM_GET_CLOCK_GUEST arguments; without a forced frac, sometimes a kHz·1000 that wraps to 0 after scaling (the 6.18 hang). */
function getClockGuestArgs(s?: number): fc.Arbitrary<Args> {
  const ordinary = fc
    .tuple(profileArb, mostly(true), u64, s64, s64, u64, fracAndVariantRatio(s), hostKhz64, fc.boolean(), fc.boolean())
    .map(([p, master, m, k, off, l1, [f, r], host, ctl, matched]): Args => [p, master, m, k, off, l1, r, f, host, ctl, matched]);
  if (s !== undefined) return ordinary;
  const wraps = fc
    .tuple(profileArb, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 7 }), u64, s64, s64, u64, fc.boolean())
    .map(([p, e, k, m, kk, off, l1, matched]): Args => [p, true, m, kk, off, l1, (BigInt(k) << 61n) >> BigInt(e), 0, 1n << BigInt(e), true, matched]);
  return fc.oneof({ weight: 6, arbitrary: ordinary }, { weight: 1, arbitrary: wraps });
}

/** A Hyper-V page source record's (mul, shift): KVM's own, around the validity boundary max_mul, or anything. */
function hvMulShift(s?: number): fc.Arbitrary<[number, number]> {
  const boundary = fc.tuple(s === undefined ? s8Shift : fc.constant(s), fc.integer({ min: -2, max: 1 }), pvMul).map(([sh, d, any]): [number, number] => {
    const maxMul = lo64(100n << BigInt((32 - sh) & 63));
    const m = maxMul + BigInt(d);
    return [m >= 0n && m <= BigInt(U32_MAX) ? Number(m) : any, sh];
  });
  const own = khzArg.map((k): [number, number] => {
    const t = pvclockFor(BigInt(k) * 1000n) ?? { mul: 0, shift: 0 };
    return [t.mul, t.shift];
  });
  const random = fc.tuple(pvMul, s === undefined ? s8Shift : fc.constant(s));
  return s === undefined ? fc.oneof(own, boundary, random) : fc.oneof(boundary, random);
}

/** A VMClock (period, shift): the exact one for a frequency, or anything; `s` forces the shift. */
function vmclockPeriodShift(s?: number): fc.Arbitrary<[bigint, number]> {
  const exact = hz.map((f): [bigint, number] => {
    const p = f >= 2n ? ref.vmclockPeriod(f) : { period: 0n, shift: 0 };
    return [p.period, s ?? p.shift];
  });
  return fc.oneof(exact, fc.tuple(u64, s === undefined ? vmclockShift : fc.constant(s)));
}

const vmclockReadArgs = (s?: number): fc.Arbitrary<Args> =>
  fc.tuple(near(u64), vmclockPeriodShift(s), u64, fc.oneof(u64, fc.constantFrom(0n, 1n << 63n, U64_MAX))).map(([[cv, c], [p, sh], sec, frac]) => [c, cv, p, sh, sec, frac]);

const SCALAR: Record<Exclude<Method, `${string}Batch`>, ScalarSpec> = {
  mulU64U32Shr: { gen: (s) => fc.tuple(u64, u32, S(s, mulShift)), sweep: ALL_MUL_SHIFT },
  mulU64U64Shr: { gen: (s) => fc.tuple(u64, u64, S(s, mulShift)), sweep: ALL_MUL_SHIFT },
  mulS64U64Shr: { gen: (s) => fc.tuple(s64, u64, S(s, mulShift)), sweep: ALL_MUL_SHIFT },
  mulU64U32Div: { gen: () => fc.tuple(u64, u32, u32) },
  mulU64U32DivGeneric: { gen: () => fc.tuple(u64, u32, u32) },
  getTimeScale: { gen: () => timeScaleArgs },
  pvclockScaleDelta: { gen: (s) => fc.tuple(u64, pvclockMulShift(s)).map(([d, [m, sh]]) => [d, m, sh]), sweep: ALL_S8 },
  pvclockRead: {
    gen: (s) => fc.tuple(near(u64), u64, pvclockMulShift(s)).map(([[ts, tsc], st, [m, sh]]) => [tsc, ts, st, m, sh]),
    sweep: ALL_S8,
  },
  pvclockTscKhz: { gen: (s) => pvclockMulShift(s), sweep: ALL_S8 },
  pvclockGuestRead: { gen: () => fc.oneof(fc.tuple(u64, u8, u8, u64), near(u64).chain(([a, b]) => fc.tuple(fc.constant(a), u8, u8, fc.constant(b)))) },
  scaleTsc: { gen: (s) => fc.tuple(u64, fracAndRatio(s)).map(([t, [f, r]]) => [t, r, f]), sweep: ALL_FRAC },
  tscRatio: { gen: (s) => fc.tuple(userHostKhz, caps(s)).map(([[u, h], c]) => [u, h, c.frac, c.maxRatio]), sweep: ALL_FRAC },
  computeL1TscOffset: { gen: (s) => fc.tuple(u64, u64, fracAndRatio(s)).map(([t, h, [f, r]]) => [t, h, r, f]), sweep: ALL_FRAC },
  readL1Tsc: { gen: (s) => fc.tuple(u64, u64, fracAndRatio(s)).map(([h, o, [f, r]]) => [h, o, r, f]), sweep: ALL_FRAC },
  nestedTscOffset: { gen: (s) => fc.tuple(u64, u64, fracAndRatio(s)).map(([l1, l2, [f, r]]) => [l1, l2, r, f]), sweep: ALL_FRAC },
  nestedTscMultiplier: {
    gen: (s) => fracAndRatio(s).chain(([f, r]) => fc.tuple(ratioFor(f), fc.constant(r), fc.constant(f))),
    sweep: ALL_FRAC,
  },
  adjustTscKhz: { gen: () => fc.tuple(khzArg, s32) },
  maxGuestTscKhz: { gen: (s) => fc.tuple(khzArg, caps(s)).map(([h, c]) => [h, c.maxRatio, c.frac]), sweep: ALL_FRAC },
  tgtTscKhz: { gen: (s) => fc.tuple(khzArg, fracAndRatio(s), fc.boolean()).map(([h, [f, r], b]) => [h, r, f, b]), sweep: ALL_FRAC },
  setTscKhz: {
    gen: (s) => fc.tuple(userHostKhz, fc.boolean(), caps(s), tolPpm).map(([[u, h], b, c, t]) => [u, h, b, c.frac, c.maxRatio, t]),
    sweep: ALL_FRAC,
  },
  clocksCalcMultShift: {
    gen: () =>
      fc.oneof(
        fc.tuple(u32, u32, u32),
        fc.tuple(khzArg, fc.constantFrom(1_000_000, 1_000_000_000), fc.constantFrom(600_000, 600, 1, 0, 4_294_967, 0xffff_ffff)),
      ),
  },
  clocksourceRegister: {
    gen: () =>
      fc.tuple(
        fc.oneof({ weight: 3, arbitrary: u32NonZero }, { weight: 2, arbitrary: khz }, { weight: 1, arbitrary: u32 }),
        fc.oneof(fc.constantFrom(1, 1000, 1_000_000, 1_000_000_000), u32NonZero),
        fc.oneof(fc.constantFrom(U64_MAX, 0xffff_ffffn, 0xff_ffffn, 0n, 1n, (1n << 56n) - 1n), u64),
      ),
  },
  clocksourceKhz: { gen: () => khzArg.map((k) => [k]) },
  rawNs: {
    gen: (s) =>
      fc.tuple(near(u64), u64, u64, u32, S(s, shift64)).map(([[last, cyc], sec, xt, mult, sh]) => [cyc, last, sec, xt, mult, sh]),
    sweep: ALL_SHIFT64,
  },
  kvmBaseNs: {
    gen: (s) =>
      fc.tuple(near(u64), u64, u64, u32, S(s, shift64), s64).map(([[last, cyc], sec, xt, mult, sh, ob]) => [cyc, last, sec, xt, mult, sh, ob]),
    sweep: ALL_SHIFT64,
  },
  cyc2ns: { gen: (s) => fc.tuple(u64, u32, S(s, shift64)), sweep: ALL_SHIFT64 },
  syncWindow: {
    gen: (s) =>
      fc.tuple(near(u64), u64, khzArg, pvclockMulShift(s)).map(([[last, data], el, vk, [vm, vs]]) => [data, last, el, vk, vm, vs]),
    sweep: ALL_S8,
  },
  setClock: { gen: () => fc.tuple(u64, setClockFlags, near(u64), fc.boolean(), u64, u64).map(([c, f, [rt, now], um, k, bn]) => [c, f, rt, now, um, k, bn]) },
  wallClock: { gen: () => u64.map((x) => [x]) },

  // Upstream variants (kernel-variants)
  tgtTscHz: { gen: (s) => fc.tuple(hostKhz64, fracAndVariantRatio(s), fc.boolean()).map(([h, [f, r], b]) => [h, r, f, b]), sweep: ALL_FRAC },
  masterTscScale: { gen: (s) => fc.tuple(hostKhz64, fracAndVariantRatio(s), fc.boolean()).map(([h, [f, r], b]) => [h, r, f, b]), sweep: ALL_FRAC },
  getKvmclock: {
    gen: (s) =>
      fc
        .tuple(profileArb, near(u64), s64, s64, fracAndVariantRatio(s), hostKhz64, fc.boolean())
        .map(([p, [m, h], k, off, [f, r], host, ctl]) => [p, h, m, k, off, r, f, host, ctl]),
    sweep: ALL_FRAC,
  },
  mclockMode: { gen: () => fc.tuple(profileArb, fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()) },
  computeGuestTsc: {
    gen: (s) => fc.tuple(u64, u64, step, pvclockMulShift(s), fc.boolean()).map(([w, nsec, d, [m, sh], signed]) => [w, nsec, s64of(nsec + d), m, sh, signed]),
    sweep: ALL_S8,
  },
  tscCatchup: {
    gen: (s) =>
      fc
        .tuple(profileArb, u64, u64, pvclockMulShift(s), u64, fracAndVariantRatio(), near(u64), step, step)
        .map(([p, w, nsec, [vm, vs], l1, [f, r], [m, hNow], dk, dNow]) => {
          const k = s64of(nsec + dk);
          return [p, w, nsec, vm, vs, l1, r, f, m, k, hNow, s64of(k + dNow)];
        }),
    sweep: ALL_S8,
  },
  hvclockToHz: {
    gen: (s) =>
      s === undefined
        ? fc.oneof(fc.tuple(pvMul, s8Shift), hz.map((f) => pvclockFor(f) ?? { mul: 0, shift: 0 }).map((t) => [t.mul, t.shift]))
        : pvMul.map((m) => [m, s]),
    sweep: ALL_S8,
  },
  setClockGuestV6: { gen: (s) => setClockGuestArgs(s), sweep: ALL_S8 },
  getClockGuestV6: { gen: (s) => getClockGuestArgs(s), sweep: ALL_FRAC },

  // Guest clock ABIs (guest-clock-abis)
  hvTscPage: { gen: (s) => fc.tuple(hvMulShift(s), u64, u64, pvFlags).map(([[m, sh], t, st, fl]) => [m, sh, t, st, fl]), sweep: ALL_S8 },
  hvRefRead: {
    gen: () =>
      fc.oneof(
        fc.tuple(u64, u64, word64),
        // a page KVM wrote, read near its tsc_timestamp
        fc.tuple(hvMulShift(), u64, u64, step).map(([[m, sh], t, st, d]): Args => {
          const o = outcome(() => ref.hvTscPage(m, sh, t, st, 1));
          const page = o.ok ? (o.value as { scale: bigint; offset: bigint }) : { scale: lo64(t * 3n), offset: st };
          return [lo64(t + d), page.scale, page.offset];
        }),
      ),
  },
  hvRefMsr: { gen: () => u64.map((x) => [x]) },
  xenTscLeaf: { gen: () => fc.oneof(khzArg, fc.constantFrom(0, 1, 10_000, 10_001, U32_MAX)).map((k) => [k]) },
  vmclockRead: { gen: (s) => vmclockReadArgs(s), sweep: ALL_U8 },
  vmclockGettime: {
    gen: (s) =>
      fc.tuple(vmclockReadArgs(s), vmclockTimeType, vmclockFlags, s16Pattern, vmclockStatus).map(([r, type, flags, tai, status]) => [...r, type, flags, tai, status]),
    sweep: ALL_U8,
  },
  vmclockPeriod: {
    gen: () =>
      fc
        .oneof(
          hz,
          fc.constantFrom(0n, 1n, 2n, 3n, 4n, U64_MAX, U64_MAX - 1n, 1n << 63n),
          fc.tuple(fc.integer({ min: 1, max: 63 }), fc.integer({ min: -1, max: 1 })).map(([k, d]) => (1n << BigInt(k)) + BigInt(d)),
        )
        .map((f) => [f]),
  },
};

/** The methods compared on their whole outcome (reason, argument and message too). */
const NEW_METHODS = new Set<Method>([
  'tgtTscHz',
  'masterTscScale',
  'getKvmclock',
  'mclockMode',
  'computeGuestTsc',
  'tscCatchup',
  'hvclockToHz',
  'setClockGuestV6',
  'getClockGuestV6',
  'hvTscPage',
  'hvRefRead',
  'hvRefMsr',
  'xenTscLeaf',
  'vmclockRead',
  'vmclockGettime',
  'vmclockPeriod',
]);

/** The methods whose first argument is a kernel profile. */
const PROFILE_METHODS = ['getKvmclock', 'mclockMode', 'tscCatchup', 'getClockGuestV6'] as const satisfies readonly Method[];

type FullOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: { class: string; code: unknown; value: unknown; reason: unknown; argument: unknown; message: string | undefined } };

/** A call's whole outcome: the normalized result, or the error's class, code, value, reason, argument and message (not for `hang`). */
function fullOutcome(f: () => unknown): FullOutcome {
  try {
    return { ok: true, value: normalize(f()) };
  } catch (e) {
    const r = e as Error & { code?: unknown; value?: unknown; reason?: unknown; argument?: unknown };
    return {
      ok: false,
      error: {
        class: e instanceof Error ? e.constructor.name : `non-Error ${typeof e}`,
        code: r.code,
        value: r.value,
        reason: r.reason,
        argument: r.argument,
        message: r.code === 'hang' ? undefined : r.message,
      },
    };
  }
}

/** An outcome's label: the error code, or a finer label for setTscKhz's and the new methods' branches. */
function label(m: Method, o: ReturnType<typeof outcome>, args: Args = []): string {
  if (NEW_METHODS.has(m)) return newLabel(m, fullOutcome(() => call(ref, m, args)), args);
  if (!o.ok) return String(o.error.code);
  if (m === 'setTscKhz') {
    const v = o.value as { rc: number; ratio: bigint | null; useScaling: boolean; catchup: boolean; virtualTscMult: number | null };
    if (v.virtualTscMult === null) return 'user0';
    if (!v.useScaling) return 'window';
    if (v.catchup) return 'catchup';
    return v.rc === 0 ? 'scaled' : 'refused';
  }
  return 'ok';
}

/** The label of an outcome of one of the new methods: which error path, or which kind of success. */
function newLabel(m: Method, o: FullOutcome, args: Args): string {
  if (!o.ok) {
    const { code, reason, message = '' } = o.error;
    if (code === 'invalid') return `invalid:${String(reason)}`;
    if (code === 'EINVAL') {
      const check = [
        ['padding', 'pads'],
        ['tsc_to_system_mul is 0', 'mul'],
        ['tsc_shift', 'shift'],
        ['master clock', 'nomaster'],
        ['times 1000 is 0', 'nofreq'],
        ['below the record', 'tsc'],
        ['unreliable', 'unreliable'],
        ['time_type', 'type'],
        ['UTC', 'ambiguous'],
      ].find(([part]) => message.includes(part));
      return `EINVAL:${check?.[1] ?? '?'}`;
    }
    return String(code);
  }
  const v = o.value as Record<string, unknown>;
  if (m === 'tscCatchup') return v.l1Offset === args[5] ? 'ok:kept' : 'ok:bumped';
  if (m === 'getClockGuestV6') return v.flags === 1 ? 'ok:stable' : 'ok:unstable';
  if (m === 'vmclockGettime') return args[6] === 1 ? 'ok:tai' : 'ok:utc';
  if (m === 'mclockMode') return `ok:${String(v.useMasterClock)}/${String(v.tscStable)}`;
  return 'ok';
}

/** Both backends, same arguments: same result or same error (the whole outcome for the new methods). */
function agree(m: Method, args: Args): void {
  const at = `${m}(${show(args).slice(1, -1)})`;
  if (NEW_METHODS.has(m)) {
    expect(fullOutcome(() => call(wasm, m, args)), at).toStrictEqual(fullOutcome(() => call(ref, m, args)));
    return;
  }
  const r = outcome(() => call(ref, m, args));
  const w = outcome(() => call(wasm, m, args));
  expect(w, at).toStrictEqual(r);
}

describe('wasm ≡ reference: coverage', () => {
  it('the differential tables cover every API method, and nothing else', () => {
    const tested = [...Object.keys(SCALAR), ...Object.keys(BATCH)].sort();
    expect(tested).toEqual(apiMethodNames(ref));
    expect(apiMethodNames(wasm)).toEqual(apiMethodNames(ref));
    expect(wasm.backend).toBe('wasm');
    expect(ref.backend).toBe('reference');
  });
});

describe('wasm ≡ reference: scalar methods, random arguments', () => {
  for (const [m, spec] of Object.entries(SCALAR) as [Method, ScalarSpec][]) {
    it(m, () => {
      fc.assert(fc.property(spec.gen(), (args) => agree(m, args)));
    });
  }
});

describe('wasm ≡ reference: the generators reach every outcome', () => {
  // Guards against generators that silently stop reaching the kernel's error paths: a
  // fixed-size sample of each generator, labelled by the reference's outcome.
  const EXPECTED: Partial<Record<Method, string[]>> = {
    mulU64U32Div: ['ok', 'div0', 'overflow'],
    mulU64U32DivGeneric: ['ok', 'div0'],
    getTimeScale: ['ok', 'hang'],
    pvclockTscKhz: ['ok', 'div0'],
    tscRatio: ['ok', 'zero', 'toolarge', 'div0', 'overflow'],
    setTscKhz: ['user0', 'window', 'catchup', 'scaled', 'refused', 'de'],
    clocksCalcMultShift: ['ok', 'div0'],
    clocksourceRegister: ['ok', 'range'],
    setClock: ['ok', 'EINVAL'],
    tgtTscHz: ['ok', 'nofreq'],
    masterTscScale: ['ok', 'nomaster'],
    getKvmclock: ['ok', 'hang', 'nomaster'],
    mclockMode: ['ok:false/false', 'ok:true/false', 'ok:true/true'],
    tscCatchup: ['ok:kept', 'ok:bumped'],
    hvclockToHz: ['ok', 'hang'],
    setClockGuestV6: ['ok', 'ERANGE', 'EINVAL:pads', 'EINVAL:mul', 'EINVAL:shift', 'EINVAL:nomaster', 'EINVAL:nofreq', 'EINVAL:tsc'],
    getClockGuestV6: ['ok:stable', 'ok:unstable', 'EINVAL:nofreq', 'EINVAL:nomaster', 'hang'],
    hvTscPage: ['ok', 'invalid:unstable', 'invalid:mul'],
    xenTscLeaf: ['ok', 'hang'],
    vmclockGettime: ['ok:tai', 'ok:utc', 'EINVAL:unreliable', 'EINVAL:ambiguous', 'EINVAL:type'],
    vmclockPeriod: ['ok', 'nofit'],
  };
  for (const [m, labels] of Object.entries(EXPECTED) as [Method, string[]][]) {
    it(`${m}: ${labels.join(', ')}`, () => {
      const seen = new Set<string>();
      for (const args of fc.sample(SCALAR[m as keyof typeof SCALAR].gen(), { numRuns: 2000, seed: subSeed(`outcomes:${m}`) })) {
        seen.add(label(m, outcome(() => call(ref, m, args)), args));
      }
      expect([...seen].sort()).toEqual(expect.arrayContaining(labels));
    });
  }
});

describe('wasm ≡ reference: scalar methods, every shift value', () => {
  // Per swept value: a handful of argument tuples (at least 4; ~NUM_RUNS/25).
  const perValue = Math.max(4, Math.ceil(NUM_RUNS / 25));
  for (const [m, spec] of Object.entries(SCALAR) as [Method, ScalarSpec][]) {
    if (!spec.sweep) continue;
    const domain = spec.sweep;
    it(`${m} over shift-like values ${domain[0]}..${domain[domain.length - 1]}`, () => {
      for (const s of domain) {
        fc.assert(fc.property(spec.gen(s), (args) => agree(m, args)), { numRuns: perValue, seed: subSeed(`${m}:${s}`) });
      }
    });
  }
});

describe('wasm ≡ reference: kernel profiles', () => {
  // Every preset and composition, as a string and parsed, through each profile-taking method.
  const perProfile = Math.max(5, Math.ceil(NUM_RUNS / 10));
  for (const m of PROFILE_METHODS) {
    it(`${m} under each of ${KERNEL_PROFILE_STRINGS.length} profiles`, () => {
      for (const text of KERNEL_PROFILE_STRINGS) {
        for (const p of [text, KernelProfile.parse(text)]) {
          fc.assert(
            fc.property(SCALAR[m].gen(), (args) => agree(m, [p, ...args.slice(1)])),
            { numRuns: perProfile, seed: subSeed(`${m}:${text}:${typeof p}`) },
          );
        }
      }
    });
  }

  it('mclockMode on its whole domain: 32 flag combinations × every profile', () => {
    for (const text of KERNEL_PROFILE_STRINGS) {
      for (let bits = 0; bits < 32; bits++) {
        const flags = [0, 1, 2, 3, 4].map((i) => (bits & (1 << i)) !== 0);
        agree('mclockMode', [text, ...flags]);
      }
    }
  });
});

describe('wasm ≡ reference: edge values of the new methods', () => {
  // The corners named by the specs, crossed deterministically rather than sampled.
  const RATIOS_48 = [0n, 1n, 2n, (1n << 48n) - 1n, 1n << 48n, (1n << 48n) + 1n, 112_589_990_684_262n, 337_769_972_052_787n, U64_MAX];
  const RATIOS_32 = [0n, 1n, (1n << 32n) - 3n, (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 3n, 5_153_960_755n, (1n << 40n) - 1n];
  const HOSTS = [0n, 1n, 999n, 1000n, 2_500_000n, 3_000_000n, (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 1n, 1n << 61n, (1n << 61n) + 1n, 3n << 61n, 1n << 63n, U64_MAX / 1000n, U64_MAX / 1000n + 1n, U64_MAX];
  const WORDS = [0n, 1n, (1n << 32n) - 1n, (1n << 32n) + 1n, 1n << 61n, 1n << 63n, U64_MAX, 1_000_000_000_000n];
  const SIGNED = [0n, 1n, -1n, -(1n << 63n), (1n << 63n) - 1n, 400_000_000_000n, -400_000_000_000n];

  it('tgtTscHz, masterTscScale, getKvmclock, getClockGuestV6: host kHz × ratio × SVM/VMX frac × control', () => {
    for (const [frac, ratios] of [[48, RATIOS_48], [32, RATIOS_32]] as const) {
      for (const host of HOSTS) {
        for (const ratio of ratios) {
          for (const ctl of [false, true]) {
            agree('tgtTscHz', [host, ratio, frac, ctl]);
            agree('masterTscScale', [host, ratio, frac, ctl]);
            // C (6.18) and C′ (7.4-queued; clocks-v6 computes the same); the kHz and the Hz pvclock in GET
            for (const kernel of ['6.18', '7.4-queued']) {
              agree('getKvmclock', [kernel, 217_000_000_000_000n, 1_000_000_000_000n, 0n, 0n, ratio, frac, host, ctl]);
              agree('getKvmclock', [kernel, 0n, U64_MAX, -(1n << 63n), -1n, ratio, frac, host, ctl]);
            }
            for (const kernel of ['6.18', 'clocks-v6']) agree('getClockGuestV6', [kernel, true, 1_000_000_000_000n, 400_000_000_000n, -5n, U64_MAX, ratio, frac, host, ctl, false]);
          }
        }
      }
    }
  });

  it('computeGuestTsc and tscCatchup: deltas 0, ±1, ±2^63, every s8 shift at the spec example', () => {
    for (const shift of ALL_S8) {
      for (const d of [0n, 1n, -1n, -(1n << 63n), (1n << 63n) - 1n, -1_000_000_000n]) {
        for (const nsec of [5_000_000_000n, U64_MAX]) {
          for (const signed of [false, true]) agree('computeGuestTsc', [1_000_000_000_000n, nsec, s64of(nsec + d), 2_684_354_560, shift, signed]);
          for (const kernel of ['6.18', '7.4-queued']) {
            agree('tscCatchup', [kernel, 1_000_000_000_000n, nsec, 2_684_354_560, shift, 5n, 1n << 48n, 48, 1_000_000n, s64of(nsec + d), 2_000_000n, s64of(nsec + d + 1000n)]);
          }
        }
      }
    }
  });

  it('hvclockToHz and hvTscPage: every s8 shift × multipliers around powers of two and max_mul', () => {
    for (const shift of ALL_S8) {
      const maxMul = lo64(100n << BigInt((32 - shift) & 63));
      const muls = [0, 1, 2, 3, 2 ** 31, 2 ** 31 + 1, U32_MAX, U32_MAX - 1, 3_435_973_836, 2_147_485_795, 4_096_000_000];
      for (const d of [-1n, 0n, 1n]) if (maxMul + d >= 0n && maxMul + d <= BigInt(U32_MAX)) muls.push(Number(maxMul + d));
      for (const mul of muls) {
        agree('hvclockToHz', [mul, shift]);
        agree('hvTscPage', [mul, shift, 0n, 0n, 0]);
        for (const t of [1_000_000_000_000n, U64_MAX]) agree('hvTscPage', [mul, shift, t, U64_MAX - t, 1]);
      }
    }
  });

  it('hvRefRead, hvRefMsr, vmclockPeriod, xenTscLeaf on their corners', () => {
    for (const a of WORDS) {
      agree('hvRefMsr', [a]);
      agree('vmclockPeriod', [a]);
      for (const b of WORDS) for (const o of [...SIGNED, U64_MAX]) agree('hvRefRead', [a, b, o]);
    }
    for (let k = 0; k <= 64; k++) for (const d of [-1n, 0n, 1n]) agree('vmclockPeriod', [lo64((1n << BigInt(k)) + d)]);
    for (const k of [0, 1, 2, 999, 1000, 9_999, 10_000, 10_001, 999_999, 2_500_000, 2 ** 31, U32_MAX]) agree('xenTscLeaf', [k]);
  });

  it('vmclockRead and vmclockGettime: every u8 shift (≥ 128 masked), counters on both sides of counter_value', () => {
    const GETTIME: readonly (readonly [number, bigint, number, number])[] = [
      [1, 0n, 2, -37], // TAI as read
      [0, 1n, 2, -37], // UTC with the 2025 offset…
      [0, 1n, 2, 0xffdb], // …given as its u16 pattern
      [0, 1n, 3, -0x8000],
      [0, 0n, 2, -37], // UTC without a valid offset: EINVAL
      [2, 1n, 2, -37], // monotonic: EINVAL
      [1, 1n, 4, -37], // unreliable: EINVAL
    ];
    for (const shift of ALL_U8) {
      for (const [c, cv] of [[1n, 0n], [0n, 1n], [U64_MAX, 0n], [1_002_500_000_000n, 1_000_000_000_000n]] as const) {
        for (const frac of [0n, U64_MAX]) agree('vmclockRead', [c, cv, 15_845_632_502_852_867_518n, shift, U64_MAX, frac]);
      }
      for (const [type, flags, status, tai] of GETTIME) agree('vmclockGettime', [0n, 1n, U64_MAX, shift, 1_700_000_000n, 1n << 63n, type, flags, tai, status]);
    }
  });
});

// ---------------------------------------------------------------------------
// Batch methods

/** How the input(s) and output of one batch call are laid out in memory. */
interface Layout {
  readonly len: number;
  /** 0: a fresh array; odd: a view at that element offset into a larger buffer (with a tail). */
  readonly inOffset: number;
  /**
   * 'default': out omitted; 'alias': out is the (first) input; 'alias2': out is the second input;
   * 'view': out is a view at outOffset with outExtra spare elements after the input length.
   */
  readonly out: 'default' | 'alias' | 'alias2' | 'view';
  readonly outOffset: number;
  readonly outExtra: number;
  /** Second input (mulU64U64ShrBatch's b) is this many elements longer than the first. */
  readonly bExtra: number;
  /** mulU64U64ShrBatch: pass the same array as a and b. */
  readonly sameAB: boolean;
}

const layout: fc.Arbitrary<Layout> = fc.record({
  len: batchLength,
  inOffset: fc.oneof(fc.constant(0), oddOffset),
  out: fc.constantFrom('default', 'alias', 'alias2', 'view'),
  outOffset: fc.oneof(fc.constant(0), oddOffset),
  outExtra: fc.integer({ min: 0, max: 3 }),
  bExtra: fc.integer({ min: 0, max: 3 }),
  sameAB: fc.boolean(),
});

const SENTINEL = 0xdead_beef_cafe_f00dn;

/** A BigUint64Array holding `values`, either fresh or a view into a sentinel-filled buffer. */
function place(values: readonly bigint[], offset: number, tail: number): { view: BigUint64Array; backing: BigUint64Array } {
  if (offset === 0 && tail === 0) {
    const a = BigUint64Array.from(values);
    return { view: a, backing: a };
  }
  const backing = new BigUint64Array(offset + values.length + tail).fill(SENTINEL);
  const view = backing.subarray(offset, offset + values.length);
  view.set(values);
  return { view, backing };
}

interface BatchSpec {
  /** Number of input arrays (1, or 2 for mulU64U64ShrBatch). */
  readonly inputs: 1 | 2;
  /** The scalar parameters; `s` forces the swept one. */
  params(s?: number): fc.Arbitrary<Args>;
  readonly sweep: readonly number[];
  /** Element arbitrary for the input arrays (given the params). */
  elements(params: Args): fc.Arbitrary<bigint>;
  invoke(api: KvmclockApi, inputs: BigUint64Array[], params: Args, out: BigUint64Array | undefined): BigUint64Array;
  /** The same computation through the scalar API, element by element. */
  scalar(api: KvmclockApi, inputs: bigint[], params: Args): bigint;
}

const BATCH: Record<Extract<Method, `${string}Batch`>, BatchSpec> = {
  pvclockReadBatch: {
    inputs: 1,
    params: (s) => fc.tuple(u64, u64, pvclockMulShift(s)).map(([ts, st, [mul, shift]]) => [{ tscTimestamp: ts, systemTime: st, mul, shift }]),
    sweep: ALL_S8,
    elements: ([p]) => fc.oneof(u64, fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }).map((d) => lo64((p as { tscTimestamp: bigint }).tscTimestamp + d))),
    invoke: (api, [tsc], [p], out) => api.pvclockReadBatch(tsc, p as Parameters<KvmclockApi['pvclockReadBatch']>[1], out),
    scalar: (api, [tsc], [p]) => {
      const q = p as { tscTimestamp: bigint; systemTime: bigint; mul: number; shift: number };
      return api.pvclockRead(tsc, q.tscTimestamp, q.systemTime, q.mul, q.shift);
    },
  },
  pvclockScaleDeltaBatch: {
    inputs: 1,
    params: (s) => pvclockMulShift(s),
    sweep: ALL_S8,
    elements: () => u64,
    invoke: (api, [d], [mul, shift], out) => api.pvclockScaleDeltaBatch(d, mul as number, shift as number, out),
    scalar: (api, [d], [mul, shift]) => api.pvclockScaleDelta(d, mul as number, shift as number),
  },
  scaleTscBatch: {
    inputs: 1,
    params: (s) => fracAndRatio(s).map(([f, r]) => [r, f]),
    sweep: ALL_FRAC,
    elements: () => u64,
    invoke: (api, [t], [ratio, frac], out) => api.scaleTscBatch(t, ratio as bigint, frac as number, out),
    scalar: (api, [t], [ratio, frac]) => api.scaleTsc(t, ratio as bigint, frac as number),
  },
  readL1TscBatch: {
    inputs: 1,
    params: (s) => fc.tuple(u64, fracAndRatio(s)).map(([o, [f, r]]) => [o, r, f]),
    sweep: ALL_FRAC,
    elements: () => u64,
    invoke: (api, [h], [off, ratio, frac], out) => api.readL1TscBatch(h, off as bigint, ratio as bigint, frac as number, out),
    scalar: (api, [h], [off, ratio, frac]) => api.readL1Tsc(h, off as bigint, ratio as bigint, frac as number),
  },
  mulU64U64ShrBatch: {
    inputs: 2,
    params: (s) => S(s, mulShift).map((sh) => [sh]),
    sweep: ALL_MUL_SHIFT,
    elements: () => u64,
    invoke: (api, [a, b], [shift], out) => api.mulU64U64ShrBatch(a, b, shift as number, out),
    scalar: (api, [a, b], [shift]) => api.mulU64U64Shr(a, b, shift as number),
  },
  guestKvmclockBatch: {
    inputs: 1,
    params: (s) =>
      fc.tuple(u64, fracAndRatio(s), u64, u64, pvclockMulShift()).map(([off, [f, r], ts, st, [mul, shift]]) => [off, r, f, { tscTimestamp: ts, systemTime: st, mul, shift }]),
    sweep: ALL_FRAC,
    elements: () => u64,
    invoke: (api, [h], [off, ratio, frac, p], out) =>
      api.guestKvmclockBatch(h, off as bigint, ratio as bigint, frac as number, p as Parameters<KvmclockApi['guestKvmclockBatch']>[4], out),
    scalar: (api, [h], [off, ratio, frac, p]) => {
      const q = p as { tscTimestamp: bigint; systemTime: bigint; mul: number; shift: number };
      return api.pvclockRead(api.readL1Tsc(h, off as bigint, ratio as bigint, frac as number), q.tscTimestamp, q.systemTime, q.mul, q.shift);
    },
  },
};

interface BatchCase {
  readonly params: Args;
  readonly layout: Layout;
  readonly a: bigint[];
  readonly b: bigint[];
}

function batchCase(spec: BatchSpec, s?: number): fc.Arbitrary<BatchCase> {
  return fc.tuple(spec.params(s), layout).chain(([params, lay]) =>
    fc.record({
      params: fc.constant(params),
      layout: fc.constant(lay),
      a: fc.array(spec.elements(params), { minLength: lay.len, maxLength: lay.len }),
      b: fc.array(spec.elements(params), { minLength: lay.len + lay.bExtra, maxLength: lay.len + lay.bExtra }),
    }),
  );
}

/** Run one batch case on one backend from fresh buffers; report everything observable. */
function runBatch(api: KvmclockApi, spec: BatchSpec, c: BatchCase) {
  const L = c.layout;
  const A = place(c.a, L.inOffset, L.inOffset ? 2 : 0);
  const B = spec.inputs === 2 ? (L.sameAB ? A : place(c.b, L.inOffset ? L.inOffset + 2 : 0, L.inOffset ? 1 : 0)) : undefined;
  const inputs = B ? [A.view, B.view] : [A.view];
  let O: { view: BigUint64Array; backing: BigUint64Array } | undefined;
  if (L.out === 'alias') O = A;
  else if (L.out === 'alias2' && B) O = B;
  else if (L.out === 'view' || L.out === 'alias2') {
    const backing = new BigUint64Array(L.outOffset + c.a.length + L.outExtra + 1).fill(SENTINEL);
    O = { backing, view: backing.subarray(L.outOffset, L.outOffset + c.a.length + L.outExtra) };
  }
  // The expected per-element results, through the scalar API of the same backend.
  const expected: bigint[] = [];
  for (let i = 0; i < c.a.length; i++) expected.push(spec.scalar(api, spec.inputs === 2 ? [c.a[i], L.sameAB ? c.a[i] : c.b[i]] : [c.a[i]], c.params));
  const res = outcome(() => {
    const r = spec.invoke(api, inputs, c.params, O?.view);
    return { returnedOut: O === undefined ? r.length === c.a.length && r !== A.view && r !== B?.view : r === O.view, result: Array.from(r) };
  });
  return {
    res,
    expected,
    a: normalize(A.backing),
    b: B ? normalize(B.backing) : null,
    out: O ? normalize(O.backing) : null,
  };
}

describe('wasm ≡ reference: batch methods', () => {
  for (const [m, spec] of Object.entries(BATCH) as [Method, BatchSpec][]) {
    it(`${m}: random lengths 0..40, odd-offset views, aliasing, long outputs`, () => {
      fc.assert(
        fc.property(batchCase(spec), (c) => {
          const r = runBatch(ref, spec, c);
          const w = runBatch(wasm, spec, c);
          // the reference batch is the scalar reference applied element-wise
          expect(r.res.ok).toBe(true);
          if (r.res.ok) {
            const v = r.res.value as { returnedOut: boolean; result: bigint[] };
            expect(v.returnedOut).toBe(true);
            expect(v.result.slice(0, c.a.length)).toEqual(r.expected);
          }
          expect(w, `${m} ${show(c)}`).toStrictEqual(r);
        }),
      );
    });

    it(`${m}: every value of its shift-like parameter`, () => {
      const perValue = Math.max(2, Math.ceil(NUM_RUNS / 100));
      for (const s of spec.sweep) {
        fc.assert(
          fc.property(batchCase(spec, s), (c) => {
            expect(runBatch(wasm, spec, c), `${m} ${show(c)}`).toStrictEqual(runBatch(ref, spec, c));
          }),
          { numRuns: perValue, seed: subSeed(`${m}:${s}`) },
        );
      }
    });
  }

  it('long arrays (past any internal chunk size), fresh, viewed and aliased', () => {
    // xorshift128+ — deterministic and fast, independent of fast-check for the bulk data
    let s0 = 0x9e3779b97f4a7c15n ^ BigInt(subSeed('long') >>> 0);
    let s1 = 0xbf58476d1ce4e5b9n;
    const next = (): bigint => {
      let x = s0;
      const y = s1;
      s0 = y;
      x = lo64(x ^ (x << 23n));
      s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
      return lo64(s1 + y);
    };
    const rnd = (n: number) => Array.from({ length: n }, next);
    for (const n of [1023, 1024, 1025, 4095, 4096, 4097, 65_535, 65_536, 65_537, 100_003]) {
      const xs = rnd(n);
      const ys = rnd(n);
      const p = { tscTimestamp: xs[0], systemTime: ys[0], mul: 3_435_973_836, shift: -1 };
      const cases: [string, (api: KvmclockApi, x: BigUint64Array, y: BigUint64Array, out?: BigUint64Array) => BigUint64Array][] = [
        ['pvclockReadBatch', (api, x, _y, o) => api.pvclockReadBatch(x, p, o)],
        ['pvclockScaleDeltaBatch', (api, x, _y, o) => api.pvclockScaleDeltaBatch(x, 2_684_354_560, 2, o)],
        ['scaleTscBatch', (api, x, _y, o) => api.scaleTscBatch(x, 337_769_972_052_787n, 48, o)],
        ['readL1TscBatch', (api, x, _y, o) => api.readL1TscBatch(x, ys[1], 5_153_960_755n, 32, o)],
        ['mulU64U64ShrBatch', (api, x, y, o) => api.mulU64U64ShrBatch(x, y, 61, o)],
      ];
      for (const [name, f] of cases) {
        const run = (api: KvmclockApi, mode: 'fresh' | 'view' | 'alias') => {
          const bx = new BigUint64Array(n + 4).fill(SENTINEL);
          const x = mode === 'fresh' ? BigUint64Array.from(xs) : bx.subarray(3, 3 + n);
          if (mode !== 'fresh') x.set(xs);
          const y = BigUint64Array.from(ys);
          const out = mode === 'alias' ? x : undefined;
          const r = f(api, x, y, out);
          return { r: Array.from(r), bx: mode === 'fresh' ? null : Array.from(bx) };
        };
        for (const mode of ['fresh', 'view', 'alias'] as const) {
          const a = run(ref, mode);
          const b = run(wasm, mode);
          const firstDiff = a.r.findIndex((v, i) => v !== b.r[i]);
          expect(firstDiff, `${name} n=${n} ${mode}: first differing index`).toBe(-1);
          expect(b.r.length).toBe(a.r.length);
          expect(b.bx).toEqual(a.bx);
        }
      }
    }
  });

  it('batch calls interleaved with scalar calls do not disturb each other', () => {
    const xs = BigUint64Array.from([1n, 2n, U64_MAX, 1n << 63n, 12345678901234n]);
    const before = Array.from(wasm.scaleTscBatch(xs, 3n << 47n, 48));
    const mid = wasm.mulU64U64Shr(U64_MAX, U64_MAX, 64);
    const gts = wasm.getTimeScale(1_000_000_000n, 2_500_000_000n);
    const after = Array.from(wasm.scaleTscBatch(xs, 3n << 47n, 48));
    expect(after).toEqual(before);
    expect(mid).toBe(ref.mulU64U64Shr(U64_MAX, U64_MAX, 64));
    expect(normalize(gts)).toEqual(normalize(ref.getTimeScale(1_000_000_000n, 2_500_000_000n)));
    expect(before).toEqual(Array.from(ref.scaleTscBatch(xs, 3n << 47n, 48)));
  });
});
