/**
 * The batch kernels of both embedded builds — scalar loops and v128 SIMD kernels with
 * scalar tails — against the BigInt reference: random and edge inputs, every shift of
 * every shift-like parameter (both signs of the pvclock shift, every frac, every
 * mul_u64_u64_shr shift), lengths 0..17 and around the buffer capacity, unaligned input
 * and output views. Also the engine selection (SIMD when available, the scalar fallback
 * reported with a reason), kvm_get_time_scale over a batch, and the ramp/sum helpers.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';

import type { Backend, PvclockParams } from '../src/backend.js';
import { KernelRuleError } from '../src/errors.js';
import { guestKvmclockBatch, kvmclock } from '../src/index.js';
import { referenceBackend } from '../src/reference/index.js';
import { wasmBackend, wasmBatchForms } from '../src/wasm/backend.js';
import { WASM_SIMD_SHA256 } from '../src/wasm/binary.gen.js';
import { buildBytes, instantiate, probeSimd, setWasmBatchEngine, viewsOf, wasmBatchEngine, wasmExports, wasmImports, wasmInfo, type KvmclockExports } from '../src/wasm/instance.js';

const U64_MAX = (1n << 64n) - 1n;
const EDGE_U64 = [0n, 1n, 2n, (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 1n, 1n << 48n, (1n << 63n) - 1n, 1n << 63n, (1n << 63n) + 1n, U64_MAX - 1n, U64_MAX];

/** Deterministic xorshift64*, so that a failure reproduces from the seed alone. */
function rng(seed: bigint) {
  let s = seed;
  const next = (): bigint => {
    s ^= s >> 12n;
    s ^= BigInt.asUintN(64, s << 25n);
    s ^= s >> 27n;
    return BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn);
  };
  const u64 = (): bigint => {
    const r = next();
    return r % 4n === 0n ? EDGE_U64[Number(r >> 8n) % EDGE_U64.length] : next();
  };
  const int = (min: number, max: number): number => min + Number(next() % BigInt(max - min + 1));
  const u32 = (): number => [0, 1, 0xffff_ffff, 2_147_485_795, 3_435_973_836][int(0, 9)] ?? Number(next() >> 32n);
  return { u64, int, u32 };
}
type Gen = ReturnType<typeof rng>;

/** A view of `len` random elements at element offset `offset` inside a larger array. */
function view(len: number, offset: number, g: Gen): BigUint64Array {
  const backing = new BigUint64Array(offset + len + 2);
  for (let i = 0; i < backing.length; i++) backing[i] = g.u64();
  return backing.subarray(offset, offset + len);
}

const SIMD = probeSimd().exports;
/** The two builds' batch forms, each on a private instance. */
const BUILDS: [string, Pick<Backend, 'pvclockReadBatch' | 'pvclockScaleDeltaBatch' | 'scaleTscBatch' | 'readL1TscBatch' | 'mulU64U64ShrBatch' | 'guestKvmclockBatch' | 'getTimeScaleBatch'>][] = [
  ['scalar build', wasmBatchForms(((w: KvmclockExports) => () => w)(instantiate('scalar')))],
  ...(SIMD === undefined ? [] : [['simd build', wasmBatchForms(((w: KvmclockExports) => () => w)(instantiate('simd')))] as [string, ReturnType<typeof wasmBatchForms>]]),
];

const ALL_S8 = Array.from({ length: 256 }, (_, i) => i - 128);
const ALL_FRAC = Array.from({ length: 64 }, (_, i) => i);
const ALL_MUL_SHIFT = Array.from({ length: 128 }, (_, i) => i);
const capacity = viewsOf(wasmExports()).capacity;
const LENGTHS = Array.from({ length: 18 }, (_, i) => i);

/** A ratio for frac: the identity 2^frac a quarter of the time, else random (VMX/SVM-like or any u64). */
function ratioFor(frac: number, g: Gen): bigint {
  const k = g.int(0, 3);
  if (k === 0) return 1n << BigInt(frac);
  if (k === 1) return BigInt.asUintN(64, (1n << BigInt(frac)) * BigInt(g.int(1, 40)) / 10n);
  return g.u64();
}

function pvclockFor(shift: number, g: Gen): PvclockParams {
  return { tscTimestamp: g.u64(), systemTime: g.u64(), mul: g.u32(), shift };
}

interface Case {
  readonly name: string;
  readonly sweep: readonly number[];
  /** Runs the batch form on `impl` over `input` into `out` and returns the reference of element i. */
  run(impl: (typeof BUILDS)[number][1], s: number, g: Gen, input: BigUint64Array, out: BigUint64Array): (x: bigint, i: number) => bigint;
}

const r = referenceBackend;
const CASES: Case[] = [
  {
    name: 'pvclockReadBatch',
    sweep: ALL_S8,
    run: (impl, s, g, input, out) => {
      const p = pvclockFor(s, g);
      impl.pvclockReadBatch(input, p, out);
      return (x) => r.pvclockRead(x, p.tscTimestamp, p.systemTime, p.mul, p.shift);
    },
  },
  {
    name: 'pvclockScaleDeltaBatch',
    sweep: ALL_S8,
    run: (impl, s, g, input, out) => {
      const mul = g.u32();
      impl.pvclockScaleDeltaBatch(input, mul, s, out);
      return (x) => r.pvclockScaleDelta(x, mul, s);
    },
  },
  {
    name: 'scaleTscBatch',
    sweep: ALL_FRAC,
    run: (impl, f, g, input, out) => {
      const ratio = ratioFor(f, g);
      impl.scaleTscBatch(input, ratio, f, out);
      return (x) => r.scaleTsc(x, ratio, f);
    },
  },
  {
    name: 'readL1TscBatch',
    sweep: ALL_FRAC,
    run: (impl, f, g, input, out) => {
      const ratio = ratioFor(f, g);
      const offset = g.u64();
      impl.readL1TscBatch(input, offset, ratio, f, out);
      return (x) => r.readL1Tsc(x, offset, ratio, f);
    },
  },
  {
    name: 'guestKvmclockBatch (every frac)',
    sweep: ALL_FRAC,
    run: (impl, f, g, input, out) => {
      const ratio = ratioFor(f, g);
      const off = g.u64();
      const p = pvclockFor(g.int(-128, 127), g);
      impl.guestKvmclockBatch(input, off, ratio, f, p, out);
      return (x) => r.pvclockRead(r.readL1Tsc(x, off, ratio, f), p.tscTimestamp, p.systemTime, p.mul, p.shift);
    },
  },
  {
    name: 'guestKvmclockBatch (every pvclock shift, VMX and SVM)',
    sweep: ALL_S8,
    run: (impl, s, g, input, out) => {
      const f = [48, 32][g.int(0, 1)];
      const ratio = ratioFor(f, g);
      const off = g.u64();
      const p = pvclockFor(s, g);
      impl.guestKvmclockBatch(input, off, ratio, f, p, out);
      return (x) => r.pvclockRead(r.readL1Tsc(x, off, ratio, f), p.tscTimestamp, p.systemTime, p.mul, p.shift);
    },
  },
  {
    name: 'guestKvmclockBatch (every frac × the shifts with loops of their own)',
    sweep: ALL_FRAC.flatMap((f) => [-2, -1, 0, 1, 2, 7].map((sh) => f * 256 + (sh + 128))),
    run: (impl, code, g, input, out) => {
      const f = code >> 8;
      const ratio = ratioFor(f, g);
      const off = g.u64();
      const p = pvclockFor((code & 255) - 128, g);
      impl.guestKvmclockBatch(input, off, ratio, f, p, out);
      return (x) => r.pvclockRead(r.readL1Tsc(x, off, ratio, f), p.tscTimestamp, p.systemTime, p.mul, p.shift);
    },
  },
  {
    name: 'mulU64U64ShrBatch',
    sweep: ALL_MUL_SHIFT,
    run: (impl, s, g, input, out) => {
      const b = view(input.length, g.int(0, 5), g);
      const copy = b.slice();
      impl.mulU64U64ShrBatch(input, b, s, out);
      expect(b).toEqual(copy);
      return (x, i) => r.mulU64U64Shr(x, copy[i], s);
    },
  },
];

function check(label: string, expected: (x: bigint, i: number) => bigint, original: BigUint64Array, out: BigUint64Array): void {
  for (let i = 0; i < original.length; i++) {
    const want = expected(original[i], i);
    if (out[i] !== want) throw new Error(`${label} index ${i}: input ${original[i]}: got ${out[i]}, reference ${want}`);
  }
}

describe.each(BUILDS)('%s: batch kernels ≡ reference', (buildName, impl) => {
  for (const [k, c] of CASES.entries()) {
    it(`${c.name}: every shift value, lengths 0..17, unaligned views, aliasing`, () => {
      const g = rng(0x5eed_0000n + BigInt(k));
      for (const s of c.sweep) {
        const len = LENGTHS[g.int(0, LENGTHS.length - 1)];
        const aliased = g.int(0, 3) === 0;
        const input = view(len, g.int(0, 7), g);
        const original = input.slice();
        const out = aliased ? input : view(len, g.int(0, 7), g);
        const expected = c.run(impl, s, g, input, out);
        if (!aliased) expect(input).toEqual(original);
        check(`${buildName} ${c.name} s=${s} len=${len}`, expected, original, out);
      }
    });

    it(`${c.name}: every shift value, lengths 24..200 (mixed vector/integer blocks, then four-element steps and tails)`, () => {
      const g = rng(0xb10c_0000n + BigInt(k));
      for (const s of c.sweep) {
        const len = g.int(24, 200);
        const input = view(len, g.int(0, 7), g);
        const original = input.slice();
        const out = view(len, g.int(0, 7), g);
        const expected = c.run(impl, s, g, input, out);
        check(`${buildName} ${c.name} s=${s} len=${len}`, expected, original, out);
      }
    });

    it(`${c.name}: every length 0..17 and around the chunk capacity`, () => {
      const g = rng(0xa11_0000n + BigInt(k));
      for (const len of [...LENGTHS, capacity - 3, capacity - 1, capacity, capacity + 1, 2 * capacity + 3]) {
        const s = c.sweep[g.int(0, c.sweep.length - 1)];
        const input = view(len, g.int(1, 9), g);
        const original = input.slice();
        const out = view(len, g.int(0, 3), g);
        const expected = c.run(impl, s, g, input, out);
        check(`${buildName} ${c.name} s=${s} len=${len}`, expected, original, out);
      }
    });
  }

  it('getTimeScaleBatch: scaled 10^9 over kHz-like and edge bases; hang names its element', () => {
    const g = rng(0x7153n);
    const base = new BigUint64Array(capacity + 7);
    for (let i = 0; i < base.length; i++) base[i] = i % 5 === 0 ? BigInt(g.int(1, 4_000_000)) * 1000n : g.u64() | 1n;
    const shift = new Int8Array(base.length);
    const mul = new Uint32Array(base.length);
    impl.getTimeScaleBatch(1_000_000_000n, base, shift, mul);
    for (let i = 0; i < base.length; i++) {
      const t = r.getTimeScale(1_000_000_000n, base[i]);
      if (shift[i] !== t.shift || mul[i] !== t.mul) throw new Error(`element ${i} base ${base[i]}: got (${shift[i]}, ${mul[i]}), reference (${t.shift}, ${t.mul})`);
    }
    const withZero = BigUint64Array.from([2_500_000_000n, 0n, 5n]);
    const refError = (() => {
      try {
        r.getTimeScaleBatch(1_000_000_000n, withZero, new Int8Array(3), new Uint32Array(3));
      } catch (e) {
        return e as KernelRuleError;
      }
      throw new Error('reference did not throw');
    })();
    const s2 = new Int8Array(3);
    const m2 = new Uint32Array(3);
    expect(() => impl.getTimeScaleBatch(1_000_000_000n, withZero, s2, m2)).toThrow(refError.message);
    expect(refError).toBeInstanceOf(KernelRuleError);
    expect(refError.code).toBe('hang');
    expect(refError.message).toContain('element 1');
    expect([s2[0], m2[0]]).toEqual([-1, 3_435_973_836]); // the element before the hang is written
  });
});

describe('engine selection', () => {
  afterEach(() => setWasmBatchEngine('auto'));

  it('the SIMD module is embedded intact, imports nothing and has the scalar module\'s exports', () => {
    expect(createHash('sha256').update(buildBytes('simd')).digest('hex')).toBe(WASM_SIMD_SHA256);
    expect(wasmInfo().simd.sha256).toBe(WASM_SIMD_SHA256);
    expect(wasmImports('simd')).toEqual([]);
    expect(Object.keys(instantiate('simd')).sort()).toEqual(Object.keys(wasmExports()).sort());
  });

  it('uses the SIMD build on this engine (Node ≥ 20 has Wasm SIMD) and says so', () => {
    expect(SIMD).toBeDefined();
    expect(wasmBatchEngine()).toEqual({ simd: true, reason: expect.stringContaining('SIMD') });
  });

  it('falls back to the scalar build, says why, and computes the same', () => {
    const tsc = BigUint64Array.from({ length: 41 }, (_, i) => BigInt(i) * 999_999_937n + 12345n);
    const p = { tscTimestamp: 777n, systemTime: 5n, mul: 2_147_485_795, shift: 1 };
    const simd = wasmBackend.pvclockReadBatch.bind(wasmBackend);
    const a = new BigUint64Array(tsc.length);
    simd(tsc, p, a);
    setWasmBatchEngine('scalar');
    const engine = wasmBatchEngine();
    expect(engine.simd).toBe(false);
    expect(engine.reason).toMatch(/scalar/);
    const b = new BigUint64Array(tsc.length);
    wasmBackend.pvclockReadBatch(tsc, p, b);
    expect(b).toEqual(a);
  });
});

describe('guestKvmclockBatch through the public API', () => {
  it('is definition B: a 1.0 GHz VMX guest on a 2.5 GHz host, one second after the snapshot', () => {
    // ratio ⌊0.4·2^48⌋; the guest pvclock is built from tgt_tsc_khz 999999: shift 1, mul 2147485795.
    const api = kvmclock('wasm');
    const out = guestKvmclockBatch(BigUint64Array.from([0n, 2_500_000_000n]), 0n, 112_589_990_684_262n, 48, { tscTimestamp: 0n, systemTime: 0n, mul: 2_147_485_795, shift: 1 });
    const g = api.readL1Tsc(2_500_000_000n, 0n, 112_589_990_684_262n, 48);
    expect(Array.from(out)).toEqual([0n, api.pvclockRead(g, 0n, 0n, 2_147_485_795, 1)]);
    expect(out[1]).toBe(1_000_000_998n);
    expect(kvmclock('reference').guestKvmclockBatch(BigUint64Array.from([2_500_000_000n]), 0n, 112_589_990_684_262n, 48, { tscTimestamp: 0n, systemTime: 0n, mul: 2_147_485_795, shift: 1 })[0]).toBe(out[1]);
  });

  it('validates like the other batch forms', () => {
    const api = kvmclock('wasm');
    const p = { tscTimestamp: 0n, systemTime: 0n, mul: 1, shift: 0 };
    expect(() => api.guestKvmclockBatch([1n] as unknown as BigUint64Array, 0n, 1n, 0, p)).toThrow(/"host_tsc" expected BigUint64Array/);
    expect(() => api.guestKvmclockBatch(new BigUint64Array(1), -1n, 1n, 0, p)).toThrow(/"l1_offset" expected u64/);
    expect(() => api.guestKvmclockBatch(new BigUint64Array(1), 0n, 1n, 64, p)).toThrow(/"frac" expected frac bits in 0\.\.63/);
    expect(() => api.guestKvmclockBatch(new BigUint64Array(1), 0n, 1n, 0, { ...p, shift: 128 })).toThrow(/"params\.shift" expected s8/);
    expect(() => api.guestKvmclockBatch(new BigUint64Array(2), 0n, 1n, 0, p, new BigUint64Array(1))).toThrow(/"out" expected length/);
  });
});

describe('stream helpers of the batch ABI', () => {
  const instances: [string, KvmclockExports][] = [['scalar', instantiate('scalar')], ...(SIMD === undefined ? [] : [['simd', instantiate('simd')] as [string, KvmclockExports]])];
  it.each(instances)('%s: fillRampBatch and sumBatch', (_name, w) => {
    const v = viewsOf(w);
    for (const n of [0, 1, 3, 4, 5, 17, v.capacity]) {
      const start = U64_MAX - 5n;
      const step = 0x1234_5678_9abc_def1n;
      w.fillRampBatch(n, start, step, 3n);
      let sum = 0n;
      for (let i = 0; i < n; i++) {
        const want = BigInt.asUintN(64, start + BigInt(3 + i) * step);
        expect(v.a[i]).toBe(want);
        sum += want;
      }
      expect(BigInt.asUintN(64, w.sumBatch(n))).toBe(BigInt.asUintN(64, sum));
    }
  });
});
