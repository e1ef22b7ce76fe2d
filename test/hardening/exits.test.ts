/**
 * Finding 5 of the hardening audit: only the documented exits. `eval | head -1` ends
 * quietly with 0 (it died with an unhandled EPIPE and exit 1), eval splits lines in time
 * linear in their length (it re-scanned the whole pending line for every chunk), and a
 * worker that cannot get memory or dies is an EnvironmentError (exit 2, every worker
 * ended), not "a bug" (exit 70); a worker that exits or crashes: test/parallel.test.ts.
 * Under ulimit -v the library says why it cannot make a Wasm instance and what to do, and
 * the command runs itself without V8's Wasm guard regions. Workers load their modules with
 * require(esm) switched off, the load whose interruption aborted a 256-worker process (V8
 * "IsGraphAsync"), and a sweep never starts more workers than it has jobs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

});

describe('under a virtual-memory limit (ulimit -v)', () => {
  // V8 reserves about 10 GiB of address space per WebAssembly memory; 4 GiB refuses every instance.
  const LIMIT_KIB = 4 * 1024 * 1024;
  const DIST = new URL('../../dist/index.js', import.meta.url).href;
  const limited = (command: string) => spawnSync('bash', ['-c', `ulimit -v ${LIMIT_KIB} && ${command}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
  /** Why the command's tests cannot run here (they run whether or not the engine refuses the memory). */
  const notLinux = (): string | undefined => (process.platform !== 'linux' ? 'not Linux (no ulimit -v and /proc/self/limits as the command reads them)' : undefined);
  /** Why the library's refusal cannot be seen here, or undefined when it can. */
  const cannot = (): string | undefined => {
    if (notLinux() !== undefined) return notLinux();
    if (!process.allowedNodeEnvironmentFlags.has('--disable-wasm-trap-handler')) return 'this Node has no --disable-wasm-trap-handler';
    const probe = limited(`exec "${process.execPath}" -e "new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array([0,97,115,109,1,0,0,0,5,3,1,0,1])))"`);
    if (probe.status === 0) return 'this engine makes Wasm instances under ulimit -v 4 GiB by itself (its V8 falls back to bounds checks; Node 24 and later)';
    if (!/Out of memory|Cannot allocate/i.test(probe.stderr)) return `the engine did not refuse the Wasm memory as expected under ulimit -v (${probe.stderr.trim().split('\n').pop()})`;
    return undefined;
  };

  it('the library throws EnvironmentError (reason memory) naming --disable-wasm-trap-handler; the reference backend still works', (ctx) => {
    const why = cannot();
    if (why !== undefined) return void (console.warn(`skipped: ${why}`), ctx.skip());
    const script = `import(${JSON.stringify(DIST)}).then((m) => { try { m.kvmclock('wasm').mulU64U32Shr(5n, 3, 1); console.log('no error'); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, reason: e.reason, message: e.message })); } console.log(String(m.kvmclock('reference').mulU64U32Shr(5n, 3, 1))); })`;
    const r = limited(`exec "${process.execPath}" -e "$S"`.replace('$S', script.replace(/"/g, '\\"')));
    expect(r.status, r.stderr).toBe(0);
    const [thrown, reference] = r.stdout.trim().split('\n');
    const e = JSON.parse(thrown!) as { name: string; code: string; reason: string; message: string };
    expect(e).toMatchObject({ name: 'EnvironmentError', code: 'environment', reason: 'memory' });
    expect(e.message).toMatch(/could not reserve its memory/);
    expect(e.message).toContain('--disable-wasm-trap-handler');
    expect(reference).toBe('7');
  });

  it('the kvmclock command works (where the engine refuses, by running itself again with --disable-wasm-trap-handler): a sweep on 2 workers prints the same bytes', (ctx) => {
    const why = notLinux();
    if (why !== undefined) return void (console.warn(`skipped: ${why}`), ctx.skip());
    const args = ['sweep', '--host-khz', '2000000:2009000:1000', '--guest-khz', '1000000:3400000:100000', '--horizon', '1h,1d', '--workers', '2', '--json'];
    const free = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const r = limited(`exec "${process.execPath}" "${BIN}" ${args.join(' ')}`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout).toBe(free.stdout);
    // Its exit codes are the command's: a usage error is still 2 with the message only.
    const bad = limited(`exec "${process.execPath}" "${BIN}" clock --host-khz 0 --guest-khz 1000000`);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^kvmclock clock: .*--host-khz/);
  });

  it('a signal sent to the command reaches the run: SIGTERM during --out exits 143 and leaves no partial file', async (ctx) => {
    const why = notLinux();
    if (why !== undefined) return void (console.warn(`skipped: ${why}`), ctx.skip());
    const dir = mkdtempSync(join(tmpdir(), 'kvmclock-ulimit-'));
    try {
      const out = join(dir, 'drift.jsonl');
      const long = ['sweep', '--host-khz', '2000000:2049000:1000', '--guest-khz', '1000000:3495000:5000', '--horizon', '1d', '--vendor', 'vmx,svm', '--workers', '1', '--json', '--out', out];
      const child = spawn('bash', ['-c', `ulimit -v ${LIMIT_KIB} && exec "${process.execPath}" "${BIN}" ${long.join(' ')}`], { stdio: 'ignore' });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      for (let i = 0; i < 1000 && !readdirSync(dir).some((f) => f.endsWith('.partial')); i++) await new Promise((r) => setTimeout(r, 10));
      expect(readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 143, signal: null });
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
