/**
 * `npm run bench:output`: large outputs, measured (not a test). The sweep's worst-points
 * table at 10^6 rows: (1) `--top` keeping N of 10^6 points (a heap; the old code sorted its
 * list on every insert), (2) rendering and streaming the 10^6-row table, (3) the table
 * renderer on 10^6 generic rows (what a long timeline prints). Prints time and memory per
 * phase: the heap retained after it and the process's peak RSS so far.
 *
 * The 10^6 points are 2,000 exactly computed sweep points repeated with distinct indices and
 * drifts (computing 10^6 points is the sweep's own benchmark, `npm run bench:sweep`).
 *
 * With --compare-old, also the top-N this replaced (the kept list sorted again on every
 * insert) on --old-rows points (default 100,000) at N = 20,000, for scale.
 *
 * Flags: --rows N (default 1,000,000), --top N (default: every row), --compare-old,
 * --old-rows N, --json.
 */
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { kvmclock } from '../src/index.js';
import { streamWriter, writeLines } from '../src/cli/stream-writer.js';
import { type TopRow, topRow, writeSummary } from '../src/cli/sweep-table.js';
import { tableLines } from '../src/cli/table.js';
import { evaluatePoint, type ExactPoint } from '../src/sweep/exact-point.js';
import { type SweepResult, TopN, worstDrift } from '../src/sweep/format.js';
import { type Grid, gridSize, parseKhzList, pointAt } from '../src/sweep/grid.js';
import { machine } from './harness.js';
import { wasmBatchEngine } from '../src/wasm/instance.js';

const { values: flags } = parseArgs({ options: { rows: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' }, 'compare-old': { type: 'boolean' }, 'old-rows': { type: 'string' } } });
const ROWS = flags.rows === undefined ? 1_000_000 : Number(flags.rows);
const TOP = flags.top === undefined ? ROWS : Number(flags.top);

interface Phase {
  readonly name: string;
  readonly seconds: number;
  /** V8 heap in use after the phase (after a GC when --expose-gc is on), MiB. */
  readonly heapMiB: number;
  /** Peak resident set of the process up to the end of the phase, MiB. */
  readonly peakRssMiB: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const phases: Phase[] = [];

async function phase<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  gc?.();
  const t0 = performance.now();
  const value = await work();
  const seconds = (performance.now() - t0) / 1000;
  gc?.();
  phases.push({ name, seconds, heapMiB: process.memoryUsage().heapUsed / 2 ** 20, peakRssMiB: process.resourceUsage().maxRSS / 1024 });
  return value;
}

/** A sink that accepts everything (stdout would measure the terminal), counting bytes. */
function discard(): { stream: Writable; bytes: () => number } {
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  });
  return { stream, bytes: () => bytes };
}

// 2,000 real points: 2 hosts × 500 guests × 2 vendors × 1 day.
const grid: Grid = { hostKhz: parseKhzList('2500000,3000000', 'host'), guestKhz: parseKhzList('1000000:3495000:5000', 'guest'), vendors: ['vmx', 'svm'], horizonsS: [86_400n], tolerancePpm: 250 };
const api = kvmclock('wasm');
const base = Array.from({ length: gridSize(grid) }, (_, i) => evaluatePoint(api, pointAt(grid, i), 250).point);

/** Point i of the synthetic stream: a real point with its own index and a drift that varies with i. */
function pointOf(i: number): SweepResult {
  const p = base[i % base.length] as ExactPoint;
  const shift = BigInt((i * 7919) % 1_000_003);
  return { ...p, index: i, bMinusA: p.bMinusA + shift, bMinusC: p.bMinusC - shift };
}

const top = await phase(`--top ${TOP.toLocaleString('en')}: offer ${ROWS.toLocaleString('en')} points (rows rendered when kept)`, () => {
  const t = new TopN<TopRow>(TOP);
  for (let i = 0; i < ROWS; i++) {
    const r = pointOf(i);
    t.offer(worstDrift(r), r.index, () => topRow(r, 0n));
  }
  return t;
});
const sorted = await phase('sort the kept rows, worst first', () => top.sorted());
const sink = discard();
await phase(`render and stream the ${sorted.length.toLocaleString('en')}-row sweep table`, () =>
  writeSummary(streamWriter(sink.stream), grid, ROWS, sorted, 0, 0n, 1, { pointsDone: ROWS, pointsTotal: ROWS, conversionsDone: 0 }),
);
const tableBytes = sink.bytes();

const generic = discard();
await phase(`render and stream a ${ROWS.toLocaleString('en')}-row generic table (timeline-like)`, async () => {
  const rows = { *[Symbol.iterator]() { for (let i = 0; i < ROWS; i++) yield [`+${i}ms`, String(i % 4), BigInt(i) * 2_500_000n, BigInt(i) * 1_000_000n, BigInt(i) * 1_000_001n, `${i}`]; } };
  await writeLines(streamWriter(generic.stream), tableLines(['at', 'vCPU', 'guest TSC', 'A', 'B', 'guest read'], rows));
});

if (flags['compare-old']) {
  const rows = flags['old-rows'] === undefined ? 100_000 : Number(flags['old-rows']);
  const n = 20_000;
  await phase(`for scale, the replaced top-N (sorted on every insert), N = ${n.toLocaleString('en')}: ${rows.toLocaleString('en')} points`, () => {
    const items: SweepResult[] = [];
    for (let i = 0; i < rows; i++) {
      const r = pointOf(i);
      if (items.length === n && worstDrift(r) <= worstDrift(items[items.length - 1])) continue;
      items.push(r);
      items.sort((x, y) => {
        const d = worstDrift(y) - worstDrift(x);
        return d > 0n ? 1 : d < 0n ? -1 : x.index - y.index;
      });
      if (items.length > n) items.pop();
    }
    return items.length;
  });
  await phase(`the heap top-N at the same N = ${n.toLocaleString('en')}: ${rows.toLocaleString('en')} points`, () => {
    const t = new TopN<TopRow>(n);
    for (let i = 0; i < rows; i++) {
      const r = pointOf(i);
      t.offer(worstDrift(r), r.index, () => topRow(r, 0n));
    }
    return t.size;
  });
}

const host = machine('n/a', wasmBatchEngine().reason);
if (flags.json) {
  process.stdout.write(`${JSON.stringify({ machine: host, rows: ROWS, top: TOP, tableBytes, genericTableBytes: generic.bytes(), phases })}\n`);
} else {
  process.stdout.write(`${host.cpu}, ${host.cores} cores, Node ${host.node} (V8 ${host.v8}), ${host.date}${gc ? '' : ' (run with --expose-gc for exact heap figures)'}\n`);
  for (const p of phases) process.stdout.write(`${p.name}: ${p.seconds.toFixed(2)} s, heap ${p.heapMiB.toFixed(0)} MiB after, peak RSS ${p.peakRssMiB.toFixed(0)} MiB\n`);
  process.stdout.write(`sweep table ${(tableBytes / 2 ** 20).toFixed(0)} MiB, generic table ${(generic.bytes() / 2 ** 20).toFixed(0)} MiB (discarded)\n`);
}
