/**
 * Putting sharded sweep outputs back together (`kvmclock merge`): every part's shard
 * record (src/sweep/fingerprint.ts) is read first, the parts are checked to be of one run
 * and to cover its points exactly once, and only then are their lines streamed, in grid
 * order, without the records — the bytes one process would have printed. While streaming,
 * each part's lines are checked against its record (count and indices), and the lines'
 * values are handed to the caller for the table and the charts.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ErrorCode, KvmclockError } from '../errors.js';
import { type ShardRecord, parseRecordLine } from './fingerprint.js';

/** Why parts cannot be merged. */
export type MergeProblem = 'unrecognised' | 'foreign' | 'duplicate' | 'overlap' | 'missing' | 'truncated' | 'unreadable';

/** Parts that do not make one run exactly once; the message names each part and shard at fault. */
export class ShardMergeError extends Error implements KvmclockError {
  readonly code: ErrorCode = 'range';
  constructor(
    /** The kinds of problem found, in the order of the message's lines. */
    readonly problems: readonly MergeProblem[],
    message: string,
  ) {
    super(message);
    this.name = 'ShardMergeError';
    // The mark isKvmclockError looks for (errors.ts): a deliberate error, printed without a stack.
    Object.defineProperty(this, Symbol.for('kvmclock.error'), { value: true });
  }
}

/** A part as found on disk. */
export interface Part {
  readonly path: string;
  readonly record: ShardRecord;
  /** Bytes of the record line (its newline included). */
  readonly recordBytes: number;
}

const MAX_RECORD_BYTES = 16 << 20;

/** Read a part's first line. */
async function firstLine(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, total);
      if (bytesRead === 0) break;
      const piece = buffer.subarray(0, bytesRead);
      const nl = piece.indexOf(10);
      if (nl >= 0) {
        chunks.push(Buffer.from(piece.subarray(0, nl + 1)));
        break;
      }
      chunks.push(Buffer.from(piece));
      total += bytesRead;
      if (total > MAX_RECORD_BYTES) break;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close();
  }
}

const shardName = (r: ShardRecord): string => `${r.shard.index}/${r.shard.count}`;

/** What differs between two records' runs, in words. */
function runDifference(a: ShardRecord, b: ShardRecord): string {
  const out: string[] = [];
  if (a.package.version !== b.package.version || a.package.name !== b.package.name) out.push(`written by ${a.package.name} ${a.package.version}, not ${b.package.name} ${b.package.version}`);
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const parts: [string, unknown, unknown][] = [
    ['host kHz list', a.grid.hostKhz, b.grid.hostKhz],
    ['guest kHz list', a.grid.guestKhz, b.grid.guestKhz],
    ['vendors', a.grid.vendors, b.grid.vendors],
    ['horizons', a.grid.horizonsS, b.grid.horizonsS],
    ['tolerance', a.grid.tolerancePpm, b.grid.tolerancePpm],
    ['kernel profiles', a.grid.kernels, b.grid.kernels],
  ];
  for (const [name, x, y] of parts) if (!same(x, y)) out.push(`another ${name}`);
  if (a.points !== b.points) out.push(`${a.points} points, not ${b.points}`);
  if (a.samples !== b.samples) out.push(`${a.samples} samples per point, not ${b.samples}`);
  if (a.format !== b.format) out.push(`${a.format.toUpperCase()}, not ${b.format.toUpperCase()}`);
  if (a.backend !== b.backend) out.push(`the ${a.backend} backend, not ${b.backend}`);
  return out.length > 0 ? out.join(', ') : 'another fingerprint';
}

/**
 * Read every part's record and check that together they are one run, each point exactly
 * once. Returns the parts in grid order.
 * @throws ShardMergeError naming every part that is not a shard output, comes from
 *   another run (foreign), repeats a shard (duplicate) or overlaps another, and every
 *   shard (or point range) no part holds (missing).
 */
export async function checkParts(paths: readonly string[]): Promise<Part[]> {
  if (paths.length === 0) throw new ShardMergeError(['missing'], 'no parts given: kvmclock merge PART… takes the outputs of sweep --shard (every shard of one run)');
  const problems: MergeProblem[] = [];
  const lines: string[] = [];
  const parts: Part[] = [];
  for (const path of paths) {
    let line: string;
    try {
      line = await firstLine(path);
    } catch (e) {
      problems.push('unreadable');
      lines.push(`${path}: cannot be read (${(e as Error).message})`);
      continue;
    }
    const record = parseRecordLine(line.replace(/\n$/, ''));
    if (record === undefined) {
      problems.push('unrecognised');
      lines.push(`${path}: not a sharded sweep output (its first line is not a kvmclock shard record); only outputs of sweep --shard i/n or --shard auto can be merged`);
      continue;
    }
    parts.push({ path, record, recordBytes: Buffer.byteLength(line) });
  }
  if (parts.length > 0) {
    // The run is the fingerprint most parts share (on a tie, that of the first part given).
    const counts = new Map<string, number>();
    for (const p of parts) counts.set(p.record.fingerprint, (counts.get(p.record.fingerprint) ?? 0) + 1);
    let run = parts[0].record.fingerprint;
    for (const [f, n] of counts) if (n > (counts.get(run) ?? 0)) run = f;
    const reference = parts.find((p) => p.record.fingerprint === run) as Part;
    for (const p of parts) {
      if (p.record.fingerprint === run) continue;
      problems.push('foreign');
      lines.push(`${p.path}: shard ${shardName(p.record)} of another run (${runDifference(p.record, reference.record)}; fingerprint ${p.record.fingerprint.slice(0, 12)}…, the other parts' ${run.slice(0, 12)}…)`);
    }
    const ours = parts.filter((p) => p.record.fingerprint === run).sort((a, b) => a.record.from - b.record.from || a.record.to - b.record.to);
    // Duplicates (a shard given twice) and overlaps, then what no part covers.
    const kept: Part[] = [];
    const seen = new Map<string, Part>();
    for (const p of ours) {
      const earlier = seen.get(shardName(p.record));
      if (earlier !== undefined) {
        problems.push('duplicate');
        lines.push(`${p.path}: shard ${shardName(p.record)} again (points ${p.record.from}..${p.record.to - 1}), already given as ${earlier.path}`);
        continue;
      }
      seen.set(shardName(p.record), p);
      const last = [...kept].reverse().find((k) => k.record.to > k.record.from);
      if (last !== undefined && p.record.to > p.record.from && p.record.from < last.record.to) {
        problems.push('overlap');
        lines.push(`${p.path}: shard ${shardName(p.record)} (points ${p.record.from}..${p.record.to - 1}) overlaps ${last.path}, shard ${shardName(last.record)} (points ${last.record.from}..${last.record.to - 1}): parts of one run must be cut the same way (one shard count)`);
        continue;
      }
      kept.push(p);
    }
    const total = reference.record.points;
    const count = reference.record.shard.count;
    const oneCount = kept.every((p) => p.record.shard.count === count);
    const missing: string[] = [];
    const gap = (from: number, to: number) => {
      if (to <= from) return;
      if (oneCount) {
        // Name the shards of the common count that fall in the gap.
        for (let i = 1; i <= count; i++) {
          const a = Math.floor(((i - 1) * total) / count);
          const b = Math.floor((i * total) / count);
          if (a >= from && b <= to && b > a) missing.push(`${i}/${count} (points ${a}..${b - 1})`);
        }
      } else {
        missing.push(`points ${from}..${to - 1}`);
      }
    };
    let at = 0;
    for (const p of kept) {
      gap(at, p.record.from);
      at = Math.max(at, p.record.to);
    }
    gap(at, total);
    if (missing.length > 0) {
      problems.push('missing');
      lines.push(`missing ${missing.length === 1 ? 'shard' : 'shards'} of the run (${total} points, ${count} shards): ${missing.join(', ')}`);
    }
    if (problems.length === 0) return kept;
  }
  throw new ShardMergeError(problems, `cannot merge these parts:\n  ${lines.join('\n  ')}`);
}

/** One line of a part, as the merge hands it on. */
export interface PartLine {
  /** The line's text (without its newline). */
  readonly text: string;
  readonly index: number;
}

/** The grid index a JSON line or CSV row starts with, or NaN. */
export function lineIndex(line: string, format: 'json' | 'csv'): number {
  if (format === 'json') {
    if (!line.startsWith('{"index":')) return Number.NaN;
    const end = line.indexOf(',', 9);
    return end < 0 ? Number.NaN : Number(line.slice(9, end));
  }
  const end = line.indexOf(',');
  return end < 0 ? Number.NaN : Number(line.slice(0, end));
}

/**
 * Stream the merged bytes of checked parts (records left out) to `write`, in order, and
 * each line to `onLine` when given. Every part must hold exactly its record's points, in
 * order, each line ending in a newline.
 * @throws ShardMergeError (truncated) naming the part and what it holds.
 */
export async function streamParts(parts: readonly Part[], write: (bytes: Uint8Array) => Promise<void>, onLine?: (line: PartLine) => void): Promise<void> {
  for (const part of parts) {
    const { record } = part;
    let expected = record.from;
    // Shard 1 of a CSV run carries the run's header after its record.
    let header = record.format === 'csv' && record.shard.index === 1;
    let pending = '';
    let lastByte = 10;
    const bad = (why: string) =>
      new ShardMergeError(['truncated'], `cannot merge these parts:\n  ${part.path}: shard ${shardName(record)} should hold points ${record.from}..${record.to - 1} (${record.to - record.from} lines after its record); ${why}: it is truncated or was edited`);
    for await (const chunk of createReadStream(part.path, { start: part.recordBytes, highWaterMark: 1 << 20 })) {
      const bytes = chunk as Buffer;
      if (bytes.length === 0) continue;
      lastByte = bytes[bytes.length - 1];
      // Check the lines: the index each one starts with, in order.
      const text = pending + bytes.toString('utf8');
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        const line = text.slice(start, nl);
        if (header) {
          header = false;
          if (!line.startsWith('index,')) throw bad('its first line after the record is not the CSV header');
          start = nl + 1;
          continue;
        }
        const index = lineIndex(line, record.format);
        if (index !== expected) throw bad(expected >= record.to ? `it has more than ${record.to - record.from} lines` : `line ${expected - record.from + 1} after the record is not point ${expected}`);
        onLine?.({ text: line, index });
        expected++;
        start = nl + 1;
      }
      pending = text.slice(start);
      await write(bytes);
    }
    if (lastByte !== 10 || pending !== '') throw bad('its last line has no newline');
    if (header) throw bad('it has no CSV header after its record');
    if (expected !== record.to) throw bad(`it holds ${expected - record.from} of them`);
  }
}
