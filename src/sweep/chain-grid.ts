/**
 * Grids as the batch code walks them: the point order of grid.ts (host, guest, vendor,
 * horizon, then kernel profile, fastest), a cursor that walks it without divisions, and
 * kernel profiles parsed once per thread (grids carry their names: strings cross worker
 * boundaries, parsed profiles do not).
 */
import { KernelProfile } from '../kernel/profile.js';
import { type Grid, type GridPoint, gridKernels, gridSize, pointAt } from './grid.js';

/** A grid (with or without kernel profiles). */
export type ChainGrid = Grid;

/** A grid point with its kernel profile's name. */
export interface ChainPoint extends GridPoint {
  readonly kernel: string;
}

const profileCache = new Map<string, KernelProfile>();

/** A profile by name, parsed once per thread. */
export function profileNamed(name: string): KernelProfile {
  let p = profileCache.get(name);
  if (p === undefined) {
    p = KernelProfile.parse(name);
    profileCache.set(name, p);
  }
  return p;
}

export const kernelsOf = (g: ChainGrid): readonly string[] => gridKernels(g);

/** Number of points of a grid with profiles. */
export function chainGridSize(g: ChainGrid): number {
  return gridSize(g);
}

/** The point at an index (0 ≤ index < chainGridSize). */
export function chainPointAt(g: ChainGrid, index: number): ChainPoint {
  return pointAt(g, index);
}

/**
 * Walks the points of a grid from an index on, one step at a time, without divisions: the
 * position in each list (host, guest, vendor, horizon, kernel).
 */
export class GridCursor {
  host = 0;
  guest = 0;
  vendor = 0;
  horizon = 0;
  kernel = 0;
  readonly #g: ChainGrid;
  readonly #kernels: number;
  constructor(g: ChainGrid, index: number) {
    this.#g = g;
    this.#kernels = kernelsOf(g).length;
    let i = index;
    this.kernel = i % this.#kernels;
    i = Math.floor(i / this.#kernels);
    this.horizon = i % g.horizonsS.length;
    i = Math.floor(i / g.horizonsS.length);
    this.vendor = i % g.vendors.length;
    i = Math.floor(i / g.vendors.length);
    this.guest = i % g.guestKhz.length;
    this.host = Math.floor(i / g.guestKhz.length);
  }

  /** To the next point. */
  next(): void {
    if (++this.kernel < this.#kernels) return;
    this.kernel = 0;
    if (++this.horizon < this.#g.horizonsS.length) return;
    this.horizon = 0;
    if (++this.vendor < this.#g.vendors.length) return;
    this.vendor = 0;
    if (++this.guest < this.#g.guestKhz.length) return;
    this.guest = 0;
    this.host++;
  }
}
