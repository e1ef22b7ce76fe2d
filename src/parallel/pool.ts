/**
 * A generic worker-thread pool (piscina underneath): runs an exported task function of a
 * module over a list of jobs on N workers, each worker a separate JS realm with its own
 * Wasm instances. Errors come back with their `code`; a worker that throws, exits or
 * crashes rejects its job instead of hanging the run, and {@link runJobs} then stops
 * the remaining jobs and the workers.
 *
 * Works from the compiled package (dist/*.js) and from the TypeScript sources: when this
 * file runs as .ts (tsx, vitest), workers are started with tsx's loader so that they can
 * import .ts task modules too.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';

import { InternalError } from '../errors.js';
import type { SerializedError, WorkerRequest, WorkerResponse } from './worker-entry.js';

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

function workerExecArgv(): string[] {
  const argv = process.execArgv;
  if (OWN_EXT === '.js' || argv.some((a) => a.includes('tsx'))) return [...argv];
  return [...argv, '--import', 'tsx'];
}

/** Options of {@link WorkerPool} and {@link runJobs}. */
export interface PoolOptions {
  /** Number of worker threads; default: available parallelism. */
  readonly workers?: number;
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
    });
    // A worker's uncaught exception rejects the job it was running (see run); piscina also
    // emits it on the pool, where without a listener it would crash the calling thread.
    this.#piscina.on('error', () => undefined);
  }

  /**
   * Runs `exportName` of `module` (a path or URL; its default export is not used) on one
   * job in a worker. Rejects with {@link WorkerTaskError} when the task throws and with
   * InternalError when the worker exits or crashes.
   */
  async run<R = unknown>(module: string | URL, exportName: string, job: unknown): Promise<R> {
    const request: WorkerRequest = { module: String(module instanceof URL ? module.href : module.startsWith('file:') ? module : new URL(module, `file://${process.cwd()}/`).href), exportName, job };
    let response: WorkerResponse;
    try {
      response = (await this.#piscina.run(request)) as WorkerResponse;
    } catch (e) {
      throw new InternalError(`worker thread failed running ${exportName}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
    if (!response.ok) throw new WorkerTaskError(response.error);
    return response.value as R;
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
