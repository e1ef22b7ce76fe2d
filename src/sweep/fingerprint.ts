/**
 * The shard record: the first line of every sharded sweep output (`--shard i/n` or
 * `--shard auto`), saying which run the part belongs to and which points it holds, so that
 * `kvmclock merge` can check that the parts are of one run and cover it exactly once.
 *
 * The run's fingerprint is a sha256 over what decides the output's bytes: the package name
 * and version, the grid (every list as parsed, the tolerance, the kernel profiles), the
 * samples per point, the output format and the backend. Two runs with the same fingerprint
 * print the same line for every point.
 *
 * JSON lines parts start with `{"kvmclockShard":{…}}`; CSV parts with `#kvmclock-shard {…}`
 * (a comment line, skipped by CSV readers that take `#` comments, e.g. pandas comment='#').
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BackendName } from '../backend.js';
import type { ChainGrid } from './chain-grid.js';
import { expandGrid, packGrid, type PackedGrid } from './grid-pack.js';
import type { Shard } from './grid.js';

/** The name and version of this package (package.json, two levels above src/sweep and dist/sweep). */
export function packageVersion(): { readonly name: string; readonly version: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

/** What a run is, for its fingerprint. */
export interface RunIdentity {
  readonly grid: ChainGrid;
  readonly samples: bigint;
  readonly format: 'json' | 'csv';
  readonly backend: BackendName;
}

/** The record at the head of a part. */
export interface ShardRecord {
  /** The record's own format version. */
  readonly record: 1;
  readonly fingerprint: string;
  readonly package: { readonly name: string; readonly version: string };
  readonly shard: { readonly index: number; readonly count: number };
  /** The part's points: grid indices [from, to). */
  readonly from: number;
  readonly to: number;
  /** Points of the whole run. */
  readonly points: number;
  readonly format: 'json' | 'csv';
  readonly samples: string;
  readonly backend: BackendName;
  /** The grid, lists as runs (src/sweep/grid-pack.ts), without the expansion key. */
  readonly grid: Omit<PackedGrid, 'key' | 'shared'>;
  /** How the shard was chosen: `i/n`, or the cluster engine and the variables it read. */
  readonly chosenBy: string;
}

function canonicalGrid(g: ChainGrid): Omit<PackedGrid, 'key' | 'shared'> {
  const p = packGrid({ ...g, kernels: g.kernels === undefined || g.kernels.length === 0 ? ['6.18'] : g.kernels });
  return { hostKhz: p.hostKhz, guestKhz: p.guestKhz, vendors: p.vendors, horizonsS: p.horizonsS, tolerancePpm: p.tolerancePpm, ...(p.kernels === undefined ? {} : { kernels: p.kernels }) };
}

/** The fingerprint of a run (hex sha256). */
export function runFingerprint(run: RunIdentity): string {
  const pkg = packageVersion();
  const identity = { package: `${pkg.name}@${pkg.version}`, grid: canonicalGrid(run.grid), samples: run.samples.toString(), format: run.format, backend: run.backend };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** The record of one part. */
export function shardRecord(run: RunIdentity, shard: Shard, range: { from: number; to: number }, points: number, chosenBy: string): ShardRecord {
  return {
    record: 1,
    fingerprint: runFingerprint(run),
    package: packageVersion(),
    shard: { index: shard.index, count: shard.count },
    from: range.from,
    to: range.to,
    points,
    format: run.format,
    samples: run.samples.toString(),
    backend: run.backend,
    grid: canonicalGrid(run.grid),
    chosenBy,
  };
}

const JSON_KEY = 'kvmclockShard';
const CSV_PREFIX = '#kvmclock-shard ';

/** The record's line (with its newline) for a part in `format`. */
export function recordLine(r: ShardRecord): string {
  return r.format === 'json' ? `${JSON.stringify({ [JSON_KEY]: r })}\n` : `${CSV_PREFIX}${JSON.stringify(r)}\n`;
}

/** The record of a part's first line, or undefined when the line is not one. */
export function parseRecordLine(line: string): ShardRecord | undefined {
  let body: unknown;
  try {
    if (line.startsWith(CSV_PREFIX)) body = JSON.parse(line.slice(CSV_PREFIX.length));
    else if (line.startsWith(`{"${JSON_KEY}":`)) body = (JSON.parse(line) as Record<string, unknown>)[JSON_KEY];
    else return undefined;
  } catch {
    return undefined;
  }
  const r = body as Partial<ShardRecord> | undefined;
  if (r === undefined || r === null || r.record !== 1 || typeof r.fingerprint !== 'string' || typeof r.from !== 'number' || typeof r.to !== 'number' || typeof r.points !== 'number') return undefined;
  if (r.format !== 'json' && r.format !== 'csv') return undefined;
  if (typeof r.shard?.index !== 'number' || typeof r.shard?.count !== 'number' || r.grid === undefined) return undefined;
  return r as ShardRecord;
}

/** The grid of a record. */
export function recordGrid(r: ShardRecord): ChainGrid {
  return expandGrid({ ...r.grid, key: JSON.stringify(r.grid) });
}
