/**
 * CLI contracts found by review: one output line per input line whatever the line ends,
 * CSV shards that concatenate into one run, and user mistakes about files and options
 * answered with exit 2 and one line (never a stack trace).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/kvmclock.js', import.meta.url));
const run = (args: readonly string[], input = '') => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });

describe('kvmclock CLI contracts', () => {
  it('eval: CRLF ends a line, a lone CR is whitespace inside it', () => {
    const r = run(['eval'], 'a\rb\nscale_delta 1 1 0\r\r\ntime_scale 1000000000 2500000000\r\n');
    expect(r.stdout).toBe('ERR unknown a\n0\n-1 3435973836\n');
  });

  it('sweep --csv: only the first shard prints the header; each part starts with its shard record, without which the parts concatenate into one run', () => {
    const grid = ['--host-khz', '2000000:2600000:300000', '--guest-khz', '1000000:3000000:1000000', '--horizon', '1d', '--workers', '1', '--csv'];
    const whole = run(['sweep', ...grid]).stdout;
    const parts = [1, 2, 3].map((i) => run(['sweep', ...grid, '--shard', `${i}/3`]).stdout);
    for (const p of parts) expect(p.startsWith('#kvmclock-shard {')).toBe(true);
    expect(parts.map((p) => p.slice(p.indexOf('\n') + 1)).join('')).toBe(whole);
  });

  it.each([
    [['sweep', '--host-khz', '2500000', '--guest-khz', '1000000', '--json', '--out', '/nonexistent-dir/x.jsonl'], 'does not exist'],
    [['sweep', '--host-khz', '2500000', '--guest-khz', '1000000', '--json', '--out', '/tmp'], 'is a directory'],
    [['migrate', '--live-update', '--sync-error', '50us'], '--sync-error'],
    [['migrate', '--vendor', 'arm'], '--vendor'],
    [['migrate', '--vcpus', '100000'], '--vcpus'],
    [['clock', '--host-khz', '2500000', '--at', '100000y'], '--at'],
    [['bench', '--workers', '1000'], '--workers'],
  ])('%j exits 2 naming %s', (args, text) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(text);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('migrate --method accepts ALL in any case', () => {
    const r = run(['migrate', '--method', 'ALL', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).results).toHaveLength(6);
  });
});

describe('kvmclock sweep --kernel, --shard auto and kvmclock merge', () => {
  const GRID = ['--host-khz', '2500000,3000000', '--guest-khz', '1000000:3500000:500000', '--horizon', '1h,1d', '--kernel', '6.18,7.4-queued,clocks-v6', '--workers', '1'];
  const env = (vars: Record<string, string>) => {
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SLURM_') && k !== 'JOB_COMPLETION_INDEX') clean[k] = v;
    return { ...clean, ...vars };
  };
  const runEnv = (args: readonly string[], vars: Record<string, string>) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: env(vars) });
  const tmp = mkdtempSync(join(tmpdir(), 'kvmclock-cli-merge-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('--kernel is a grid dimension, the last: each point under each profile, in that order, with its kernel member', () => {
    const lines = run(['sweep', ...GRID, '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2 * 6 * 2 * 2 * 3);
    expect(lines.slice(0, 3).map((l) => l.kernel)).toEqual(['6.18', '7.4-queued', 'clocks-v6']);
    expect(new Set(lines.slice(0, 3).map((l) => `${l.hostKhz} ${l.guestKhz} ${l.vendor} ${l.horizonS}`)).size).toBe(1);
    // 2.5 → 1.0 GHz VMX over a day (kernel-variants §9.2): B − C under each profile.
    const day = lines.filter((l) => l.hostKhz === 2500000 && l.guestKhz === 1000000 && l.vendor === 'vmx' && l.horizonS === 86400);
    expect(day.map((l) => [l.kernel, l.bMinusCNs])).toEqual([['6.18', '86400658'], ['7.4-queued', '86300076'], ['clocks-v6', '1']]);
  });

  it('refuses an unknown profile, and --shards without --shard auto', () => {
    const bad = run(['sweep', '--kernel', '6.18,7.5']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--kernel');
    const shards = run(['sweep', '--shards', '4']);
    expect(shards.status).toBe(2);
    expect(shards.stderr).toContain('--shards N goes with --shard auto');
  });

  it('--shard auto: a Kubernetes index with --shards, a Slurm task; refused without an engine, with an inconsistent array, without --shards', () => {
    const k = runEnv(['sweep', ...GRID, '--json', '--shard', 'auto', '--shards', '3'], { JOB_COMPLETION_INDEX: '1' });
    expect(k.status, k.stderr).toBe(0);
    const record = JSON.parse(k.stdout.split('\n')[0]).kvmclockShard;
    expect(record).toMatchObject({ shard: { index: 2, count: 3 }, from: 48, to: 96, points: 144, chosenBy: 'kubernetes JOB_COMPLETION_INDEX=1, --shards 3' });
    expect(k.stderr).toContain('shard 2/3 from the Kubernetes Indexed Job (JOB_COMPLETION_INDEX=1, --shards 3): points 48..95 (48) of 144');
    const s = runEnv(['sweep', ...GRID, '--json', '--shard', 'auto'], { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_COUNT: '4' });
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout.split('\n')[0]).kvmclockShard.shard).toEqual({ index: 3, count: 4 });
    for (const [vars, text] of [
      [{}, 'no cluster engine'],
      [{ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_COUNT: '3' }, 'SLURM_ARRAY_TASK_COUNT is 3'],
      [{ JOB_COMPLETION_INDEX: '0' }, '"--shards"'],
    ] as const) {
      const r = runEnv(['sweep', ...GRID, '--json', '--shard', 'auto'], vars);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(text);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('merge: the parts (any order) give the one-process output byte for byte and its table; missing, duplicate and foreign parts are refused by name', () => {
    const part = (i: number, n: number, grid: readonly string[] = GRID) => {
      const path = join(tmp, `part-${grid === GRID ? '' : 'other-'}${i}-of-${n}.jsonl`);
      expect(run(['sweep', ...grid, '--json', '--shard', `${i}/${n}`, '--out', path]).status).toBe(0);
      return path;
    };
    const parts = [3, 1, 2].map((i) => part(i, 3));
    const merged = join(tmp, 'merged.jsonl');
    const m = run(['merge', ...parts, '--out', merged]);
    expect(m.status, m.stderr).toBe(0);
    expect(readFileSync(merged, 'utf8')).toBe(run(['sweep', ...GRID, '--json']).stdout);
    expect(m.stdout.split('\n').slice(1).join('\n')).toBe(run(['sweep', ...GRID]).stdout.split('\n').slice(1).join('\n'));
    expect(run(['merge', ...parts]).stdout).toBe(readFileSync(merged, 'utf8'));
    const refused = (args: string[], text: RegExp) => {
      const r = run(['merge', ...args, '--out', join(tmp, 'refused.jsonl')]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(text);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(tmp, 'refused.jsonl'))).toBe(false);
    };
    refused([parts[0], parts[1]], /missing shard of the run \(144 points, 3 shards\): 2\/3 \(points 48\.\.95\)/);
    refused([...parts, parts[1]], /part-1-of-3\.jsonl: shard 1\/3 again/);
    const other = part(2, 3, [...GRID.slice(0, 3), '2500000:3500000:500000', ...GRID.slice(4)]);
    refused([parts[0], parts[1], other], /part-other-2-of-3\.jsonl: shard 2\/3 of another run \(another guest kHz list/);
  });

  it('without a terminal, progress goes to stderr as lines (done/total, points/s, ETA), and a last line', () => {
    const r = runEnv(['sweep', '--host-khz', '2000000:2009000:1000', '--guest-khz', '1000000:2000000:1000', '--horizon', '1d', '--vendor', 'vmx', '--workers', '1', '--json', '--out', join(tmp, 'progress.jsonl')], { KVMCLOCK_PROGRESS_SECONDS: '0.000001' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/kvmclock sweep: 6,144\/10,010 points \(61\.4 %\) \| [0-9,]+ points\/s \| ETA /);
    expect(r.stderr).toMatch(/kvmclock sweep: 10,010\/10,010 points \(100\.0 %\) \| [0-9,]+ points\/s \| done in /);
    // A short run prints none at the default period.
    expect(run(['sweep', ...GRID, '--json', '--out', join(tmp, 'quiet.jsonl')]).stderr).toBe(`wrote ${join(tmp, 'quiet.jsonl')}\n`);
  });
});
