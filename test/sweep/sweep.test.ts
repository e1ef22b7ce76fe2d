/**
 * The drift sweep: its JSON values equal the eval protocol's abc / mclock_step for the same
 * arguments, sampled extremes equal a BigInt brute force, shards concatenate into one run,
 * output is independent of the worker count, and bad grids are refused before any work.
 */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { evalLine } from '../../src/protocol/eval-line.js';
import { evaluatePoint } from '../../src/sweep/exact-point.js';
import { jsonLine, pointJson, type SweepResult } from '../../src/sweep/format.js';
import { type Grid, gridSize, parseHorizons, parseKhzList, parseShard, parseVendors, pointAt, shardRange } from '../../src/sweep/grid.js';
import { runSweep, type SweepOptions } from '../../src/sweep/run.js';
import { sampledExtremesReference } from '../../src/sweep/sampled.js';
import { wasmSampledExtremes } from '../../src/wasm/extremes.js';
import { SVM_MAX_RATIO, VMX_MAX_RATIO } from '../../src/units.js';

const api = kvmclock('wasm');
const ref = kvmclock('reference');

const small: Grid = {
  hostKhz: parseKhzList('2400000,2500000,3000000,3700000', 'host'),
  guestKhz: parseKhzList('1000000:3500000:500000,2500100', 'guest'),
  vendors: parseVendors('vmx,svm'),
  horizonsS: parseHorizons('1h,1d,30d'),
  tolerancePpm: 250,
};

async function collect(o: SweepOptions): Promise<SweepResult[]> {
  const out: SweepResult[] = [];
  for await (const r of runSweep(o)) out.push(r);
  return out;
}

const abcArgs = (hostKhz: number, guestKhz: number, vendor: string, horizonS: bigint) => {
  const [frac, max] = vendor === 'vmx' ? [48, VMX_MAX_RATIO] : [32, SVM_MAX_RATIO];
  const m = 10n ** 12n;
  return `${hostKhz} ${guestKhz} ${frac} ${max} 1 250 ${m} 0 0 0 0 ${m} 0 ${m + BigInt(hostKhz) * 1000n * horizonS}`;
};

describe('sweep points', () => {
  it('the issue’s example point: 2.5 GHz → 1.0 GHz VMX after one day', () => {
    const j = pointJson(evaluatePoint(api, { index: 0, hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', horizonS: 86_400n }, 250).point);
    expect(j).toMatchObject({
      hostKhz: 2500000,
      guestKhz: 1000000,
      vendor: 'vmx',
      horizonS: 86400,
      scaled: true,
      ratio: '112589990684262',
      tgtKhz: 999999,
      A: '86399994850158',
      B: '86400086380541',
      C: '86399999979883',
      bMinusANs: '91530383',
      cMinusANs: '5129725',
      bMinusCNs: '86400658',
      resnapshotStepNs: '-91530383',
    });
    // Exact (X/Y − 1)·10^9, rounded to 0.001 (the spec's table shows B − A as the sum of rounded parts, 1059.380).
    expect(j.ratePpb).toEqual({ bMinusA: 1059.379, cMinusA: 59.372, bMinusC: 1000.008 });
  });

  it('every point’s A, B, C and re-snapshot step equal abc and mclock_step for the same arguments', async () => {
    const results = await collect({ grid: small, samples: 0n, workers: 1, backend: 'wasm' });
    expect(results.length).toBe(gridSize(small));
    for (const r of results) {
      const j = pointJson(r);
      const args = abcArgs(r.hostKhz, r.guestKhz, r.vendor, r.horizonS);
      const abc = evalLine(ref, `abc ${args}`).split(' ');
      const step = evalLine(ref, `mclock_step ${args}`).split(' ');
      expect([j.ratio, String(j.tgtKhz), j.A, j.B, j.C], args).toEqual([abc[2], abc[3], abc[12], abc[13], abc[14]]);
      expect([j.resnapshotStepNs, j.continuousKvmclockOffset]).toEqual(step);
    }
  });

  it('results are the same whatever the worker count, and in index order', async () => {
    const one = (await collect({ grid: small, samples: 64n, workers: 1, backend: 'wasm', pointsPerJob: 7 })).map(jsonLine);
    const two = (await collect({ grid: small, samples: 64n, workers: 2, backend: 'wasm', pointsPerJob: 5 })).map(jsonLine);
    expect(two).toEqual(one);
    expect(one.map((l) => JSON.parse(l).index)).toEqual([...one.keys()]);
  });

  it('shards i/n concatenate into the output of one run', async () => {
    const whole = (await collect({ grid: small, samples: 0n, workers: 1, backend: 'wasm' })).map(jsonLine);
    for (const n of [1, 3, 7]) {
      const parts: string[] = [];
      for (let i = 1; i <= n; i++) parts.push(...(await collect({ grid: small, samples: 0n, workers: 1, backend: 'wasm', shard: { index: i, count: n } })).map(jsonLine));
      expect(parts).toEqual(whole);
    }
    const total = gridSize(small);
    expect(shardRange(total, parseShard('1/3')).from).toBe(0);
    expect(shardRange(total, parseShard('3/3')).to).toBe(total);
  });
});

describe('sampled extremes', () => {
  // The kernel runs on the SIMD build (two samples per v128 step) when the engine has it,
  // else on the scalar build; both must equal the BigInt brute force. `engines` runs a
  // check on each (setWasmBatchEngine picks the module, restored afterwards).
  const instance = () => import('../../src/wasm/instance.js');
  const engines = async (check: () => void): Promise<void> => {
    const { setWasmBatchEngine, wasmBatchEngine } = await instance();
    expect(wasmBatchEngine().simd).toBe(true); // Node has Wasm SIMD: the vector path is the one under test
    try {
      for (const engine of ['auto', 'scalar'] as const) {
        setWasmBatchEngine(engine);
        check();
      }
    } finally {
      setWasmBatchEngine('auto');
    }
  };
  const U64 = (1n << 64n) - 1n;
  const lo64 = (x: bigint): bigint => BigInt.asUintN(64, x);

  it.each([
    [2_500_000, 1_000_000, 'vmx', 86_400n, 1000n],
    [3_000_000, 2_500_000, 'svm', 3_600n, 777n],
    [2_400_000, 2_400_000, 'vmx', 30n * 86_400n, 2n],
    [3_700_000, 1_100_000, 'svm', 86_400n, 1n],
    [1_000, 3_000_000, 'vmx', 100n, 997n], // a 1 MHz host: shift +20 pre-shifts
    [10_000_000, 1_000, 'svm', 3_600n, 500n],
    [5_000_000, 3_500_000, 'vmx', 86_400n, 333n], // host shift −2
    [1_000_000, 3_000_000, 'vmx', 86_400n, 301n], // host shift +1 (a 1 GHz host)
    [600_000, 600_000, 'svm', 86_400n, 64n], // unscaled, shift +1 both sides
    [3_000_000, 1_500_000, 'vmx', 86_400n, 65n], // guest shift 0
    [2_500_000, 2_500_100, 'vmx', 1n, 4097n], // within tolerance: B = C; steps of 610 cycles
    [2_500_000, 1_000_000, 'svm', 1n, 3001n], // steps of 833 or 834 cycles
  ] as const)('Wasm kernel ≡ BigInt brute force: %i → %i kHz %s over %i s, %i samples', async (hostKhz, guestKhz, vendor, horizonS, n) => {
    const { state } = evaluatePoint(api, { index: 0, hostKhz, guestKhz, vendor, horizonS }, 250);
    expect(state).toBeDefined();
    if (state === undefined) return;
    const horizon = BigInt(hostKhz) * 1000n * horizonS;
    await engines(() => expect(wasmSampledExtremes(state, horizon, n)).toEqual(sampledExtremesReference(ref, state, horizon, n)));
  });

  it('sample counts around the vector path’s thresholds (16 pairs, odd tails), and 0 samples', async () => {
    const { state } = evaluatePoint(api, { index: 0, hostKhz: 3_000_000, guestKhz: 2_500_000, vendor: 'svm', horizonS: 60n }, 250);
    if (state === undefined) throw new Error('no state');
    for (const horizon of [180_000_000_000n, 31n, 32n, 33n, 1n, 0n]) {
      for (const n of [0n, 1n, 2n, 3n, 30n, 31n, 32n, 33n, 34n, 35n, 36n, 63n, 64n, 65n, 66n]) {
        await engines(() => expect(wasmSampledExtremes(state, horizon, n), `H ${horizon}, n ${n}`).toEqual(sampledExtremesReference(ref, state, horizon, n)));
      }
    }
  });

  it('any clock state: every pre-shift (±63, ±64, −128..127), frac 0..63, offsets and sums that wrap, A going backwards', async () => {
    const { default: fc } = await import('fast-check');
    const u64 = fc.oneof(
      fc.bigInt({ min: 0n, max: U64 }),
      fc.bigInt({ min: 0n, max: 1n << 40n }),
      fc.constantFrom(0n, 1n, (1n << 63n) - 1n, 1n << 63n, U64),
    );
    const u32 = fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 1, 0x8000_0000, 0xffff_ffff));
    const s8 = fc.oneof(fc.integer({ min: -128, max: 127 }), fc.constantFrom(-128, -64, -63, -62, -33, -32, -2, -1, 0, 1, 2, 31, 32, 63, 64, 127));
    const frac = fc.oneof(fc.integer({ min: 0, max: 63 }), fc.constantFrom(0, 1, 31, 32, 33, 48, 63));
    const scale = fc.record({ mul: u32, shift: s8 });
    const arb = fc
      .record({
        m: u64,
        hSpan: fc.oneof(u64, fc.bigInt({ min: 0n, max: 10_000n })),
        n: fc.oneof(fc.bigInt({ min: 0n, max: 100n }), fc.bigInt({ min: 30n, max: 40n })),
        frac,
        ratio: fc.oneof(u64, fc.constant(-1n)), // −1: the identity ratio 2^frac
        l1TscOffset: u64,
        masterKernelNs: u64,
        kvmclockOffset: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        offsBootNs: u64,
        cycleLast: fc.oneof(u64, fc.constant(-1n), fc.constant(-2n)), // −1: M, −2: M + H/2 (A's running form breaks mid-range)
        rawSec: u64,
        xtimeNsec: u64,
        mult: u32,
        rawShift: fc.integer({ min: 0, max: 63 }),
        guestScale: scale,
        hostScale: scale,
      })
      .map((x) => {
        const horizon = x.hSpan > U64 - x.m ? U64 - x.m : x.hSpan; // M + H stays a u64 (a host TSC)
        const cycleLast = x.cycleLast === -1n ? x.m : x.cycleLast === -2n ? x.m + horizon / 2n : x.cycleLast;
        const state: Parameters<typeof wasmSampledExtremes>[0] = {
          raw: { cycleLast, rawSec: x.rawSec, xtimeNsec: x.xtimeNsec, mult: x.mult, shift: x.rawShift },
          offsBootNs: x.offsBootNs,
          kvmclockOffset: x.kvmclockOffset,
          masterCycleNow: x.m,
          masterKernelNs: x.masterKernelNs,
          l1TscOffset: x.l1TscOffset,
          ratio: x.ratio === -1n ? 1n << BigInt(x.frac) : x.ratio,
          frac: x.frac,
          guestScale: x.guestScale,
          hostScale: x.hostScale,
        };
        return { state, horizon, n: x.n };
      });
    await engines(() =>
      fc.assert(
        fc.property(arb, ({ state, horizon, n }) => {
          expect(wasmSampledExtremes(state, horizon, n)).toEqual(sampledExtremesReference(ref, state, horizon, n));
        }),
        { numRuns: 500 },
      ),
    );
  });

  it('windows far into a huge N (indices past 2^32, i·r past 2^64) in any split equal a windowed brute force, on both modules', async () => {
    const { clockA, clockB, clockC } = await import('../../src/model/definitions.js');
    const { sampleInstant } = await import('../../src/sweep/sampled.js');
    const { wasmExports, probeSimd } = await instance();
    const simd = probeSimd().exports;
    if (simd === undefined) throw new Error('no SIMD module');
    const { state } = evaluatePoint(api, { index: 0, hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', horizonS: 3_000_000n }, 250);
    if (state === undefined) throw new Error('no state');
    const horizon = 2_500_000_000n * 3_000_000n + 12_345n; // ≈ 2^62.7 cycles
    const run = (w: typeof simd, n: bigint, ranges: [bigint, bigint][]) => {
      const s = state;
      const ts = lo64(s.l1TscOffset + ((s.masterCycleNow * s.ratio) >> BigInt(s.frac)));
      w.extremesInstants(s.masterCycleNow, horizon, n);
      w.extremesGuest(s.l1TscOffset, s.ratio, s.frac, ts, lo64(s.masterKernelNs + s.kvmclockOffset), s.guestScale.mul, s.guestScale.shift);
      w.extremesHost(s.hostScale.mul, s.hostScale.shift, s.raw.cycleLast, s.raw.xtimeNsec, s.raw.mult, s.raw.shift, lo64(s.raw.rawSec * 1_000_000_000n + s.offsBootNs + s.kvmclockOffset));
      for (const [a, b] of ranges) w.extremesRun(a, b);
      return [w.minBC, w.maxBC, w.minBA, w.maxBA].map((g) => BigInt.asIntN(64, g.value)).concat([w.minBCAt, w.maxBCAt, w.minBAAt, w.maxBAAt].map((g) => lo64(g.value)));
    };
    const reference = (n: bigint, a: bigint, b: bigint) => {
      let lBC = 0n, uBC = 0n, lBA = 0n, uBA = 0n, lBCi = 0n, uBCi = 0n, lBAi = 0n, uBAi = 0n;
      for (let i = a; i < b; i++) {
        const h = sampleInstant(state.masterCycleNow, horizon, n, i);
        const bv = clockB(ref, state, h);
        const bc = BigInt.asIntN(64, bv - clockC(ref, state, h));
        const ba = BigInt.asIntN(64, bv - clockA(ref, state, h));
        if (i === a || bc < lBC) [lBC, lBCi] = [bc, i];
        if (i === a || bc > uBC) [uBC, uBCi] = [bc, i];
        if (i === a || ba < lBA) [lBA, lBAi] = [ba, i];
        if (i === a || ba > uBA) [uBA, uBAi] = [ba, i];
      }
      return [lBC, uBC, lBA, uBA, lBCi, uBCi, lBAi, uBAi];
    };
    for (const [n, a] of [
      [(1n << 41n) + 77n, (1n << 33n) + 5n],
      [(1n << 41n) + 77n, (1n << 40n) + 1n],
      [(1n << 41n) + 77n, (1n << 41n) + 77n - 2001n],
      [(1n << 63n) + 12_345n, (1n << 62n) + 3n], // N − 1 above 2^63: steps of 0 or 1 cycle
      [U64 - 1000n, (1n << 63n) + 1n],
    ]) {
      const b = a + 2001n;
      const want = reference(n, a, b);
      for (const w of [simd, wasmExports()]) {
        expect(run(w, n, [[a, b]]), `[${a}, ${b}) of ${n}`).toEqual(want);
        expect(run(w, n, [[a, a + 1n], [a + 1n, a + 38n], [a + 38n, a + 39n], [a + 39n, b - 33n], [b - 33n, b]])).toEqual(want);
      }
    }
  });

  it('steps whose (q + 1)·ratio or (q + 1)·mult carries out of the low 64 bits', async () => {
    // q = 2^32 + 1 cycles and ratio = mult = 2^32 − 1: q·k = 2^64 − 1, so adding k carries.
    const { state } = evaluatePoint(api, { index: 0, hostKhz: 2_500_000, guestKhz: 1_000_000, vendor: 'vmx', horizonS: 1n }, 250);
    if (state === undefined) throw new Error('no state');
    for (const n of [41n, 42n, 9n]) {
      const horizon = ((1n << 32n) + 1n) * (n - 1n) + (n - 1n) / 2n;
      for (const [frac, shift] of [[1, 1], [32, 24], [48, 63], [63, 33]]) {
        const s = { ...state, ratio: 0xffff_ffffn, frac, raw: { ...state.raw, mult: 0xffff_ffff, shift } };
        await engines(() => expect(wasmSampledExtremes(s, horizon, n), `frac ${frac}, shift ${shift}, n ${n}`).toEqual(sampledExtremesReference(ref, s, horizon, n)));
      }
    }
  });

  it('the last sample is the horizon itself, so the sampled B − A extremes bracket the exact value', async () => {
    const [r] = await collect({ grid: { ...small, hostKhz: [2_500_000], guestKhz: [1_000_000], vendors: ['vmx'], horizonsS: [86_400n] }, samples: 10_001n, workers: 1, backend: 'wasm' });
    const j = pointJson(r) as { bMinusANs: string; sampled: { bMinusA: { max: { ns: string; sample: string } }; bMinusC: { min: { ns: string } } } };
    expect(j.sampled.bMinusA.max.ns).toBe(j.bMinusANs); // the divergence grows: its maximum is at the horizon
    expect(j.sampled.bMinusA.max.sample).toBe('10000');
    expect(j.sampled.bMinusC.min.ns).toBe('0'); // at the reference all three agree
  });
});

describe('bad grids are refused before any work starts', () => {
  it.each([
    [() => parseKhzList('', '--host-khz'), '--host-khz'],
    [() => parseKhzList('1000:2000:0', '--host-khz'), 'step of 0'],
    [() => parseKhzList('2000:1000:10', '--guest-khz'), 'empty'],
    [() => parseKhzList('0', '--host-khz'), '0 kHz'],
    [() => parseKhzList('4294967296', '--host-khz'), 'u32'],
    [() => parseKhzList('2.5GHz', '--host-khz'), '--host-khz'],
    [() => parseVendors('vmx,arm', '--vendor'), 'arm'],
    [() => parseHorizons('1d,soon', '--horizon'), '--horizon[1]'],
    [() => parseHorizons('1.5ms', '--horizon'), 'whole number of seconds'],
    [() => parseShard('3/2'), 'shard'],
    [() => parseShard('0/2'), 'shard'],
    [() => parseShard('1-2'), 'shard'],
  ] as const)('case %# is refused with a message containing the right words', (fn, text) => {
    expect(fn).toThrow(expect.objectContaining({ message: expect.stringContaining(text) }));
  });

  it('sample counts and worker counts out of range', async () => {
    await expect(collect({ grid: small, samples: -1n, workers: 1, backend: 'wasm' })).rejects.toThrow(/samples/);
    await expect(collect({ grid: small, samples: 0n, workers: 0, backend: 'wasm' })).rejects.toThrow(/workers/);
  });

  it('points are produced by index without holding the grid', () => {
    const g: Grid = { ...small, hostKhz: parseKhzList('1:3:1', 'h') };
    expect(pointAt(g, gridSize(g) - 1)).toMatchObject({ hostKhz: 3, horizonS: 30n * 86_400n });
  });
});
