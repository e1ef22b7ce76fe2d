/**
 * `npm run bench`: throughput of each operation on each implementation, side by side.
 *
 *   operations       pvclock_read, scale_delta, scale_tsc, guest_read_b (definition B: host TSC →
 *                    guest TSC → kvmclock), mul_u64_u64_shr, kvm_get_time_scale
 *   implementations  reference (BigInt), wasm (scalar batch kernels), wasm-simd (v128 kernels),
 *                    api-call (one public scalar call per conversion), api-batch (the public
 *                    batch function: validation and copies in and out of Wasm memory included),
 *                    native-c-scalar / native-c-vector (bench/native, built now with the system cc)
 *
 * Every (op, impl) first checks its outputs on its own inputs against the reference, then is
 * timed; results are per conversion. The Wasm and native kernels run in place over one chunk of
 * N = 4096 u64 (the Wasm batch buffer), again and again, so all of them work on the same
 * L1-resident data. The acceptance ratios (pvclock read and guest read B in wasm-simd against
 * the native variants) are then measured again in alternating rounds, wasm-simd and native
 * back to back, and reported as the median round. A multi-worker run then reports aggregate
 * conversions/s on all cores.
 *
 * Flags: --json (one JSON document on stdout; run `npm run -s bench -- --json`, as npm prints a
 * banner otherwise), --quick (under a minute), --smoke (each suite once, correctness only, no
 * timing: what CI runs), --filter <regex> (on "op impl", and "op workers" for the
 * multi-worker rows).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

import { kvmclock } from '../src/index.js';
import { referenceBackend } from '../src/reference/index.js';
import { DEFAULT_RAMP, referenceChecksum, runConversions, verifySamples } from '../src/stream/index.js';
import { DEMO_FRAC, DEMO_L1_OFFSET, DEMO_MUL_SHIFT, DEMO_PVCLOCK, DEMO_RATIO, DEMO_SCALED_HZ, PRESET_SPECS } from '../src/stream/presets.js';
import { instantiate, probeSimd, viewsOf, type KvmclockExports } from '../src/wasm/instance.js';
import { FULL, QUICK, fromSamples, group, machine, measure, resultRow, table, type Result, type TimingOptions } from './harness.js';
import { baseFrequencies, xorshiftInputs } from './inputs.js';
import { nativeBuilds, runNative, type NativeImpl } from './native.js';

const { values: flags } = parseArgs({
  options: {
    json: { type: 'boolean' },
    quick: { type: 'boolean' },
    smoke: { type: 'boolean' },
    filter: { type: 'string' },
  },
  strict: true,
});

// The multi-worker rows run the built package (dist/, which `npm run bench` builds first), as
// `npx kvmclock bench` does: under tsx every worker thread would also load tsx's TypeScript
// loader, about 20 MiB of RSS per worker that users of the package never pay.
const { parallelConversions } = (await import(new URL('../dist/parallel/conversions.js', import.meta.url).href)) as typeof import('../src/parallel/conversions.js');

const N = 4096;
const SEED = 0x6b766d636c6f636bn; // "kvmclock"
const OPS = ['pvclock_read', 'scale_delta', 'scale_tsc', 'guest_read_b', 'mul_u64_u64_shr', 'kvm_get_time_scale'] as const;
type Op = (typeof OPS)[number];
const IMPLS = ['reference', 'wasm', 'wasm-simd', 'api-call', 'api-batch', 'native-c-scalar', 'native-c-vector'] as const;
type Impl = (typeof IMPLS)[number];

const log = (s: string) => process.stderr.write(`${s}\n`);
const out = (s: string) => process.stdout.write(`${s}\n`);
const filter = flags.filter === undefined ? undefined : new RegExp(flags.filter);
const selected = (op: string, impl: string) => filter === undefined || filter.test(`${op} ${impl}`);
const timing: TimingOptions = flags.quick ? QUICK : FULL;

/** Everything an op needs, on fixed seeded inputs. */
interface OpDef {
  readonly inputs: readonly BigUint64Array[];
  /** The reference outputs (kvm_get_time_scale: (u8 shift) << 32 | mul). */
  readonly expected: BigUint64Array;
  /** The in-place kernel call on an instance whose buffers hold the inputs. */
  kernel(w: KvmclockExports): (n: number) => void;
  /** Where the kernel's outputs are read back (buffer A, or packed from B for time scale). */
  outputs(w: KvmclockExports): BigUint64Array;
  /** One conversion through the public scalar API. */
  apiCall(i: number): bigint;
  /** The public batch function into `out`, if the op has one. */
  apiBatch?: (o: BigUint64Array) => void;
  /** The op's parameters as bench/native/kvmclock-bench.c reads them. */
  readonly nativeParams: readonly (bigint | number)[];
}

const api = kvmclock('wasm');
const P = DEMO_PVCLOCK;
const pvParams = [P.tscTimestamp, P.systemTime, P.mul, P.shift];

function packTimeScale(shift: number, mul: number): bigint {
  return (BigInt(shift & 0xff) << 32n) | BigInt(mul >>> 0);
}

function defineOp(op: Op): OpDef {
  const [x, y] = xorshiftInputs(SEED, N, 2);
  const r = referenceBackend;
  const fromA = (w: KvmclockExports) => viewsOf(w).a.slice(0, N);
  switch (op) {
    case 'pvclock_read': {
      const expected = new BigUint64Array(N);
      r.pvclockReadBatch(x, P, expected);
      return {
        inputs: [x],
        expected,
        kernel: (w) => (n) => w.pvclockReadBatch(n, P.tscTimestamp, P.systemTime, P.mul, P.shift),
        outputs: fromA,
        apiCall: (i) => api.pvclockRead(x[i], P.tscTimestamp, P.systemTime, P.mul, P.shift),
        apiBatch: (o) => api.pvclockReadBatch(x, P, o),
        nativeParams: pvParams,
      };
    }
    case 'scale_delta': {
      const expected = new BigUint64Array(N);
      r.pvclockScaleDeltaBatch(x, P.mul, P.shift, expected);
      return {
        inputs: [x],
        expected,
        kernel: (w) => (n) => w.pvclockScaleDeltaBatch(n, P.mul, P.shift),
        outputs: fromA,
        apiCall: (i) => api.pvclockScaleDelta(x[i], P.mul, P.shift),
        apiBatch: (o) => api.pvclockScaleDeltaBatch(x, P.mul, P.shift, o),
        nativeParams: [0n, 0n, P.mul, P.shift],
      };
    }
    case 'scale_tsc': {
      const expected = new BigUint64Array(N);
      r.scaleTscBatch(x, DEMO_RATIO, DEMO_FRAC, expected);
      return {
        inputs: [x],
        expected,
        kernel: (w) => (n) => w.scaleTscBatch(n, DEMO_RATIO, DEMO_FRAC),
        outputs: fromA,
        apiCall: (i) => api.scaleTsc(x[i], DEMO_RATIO, DEMO_FRAC),
        apiBatch: (o) => api.scaleTscBatch(x, DEMO_RATIO, DEMO_FRAC, o),
        nativeParams: [DEMO_RATIO, DEMO_FRAC],
      };
    }
    case 'guest_read_b': {
      const expected = new BigUint64Array(N);
      r.guestKvmclockBatch(x, DEMO_L1_OFFSET, DEMO_RATIO, DEMO_FRAC, P, expected);
      return {
        inputs: [x],
        expected,
        kernel: (w) => (n) => w.guestKvmclockBatch(n, DEMO_L1_OFFSET, DEMO_RATIO, DEMO_FRAC, P.tscTimestamp, P.systemTime, P.mul, P.shift),
        outputs: fromA,
        // Two public calls: the guest's RDTSC (kvm_read_l1_tsc), then its pvclock read.
        apiCall: (i) => api.pvclockRead(api.readL1Tsc(x[i], DEMO_L1_OFFSET, DEMO_RATIO, DEMO_FRAC), P.tscTimestamp, P.systemTime, P.mul, P.shift),
        apiBatch: (o) => api.guestKvmclockBatch(x, DEMO_L1_OFFSET, DEMO_RATIO, DEMO_FRAC, P, o),
        nativeParams: [...pvParams, DEMO_L1_OFFSET, DEMO_RATIO, DEMO_FRAC],
      };
    }
    case 'mul_u64_u64_shr': {
      const expected = new BigUint64Array(N);
      r.mulU64U64ShrBatch(x, y, DEMO_MUL_SHIFT, expected);
      return {
        inputs: [x, y],
        expected,
        kernel: (w) => (n) => w.mulU64U64ShrBatch(n, DEMO_MUL_SHIFT),
        outputs: fromA,
        apiCall: (i) => api.mulU64U64Shr(x[i], y[i], DEMO_MUL_SHIFT),
        apiBatch: (o) => api.mulU64U64ShrBatch(x, y, DEMO_MUL_SHIFT, o),
        nativeParams: [DEMO_MUL_SHIFT],
      };
    }
    case 'kvm_get_time_scale': {
      const bases = baseFrequencies(x);
      const shift = new Int8Array(N);
      const mul = new Uint32Array(N);
      r.getTimeScaleBatch(DEMO_SCALED_HZ, bases, shift, mul);
      const expected = BigUint64Array.from({ length: N }, (_, i) => packTimeScale(shift[i], mul[i]));
      return {
        inputs: [bases],
        expected,
        kernel: (w) => (n) => {
          if (w.getTimeScaleBatch(n, DEMO_SCALED_HZ) !== n) throw new Error('unexpected hang');
        },
        outputs: (w) => {
          // u32 muls at the start of buffer B, s8 shifts after capacity u32s (assembly/batch.ts).
          const v = viewsOf(w);
          const muls = new Uint32Array(w.memory.buffer, w.batchBufferB(), N);
          const shifts = new Int8Array(w.memory.buffer, w.batchBufferB() + 4 * v.capacity, N);
          return BigUint64Array.from({ length: N }, (_, i) => packTimeScale(shifts[i], muls[i]));
        },
        apiCall: (i) => {
          const t = api.getTimeScale(DEMO_SCALED_HZ, bases[i]);
          return packTimeScale(t.shift, t.mul);
        },
        nativeParams: [DEMO_SCALED_HZ],
      };
    }
  }
}

function mismatch(what: string, got: ArrayLike<bigint>, want: ArrayLike<bigint>): string | undefined {
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) return `${what}: output ${i} is ${got[i]}, the reference gives ${want[i]}`;
  }
  return undefined;
}

let sink = 0n;
const failures: string[] = [];
const results: Result[] = [];

/** Checks, then (unless --smoke) times one JS-side implementation. */
function runJs(op: Op, impl: Impl, convPerCall: number, check: () => string | undefined, fn: () => void): void {
  if (!selected(op, impl)) return;
  const bad = check();
  if (bad !== undefined) {
    failures.push(`${op} ${impl}: ${bad}`);
    log(`FAIL ${op} ${impl}: ${bad}`);
    return;
  }
  if (flags.smoke) {
    fn();
    log(`ok   ${op} ${impl}`);
    return;
  }
  const r = measure(op, impl, convPerCall, fn, timing);
  results.push(r);
  log(`${op.padEnd(18)} ${impl.padEnd(16)} ${group(r.convPerSec).padStart(15)} conv/s  ±${r.rme.toFixed(2)}%`);
}

const simdProbe = probeSimd();
const natives = nativeBuilds();
const host = machine(natives.compiler, simdProbe.engine.reason);
log(`kvmclock bench — ${host.cpu}, ${host.cores} cores, Node ${host.node} (V8 ${host.v8}), ${host.date}`);
log(`Wasm batch engine: ${host.wasmBatchEngine}; C compiler: ${host.cc}`);
if (natives.note) log(`note: ${natives.note}`);
if (simdProbe.exports === undefined) log('note: wasm-simd skipped: the SIMD module cannot be used on this engine');

for (const op of OPS) {
  const d = defineOp(op);
  const [x, y] = d.inputs;

  // reference: the BigInt backend's batch form (for time scale, its per-element loop).
  const refOut = new BigUint64Array(N);
  const refRun = (): void => {
    switch (op) {
      case 'pvclock_read':
        referenceBackend.pvclockReadBatch(x, P, refOut);
        break;
      case 'scale_delta':
        referenceBackend.pvclockScaleDeltaBatch(x, P.mul, P.shift, refOut);
        break;
      case 'scale_tsc':
        referenceBackend.scaleTscBatch(x, DEMO_RATIO, DEMO_FRAC, refOut);
        break;
      case 'guest_read_b':
        referenceBackend.guestKvmclockBatch(x, DEMO_L1_OFFSET, DEMO_RATIO, DEMO_FRAC, P, refOut);
        break;
      case 'mul_u64_u64_shr':
        referenceBackend.mulU64U64ShrBatch(x, y, DEMO_MUL_SHIFT, refOut);
        break;
      case 'kvm_get_time_scale': {
        const s = new Int8Array(N);
        const m = new Uint32Array(N);
        referenceBackend.getTimeScaleBatch(DEMO_SCALED_HZ, x, s, m);
        for (let i = 0; i < N; i++) refOut[i] = packTimeScale(s[i], m[i]);
        break;
      }
    }
    sink ^= refOut[0];
  };
  runJs(op, 'reference', N, () => (refRun(), mismatch('reference batch', refOut, d.expected)), refRun);

  // wasm / wasm-simd: the raw batch export on a private instance, in place over its buffer.
  for (const [impl, build] of [['wasm', 'scalar'], ['wasm-simd', 'simd']] as const) {
    if (build === 'simd' && simdProbe.exports === undefined) continue;
    if (build === 'simd' && op === 'kvm_get_time_scale') continue; // no SIMD form: data-dependent loops and a division
    const w = instantiate(build);
    const v = viewsOf(w);
    const kernel = d.kernel(w);
    const load = () => {
      v.a.set(x);
      if (y !== undefined) v.b.set(y);
    };
    runJs(
      op,
      impl,
      N,
      () => {
        load();
        kernel(N);
        return mismatch(`${build} module`, d.outputs(w), d.expected);
      },
      () => {
        kernel(N);
        sink ^= v.a[N - 1];
      },
    );
  }

  // api-call: one validated public call per conversion.
  const apiOut = new BigUint64Array(N);
  const apiRun = () => {
    for (let i = 0; i < N; i++) apiOut[i] = d.apiCall(i);
    sink ^= apiOut[N - 1];
  };
  runJs(op, 'api-call', N, () => (apiRun(), mismatch('public scalar API', apiOut, d.expected)), apiRun);

  // api-batch: the public batch function (validation, chunk copies in and out).
  if (d.apiBatch !== undefined) {
    const batchOut = new BigUint64Array(N);
    const apiBatch = d.apiBatch;
    const batchRun = () => {
      apiBatch(batchOut);
      sink ^= batchOut[N - 1];
    };
    runJs(op, 'api-batch', N, () => (batchRun(), mismatch('public batch API', batchOut, d.expected)), batchRun);
  }

  // native C: its first pass is checked through its checksum and three probes.
  for (const impl of ['native-c-scalar', 'native-c-vector'] as const satisfies readonly NativeImpl[]) {
    const exe = natives.executables[impl];
    if (exe === undefined || !selected(op, impl)) continue;
    if (impl === 'native-c-vector' && op === 'kvm_get_time_scale') continue; // the same scalar loop: nothing to vectorise
    const samples = flags.smoke ? 1 : flags.quick ? 5 : 20;
    const minNs = flags.smoke ? 1e6 : flags.quick ? 2e7 : 1e8;
    const run = runNative(exe, op, N, SEED, samples, minNs, d.nativeParams);
    const want = d.expected.reduce((a, b) => a + b, 0n);
    const probes = [d.expected[0], d.expected[N >> 1], d.expected[N - 1]];
    if (BigInt.asUintN(64, want) !== run.checksum || run.probes.some((p, i) => p !== probes[i])) {
      const bad = `checksum ${run.checksum} / probes ${run.probes.join(' ')}, reference ${BigInt.asUintN(64, want)} / ${probes.join(' ')}`;
      failures.push(`${op} ${impl}: ${bad}`);
      log(`FAIL ${op} ${impl}: ${bad}`);
      continue;
    }
    if (flags.smoke) {
      log(`ok   ${op} ${impl}`);
      continue;
    }
    const r = fromSamples(op, impl, run.samples);
    results.push(r);
    log(`${op.padEnd(18)} ${impl.padEnd(16)} ${group(r.convPerSec).padStart(15)} conv/s  ±${r.rme.toFixed(2)}%`);
  }
}

// ---------------------------------------------------------------------------
// Paired rounds: the acceptance ratios again, as alternating samples. On a shared machine the
// speed can change between the suites above (seconds apart); here every round times wasm-simd
// and then each native variant right after it, so a round's ratio compares like with like.

interface PairedRatio {
  readonly op: string;
  readonly ratio: string;
  readonly rounds: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}
const PAIRS = [
  ['pvclock_read', 'native-c-scalar'],
  ['pvclock_read', 'native-c-vector'],
  ['guest_read_b', 'native-c-scalar'],
] as const;
const paired: PairedRatio[] = [];
if (!flags.smoke && simdProbe.exports !== undefined) {
  const rounds = flags.quick ? 5 : 11;
  const sampleNs = flags.quick ? 1e8 : 2e8;
  for (const op of new Set(PAIRS.map(([o]) => o))) {
    const natives_ = PAIRS.filter(([o, impl]) => o === op && natives.executables[impl] !== undefined && selected(op, 'wasm-simd') && selected(op, impl)).map(([, impl]) => impl);
    if (natives_.length === 0) continue;
    const d = defineOp(op);
    const w = instantiate('simd');
    const v = viewsOf(w);
    v.a.set(d.inputs[0]);
    const kernel = d.kernel(w);
    /** Conversions per second of wasm-simd over at least sampleNs. */
    const wasmSample = (): number => {
      let calls = 0;
      const t0 = process.hrtime.bigint();
      let t = t0;
      while (t - t0 < BigInt(sampleNs)) {
        for (let k = 0; k < 64; k++) kernel(N);
        calls += 64;
        t = process.hrtime.bigint();
      }
      sink ^= v.a[N - 1];
      return (calls * N) / (Number(t - t0) / 1e9);
    };
    for (let k = 0; k < 200; k++) kernel(N); // tier up before the first round
    const perRound = new Map<string, number[]>(natives_.map((impl) => [impl, []]));
    for (let r = 0; r < rounds; r++) {
      for (const impl of natives_) {
        const wasm = wasmSample();
        const nativeNs = runNative(natives.executables[impl] as string, op, N, SEED, 1, sampleNs, d.nativeParams).samples[0];
        perRound.get(impl)?.push(wasm * (nativeNs / 1e9));
      }
    }
    for (const impl of natives_) {
      const xs = [...(perRound.get(impl) ?? [])].sort((a, b) => a - b);
      const row: PairedRatio = { op, ratio: `wasm-simd / ${impl}`, rounds, median: xs[xs.length >> 1], min: xs[0], max: xs[xs.length - 1] };
      paired.push(row);
      log(`${op.padEnd(18)} ${row.ratio.padEnd(30)} paired: median ${row.median.toFixed(2)}× (${row.min.toFixed(2)}–${row.max.toFixed(2)}×, ${rounds} rounds)`);
    }
  }
}

// ---------------------------------------------------------------------------
// All cores: the streaming mode (ramp generated, converted and summed inside Wasm per worker).

interface ParallelRow {
  readonly op: string;
  readonly workers: number;
  readonly conversions: number;
  readonly convPerSec: number;
  readonly seconds: number;
  readonly startupSeconds: number;
  readonly checksum: string;
  readonly samplesVerified: number;
  readonly rssGrowthMiB: number;
}
const parallel: ParallelRow[] = [];
const cores = availableParallelism();
for (const op of ['pvclock_read', 'guest_read_b'] as const) {
  if (!selected(op, 'workers')) continue;
  const spec = PRESET_SPECS[op];
  const count = flags.smoke ? 1_000_000 : flags.quick ? (op === 'pvclock_read' ? 400_000_000 : 150_000_000) : op === 'pvclock_read' ? 4_000_000_000 : 1_500_000_000;
  // The prefix checksum pins the whole pipeline (ramp, kernel, sum) to the reference.
  const prefix = 20_000;
  if (runConversions({ spec, count: prefix }).checksum !== referenceChecksum(referenceBackend, spec, DEFAULT_RAMP, 0, prefix)) {
    failures.push(`${op} streaming: prefix checksum differs from the reference`);
  }
  const checksums = new Set<bigint>();
  for (const workers of [...new Set([1, cores])]) {
    const r = await parallelConversions({ spec, count, workers });
    checksums.add(r.checksum);
    const bad = verifySamples(referenceBackend, spec, DEFAULT_RAMP, r.samples);
    if (bad.length > 0) failures.push(`${op} ${workers} workers: ${bad[0]}`);
    const row: ParallelRow = {
      op,
      workers,
      conversions: count,
      convPerSec: count / (r.wallNs / 1e9),
      seconds: r.wallNs / 1e9,
      startupSeconds: r.startupNs / 1e9,
      checksum: `0x${r.checksum.toString(16).padStart(16, '0')}`,
      samplesVerified: r.samples.length,
      rssGrowthMiB: r.rssGrowth / 2 ** 20,
    };
    parallel.push(row);
    log(`${op.padEnd(18)} ${`${workers} worker${workers > 1 ? 's' : ''}`.padEnd(16)} ${group(row.convPerSec).padStart(15)} conv/s  (${row.seconds.toFixed(2)} s, ${row.samplesVerified} samples = reference)`);
  }
  if (checksums.size > 1) failures.push(`${op}: the checksum depends on the number of workers`);
}

// ---------------------------------------------------------------------------
// Report

const find = (op: string, impl: string) => results.find((r) => r.op === op && r.impl === impl);
const RATIOS = [
  ['wasm-simd', 'native-c-scalar'],
  ['wasm-simd', 'reference'],
  ['wasm-simd', 'native-c-vector'],
] as const;
const ratios = OPS.flatMap((op) =>
  RATIOS.flatMap(([a, b]) => {
    const x = find(op, a);
    const y = find(op, b);
    return x && y ? [{ op, ratio: `${a} / ${b}`, value: x.convPerSec / y.convPerSec }] : [];
  }),
);
const scaling = ['pvclock_read', 'guest_read_b'].flatMap((op) => {
  const one = parallel.find((p) => p.op === op && p.workers === 1);
  const all = parallel.find((p) => p.op === op && p.workers === cores);
  return one && all && cores > 1 ? [{ op, ratio: `${cores} workers / 1 worker`, value: all.convPerSec / one.convPerSec }] : [];
});

if (flags.json) {
  out(JSON.stringify({ machine: host, results, ratios: [...ratios, ...scaling], pairedRatios: paired, parallel, failures, sink: String(sink) }, null, 2));
} else if (!flags.smoke) {
  out(`kvmclock benchmarks — ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, ${host.platform}`);
  out(`Node ${host.node}, V8 ${host.v8}, ${host.cc}; ${host.date}`);
  out(`Wasm batch engine: ${host.wasmBatchEngine}. N = ${N} u64 per call, in place; seeded inputs checked against the reference first.`);
  if (natives.note) out(`note: ${natives.note}`);
  out('');
  out(table(['op', 'impl', 'conversions/s', 'ns/conv', '±rme', 'samples'], results.map(resultRow)));
  out('');
  out(table(['op', 'ratio', 'value'], [...ratios, ...scaling].map((r) => [r.op, r.ratio, `${r.value.toFixed(2)}×`])));
  out('');
  if (paired.length > 0) {
    out('Paired rounds (each round times wasm-simd, then the native variant right after it):');
    out(table(['op', 'ratio', 'median', 'min', 'max', 'rounds'], paired.map((p) => [p.op, p.ratio, `${p.median.toFixed(2)}×`, `${p.min.toFixed(2)}×`, `${p.max.toFixed(2)}×`, String(p.rounds)])));
    out('');
  }
  out(
    table(
      ['op', 'workers', 'conversions', 'conversions/s', 'seconds', '+ startup s', 'checksum', 'samples ok', 'RSS growth MiB'],
      parallel.map((p) => [p.op, String(p.workers), group(p.conversions), group(p.convPerSec), p.seconds.toFixed(2), p.startupSeconds.toFixed(2), p.checksum, String(p.samplesVerified), p.rssGrowthMiB.toFixed(1)]),
      1,
    ),
  );
  out(`(sink ${sink & 0xffffn})`);
}
if (flags.smoke) log(failures.length === 0 ? 'bench --smoke: every suite agrees with the reference' : `bench --smoke: ${failures.length} failure(s)`);
if (failures.length > 0) {
  for (const f of failures) log(`FAIL ${f}`);
  process.exitCode = 1;
}
