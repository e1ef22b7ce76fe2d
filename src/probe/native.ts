/**
 * The native reader: native/probe/kvmclock-probe.c compiled on first use with the system
 * C compiler into a cache directory (rebuilt when the source, the flags or the compiler
 * change; the approach of the native benchmark baseline), then run as a child process.
 * Every failure is a ProbeError with its code: `platform` (not Linux x86-64), `nocompiler`,
 * `nopvclock`, `odd`, `changing`, `native` (build failure, crash, timeout, bad output).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ProbeError } from '../errors.js';
import { type NativeLine, type NativeRecord, type NativeSample, parseNativeLine, parseRecordRun, parseSampleRun, probeErrorOf } from './native-output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The C source, found from src/probe/ and from dist/probe/ alike. */
export const PROBE_SOURCE = join(ROOT, 'native', 'probe', 'kvmclock-probe.c');
const FLAGS = ['-O2', '-std=gnu11', '-Wall'];

export interface NativeReader {
  readonly exe: string;
  /** The compiler and its first --version line. */
  readonly compiler: string;
}

/** Why this machine cannot run the reader at all, or null. */
export function platformError(platform: string = process.platform, arch: string = process.arch): ProbeError | null {
  if (platform === 'linux' && arch === 'x64') return null;
  return new ProbeError('platform', `kvmclock probe needs Linux on x86-64 (the pvclock page and the TSC are x86 KVM guest features); this is ${platform}/${arch}`);
}

/** The first of the candidate compilers that answers --version. */
export function findCompiler(candidates: readonly (string | undefined)[] = [process.env.CC, 'cc', 'gcc', 'clang']): { cc: string; version: string } | undefined {
  for (const cc of candidates.filter((c): c is string => !!c)) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) return { cc, version: (r.stdout ?? '').split('\n')[0]?.trim() || cc };
  }
  return undefined;
}

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** $KVMCLOCK_CACHE_DIR, else node_modules/.cache/kvmclock of this package, else a per-user temp directory. */
export function cacheDir(): string {
  const candidates = [process.env.KVMCLOCK_CACHE_DIR, join(ROOT, 'node_modules', '.cache', 'kvmclock'), join(tmpdir(), `kvmclock-cache-${process.getuid?.() ?? 'user'}`)];
  for (const d of candidates) if (d && writable(d)) return d;
  throw new ProbeError('native', `no writable cache directory for the native reader (tried ${candidates.filter(Boolean).join(', ')})`);
}

export interface BuildOptions {
  /** Compilers to try, in order (default $CC, cc, gcc, clang). */
  readonly compilers?: readonly (string | undefined)[];
  readonly cacheDir?: string;
  readonly platform?: string;
  readonly arch?: string;
}

/** Build the reader, or reuse the cached executable. */
export function buildNativeReader(o: BuildOptions = {}): NativeReader {
  const pe = platformError(o.platform, o.arch);
  if (pe) throw pe;
  const found = findCompiler(o.compilers);
  if (found === undefined) {
    const tried = (o.compilers ?? ['$CC', 'cc', 'gcc', 'clang']).filter(Boolean).join(', ');
    throw new ProbeError('nocompiler', `kvmclock probe builds a small C reader on first use, but no C compiler was found (tried ${tried}); install gcc or clang, or set CC`);
  }
  if (!existsSync(PROBE_SOURCE)) throw new ProbeError('native', `the native reader's source is missing: ${PROBE_SOURCE}`);
  const source = readFileSync(PROBE_SOURCE);
  const key = createHash('sha256').update(source).update(FLAGS.join(' ')).update(found.version).digest('hex').slice(0, 16);
  const dir = o.cacheDir ?? cacheDir();
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, `kvmclock-probe-${key}`);
  if (!existsSync(exe)) {
    const tmp = `${exe}.${process.pid}.tmp`;
    try {
      execFileSync(found.cc, [...FLAGS, '-o', tmp, PROBE_SOURCE], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
      renameSync(tmp, exe);
    } catch (e) {
      rmSync(tmp, { force: true });
      const stderr = String((e as { stderr?: Buffer }).stderr ?? e).trim();
      throw new ProbeError('native', `building the native reader with ${found.cc} failed: ${stderr.split('\n').slice(0, 5).join(' | ')}`, { cause: e });
    }
  }
  return { exe, compiler: `${found.cc}: ${found.version}` };
}

export interface RunOptions {
  /** Read the record from this file instead of the vDSO page (tests play the host with it). */
  readonly recordFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

function argsOf(o: RunOptions, cmd: readonly string[]): string[] {
  return o.recordFile === undefined ? [...cmd] : ['--file', o.recordFile, ...cmd];
}

/** Run one command to completion; a non-zero exit becomes its ProbeError. */
export function runNative(reader: NativeReader, cmd: readonly string[], o: RunOptions = {}): string {
  const r = spawnSync(reader.exe, argsOf(o, cmd), { encoding: 'utf8', timeout: o.timeoutMs ?? 30_000, env: o.env ?? process.env });
  if (r.error !== undefined) {
    const timedOut = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    throw new ProbeError('native', timedOut ? `the native reader did not finish within ${o.timeoutMs ?? 30_000} ms` : `cannot run the native reader: ${r.error.message}`, { cause: r.error });
  }
  const out = r.stdout ?? '';
  if (r.status !== 0) {
    const line = out.split('\n').find((l) => l.startsWith('error '));
    if (line !== undefined) {
      const l = parseNativeLine(line);
      if (l.kind === 'error') throw probeErrorOf(l.code, l.message);
    }
    throw new ProbeError('native', `the native reader failed (${r.signal ? `signal ${r.signal}` : `exit ${r.status}`}): ${(r.stderr ?? '').trim() || out.trim()}`);
  }
  return out;
}

/** One consistent read of the record. */
export function readRecord(reader: NativeReader, o: RunOptions = {}): NativeRecord {
  return parseRecordRun(runNative(reader, ['record'], o));
}

/** The record plus the narrowest (TSC, clock, TSC) triples out of `iterations` tries per clock. */
export function sampleClocks(reader: NativeReader, iterations: number, o: RunOptions = {}): NativeSample {
  return parseSampleRun(runNative(reader, ['sample', String(iterations)], o));
}

export interface WatchHandle {
  /** Stop watching (SIGTERM to the reader); `done` then resolves. */
  stop(): void;
  /** Resolves when the reader has exited: the ProbeError if it failed, else null. */
  readonly done: Promise<ProbeError | null>;
}

/**
 * Start `watch`: `onLine` gets every parsed line as it arrives (the initial record, then
 * updates). The reader exits by itself after maxSeconds (0: never) or on stop().
 */
export function startWatch(reader: NativeReader, pollUs: number, maxSeconds: number, onLine: (l: NativeLine) => void, o: RunOptions = {}): WatchHandle {
  const child = spawn(reader.exe, argsOf(o, ['watch', String(pollUs), String(maxSeconds)]), { stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env });
  let failure: ProbeError | null = null;
  let stopped = false;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line.trim() === '' || failure !== null) return;
    try {
      const l = parseNativeLine(line);
      if (l.kind === 'error') failure = probeErrorOf(l.code, l.message);
      else onLine(l);
    } catch (e) {
      failure = e instanceof ProbeError ? e : new ProbeError('native', String(e));
      child.kill('SIGTERM');
    }
  });
  const done = new Promise<ProbeError | null>((resolve) => {
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let closed = false;
    const finish = () => {
      if (exited === undefined || !closed) return;
      const { code, signal } = exited;
      if (failure === null && !stopped && code !== 0) {
        failure = new ProbeError('native', `the native reader stopped unexpectedly (${signal ? `signal ${signal}` : `exit ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`);
      }
      resolve(failure);
    };
    child.on('error', (e) => {
      failure ??= new ProbeError('native', `cannot run the native reader: ${e.message}`, { cause: e });
      exited = { code: null, signal: null };
      closed = true;
      finish();
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      finish();
    });
    lines.on('close', () => {
      closed = true;
      finish();
    });
  });
  return {
    stop() {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
    done,
  };
}
