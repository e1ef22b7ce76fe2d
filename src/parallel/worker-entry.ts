/**
 * The script every pool worker runs (see pool.ts): it imports the task module named by the
 * job, calls the named export with the job's data, and returns either the value or the
 * thrown error as plain data. Errors are caught here because structured cloning keeps only
 * an error's name, message and stack: their `code` (and the rest) would be lost on the way.
 */
// Only ever loaded by piscina as its worker script, so piscina is installed whenever this runs (a static
// import: top-level await would break piscina's loading of this file from the TypeScript sources).
import { Piscina } from 'piscina';
import { isKvmclockError } from '../errors.js';

/**
 * A task's result may list ArrayBuffers under this (non-enumerable) symbol: they are moved to
 * the calling thread instead of copied (the result must not use them afterwards). The sweep
 * hands over its printed lines and words this way.
 */
export const TRANSFER = Symbol.for('kvmclock.transfer');

/** Mark buffers of a task's result for moving rather than copying (see {@link TRANSFER}). */
export function transferOnReturn<T extends object>(value: T, buffers: readonly ArrayBuffer[]): T {
  Object.defineProperty(value, TRANSFER, { value: buffers, enumerable: false });
  return value;
}

/** What the pool sends to a worker. */
export interface WorkerRequest {
  /** File URL of the module to import. */
  readonly module: string;
  /** Name of its exported task function. */
  readonly exportName: string;
  /** The job, passed as the only argument (structured-cloned: bigints and typed arrays are fine). */
  readonly job: unknown;
}

/** A thrown value, as plain data. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
  /** True when the original was a kvmclock error (isKvmclockError). */
  readonly kvmclock: boolean;
  /** Other own enumerable properties whose values clone (rule, value, argument, …). */
  readonly props: Record<string, unknown>;
}

export type WorkerResponse = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: SerializedError };

function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: `non-Error thrown: ${String(e)}`, kvmclock: false, props: {} };
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'code' || typeof v === 'function' || typeof v === 'symbol') continue;
    props[k] = v;
  }
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, code: typeof code === 'string' ? code : undefined, stack: e.stack, kvmclock: isKvmclockError(e), props };
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

// A .ts task module (only when running from the sources, under tsx or vitest) goes through
// tsx's API: a loader given to a worker with --import covers the worker's own entry, but not
// every dynamic import on Node 20. Compiled task modules (.js) are imported directly.
async function load(url: string): Promise<Record<string, unknown>> {
  if (!url.endsWith('.ts')) return (await import(url)) as Record<string, unknown>;
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}

/** Runs one job (the pool's default task). */
export default async function runTask(request: WorkerRequest): Promise<WorkerResponse> {
  try {
    let mod = modules.get(request.module);
    if (mod === undefined) {
      mod = load(request.module);
      modules.set(request.module, mod);
    }
    const fn = (await mod)[request.exportName];
    if (typeof fn !== 'function') throw new TypeError(`${request.module} has no exported function ${JSON.stringify(request.exportName)}`);
    const value = await (fn as (job: unknown) => unknown)(request.job);
    const buffers = value !== null && typeof value === 'object' ? (value as { [TRANSFER]?: ArrayBuffer[] })[TRANSFER] : undefined;
    if (buffers !== undefined && buffers.length > 0) {
      // Piscina moves what a task returns in this form (its transferable and value symbols).
      const movable = { [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: { ok: true, value } };
      return Piscina.move(movable as unknown as Parameters<typeof Piscina.move>[0]) as unknown as WorkerResponse;
    }
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: serializeError(e) };
  }
}
