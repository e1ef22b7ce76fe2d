/**
 * Finding 2 of the hardening audit: a grid or a duration whose host TSC would run 2^63 cycles
 * or more past its reference (where the raw-clock reader, with no tick since the reference,
 * takes the clock for one that went backwards; the u64 host TSC ends later still) is refused
 * before any work, with the options named (never the internal "host_tsc" or "h") and the
 * longest duration that fits, and that longest duration runs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKvmclockError } from '../../src/errors.js';
import { checkGrid, longestReachNs, parseHorizons, parseKhzList } from '../../src/sweep/grid.js';
import { STANDARD_M } from '../../src/model/standard.js';

const TWO_63 = 1n << 63n;
import { runCli as run, tempDir } from './cli.js';

describe('the host TSC reach of a duration', () => {
  it('longestReachNs is the exact limit: one more ns reaches 2^63 cycles after the reference', () => {
    for (const khz of [1, 999_999, 2_500_000, 6_000_000, 4_294_967_295]) {
      const ns = longestReachNs(khz);
      expect((ns * BigInt(khz)) / 1_000_000n < TWO_63).toBe(true);
      expect(((ns + 1n) * BigInt(khz)) / 1_000_000n >= TWO_63).toBe(true);
    }
  });

  it('checkGrid refuses a grid whose fastest host at its longest horizon overflows, naming both parts', () => {
    const grid = { hostKhz: parseKhzList('2500000,6000000', 'host'), guestKhz: [1_000_000], vendors: ['vmx' as const], horizonsS: parseHorizons('1d,100y'), tolerancePpm: 250 };
    const e = (() => {
      try {
        checkGrid(grid, { hostKhz: '--host-khz', guestKhz: '--guest-khz', vendor: '--vendor', horizon: '--horizon' });
      } catch (x) {
        return x;
      }
    })();
    expect(isKvmclockError(e) && e.code).toBe('range');
    expect((e as Error).message).toMatch(/^"--horizon" expected seconds in 1\.\.1537228672, got 100y \(3153600000 s\): at --host-khz 6000000 .* the longest --horizon that fits is 48\.7y \(1537228672 s\)$/);
  });
});

describe.concurrent('sweep', () => {
  it('refuses 6 GHz × 100y before any work: nothing on stdout, no --out file, the options named', async () => {
    const { dir, remove } = tempDir('kvmclock-reach-');
    try {
      const r = await run(['sweep', '--host-khz', '6000000', '--guest-khz', '1000000:3000000:1000', '--horizon', '100y', '--json', '--out', join(dir, 'x.jsonl')]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('"--horizon"');
      expect(r.stderr).toContain('--host-khz 6000000');
      expect(r.stderr).not.toContain('host_tsc');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      remove();
    }
  });

  it('runs the longest horizon it reports, and refuses one second more', async () => {
    const longest = longestReachNs(6_000_000) / 1_000_000_000n;
    const [ok, over] = await Promise.all([
      run(['sweep', '--host-khz', '6000000', '--guest-khz', '1000000', '--vendor', 'vmx', '--horizon', String(longest), '--json', '--workers', '1']),
      run(['sweep', '--host-khz', '6000000', '--guest-khz', '1000000', '--horizon', String(longest + 1n), '--json']),
    ]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).h).toBe(String(STANDARD_M + 6_000_000_000n * longest));
    expect(over.status).toBe(2);
  });
});

/** A refusal names the options (never the internal "h") and the longest duration that fits. */
function expectRefusal(r: { status: number | null; stderr: string }, names: readonly string[]): void {
  expect(r.status).toBe(2);
  for (const n of names) expect(r.stderr).toContain(n);
  expect(r.stderr).toContain('longest');
  expect(r.stderr).not.toMatch(/"h"|host_tsc/);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

describe('hotplug', () => {
  it('refuses an elapsed time past the host TSC range with the option names, not the internal "h"', async () => {
    expectRefusal(await run(['hotplug', '--host-khz', '4000000000', '--elapsed', '1d,100y']), ['"--elapsed[1]"', '--host-khz 4000000000']);
  });
});

describe.concurrent('the limits reported are exact', () => {
  const longestOf = (stderr: string) => BigInt(/\((\d+) ns\)\s*$/.exec(stderr.trim())?.[1] ?? '-1');

  it('clock runs at the longest --at it reports and refuses 1 ns more', async () => {
    const refused = await run(['clock', '--host-khz', '4000000000', '--guest-khz', '1000000', '--at', '100y']);
    expectRefusal(refused, ['"--at"', '--host-khz 4000000000']);
    const longest = longestOf(refused.stderr);
    expect(longest).toBe(longestReachNs(4_000_000_000));
    const [ok, over] = await Promise.all([
      run(['clock', '--host-khz', '4000000000', '--guest-khz', '1000000', '--at', `${longest}ns`, '--json']),
      run(['clock', '--host-khz', '4000000000', '--guest-khz', '1000000', '--at', `${longest + 1n}ns`]),
    ]);
    expect([ok.status, over.status]).toEqual([0, 2]);
  });

  it.each([
    ['--src-khz', ['--live-update']],
    ['--dst-khz', []],
  ])('migrate runs at the longest --uptime it reports for %s and refuses 1 ns more', async (option, extra) => {
    const base = ['migrate', option, '4000000000', '--guest-khz', '1000000', '--vcpus', '1', '--method', option === '--src-khz' ? 'm4' : 'm0', ...extra];
    const refused = await run([...base, '--uptime', '100y']);
    expectRefusal(refused, ['--uptime 100y', `${option} 4000000000`]);
    // The limit named is the one enforced: 2^63 cycles past the host's start, not the u64 wrap.
    expect(refused.stderr).toMatch(/2\^63 cycles or more past \d+, which the kernel's raw-clock reader takes for a clock that went backwards/);
    const longest = longestOf(refused.stderr);
    expect(longest).toBeGreaterThan(0n);
    const [ok, over] = await Promise.all([run([...base, '--uptime', `${longest}ns`, '--json']), run([...base, '--uptime', `${longest + 1n}ns`])]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(over.status).toBe(2);
  });
});
