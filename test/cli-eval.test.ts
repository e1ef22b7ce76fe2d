/**
 * `npx kvmclock eval` as users run it: the built CLI in a child process, fed every
 * vector line (plus blank and comment lines, which must give empty lines), on both
 * backends, compared line for line; and the protocol's error lines.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES } from './helpers/backend-names.js';
import { loadVectors } from './helpers/vectors.js';

const BIN = fileURLToPath(new URL('../bin/kvmclock.js', import.meta.url));

function runEval(input: string, args: readonly string[] = []) {
  const r = spawnSync(process.execPath, [BIN, 'eval', ...args], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kvmclock eval (built CLI)', () => {
  const vectors = loadVectors();
  const input = ['# kernel vectors', '', ...vectors.map((v) => v.input), '   ', '#end'].join('\n');
  const expected = ['', '', ...vectors.map((v) => v.expected), '', ''];

  for (const backend of BACKEND_NAMES) {
    it(`reproduces every vector line for line (--backend ${backend})`, () => {
      const r = runEval(`${input}\n`, ['--backend', backend]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.length).toBe(expected.length);
      const mismatches = lines.flatMap((l, i) => (l === expected[i] ? [] : [`line ${i + 1}: got ${l} want ${expected[i]}`]));
      expect(mismatches.slice(0, 5)).toEqual([]);
    });
  }

  it('answers bad lines with ERR lines and keeps alignment', () => {
    const r = runEval(
      [
        'time_scale 0 5',
        'no_such_command 1',
        'scale_delta 1 2',
        'scale_delta 1 x 0',
        'scale_delta 18446744073709551616 1 0',
        'scale_delta 1 1 -129',
        'mul_s64_u64_shr -9223372036854775809 1 0',
        'tsc_ratio 1000 1 32 1099511627775',
        'mul_u64_u32_div 1 1 0',
        'set_clock 0 1 0 0 0 0 0',
        'clocksource_register 0 1000 1',
        'scale_delta 0x10 0xFFFFFFFF -1',
        'pvclock_tsc_khz 3435973836 -1',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, -1)).toEqual([
      'ERR hang',
      'ERR unknown no_such_command',
      'ERR arity 3',
      'ERR syntax arg2',
      'ERR range arg1',
      'ERR range arg3',
      'ERR range arg1',
      'ERR toolarge 4294967296000',
      'ERR div0',
      'ERR EINVAL',
      'ERR range arg1',
      '7',
      '2500000',
    ]);
  });

  it('rejects an unknown backend with exit code 2 and a message naming the option', () => {
    const r = runEval('', ['--backend', 'gpu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--backend');
  });
});
