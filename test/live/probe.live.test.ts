/**
 * Live tests of `kvmclock probe` (npm run test:live; not part of npm test). Two groups:
 *
 * - the native reader against a record file that the test writes while it is read, playing
 *   the host (odd version, a version that changes during every read, an empty page, updates
 *   in the middle of a --watch read): needs Linux x86-64 and a C compiler;
 * - the real pvclock page of this machine (record, boot lines, a 20 s drift measurement,
 *   --watch and Ctrl-C): additionally needs a KVM guest that exposes its pvclock page.
 *
 * Where a group cannot run, its tests are skipped and their titles say why.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { probeCommand } from '../../src/cli/commands/probe.js';
import { ProbeError } from '../../src/errors.js';
import { kvmclock } from '../../src/index.js';
import type { PvclockRecord } from '../../src/model/pvclock-record.js';
import { analyse } from '../../src/probe/analysis.js';
import { parseBootLog } from '../../src/probe/boot-log.js';
import { measureDrift, sampleRecord } from '../../src/probe/measure.js';
import { buildNativeReader, type NativeReader, readRecord, sampleClocks, startWatch } from '../../src/probe/native.js';
import type { NativeLine } from '../../src/probe/native-output.js';
import { toNumber } from '../../src/probe/ratio-math.js';
import { readCpuinfo, readKernelHz, readKernelLog } from '../../src/probe/system.js';
import { formatDecimal } from '../../src/rational.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const api = kvmclock();

// ---- what can run here ------------------------------------------------------------------

let reader: NativeReader | null = null;
let nativeSkip: string | null = null;
try {
  reader = buildNativeReader();
} catch (e) {
  nativeSkip = e instanceof ProbeError ? `${e.code}: ${e.message}` : String(e);
}
let pageSkip: string | null = nativeSkip;
if (reader !== null) {
  try {
    readRecord(reader);
  } catch (e) {
    pageSkip = e instanceof ProbeError ? `${e.code}: ${e.message}` : String(e);
  }
}
if (nativeSkip) console.warn(`[probe live] native reader tests skipped — ${nativeSkip}`);
else if (pageSkip) console.warn(`[probe live] real pvclock page tests skipped — ${pageSkip}`);

const withNative = (title: string) => (nativeSkip === null ? title : `${title} [skipped: ${nativeSkip}]`);
const withPage = (title: string) => (pageSkip === null ? title : `${title} [skipped: ${pageSkip}]`);

// ---- playing the host on a record file --------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'kvmclock-probe-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recordBytes(r: PvclockRecord): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(r.version, 0);
  b.writeBigUInt64LE(r.tscTimestamp, 8);
  b.writeBigUInt64LE(r.systemTime, 16);
  b.writeUInt32LE(r.tscToSystemMul, 24);
  b.writeInt8(r.tscShift, 28);
  b.writeUInt8(r.flags, 29);
  return b;
}

function recordFile(name: string, r: PvclockRecord | null): string {
  const f = join(dir, name);
  const page = Buffer.alloc(4096);
  if (r) recordBytes(r).copy(page);
  writeFileSync(f, page);
  return f;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const R0: PvclockRecord = { version: 2, tscTimestamp: 1_000_000n, systemTime: 5_000_000n, tscToSystemMul: 3_308_757_408, tscShift: -1, flags: 1 };

/** A host update as KVM writes it: version odd, the fields (with a pause in the middle), version even. */
async function hostWrite(fd: number, next: PvclockRecord, midPauseMs: number): Promise<void> {
  const b = recordBytes(next);
  const odd = Buffer.alloc(4);
  odd.writeUInt32LE(next.version - 1, 0);
  writeSync(fd, odd, 0, 4, 0);
  writeSync(fd, b, 8, 12, 8); // tsc_timestamp and half of system_time
  await sleep(midPauseMs);
  writeSync(fd, b, 20, 12, 20); // the rest
  writeSync(fd, b, 0, 4, 0); // version even: done
}

describe('native reader against a record file (the test plays the host)', () => {
  it(withNative('reads a consistent record'), { skip: nativeSkip !== null }, () => {
    const r = readRecord(reader!, { recordFile: recordFile('ok', R0) });
    expect(r.read.record).toEqual(R0);
    expect(r.pageSource).toBe('file');
  });

  it(withNative('a version that stays odd is the error "odd", within a second'), { skip: nativeSkip !== null }, () => {
    const t = Date.now();
    expect(() => readRecord(reader!, { recordFile: recordFile('odd', { ...R0, version: 3 }) })).toThrow(expect.objectContaining({ name: 'ProbeError', code: 'odd' }));
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it(withNative('a version that changes during every read is the error "changing"'), { skip: nativeSkip !== null }, () => {
    const f = recordFile('changing', R0);
    expect(() => readRecord(reader!, { recordFile: f, env: { ...process.env, KVMCLOCK_PROBE_TEST_BUMP: '1' } })).toThrow(expect.objectContaining({ code: 'changing' }));
  });

  it(withNative('an empty page is the error "nopvclock"; a missing file "native"'), { skip: nativeSkip !== null }, () => {
    expect(() => readRecord(reader!, { recordFile: recordFile('empty', null) })).toThrow(expect.objectContaining({ code: 'nopvclock' }));
    expect(() => readRecord(reader!, { recordFile: join(dir, 'absent') })).toThrow(expect.objectContaining({ code: 'native' }));
  });

  it(withNative('a page that faults when read (SIGBUS) is the error "nopvclock", not a crash'), { skip: nativeSkip !== null }, () => {
    const f = join(dir, 'zero-length');
    writeFileSync(f, '');
    expect(() => readRecord(reader!, { recordFile: f })).toThrow(expect.objectContaining({ code: 'nopvclock', message: expect.stringContaining('faults') }));
  });

  it(withNative('--watch survives updates in the middle of its reads and never reports a torn record'), { skip: nativeSkip !== null, timeout: 30_000 }, async () => {
    const f = recordFile('watch', R0);
    const lines: NativeLine[] = [];
    const handle = startWatch(reader!, 1000, 0, (l) => lines.push(l), { recordFile: f });
    await sleep(300);
    const fd = openSync(f, 'r+');
    const published: PvclockRecord[] = [];
    let r = R0;
    try {
      for (let i = 1; i <= 6; i++) {
        r = { ...r, version: r.version + 2, tscTimestamp: r.tscTimestamp + 1_000_000_007n * BigInt(i), systemTime: r.systemTime + 999_999_937n * BigInt(i) - BigInt(i % 2) * 91_530_383n };
        // a 20 ms pause mid-update makes every read in it meet an odd version; the 4th stays odd
        // for 120 ms, longer than the reader's 50 ms budget (reported as busy, then watched on)
        await hostWrite(fd, r, i === 4 ? 120 : 20);
        published.push(r);
        await sleep(80);
      }
    } finally {
      closeSync(fd);
    }
    await sleep(200);
    handle.stop();
    expect(await handle.done).toBeNull();
    const updates = lines.flatMap((l) => (l.kind === 'update' ? [l.update.record] : []));
    expect(updates).toEqual(published);
    expect(lines.filter((l) => l.kind === 'update').some((l) => l.kind === 'update' && l.update.retries > 0)).toBe(true);
    expect(lines.some((l) => l.kind === 'busy')).toBe(true);
  });

  it(withNative('kvmclock probe --watch on a record file reports the step of each update with its sign'), { skip: nativeSkip !== null, timeout: 30_000 }, async () => {
    const f = recordFile('cli-watch', R0);
    const out = captureStdout();
    const run = probeCommand.run(['--watch', '--record-file', f, '--seconds', '2', '--json']);
    await sleep(500);
    const fd = openSync(f, 'r+');
    const next = { ...R0, version: 4, tscTimestamp: 2_000_000n, systemTime: 5_000_000n }; // the same system_time 10^6 cycles later: a step back
    await hostWrite(fd, next, 10);
    closeSync(fd);
    const code = await run;
    const text = out.restore();
    expect(code).toBe(0);
    const events = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].type).toBe('record');
    const upd = events.find((e) => e.type === 'update');
    expect(upd.next.version).toBe(4);
    const back = -BigInt(api.pvclockRead(2_000_000n, R0.tscTimestamp, R0.systemTime, R0.tscToSystemMul, R0.tscShift) - R0.systemTime);
    expect(BigInt(upd.step.atReference.stepNs)).toBe(back);
    expect(back < 0n).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'end', updates: 1 });
  });
});

/** PIDs of processes running `exe args…` (from /proc). */
function readersWatching(exe: string, args: readonly string[]): number[] {
  const want = [exe, ...args].join('\0');
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0$/, '') === want) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function captureStdout(): { restore(): string } {
  const chunks: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => {
    chunks.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  return {
    restore() {
      process.stdout.write = orig;
      return chunks.join('');
    },
  };
}

// ---- this machine's pvclock page --------------------------------------------------------

describe('this machine’s pvclock page', () => {
  it(withPage('the record is consistent and looks like KVM’s'), { skip: pageSkip !== null }, () => {
    const { read, hypervisor } = readRecord(reader!);
    expect(read.record.version % 2).toBe(0);
    expect(read.record.tscToSystemMul).toBeGreaterThanOrEqual(2 ** 31);
    expect(hypervisor).toMatch(/^KVMKVMKVM/);
  });

  it(withPage('every boot line the probe can read matches'), { skip: pageSkip !== null }, (ctx) => {
    const log = readKernelLog();
    if (!log.ok) {
      ctx.skip(`kernel log not readable: ${log.reason}`);
      return;
    }
    const hz = readKernelHz();
    const cpuinfo = readCpuinfo();
    const a = analyse(api, { record: readRecord(reader!).read.record, bootLog: { log: parseBootLog(log.value), source: log.source }, cpuinfo: cpuinfo.ok ? cpuinfo.value : null, hz: hz.ok ? hz.value : null });
    if (!('checks' in a.boot)) throw new Error('boot lines expected');
    const compared = a.boot.checks.filter((c) => c.status !== 'not-modelled');
    expect(compared.length).toBeGreaterThan(0);
    expect(compared.filter((c) => c.status === 'mismatch').map((c) => c.line)).toEqual([]);
  });

  it(withPage('over 20 s, predicted and measured drift differ by less than 3 ppb'), { skip: pageSkip !== null, timeout: 60_000 }, async () => {
    const start = sampleClocks(reader!, 20_000);
    await sleep(20_000);
    const end = sampleClocks(reader!, 20_000);
    const record = sampleRecord(end) ?? end.after.record;
    const log = readKernelLog();
    const a = analyse(api, { record, bootLog: log.ok ? { log: parseBootLog(log.value), source: log.source } : { unavailable: log.reason }, cpuinfo: null, hz: null });
    const m = measureDrift(api, start, end, a.d, a.prediction);
    console.info(`[probe live] 20 s: predicted ${formatDecimal(m.predictedPpb, 4)} ppb, measured ${formatDecimal(m.measuredPpb, 4)} ppb, residual ${formatDecimal(m.residualPpb, 4)} ppb`);
    expect(Math.abs(toNumber(m.residualPpb))).toBeLessThan(3);
  });

  it(withPage('kvmclock probe --json measures and reports'), { skip: pageSkip !== null, timeout: 60_000 }, async () => {
    const out = captureStdout();
    let code: number;
    try {
      code = await probeCommand.run(['--seconds', '3', '--json']);
    } finally {
      out.restore();
    }
    expect(code).toBe(0);
  });

  it(withPage('--watch ends cleanly on Ctrl-C and leaves no reader behind'), { skip: pageSkip !== null, timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/live/probe-cli.ts'), '--watch'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    for (let i = 0; i < 100 && !stdout.includes('current:'); i++) await sleep(100);
    expect(stdout).toContain('current:');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/\d+ updates? in [\d.]+ s/);
    await sleep(300);
    expect(readersWatching(reader!.exe, ['watch', '1000', '0'])).toEqual([]);
  });
});
