/**
 * A grid in a compact form for sending to workers with every job: each list as runs of
 * arithmetic progressions (a range `start:end:step` of a million values is one run), so a
 * job costs a few hundred bytes whatever the grid, and a worker expands each grid once.
 */
import type { Vendor } from '../model/vendor.js';
import type { ChainGrid } from './chain-grid.js';
import type { KhzList } from './grid.js';

/** [start, step, count] runs of a number list. */
export type Runs = readonly (readonly [number, number, number])[];

export interface PackedGrid {
  readonly hostKhz: Runs;
  readonly guestKhz: Runs;
  readonly vendors: readonly Vendor[];
  readonly horizonsS: readonly string[];
  readonly tolerancePpm: number;
  readonly kernels?: readonly string[];
  /** A key identifying the expansion (the runs as JSON). */
  readonly key: string;
  /** The lists themselves when they live in shared memory (a job then carries them without a copy). */
  readonly shared?: { readonly hostKhz?: Uint32Array; readonly guestKhz?: Uint32Array };
}

const isShared = (l: KhzList): l is Uint32Array => l instanceof Uint32Array && typeof SharedArrayBuffer === 'function' && l.buffer instanceof SharedArrayBuffer;

/** Runs of a list, greedily longest first. */
export function packRuns(list: KhzList): Runs {
  const runs: [number, number, number][] = [];
  let i = 0;
  while (i < list.length) {
    const start = list[i];
    if (i + 1 === list.length) {
      runs.push([start, 0, 1]);
      break;
    }
    const step = list[i + 1] - start;
    let n = 2;
    while (i + n < list.length && list[i + n] - list[i + n - 1] === step) n++;
    runs.push([start, step, n]);
    i += n;
  }
  return runs;
}

export function unpackRuns(runs: Runs): Uint32Array {
  let total = 0;
  for (const [, , n] of runs) total += n;
  const out = new Uint32Array(total);
  let at = 0;
  for (const [start, step, n] of runs) for (let k = 0; k < n; k++) out[at++] = start + k * step;
  return out;
}

/**
 * The packed form of a grid. The grid itself is remembered as the expansion of its key on
 * this thread, so a job run here (one worker) uses it as it is.
 */
export function packGrid(g: ChainGrid): PackedGrid {
  const body = {
    hostKhz: packRuns(g.hostKhz),
    guestKhz: packRuns(g.guestKhz),
    vendors: [...g.vendors],
    horizonsS: g.horizonsS.map(String),
    tolerancePpm: g.tolerancePpm,
    ...(g.kernels === undefined ? {} : { kernels: [...g.kernels] }),
  };
  const key = JSON.stringify(body);
  remember(key, g);
  const shared = { ...(isShared(g.hostKhz) ? { hostKhz: g.hostKhz } : {}), ...(isShared(g.guestKhz) ? { guestKhz: g.guestKhz } : {}) };
  return { ...body, key, ...(Object.keys(shared).length > 0 ? { shared } : {}) };
}

const expanded = new Map<string, ChainGrid>();

/** Keep a grid as the expansion of a key (the last few grids are kept). */
function remember(key: string, g: ChainGrid): void {
  if (expanded.has(key)) return;
  if (expanded.size >= 4) expanded.delete(expanded.keys().next().value as string);
  expanded.set(key, g);
}

/** The grid of a packed grid (expanded once per thread; the last few are kept). */
export function expandGrid(p: PackedGrid): ChainGrid {
  let g = expanded.get(p.key);
  if (g === undefined) {
    g = {
      hostKhz: p.shared?.hostKhz ?? unpackRuns(p.hostKhz),
      guestKhz: p.shared?.guestKhz ?? unpackRuns(p.guestKhz),
      vendors: p.vendors,
      horizonsS: p.horizonsS.map(BigInt),
      tolerancePpm: p.tolerancePpm,
      ...(p.kernels === undefined ? {} : { kernels: p.kernels }),
    };
    remember(p.key, g);
  }
  return g;
}
