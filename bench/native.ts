/**
 * The native C baseline: bench/native/kvmclock-bench.c compiled at bench time with the
 * system C compiler into node_modules/.cache/kvmclock/ (rebuilt when the source or the
 * flags change), run as a child process per (op, variant), its correctness line checked by
 * the caller against the reference. No compiler: {@link nativeBuilds} says why and the
 * native rows are skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SOURCE = join(ROOT, 'bench', 'native', 'kvmclock-bench.c');
const CACHE = join(ROOT, 'node_modules', '.cache', 'kvmclock');

export type NativeImpl = 'native-c-scalar' | 'native-c-vector';

/** Compiler flags per variant (the source selects its kernels with KVMCLOCK_VARIANT). */
export const NATIVE_FLAGS: Record<NativeImpl, string[]> = {
  'native-c-scalar': ['-O3', '-DKVMCLOCK_VARIANT=0'],
  'native-c-vector': ['-O3', '-march=native', '-DKVMCLOCK_VARIANT=1'],
};

export interface NativeBuilds {
  /** Executable per variant, or undefined when the variant could not be built. */
  readonly executables: Partial<Record<NativeImpl, string>>;
  /** The compiler's first --version line, or why there is none. */
  readonly compiler: string;
  /** Set when the native baseline is skipped. */
  readonly note?: string;
}

function findCompiler(): string | undefined {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter((c): c is string => !!c)) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return cc;
  }
  return undefined;
}

/** Builds (or reuses) both variants. */
export function nativeBuilds(): NativeBuilds {
  const cc = findCompiler();
  if (cc === undefined) return { executables: {}, compiler: 'none', note: 'native C baseline skipped: no C compiler found (tried $CC, cc, gcc, clang)' };
  const version = (spawnSync(cc, ['--version'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0]?.trim() ?? cc;
  mkdirSync(CACHE, { recursive: true });
  const source = readFileSync(SOURCE);
  const executables: Partial<Record<NativeImpl, string>> = {};
  const failures: string[] = [];
  for (const [impl, flags] of Object.entries(NATIVE_FLAGS) as [NativeImpl, string[]][]) {
    const key = createHash('sha256').update(source).update(flags.join(' ')).update(version).digest('hex').slice(0, 16);
    const exe = join(CACHE, `kvmclock-bench-${impl}-${key}`);
    if (!existsSync(exe)) {
      try {
        execFileSync(cc, [...flags, '-o', exe, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        failures.push(`${impl}: ${cc} ${flags.join(' ')} failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n')[0]}`);
        continue;
      }
    }
    executables[impl] = exe;
  }
  return { executables, compiler: `${cc}: ${version}`, note: failures.length > 0 ? failures.join('; ') : undefined };
}

/** What one native run reports. */
export interface NativeRun {
  /** Wrapping sum of the outputs of one pass over fresh inputs, and outputs 0, N/2, N−1. */
  readonly checksum: bigint;
  readonly probes: readonly [bigint, bigint, bigint];
  /** ns per conversion of each timed sample. */
  readonly samples: readonly number[];
}

/** Runs one variant on one op: `params` are the op's parameters as the C program reads them. */
export function runNative(exe: string, op: string, n: number, seed: bigint, samples: number, minSampleNs: number, params: readonly (bigint | number)[]): NativeRun {
  const args = [op, String(n), String(seed), String(samples), String(Math.round(minSampleNs)), ...params.map(String)];
  const out = execFileSync(exe, args, { encoding: 'utf8' });
  let checksum: bigint | undefined;
  let probes: [bigint, bigint, bigint] | undefined;
  const times: number[] = [];
  for (const line of out.split('\n')) {
    const [tag, ...rest] = line.trim().split(/\s+/);
    if (tag === 'check') {
      checksum = BigInt(rest[0]);
      probes = [BigInt(rest[1]), BigInt(rest[2]), BigInt(rest[3])];
    } else if (tag === 'sample') {
      times.push(Number(rest[0]));
    }
  }
  if (checksum === undefined || probes === undefined || times.length !== samples) throw new Error(`unexpected output of ${exe} ${args.join(' ')}:\n${out}`);
  return { checksum, probes, samples: times };
}
