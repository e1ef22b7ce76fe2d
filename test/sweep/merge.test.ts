/**
 * Merging shard outputs (library level; the CLI's `kvmclock merge` is tested with the
 * sweep's CLI contracts): parts are checked whole before anything is written — foreign,
 * duplicate, overlapping, missing and truncated parts are refused with messages that name
 * them — and the merge of a good set is the bytes of the unsharded run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChainGrid, chainGridSize } from '../../src/sweep/chain-grid.js';
import { parseRecordLine, recordLine, runFingerprint, shardRecord } from '../../src/sweep/fingerprint.js';
import { CSV_HEADER } from '../../src/sweep/format.js';
import { shardRange } from '../../src/sweep/grid.js';
import { checkParts, ShardMergeError, streamParts } from '../../src/sweep/merge.js';
import { computePointBatch } from '../../src/sweep/point-batch.js';

const dir = mkdtempSync(join(tmpdir(), 'kvmclock-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const grid: ChainGrid = { hostKhz: [2_500_000, 3_000_000], guestKhz: [1_000_000, 1_700_000, 2_500_000], vendors: ['vmx', 'svm'], horizonsS: [3600n, 86_400n], tolerancePpm: 250, kernels: ['6.18', 'clocks-v6'] };
const total = chainGridSize(grid);
const text = (g: ChainGrid, from: number, to: number, format: 'json' | 'csv') => new TextDecoder().decode(computePointBatch(g, from, to, { text: { format } }).text);

/** Write shard i/n of a run as the sweep does: the record, then the points' lines. */
function part(name: string, i: number, n: number, g: ChainGrid = grid, format: 'json' | 'csv' = 'json', edit?: (lines: string) => string): string {
  const size = chainGridSize(g);
  const range = shardRange(size, { index: i, count: n });
  const record = shardRecord({ grid: g, samples: 0n, format, backend: 'wasm' }, { index: i, count: n }, range, size, `${i}/${n}`);
  // Shard 1 of a CSV run carries the header, as the sweep writes it.
  const body = (format === 'csv' && i === 1 ? `${CSV_HEADER}\n` : '') + text(g, range.from, range.to, format);
  const path = join(dir, name);
  writeFileSync(path, recordLine(record) + (edit ? edit(body) : body));
  return path;
}

async function merged(paths: string[]): Promise<string> {
  const parts = await checkParts(paths);
  const chunks: Uint8Array[] = [];
  await streamParts(parts, async (b) => void chunks.push(Uint8Array.from(b)));
  return Buffer.concat(chunks).toString('utf8');
}

async function refusal(paths: string[]): Promise<ShardMergeError> {
  try {
    await merged(paths);
  } catch (e) {
    expect(e).toBeInstanceOf(ShardMergeError);
    return e as ShardMergeError;
  }
  throw new Error('expected a refusal');
}

describe('shard records', () => {
  it('round-trip, and the fingerprint follows the grid, the samples, the format and the backend', () => {
    const r = shardRecord({ grid, samples: 0n, format: 'json', backend: 'wasm' }, { index: 2, count: 3 }, { from: 16, to: 32 }, total, 'slurm');
    expect(parseRecordLine(recordLine(r).trimEnd())).toEqual(r);
    const base = runFingerprint({ grid, samples: 0n, format: 'json', backend: 'wasm' });
    expect(runFingerprint({ grid: { ...grid, hostKhz: [2_500_000] }, samples: 0n, format: 'json', backend: 'wasm' })).not.toBe(base);
    expect(runFingerprint({ grid: { ...grid, kernels: ['6.18'] }, samples: 0n, format: 'json', backend: 'wasm' })).not.toBe(base);
    expect(runFingerprint({ grid, samples: 10n, format: 'json', backend: 'wasm' })).not.toBe(base);
    expect(runFingerprint({ grid, samples: 0n, format: 'csv', backend: 'wasm' })).not.toBe(base);
    expect(runFingerprint({ grid, samples: 0n, format: 'json', backend: 'reference' })).not.toBe(base);
    // The default profile list and an explicit 6.18 are the same run.
    const { kernels: _, ...noKernels } = grid;
    expect(runFingerprint({ grid: noKernels, samples: 0n, format: 'json', backend: 'wasm' })).toBe(runFingerprint({ grid: { ...grid, kernels: ['6.18'] }, samples: 0n, format: 'json', backend: 'wasm' }));
    expect(parseRecordLine('{"index":0,"hostKhz":1}')).toBeUndefined();
  });
});

describe('merge', () => {
  it('JSON and CSV parts, given in any order, merge into the unsharded run’s bytes', async () => {
    const whole = text(grid, 0, total, 'json');
    expect(await merged([part('a3.jsonl', 3, 3), part('a1.jsonl', 1, 3), part('a2.jsonl', 2, 3)])).toBe(whole);
    expect(await merged([part('c2.csv', 2, 2, grid, 'csv'), part('c1.csv', 1, 2, grid, 'csv')])).toBe(`${CSV_HEADER}\n${text(grid, 0, total, 'csv')}`);
    // Shard 1 of a CSV run without its header is refused.
    const headless = part('h1.csv', 1, 2, grid, 'csv', (body) => body.slice(body.indexOf('\n') + 1));
    expect((await refusal([headless, part('h2.csv', 2, 2, grid, 'csv')])).message).toMatch(/h1\.csv: .*not the CSV header/);
    // More shards than points: empty shards are parts too.
    const tiny: ChainGrid = { ...grid, hostKhz: [2_500_000], guestKhz: [1_000_000], vendors: ['vmx'], horizonsS: [3600n], kernels: ['6.18'] };
    expect(await merged([1, 2, 3].map((i) => part(`t${i}.jsonl`, i, 3, tiny)))).toBe(text(tiny, 0, 1, 'json'));
  });

  it('refuses a missing shard, naming it and its points', async () => {
    const e = await refusal([part('m1.jsonl', 1, 4), part('m2.jsonl', 2, 4), part('m4.jsonl', 4, 4)]);
    expect(e.problems).toEqual(['missing']);
    const r = shardRange(total, { index: 3, count: 4 });
    expect(e.message).toContain(`missing shard of the run (${total} points, 4 shards): 3/4 (points ${r.from}..${r.to - 1})`);
  });

  it('refuses a duplicate shard, naming both files', async () => {
    const e = await refusal([part('d1.jsonl', 1, 2), part('d2.jsonl', 2, 2), part('d2-again.jsonl', 2, 2)]);
    expect(e.problems).toEqual(['duplicate']);
    expect(e.message).toMatch(/d2-again\.jsonl: shard 2\/2 again .* already given as .*d2\.jsonl/);
  });

  it('refuses a part of another grid (foreign), naming it and what differs', async () => {
    const other: ChainGrid = { ...grid, hostKhz: [2_500_000, 3_100_000] };
    const e = await refusal([part('f1.jsonl', 1, 2), part('f2.jsonl', 2, 2, other)]);
    expect(e.problems).toEqual(['foreign', 'missing']);
    expect(e.message).toMatch(/f2\.jsonl: shard 2\/2 of another run \(another host kHz list;/);
    expect(e.message).toMatch(/missing shard .*: 2\/2/);
  });

  it('refuses overlapping cuts, a file that is no shard output, and a truncated or edited part', async () => {
    expect((await refusal([part('o1.jsonl', 1, 2), part('o2.jsonl', 2, 3), part('o3.jsonl', 3, 3)])).message).toMatch(/overlaps/);
    const plain = join(dir, 'plain.jsonl');
    writeFileSync(plain, text(grid, 0, total, 'json'));
    expect((await refusal([plain])).message).toMatch(/plain\.jsonl: not a sharded sweep output/);
    const cut = part('cut2.jsonl', 2, 2, grid, 'json', (lines) => lines.split('\n').slice(0, -3).join('\n') + '\n');
    const e = await refusal([part('cut1.jsonl', 1, 2), cut]);
    expect(e.problems).toEqual(['truncated']);
    expect(e.message).toMatch(/cut2\.jsonl: shard 2\/2 should hold points .* it holds \d+ of them/);
    const noNewline = part('nn2.jsonl', 2, 2, grid, 'json', (lines) => lines.slice(0, -1));
    expect((await refusal([part('nn1.jsonl', 1, 2), noNewline])).message).toMatch(/no newline/);
    const swapped = part('sw2.jsonl', 2, 2, grid, 'json', (lines) => {
      const l = lines.split('\n');
      [l[0], l[1]] = [l[1], l[0]];
      return l.join('\n');
    });
    expect((await refusal([part('sw1.jsonl', 1, 2), swapped])).message).toMatch(/line 1 after the record is not point/);
    expect(readFileSync(swapped, 'utf8').length).toBeGreaterThan(0);
  });
});
