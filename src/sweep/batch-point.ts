/**
 * A point of a {@link PointBatch} read back as the objects the BigInt chain gives:
 * `evaluatePoint`'s point (the same fields, the same exact rate fractions, the Hyper-V page
 * the chain computed) and the clock state it was evaluated on (for sampling and charts).
 */
import { InternalError } from '../errors.js';
import { abcValues, type ClockState } from '../model/definitions.js';
import { clockRates, over } from '../model/rates.js';
import { STANDARD_M } from '../model/standard.js';
import { tscCaps } from '../model/vendor.js';
import { ppbOf } from '../rational.js';
import { CHAIN_OUT_WORDS, ChainWord, chainHvCode, HvPageCode, SCALING_NAMES } from '../wasm/points.js';
import { type ExactPoint, type PointResult, type SweepHvPage, sweepHvPage } from './exact-point.js';
import { type ChainGrid, type ChainPoint, chainPointAt, profileNamed } from './chain-grid.js';
import type { PointBatch } from './point-batch.js';

const M32 = 0xffff_ffffn;
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const lo32 = (x: bigint): number => Number(x & M32);
/** The high half of a packed word as the s32 it was stored from. */
const hi32s = (x: bigint): number => Number(BigInt.asIntN(32, x >> 32n));

/** The reasons of the invalid page codes (HvPageCode), as compute_tsc_page_parameters words them. */
const HV_REASONS: Readonly<Record<number, string>> = { [HvPageCode.unstable]: 'unstable', [HvPageCode.mul]: 'mul', [HvPageCode.overflow]: 'overflow' };

/** The page of a finished point from its status and tsc_scale words. */
function hvPageOfWords(status: bigint, scale: bigint, state: ClockState, guestKhz: number): SweepHvPage {
  const code = chainHvCode(status);
  if (code === HvPageCode.valid) return sweepHvPage({ valid: true, scale }, state, guestKhz);
  const reason = HV_REASONS[code];
  if (reason === undefined) throw new InternalError(`the Wasm point chain left Hyper-V page code ${code}: rebuild the Wasm`);
  return { valid: false, reason };
}

/** Whether the point at `offset` was finished by the Wasm chain (else it is in `fallback`). */
export function chainFinished(b: PointBatch, offset: number): boolean {
  return (b.words[offset * CHAIN_OUT_WORDS + ChainWord.status] & M32) === 0n;
}

/**
 * The point at `offset` of a batch, as evaluatePoint returns it, with its clock state
 * (undefined for a point the kernel cannot evaluate). `p` is the grid point (default: the
 * grid's point at that index).
 */
export function batchPoint(b: PointBatch, grid: ChainGrid, offset: number, p: ChainPoint = chainPointAt(grid, b.from + offset)): { readonly point: PointResult; readonly state?: ClockState } {
  const fb = b.fallback.get(offset);
  if (fb !== undefined) return { point: fb };
  const base = offset * CHAIN_OUT_WORDS;
  const word = (k: number): bigint => b.words[base + k];
  const status = word(ChainWord.status);
  const caps = tscCaps(p.vendor);
  const cs = word(ChainWord.clocksource);
  const mult = lo32(cs);
  const shift = hi32s(cs);
  const ratio = word(ChainWord.ratio);
  const gs = word(ChainWord.guestScale);
  const hs = word(ChainWord.hostScale);
  const guestScale = { shift: hi32s(gs), mul: lo32(gs) };
  const hostScale = { shift: hi32s(hs), mul: lo32(hs) };
  const kernel = profileNamed(p.kernel);
  const state: ClockState = {
    raw: { cycleLast: STANDARD_M, rawSec: 0n, xtimeNsec: 0n, mult, shift },
    offsBootNs: 0n,
    kvmclockOffset: 0n,
    masterCycleNow: STANDARD_M,
    masterKernelNs: word(ChainWord.masterKernelNs),
    l1TscOffset: 0n,
    ratio,
    frac: caps.frac,
    guestScale,
    hostScale,
    kernel,
    hostKhz: BigInt(p.hostKhz),
    hasTscControl: caps.hasTscControl,
    masterRatio: ratio,
  };
  const { a: rateA, b: rateB, c: rateC } = clockRates(state);
  const point: ExactPoint = {
    ...p,
    scaled: ratio !== caps.defaultRatio,
    scaling: SCALING_NAMES[Number((status >> 32n) & 0xffn)],
    ratio,
    tgtKhz: word(ChainWord.tgtKhz),
    guestScale,
    hostScale,
    rawClock: { mult, shift },
    h: word(ChainWord.h),
    ...abcValues(word(ChainWord.a), word(ChainWord.b), word(ChainWord.c)),
    ratePpb: { bMinusA: ppbOf(over(rateB, rateA)), cMinusA: ppbOf(over(rateC, rateA)), bMinusC: ppbOf(over(rateB, rateC)) },
    resnapshotStepNs: s64(word(ChainWord.step)),
    continuousKvmclockOffset: s64(word(ChainWord.continuousOffset)),
    hvPage: hvPageOfWords(status, word(ChainWord.hvScale), state, p.guestKhz),
  };
  return { point, state };
}
