/**
 * Sweep output: one JSON object per line (every integer ns value as a decimal string),
 * CSV, and the human table of the worst points. Field names of the JSON lines are a
 * contract (see the README); new fields may be added, none renamed. New members are
 * appended, so that every earlier member keeps its bytes: the `kernel` member (the point's
 * kernel profile) after the sampled extremes, then `hvPage` (the Hyper-V reference TSC page
 * and the drift of the reference time H read from it); in CSV the `kernel` column, then the
 * `hvPageValid`, `hvScale` and H-rate columns.
 */
import { DEFAULT_KERNEL } from '../kernel/profile.js';
import { formatDecimal, type Ratio, reduce } from '../rational.js';
import { type ExactPoint, type FailedPoint, isFailedPoint, type PointResult, type SweepHvPage } from './exact-point.js';
import type { SampledExtremes } from './sampled.js';

/** A computed point, with its sampled extremes when sampled mode ran. */
export type SweepResult = PointResult & { readonly sampled?: SampledExtremes };

/** The profile a point was computed under (the default when its grid had none). */
const kernelOf = (r: SweepResult): string => r.kernel ?? DEFAULT_KERNEL;

const rate = (r: Ratio): number => Number(formatDecimal(r, 3));
const fraction = (r: Ratio): string => {
  const x = reduce(r);
  return `${x.num}/${x.den}`;
};

/** The `hvPage` member: the page's validity and tsc_scale, H's rates rounded to 0.001 ppb and exact. */
function hvPageJson(page: SweepHvPage): Record<string, unknown> {
  if (!page.valid) return { valid: false, reason: page.reason };
  const r = page.ratePpb;
  return {
    valid: true,
    scale: page.scale.toString(),
    ratePpb: { vsB: rate(r.vsB), vsNominal: rate(r.vsNominal), vsA: rate(r.vsA) },
    ratePpbExact: { vsB: fraction(r.vsB), vsNominal: fraction(r.vsNominal), vsA: fraction(r.vsA) },
  };
}

function extremeJson(e: SampledExtremes['bMinusC']['min']) {
  return { ns: e.ns.toString(), sample: e.sample.toString(), atTsc: e.atTsc.toString(), atNs: e.atNs.toString() };
}

/** The JSON object of one point. */
export function pointJson(r: SweepResult): Record<string, unknown> {
  const head = { index: r.index, hostKhz: r.hostKhz, guestKhz: r.guestKhz, vendor: r.vendor, horizonS: Number(r.horizonS) };
  if (isFailedPoint(r)) return { ...head, ...(r.scaling ? { scaling: r.scaling } : {}), error: r.error, kernel: kernelOf(r) };
  const p = r as ExactPoint & { sampled?: SampledExtremes };
  return {
    ...head,
    scaled: p.scaled,
    scaling: p.scaling,
    ratio: p.ratio.toString(),
    tgtKhz: Number(p.tgtKhz),
    A: p.a.toString(),
    B: p.b.toString(),
    C: p.c.toString(),
    bMinusANs: p.bMinusA.toString(),
    cMinusANs: p.cMinusA.toString(),
    bMinusCNs: p.bMinusC.toString(),
    ratePpb: { bMinusA: rate(p.ratePpb.bMinusA), cMinusA: rate(p.ratePpb.cMinusA), bMinusC: rate(p.ratePpb.bMinusC) },
    ratePpbExact: { bMinusA: fraction(p.ratePpb.bMinusA), cMinusA: fraction(p.ratePpb.cMinusA), bMinusC: fraction(p.ratePpb.bMinusC) },
    resnapshotStepNs: p.resnapshotStepNs.toString(),
    continuousKvmclockOffset: p.continuousKvmclockOffset.toString(),
    h: p.h.toString(),
    guestPvclock: p.guestScale,
    hostPvclock: p.hostScale,
    rawClock: p.rawClock,
    ...(p.sampled
      ? {
          sampled: {
            samples: p.sampled.samples.toString(),
            bMinusC: { min: extremeJson(p.sampled.bMinusC.min), max: extremeJson(p.sampled.bMinusC.max) },
            bMinusA: { min: extremeJson(p.sampled.bMinusA.min), max: extremeJson(p.sampled.bMinusA.max) },
          },
        }
      : {}),
    kernel: kernelOf(p),
    hvPage: hvPageJson(p.hvPage),
  };
}

/** One JSON line. */
export function jsonLine(r: SweepResult): string {
  return JSON.stringify(pointJson(r));
}

export const CSV_HEADER = [
  'index', 'hostKhz', 'guestKhz', 'vendor', 'horizonS', 'scaled', 'scaling', 'ratio', 'tgtKhz', 'A', 'B', 'C',
  'bMinusANs', 'cMinusANs', 'bMinusCNs', 'ratePpbBMinusA', 'ratePpbCMinusA', 'ratePpbBMinusC', 'resnapshotStepNs',
  'sampledN', 'minBMinusCNs', 'maxBMinusCNs', 'minBMinusANs', 'maxBMinusANs', 'error', 'kernel',
  'hvPageValid', 'hvScale', 'hvRatePpbVsB', 'hvRatePpbVsNominal', 'hvRatePpbVsA',
].join(',');

/** The Hyper-V page's CSV cells: valid 1/0, tsc_scale and H's rates rounded to 0.001 ppb (empty when invalid). */
function hvPageCells(page: SweepHvPage): (string | number | bigint)[] {
  if (!page.valid) return [0, '', '', '', ''];
  const r = page.ratePpb;
  return [1, page.scale, formatDecimal(r.vsB, 3), formatDecimal(r.vsNominal, 3), formatDecimal(r.vsA, 3)];
}

/** One CSV row (same columns as CSV_HEADER). */
export function csvRow(r: SweepResult): string {
  const head = [r.index, r.hostKhz, r.guestKhz, r.vendor, r.horizonS];
  if (isFailedPoint(r)) return [...head, ...Array(19).fill(''), (r as FailedPoint).error.code, kernelOf(r), ...Array(5).fill('')].join(',');
  const p = r as ExactPoint & { sampled?: SampledExtremes };
  const s = p.sampled;
  return [
    ...head, p.scaled ? 1 : 0, p.scaling, p.ratio, p.tgtKhz, p.a, p.b, p.c, p.bMinusA, p.cMinusA, p.bMinusC,
    formatDecimal(p.ratePpb.bMinusA, 3), formatDecimal(p.ratePpb.cMinusA, 3), formatDecimal(p.ratePpb.bMinusC, 3), p.resnapshotStepNs,
    s ? s.samples : '', s ? s.bMinusC.min.ns : '', s ? s.bMinusC.max.ns : '', s ? s.bMinusA.min.ns : '', s ? s.bMinusA.max.ns : '', '', kernelOf(p),
    ...hvPageCells(p.hvPage),
  ].join(',');
}

/** How bad a point's drift is: the largest divergence between any two definitions at the horizon. */
export function worstDrift(r: SweepResult): bigint {
  if (isFailedPoint(r)) return -1n;
  const abs = (v: bigint) => (v < 0n ? -v : v);
  const p = r as ExactPoint;
  const a = abs(p.bMinusA), b = abs(p.bMinusC), c = abs(p.cMinusA);
  return a > b ? (a > c ? a : c) : b > c ? b : c;
}

/**
 * Keeps the N worst entries offered so far, by a key (largest first; equal keys: the
 * smaller index first, so the result does not depend on arrival order). A binary heap whose
 * root is the least bad entry kept: O(log N) per offer and memory for N entries whatever
 * the grid size. `make` builds the stored value only for an entry that makes the cut, so a
 * caller can keep a compact form (the sweep keeps each row's rendered cells).
 */
export class TopN<T> {
  readonly #n: number;
  readonly #heap: { readonly key: bigint; readonly index: number; readonly value: T }[] = [];
  constructor(n: number) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`TopN size must be a non-negative integer, got ${n}`);
    this.#n = n;
  }

  /** True when entry a ranks below entry b (b is worse: larger key, or same key and earlier index). */
  static #below(a: { key: bigint; index: number }, b: { key: bigint; index: number }): boolean {
    return a.key < b.key || (a.key === b.key && a.index > b.index);
  }

  /** Offer an entry; returns whether it was kept. */
  offer(key: bigint, index: number, make: () => T): boolean {
    const heap = this.#heap;
    if (this.#n === 0) return false;
    if (heap.length === this.#n) {
      if (!TopN.#below(heap[0], { key, index })) return false;
      heap[0] = { key, index, value: make() };
      this.#siftDown(0);
      return true;
    }
    heap.push({ key, index, value: make() });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!TopN.#below(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
    return true;
  }

  #siftDown(start: number): void {
    const heap = this.#heap;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < heap.length && TopN.#below(heap[l], heap[least])) least = l;
      if (r < heap.length && TopN.#below(heap[r], heap[least])) least = r;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least], heap[i]];
      i = least;
    }
  }

  /** Entries kept so far. */
  get size(): number {
    return this.#heap.length;
  }

  /** The kept values, worst first (sorted once, when asked). */
  sorted(): T[] {
    return [...this.#heap].sort((a, b) => (TopN.#below(a, b) ? 1 : TopN.#below(b, a) ? -1 : 0)).map((e) => e.value);
  }
}
