/**
 * The benchmark entry points, without timing claims: `npm run bench -- --smoke` (what CI
 * runs: every suite once, each implementation checked against the reference), the --json
 * document's shape on a filtered --quick run, and `kvmclock bench` (the streaming mode on
 * worker threads) on a small count.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

import { benchCommand } from '../src/cli/commands/bench.js';
import { UsageError } from '../src/cli/command.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function bench(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bench/index.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env });
}

describe('npm run bench', () => {
  it('--smoke: every suite agrees with the reference (exit 0)', () => {
    const r = bench(['--smoke']);
    expect(r.stderr).toContain('bench --smoke: every suite agrees with the reference');
    expect(r.status).toBe(0);
    for (const op of ['pvclock_read', 'scale_delta', 'scale_tsc', 'guest_read_b', 'mul_u64_u64_shr', 'kvm_get_time_scale']) {
      expect(r.stderr).toMatch(new RegExp(`ok   ${op} reference`));
      expect(r.stderr).toMatch(new RegExp(`ok   ${op} wasm\\b`));
    }
    expect(r.stderr).toMatch(/ok {3}pvclock_read wasm-simd/);
    expect(r.stderr).toMatch(/pvclock_read +2 workers .* samples = reference/);
  });

  it('--smoke without a C compiler: the native rows are skipped with a note', () => {
    const env = { ...process.env, PATH: '/nonexistent', CC: '' };
    const r = bench(['--smoke', '--filter', '^pvclock_read '], env);
    expect(r.stderr).toContain('native C baseline skipped: no C compiler found');
    expect(r.stderr).not.toContain('native-c-scalar');
    expect(r.status).toBe(0);
  });

  it('--json: one document with the machine and per-(op, impl) results', () => {
    const r = bench(['--quick', '--json', '--filter', '^pvclock_read (wasm-simd|api-batch|native-c-scalar)$']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { machine: Record<string, unknown>; results: Record<string, unknown>[]; failures: unknown[] };
    expect(Object.keys(doc.machine)).toEqual(expect.arrayContaining(['cpu', 'cores', 'node', 'v8', 'date']));
    expect(doc.failures).toEqual([]);
    const simd = doc.results.find((x) => x.impl === 'wasm-simd');
    expect(simd).toMatchObject({ op: 'pvclock_read', impl: 'wasm-simd' });
    for (const k of ['convPerSec', 'nsPerConv', 'rme', 'samples']) expect(typeof simd?.[k]).toBe('number');
    expect(doc.results.map((x) => x.impl)).toContain('api-batch');
  });
});

describe('kvmclock bench', () => {
  it('streams conversions on 2 workers and cross-checks the checksum (JSON)', async () => {
    const chunks: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (chunks.push(String(s)), true));
    let code: number;
    try {
      code = await benchCommand.run(['--conversions', '3e6', '--workers', '2', '--op', 'guest_read_b', '--json']);
    } finally {
      write.mockRestore();
    }
    const doc = JSON.parse(chunks.join('')) as { ok: boolean; conversions: number; runs: { workers: number; samplesAgree: boolean; checksum: string }[]; prefix: { agrees: boolean } };
    expect(code).toBe(0);
    expect(doc).toMatchObject({ ok: true, conversions: 3_000_000, prefix: { agrees: true } });
    expect(doc.runs).toHaveLength(1);
    expect(doc.runs[0]).toMatchObject({ workers: 2, samplesAgree: true });
    expect(doc.runs[0].checksum).toMatch(/^0x[0-9a-f]{16}$/);
  });

  it('rejects bad options with a usage error', async () => {
    await expect(benchCommand.run(['--conversions', '1.5'])).rejects.toThrow(UsageError);
    await expect(benchCommand.run(['--op', 'nope'])).rejects.toThrow(/--op expected one of/);
    await expect(benchCommand.run(['--workers', '0'])).rejects.toThrow(/--workers expected an integer/);
  });
});
