/**
 * CLI contracts found by review: one output line per input line whatever the line ends,
 * CSV shards that concatenate into one run, and user mistakes about files and options
 * answered with exit 2 and one line (never a stack trace).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/kvmclock.js', import.meta.url));
const run = (args: readonly string[], input = '') => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });

describe('kvmclock CLI contracts', () => {
  it('eval: CRLF ends a line, a lone CR is whitespace inside it', () => {
    const r = run(['eval'], 'a\rb\nscale_delta 1 1 0\r\r\ntime_scale 1000000000 2500000000\r\n');
    expect(r.stdout).toBe('ERR unknown a\n0\n-1 3435973836\n');
  });

  it('sweep --csv: only the first shard prints the header, so shards concatenate into one run', () => {
    const grid = ['--host-khz', '2000000:2600000:300000', '--guest-khz', '1000000:3000000:1000000', '--horizon', '1d', '--workers', '1', '--csv'];
    const whole = run(['sweep', ...grid]).stdout;
    const parts = [1, 2, 3].map((i) => run(['sweep', ...grid, '--shard', `${i}/3`]).stdout).join('');
    expect(parts).toBe(whole);
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
