/**
 * Sweep grids: lists and ranges of host and guest kHz, vendors, horizons and kernel
 * profiles, and the deterministic order of their points (host, then guest, then vendor,
 * then horizon, then kernel profile — the last varies fastest, so a grid of one profile
 * numbers its points as before profiles existed). A grid is validated whole before any
 * work starts, and points are produced by index, so a grid of any size needs no memory.
 */
import { describeDurationNs, parseDurationNs } from '../duration.js';
import { ArgumentRangeError, ArgumentTypeError } from '../errors.js';
import { DEFAULT_KERNEL, KernelProfile } from '../kernel/profile.js';
import { STANDARD_M } from '../model/standard.js';
import { VENDORS, type Vendor } from '../model/vendor.js';
import { U32_MAX, U64_MAX } from '../units.js';

/**
 * A list of kHz values: an array, or (as parseKhzList gives it) a Uint32Array, 4 bytes a
 * value, for lists of millions of values from ranges.
 */
export type KhzList = readonly number[] | Uint32Array;

export interface Grid {
  readonly hostKhz: KhzList;
  readonly guestKhz: KhzList;
  readonly vendors: readonly Vendor[];
  /** Horizons in whole seconds. */
  readonly horizonsS: readonly bigint[];
  readonly tolerancePpm: number;
  /**
   * Kernel profiles by name (src/kernel/profile.ts: `6.18`, `7.4-queued+hz-pvclock`, …), the
   * last dimension; absent or empty: the default profile alone. Names, not parsed profiles,
   * so that a grid crosses worker boundaries as it is.
   */
  readonly kernels?: readonly string[];
}

export interface GridPoint {
  readonly index: number;
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly vendor: Vendor;
  readonly horizonS: bigint;
  /** The point's kernel profile (its name); absent: the default profile. */
  readonly kernel?: string;
}

/** The kernel profiles of a grid: its list, or the default profile alone. */
export function gridKernels(g: Grid): readonly string[] {
  return g.kernels === undefined || g.kernels.length === 0 ? [DEFAULT_KERNEL] : g.kernels;
}

/** The most kernel profiles one sweep takes (the Wasm printer's table of names). */
export const MAX_KERNELS = 256;

/** The most points a grid may have (indices stay exact doubles; a run can be sharded). */
export const MAX_POINTS = 2 ** 48;

/**
 * Parse a kHz list: comma-separated values and ranges `start:end:step` (end inclusive),
 * e.g. `2500000,3000000` or `1000000:3500000:100000`. Each value must be 1..2^32−1 kHz.
 * The values come back in a Uint32Array (a range of millions of values costs 4 bytes each),
 * over shared memory where the engine has it, so that worker threads need no copy.
 */
export function parseKhzList(spec: string, name: string): Uint32Array {
  if (typeof spec !== 'string' || spec.trim() === '') throw new ArgumentTypeError(name, 'a list of kHz values or ranges start:end:step', spec);
  // Each item as [start, step, count]; the values are written once their number is known.
  const runs: [number, number, number][] = [];
  let total = 0;
  for (const part of spec.split(',')) {
    const item = part.trim();
    const range = item.split(':');
    if (range.length === 1) {
      runs.push([khzValue(item, name), 0, 1]);
      total += 1;
    } else if (range.length === 3) {
      const start = khzValue(range[0].trim(), name);
      const end = khzValue(range[1].trim(), name);
      const step = khzValue(range[2].trim(), name, 'step');
      if (step === 0) throw new ArgumentRangeError(name, 'range step', 1n, BigInt(U32_MAX), 0, `range ${item}: a step of 0 never ends`);
      if (end < start) throw new ArgumentRangeError(name, 'range', BigInt(start), BigInt(U32_MAX), end, `range ${item} is empty (end below start)`);
      const count = Math.floor((end - start) / step) + 1;
      if (count > 10_000_000) throw new ArgumentRangeError(name, 'range length', 1n, 10_000_000n, count, `range ${item} has too many values`);
      runs.push([start, step, count]);
      total += count;
    } else {
      throw new ArgumentTypeError(name, 'a value or a range start:end:step', item);
    }
  }
  // Shared memory where the engine has it: worker threads then read the list without a copy of their own.
  const bytes = 4 * total;
  const out = new Uint32Array(typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  let at = 0;
  for (const [start, step, count] of runs) for (let k = 0; k < count; k++) out[at++] = start + k * step;
  return out;
}

/** One kHz value, 1..2^32−1 (the kernel's u32 of kHz); errors name the option and echo the text. */
export function parseKhz(text: string, name: string): number {
  return khzValue(text.trim(), name);
}

function khzValue(text: string, name: string, role?: 'step'): number {
  if (!/^[0-9]+$/.test(text)) throw new ArgumentTypeError(name, 'decimal kHz values', text);
  const v = Number(text);
  // Errors echo the text as given: a number beyond 2^53 would print rounded.
  if (role === 'step') {
    if (v > U32_MAX) throw new ArgumentRangeError(name, 'range step', 1n, BigInt(U32_MAX), text);
    return v;
  }
  if (v < 1 || v > U32_MAX) throw new ArgumentRangeError(name, 'u32 kHz', 1n, BigInt(U32_MAX), text, v === 0 ? 'a TSC of 0 kHz' : 'beyond the kernel’s u32 kHz');
  return v;
}

/** Parse `vmx,svm`. */
export function parseVendors(spec: string, name = 'vendor'): Vendor[] {
  const list = spec.split(',').map((v) => v.trim());
  for (const v of list) if (!(VENDORS as readonly string[]).includes(v)) throw ArgumentRangeError.choice(name, VENDORS, v);
  return list as Vendor[];
}

/** Parse horizons `1h,1d,30d,1y` (or seconds); each a whole number of seconds, at least 1 s. */
export function parseHorizons(spec: string, name = 'horizon'): bigint[] {
  return spec.split(',').map((h, i) => {
    const ns = parseDurationNs(h.trim(), `${name}[${i}]`);
    if (ns % 1_000_000_000n !== 0n || ns === 0n) throw new ArgumentRangeError(`${name}[${i}]`, 'whole seconds', 1n, 100n * 31_536_000n, h, 'a horizon is a whole number of seconds, at least 1 s');
    if (ns > 100n * 31_536_000_000_000_000n) throw new ArgumentRangeError(`${name}[${i}]`, 'seconds', 1n, 100n * 31_536_000n, h, 'at most 100 years');
    return ns / 1_000_000_000n;
  });
}

/** Number of points of a grid. */
export function gridSize(g: Grid): number {
  return g.hostKhz.length * g.guestKhz.length * g.vendors.length * g.horizonsS.length * gridKernels(g).length;
}

/** The names a grid's parts are reported under: the library's by default, the CLI's options from the CLI. */
export interface GridNames {
  readonly hostKhz: string;
  readonly guestKhz: string;
  readonly vendor: string;
  readonly horizon: string;
  readonly kernel?: string;
}

export const GRID_NAMES: GridNames = { hostKhz: 'host-khz', guestKhz: 'guest-khz', vendor: 'vendor', horizon: 'horizon', kernel: 'kernel' };

/** The most host TSC cycles an evaluation may lie after its reference: 2^63 − 1. */
export const MAX_REACH_CYCLES = (1n << 63n) - 1n;

/**
 * The longest time (ns) after host TSC `base` at which the model still evaluates exactly:
 * ⌊ns·host_khz/10^6⌋ cycles must stay below 2^63, because the raw clock is read from the
 * reference with no tick in between (the spec's `abc` convention) and the kernel's reader
 * takes 2^63 cycles or more since the last tick for a clock that went backwards; the instant
 * is then also a u64 host TSC (base is far below 2^63). Every evaluation of the standard
 * reference happens at such an instant (h = M + host_khz·1000·seconds), so this is the limit
 * of every horizon, uptime or elapsed time at that host frequency.
 */
export function longestReachNs(hostKhz: number, base: bigint = STANDARD_M): bigint {
  const cycles = MAX_REACH_CYCLES < U64_MAX - base ? MAX_REACH_CYCLES : U64_MAX - base;
  return ((cycles + 1n) * 1_000_000n - 1n) / BigInt(hostKhz);
}

/** What {@link checkTscReach} checks: a host frequency and how long after `base` it is evaluated. */
export interface TscReach {
  readonly hostKhz: number;
  readonly hostOption: string;
  readonly durationNs: bigint;
  readonly durationOption: string;
  /** The duration as the user wrote it (echoed in the error). */
  readonly given?: string;
  /** The host TSC the duration counts from (default: the standard reference M = 10^12). */
  readonly base?: bigint;
  /** Report the limit in whole seconds (sweep horizons) rather than ns. */
  readonly wholeSeconds?: boolean;
}

/**
 * The one check that an evaluation stays where the model is exact (fewer than 2^63 host
 * cycles after its reference, see longestReachNs): refuses, before any work, a longer
 * duration at that host frequency, naming both options and the longest duration that fits.
 */
export function checkTscReach(r: TscReach): void {
  const base = r.base ?? STANDARD_M;
  const longest = longestReachNs(r.hostKhz, base);
  if (r.durationNs <= longest) return;
  const limit = r.wholeSeconds ? longest / 1_000_000_000n : longest;
  const got = r.wholeSeconds ? r.durationNs / 1_000_000_000n : r.durationNs;
  const unit = r.wholeSeconds ? 's' : 'ns';
  throw new ArgumentRangeError(
    r.durationOption,
    r.wholeSeconds ? 'seconds' : 'ns',
    r.wholeSeconds ? 1n : 0n,
    limit,
    `${r.given ?? describeDurationNs(r.durationNs)} (${got} ${unit})`,
    `at ${r.hostOption} ${r.hostKhz} the host TSC would run 2^63 cycles or more past its reference ${base} (${r.hostKhz}·1000 per second), which the kernel's raw-clock reader takes for a clock that went backwards; the longest ${r.durationOption} that fits is ${describeDurationNs(r.wholeSeconds ? limit * 1_000_000_000n : limit)} (${limit} ${unit})`,
  );
}

/** Validate a whole grid (sizes, non-empty lists, every point's host TSC within u64) before any work. */
export function checkGrid(g: Grid, names: GridNames = GRID_NAMES): Grid {
  for (const [name, list] of [[names.hostKhz, g.hostKhz], [names.guestKhz, g.guestKhz], [names.vendor, g.vendors], [names.horizon, g.horizonsS]] as const) {
    if (list.length === 0) throw new ArgumentRangeError(name, 'list length', 1n, BigInt(MAX_POINTS), 0, 'an empty list');
  }
  const kernelName = names.kernel ?? GRID_NAMES.kernel ?? 'kernel';
  if (g.kernels !== undefined) {
    if (g.kernels.length > MAX_KERNELS) throw new ArgumentRangeError(kernelName, 'list length', 1n, BigInt(MAX_KERNELS), g.kernels.length, 'too many kernel profiles in one sweep');
    const seen = new Set<string>();
    g.kernels.forEach((name, i) => {
      KernelProfile.parse(name, `${kernelName}[${i}]`); // an unknown preset or change: KernelProfileError naming it
      if (seen.has(name)) throw new ArgumentRangeError(kernelName, 'distinct profiles', 1n, BigInt(MAX_KERNELS), name, `lists kernel profile ${JSON.stringify(name)} twice`);
      seen.add(name);
    });
  }
  const n = gridSize(g);
  if (n > MAX_POINTS) throw new ArgumentRangeError('grid', 'points', 1n, BigInt(MAX_POINTS), n, 'too many points for exact indices: split the grid into several runs');
  // The latest instant of the grid: its fastest host at its longest horizon.
  let hostKhz = 0;
  for (const k of g.hostKhz) if (k > hostKhz) hostKhz = k;
  let horizonS = 0n;
  for (const h of g.horizonsS) if (h > horizonS) horizonS = h;
  checkTscReach({ hostKhz, hostOption: names.hostKhz, durationNs: horizonS * 1_000_000_000n, durationOption: names.horizon, wholeSeconds: true });
  return g;
}

/** The point at an index (0 ≤ index < gridSize), with its kernel profile. */
export function pointAt(g: Grid, index: number): GridPoint & { readonly kernel: string } {
  const kernels = gridKernels(g);
  let i = index;
  const kernel = i % kernels.length;
  i = Math.floor(i / kernels.length);
  const horizon = i % g.horizonsS.length;
  i = Math.floor(i / g.horizonsS.length);
  const vendor = i % g.vendors.length;
  i = Math.floor(i / g.vendors.length);
  const guest = i % g.guestKhz.length;
  i = Math.floor(i / g.guestKhz.length);
  return { index, hostKhz: g.hostKhz[i], guestKhz: g.guestKhz[guest], vendor: g.vendors[vendor], horizonS: g.horizonsS[horizon], kernel: kernels[kernel] };
}

/** A shard `i/n` (1-based, i ≤ n): the contiguous index range [from, to) it computes. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function parseShard(spec: string): Shard {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(spec.trim());
  if (m === null) throw new ArgumentTypeError('shard', 'i/n with 1 ≤ i ≤ n (e.g. 2/8)', spec);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1_000_000) throw new ArgumentRangeError('shard', 'shard count n', 1n, 1_000_000n, count);
  if (index < 1 || index > count) throw new ArgumentRangeError('shard', `shard index i (of ${count})`, 1n, BigInt(count), index, `shard ${spec}: i must be in 1..n`);
  return { index, count };
}

/** The index range of a shard: shards are contiguous, so their points in order are the run's. */
export function shardRange(total: number, shard: Shard): { readonly from: number; readonly to: number } {
  const from = Math.floor(((shard.index - 1) * total) / shard.count);
  const to = Math.floor((shard.index * total) / shard.count);
  return { from, to };
}
