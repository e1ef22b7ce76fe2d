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
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KvmclockApi } from '../src/api.js';
import { U64_MAX } from '../src/units.js';
import {
  ALL_FRAC,
  ALL_MUL_SHIFT,
  ALL_S8,
  ALL_SHIFT64,
  batchLength,
  caps,
  fracAndRatio,
  khz,
  khzArg,
  mulShift,
  oddOffset,
  pvclockMulShift,
  ratioFor,
  s32,
  s64,
  setClockFlags,
  shift64,
  timeScaleArgs,
  tolPpm,
  u32,
  u32NonZero,
  u64,
  u8,
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
};

/** An outcome's label: the error code, or a finer label for setTscKhz's branches. */
function label(m: Method, o: ReturnType<typeof outcome>): string {
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

/** Both backends, same arguments: same result or same error. */
function agree(m: Method, args: Args): void {
  const r = outcome(() => call(ref, m, args));
  const w = outcome(() => call(wasm, m, args));
  expect(w, `${m}(${show(args).slice(1, -1)})`).toStrictEqual(r);
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
  };
  for (const [m, labels] of Object.entries(EXPECTED) as [Method, string[]][]) {
    it(`${m}: ${labels.join(', ')}`, () => {
      const seen = new Set<string>();
      for (const args of fc.sample(SCALAR[m as keyof typeof SCALAR].gen(), { numRuns: 2000, seed: subSeed(`outcomes:${m}`) })) {
        seen.add(label(m, outcome(() => call(ref, m, args))));
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
