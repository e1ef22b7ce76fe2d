/**
 * Failures that come from the machine or the engine rather than from kvmclock: a worker
 * thread (or this thread) that cannot get memory, a worker that died under us. They become
 * {@link EnvironmentError}s (code `environment`, reason `memory` or `worker`) whose message
 * says what to change, so the CLI reports them as such (exit 2) and not as a bug.
 */
import { EnvironmentError } from '../errors.js';

/** How V8 and Node word an allocation the machine refused (ulimit -v, a container limit, a worker heap limit). */
const OUT_OF_MEMORY = /out of memory|cannot allocate|could not allocate|allocation failed|reached heap limit|ERR_WORKER_OUT_OF_MEMORY|ENOMEM/i;

const text = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  const cause = (e as { cause?: unknown }).cause;
  return `${typeof code === 'string' ? `${code} ` : ''}${e.message}${cause === undefined ? '' : ` ${text(cause)}`}`;
};

/** The engine's own words, without our prefixes, for the message. */
const detail = (e: unknown): string => (e instanceof Error ? e.message.replace(/^kvmclock internal error: /, '') : String(e));

/** True when an error (or its cause) says that memory could not be had. */
export function isOutOfMemory(e: unknown): boolean {
  return OUT_OF_MEMORY.test(text(e));
}

/** The error for a thread that could not get memory. */
export function outOfMemory(e: unknown, where: string): EnvironmentError {
  return new EnvironmentError(
    'memory',
    `${where} could not get memory (${detail(e)}); each worker thread needs its own engine and Wasm memory: use fewer workers (--workers), or raise the limit (ulimit -v, the container's memory limit)`,
    { cause: e },
  );
}

/**
 * The error for a worker thread that failed outside the task (it exited, crashed or could
 * not start): out of memory when that is what it says, otherwise reason `worker`.
 */
export function workerFailure(e: unknown, task: string): EnvironmentError {
  if (isOutOfMemory(e)) return outOfMemory(e, `a worker thread running ${task}`);
  return new EnvironmentError(
    'worker',
    `a worker thread stopped while running ${task} (${detail(e)}); the run was stopped and its workers ended. Retry, with fewer workers (--workers) if the machine is short of memory or threads`,
    { cause: e },
  );
}
