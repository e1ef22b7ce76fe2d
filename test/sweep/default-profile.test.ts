/**
 * With the default kernel profile the sweep prints what it printed before kernel profiles,
 * the Wasm point chain and the Hyper-V page: the README's example grids' JSON lines (each
 * with `,"kernel":"6.18"` and then `,"hvPage":{…}` added before its closing brace and nothing
 * else changed), CSV (a `kernel` column, then the five Hyper-V page columns, added last), the
 * worst-points table, and the default grid's charts, byte for byte. The fixtures in
 * test/sweep/fixtures were printed by the BigInt chain (kvmclock 0.1.0 before issue 15),
 * through the CLI. The added `hvPage` members are checked against a page and rates derived
 * here, in plain BigInt, from the pinned members of the same line (the guest pvclock factors,
 * the ratio, the raw clock), so a wrong page cannot hide behind the pin.
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
/** The members appended after the earlier ones: the kernel profile, then the Hyper-V page (valid, or refused with a reason). */
const APPENDED = /,"kernel":"6\.18","hvPage":(\{"valid":true,"scale":"\d+","ratePpb":\{"vsB":[-\d.e]+,"vsNominal":[-\d.e]+,"vsA":[-\d.e]+\},"ratePpbExact":\{"vsB":"-?\d+\/\d+","vsNominal":"-?\d+\/\d+","vsA":"-?\d+\/\d+"\}\}|\{"valid":false,"reason":"[a-z]+"\})\}\n/g;
/** A line as printed before the kernel and hvPage members existed. */
const withoutKernel = (text: string) => text.replace(APPENDED, '}\n');

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
/** (p/q − 1)·10^9 for p, q > 0: in lowest terms, and rounded half away from zero to 0.001 (as text). */
function ppb(p: bigint, q: bigint): { exact: string; rounded: string } {
  const n = (p - q) * 1_000_000_000n;
  const g = gcd(n, q);
  const mag = n < 0n ? -n : n;
  const thousandths = (mag * 2000n + q) / (2n * q);
  const text = `${thousandths / 1000n}.${(thousandths % 1000n).toString().padStart(3, '0')}`;
  return { exact: `${n / g}/${q / g}`, rounded: n < 0n && thousandths !== 0n ? `-${text}` : text };
}

/**
 * The hvPage member a pinned line implies (guest-clock-abis §1.2, §1.5), from its own
 * earlier members: the page's validity and tsc_scale from the guest pvclock factors (the
 * record has TSC_STABLE), H's rates per guest tick against B and the TSC at exactly guestKhz,
 * and per host cycle (ratio/2^frac) against the raw clock A.
 */
function expectedHvPage(line: Record<string, any>): { json: Record<string, unknown>; csv: string } {
  const { mul, shift } = line.guestPvclock as { mul: number; shift: number };
  const m = BigInt(mul);
  const s = BigInt(shift);
  const maxMul = BigInt.asUintN(64, 100n << ((32n - s) & 63n));
  if (m >= maxMul) return { json: { valid: false, reason: 'mul' }, csv: '0,,,,' };
  const scale = ((1n << ((32n + s) & 63n)) * m) / 100n;
  const frac = line.vendor === 'vmx' ? 48n : 32n;
  const ratio = BigInt(line.ratio);
  const { mult, shift: rawShift } = line.rawClock as { mult: number; shift: number };
  // H per tick: 100·scale/2^64 ns; B per tick: m·2^s/2^32 ns; nominal: 10^6/guestKhz ns; A per host cycle: mult/2^shift ns.
  const vsB = s >= 0n ? ppb(100n * scale << 32n, m << (64n + s)) : ppb(100n * scale << (32n - s), m << 64n);
  const vsNominal = ppb(scale * BigInt(line.guestKhz), 10_000n << 64n);
  const vsA = ppb((100n * scale * ratio) << BigInt(rawShift), BigInt(mult) << (64n + frac));
  return {
    json: {
      valid: true,
      scale: scale.toString(),
      ratePpb: { vsB: Number(vsB.rounded), vsNominal: Number(vsNominal.rounded), vsA: Number(vsA.rounded) },
      ratePpbExact: { vsB: vsB.exact, vsNominal: vsNominal.exact, vsA: vsA.exact },
    },
    csv: `1,${scale},${vsB.rounded},${vsNominal.rounded},${vsA.rounded}`,
  };
}

/** Every line ends with the kernel member and then the hvPage its earlier members imply, byte for byte. */
function checkAppended(text: string): Record<string, any>[] {
  const lines = text.split('\n').slice(0, -1);
  return lines.map((l) => {
    const parsed = JSON.parse(l) as Record<string, any>;
    expect(l.endsWith(`,"kernel":"6.18","hvPage":${JSON.stringify(expectedHvPage(parsed).json)}}`), l).toBe(true);
    return parsed;
  });
}
/** The table without its first line (which gives the time taken). */
const rows = (table: string) => table.split('\n').slice(1).join('\n');

const README_1 = ['--host-khz', '2500000,3000000', '--guest-khz', '1000000:3500000:100000', '--vendor', 'vmx,svm', '--horizon', '1h,1d,30d,1y'];

describe('the default profile prints what it printed before', () => {
  it('README grid 1: JSON lines, CSV and the table', () => {
    const json = sweep([...README_1, '--json']);
    const parsed = checkAppended(json);
    expect(parsed.length).toBe(416);
    expect(withoutKernel(json)).toBe(fixture('readme1.jsonl'));
    // Every guest of this grid runs faster than 10 MHz: every page is valid.
    expect(parsed.every((l) => l.hvPage.valid)).toBe(true);
    const csv = sweep([...README_1, '--csv']).split('\n');
    const before = fixture('readme1.csv').split('\n');
    expect(csv[0]).toBe(`${before[0]},kernel,hvPageValid,hvScale,hvRatePpbVsB,hvRatePpbVsNominal,hvRatePpbVsA`);
    expect(csv.slice(1, -1)).toEqual(before.slice(1, -1).map((r, i) => `${r},6.18,${expectedHvPage(parsed[i]).csv}`));
    expect(rows(sweep(README_1))).toBe(fixture('readme1.table'));
    // The same grid asked for explicitly under 6.18 is the same run.
    expect(sweep([...README_1, '--json', '--kernel', '6.18'])).toBe(json);
  });

  it('README grid 2 (404,202 points): the hash of its first eighth (the whole run’s hash is checked by npm run test:slurm’s merge)', () => {
    const part = sweep(['--host-khz', '2000000:4000000:1000', '--guest-khz', '2000000:3000000:10000', '--horizon', '1d', '--json', '--shard', '1/8', '--workers', '2']);
    const lines = part.slice(part.indexOf('\n') + 1); // after the shard record
    expect(lines.split('\n').length - 1).toBe(50_525);
    checkAppended(lines);
    expect(createHash('sha256').update(withoutKernel(lines)).digest('hex')).toBe(fixture('readme2.sha256').split('\n')[1].split(' ')[0]);
  });

  it('README sampled example: JSON lines and the table', () => {
    const grid = ['--host-khz', '2500000', '--guest-khz', '1000000:3500000:100000', '--horizon', '1d', '--samples', '1000000'];
    const json = sweep([...grid, '--json']);
    checkAppended(json);
    expect(withoutKernel(json)).toBe(fixture('readme3.jsonl'));
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
