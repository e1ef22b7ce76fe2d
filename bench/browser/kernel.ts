/**
 * The measured code of `npm run bench:browser`, engine-agnostic: bundled once by esbuild into
 * one classic script that Chromium and every Node runtime load unchanged, so both engines run
 * the same bytes of JavaScript and the same embedded Wasm modules.
 *
 * What it measures is the pvclock read of `npm run bench` (the same parameters, inputs and
 * chunk): the raw batch kernel of the SIMD and of the scalar module converting one chunk of
 * 4,096 u64 in place again and again, and the public `pvclockReadBatch` on the same 4,096
 * values (validation and the copies in and out of Wasm memory included). Every form is first
 * checked against the BigInt reference.
 */
import { kvmclock, wasmBatchEngine } from '../../src/index.js';
import { DEMO_PVCLOCK as P } from '../../src/stream/presets.js';
import { type KvmclockExports, instantiate, viewsOf } from '../../src/wasm/instance.js';

export const CHUNK = 4096;
export const SEED = 0x6b766d636c6f636bn; // "kvmclock", as bench/index.ts

export const FORMS = ['wasm-simd', 'wasm', 'api-batch'] as const;
export type Form = (typeof FORMS)[number];

export interface RoundOptions {
  /** Rounds per form. */
  readonly rounds: number;
  /** Minimum time of one round, ms. */
  readonly minMs: number;
}

export interface FormResult {
  readonly form: Form;
  /** Conversions per second of each round. */
  readonly rounds: readonly number[];
}

export interface EngineReport {
  readonly simd: boolean;
  readonly engineReason: string;
  readonly results: readonly FormResult[];
}

function xorshift(seed: bigint, n: number): BigUint64Array {
  let s = seed;
  const a = new BigUint64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s >> 12n;
    s = BigInt.asUintN(64, s ^ (s << 25n));
    s ^= s >> 27n;
    a[i] = BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn);
  }
  return a;
}

const now = (): number => performance.now();

/** Conversions per second of `step` (one call converts CHUNK), over at least `minMs`. */
function timeRound(step: () => void, minMs: number): number {
  let calls = 16;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < calls; i++) step();
    const ms = now() - t0;
    if (ms >= minMs) return (calls * CHUNK * 1000) / ms;
    calls = Math.ceil(calls * Math.min(16, Math.max(2, (minMs * 1.2) / Math.max(ms, 0.5))));
  }
}

/** The reference outputs for the inputs. */
function expected(x: BigUint64Array): BigUint64Array {
  const ref = kvmclock('reference');
  return x.map((v) => ref.pvclockRead(v, P.tscTimestamp, P.systemTime, P.mul, P.shift));
}

function checkSame(form: Form, got: BigUint64Array, want: BigUint64Array): void {
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) throw new Error(`${form}: element ${i} is ${got[i]}, the reference says ${want[i]}`);
  }
}

/** One form's step function, after checking its outputs against the reference. */
function prepare(form: Form, x: BigUint64Array, want: BigUint64Array): () => void {
  if (form === 'api-batch') {
    const api = kvmclock('wasm');
    const out = new BigUint64Array(CHUNK);
    api.pvclockReadBatch(x, P, out);
    checkSame(form, out, want);
    return () => {
      api.pvclockReadBatch(x, P, out);
    };
  }
  const w: KvmclockExports = instantiate(form === 'wasm-simd' ? 'simd' : 'scalar');
  const views = viewsOf(w);
  if (views.capacity < CHUNK) throw new Error(`the Wasm batch buffer holds ${views.capacity} u64, fewer than ${CHUNK}`);
  views.a.set(x);
  w.pvclockReadBatch(CHUNK, P.tscTimestamp, P.systemTime, P.mul, P.shift);
  checkSame(form, viewsOf(w).a.subarray(0, CHUNK), want);
  viewsOf(w).a.set(x);
  // In place, again and again: the values change every call, as in bench/index.ts.
  return () => w.pvclockReadBatch(CHUNK, P.tscTimestamp, P.systemTime, P.mul, P.shift);
}

/** Check every form, then time `rounds` rounds of each, forms interleaved round by round. */
export function run(o: RoundOptions): EngineReport {
  const x = xorshift(SEED, CHUNK);
  const want = expected(x);
  const steps = FORMS.map((form) => [form, prepare(form, x, want)] as const);
  for (const [, step] of steps) timeRound(step, Math.min(50, o.minMs)); // warm up the tiers
  const rounds = new Map<Form, number[]>(FORMS.map((f) => [f, []]));
  for (let r = 0; r < o.rounds; r++) for (const [form, step] of steps) rounds.get(form)!.push(timeRound(step, o.minMs));
  const engine = wasmBatchEngine();
  return { simd: engine.simd, engineReason: engine.reason, results: FORMS.map((form) => ({ form, rounds: rounds.get(form)! })) };
}

(globalThis as unknown as { kvmclockBench: { run: typeof run } }).kvmclockBench = { run };
