/**
 * The generic worker pool: results in job order over N workers, errors from a task with
 * their class name and `code` (kvmclock errors still recognised by isKvmclockError), and no
 * hang when a worker exits or crashes (an EnvironmentError, reason `worker`). Plus the multi-worker conversion run: its checksum
 * does not depend on the number of workers and its samples match the reference.
 */
import { describe, expect, it, vi } from 'vitest';

import { isKvmclockError } from '../src/errors.js';
import { parallelConversions } from '../src/parallel/conversions.js';
import { runJobs, WorkerPool, WorkerTaskError } from '../src/parallel/pool.js';
import { referenceBackend } from '../src/reference/index.js';
import { DEFAULT_RAMP, referenceChecksum, runConversions, verifySamples, type ConversionSpec } from '../src/stream/index.js';

const TASKS = new URL('./parallel-tasks.ts', import.meta.url);

describe('runJobs', () => {
  it('runs every job on the workers and keeps job order', async () => {
    const jobs = Array.from({ length: 9 }, (_, i) => ({ x: BigInt(i) * 10n ** 20n }));
    const out = await runJobs<{ x: bigint }, { y: bigint; thread: number }>(TASKS, 'double', jobs, { workers: 2 });
    expect(out.map((o) => o.y)).toEqual(jobs.map((j) => j.x * 2n));
    expect(new Set(out.map((o) => o.thread)).size).toBeGreaterThanOrEqual(1);
  });

  it('uses two workers at once', async () => {
    const jobs = Array.from({ length: 8 }, (_, i) => ({ x: i }));
    const t0 = performance.now();
    expect(await runJobs(TASKS, 'slowDouble', jobs, { workers: 2 })).toEqual(jobs.map((j) => j.x * 2));
    expect(performance.now() - t0).toBeLessThan(8 * 20 + 2000); // not strictly sequential + startup
  });

  it('workers run the Wasm backend', async () => {
    const khz = [2_500_000, 1_000_000, 3_000_001];
    expect(await runJobs(TASKS, 'timeScale', khz.map((k) => ({ khz: k })), { workers: 2 })).toEqual(khz.map((k) => referenceBackend.getTimeScale(1_000_000_000n, BigInt(k) * 1000n)));
  });

  it('propagates a kvmclock error with its class name, code and fields', async () => {
    const e = await runJobs(TASKS, 'kernelRule', [{}], { workers: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WorkerTaskError);
    const w = e as WorkerTaskError;
    expect([w.name, w.code, w.message]).toEqual(['KernelRuleError', 'hang', 'kvm_get_time_scale never terminates (test) (value 42)']);
    expect(w.props).toMatchObject({ rule: 'kvm_get_time_scale never terminates (test)', value: 42n });
    expect(isKvmclockError(w)).toBe(true);
    expect(w.workerStack).toContain('kernelRule');
  });

  it('propagates other codes, not marked as kvmclock errors', async () => {
    const e = (await runJobs(TASKS, 'nodeCode', [{}], { workers: 1 }).catch((x: unknown) => x)) as WorkerTaskError;
    expect([e.code, e.message, isKvmclockError(e)]).toEqual(['ENOENT', 'no such file (test)', false]);
  });

  it('reports a missing export', async () => {
    await expect(runJobs(TASKS, 'nope', [{}], { workers: 1 })).rejects.toThrow(/no exported function "nope"/);
  });

  it.each(['exits', 'crashes'])('does not hang when a worker %s; the error is an EnvironmentError (reason worker) and no worker is left running', async (name) => {
    const destroy = vi.spyOn(WorkerPool.prototype, 'destroy');
    try {
      const e = await runJobs(TASKS, name, [{}, {}, {}], { workers: 2 }).catch((x: unknown) => x);
      expect(isKvmclockError(e) && e.code).toBe('environment');
      expect((e as { reason?: string }).reason).toBe('worker');
      expect(String((e as Error).message)).toMatch(/a worker thread stopped while running .*; the run was stopped and its workers ended/);
      expect(destroy).toHaveBeenCalledTimes(1);
      expect((destroy.mock.contexts[0] as WorkerPool).threads).toBe(0);
    } finally {
      destroy.mockRestore();
    }
  });

  it('a pool survives a dead worker and runs the next job', async () => {
    const pool = new WorkerPool({ workers: 1 });
    try {
      await expect(pool.run(TASKS, 'exits', {})).rejects.toThrow(/a worker thread stopped while running exits/);
      expect(await pool.run(TASKS, 'slowDouble', { x: 4 })).toBe(8);
    } finally {
      await pool.destroy();
    }
  });
});

describe('parallelConversions', () => {
  const spec: ConversionSpec = {
    op: 'guestKvmclock',
    l1Offset: 123_456_789n,
    ratio: 112_589_990_684_262n,
    frac: 48,
    pvclock: { tscTimestamp: 5_000_000n, systemTime: 1_000_000_000n, mul: 2_147_485_795, shift: 1 },
  };

  it('has the same checksum on 1 and 2 workers as in-thread, and its samples match the reference', async () => {
    const count = 3 * 4096 * 8 + 1234;
    const local = runConversions({ spec, count, sampleEveryChunks: 1 });
    const one = await parallelConversions({ spec, count, workers: 1, sampleEveryChunks: 3 });
    const two = await parallelConversions({ spec, count, workers: 2, sampleEveryChunks: 2 });
    expect(one.checksum).toBe(local.checksum);
    expect(two.checksum).toBe(local.checksum);
    expect(two.jobs).toBeGreaterThan(1);
    expect(verifySamples(referenceBackend, spec, DEFAULT_RAMP, [...one.samples, ...two.samples, ...local.samples])).toEqual([]);
    expect(two.samples.length).toBeGreaterThan(3);
  });

  it('the checksum of a prefix equals the reference checksum', () => {
    const count = 5000;
    expect(runConversions({ spec, count }).checksum).toBe(referenceChecksum(referenceBackend, spec, DEFAULT_RAMP, 0, count));
  });
});
