/**
 * Printing straight from a batch's words gives the bytes the object path gives
 * (jsonLine / csvRow of evaluatePoint's points), on random grids, edge frequencies and
 * every profile; the fast reduction of the rate fractions equals rational.ts's reduce.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { KernelProfile } from '../../src/kernel/profile.js';
import { type BatchTextSpec, objectBatchText } from '../../src/sweep/batch-format.js';
import { evaluatePoint } from '../../src/sweep/exact-point.js';
import { CSV_HEADER, csvRow, jsonLine } from '../../src/sweep/format.js';
import { longestReachNs } from '../../src/sweep/grid.js';
import { type ChainGrid, chainGridSize, chainPointAt } from '../../src/sweep/chain-grid.js';
import { computePointBatch } from '../../src/sweep/point-batch.js';
import type { SampledExtremes } from '../../src/sweep/sampled.js';
import { U32_MAX } from '../../src/units.js';
import '../helpers/seed.js';
import { PROFILES } from './profiles.js';

const wasm = kvmclock('wasm');

/** The lines of the object path: evaluatePoint (Wasm API, as the sweep ran before the chain) and format.ts. */
function objectText(grid: ChainGrid, sampled?: (i: number) => SampledExtremes | undefined): { json: string; csv: string } {
  let json = '';
  let csv = '';
  for (let i = 0; i < chainGridSize(grid); i++) {
    const p = chainPointAt(grid, i);
    const point = evaluatePoint(wasm, p, grid.tolerancePpm, KernelProfile.parse(p.kernel)).point;
    const s = sampled?.(i);
    const r = s ? { ...point, sampled: s } : point;
    json += `${jsonLine(r)}\n`;
    csv += `${csvRow(r)}\n`;
  }
  return { json, csv };
}

const decode = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

/** The printed batch (Wasm printer, object path for declined lines) against the object path, from `from` on. */
function printed(grid: ChainGrid, spec: BatchTextSpec, from = 0): string {
  return decode(computePointBatch(grid, from, chainGridSize(grid), { text: spec }).text);
}

function check(grid: ChainGrid): void {
  const want = objectText(grid);
  const got = printed(grid, { format: 'json' });
  // Line by line first, for a readable failure.
  const g = got.split('\n'), w = want.json.split('\n');
  for (let i = 0; i < w.length; i++) expect(g[i], `line ${i}`).toBe(w[i]);
  expect(got).toBe(want.json);
  expect(printed(grid, { format: 'csv' })).toBe(want.csv);
}

describe('JSON lines and CSV rows from the words', () => {
  it('the README example grid, every profile', () => {
    check({ hostKhz: [2_500_000, 3_000_000], guestKhz: [1_000_000, 1_100_000, 2_500_000, 3_500_000], vendors: ['vmx', 'svm'], horizonsS: [3600n, 86_400n, 2_592_000n, 31_536_000n], tolerancePpm: 250, kernels: PROFILES });
  });

  it('random grids, every profile', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: U32_MAX }), { minLength: 1, maxLength: 3 }),
        fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: U32_MAX }), fc.integer({ min: 500_000, max: 5_000_000 })), { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 400 * 86_400 }), { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 0, max: 100_000 }),
        (hosts, guests, horizons, tol) => {
          const reach = longestReachNs(Math.max(...hosts)) / 1_000_000_000n;
          const horizonsS = horizons.map(BigInt).map((h) => (h > reach ? reach : h)).filter((h, i, a) => a.indexOf(h) === i);
          check({ hostKhz: hosts, guestKhz: guests, vendors: ['vmx', 'svm'], horizonsS, tolerancePpm: tol, kernels: PROFILES });
        },
      ),
      { numRuns: 10 },
    );
  });

  it('edges: 1 kHz and u32-max hosts and guests, h near 2^64 (values beyond 2^53), failing points', () => {
    for (const host of [1, 7, 2_500_000, U32_MAX]) {
      const reach = longestReachNs(host) / 1_000_000_000n;
      check({
        hostKhz: [host],
        guestKhz: [1, 2, 1000, 65_536_000, 0x7fff_ffff, U32_MAX],
        vendors: ['vmx', 'svm'],
        horizonsS: [1n, reach].filter((h, i, a) => a.indexOf(h) === i),
        tolerancePpm: 250,
        kernels: PROFILES,
      });
    }
  });

  it('the kernel member and column come after the earlier ones, then the Hyper-V page; a batch that starts mid-grid; the object path with sampled extremes', () => {
    const grid: ChainGrid = { hostKhz: [2_500_000, 1000], guestKhz: [1_000_000, 65_536_000, 2_500_000], vendors: ['vmx', 'svm'], horizonsS: [86_400n, 1n], tolerancePpm: 250, kernels: ['6.18', 'clocks-v6', '7.4-queued+hz-pvclock'] };
    const n = chainGridSize(grid);
    const want = objectText(grid);
    const lines = printed(grid, { format: 'json' }).split('\n');
    const rows = printed(grid, { format: 'csv' }).split('\n');
    const wantLines = want.json.split('\n');
    expect(lines.join('\n')).toBe(want.json);
    expect(rows.join('\n')).toBe(want.csv);
    let failed = 0;
    for (let i = 0; i < n; i++) {
      const kernel = chainPointAt(grid, i).kernel;
      const line = JSON.parse(lines[i]);
      expect(line.kernel).toBe(kernel);
      expect(rows[i].split(',').length).toBe(CSV_HEADER.split(',').length);
      if ('error' in line) {
        // A failed point: no page, empty Hyper-V cells.
        failed++;
        expect(lines[i].endsWith(`,"kernel":"${kernel}"}`)).toBe(true);
        expect(rows[i].endsWith(`,${kernel},,,,,`)).toBe(true);
        continue;
      }
      expect(Object.keys(line).slice(-2)).toEqual(['kernel', 'hvPage']);
      expect(lines[i].endsWith(`,"kernel":"${kernel}","hvPage":${JSON.stringify(line.hvPage)}}`)).toBe(true);
      const hvCells = line.hvPage.valid ? `1,${line.hvPage.scale},` : '0,,,,';
      expect(rows[i].includes(`,${kernel},${hvCells}`)).toBe(true);
    }
    expect(failed).toBeGreaterThan(0);
    for (const from of [1, 7, 13]) expect(printed(grid, { format: 'json' }, from)).toBe(wantLines.slice(from).join('\n'));
    const ex = (k: number) => ({ ns: BigInt(k) - 5n, sample: BigInt(k), atTsc: 10n ** 12n + BigInt(k), atNs: BigInt(k) * 400n });
    const sampled = (i: number): SampledExtremes => ({ samples: 1000n + BigInt(i), bMinusC: { min: ex(1), max: ex(2 + i) }, bMinusA: { min: ex(3), max: ex(2 ** 60 + i) } });
    const withSamples = objectText(grid, sampled);
    const b = computePointBatch(grid, 0, n);
    const list = Array.from({ length: n }, (_, i) => sampled(i));
    expect(decode(objectBatchText(b, grid, { format: 'json' }, list))).toBe(withSamples.json);
    expect(decode(objectBatchText(b, grid, { format: 'csv' }, list))).toBe(withSamples.csv);
  });
});
