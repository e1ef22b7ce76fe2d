/**
 * `npm run bench:sweep`: the drift sweep at scale, measured (not a test): a 10^5-point exact
 * sweep and a sampled sweep of 10^10 conversions (3 per sample: A, B and C), on all cores,
 * streaming the results (counted, not kept). Prints time, points/s, conversions/s and RSS.
 *
 * Flags: --workers N (default: all cores), --quick (10^4 points, 10^9 conversions),
 * --json (one JSON document).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { machine } from './harness.js';
import { wasmBatchEngine } from '../src/wasm/instance.js';
import { type Grid, gridSize, parseKhzList } from '../src/sweep/grid.js';
import { runSweep } from '../src/sweep/run.js';

const { values: flags } = parseArgs({ options: { workers: { type: 'string' }, quick: { type: 'boolean' }, json: { type: 'boolean' } } });
const workers = flags.workers === undefined ? availableParallelism() : Number(flags.workers);

interface Row {
  readonly name: string;
  readonly points: number;
  readonly samplesPerPoint: number;
  readonly seconds: number;
  readonly pointsPerSec: number;
  readonly conversions: number;
  readonly convPerSec: number;
  readonly rssPeakMiB: number;
}

async function measure(name: string, grid: Grid, samples: bigint): Promise<Row> {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const started = performance.now();
  let points = 0;
  let conversions = 0;
  for await (const r of runSweep({ grid, samples, workers, backend: 'wasm' }, (p) => {
    conversions = p.conversionsDone;
    peak = Math.max(peak, process.memoryUsage().rss);
  })) {
    if (r.index < 0) throw new Error('unreachable');
    points++;
  }
  const seconds = (performance.now() - started) / 1000;
  return { name, points, samplesPerPoint: Number(samples), seconds, pointsPerSec: points / seconds, conversions, convPerSec: conversions / seconds, rssPeakMiB: peak / 2 ** 20 };
}

const exactGrid: Grid = {
  hostKhz: parseKhzList(flags.quick ? '2000000:2009000:1000' : '2000000:2049000:1000', 'host'),
  guestKhz: parseKhzList('1000000:3495000:5000', 'guest'),
  vendors: ['vmx', 'svm'],
  horizonsS: flags.quick ? [86_400n] : [86_400n, 2_592_000n],
  tolerancePpm: 250,
};
const sampledGrid: Grid = {
  hostKhz: parseKhzList('2500000,3000000', 'host'),
  guestKhz: parseKhzList('1000000:3400000:100000', 'guest'),
  vendors: ['vmx', 'svm'],
  horizonsS: [86_400n],
  tolerancePpm: 250,
};
const targetConversions = flags.quick ? 1e9 : 1e10;
const samples = BigInt(Math.ceil(targetConversions / 3 / gridSize(sampledGrid)));

const rows = [await measure(`exact sweep, ${gridSize(exactGrid)} points`, exactGrid, 0n), await measure(`sampled sweep, ${gridSize(sampledGrid)} points × ${samples} samples`, sampledGrid, samples)];
const host = machine('n/a', wasmBatchEngine().reason);
if (flags.json) {
  process.stdout.write(`${JSON.stringify({ machine: host, workers, results: rows })}\n`);
} else {
  process.stdout.write(`${host.cpu}, ${host.cores} cores, Node ${host.node} (V8 ${host.v8}), ${host.date}; ${workers} worker(s)\n`);
  for (const r of rows) {
    process.stdout.write(
      `${r.name}: ${r.seconds.toFixed(2)} s, ${Math.round(r.pointsPerSec).toLocaleString('en')} points/s` +
        (r.conversions > 0 ? `, ${(r.conversions / 1e9).toFixed(2)}×10^9 conversions at ${(r.convPerSec / 1e9).toFixed(2)} G/s` : '') +
        `, peak RSS ${r.rssPeakMiB.toFixed(0)} MiB\n`,
    );
  }
}
