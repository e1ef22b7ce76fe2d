/**
 * The Wasm point chain (assembly/points.ts) against the BigInt chain that defines it: every
 * kernel-validated `abc`, `abc_k` and `mclock_step_k` vector; random grids and edge
 * frequencies under every profile, point by point against evaluatePoint on the reference
 * backend (values, scaling facts, exact rate fractions, the Hyper-V page, failures with their
 * wording).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { KernelProfile } from '../../src/kernel/profile.js';
import { abc, resnapshotStep } from '../../src/model/definitions.js';
import { STANDARD_M } from '../../src/model/standard.js';
import { tscCaps } from '../../src/model/vendor.js';
import { batchPoint } from '../../src/sweep/batch-point.js';
import { evaluatePoint } from '../../src/sweep/exact-point.js';
import { worstDrift } from '../../src/sweep/format.js';
import { longestReachNs } from '../../src/sweep/grid.js';
import { type ChainGrid, chainGridSize, chainPointAt } from '../../src/sweep/chain-grid.js';
import { computePointBatch } from '../../src/sweep/point-batch.js';
import { U32_MAX } from '../../src/units.js';
import { CHAIN_OUT_WORDS, ChainWord, chainHvCode, chainPoint, HvPageCode } from '../../src/wasm/points.js';
import { hvPageOf } from '../../src/model/guest-clocks.js';
import { FIXTURES_DIR } from '../helpers/vectors.js';
import '../helpers/seed.js';
import { PROFILES } from './profiles.js';

const ref = kvmclock('reference');
const wasm = kvmclock('wasm');


interface RawVector {
  fn: string;
  in: Record<string, string>;
  out: Record<string, string>;
}

const vectors = (file: string): RawVector[] =>
  readFileSync(`${FIXTURES_DIR}${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RawVector);

const u64 = (s: string): bigint => BigInt.asUintN(64, BigInt(s));
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const s64v = s64;
const lo32 = (x: bigint): number => Number(x & 0xffff_ffffn);
const hi32s = (x: bigint): number => Number(BigInt.asIntN(32, x >> 32n));

function runVector(v: RawVector): readonly bigint[] {
  const x = v.in;
  return chainPoint(
    { c0: u64(x.c0), rawSec: u64(x.raw_sec), xtimeNsec: u64(x.xtime_nsec), offsBoot: u64(x.offs_boot), kvmclockOffset: u64(x.kvmclock_offset), masterCycleNow: u64(x.M), l1Offset: u64(x.l1_offset), tolPpm: Number(x.tol_ppm) },
    { hostKhz: Number(x.host_khz), userKhz: Number(x.user_khz), frac: Number(x.frac), maxRatio: u64(x.max_ratio), hasControl: x.has_control === '1', kernel: KernelProfile.parse(x.profile ?? '6.18'), h: u64(x.h) },
  );
}

describe('the Wasm point chain against the kernel-validated vectors', () => {
  const all = [...vectors('abc.jsonl'), ...vectors('variants_abc_k.jsonl')];
  it('has vectors of every kind to check', () => {
    expect(all.filter((v) => v.fn === 'abc').length).toBeGreaterThan(300);
    expect(all.filter((v) => v.fn === 'abc_k').length).toBeGreaterThan(300);
    expect(all.filter((v) => v.fn === 'mclock_step_k').length).toBeGreaterThan(50);
  });

  it('gives every abc / abc_k output field, and mclock_step_k, bit for bit; a vector error is a status, not a trap', () => {
    let checked = 0;
    for (const v of all) {
      const w = runVector(v);
      const status = lo32(w[ChainWord.status]);
      const where = `${v.fn} ${JSON.stringify(v.in)}`;
      if ('error' in v.out) {
        expect(status, where).not.toBe(0);
        continue;
      }
      expect(status, where).toBe(0);
      if (v.fn === 'mclock_step_k') {
        expect([s64(w[ChainWord.step]), s64(w[ChainWord.continuousOffset])], where).toEqual([BigInt(v.out.step), BigInt(v.out.kvmclock_offset)]);
      } else {
        const o = v.out;
        const got = {
          mult: lo32(w[ChainWord.clocksource]), shift: hi32s(w[ChainWord.clocksource]), ratio: w[ChainWord.ratio], tgt_khz: w[ChainWord.tgtKhz],
          shift_g: hi32s(w[ChainWord.guestScale]), mul_g: lo32(w[ChainWord.guestScale]), shift_h: hi32s(w[ChainWord.hostScale]), mul_h: lo32(w[ChainWord.hostScale]),
          master_kernel_ns: w[ChainWord.masterKernelNs], tsc_timestamp: w[ChainWord.tscTimestamp], system_time: w[ChainWord.systemTime], guest_tsc: w[ChainWord.guestTsc],
          A: w[ChainWord.a], B: w[ChainWord.b], C: w[ChainWord.c],
        };
        const want = Object.fromEntries(Object.entries(o).map(([k, s]) => [k, typeof got[k as keyof typeof got] === 'number' ? Number(s) : BigInt(s)]));
        expect(got, where).toEqual(want);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(700);
  });
});

/** Every point of a grid under every profile: batch (Wasm chain) against evaluatePoint on the BigInt reference. */
function compareGrid(grid: ChainGrid, from = 0, to = chainGridSize(grid)): number {
  const batch = computePointBatch(grid, from, to);
  expect(batch.count).toBe(to - from);
  for (let i = 0; i < batch.count; i++) {
    const p = chainPointAt(grid, from + i);
    const kernel = KernelProfile.parse(p.kernel);
    const want = evaluatePoint(ref, p, grid.tolerancePpm, kernel);
    const got = batchPoint(batch, grid, i);
    const where = JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? String(v) : v));
    if ('error' in want.point) {
      // A failure: the reference's code; the wording of the backend the sweep runs on (the
      // two backends word a divide error differently), which is what the sweep prints today.
      expect(got.point, where).toMatchObject({ error: { code: want.point.error.code } });
      expect(got.point, where).toEqual(evaluatePoint(wasm, p, grid.tolerancePpm, kernel).point);
      expect(got.state).toBeUndefined();
      continue;
    }
    expect(got.point, where).toEqual(want.point);
    expect(got.state).toEqual(want.state);
    expect(batch.words[i * CHAIN_OUT_WORDS + ChainWord.worst], where).toBe(worstDrift(want.point));
  }
  return batch.count;
}

describe('the Wasm point chain against the BigInt chain (evaluatePoint on the reference backend)', () => {
  it('the issue’s example point and the kernel-variants §9.2 table under each preset', () => {
    const grid: ChainGrid = { hostKhz: [2_500_000, 3_000_000], guestKhz: [1_000_000, 2_000_000, 2_500_000], vendors: ['vmx', 'svm'], horizonsS: [86_400n], tolerancePpm: 250, kernels: PROFILES };
    compareGrid(grid);
    const b = computePointBatch(grid, 0, chainGridSize(grid));
    // 2.5 → 1.0 GHz VMX, one day: B − C under 6.18, 7.4-queued and clocks-v6 (§9.2).
    const bc = (k: string) => (batchPoint(b, grid, PROFILES.indexOf(k)).point as { bMinusC: bigint }).bMinusC;
    expect([bc('6.18'), bc('7.4-queued'), bc('clocks-v6')]).toEqual([86_400_658n, 86_300_076n, 1n]);
  });

  it('random grids, every profile', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: U32_MAX }), { minLength: 1, maxLength: 3 }),
        fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: U32_MAX }), fc.integer({ min: 500_000, max: 5_000_000 })), { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 400 * 86_400 }), { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 0, max: 100_000 }),
        (hosts, guests, horizons, tol) => {
          let horizonsS = horizons.map(BigInt);
          // Keep every h within the u64 host TSC, as the sweep's grid check does.
          const fastest = Math.max(...hosts);
          const reach = longestReachNs(fastest) / 1_000_000_000n;
          horizonsS = horizonsS.map((h) => (h > reach ? reach : h)).filter((h, i, a) => h >= 1n && a.indexOf(h) === i);
          if (horizonsS.length === 0) return;
          compareGrid({ hostKhz: hosts, guestKhz: guests, vendors: ['vmx', 'svm'], horizonsS, tolerancePpm: tol, kernels: PROFILES });
        },
      ),
      { numRuns: 12 },
    );
  });

  it('edge frequencies: 1 kHz, u32 max, the tolerance window, max_guest_tsc_khz, refused ratios, SVM’s 256× limit, horizons up to the model’s reach (2^63 cycles past the reference)', () => {
    const hosts = [1, 2, 3, 1000, 2_500_000, U32_MAX - 1, U32_MAX];
    const guests = new Set<number>([1, 2, 999, 1000, 1001, U32_MAX, U32_MAX - 1, 0x7fff_fffe, 0x7fff_ffff, 0x8000_0000]);
    for (const host of [2_500_000, 1000, 3]) {
      // The tolerance window's edges at 250 ppm, and max_guest_tsc_khz on both vendors.
      const lo = wasm.adjustTscKhz(host, -250);
      const hi = wasm.adjustTscKhz(host, 250);
      for (const g of [lo - 1, lo, lo + 1, hi - 1, hi, hi + 1]) if (g >= 1) guests.add(g);
      for (const v of ['vmx', 'svm'] as const) {
        const caps = tscCaps(v);
        const max = wasm.maxGuestTscKhz(host, caps.maxRatio, caps.frac);
        for (const g of [max - 1, max, max + 1]) if (g >= 1 && g <= U32_MAX) guests.add(g);
      }
      // VMX refuses 2^16 × host and above (the ratio does not fit 64 bits: kvm_set_tsc_khz's divide error).
      for (const g of [host * 65_535, host * 65_536 - 1, host * 65_536, host * 65_536 + 1, host * 256 - 1, host * 256]) if (g >= 1 && g <= U32_MAX) guests.add(g);
    }
    let n = 0;
    for (const host of hosts) {
      const reach = longestReachNs(host) / 1_000_000_000n;
      const horizons = [1n, 86_400n, 100n * 31_536_000n, reach - 1n, reach].filter((h, i, a) => h >= 1n && h <= reach && a.indexOf(h) === i);
      n += compareGrid({ hostKhz: [host], guestKhz: [...guests], vendors: ['vmx', 'svm'], horizonsS: horizons, tolerancePpm: 250, kernels: PROFILES });
    }
    expect(n).toBeGreaterThan(5000);
  });

  it('any `abc_k` input, not only the standard reference: offsets and sums that wrap, h anywhere up to 2^64 − 1, with and without TSC scaling, every profile; a failure is a status exactly where the reference throws', () => {
    const U64 = (1n << 64n) - 1n;
    const u64 = fc.oneof(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: 1n << 44n }), fc.constantFrom(0n, 1n, (1n << 63n) - 1n, 1n << 63n, U64 - 1n, U64));
    const s64 = fc.oneof(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), fc.constantFrom(0n, -1n, 1n));
    const khz = fc.oneof(fc.integer({ min: 1, max: U32_MAX }), fc.integer({ min: 500_000, max: 5_000_000 }), fc.constantFrom(1, 2, 1000, U32_MAX));
    fc.assert(
      fc.property(
        fc.record({
          hostKhz: khz,
          userKhz: khz,
          vendor: fc.constantFrom('vmx', 'svm'),
          hasControl: fc.boolean(),
          tolPpm: fc.oneof(fc.constant(250), fc.integer({ min: 0, max: 0xffff_ffff })),
          c0: u64,
          rawSec: fc.oneof(fc.constant(0n), u64),
          xtimeNsec: fc.oneof(fc.constant(0n), u64),
          offsBoot: s64,
          kvmclockOffset: s64,
          masterCycleNow: u64,
          l1Offset: u64,
          h: u64,
          profile: fc.constantFrom(...PROFILES),
        }),
        (x) => {
          const caps = tscCaps(x.vendor as 'vmx' | 'svm');
          const kernel = KernelProfile.parse(x.profile);
          const input = { ...x, frac: caps.frac, maxRatio: caps.maxRatio };
          const w = chainPoint(
            { c0: x.c0, rawSec: x.rawSec, xtimeNsec: x.xtimeNsec, offsBoot: x.offsBoot, kvmclockOffset: x.kvmclockOffset, masterCycleNow: x.masterCycleNow, l1Offset: x.l1Offset, tolPpm: x.tolPpm },
            { hostKhz: x.hostKhz, userKhz: x.userKhz, frac: caps.frac, maxRatio: caps.maxRatio, hasControl: x.hasControl, kernel, h: x.h },
          );
          let want: ReturnType<typeof abc>;
          try {
            want = abc(ref, input, kernel);
          } catch {
            expect(lo32(w[ChainWord.status])).not.toBe(0);
            return;
          }
          expect(lo32(w[ChainWord.status])).toBe(0);
          const step = resnapshotStep(ref, want.state, x.h);
          expect({
            mult: lo32(w[ChainWord.clocksource]), shift: hi32s(w[ChainWord.clocksource]), ratio: w[ChainWord.ratio], tgtKhz: w[ChainWord.tgtKhz],
            guestScale: { shift: hi32s(w[ChainWord.guestScale]), mul: lo32(w[ChainWord.guestScale]) }, hostScale: { shift: hi32s(w[ChainWord.hostScale]), mul: lo32(w[ChainWord.hostScale]) },
            masterKernelNs: w[ChainWord.masterKernelNs], tscTimestamp: w[ChainWord.tscTimestamp], systemTime: w[ChainWord.systemTime], guestTsc: w[ChainWord.guestTsc],
            a: w[ChainWord.a], b: w[ChainWord.b], c: w[ChainWord.c], step: s64v(w[ChainWord.step]), continuous: s64v(w[ChainWord.continuousOffset]), h: w[ChainWord.h],
          }).toEqual({
            mult: want.mult, shift: want.shift, ratio: want.ratio, tgtKhz: want.tgtKhz, guestScale: want.guestScale, hostScale: want.hostScale,
            masterKernelNs: want.masterKernelNs, tscTimestamp: want.tscTimestamp, systemTime: want.systemTime, guestTsc: want.guestTsc,
            a: want.a, b: want.b, c: want.c, step: step.legacyStepNs, continuous: step.continuousKvmclockOffset, h: x.h,
          });
          // The Hyper-V page of the record (TSC_STABLE): the page API's outcome, as the code and tsc_scale words.
          const page = hvPageOf(ref, { version: 0, tscTimestamp: want.tscTimestamp, systemTime: want.systemTime, tscToSystemMul: want.guestScale.mul, tscShift: want.guestScale.shift, flags: 1 });
          const code = chainHvCode(w[ChainWord.status]);
          if (page.valid) expect([code, w[ChainWord.hvScale]]).toEqual([HvPageCode.valid, page.scale]);
          else expect(code).toBe(HvPageCode[page.reason as keyof typeof HvPageCode]);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('a failing point (the divide error of a VMX ratio ≥ 2^64) carries the reference’s error, code and wording', () => {
    const grid: ChainGrid = { hostKhz: [1000], guestKhz: [65_536_000], vendors: ['vmx'], horizonsS: [86_400n], tolerancePpm: 250, kernels: ['6.18', 'clocks-v6'] };
    const b = computePointBatch(grid, 0, 2);
    expect(b.fallback.size).toBe(2);
    const { point } = batchPoint(b, grid, 0);
    expect(point).toMatchObject({ error: { code: 'de' }, scaling: 'refused-max-guest-khz' });
    compareGrid(grid);
  });

  it('ranges start anywhere: a batch of a range equals the same points of the whole grid', () => {
    const grid: ChainGrid = { hostKhz: [2_000_000, 2_893_202, 3_700_000], guestKhz: [1_000_000, 1_700_000, 3_500_000], vendors: ['svm', 'vmx'], horizonsS: [3600n, 86_400n, 2_592_000n], tolerancePpm: 250, kernels: ['clocks-v6', '6.18'] };
    const whole = computePointBatch(grid, 0, chainGridSize(grid));
    const part = computePointBatch(grid, 37, 91);
    for (let i = 0; i < part.count; i++) expect(batchPoint(part, grid, i)).toEqual(batchPoint(whole, grid, 37 + i));
    expect(STANDARD_M).toBe(10n ** 12n);
  });
});
