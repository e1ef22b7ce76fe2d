/**
 * The native wrapper's typed errors that need no KVM guest, the CLI's option errors, and
 * the renderings. (The native reader itself runs in test/live.)
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { probeCommand } from '../../src/cli/commands/probe.js';
import { isKvmclockError, ProbeError } from '../../src/errors.js';
import { kvmclock } from '../../src/index.js';
import { analyse } from '../../src/probe/analysis.js';
import { parseBootLog } from '../../src/probe/boot-log.js';
import { measureDrift } from '../../src/probe/measure.js';
import { buildNativeReader, platformError } from '../../src/probe/native.js';
import { parseSampleRun } from '../../src/probe/native-output.js';
import { isoNs, probeJson, renderAnalysis, renderBoot, renderRun, renderUpdate } from '../../src/probe/render.js';
import { recordStep } from '../../src/probe/step.js';
import { fixture, GUEST, GUEST_RECORD } from './helpers.js';

const api = kvmclock();

describe('typed errors of the native wrapper', () => {
  it('not Linux on x86-64', () => {
    expect(platformError('linux', 'x64')).toBeNull();
    for (const [p, a] of [
      ['darwin', 'arm64'],
      ['linux', 'arm64'],
      ['win32', 'x64'],
    ]) {
      const e = platformError(p, a)!;
      expect(e).toBeInstanceOf(ProbeError);
      expect(e.code).toBe('platform');
      expect(e.message).toContain(`${p}/${a}`);
    }
    expect(() => buildNativeReader({ platform: 'darwin', arch: 'arm64' })).toThrow(expect.objectContaining({ code: 'platform' }));
  });

  it('no C compiler', () => {
    let e: unknown;
    try {
      buildNativeReader({ compilers: ['kvmclock-no-such-cc-1', 'kvmclock-no-such-cc-2'], platform: 'linux', arch: 'x64' });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(ProbeError);
    expect((e as ProbeError).code).toBe('nocompiler');
    expect((e as Error).message).toContain('kvmclock-no-such-cc-1, kvmclock-no-such-cc-2');
    expect(isKvmclockError(e)).toBe(true);
  });
});

describe('kvmclock probe options', () => {
  it.each([
    [['--seconds', 'ten'], /--seconds expected a non-negative decimal integer/],
    [['--runs', '0'], /--runs expected 1..1000/],
    [['--iterations', '0'], /--iterations expected 1..10000000/],
    [['--tsc-khz', '0'], /--tsc-khz expected 1..4294967295/],
    [['--poll-ms', '5'], /--poll-ms needs --watch/],
    [['--frobnicate'], /Unknown option/],
  ])('%j is a usage error before anything runs', async (argv, message) => {
    await expect(probeCommand.run(argv)).rejects.toThrow(UsageError);
    await expect(probeCommand.run(argv)).rejects.toThrow(message);
  });
});

describe('renderings', () => {
  const start = parseSampleRun(fixture(GUEST, 'sample-start.txt'));
  const end = parseSampleRun(fixture(GUEST, 'sample-end.txt'));
  const inputs = {
    record: GUEST_RECORD,
    bootLog: { log: parseBootLog(fixture(GUEST, 'dmesg.txt')), source: 'dmesg' },
    cpuinfo: fixture(GUEST, 'cpuinfo.txt'),
    hz: 250,
  };
  const a = analyse(api, inputs);

  it('the analysis of the recorded guest', () => {
    const text = renderAnalysis({ hypervisor: 'KVMKVMKVM', pageSource: 'vvar_vclock', retries: 0 }, a);
    expect(text).toContain('guest TSC frequency derived from it (pvclock_tsc_khz)  2,596,120 kHz');
    expect(text).toContain('2,596,121 kHz (the only value)');
    expect(text).toContain('mult 6,462,419, shift 24, maxadj 710,866, maxsec 600, max_cycles 0x256bead120a, max_idle_ns 440,795,214,554');
    expect(text).toContain('predicted drift of kvm-clock against D: -338.4955 ppb = -29.246 ms/day');
    expect(renderBoot(a)).toContain('7 match, 0 mismatch, 0 not modelled');
    // the same record on a guest whose clocksource is kvm-clock: RAW runs on kvm-clock, D is only what it would be
    const k = renderAnalysis({ hypervisor: 'KVMKVMKVM', pageSource: 'vvar_vclock', retries: 0 }, analyse(api, { ...inputs, currentClocksource: 'kvm-clock' }));
    expect(k).toContain('CLOCK_MONOTONIC_RAW runs on kvm-clock (/sys/devices/system/clocksource/clocksource0/current_clocksource)');
    expect(k).toContain("clock D: the guest's TSC clocksource — NOT RUNNING: the current clocksource is kvm-clock; tsc was registered but is not the current clocksource");
    expect(k).toContain('hypothetical drift of D against kvm-clock: +338.4957 ppb (kvm-clock against D -338.4955 ppb');
    expect(k).not.toContain('predicted drift of kvm-clock against D');
    expect(renderBoot({ ...a, boot: { unavailable: 'the kernel log is not readable' } })).toBe('kernel boot lines: not compared — the kernel log is not readable');
  });

  it('a measurement', () => {
    const m = measureDrift(api, start, end, a.d, a.prediction);
    const text = renderRun({ run: 1, measurement: m, windows: [104n, 104n], mono: { against: 'D', measuredPpb: { num: 0n, den: 1n }, predicted: { reason: 'CONFIG_HZ is not known' }, residualPpb: null } });
    expect(text).toContain('drift: measured -338.5695 ppb, predicted -338.4955 ppb, residual -0.0740 ppb');
  });

  it('an update seen by --watch', () => {
    const next = { ...GUEST_RECORD, version: 42, tscTimestamp: 20_000_000_000_000n, systemTime: 7_700_000_000_000n };
    const text = renderUpdate({ realtimeNs: 1_795_398_114_598_506_445n, prev: GUEST_RECORD, next, step: recordStep(api, GUEST_RECORD, next, 20_000_000_100_000n), retries: 2 });
    expect(text).toContain('2026-11-23T01:41:54.598506445Z');
    expect(text).toMatch(/step of kvm-clock at TSC 20,000,000,100,000 \(when seen\): [-+][\d,]+ ns \((forward|BACKWARDS)\)/);
    expect(renderUpdate({ realtimeNs: 0n, prev: GUEST_RECORD, next: { ...GUEST_RECORD, version: 42 }, step: recordStep(api, GUEST_RECORD, { ...GUEST_RECORD, version: 42 }, 1n), retries: 0 })).toContain('rewrote the same record (no step)');
    expect(isoNs(1_795_398_114_598_506_445n)).toBe('2026-11-23T01:41:54.598506445Z');
    expect(isoNs(5n)).toBe('1970-01-01T00:00:00.000000005Z');
  });

  it('JSON keeps integers exact and gives ratios as fractions with a decimal', () => {
    const j = JSON.parse(probeJson({ analysis: a }));
    expect(j.analysis.record.tscTimestamp).toBe('3563924857');
    expect(j.analysis.prediction.ppb.decimal).toBe('-338.495539');
    expect(j.analysis.hostKhz).toEqual({ min: '2596121', max: '2596121' });
    expect(j.analysis.d.registration.maxCycles).toBe(String(0x256bead120an));
  });
});
