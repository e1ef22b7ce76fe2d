/** Task functions for test/parallel.test.ts, run inside pool workers. */
import { threadId } from 'node:worker_threads';
import { KernelRuleError } from '../src/errors.js';
import { kvmclock } from '../src/index.js';

/** A job's value doubled, with the worker's thread id. */
export function double(job: { x: bigint }): { y: bigint; thread: number } {
  return { y: job.x * 2n, thread: threadId };
}

/** Uses the Wasm backend inside the worker (its own instances). */
export function timeScale(job: { khz: number }): { shift: number; mul: number } {
  return kvmclock('wasm').getTimeScale(1_000_000_000n, BigInt(job.khz) * 1000n);
}

/** Throws a kvmclock error: its class name, code and properties must reach the caller. */
export function kernelRule(): never {
  throw new KernelRuleError('hang', 'kvm_get_time_scale never terminates (test)', 42n);
}

/** Throws an error with a Node-style code. */
export function nodeCode(): never {
  throw Object.assign(new Error('no such file (test)'), { code: 'ENOENT' });
}

/** The worker exits in the middle of the job. */
export function exits(): never {
  process.exit(3);
}

/** An uncaught exception outside the job's promise kills the worker. */
export function crashes(): Promise<never> {
  setTimeout(() => {
    throw new Error('asynchronous crash (test)');
  }, 1);
  return new Promise(() => undefined);
}

/** Sleeps a little, so that jobs overlap across workers. */
export async function slowDouble(job: { x: number }): Promise<number> {
  await new Promise((r) => setTimeout(r, 20));
  return job.x * 2;
}
