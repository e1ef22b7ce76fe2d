/**
 * Finding 5 of the hardening audit: only the documented exits. `eval | head -1` ends
 * quietly with 0 (it died with an unhandled EPIPE and exit 1), eval splits lines in time
 * linear in their length (it re-scanned the whole pending line for every chunk), and a
 * worker that cannot get memory or dies is an EnvironmentError (exit 2, every worker
 * ended), not "a bug" (exit 70); a worker that exits or crashes: test/parallel.test.ts. Workers load their modules with require(esm) switched off,
 * the load whose interruption aborted a 256-worker process (V8 "IsGraphAsync"), and a
 * sweep never starts more workers than it has jobs.
 */
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lines } from '../../src/cli/commands/eval.js';
import { exitCodeFor } from '../../src/cli/main.js';
import { EnvironmentError, InternalError } from '../../src/errors.js';
import { runJobs, WorkerPool } from '../../src/parallel/pool.js';
import { planSweep } from '../../src/sweep/run.js';

const BIN = fileURLToPath(new URL('../../bin/kvmclock.js', import.meta.url));
const TASKS = new URL('./worker-tasks.ts', import.meta.url);

afterEach(() => vi.restoreAllMocks());

describe('eval', () => {
  it('| head -1: exit 0, nothing on stderr', () => {
    const script = `yes 'time_scale 1000000000 2500000000' | head -n 400000 | "${process.execPath}" "${BIN}" eval 2>"$ERR" | head -n 1; echo "\${PIPESTATUS[2]}"`;
    const dir = spawnSync('mktemp', ['-d'], { encoding: 'utf8' }).stdout.trim();
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, ERR: `${dir}/err` } });
    const [first, status] = r.stdout.trim().split('\n');
    expect(first).toBe('-1 3435973836');
    expect(status).toBe('0');
    expect(spawnSync('cat', [`${dir}/err`], { encoding: 'utf8' }).stdout).toBe('');
    spawnSync('rm', ['-rf', dir]);
  });

  // The old splitter took 30 s on this input (7 s at half the size: quadratic); now well under a second.
  it('splits a 16 MiB line arriving in 16 KiB chunks in linear time (the old splitter re-scanned it per chunk)', async () => {
    const chunk = 'x'.repeat(16_384);
    const count = 1024;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < count; i++) yield Buffer.from(chunk);
        yield Buffer.from('\nscale_delta 1 1 0\n');
      })(),
    );
    const out: number[] = [];
    for await (const line of lines(source)) out.push(line.length);
    expect(out).toEqual([chunk.length * count, 'scale_delta 1 1 0'.length]);
  }, 10_000);

  it('keeps multi-byte characters split across chunks, and CRLF / lone CR as before', async () => {
    const text = Buffer.from('é\r\na\rb\nlast');
    const parts = [text.subarray(0, 1), text.subarray(1, 4), text.subarray(4)];
    const got: string[] = [];
    for await (const line of lines(Readable.from(parts))) got.push(line);
    expect(got).toEqual(['é', 'a\rb', 'last']);
  });
});

describe('worker failures are environment errors', () => {
  it('a worker that runs out of heap: EnvironmentError reason memory, the pool ended', async () => {
    const pool = new WorkerPool({ workers: 1, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    try {
      const e = await pool.run(TASKS, 'exhaustHeap', {}).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(EnvironmentError);
      expect((e as EnvironmentError).reason).toBe('memory');
      expect((e as Error).message).toMatch(/could not get memory.*fewer workers/);
    } finally {
      await pool.destroy();
    }
  });

  it('a task whose Wasm instance is refused memory: EnvironmentError reason memory', async () => {
    const e = await runJobs(TASKS, 'wasmMemoryRefused', [{}], { workers: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EnvironmentError);
    expect((e as EnvironmentError).reason).toBe('memory');
  });

  it('the CLI reports them with exit 2 and the message only; an engine out-of-memory error on the main thread too', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(exitCodeFor('sweep', new EnvironmentError('worker', 'a worker thread stopped'))).toBe(2);
    expect(exitCodeFor('sweep', new InternalError('cannot instantiate the embedded scalar Wasm module: RangeError: WebAssembly.Instance(): Out of memory: Cannot allocate Wasm memory for new instance'))).toBe(2);
    expect(exitCodeFor('sweep', new RangeError('Array buffer allocation failed'))).toBe(2);
    expect(exitCodeFor('sweep', new InternalError('a broken invariant'))).toBe(70);
    const printed = stderr.mock.calls.map((c) => String(c[0]));
    expect(printed[1]).toMatch(/^kvmclock sweep: kvmclock sweep could not get memory/);
    expect(printed[1]).not.toMatch(/\n\s+at /);
  });

  it('under ulimit -v the sweep exits 2 with the memory message, not 70', (ctx) => {
    // Each worker reserves address space for its Wasm memory: a cap of 6 GiB leaves the main thread able to run and a worker unable to.
    const grid = '--host-khz 2000000:2009000:1000 --guest-khz 1000000:3400000:100000 --horizon 1h,1d,2d,3d,4d,5d,6d,7d,8d --workers 2 --json';
    const r = spawnSync('bash', ['-c', `ulimit -v 6291456 && exec "${process.execPath}" "${BIN}" sweep ${grid}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.signal !== null || r.status === 0) {
      console.warn(`skipped: this engine did not fail with an allocation error under ulimit -v 6 GiB (status ${r.status}, signal ${r.signal})`);
      ctx.skip();
      return;
    }
    expect(r.stderr).toMatch(/could not get memory/);
    expect(r.stderr).not.toContain('a bug');
    expect(r.status).toBe(2);
  });
});

describe('worker start-up', () => {
  it('workers run with require(esm) switched off where Node has it', async () => {
    const [argv] = await runJobs<object, string[]>(TASKS, 'execArgv', [{}], { workers: 1 });
    if (process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')) expect(argv).toContain('--no-experimental-require-module');
  });

  it('a sweep starts no more workers than it has jobs', () => {
    const grid = { hostKhz: [2_500_000], guestKhz: [1_000_000, 2_000_000], vendors: ['vmx' as const], horizonsS: [86_400n], tolerancePpm: 250 };
    expect(planSweep({ grid, samples: 0n, workers: 256, backend: 'wasm' }).workers).toBe(1);
    expect(planSweep({ grid, samples: 0n, workers: 256, backend: 'wasm', pointsPerJob: 1 }).workers).toBe(2);
  });
});
