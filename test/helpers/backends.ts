/** The two backends every differential, vector and bad-input test runs over. */
import type { KvmclockApi } from '../../src/api.js';
import type { BackendName } from '../../src/backend.js';
import { kvmclock } from '../../src/index.js';

export const BACKENDS = ['reference', 'wasm'] as const satisfies readonly BackendName[];

/** The validated public API on one backend (the same object `kvmclock(name)` returns). */
export function apiFor(name: BackendName): KvmclockApi {
  return kvmclock(name);
}

/** Both APIs, for differential tests. */
export function bothApis(): { reference: KvmclockApi; wasm: KvmclockApi } {
  return { reference: apiFor('reference'), wasm: apiFor('wasm') };
}

/** The names of the API's methods (everything but the `backend` tag), sorted. */
export function apiMethodNames(api: KvmclockApi): string[] {
  return Object.keys(api)
    .filter((k) => typeof (api as unknown as Record<string, unknown>)[k] === 'function')
    .sort();
}

// ---------------------------------------------------------------------------
// Outcomes: a call's result or the error it threw, in a comparable form.

/** What a thrown error is compared on: class, `code`, and `value` when present. */
export interface ErrorShape {
  readonly class: string;
  readonly code: unknown;
  readonly value: unknown;
}

export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ErrorShape };

/** A plain, comparable copy of a result: objects get sorted own keys, typed arrays become {typed, values}. */
export function normalize(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) {
    const arr = v as unknown as ArrayLike<unknown>;
    return { typed: v.constructor.name, values: Array.from(arr) };
  }
  if (Array.isArray(v)) return v.map(normalize);
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) o[k] = normalize((v as Record<string, unknown>)[k]);
  return o;
}

function errorShape(e: unknown): ErrorShape {
  if (e instanceof Error) {
    const r = e as Error & { code?: unknown; value?: unknown };
    return { class: e.constructor.name, code: r.code, value: r.value };
  }
  return { class: `non-Error ${typeof e}`, code: undefined, value: e };
}

/** Run `f` and capture its result or error. */
export function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, value: normalize(f()) };
  } catch (e) {
    return { ok: false, error: errorShape(e) };
  }
}

/** Strict structural equality of two normalized outcomes (Object.is on leaves). */
export function sameOutcome(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!sameOutcome((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** A readable rendering of arguments / outcomes (bigints get an `n`). */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<unknown>, (y) => (typeof y === 'bigint' ? `${y}n` : y)) : x));
}
