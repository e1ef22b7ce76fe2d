/**
 * Measurement and reporting for bench/index.ts: one benchmark.js Benchmark per
 * (operation, implementation), results per conversion (a call converts many), the
 * machine header, the results and ratio tables, and the --json document.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import Benchmark from 'benchmark';

/** One measured (op, impl). */
export interface Result {
  readonly op: string;
  readonly impl: string;
  readonly convPerSec: number;
  readonly nsPerConv: number;
  /** Relative margin of error, % (95 %). */
  readonly rme: number;
  readonly samples: number;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cc: string;
  readonly wasmBatchEngine: string;
  readonly date: string;
}

/** The machine header. */
export function machine(cc: string, wasmBatchEngine: string): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const info = execFileSync('lscpu', { encoding: 'utf8' });
    const family = /CPU family:\s*(\d+)/.exec(info)?.[1];
    const model = /^Model:\s*(\d+)/m.exec(info)?.[1];
    if (family && model) cpu = `${cpu} (family ${family}, model ${model})`;
  } catch {
    // lscpu is optional
  }
  return {
    cpu,
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cc,
    wasmBatchEngine,
    date: new Date().toISOString(),
  };
}

/** Timing options: `quick` keeps a whole run under a minute. */
export interface TimingOptions {
  readonly maxTime: number;
  readonly minSamples: number;
}

export const FULL: TimingOptions = { maxTime: 3, minSamples: 10 };
export const QUICK: TimingOptions = { maxTime: 0.25, minSamples: 5 };

/** Times `fn` (one call = `convPerCall` conversions) with benchmark.js. */
export function measure(op: string, impl: string, convPerCall: number, fn: () => void, timing: TimingOptions): Result {
  const bench = new Benchmark(`${op} ${impl}`, fn, { maxTime: timing.maxTime, minSamples: timing.minSamples, initCount: 1 });
  bench.run();
  if (bench.error) throw bench.error;
  const convPerSec = bench.hz * convPerCall;
  return { op, impl, convPerSec, nsPerConv: 1e9 / convPerSec, rme: bench.stats.rme, samples: bench.stats.sample.length };
}

// Two-sided 95 % critical values of Student's t by degrees of freedom (1.96 beyond 30).
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** A result from externally timed samples (ns per conversion each), with benchmark.js's rme. */
export function fromSamples(op: string, impl: string, nsPerConv: readonly number[]): Result {
  const n = nsPerConv.length;
  const mean = nsPerConv.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? nsPerConv.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const sem = Math.sqrt(variance / n);
  const rme = n > 1 ? ((sem * (T95[n - 2] ?? 1.96)) / mean) * 100 : 0;
  return { op, impl, convPerSec: 1e9 / mean, nsPerConv: mean, rme, samples: n };
}

/** Thousands-separated integer. */
export function group(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

/** A plain text table with right-aligned numeric columns. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], rightFrom = 2): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Formatting of a result row. */
export function resultRow(r: Result): string[] {
  return [r.op, r.impl, group(r.convPerSec), r.nsPerConv < 10 ? r.nsPerConv.toFixed(3) : r.nsPerConv.toFixed(1), `±${r.rme.toFixed(2)}%`, String(r.samples)];
}
