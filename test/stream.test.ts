/**
 * Streaming conversions: converters on private Wasm instances (zero-copy chunk view),
 * convertChunks over any iterable of arrays (order kept, inputs untouched), and
 * runConversions over counts far beyond one chunk with constant memory, checked against
 * the BigInt reference (samples, and the full checksum of shorter runs).
 */
import { describe, expect, it } from 'vitest';

import { ArgumentRangeError, ArgumentTypeError } from '../src/errors.js';
import { referenceBackend } from '../src/reference/index.js';
import {
  DEFAULT_RAMP,
  convertChunks,
  createConverter,
  rampInput,
  referenceChecksum,
  referenceConvert,
  runConversions,
  verifySamples,
  type ConversionSpec,
} from '../src/stream/index.js';

const PV = { tscTimestamp: 1_000_000n, systemTime: 7n, mul: 3_435_973_836, shift: -1 };
const SPECS: ConversionSpec[] = [
  { op: 'pvclockRead', pvclock: PV },
  { op: 'pvclockScaleDelta', mul: 2_147_485_795, shift: 1 },
  { op: 'scaleTsc', ratio: 112_589_990_684_262n, frac: 48 },
  { op: 'readL1Tsc', offset: (1n << 64n) - 5n, ratio: 3n << 31n, frac: 32 },
  { op: 'guestKvmclock', l1Offset: 99n, ratio: 112_589_990_684_262n, frac: 48, pvclock: { ...PV, shift: 1, mul: 2_147_485_795 } },
];

function values(n: number, seed: bigint): BigUint64Array {
  const a = new BigUint64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = BigInt.asUintN(64, s * 6364136223846793005n + 1442695040888963407n);
    a[i] = i % 7 === 0 ? BigInt.asUintN(64, -BigInt(i)) : s;
  }
  return a;
}

describe.each(SPECS.map((s) => [s.op, s] as const))('%s', (_op, spec) => {
  it.each(['auto', 'scalar'] as const)('createConverter (%s): in place over the chunk view', (engine) => {
    const c = createConverter(spec, { engine });
    expect(c.simd).toBe(engine === 'auto');
    expect(c.input.length).toBe(c.capacity);
    const input = values(c.capacity, 11n);
    for (const n of [0, 1, 2, 3, 5, 17, c.capacity]) {
      c.input.set(input.subarray(0, n));
      const out = c.convert(n);
      expect(out.length).toBe(n);
      for (let i = 0; i < n; i++) expect(out[i], `n ${n} i ${i}`).toBe(referenceConvert(referenceBackend, spec, input[i]));
    }
  });

  it('convertChunks: any sizes, order kept, inputs unchanged', () => {
    const sizes = [0, 1, 4095, 4096, 4097, 3, 9000];
    const arrays = sizes.map((n, k) => values(n, BigInt(k + 1)));
    const copies = arrays.map((a) => a.slice());
    const got: bigint[] = [];
    for (const chunk of convertChunks(spec, arrays)) got.push(...chunk);
    const want = arrays.flatMap((a) => Array.from(a, (x) => referenceConvert(referenceBackend, spec, x)));
    expect(got.length).toBe(want.length);
    expect(got).toEqual(want);
    expect(arrays).toEqual(copies);
  });

  it('runConversions: checksum of every output equals the reference, with an offset start', () => {
    const run = runConversions({ spec, count: 3 * 4096 + 17, first: 1000, sampleEveryChunks: 1 });
    expect(run.checksum).toBe(referenceChecksum(referenceBackend, spec, DEFAULT_RAMP, 1000, 3 * 4096 + 17));
    expect(run.samples.length).toBe(4);
    expect(verifySamples(referenceBackend, spec, DEFAULT_RAMP, run.samples)).toEqual([]);
  });
});

describe('runConversions at scale', () => {
  it('5·10^7 conversions: constant memory, checksum split-invariant, samples match the reference', () => {
    const spec = SPECS[4];
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const whole = runConversions({ spec, count: 50_000_000, sampleEveryChunks: 64 });
    const grew = process.memoryUsage().rss - rss0;
    expect(grew).toBeLessThan(16 * 1024 * 1024);
    const a = runConversions({ spec, count: 20_000_000 + 123 });
    const b = runConversions({ spec, count: 30_000_000 - 123, first: 20_000_000 + 123 });
    expect(BigInt.asUintN(64, a.checksum + b.checksum)).toBe(whole.checksum);
    expect(whole.samples.length).toBeGreaterThan(100);
    expect(verifySamples(referenceBackend, spec, DEFAULT_RAMP, whole.samples)).toEqual([]);
    expect(whole.samples[1].input).toBe(rampInput(DEFAULT_RAMP, whole.samples[1].index));
  });

  it('a wrapping ramp (inputs pass 2^64)', () => {
    const source = { start: (1n << 64n) - 10_000n, step: 3n };
    const spec = SPECS[0];
    const run = runConversions({ spec, count: 10_000, source });
    expect(run.checksum).toBe(referenceChecksum(referenceBackend, spec, source, 0, 10_000));
  });
});

describe('validation', () => {
  it('rejects bad specs and chunk lengths with typed errors', () => {
    expect(() => createConverter({ op: 'nope' } as unknown as ConversionSpec)).toThrow(ArgumentRangeError);
    expect(() => createConverter({ op: 'scaleTsc', ratio: 1n, frac: 64 })).toThrow(/"spec\.frac" expected frac bits/);
    expect(() => createConverter({ op: 'pvclockRead', pvclock: { ...PV, mul: -1 } })).toThrow(/"spec\.pvclock\.mul" expected u32/);
    expect(() => createConverter(null as unknown as ConversionSpec)).toThrow(ArgumentTypeError);
    const c = createConverter(SPECS[0]);
    expect(() => c.convert(c.capacity + 1)).toThrow(ArgumentRangeError);
    expect(() => c.convert(1.5)).toThrow(ArgumentTypeError);
    expect(() => runConversions({ spec: SPECS[0], count: -1 })).toThrow(ArgumentRangeError);
    expect(() => [...convertChunks(SPECS[0], [[1n] as unknown as BigUint64Array])]).toThrow(/"source item" expected BigUint64Array/);
  });
});

describe('presets', () => {
  it('are the README guest: the ratio kvm_set_tsc_khz picks and the pvclock factors of tgt_tsc_khz', async () => {
    const { DEMO_FRAC, DEMO_PVCLOCK, DEMO_RATIO } = await import('../src/stream/presets.js');
    const { kvmclock } = await import('../src/index.js');
    const api = kvmclock('reference');
    const { ratio } = api.setTscKhz(1_000_000, 2_500_000, true, DEMO_FRAC, (1n << 64n) - 1n, 250);
    expect(ratio).toBe(DEMO_RATIO);
    const tgt = api.tgtTscKhz(2_500_000, DEMO_RATIO, DEMO_FRAC, true);
    expect(api.getTimeScale(1_000_000_000n, tgt * 1000n)).toEqual({ shift: DEMO_PVCLOCK.shift, mul: DEMO_PVCLOCK.mul });
  });
});
