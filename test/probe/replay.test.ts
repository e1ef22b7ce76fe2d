/**
 * The recordings of real KVM guests replayed through the whole probe — analysis,
 * measurement, boot lines, the CLI's --replay — with the figures each must give: a guest
 * whose CLOCK_MONOTONIC_RAW runs on its TSC clocksource (D), and two whose RAW runs on
 * kvm-clock (the TSC marked unstable on the command line), one of them told the host's
 * TSC frequency rather than deriving it from its record.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { probeCommand } from '../../src/cli/commands/probe.js';
import { kvmclock } from '../../src/index.js';
import type { PvclockRecord } from '../../src/model/pvclock-record.js';
import { analyse } from '../../src/probe/analysis.js';
import { checkConstantOffset } from '../../src/probe/clock-offset.js';
import { kvmClockRegistration } from '../../src/probe/clocksource.js';
import type { NativeSample } from '../../src/probe/native-output.js';
import { toNumber } from '../../src/probe/ratio-math.js';
import { readRecording, type Recording } from '../../src/probe/recording.js';
import { renderAnalysis, renderBoot, renderRun } from '../../src/probe/render.js';
import { runResult } from '../../src/probe/run.js';
import { formatDecimal } from '../../src/rational.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';
import { fixtureDir, GUEST, GUEST_RECORD, KVM_CLOCK_GUEST, KVM_CLOCK_HOST_KHZ_GUEST, KVM_CLOCK_HOST_KHZ_RECORD, KVM_CLOCK_RECORD } from './helpers.js';

function recording(guest: string): Recording {
  const r = readRecording(fixtureDir(guest));
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** The guest's pvclock read written out here, independently of the project's backends (no wrap at these values). */
function pvclockByHand(r: PvclockRecord, tsc: bigint): bigint {
  const delta = tsc - r.tscTimestamp;
  const shifted = r.tscShift < 0 ? delta >> BigInt(-r.tscShift) : delta << BigInt(r.tscShift);
  return r.systemTime + ((shifted * BigInt(r.tscToSystemMul)) >> 32n);
}

interface Expected {
  readonly guest: string;
  readonly record: PvclockRecord;
  readonly rawKind: 'tsc' | 'kvm-clock';
  readonly currentFromBootLog: boolean;
  readonly signature: string;
  readonly guestKhz: number;
  readonly hostKhz: bigint;
  readonly d: { readonly mult: number; readonly shift: number; readonly running: boolean };
  /** kvm-clock against D, 4 decimals (hypothetical on the kvm-clock guest). */
  readonly kvmclockVsDPpb: string;
  readonly drift: { readonly measured: string; readonly predicted: string; readonly residual: string; readonly bound: string };
  readonly mono: { readonly against: string; readonly measured: string; readonly predicted: string };
  readonly boot: { readonly match: number; readonly notRegistered: number };
}

const CASES: readonly Expected[] = [
  {
    guest: GUEST,
    record: GUEST_RECORD,
    rawKind: 'tsc',
    currentFromBootLog: true, // this recording predates current_clocksource.txt: the log's last switch is to tsc
    signature: 'KVMKVMKVM',
    guestKhz: 2_596_120,
    hostKhz: 2_596_121n,
    d: { mult: 6_462_419, shift: 24, running: true },
    kvmclockVsDPpb: '-338.4955',
    drift: { measured: '-338.5695', predicted: '-338.4955', residual: '-0.0740', bound: '2.141' },
    mono: { against: 'D', measured: '-0.481', predicted: '0.000' },
    boot: { match: 7, notRegistered: 0 },
  },
  {
    guest: KVM_CLOCK_GUEST,
    record: KVM_CLOCK_RECORD,
    rawKind: 'kvm-clock',
    currentFromBootLog: false,
    signature: 'bhyve_bhyve_',
    guestKhz: 2_096_032,
    hostKhz: 2_096_032n,
    d: { mult: 8_004_275, shift: 24, running: false },
    kvmclockVsDPpb: '-32.2094',
    drift: { measured: '0.0000', predicted: '0.0000', residual: '0.0000', bound: '2.148' },
    mono: { against: 'kvm-clock', measured: '0.000', predicted: '0.000' },
    boot: { match: 5, notRegistered: 2 },
  },
  {
    guest: KVM_CLOCK_HOST_KHZ_GUEST,
    record: KVM_CLOCK_HOST_KHZ_RECORD,
    rawKind: 'kvm-clock',
    currentFromBootLog: false,
    signature: 'bhyve_bhyve_',
    guestKhz: 2_096_018,
    hostKhz: 2_096_019n,
    d: { mult: 8_004_324, shift: 24, running: false }, // registered (if it were) at the detected 2,096,019 kHz
    kvmclockVsDPpb: '48.3137',
    drift: { measured: '0.0000', predicted: '0.0000', residual: '0.0000', bound: '2.148' },
    mono: { against: 'kvm-clock', measured: '0.000', predicted: '0.000' },
    boot: { match: 5, notRegistered: 2 },
  },
];

describe.each(BACKEND_NAMES)('replaying the recordings on the %s backend', (backend) => {
  const api = kvmclock(backend);

  describe.each(CASES)('$guest', (x) => {
    const rec = recording(x.guest);
    const a = analyse(api, { record: rec.start.after.record, ...rec.facts, native: rec.start });
    const run = runResult(api, 1, rec.start, rec.end, a);

    it(`RAW runs on ${x.rawKind}; the record, the frequencies and D`, () => {
      expect(rec.start.after.record).toEqual(x.record);
      expect(a.rawClock.kind).toBe(x.rawKind);
      expect(a.rawClock.current).toMatchObject({ name: x.rawKind, fromBootLog: x.currentFromBootLog });
      expect(a.guestKhz).toBe(x.guestKhz);
      expect(a.hostKhz).toEqual({ min: x.hostKhz, max: x.hostKhz });
      expect([a.d.registration.mult, a.d.registration.shift]).toEqual([x.d.mult, x.d.shift]);
      expect(a.dStatus.running).toBe(x.d.running);
      expect(formatDecimal(a.prediction.ppb, 4)).toBe(x.kvmclockVsDPpb);
    });

    it('KVM’s clock is recognised by the record and kvm-clock, whatever the CPUID signature says', () => {
      expect(a.kvm).toMatchObject({ kvmClock: true, scaleFromKvm: true, kvmClockRegistered: true, kvmClockMsrs: true, cpuidSignature: x.signature });
    });

    it(`boot lines: ${x.boot.match} match, none mismatch, ${x.boot.notRegistered} not registered`, () => {
      const boot = a.boot;
      if (!('checks' in boot)) throw new Error('boot lines expected');
      const count = (s: string) => boot.checks.filter((c) => c.status === s).length;
      expect([count('match'), count('mismatch'), count('not-modelled'), count('not-registered')]).toEqual([x.boot.match, 0, 0, x.boot.notRegistered]);
    });

    it(`kvm-clock against RAW: measured ${x.drift.measured} ppb, predicted ${x.drift.predicted} ppb, residual ${x.drift.residual} ppb`, () => {
      const m = run.measurement;
      expect(formatDecimal(m.measuredPpb, 4)).toBe(x.drift.measured);
      expect(formatDecimal(m.predictedPpb!, 4)).toBe(x.drift.predicted);
      expect(formatDecimal(m.residualPpb!, 4)).toBe(x.drift.residual);
      expect(formatDecimal(m.boundPpb, 3)).toBe(x.drift.bound);
      expect(Math.abs(toNumber(m.residualPpb!))).toBeLessThan(3);
    });

    it(`CLOCK_MONOTONIC against ${x.mono.against}: measured ${x.mono.measured} ppb, predicted ${x.mono.predicted} ppb`, () => {
      expect(run.mono.against).toBe(x.mono.against);
      expect(formatDecimal(run.mono.measuredPpb, 3)).toBe(x.mono.measured);
      if ('reason' in run.mono.predicted) throw new Error(run.mono.predicted.reason);
      expect(formatDecimal(run.mono.predicted.vsRawPpb, 3)).toBe(x.mono.predicted);
      expect(Math.abs(toNumber(run.mono.residualPpb!))).toBeLessThan(3);
    });
  });

  describe('the kvm-clock guest', () => {
    const rec = recording(KVM_CLOCK_GUEST);
    const a = analyse(api, { record: KVM_CLOCK_RECORD, ...rec.facts, native: rec.start });
    const run = runResult(api, 1, rec.start, rec.end, a);

    it('kvm-clock registers at 1,000,000 kHz with mult 2^23, shift 23: the max_cycles and max_idle_ns the guest printed', () => {
      const reg = kvmClockRegistration(api);
      expect(api.clocksourceKhz(1_000_000)).toEqual({ mult: reg.mult, shift: reg.shift, maxadj: reg.maxadj, maxsec: reg.maxsec });
      expect([reg.mult, reg.shift]).toEqual([2 ** 23, 23]);
      if (!('log' in rec.facts.bootLog)) throw new Error('boot log expected');
      const printed = rec.facts.bootLog.log.clocksources.find((c) => c.name === 'kvm-clock')!;
      expect({ maxCycles: reg.maxCycles, maxIdleNs: reg.maxIdleNs }).toEqual({ maxCycles: printed.maxCycles, maxIdleNs: printed.maxIdleNs });
      expect(a.rawClock).toMatchObject({ exactOffset: true, nsPerCount: { num: 1n, den: 1n }, kvmclockVsRawPpb: { num: 0n, den: 1n } });
    });

    it('RAW is the record’s ns plus a constant: −345,702,444 ns, 20 s later −345,702,445 ns, at each window’s first TSC', () => {
      const o = run.rawOffset!;
      // the same differences computed here from the recorded integers
      for (const [s, got] of [
        [rec.start, o.start],
        [rec.end, o.end],
      ] as const) {
        expect(got.atWindowStartNs).toBe(s.pairs.raw.ns - pvclockByHand(KVM_CLOCK_RECORD, s.pairs.raw.tscBefore));
        expect(got.atWindowEndNs).toBe(s.pairs.raw.ns - pvclockByHand(KVM_CLOCK_RECORD, s.pairs.raw.tscAfter));
      }
      expect([o.start.atWindowStartNs, o.end.atWindowStartNs]).toEqual([-345_702_444n, -345_702_445n]);
      expect([o.start.atWindowEndNs, o.end.atWindowEndNs]).toEqual([-345_702_485n, -345_702_485n]);
      expect(o).toMatchObject({ changeNs: -1n, allowedNs: { min: -41n, max: 40n }, consistent: true, constantNs: { min: -345_702_485n, max: -345_702_445n } });
      expect(run.measurement.rawResidualNs).toEqual({ num: 0n, den: 1n });
    });

    it('CLOCK_MONOTONIC (NTP idle, HZ 250) is the record’s ns plus a constant too: −137,228,910 ns in both samples', () => {
      if ('reason' in run.mono.predicted) throw new Error(run.mono.predicted.reason);
      expect(run.mono.predicted).toMatchObject({ cycleInterval: 4_000_000n, tickLength: 4_000_000n << 32n, rate: { num: 1n, den: 1n } });
      expect(run.mono.offset).toMatchObject({ start: { atWindowStartNs: -137_228_910n }, end: { atWindowStartNs: -137_228_910n }, changeNs: 0n, consistent: true });
    });

    it('a RAW reading moved beyond its window breaks the exact check', () => {
      const moved = (s: NativeSample, ns: bigint): NativeSample => ({ ...s, pairs: { ...s.pairs, raw: { ...s.pairs.raw, ns: s.pairs.raw.ns + ns } } });
      const check = (ns: bigint) => checkConstantOffset(api, { record: KVM_CLOCK_RECORD, pair: rec.start.pairs.raw }, { record: KVM_CLOCK_RECORD, pair: moved(rec.end, ns).pairs.raw });
      expect(check(41n).consistent).toBe(true); // still inside what the end window allows
      expect(check(42n)).toMatchObject({ consistent: false, constantNs: null, changeNs: 41n });
      expect(check(-41n).consistent).toBe(false);
    });

    it('predicting against D (the probe’s old assumption) would be 32.2 ppb off here', () => {
      const asIfTsc = analyse(api, { record: KVM_CLOCK_RECORD, ...rec.facts, currentClocksource: 'tsc' });
      const wrong = runResult(api, 1, rec.start, rec.end, asIfTsc).measurement;
      expect(formatDecimal(wrong.residualPpb!, 4)).toBe('32.2094');
      expect(Math.abs(toNumber(wrong.residualPpb!))).toBeGreaterThan(3);
    });

    it('D is shown as it would be, not running, with its drift against kvm-clock', () => {
      expect(a.dStatus).toEqual({
        running: false,
        text: 'NOT RUNNING: the current clocksource is kvm-clock; tsc was not registered: marked unstable by the command line ("tsc: Marking TSC unstable due to boot parameter"); tsc is not among the available clocksources (kvm-clock)',
      });
      expect(a.d.registration).toMatchObject({ maxCycles: 0x1e368c00735n, maxIdleNs: 440_795_229_998n });
      expect(formatDecimal(a.prediction.dVsKvmclockPpb, 4)).toBe('32.2094');
      // (1/ratio − 1) and (ratio − 1) straddle zero by the product of the two
      expect(a.prediction.dVsKvmclockPpb.num > 0n && a.prediction.ppb.num < 0n).toBe(true);
    });

    it('the text says what RAW runs on, why D is not running and what the boot lines lack', () => {
      const text = [renderAnalysis({ hypervisor: 'bhyve_bhyve_', pageSource: 'vvar_vclock', retries: 0 }, a), renderBoot(a), renderRun(run)].join('\n');
      for (const s of [
        'CLOCK_MONOTONIC_RAW runs on kvm-clock (recorded current_clocksource.txt; available: kvm-clock)',
        'predicted drift of kvm-clock against RAW: 0.0000 ppb (exactly)',
        'hypothetical drift of D against kvm-clock: +32.2094 ppb (kvm-clock against D -32.2094 ppb = -2.783 ms/day) — not measured: D is not running',
        'CPUID hypervisor signature bhyve_bhyve_ (not KVM’s KVMKVMKVM); the kernel logged "Hypervisor detected: PVM" — information only',
        '5 match, 0 mismatch, 0 not modelled, 2 not registered',
        'absent   clocksource: tsc-early\n           not registered: marked unstable by the command line',
        'RAW = kvm-clock + constant: holds — change -1 ns (the windows allow -41 … +40 ns); the constant is -345,702,485 … -345,702,445 ns',
        'drift: measured 0.0000 ppb, predicted 0.0000 ppb, residual 0.0000 ppb',
      ]) {
        expect(text).toContain(s);
      }
      expect(text).not.toContain('MISMATCH');
      expect(text).not.toContain('predicted drift of kvm-clock against D');
    });
  });
});

describe.each(BACKEND_NAMES)('the kvm-clock guest told the host’s frequency, on the %s backend', (backend) => {
  const api = kvmclock(backend);
  const rec = recording(KVM_CLOCK_HOST_KHZ_GUEST);
  const a = analyse(api, { record: KVM_CLOCK_HOST_KHZ_RECORD, ...rec.facts, native: rec.start });
  const boot = a.boot;
  if (!('checks' in boot)) throw new Error('boot lines expected');

  it('"Detected 2096.019 MHz" is the host’s tgt_tsc_khz; the preset lpj 8,384,072 is the record’s pvclock_tsc_khz 2,096,018', () => {
    const detected = boot.checks.find((c) => c.line.startsWith('tsc: Detected'))!;
    expect(detected).toMatchObject({ status: 'match', fields: [{ name: 'kHz', printed: '2096019', computed: '2096019' }] });
    expect(detected.basis).toContain("the host's tgt_tsc_khz recovered from vCPU 0's current record");
    const lpj = boot.checks.find((c) => c.line.includes('lpj='))!;
    expect(lpj).toMatchObject({ status: 'match', fields: [{ name: 'lpj', printed: '8384072', computed: String(Math.floor((2_096_018 * 1000) / 250)) }] });
    expect(lpj.basis).toContain("kvm-clock's preset");
    // from the detected kHz, as the probe computed it before, the lpj would not match
    expect(Math.floor((2_096_019 * 1000) / 250)).not.toBe(8_384_072);
  });

  it('without the host’s kHz the detected line would not match the record’s pvclock_tsc_khz', () => {
    const bare = analyse(api, { record: { ...KVM_CLOCK_HOST_KHZ_RECORD, tscToSystemMul: KVM_CLOCK_HOST_KHZ_RECORD.tscToSystemMul + 1 }, ...rec.facts });
    expect(bare.hostKhz).toBeNull(); // a scale no host kHz writes
    const b = bare.boot;
    if (!('checks' in b)) throw new Error('boot lines expected');
    expect(b.checks.find((c) => c.line.startsWith('tsc: Detected'))!.status).toBe('mismatch');
  });

  it('RAW − kvm-clock: −363,575,170 ns at the first TSC of both windows, 20 s apart', () => {
    const o = runResult(api, 1, rec.start, rec.end, a).rawOffset!;
    expect(o.start.atWindowStartNs).toBe(rec.start.pairs.raw.ns - pvclockByHand(KVM_CLOCK_HOST_KHZ_RECORD, rec.start.pairs.raw.tscBefore));
    expect([o.start.atWindowStartNs, o.end.atWindowStartNs, o.changeNs, o.consistent]).toEqual([-363_575_170n, -363_575_170n, 0n, true]);
  });
});

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

async function runCli(argv: string[]): Promise<{ code: number; out: string }> {
  const cap = captureStdout();
  let code: number;
  try {
    code = await probeCommand.run(argv);
  } finally {
    cap.restore();
  }
  return { code, out: cap.restore() };
}

describe('kvmclock probe --replay', () => {
  it.each([
    [GUEST, 'tsc', '-0.073971'],
    [KVM_CLOCK_GUEST, 'kvm-clock', '0.000000'],
    [KVM_CLOCK_HOST_KHZ_GUEST, 'kvm-clock', '0.000000'],
  ])('%s --json: exits 0, RAW on %s, residual %s ppb, no boot line mismatching', async (guest, kind, residual) => {
    const { code, out } = await runCli(['--replay', fixtureDir(guest), '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.analysis.rawClock.kind).toBe(kind);
    expect(j.measurements[0].measurement.residualPpb.decimal).toBe(residual);
    expect(j.analysis.boot.checks.filter((c: { status: string }) => c.status === 'mismatch')).toEqual([]);
    // the fields of earlier versions keep their names
    expect(Object.keys(j.analysis)).toEqual(expect.arrayContaining(['record', 'guestKhz', 'hostKhz', 'tscKhz', 'd', 'prediction', 'boot', 'hz', 'currentClocksource']));
    expect(Object.keys(j.measurements[0].measurement)).toEqual(expect.arrayContaining(['measuredPpb', 'predictedPpb', 'residualPpb', 'boundPpb', 'rawElapsedNs', 'kvmclockElapsedNs']));
  });

  it('the kvm-clock guest in text', async () => {
    const { code, out } = await runCli(['--replay', fixtureDir(KVM_CLOCK_GUEST)]);
    expect(code).toBe(0);
    expect(out).toContain('replaying the recording in');
    expect(out).toContain('RAW − kvm-clock (the record at the first … last TSC of each window): start -345,702,444 … -345,702,485 ns, end -345,702,445 … -345,702,485 ns');
  });

  it('refuses live-run options and a directory without samples', async () => {
    await expect(runCli(['--replay', fixtureDir(GUEST), '--seconds', '5'])).rejects.toThrow(UsageError);
    await expect(runCli(['--replay', fixtureDir('no-such-recording')])).rejects.toThrow(/--replay: .*sample-start\.txt: ENOENT/);
  });
});
