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
  it.each([
    [2_500_000, 1_000_000, 'vmx', 86_400n, 1000n],
    [3_000_000, 2_500_000, 'svm', 3_600n, 777n],
    [2_400_000, 2_400_000, 'vmx', 30n * 86_400n, 2n],
    [3_700_000, 1_100_000, 'svm', 86_400n, 1n],
    [1_000, 3_000_000, 'vmx', 100n, 997n], // a 1 MHz host: shift +20 pre-shifts
    [10_000_000, 1_000, 'svm', 3_600n, 500n],
  ] as const)('Wasm kernel ≡ BigInt brute force: %i → %i kHz %s over %i s, %i samples', (hostKhz, guestKhz, vendor, horizonS, n) => {
    const { state } = evaluatePoint(api, { index: 0, hostKhz, guestKhz, vendor, horizonS }, 250);
    expect(state).toBeDefined();
    if (state === undefined) return;
    const horizon = BigInt(hostKhz) * 1000n * horizonS;
    expect(wasmSampledExtremes(state, horizon, n)).toEqual(sampledExtremesReference(ref, state, horizon, n));
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
