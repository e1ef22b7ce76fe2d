/**
 * The sweep's `hvPage` member and Hyper-V columns: the Hyper-V reference TSC page KVM
 * derives from each point's record and the drift of the reference time H a Windows guest
 * reads from it. Known answers from guest-clock-abis §1.4–1.5 through every path that
 * produces a point (evaluatePoint on both backends, the Wasm chain's words, the Wasm
 * printer, the object printer); validity around 10 MHz; the Wasm printer against the
 * object path on grids of guests near 10 MHz under every profile, printing those lines
 * itself rather than handing them over.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { KernelProfile } from '../../src/kernel/profile.js';
import { formatDecimal, type Ratio, reduce } from '../../src/rational.js';
import { objectLine } from '../../src/sweep/batch-format.js';
import { batchPoint } from '../../src/sweep/batch-point.js';
import { type ChainGrid, chainGridSize, chainPointAt } from '../../src/sweep/chain-grid.js';
import { evaluatePoint, type ExactPoint, isFailedPoint } from '../../src/sweep/exact-point.js';
import { CSV_HEADER, csvRow, jsonLine } from '../../src/sweep/format.js';
import type { GridPoint } from '../../src/sweep/grid.js';
import { computePointBatch } from '../../src/sweep/point-batch.js';
import { U32_MAX } from '../../src/units.js';
import { wasmExports } from '../../src/wasm/instance.js';
import { CHAIN_OUT_WORDS, ChainWord, chainHvCode, HvPageCode } from '../../src/wasm/points.js';
import '../helpers/seed.js';
import { PROFILES } from './profiles.js';

const ref = kvmclock('reference');
const wasm = kvmclock('wasm');
const decode = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);
const frac = (r: Ratio): string => {
  const x = reduce(r);
  return `${x.num}/${x.den}`;
};
const TWO_61 = 1n << 61n;

/** A one-point grid. */
const one = (hostKhz: number, guestKhz: number, kernel = '6.18', vendor: 'vmx' | 'svm' = 'vmx'): ChainGrid => ({
  hostKhz: [hostKhz],
  guestKhz: [guestKhz],
  vendors: [vendor],
  horizonsS: [86_400n],
  tolerancePpm: 250,
  kernels: [kernel],
});

/**
 * The point through every path: evaluatePoint on the reference and on the Wasm backend,
 * the Wasm chain's words read back, and its JSON line and CSV row from the Wasm printer and
 * from format.ts. All must agree; returns the reference point and the printed line and row.
 */
function everyPath(grid: ChainGrid): { point: ExactPoint; json: Record<string, any>; line: string; row: string } {
  expect(chainGridSize(grid)).toBe(1);
  const p = chainPointAt(grid, 0);
  const kernel = KernelProfile.parse(p.kernel);
  const want = evaluatePoint(ref, p, grid.tolerancePpm, kernel).point;
  expect(isFailedPoint(want)).toBe(false);
  expect(evaluatePoint(wasm, p, grid.tolerancePpm, kernel).point).toEqual(want);
  expect(batchPoint(computePointBatch(grid, 0, 1), grid, 0).point).toEqual(want);
  const line = decode(computePointBatch(grid, 0, 1, { text: { format: 'json' } }).text);
  const row = decode(computePointBatch(grid, 0, 1, { text: { format: 'csv' } }).text);
  expect(line).toBe(objectLine(want, { format: 'json' }));
  expect(row).toBe(objectLine(want, { format: 'csv' }));
  return { point: want as ExactPoint, json: JSON.parse(line), line, row };
}

describe('known answers (guest-clock-abis §1.5: 2.5 GHz host, VMX)', () => {
  // tsc_scale; H against the nominal guest TSC as a rate ratio − 1 (num/2^k) and in ppb to 6 decimals; H against B as a
  // rate ratio − 1; H against A in ppb to 6 decimals; the two as the JSON line prints them (0.001 ppb).
  const table = [
    { guest: 1_000_000, scale: 184_467_625_162_991_206n, nominal: { num: 2_305_323_696_123n, den: TWO_61 }, nominalPpb: '999.774784', vsB: { num: -1n, den: 461_169_062_907_478_016n }, vsAPpb: '1059.379488', printed: [999.775, 1059.379] },
    { guest: 2_000_000, scale: 92_233_766_453_546_844n, nominal: { num: 288_031_244_287n, den: 1n << 59n }, nominalPpb: '499.654561', vsB: { num: -1n, den: 576_461_040_334_667_776n }, vsAPpb: '559.259236', printed: [499.655, 559.259] },
    { guest: 2_500_000, scale: 73_786_976_277_658_337n, nominal: { num: -2_147_483_683n, den: 1n << 63n }, nominalPpb: '-0.232831', vsB: { num: -7n, den: 1_844_674_406_941_458_432n }, vsAPpb: '59.371818', printed: [-0.233, 59.372] },
  ];
  const ppbOfRatio = (r: Ratio): Ratio => ({ num: r.num * 1_000_000_000n, den: r.den });

  it.each(table)('$guest kHz guest: tsc_scale, and H against B, the nominal TSC and A', (t) => {
    const { point, json, line, row } = everyPath(one(2_500_000, t.guest));
    const page = point.hvPage;
    if (!page.valid) throw new Error(`page invalid: ${page.reason}`);
    expect(page.scale).toBe(t.scale);
    expect(frac(page.ratePpb.vsNominal)).toBe(frac(ppbOfRatio(t.nominal)));
    expect(formatDecimal(page.ratePpb.vsNominal, 6)).toBe(t.nominalPpb);
    expect(frac(page.ratePpb.vsB)).toBe(frac(ppbOfRatio(t.vsB)));
    expect(formatDecimal(page.ratePpb.vsA, 6)).toBe(t.vsAPpb);
    // The printed member: decimals rounded to 0.001 (JSON numbers), fractions in lowest terms.
    expect(json.hvPage).toEqual({
      valid: true,
      scale: t.scale.toString(),
      ratePpb: { vsB: 0, vsNominal: Number(formatDecimal(page.ratePpb.vsNominal, 3)), vsA: Number(formatDecimal(page.ratePpb.vsA, 3)) },
      ratePpbExact: { vsB: frac(ppbOfRatio(t.vsB)), vsNominal: frac(ppbOfRatio(t.nominal)), vsA: frac(page.ratePpb.vsA) },
    });
    expect([json.hvPage.ratePpb.vsNominal, json.hvPage.ratePpb.vsA]).toEqual(t.printed);
    // The member comes after kernel, last; the CSV cells after the kernel column, last.
    expect(line.endsWith(`,"kernel":"6.18","hvPage":${JSON.stringify(json.hvPage)}}\n`)).toBe(true);
    expect(row.endsWith(`,6.18,1,${t.scale},0.000,${formatDecimal(page.ratePpb.vsNominal, 3)},${formatDecimal(page.ratePpb.vsA, 3)}\n`)).toBe(true);
  });

  it('the 1 GHz guest prints the numbers of the issue', () => {
    const { json } = everyPath(one(2_500_000, 1_000_000));
    expect(json.hvPage.ratePpb).toEqual({ vsB: 0, vsNominal: 999.775, vsA: 1059.379 });
    // H against A equals B against A to 0.001 ppb here (H tracks B to 10^-9 ppb).
    expect(json.hvPage.ratePpb.vsA).toBe(json.ratePpb.bMinusA);
  });
});

describe('validity: a guest TSC faster than 10 MHz (§1.4)', () => {
  it('an unscaled 10,000 kHz guest: invalid for its mul (one tick is exactly 100 ns); 10,001 kHz: valid', () => {
    const at10 = everyPath(one(10_000, 10_000));
    expect(at10.point.scaling).toBe('within-tolerance');
    expect(at10.point.guestScale).toEqual({ shift: 7, mul: 3_355_443_200 });
    expect(at10.point.hvPage).toEqual({ valid: false, reason: 'mul' });
    expect(at10.json.hvPage).toEqual({ valid: false, reason: 'mul' });
    expect(at10.line.endsWith(',"kernel":"6.18","hvPage":{"valid":false,"reason":"mul"}}\n')).toBe(true);
    expect(at10.row.endsWith(',6.18,0,,,,\n')).toBe(true);

    const above = everyPath(one(10_001, 10_001));
    expect(above.point.guestScale).toEqual({ shift: 7, mul: 3_355_107_689 });
    expect(above.json.hvPage.valid).toBe(true);
    expect(above.json.hvPage.scale).toBe('18444899582480817848');
  });

  it('validity follows the record: a 10,001 kHz guest scaled from 2.5 GHz gets tgt_tsc_khz 10,000 and no page, unless the record comes from its Hz (hz-pvclock)', () => {
    const scaled = everyPath(one(2_500_000, 10_001));
    expect(scaled.point.tgtKhz).toBe(10_000n);
    expect(scaled.json.hvPage).toEqual({ valid: false, reason: 'mul' });
    const hz = everyPath(one(2_500_000, 10_001, '6.18+hz-pvclock'));
    expect(hz.json.hvPage.valid).toBe(true);
  });

  it('without hz-pvclock the page is refused exactly when tgt_tsc_khz ≤ 10,000, with the chain’s code and scale words matching the page API', () => {
    const guests = [1, 2, 9_999, 10_000, 10_001, 10_002, 12_345, 20_000, 100_000];
    const grid: ChainGrid = { hostKhz: [9_999, 10_000, 10_001, 2_500_000, 3_000_000], guestKhz: guests, vendors: ['vmx', 'svm'], horizonsS: [86_400n], tolerancePpm: 250, kernels: PROFILES };
    const n = chainGridSize(grid);
    const b = computePointBatch(grid, 0, n);
    let invalid = 0;
    for (let i = 0; i < n; i++) {
      const { point } = batchPoint(b, grid, i);
      if (isFailedPoint(point)) continue;
      const words = b.words.subarray(i * CHAIN_OUT_WORDS, (i + 1) * CHAIN_OUT_WORDS);
      const code = chainHvCode(words[ChainWord.status]);
      // The page API on the same record (TSC_STABLE) gives the same outcome.
      let api: { scale: bigint } | 'mul';
      try {
        api = ref.hvTscPage(point.guestScale.mul, point.guestScale.shift, words[ChainWord.tscTimestamp], words[ChainWord.systemTime], 1);
      } catch (e) {
        expect((e as { reason?: string }).reason).toBe('mul');
        api = 'mul';
      }
      if (api === 'mul') {
        expect(code).toBe(HvPageCode.mul);
        expect(point.hvPage).toEqual({ valid: false, reason: 'mul' });
        invalid++;
      } else {
        expect(code).toBe(HvPageCode.valid);
        expect(words[ChainWord.hvScale]).toBe(api.scale);
        expect(point.hvPage).toMatchObject({ valid: true, scale: api.scale });
      }
      if (!KernelProfile.parse(point.kernel ?? '6.18').has('hz-pvclock')) expect(point.hvPage.valid, JSON.stringify(point.guestScale)).toBe(point.tgtKhz > 10_000n);
    }
    expect(invalid).toBeGreaterThan(50);
  });

  it('a failed point has no hvPage member and empty Hyper-V cells', () => {
    const grid = one(1000, 65_536_000);
    const { point } = batchPoint(computePointBatch(grid, 0, 1), grid, 0);
    expect(isFailedPoint(point)).toBe(true);
    expect(JSON.parse(jsonLine(point))).not.toHaveProperty('hvPage');
    const cells = csvRow(point).split(',');
    expect(cells.length).toBe(CSV_HEADER.split(',').length);
    expect(cells.slice(-6)).toEqual(['6.18', '', '', '', '', '']);
    expect(CSV_HEADER.split(',').slice(-6)).toEqual(['kernel', 'hvPageValid', 'hvScale', 'hvRatePpbVsB', 'hvRatePpbVsNominal', 'hvRatePpbVsA']);
  });
});

/** Lines of grid points [from, from + n) (n ≤ 256) the Wasm printer declines, as offsets. */
function declined(grid: ChainGrid, from: number, n: number, format: 'json' | 'csv'): number[] {
  computePointBatch(grid, from, from + n, { text: { format } }); // leaves the chain's buffers and the string table set
  const w = wasmExports();
  w.pointsText(0, n, BigInt(from), format === 'csv' ? 1 : 0, 1);
  const ends = new Uint32Array(w.memory.buffer, w.textEnds(), n);
  const mark = w.TEXT_DECLINED.value >>> 0;
  return [...ends.keys()].filter((j) => (ends[j] & mark) !== 0);
}

/** The printed grid (Wasm printer) against format.ts on evaluatePoint's points, JSON and CSV. */
function sameBytes(grid: ChainGrid): void {
  let json = '';
  let csv = '';
  for (let i = 0; i < chainGridSize(grid); i++) {
    const p = chainPointAt(grid, i);
    const point = evaluatePoint(wasm, p as GridPoint, grid.tolerancePpm, KernelProfile.parse(p.kernel)).point;
    json += `${jsonLine(point)}\n`;
    csv += `${csvRow(point)}\n`;
  }
  const n = chainGridSize(grid);
  const got = decode(computePointBatch(grid, 0, n, { text: { format: 'json' } }).text);
  const g = got.split('\n'), w = json.split('\n');
  for (let i = 0; i < w.length; i++) expect(g[i], `line ${i}`).toBe(w[i]);
  expect(decode(computePointBatch(grid, 0, n, { text: { format: 'csv' } }).text)).toBe(csv);
}

describe('the Wasm printer against the object path around 10 MHz, every profile', () => {
  it('guests and hosts near 10 MHz: same bytes, and the Wasm printer prints every line itself', () => {
    const grid: ChainGrid = { hostKhz: [10_000, 10_001, 2_500_000], guestKhz: [9_999, 10_000, 10_001, 10_050, 1_000_000], vendors: ['vmx', 'svm'], horizonsS: [86_400n], tolerancePpm: 250, kernels: PROFILES };
    sameBytes(grid);
    const n = chainGridSize(grid);
    for (let from = 0; from < n; from += 256) {
      const m = Math.min(256, n - from);
      expect(declined(grid, from, m, 'json')).toEqual([]);
      expect(declined(grid, from, m, 'csv')).toEqual([]);
    }
  });

  it('random grids with guests near 10 MHz, every profile', () => {
    const near10 = fc.integer({ min: 9_000, max: 11_000 });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.oneof(near10, fc.integer({ min: 1, max: U32_MAX }), fc.integer({ min: 500_000, max: 5_000_000 })), { minLength: 1, maxLength: 2 }),
        fc.uniqueArray(fc.oneof(near10, fc.integer({ min: 1, max: U32_MAX }), fc.integer({ min: 500_000, max: 5_000_000 })), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 30 * 86_400 }),
        fc.integer({ min: 0, max: 100_000 }),
        (hosts, guests, horizon, tol) => {
          sameBytes({ hostKhz: hosts, guestKhz: guests, vendors: ['vmx', 'svm'], horizonsS: [BigInt(horizon)], tolerancePpm: tol, kernels: PROFILES });
        },
      ),
      { numRuns: 15 },
    );
  });
});
