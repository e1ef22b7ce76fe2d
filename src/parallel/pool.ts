/**
 * A generic worker-thread pool (piscina underneath): runs an exported task function of a
 * module over a list of jobs on N workers, each worker a separate JS realm with its own
 * Wasm instances. Errors come back with their `code`; a worker that throws, exits or
 * crashes rejects its job instead of hanging the run, and {@link runJobs} then stops
 * the remaining jobs and the workers.
 *
 * A failure of the machine or the engine rather than of the task (a worker that exits,
 * crashes, cannot start or cannot get memory) rejects as an {@link EnvironmentError}
 * (reason `worker` or `memory`).
 *
 * Works from the compiled package (dist/*.js) and from the TypeScript sources: when this
 * file runs as .ts (tsx, vitest), workers are started with tsx's loader so that they can
 * import .ts task modules too.
 */
import { availableParallelism } from 'node:os';
import type { Piscina as PiscinaClass } from 'piscina';
import { importOptional } from '../optional-package.js';

import type { ResourceLimits } from 'node:worker_threads';
import { EnvironmentError } from '../errors.js';
import { isOutOfMemory, outOfMemory, workerFailure } from './environment.js';
import type { SerializedError, WorkerRequest, WorkerResponse } from './worker-entry.js';

// piscina is an optional peer dependency (the arithmetic needs none): loading this module without it
// fails with an EnvironmentError that names the package.
const { Piscina } = await importOptional<typeof import('piscina')>('piscina', "kvmclock's worker pool");
type Piscina = PiscinaClass;

const KVMCLOCK_ERROR = Symbol.for('kvmclock.error');

/** An error thrown by a task in a worker, rebuilt on the calling thread with its name, message and `code`. */
export class WorkerTaskError extends Error {
  /** The original error's `code` (a kvmclock code such as `hang`, or a Node code), if it had one. */
  readonly code: string | undefined;
  /** The stack as the worker printed it. */
  readonly workerStack: string | undefined;
  /** Other own properties of the original error (kvmclock's rule, value, argument, …). */
  readonly props: Record<string, unknown>;
  constructor(e: SerializedError) {
    super(e.message);
    this.name = e.name;
    this.code = e.code;
    this.workerStack = e.stack;
    this.props = e.props;
    // Keeps isKvmclockError(e) true for a kvmclock error thrown in a worker.
    if (e.kvmclock) Object.defineProperty(this, KVMCLOCK_ERROR, { value: true });
  }
}

/** The file extension this module runs as: '.ts' from sources, '.js' from dist/. */
const OWN_EXT = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js';

/** A sibling module of this one, as a file URL string, in the extension this module runs as. */
export function siblingModule(dir: string, name: string): string {
  return new URL(`${dir}${name}${OWN_EXT}`, import.meta.url).href;
}

/**
 * Piscina loads a worker's script with require() first. On Node versions where require()
 * can load an ES module, terminating a worker while that synchronous load is under way
 * aborts the whole process (V8 "FATAL ERROR: v8::Module::IsGraphAsync …", seen when a
 * pool of 256 workers was destroyed while most of them were still starting). Workers
 * therefore run with require(esm) switched off: the require() fails at once and piscina
 * loads the script with import(), whose loading a termination interrupts cleanly.
 */
const NO_REQUIRE_ESM = '--no-experimental-require-module';

function workerExecArgv(): string[] {
  const argv = [...process.execArgv];
  if (process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM) && !argv.includes(NO_REQUIRE_ESM)) argv.push(NO_REQUIRE_ESM);
  if (OWN_EXT === '.js' || argv.some((a) => a.includes('tsx'))) return argv;
  return [...argv, '--import', 'tsx'];
}

/** Options of {@link WorkerPool} and {@link runJobs}. */
export interface PoolOptions {
  /** Number of worker threads; default: available parallelism. */
  readonly workers?: number;
  /** Heap limits of each worker (a worker that passes them fails its job with an EnvironmentError, reason `memory`). */
  readonly resourceLimits?: ResourceLimits;
}

/** A pool of worker threads that run exported task functions of modules. */
export class WorkerPool {
  readonly workers: number;
  readonly #piscina: Piscina;

  constructor(options: PoolOptions = {}) {
    const workers = options.workers ?? availableParallelism();
    if (!Number.isSafeInteger(workers) || workers < 1) throw new RangeError(`workers must be an integer >= 1, got ${workers}`);
    this.workers = workers;
    this.#piscina = new Piscina({
      filename: siblingModule('./', 'worker-entry'),
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 1_000,
      execArgv: workerExecArgv(),
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    // A worker's uncaught exception rejects the job it was running (see run); piscina also
    // emits it on the pool, where without a listener it would crash the calling thread.
    this.#piscina.on('error', () => undefined);
  }

  /**
   * Runs `exportName` of `module` (a path or URL; its default export is not used) on one
   * job in a worker; `transfer` lists ArrayBuffers of the job to move rather than copy.
   * Rejects with {@link WorkerTaskError} when the task throws, and with an EnvironmentError
   * when the worker exits, crashes or runs out of memory (also when the task's own error is
   * the engine refusing memory, e.g. for a Wasm instance).
   */
  async run<R = unknown>(module: string | URL, exportName: string, job: unknown, transfer?: readonly ArrayBuffer[]): Promise<R> {
    const request: WorkerRequest = { module: String(module instanceof URL ? module.href : module.startsWith('file:') ? module : new URL(module, `file://${process.cwd()}/`).href), exportName, job };
    let response: WorkerResponse;
    try {
      // `transfer`: buffers of the job moved to the worker instead of copied (the caller must not use them afterwards).
      response = (await this.#piscina.run(request, transfer === undefined || transfer.length === 0 ? undefined : { transferList: [...transfer] })) as WorkerResponse;
    } catch (e) {
      throw workerFailure(e, exportName);
    }
    if (!response.ok) {
      const error = new WorkerTaskError(response.error);
      // A typed environment error (the worker's Wasm memory refused, with its remedy) keeps its own words.
      if (error.code === 'environment') throw new EnvironmentError(String(error.props.reason ?? 'worker'), error.message, { cause: error });
      throw isOutOfMemory(error) ? outOfMemory(error, `a worker thread running ${exportName}`) : error;
    }
    return response.value as R;
  }

  /** Worker threads alive now (0 once destroyed). */
  get threads(): number {
    return this.#piscina.threads.length;
  }

  /** Stops the workers (pending jobs reject). */
  async destroy(): Promise<void> {
    await this.#piscina.destroy();
  }
}

/**
 * Runs `exportName` of `module` over every job on `workers` threads and resolves to the
 * results in job order. The first failure rejects (see {@link WorkerPool.run}) and stops
 * the pool; the pool is always destroyed before this resolves or rejects.
 * @example
 * const sums = await runJobs(new URL('./task.js', import.meta.url), 'sum', [[1, 2], [3, 4]], { workers: 2 });
 */
export async function runJobs<J, R>(module: string | URL, exportName: string, jobs: readonly J[], options: PoolOptions = {}): Promise<R[]> {
  const pool = new WorkerPool({ workers: Math.max(1, Math.min(options.workers ?? availableParallelism(), jobs.length)) });
  try {
    return await Promise.all(jobs.map((job) => pool.run<R>(module, exportName, job)));
  } finally {
    await pool.destroy().catch(() => undefined);
  }
}
