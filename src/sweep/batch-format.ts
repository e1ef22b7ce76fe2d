/**
 * Sweep output printed from a batch: JSON lines or CSV rows, byte for byte what `jsonLine`
 * / `csvRow` (src/sweep/format.ts) give for the same points. Finished points are printed
 * by the Wasm printer (assembly/points-text.ts) straight from the chain's buffers, exact
 * rate fractions included; the few lines it declines (a failed point, values beyond what
 * it prints exactly) and every line of a sampled sweep go through the object path. The
 * tests compare every line with the object path.
 */
import { InternalError } from '../errors.js';
import type { KvmclockExports } from '../wasm/instance.js';
import { SCALING_NAMES } from '../wasm/points.js';
import { batchPoint } from './batch-point.js';
import { csvRow, jsonLine, type SweepResult } from './format.js';
import { type ChainGrid, kernelsOf } from './chain-grid.js';
import type { PointBatch } from './point-batch.js';
import type { SampledExtremes } from './sampled.js';

/** How a batch is printed. */
export interface BatchTextSpec {
  readonly format: 'json' | 'csv';
}

/**
 * The fixed pieces of a JSON line around its values, in the order of format.ts pointJson:
 * the Wasm printer writes piece k before value k.
 */
export const JSON_PIECES = [
  '{"index":', ',"hostKhz":', ',"guestKhz":', ',"vendor":"', '","horizonS":', ',"scaled":', ',"scaling":"', '","ratio":"', '","tgtKhz":',
  ',"A":"', '","B":"', '","C":"', '","bMinusANs":"', '","cMinusANs":"', '","bMinusCNs":"',
  '","ratePpb":{"bMinusA":', ',"cMinusA":', ',"bMinusC":', '},"ratePpbExact":{"bMinusA":"', '","cMinusA":"', '","bMinusC":"',
  '"},"resnapshotStepNs":"', '","continuousKvmclockOffset":"', '","h":"', '","guestPvclock":{"shift":', ',"mul":',
  '},"hostPvclock":{"shift":', ',"mul":', '},"rawClock":{"mult":', ',"shift":', '}', ',"kernel":"', '"',
  // hvPage: valid (pieces 33..40 around its values) or refused for its mul (piece 41, whole).
  ',"hvPage":{"valid":true,"scale":"', '","ratePpb":{"vsB":', ',"vsNominal":', ',"vsA":', '},"ratePpbExact":{"vsB":"', '","vsNominal":"', '","vsA":"', '"}}',
  ',"hvPage":{"valid":false,"reason":"mul"}',
  '}\n',
] as const;

/** The kernel member's value (JSON.stringify of a profile name, which needs no escapes). */
const kernelJson = (name: string): string => JSON.stringify(name);

/** A point's line (with its newline) through the object path: format.ts. */
export function objectLine(r: SweepResult, spec: BatchTextSpec): string {
  return `${spec.format === 'csv' ? csvRow(r) : jsonLine(r)}\n`;
}

/** UTF-8 bytes accumulated in one growing array (reused: one per thread suffices, see {@link byteSink}). */
export class ByteSink {
  #bytes: Uint8Array;
  #length = 0;
  static readonly #encoder = new TextEncoder();
  constructor(estimate: number) {
    this.#bytes = new Uint8Array(Math.max(1024, estimate));
  }

  /** Empty it, keeping its memory. */
  reset(): this {
    this.#length = 0;
    return this;
  }

  #room(n: number): void {
    if (this.#bytes.length - this.#length >= n) return;
    const grown = new Uint8Array(Math.max(2 * this.#bytes.length, this.#length + n));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#bytes.set(b, this.#length);
    this.#length += b.length;
  }

  text(s: string): void {
    this.#room(3 * s.length); // UTF-8 needs at most 3 bytes per UTF-16 unit
    this.#length += ByteSink.#encoder.encodeInto(s, this.#bytes.subarray(this.#length)).written;
  }

  get length(): number {
    return this.#length;
  }

  /**
   * The bytes written, in an array of their own (a copy: the sink is reused). With `into`,
   * in that buffer when it is large enough (a buffer handed back for reuse), else in a new
   * buffer with a quarter more room, so that the next batch fits: either way a view on a
   * buffer that can be moved to another thread.
   */
  take(into?: ArrayBuffer): Uint8Array {
    if (into === undefined) return this.#bytes.slice(0, this.#length);
    const target = into.byteLength >= this.#length ? into : new ArrayBuffer(Math.ceil(this.#length * 1.25) + 1024);
    const view = new Uint8Array(target, 0, this.#length);
    view.set(this.#bytes.subarray(0, this.#length));
    return view;
  }
}

let shared: ByteSink | undefined;

/** This thread's sink, emptied (a batch's text is taken, i.e. copied out, before the next batch starts). */
export function byteSink(): ByteSink {
  shared ??= new ByteSink(1 << 20);
  return shared.reset();
}

/**
 * Write the printer's string table: scaling names, true/false, the grid's vendors and
 * kernel profile names, the JSON pieces.
 */
export function setTextTable(w: KvmclockExports, grid: ChainGrid): void {
  const kernels = kernelsOf(grid);
  const slots = w.textSlots();
  if (w.SLOT_KERNEL.value + kernels.length > slots) throw new RangeError(`the Wasm printer takes at most ${slots - w.SLOT_KERNEL.value} kernel profiles per sweep, got ${kernels.length}`);
  if (grid.vendors.length > w.SLOT_JSON.value - w.SLOT_VENDOR.value) throw new RangeError(`too many vendors for the Wasm printer: ${grid.vendors.length}`);
  if (JSON_PIECES.length > w.SLOT_KERNEL.value - w.SLOT_JSON.value) throw new InternalError(`the Wasm printer has ${w.SLOT_KERNEL.value - w.SLOT_JSON.value} slots for ${JSON_PIECES.length} JSON pieces: rebuild the Wasm`);
  const entries: [number, string][] = [];
  SCALING_NAMES.forEach((name, i) => entries.push([w.SLOT_SCALING.value + i, name]));
  entries.push([w.SLOT_TRUE.value, 'true'], [w.SLOT_FALSE.value, 'false']);
  grid.vendors.forEach((v, i) => entries.push([w.SLOT_VENDOR.value + i, v]));
  JSON_PIECES.forEach((piece, i) => entries.push([w.SLOT_JSON.value + i, piece]));
  kernels.forEach((k, i) => {
    // Printed between '"' pieces in JSON and bare in CSV: a profile name needs no escapes.
    if (kernelJson(k) !== `"${k}"` || k.includes(',')) throw new RangeError(`kernel profile name ${JSON.stringify(k)} cannot be printed as it is`);
    entries.push([w.SLOT_KERNEL.value + i, k]);
  });
  const table = new Uint32Array(w.memory.buffer, w.textSlotTable(), 2 * slots);
  const data = new Uint8Array(w.memory.buffer, w.textStrings(), w.textStringBytes());
  const encoder = new TextEncoder();
  let at = 0;
  for (const [slot, text] of entries) {
    const { written } = encoder.encodeInto(text, data.subarray(at));
    if (written !== text.length) throw new RangeError(`a printer string does not fit or is not ASCII: ${JSON.stringify(text.slice(0, 40))}`);
    table[2 * slot] = at;
    table[2 * slot + 1] = written;
    at += written;
  }
}

/**
 * Print chain points [first, first + n) (offsets `offset`.. of batch `b`) from the
 * instance's buffers into `sink`: the Wasm printer for the lines it takes, the object path
 * for the rest.
 */
export function printChainRange(w: KvmclockExports, b: PointBatch, grid: ChainGrid, first: number, n: number, offset: number, spec: BatchTextSpec, sink: ByteSink): void {
  const step = w.textPoints();
  for (let j0 = 0; j0 < n; j0 += step) {
    const m = Math.min(step, n - j0);
    const bytes = w.pointsText(first + j0, m, BigInt(b.from + offset + j0), spec.format === 'csv' ? 1 : 0, 1);
    const buffer = w.memory.buffer;
    const text = new Uint8Array(buffer, w.textBuffer(), bytes);
    const ends = new Uint32Array(buffer, w.textEnds(), m);
    const declined = w.TEXT_DECLINED.value >>> 0;
    let start = 0;
    let copied = 0;
    for (let j = 0; j < m; j++) {
      const e = ends[j];
      if ((e & declined) === 0) {
        start = e;
        continue;
      }
      // Flush the printer's lines so far, then the declined point through the object path.
      if (start > copied) sink.bytes(text.subarray(copied, start));
      copied = start;
      sink.text(objectLine(batchPoint(b, grid, offset + j0 + j).point, spec));
    }
    if (bytes > copied) sink.bytes(text.subarray(copied, bytes));
  }
}

/**
 * A whole batch through the object path (format.ts), with sampled extremes by offset:
 * how a sampled sweep prints (its points take milliseconds each; printing is not the cost).
 */
export function objectBatchText(b: PointBatch, grid: ChainGrid, spec: BatchTextSpec, sampled?: readonly (SampledExtremes | undefined)[], into?: ArrayBuffer): Uint8Array {
  const sink = byteSink();
  for (let i = 0; i < b.count; i++) {
    const { point } = batchPoint(b, grid, i);
    const s = sampled?.[i];
    sink.text(objectLine(s ? { ...point, sampled: s } : point, spec));
  }
  return sink.take(into);
}
