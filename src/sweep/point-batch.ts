/**
 * Exact sweep points in batches: a contiguous range of a grid's points evaluated by the
 * Wasm point chain (assembly/points.ts) into one array of output words, with no JS work
 * per point beyond writing its five input words. A batch is plain data (typed arrays and,
 * rarely, objects), so it crosses a worker boundary as it is; its points are read back as
 * the objects {@link evaluatePoint} returns (src/sweep/batch-point.ts) or printed as the
 * chain finishes them (the Wasm printer, src/sweep/batch-format.ts).
 *
 * The BigInt chain (`evaluatePoint`) stays the definition: the tests compare the two on
 * random grids, edge frequencies and every profile. A point the Wasm chain cannot finish
 * (a failure the kernel defines, such as kvm_set_tsc_khz's divide error) is evaluated on
 * the BigInt chain, which words the failure; it travels with the batch as an object.
 */
import type { KvmclockApi } from '../api.js';
import { kvmclock } from '../index.js';
import { STANDARD_M } from '../model/standard.js';
import { tscCaps, type Vendor } from '../model/vendor.js';
import { type KvmclockExports, wasmExports } from '../wasm/instance.js';
import { CHAIN_IN_WORDS, CHAIN_OUT_WORDS, ChainFlag, chainSetup, chainViews, profileFlags } from '../wasm/points.js';
import { evaluatePoint, type PointResult } from './exact-point.js';
import { type BatchTextSpec, byteSink, printChainRange, setTextTable } from './batch-format.js';
import { type ChainGrid, chainPointAt, GridCursor, kernelsOf, profileNamed } from './chain-grid.js';

/** A range of points evaluated by the chain. */
export interface PointBatch {
  /** Grid index of the first point. */
  readonly from: number;
  readonly count: number;
  /** CHAIN_OUT_WORDS output words per point (src/wasm/points.ts ChainWord). */
  readonly words: BigUint64Array;
  /** Points the Wasm chain left to the BigInt chain, by offset from `from` (a kernel-defined failure, usually). */
  readonly fallback: ReadonlyMap<number, PointResult>;
  /** The points printed (UTF-8), when asked for. */
  readonly text?: Uint8Array;
}

/** Options of {@link computePointBatch}. */
export interface PointBatchOptions {
  /** Also print the points (JSON lines or CSV rows), as the chain finishes them. */
  readonly text?: BatchTextSpec;
  /** Words the failures the chain leaves to the BigInt chain (default: the Wasm API). */
  readonly api?: KvmclockApi;
  /** A buffer to print into when it is large enough (see ByteSink.take). */
  readonly into?: ArrayBuffer;
  /**
   * Keep the words in this thread's scratch array (valid until the next batch of the
   * thread): for a caller that reduces the batch at once and keeps none of it.
   */
  readonly scratch?: boolean;
}

let scratchWords = new BigUint64Array(0);

/** The 32-bit halves of a u64. */
const split = (v: bigint): [number, number] => [Number(v & 0xffff_ffffn), Number((v >> 32n) & 0xffff_ffffn)];

/** The shared `abc` arguments of the standard reference: c0 = M = 10^12, every offset 0. */
function standardSetup(w: KvmclockExports, tolerancePpm: number): void {
  chainSetup(w, { c0: STANDARD_M, rawSec: 0n, xtimeNsec: 0n, offsBoot: 0n, kvmclockOffset: 0n, masterCycleNow: STANDARD_M, l1Offset: 0n, tolPpm: tolerancePpm });
}

/** Evaluate points [from, to) of a grid on the Wasm chain (this thread's instance), and print them when asked. */
export function computePointBatch(grid: ChainGrid, from: number, to: number, options: PointBatchOptions = {}): PointBatch {
  const count = Math.max(0, to - from);
  let words: BigUint64Array;
  if (options.scratch) {
    if (scratchWords.length < count * CHAIN_OUT_WORDS) scratchWords = new BigUint64Array(count * CHAIN_OUT_WORDS);
    words = scratchWords.subarray(0, count * CHAIN_OUT_WORDS);
  } else {
    words = new BigUint64Array(count * CHAIN_OUT_WORDS);
  }
  const fallback = new Map<number, PointResult>();
  const batch = { from, count, words, fallback };
  const spec = options.text;
  const sink = spec === undefined ? undefined : byteSink();
  if (count === 0) return sink === undefined ? batch : { ...batch, text: sink.take(options.into) };
  const api = options.api ?? kvmclock('wasm');
  const w = wasmExports();
  standardSetup(w, grid.tolerancePpm);
  if (spec !== undefined) setTextTable(w, grid);
  const kernels = kernelsOf(grid);
  const kernelFlags = kernels.map((k) => profileFlags(profileNamed(k)));
  const vendorWords = grid.vendors.map((v: Vendor) => {
    const caps = tscCaps(v);
    const [lo, hi] = split(caps.maxRatio);
    return { flags: caps.frac | (caps.hasTscControl ? ChainFlag.control : 0) | ChainFlag.horizon, lo, hi };
  });
  const horizonWords = grid.horizonsS.map(split);
  const cursor = new GridCursor(grid, from);
  let done = 0;
  while (done < count) {
    const v = chainViews(w);
    const n = Math.min(v.capacity, count - done);
    const input = v.input;
    for (let j = 0, o = 0; j < n; j++, o += 2 * CHAIN_IN_WORDS) {
      const vw = vendorWords[cursor.vendor];
      const hw = horizonWords[cursor.horizon];
      input[o] = grid.hostKhz[cursor.host];
      input[o + 1] = grid.guestKhz[cursor.guest];
      input[o + 2] = vw.flags | kernelFlags[cursor.kernel];
      input[o + 3] = 0;
      input[o + 4] = vw.lo;
      input[o + 5] = vw.hi;
      input[o + 6] = hw[0];
      input[o + 7] = hw[1];
      input[o + 8] = cursor.vendor | (cursor.kernel << 8);
      input[o + 9] = 0;
      cursor.next();
    }
    const failed = w.pointsRun(n);
    const out = chainViews(w);
    words.set(out.output.subarray(0, n * CHAIN_OUT_WORDS), done * CHAIN_OUT_WORDS);
    if (failed > 0) {
      for (let j = 0; j < n; j++) {
        if (out.output32[2 * j * CHAIN_OUT_WORDS] === 0) continue;
        const p = chainPointAt(grid, from + done + j);
        fallback.set(done + j, evaluatePoint(api, p, grid.tolerancePpm, profileNamed(p.kernel)).point);
      }
    }
    if (sink !== undefined && spec !== undefined) printChainRange(w, batch, grid, 0, n, done, spec, sink);
    done += n;
  }
  return sink === undefined ? batch : { ...batch, text: sink.take(options.into) };
}
