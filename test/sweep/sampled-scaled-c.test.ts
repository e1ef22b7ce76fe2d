/**
 * Sampled mode under profiles with c-via-guest-tsc: the Wasm extremes kernel computes C′
 * (the host TSC delta scaled by the ratio, the snapshot's factors) exactly as the BigInt
 * brute force over the model's clockC, on both builds (SIMD pairs and scalar), for sweep
 * points under every profile and for arbitrary clock states.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { KernelProfile } from '../../src/kernel/profile.js';
import type { ClockState } from '../../src/model/definitions.js';
import { evaluatePoint } from '../../src/sweep/exact-point.js';
import { sampledExtremes } from '../../src/sweep/sampled-kernel.js';
import { sampledExtremesReference } from '../../src/sweep/sampled.js';
import { wasmSampledExtremes } from '../../src/wasm/extremes.js';
import { setWasmBatchEngine, wasmBatchEngine } from '../../src/wasm/instance.js';
import '../helpers/seed.js';
import { PROFILES } from './profiles.js';

const api = kvmclock('wasm');
const ref = kvmclock('reference');
const U64 = (1n << 64n) - 1n;

/** Runs a check on the SIMD module, then on the scalar one. */
function engines(check: () => void): void {
  expect(wasmBatchEngine().simd).toBe(true);
  try {
    for (const engine of ['auto', 'scalar'] as const) {
      setWasmBatchEngine(engine);
      check();
    }
  } finally {
    setWasmBatchEngine('auto');
  }
}

describe('sampled C′ (c-via-guest-tsc) in the Wasm extremes kernel', () => {
  it.each([
    [2_500_000, 1_000_000, 'vmx', 86_400n, 1001n],
    [3_000_000, 2_500_000, 'svm', 3_600n, 777n],
    [2_500_000, 2_000_000, 'vmx', 86_400n, 64n],
    [2_400_000, 2_400_000, 'vmx', 30n * 86_400n, 33n],
    [3_700_000, 1_100_000, 'svm', 86_400n, 1n],
    [1_000, 3_000_000, 'vmx', 100n, 997n],
    [10_000_000, 1_000, 'svm', 3_600n, 500n],
    [5_000_000, 3_500_000, 'vmx', 86_400n, 333n],
    [1_000_000, 3_000_000, 'vmx', 86_400n, 301n],
    [3_000_000, 1_500_000, 'vmx', 86_400n, 65n],
    [2_500_000, 2_500_100, 'vmx', 1n, 4097n],
    [2_500_000, 1_000_000, 'svm', 1n, 3001n],
  ] as const)('every profile: %i → %i kHz %s over %i s, %i samples', (hostKhz, guestKhz, vendor, horizonS, n) => {
    for (const name of PROFILES) {
      const kernel = KernelProfile.parse(name);
      const { state } = evaluatePoint(api, { index: 0, hostKhz, guestKhz, vendor, horizonS }, 250, kernel);
      if (state === undefined) throw new Error('no state');
      const horizon = BigInt(hostKhz) * 1000n * horizonS;
      const want = sampledExtremesReference(ref, state, horizon, n);
      engines(() => expect(wasmSampledExtremes(state, horizon, n), name).toEqual(want));
    }
  });

  it('C′ differs from C where the ratio scales (the kernel does not compute the baseline C under 7.4-queued)', () => {
    const p = { index: 0, hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx' as const, horizonS: 86_400n };
    const horizon = 2_500_000_000n * 86_400n;
    const base = evaluatePoint(api, p, 250).state as ClockState;
    const queued = evaluatePoint(api, p, 250, KernelProfile.parse('7.4-queued')).state as ClockState;
    const a = wasmSampledExtremes(base, horizon, 2n);
    const b = wasmSampledExtremes(queued, horizon, 2n);
    // At the horizon: B − C 86,400,658 ns in 6.18, B − C′ 86,300,076 ns in 7.4-queued (kernel-variants §9.2).
    expect([a.maxBC, b.maxBC]).toEqual([86_400_658n, 86_300_076n]);
  });

  it('any clock state under c-via-guest-tsc: frac 0..63, any ratio, pre-shifts, offsets that wrap, A going backwards, with and without TSC scaling', () => {
    const u64 = fc.oneof(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: 1n << 40n }), fc.constantFrom(0n, 1n, (1n << 63n) - 1n, 1n << 63n, U64));
    const u32 = fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 1, 0x8000_0000, 0xffff_ffff));
    const s8 = fc.oneof(fc.integer({ min: -128, max: 127 }), fc.constantFrom(-64, -63, -2, -1, 0, 1, 2, 63, 64));
    const frac = fc.oneof(fc.integer({ min: 0, max: 63 }), fc.constantFrom(0, 1, 31, 32, 33, 48, 63));
    const arb = fc
      .record({
        m: u64,
        hSpan: fc.oneof(u64, fc.bigInt({ min: 0n, max: 10_000n })),
        n: fc.oneof(fc.bigInt({ min: 0n, max: 100n }), fc.bigInt({ min: 30n, max: 40n })),
        frac,
        ratio: fc.oneof(u64, fc.constant(-1n), fc.bigInt({ min: 1n, max: 1n << 50n })),
        hostKhz: fc.oneof(fc.integer({ min: 1, max: 0xffff_ffff }), fc.constantFrom(1, 1000, 2_500_000)),
        hasTscControl: fc.boolean(),
        profile: fc.constantFrom('7.4-queued', 'clocks-v6', '6.18+c-via-guest-tsc', 'clocks-v6+keep-active-masterclock'),
        l1TscOffset: u64,
        masterKernelNs: u64,
        kvmclockOffset: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        offsBootNs: u64,
        cycleLast: fc.oneof(u64, fc.constant(-1n), fc.constant(-2n)),
        rawSec: u64,
        xtimeNsec: u64,
        mult: u32,
        rawShift: fc.integer({ min: 0, max: 63 }),
        guestScale: fc.record({ mul: u32, shift: s8 }),
      })
      .map((x) => {
        const horizon = x.hSpan > U64 - x.m ? U64 - x.m : x.hSpan;
        const cycleLast = x.cycleLast === -1n ? x.m : x.cycleLast === -2n ? x.m + horizon / 2n : x.cycleLast;
        const ratio = x.ratio === -1n ? 1n << BigInt(x.frac) : x.ratio;
        let hostScale;
        try {
          // C′'s factors are the snapshot's, which the reference's get_kvmclock derives from host_khz and the ratio.
          hostScale = ref.masterTscScale(BigInt(x.hostKhz), ratio, x.frac, x.hasTscControl);
        } catch {
          return undefined; // no frequency at the snapshot: the master clock is off, C′ is not defined
        }
        const state: ClockState = {
          raw: { cycleLast, rawSec: x.rawSec, xtimeNsec: x.xtimeNsec, mult: x.mult, shift: x.rawShift },
          offsBootNs: x.offsBootNs,
          kvmclockOffset: x.kvmclockOffset,
          masterCycleNow: x.m,
          masterKernelNs: x.masterKernelNs,
          l1TscOffset: x.l1TscOffset,
          ratio,
          frac: x.frac,
          guestScale: x.guestScale,
          hostScale,
          kernel: KernelProfile.parse(x.profile),
          hostKhz: BigInt(x.hostKhz),
          hasTscControl: x.hasTscControl,
          masterRatio: ratio,
        };
        return { state, horizon, n: x.n };
      })
      .filter((x) => x !== undefined);
    engines(() =>
      fc.assert(
        fc.property(arb, (x) => {
          if (x === undefined) return;
          expect(wasmSampledExtremes(x.state, x.horizon, x.n)).toEqual(sampledExtremesReference(ref, x.state, x.horizon, x.n));
        }),
        { numRuns: 300 },
      ),
    );
  });

  it('any split of [0, N) into calls gives the same extremes (the C′ carry threshold is set per run, not per call)', () => {
    const { state } = evaluatePoint(api, { index: 0, hostKhz: 2_893_202, guestKhz: 1_700_000, vendor: 'vmx', horizonS: 86_400n }, 250, KernelProfile.parse('clocks-v6'));
    if (state === undefined) throw new Error('no state');
    const horizon = 2_893_202_000n * 86_400n;
    const n = 5003n;
    const want = sampledExtremesReference(ref, state, horizon, n);
    engines(() => expect(wasmSampledExtremes(state, horizon, n)).toEqual(want));
  });

  it('a C′ state whose snapshot ratio is not the vCPU ratio goes to the reference (sampled-kernel), not to the Wasm kernel', () => {
    const { state } = evaluatePoint(api, { index: 0, hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', horizonS: 3_600n }, 250, KernelProfile.parse('7.4-queued'));
    if (state === undefined) throw new Error('no state');
    const stale = { ...state, masterRatio: 1n << 48n, hostScale: ref.masterTscScale(2_500_000n, 1n << 48n, 48, true) };
    const horizon = 2_500_000_000n * 3_600n;
    expect(() => wasmSampledExtremes(stale, horizon, 10n)).toThrow(/snapshot ratio/);
    expect(sampledExtremes('wasm', api, stale, horizon, 10n)).toEqual(sampledExtremesReference(ref, stale, horizon, 10n));
  });
});
