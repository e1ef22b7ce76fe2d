/**
 * Live tests of `kvmclock probe` (npm run test:live; not part of npm test). Two groups:
 *
 * - the native reader against a record file that the test writes while it is read, playing
 *   the host (odd version, a version that changes during every read, an empty page, updates
 *   in the middle of a --watch read): needs Linux x86-64 and a C compiler;
 * - the real pvclock page of this machine (record, boot lines, a 20 s drift measurement
 *   against the prediction for whatever CLOCK_MONOTONIC_RAW runs on — D on a tsc guest,
 *   kvm-clock itself, exactly, on a kvm-clock guest — --watch and Ctrl-C): additionally
 *   needs a KVM guest that exposes its pvclock page.
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
import { evidenceText } from '../../src/probe/kvm-evidence.js';
import { sampleRecord } from '../../src/probe/measure.js';
import { buildNativeReader, type NativeReader, readRecord, sampleClocks, startWatch } from '../../src/probe/native.js';
import type { NativeLine } from '../../src/probe/native-output.js';
import { toNumber } from '../../src/probe/ratio-math.js';
import { runResult } from '../../src/probe/run.js';
import { readSystemFacts } from '../../src/probe/system.js';
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
  it(withPage('the record is consistent and KVM’s clock is recognised by it and by kvm-clock (the CPUID signature is information)'), { skip: pageSkip !== null }, () => {
    const { read, hypervisor, pageSource } = readRecord(reader!);
    expect(read.record.version % 2).toBe(0);
    expect(read.record.tscToSystemMul).toBeGreaterThanOrEqual(2 ** 31);
    const a = analyse(api, { record: read.record, ...readSystemFacts(), native: { hypervisor, pageSource } });
    const ev = evidenceText(a.kvm);
    console.info(`[probe live] KVM's clock: ${ev.signs}; ${ev.info}`);
    expect(a.kvm.kvmClock).toBe(true);
  });

  it(withPage('every boot line the probe can read matches (TSC clocksources never registered are reported, with the reason)'), { skip: pageSkip !== null }, (ctx) => {
    const facts = readSystemFacts();
    if ('unavailable' in facts.bootLog) {
      ctx.skip(`kernel log not readable: ${facts.bootLog.unavailable}`);
      return;
    }
    const a = analyse(api, { record: readRecord(reader!).read.record, ...facts });
    if (!('checks' in a.boot)) throw new Error('boot lines expected');
    const compared = a.boot.checks.filter((c) => c.status === 'match' || c.status === 'mismatch');
    expect(compared.length).toBeGreaterThan(0);
    expect(compared.filter((c) => c.status === 'mismatch').map((c) => c.line)).toEqual([]);
    for (const c of a.boot.checks.filter((x) => x.status === 'not-registered')) {
      console.info(`[probe live] ${c.line}: ${c.basis}`);
      expect(c.basis).toMatch(/^not registered: /);
    }
  });

  it(withPage('over 20 s, the drift of kvm-clock against what CLOCK_MONOTONIC_RAW runs on is within 3 ppb of its prediction'), { skip: pageSkip !== null, timeout: 60_000 }, async (ctx) => {
    const start = sampleClocks(reader!, 20_000);
    await sleep(20_000);
    const end = sampleClocks(reader!, 20_000);
    const record = sampleRecord(end) ?? end.after.record;
    const a = analyse(api, { record, ...readSystemFacts(), native: end });
    const raw = a.rawClock;
    if (raw.kind === 'other' || raw.kind === 'unknown') {
      ctx.skip(`no prediction on this guest: ${raw.notPredicted.map((n) => `${n.what}: ${n.why}`).join('; ')}`);
      return;
    }
    const r = runResult(api, 1, start, end, a);
    const m = r.measurement;
    console.info(
      `[probe live] RAW runs on ${raw.kind}; 20 s: predicted ${formatDecimal(m.predictedPpb!, 4)} ppb, measured ${formatDecimal(m.measuredPpb, 4)} ppb, residual ${formatDecimal(m.residualPpb!, 4)} ppb` +
        (r.rawOffset ? `; RAW − kvm-clock ${r.rawOffset.start.atWindowStartNs} → ${r.rawOffset.end.atWindowStartNs} ns (windows allow ${r.rawOffset.allowedNs.min}…${r.rawOffset.allowedNs.max})` : ''),
    );
    expect(Math.abs(toNumber(m.residualPpb!))).toBeLessThan(3);
    if (raw.kind === 'kvm-clock') expect(r.rawOffset?.consistent).toBe(true);
    if (r.mono.residualPpb !== null) {
      console.info(`[probe live] CLOCK_MONOTONIC against ${r.mono.against}: measured ${formatDecimal(r.mono.measuredPpb, 3)} ppb, residual ${formatDecimal(r.mono.residualPpb, 3)} ppb`);
      expect(Math.abs(toNumber(r.mono.residualPpb))).toBeLessThan(3);
    }
  });

  it(withPage('kvmclock probe --json measures and reports, with no boot line mismatching'), { skip: pageSkip !== null, timeout: 60_000 }, async () => {
    const out = captureStdout();
    let code: number;
    try {
      code = await probeCommand.run(['--seconds', '3', '--json']);
    } finally {
      out.restore();
    }
    expect(code).toBe(0);
    const j = JSON.parse(out.restore());
    expect(j.measurements).toHaveLength(1);
    if (j.analysis.boot.checks) expect(j.analysis.boot.checks.filter((c: { status: string }) => c.status === 'mismatch')).toEqual([]);
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
