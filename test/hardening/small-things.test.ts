/**
 * Finding 7 of the hardening audit, the small things a careful user notices: a negative
 * value answered with the option's range (not parseArgs' "ambiguous"), values past 2^53
 * echoed exactly, the top-level help not claiming `npm start` runs `report`, hotplug's usage
 * marking its defaulted options optional, and a timeline file starting with a UTF-8 BOM
 * accepted; outside the CLI, a long token cut in `ERR unknown` (a 1 MB token was echoed
 * whole) and wasmInfo exported from the package root as the README shows it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kvmclock, wasmInfo } from '../../src/index.js';
import { evalLine } from '../../src/protocol/eval-line.js';
import { runCli as run, tempDir } from './cli.js';

describe.concurrent('small things', () => {
  it.each([
    [['sweep', '--top', '-1'], 'kvmclock sweep: --top expected an integer in 0..1000000 (for more rows use --json or --csv), got -1\n'],
    [['migrate', '--vcpus', '-2'], 'kvmclock migrate: --vcpus expected an integer in 1..1024, got -2\n'],
  ])('%j: the range, not "ambiguous"', async (args, message) => {
    const r = await run(args);
    expect([r.status, r.stderr]).toEqual([2, message]);
  });

  it('a negative duration reaches its own parser: --sync-error -30us runs', async () => {
    const r = await run(['migrate', '--sync-error', '-30us', '--method', 'm3', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).config.syncErrorNs).toBe('-30000');
  });

  it.each([
    [['sweep', '--host-khz', '18446744073709551617'], 'got 18446744073709551617'],
    [['clock', '--host-khz', '18446744073709551617'], 'got 18446744073709551617'],
    [['sweep', '--samples', '18446744073709551617'], 'got 18446744073709551617'],
  ])('%j echoes the value exactly', async (args, echo) => {
    const r = await run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(echo);
  });

  it('kvmclock --help does not say that npm start runs report', async () => {
    const help = (await run(['--help'])).stdout;
    expect(help).toMatch(/^ {2}report +worked examples/m);
    expect(help.split('\n').find((l) => l.startsWith('  report'))).not.toContain('npm start');
    const packageJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));
    expect(packageJson.scripts.start).toContain(' sweep ');
    expect(help.split('\n').find((l) => l.startsWith('  sweep'))).toContain('npm start');
  });

  it('hotplug --help marks its defaulted options as optional', async () => {
    const usage = (await run(['hotplug', '--help'])).stdout.split('\n')[0];
    expect(usage).toContain('[--host-khz N]');
    expect(usage).toContain('[--guest-khz N]');
    const r = await run(['hotplug', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ hostKhz: 2_500_000, guestKhz: 1_000_000 });
  });

  it('a timeline file starting with a UTF-8 BOM runs like the same file without it', async () => {
    const { dir, remove } = tempDir('kvmclock-bom-');
    try {
      const fixture = readFileSync(fileURLToPath(new URL('../fixtures/timelines/hotplug.json', import.meta.url)), 'utf8');
      writeFileSync(join(dir, 'plain.json'), fixture);
      writeFileSync(join(dir, 'bom.json'), `\uFEFF${fixture}`);
      const [plain, bom] = await Promise.all([run(['timeline', join(dir, 'plain.json'), '--json']), run(['timeline', join(dir, 'bom.json'), '--json'])]);
      expect(bom.status, bom.stderr).toBe(0);
      expect(bom.stdout).toBe(plain.stdout);
    } finally {
      remove();
    }
  });
});

describe('outside the CLI', () => {
  it('eval cuts a long unknown token to 64 characters and gives its length (a 1 MB token was echoed whole)', () => {
    const token = 'y'.repeat(1_000_000);
    expect(evalLine(kvmclock('reference'), `${token} 1 2`)).toBe(`ERR unknown ${'y'.repeat(64)}…(1000000 characters)`);
    expect(evalLine(kvmclock('reference'), `${'z'.repeat(64)} 1`)).toBe(`ERR unknown ${'z'.repeat(64)}`);
  });

  it('wasmInfo is exported from the package root', () => {
    expect(wasmInfo().byteLength).toBeGreaterThan(1000);
    expect(wasmInfo().sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
