/**
 * Billions of conversions on all cores: the range [0, count) of a synthetic TSC ramp is cut
 * into jobs that workers run with {@link runConversions} (each worker its own Wasm instance,
 * constant memory), and the per-job checksums (wrapping sums) add up to the checksum of the
 * whole range, whatever the split.
 */
import type { EngineChoice, ConversionSample, ConversionSpec, RampSource, RunConversionsOptions, ConversionRun } from '../stream/index.js';
import { DEFAULT_RAMP, validateSpec } from '../stream/index.js';
import { siblingModule, WorkerPool } from './pool.js';

/** What {@link parallelConversions} runs. */
export interface ParallelConversionsOptions {
  readonly spec: ConversionSpec;
  readonly count: number;
  readonly workers: number;
  readonly source?: RampSource;
  /** Jobs per worker (load balancing); default 4. */
  readonly jobsPerWorker?: number;
  /** One sample every this many chunks of 4096 conversions; default 256, or sparser so that a run keeps at most {@link MAX_SAMPLES}. */
  readonly sampleEveryChunks?: number;
  readonly engine?: EngineChoice;
  /** Called with the RSS (bytes) every 50 ms while the run lasts. */
  readonly onRss?: (rss: number) => void;
}

/** The combined result. */
export interface ParallelConversionsResult {
  readonly count: number;
  readonly workers: number;
  readonly jobs: number;
  /** Wrapping sum of every output. */
  readonly checksum: bigint;
  readonly samples: readonly ConversionSample[];
  /** Wall time of the conversions, from the first job sent to the last result received, ns. */
  readonly wallNs: number;
  /** Wall time of starting the workers and one warm-up job on each (not part of wallNs), ns. */
  readonly startupNs: number;
  /** Sum of the jobs' own conversion-loop times, ns. */
  readonly busyNs: number;
  readonly simd: boolean;
  readonly engine: string;
  /** Largest RSS seen during the run minus the RSS before it, bytes. */
  readonly rssGrowth: number;
}

/** The most samples a run keeps by default: memory stays bounded however many conversions run. */
export const MAX_SAMPLES = 65_536;

/** The default sampling interval (in chunks of 4096) for a run of `count` conversions: every 256th chunk, sparser past {@link MAX_SAMPLES} samples. */
export function sampleEveryChunksFor(count: number): number {
  return Math.max(256, Math.ceil(count / 4096 / MAX_SAMPLES));
}

/** Runs `count` conversions of the ramp on `workers` worker threads. */
export async function parallelConversions(options: ParallelConversionsOptions): Promise<ParallelConversionsResult> {
  const spec = validateSpec(options.spec);
  const source = options.source ?? DEFAULT_RAMP;
  const { count, workers } = options;
  const perJob = Math.max(4096, Math.ceil(count / (workers * (options.jobsPerWorker ?? 4)) / 4096) * 4096);
  const sampleEveryChunks = options.sampleEveryChunks ?? sampleEveryChunksFor(count);
  const jobs: RunConversionsOptions[] = [];
  for (let first = 0; first < count; first += perJob) {
    jobs.push({ spec, source, count: Math.min(perJob, count - first), first, sampleEveryChunks, engine: options.engine });
  }
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => {
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
    options.onRss?.(rss);
  }, 50);
  const task = siblingModule('./', 'conversion-task');
  const pool = new WorkerPool({ workers });
  const s0 = performance.now();
  let t0 = s0;
  let runs: ConversionRun[];
  try {
    // Warm-up: every worker loads the task module and instantiates its Wasm before the clock
    // starts (jobs long enough that each idle worker takes one).
    const warm = { spec, source, count: 1 << 21, first: 0, sampleEveryChunks: 0, engine: options.engine };
    await Promise.all(Array.from({ length: workers }, () => pool.run(task, 'conversionJob', warm)));
    t0 = performance.now();
    runs = await Promise.all(jobs.map((job) => pool.run<ConversionRun>(task, 'conversionJob', job)));
  } finally {
    clearInterval(timer);
    await pool.destroy().catch(() => undefined);
  }
  const wallNs = Math.round((performance.now() - t0) * 1e6);
  peak = Math.max(peak, process.memoryUsage().rss);
  let checksum = 0n;
  let busyNs = 0;
  const samples: ConversionSample[] = [];
  for (const r of runs) {
    checksum += r.checksum;
    busyNs += r.elapsedNs;
    samples.push(...r.samples);
  }
  return {
    count,
    workers,
    jobs: jobs.length,
    checksum: BigInt.asUintN(64, checksum),
    samples,
    wallNs,
    startupNs: Math.round((t0 - s0) * 1e6),
    busyNs,
    simd: runs.every((r) => r.simd),
    engine: runs[0]?.engine ?? 'none',
    rssGrowth: peak - rss0,
  };
}
