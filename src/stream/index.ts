/**
 * Streaming conversions: any number of conversions (10^10 and more) in fixed-size chunks
 * through the memory of a private Wasm instance, so memory use stays constant whatever the
 * count. Each converter owns its instance (SIMD when the engine supports it), so converters
 * never share buffers, and a worker thread simply creates its own.
 *
 * Three levels:
 * - {@link createConverter}: a chunk-sized input view in Wasm memory and `convert(n)`; the
 *   zero-copy form (fill the view, convert in place, read the same view).
 * - {@link convertChunks}: a generator over any iterable of BigUint64Array inputs that yields
 *   the converted chunks (views valid until the next step).
 * - {@link runConversions}: `count` conversions of a synthetic TSC ramp generated inside Wasm,
 *   reduced to a checksum, with sampled (index, input, output) triples for cross-checking
 *   against the reference; what `kvmclock bench --conversions` runs on each worker.
 */
import { aPvclockParams } from '../api.js';
import type { Backend, PvclockParams } from '../backend.js';
import { ArgumentRangeError, ArgumentTypeError } from '../errors.js';
import { aFrac, aS8, aU32, aU64, aU64Array } from '../validate.js';
import { instantiate, probeSimd, viewsOf, type KvmclockExports } from '../wasm/instance.js';

/** One conversion, with its parameters (the same validation as the scalar API). */
export type ConversionSpec =
  | { readonly op: 'pvclockRead'; readonly pvclock: PvclockParams }
  | { readonly op: 'pvclockScaleDelta'; readonly mul: number; readonly shift: number }
  | { readonly op: 'scaleTsc'; readonly ratio: bigint; readonly frac: number }
  | { readonly op: 'readL1Tsc'; readonly offset: bigint; readonly ratio: bigint; readonly frac: number }
  | { readonly op: 'guestKvmclock'; readonly l1Offset: bigint; readonly ratio: bigint; readonly frac: number; readonly pvclock: PvclockParams };

/** The operation names of {@link ConversionSpec}. */
export const CONVERSION_OPS = ['pvclockRead', 'pvclockScaleDelta', 'scaleTsc', 'readL1Tsc', 'guestKvmclock'] as const;

/** A spec checked against the C types of its parameters; throws the API's typed errors. */
export function validateSpec(spec: unknown): ConversionSpec {
  if (typeof spec !== 'object' || spec === null) throw new ArgumentTypeError('spec', 'object {op, …}', spec);
  const s = spec as Record<string, unknown>;
  switch (s.op) {
    case 'pvclockRead':
      return { op: 'pvclockRead', pvclock: aPvclockParams(s.pvclock, 'spec.pvclock') };
    case 'pvclockScaleDelta':
      return { op: 'pvclockScaleDelta', mul: aU32(s.mul, 'spec.mul'), shift: aS8(s.shift, 'spec.shift') };
    case 'scaleTsc':
      return { op: 'scaleTsc', ratio: aU64(s.ratio, 'spec.ratio'), frac: aFrac(s.frac, 'spec.frac') };
    case 'readL1Tsc':
      return { op: 'readL1Tsc', offset: aU64(s.offset, 'spec.offset'), ratio: aU64(s.ratio, 'spec.ratio'), frac: aFrac(s.frac, 'spec.frac') };
    case 'guestKvmclock':
      return {
        op: 'guestKvmclock',
        l1Offset: aU64(s.l1Offset, 'spec.l1Offset'),
        ratio: aU64(s.ratio, 'spec.ratio'),
        frac: aFrac(s.frac, 'spec.frac'),
        pvclock: aPvclockParams(s.pvclock, 'spec.pvclock'),
      };
    default:
      throw ArgumentRangeError.choice('spec.op', CONVERSION_OPS, String(s.op));
  }
}

/** The in-place kernel call for a validated spec on one instance. */
function kernelFor(w: KvmclockExports, spec: ConversionSpec): (n: number) => void {
  switch (spec.op) {
    case 'pvclockRead': {
      const { tscTimestamp, systemTime, mul, shift } = spec.pvclock;
      return (n) => w.pvclockReadBatch(n, tscTimestamp, systemTime, mul, shift);
    }
    case 'pvclockScaleDelta':
      return (n) => w.pvclockScaleDeltaBatch(n, spec.mul, spec.shift);
    case 'scaleTsc':
      return (n) => w.scaleTscBatch(n, spec.ratio, spec.frac);
    case 'readL1Tsc':
      return (n) => w.readL1TscBatch(n, spec.offset, spec.ratio, spec.frac);
    case 'guestKvmclock': {
      const { l1Offset, ratio, frac } = spec;
      const { tscTimestamp, systemTime, mul, shift } = spec.pvclock;
      return (n) => w.guestKvmclockBatch(n, l1Offset, ratio, frac, tscTimestamp, systemTime, mul, shift);
    }
  }
}

/**
 * The reference conversion of one value for a spec (BigInt; the definition of correctness),
 * for cross-checking sampled outputs.
 */
export function referenceConvert(reference: Backend, spec: ConversionSpec, x: bigint): bigint {
  switch (spec.op) {
    case 'pvclockRead': {
      const p = spec.pvclock;
      return reference.pvclockRead(x, p.tscTimestamp, p.systemTime, p.mul, p.shift);
    }
    case 'pvclockScaleDelta':
      return reference.pvclockScaleDelta(x, spec.mul, spec.shift);
    case 'scaleTsc':
      return reference.scaleTsc(x, spec.ratio, spec.frac);
    case 'readL1Tsc':
      return reference.readL1Tsc(x, spec.offset, spec.ratio, spec.frac);
    case 'guestKvmclock': {
      const p = spec.pvclock;
      return reference.pvclockRead(reference.readL1Tsc(x, spec.l1Offset, spec.ratio, spec.frac), p.tscTimestamp, p.systemTime, p.mul, p.shift);
    }
  }
}

/** Which kernels a converter runs: 'auto' (SIMD when the engine supports it) or 'scalar'. */
export type EngineChoice = 'auto' | 'scalar';

/** A chunked, in-place converter over its own Wasm instance. */
export interface BatchConverter {
  readonly spec: ConversionSpec;
  /** True when the SIMD kernels run (see {@link createConverter}). */
  readonly simd: boolean;
  /** Why the scalar kernels run, or that SIMD does. */
  readonly engine: string;
  /** Elements per chunk. */
  readonly capacity: number;
  /**
   * The chunk buffer in Wasm memory (`capacity` elements). Write inputs to [0, n), call
   * {@link convert}, read the results from the same view.
   */
  readonly input: BigUint64Array;
  /** Converts input[0..n) in place (n in 0..capacity); returns input.subarray(0, n). */
  convert(n: number): BigUint64Array;
  /** input[i] = lo64(start + (first + i)·step) for i < n: a synthetic TSC ramp, written inside Wasm. */
  fillRamp(n: number, start: bigint, step: bigint, first: bigint): void;
  /** The wrapping (mod 2^64) sum of input[0..n), computed inside Wasm. */
  sum(n: number): bigint;
}

function instanceFor(choice: unknown): { exports: KvmclockExports; simd: boolean; reason: string } {
  const engine = choice ?? 'auto';
  if (engine !== 'auto' && engine !== 'scalar') throw ArgumentRangeError.choice('engine', ['auto', 'scalar'], String(engine));
  if (engine === 'scalar') return { exports: instantiate('scalar'), simd: false, reason: 'scalar Wasm batch kernels (requested)' };
  const probe = probeSimd();
  if (probe.exports !== undefined) return { exports: instantiate('simd'), simd: true, reason: probe.engine.reason };
  return { exports: instantiate('scalar'), simd: false, reason: probe.engine.reason };
}

function aChunkLength(n: unknown, capacity: number): number {
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= capacity) return n;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ArgumentTypeError('n', `an integer number in 0..${capacity}`, n);
  throw new ArgumentRangeError('n', 'chunk length', 0n, BigInt(capacity), n);
}

/**
 * A converter for `spec` with its own Wasm instance: SIMD kernels when the engine can
 * instantiate the SIMD module (otherwise the scalar ones; `engine` says which and why).
 * @example
 * const c = createConverter({ op: 'pvclockRead', pvclock: { tscTimestamp: 0n, systemTime: 0n, mul: 2147485795, shift: 1 } });
 * c.input[0] = 1_000_000_000n;
 * c.convert(1)[0]; // 1000000999n
 */
export function createConverter(spec: ConversionSpec, options: { engine?: EngineChoice } = {}): BatchConverter {
  const s = validateSpec(spec);
  const { exports: w, simd, reason } = instanceFor(options.engine);
  const views = viewsOf(w);
  const kernel = kernelFor(w, s);
  // The instance's memory never grows (static buffers, stub runtime), so the views stay valid.
  return {
    spec: s,
    simd,
    engine: reason,
    capacity: views.capacity,
    input: views.a,
    convert(n) {
      const len = aChunkLength(n, views.capacity);
      kernel(len);
      return views.a.subarray(0, len);
    },
    fillRamp(n, start, step, first) {
      w.fillRampBatch(aChunkLength(n, views.capacity), aU64(start, 'start'), aU64(step, 'step'), aU64(first, 'first'));
    },
    sum(n) {
      return BigInt.asUintN(64, w.sumBatch(aChunkLength(n, views.capacity)));
    },
  };
}

/**
 * Converts every element of every array `source` yields, in order, in chunks through one
 * converter: yields each converted chunk as a view into Wasm memory, valid until the next
 * step of the generator (copy it to keep it). Memory use is constant however long the
 * source is; inputs are never modified.
 * @example
 * let last = 0n;
 * for (const chunk of convertChunks(spec, readings())) last = chunk[chunk.length - 1];
 */
export function* convertChunks(spec: ConversionSpec, source: Iterable<BigUint64Array>, options: { engine?: EngineChoice } = {}): Generator<BigUint64Array, void, undefined> {
  const c = createConverter(spec, options);
  for (const item of source) {
    const input = aU64Array(item, 'source item');
    for (let i = 0; i < input.length; i += c.capacity) {
      const len = Math.min(c.capacity, input.length - i);
      c.input.set(len === input.length ? input : input.subarray(i, i + len));
      yield c.convert(len);
    }
  }
}

/** A synthetic TSC ramp: input i is lo64(start + i·step). */
export interface RampSource {
  readonly start: bigint;
  readonly step: bigint;
}

/** What {@link runConversions} does. */
export interface RunConversionsOptions {
  readonly spec: ConversionSpec;
  /** Number of conversions (an integer ≥ 0; up to 2^53). */
  readonly count: number;
  /** The inputs; default {start: 0x100000000, step: 2500}, a 2.5 GHz TSC sampled every µs. */
  readonly source?: RampSource;
  /** Index of the first conversion in the ramp (workers take disjoint ranges); default 0. */
  readonly first?: number;
  /** Record one (index, input, output) sample every this many chunks; default 256 (0: none). */
  readonly sampleEveryChunks?: number;
  readonly engine?: EngineChoice;
}

/** One sampled conversion. */
export interface ConversionSample {
  readonly index: number;
  readonly input: bigint;
  readonly output: bigint;
}

/** The result of {@link runConversions}. */
export interface ConversionRun {
  readonly count: number;
  /** The wrapping (mod 2^64) sum of every output: independent of chunking and of how ranges are split. */
  readonly checksum: bigint;
  readonly samples: readonly ConversionSample[];
  /** Wall time of the conversion loop in ns. */
  readonly elapsedNs: number;
  readonly simd: boolean;
  readonly engine: string;
}

/** The default ramp: a 2.5 GHz TSC read every microsecond, starting at 2^32. */
export const DEFAULT_RAMP: RampSource = { start: 1n << 32n, step: 2500n };

/** Input `index` of a ramp. */
export function rampInput(source: RampSource, index: number | bigint): bigint {
  return BigInt.asUintN(64, source.start + BigInt(index) * source.step);
}

/**
 * `count` conversions of a ramp, generated, converted and summed inside Wasm chunk by chunk
 * (constant memory; no BigInt per conversion). Returns the checksum and sampled conversions,
 * which {@link verifySamples} recomputes on the reference.
 */
export function runConversions(options: RunConversionsOptions): ConversionRun {
  const count = options.count;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) throw new ArgumentRangeError('count', 'conversions', 0n, BigInt(Number.MAX_SAFE_INTEGER), String(count));
  const first = options.first ?? 0;
  if (!Number.isSafeInteger(first) || first < 0) throw new ArgumentRangeError('first', 'index', 0n, BigInt(Number.MAX_SAFE_INTEGER), String(first));
  const source = options.source ?? DEFAULT_RAMP;
  const start = aU64(source.start, 'source.start');
  const step = aU64(source.step, 'source.step');
  const every = options.sampleEveryChunks ?? 256;
  if (!Number.isSafeInteger(every) || every < 0) throw new ArgumentRangeError('sampleEveryChunks', 'chunks', 0n, BigInt(Number.MAX_SAFE_INTEGER), String(every));
  // Everything is validated above: the loop calls the exports directly, three per chunk.
  const spec = validateSpec(options.spec);
  const { exports: w, simd, reason } = instanceFor(options.engine);
  const kernel = kernelFor(w, spec);
  const view = viewsOf(w).a;
  const capacity = view.length;
  const samples: ConversionSample[] = [];
  let checksum = 0n;
  let done = 0;
  let chunk = 0;
  const t0 = performance.now();
  while (done < count) {
    const len = Math.min(capacity, count - done);
    const index = first + done;
    w.fillRampBatch(len, start, step, BigInt(index));
    kernel(len);
    checksum += w.sumBatch(len);
    if (every > 0 && chunk % every === 0) {
      const k = (chunk * 2_654_435_761) % len; // a position that moves from chunk to chunk
      samples.push({ index: index + k, input: rampInput(source, index + k), output: view[k] });
    }
    done += len;
    chunk++;
  }
  const elapsedNs = Math.round((performance.now() - t0) * 1e6);
  return { count, checksum: BigInt.asUintN(64, checksum), samples, elapsedNs, simd, engine: reason };
}

/** Samples whose output differs from the reference conversion of their input (empty when all agree). */
export function verifySamples(reference: Backend, spec: ConversionSpec, source: RampSource, samples: readonly ConversionSample[]): string[] {
  const bad: string[] = [];
  for (const s of samples) {
    if (s.input !== rampInput(source, s.index)) bad.push(`sample ${s.index}: input ${s.input} is not ramp input ${rampInput(source, s.index)}`);
    const expected = referenceConvert(reference, spec, s.input);
    if (expected !== s.output) bad.push(`sample ${s.index}: input ${s.input}: Wasm ${s.output}, reference ${expected}`);
  }
  return bad;
}

/** The reference checksum of conversions [first, first + count) of a ramp (BigInt; keep count small). */
export function referenceChecksum(reference: Backend, spec: ConversionSpec, source: RampSource, first: number, count: number): bigint {
  let sum = 0n;
  for (let i = 0; i < count; i++) sum += referenceConvert(reference, spec, rampInput(source, first + i));
  return BigInt.asUintN(64, sum);
}
