/**
 * With the default kernel profile the sweep prints what it printed before kernel profiles
 * and the Wasm point chain: the README's example grids' JSON lines (each with
 * `,"kernel":"6.18"` added before its closing brace and nothing else changed), CSV (a
 * `kernel` column added last), the worst-points table, and the default grid's charts,
 * byte for byte. The fixtures in test/sweep/fixtures were printed by the BigInt chain
 * (kvmclock 0.1.0 before issue 15), through the CLI.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/kvmclock.js', import.meta.url));
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
const sweep = (args: readonly string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'sweep', ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};
/** A line as printed before the kernel member existed. */
const withoutKernel = (text: string) => text.replace(/,"kernel":"6\.18"}\n/g, '}\n');
/** The table without its first line (which gives the time taken). */
const rows = (table: string) => table.split('\n').slice(1).join('\n');

const README_1 = ['--host-khz', '2500000,3000000', '--guest-khz', '1000000:3500000:100000', '--vendor', 'vmx,svm', '--horizon', '1h,1d,30d,1y'];

describe('the default profile prints what it printed before', () => {
  it('README grid 1: JSON lines, CSV and the table', () => {
    const json = sweep([...README_1, '--json']);
    expect(json.split('\n').slice(0, -1).every((l) => l.endsWith(',"kernel":"6.18"}'))).toBe(true);
    expect(withoutKernel(json)).toBe(fixture('readme1.jsonl'));
    const csv = sweep([...README_1, '--csv']).split('\n');
    const before = fixture('readme1.csv').split('\n');
    expect(csv[0]).toBe(`${before[0]},kernel`);
    expect(csv.slice(1, -1)).toEqual(before.slice(1, -1).map((r) => `${r},6.18`));
    expect(rows(sweep(README_1))).toBe(fixture('readme1.table'));
    // The same grid asked for explicitly under 6.18 is the same run.
    expect(sweep([...README_1, '--json', '--kernel', '6.18'])).toBe(json);
  });

  it('README grid 2 (404,202 points): the hash of its first eighth (the whole run’s hash is checked by npm run test:slurm’s merge)', () => {
    const part = sweep(['--host-khz', '2000000:4000000:1000', '--guest-khz', '2000000:3000000:10000', '--horizon', '1d', '--json', '--shard', '1/8', '--workers', '2']);
    const lines = part.slice(part.indexOf('\n') + 1); // after the shard record
    expect(lines.split('\n').length - 1).toBe(50_525);
    expect(createHash('sha256').update(withoutKernel(lines)).digest('hex')).toBe(fixture('readme2.sha256').split('\n')[1].split(' ')[0]);
  });

  it('README sampled example: JSON lines and the table', () => {
    const grid = ['--host-khz', '2500000', '--guest-khz', '1000000:3500000:100000', '--horizon', '1d', '--samples', '1000000'];
    expect(withoutKernel(sweep([...grid, '--json']))).toBe(fixture('readme3.jsonl'));
    expect(rows(sweep(grid))).toBe(fixture('readme3.table'));
  });

  it('the default grid (npm start): the table and the charts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvmclock-default-plots-'));
    try {
      expect(rows(sweep(['--plot', dir]))).toBe(fixture('default.table'));
      const want = fixture('default-plots.sha256')
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/));
      for (const [hash, file] of want) expect(createHash('sha256').update(readFileSync(join(dir, file))).digest('hex'), file).toBe(hash);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
