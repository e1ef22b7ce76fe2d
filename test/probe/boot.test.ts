/** Boot-log parsing, the choice of the guest's tsc_khz, and the line-by-line comparison. */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { checkBootLog } from '../../src/probe/boot-check.js';
import { messageOf, parseBootLog } from '../../src/probe/boot-log.js';
import { hzFromConfig } from '../../src/probe/mono.js';
import { chooseTscKhz, cpuinfoKhz, tscKhzCandidates } from '../../src/probe/tsc-khz.js';
import { fixture, GUEST } from './helpers.js';

const api = kvmclock();

describe('boot log', () => {
  const log = parseBootLog(fixture(GUEST, 'dmesg.txt'));

  it('parses the recorded guest’s lines', () => {
    expect(log.tsc).toEqual([{ kind: 'processor', khz: 2_596_120, line: 'tsc: Detected 2596.120 MHz processor' }]);
    expect(log.clocksources.map((c) => c.name)).toEqual(['kvm-clock', 'refined-jiffies', 'jiffies', 'tsc-early', 'tsc']);
    expect(log.clocksources[4]).toMatchObject({ mask: 0xffffffffffffffffn, maxCycles: 0x256bead120an, maxIdleNs: 440_795_214_554n });
    expect(log.lpj).toBe(10_384_480);
    expect(log.fromBoot).toBe(true);
    expect(log.tscUnstable).toBe(false);
  });

  it('reads dmesg and /dev/kmsg formats alike', () => {
    expect(messageOf('[    0.000059] tsc: Detected 2596.120 MHz processor')).toBe('tsc: Detected 2596.120 MHz processor');
    expect(messageOf('6,171,59,-;tsc: Detected 2596.120 MHz processor')).toBe('tsc: Detected 2596.120 MHz processor');
    const k = parseBootLog('5,0,0,-;Linux version 6.18\n6,171,59,-;tsc: Detected 2596.120 MHz processor\n6,300,382745,-;clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x256bead120a, max_idle_ns: 440795214554 ns');
    expect(k.fromBoot).toBe(true);
    expect(k.tsc[0].khz).toBe(2_596_120);
    expect(k.clocksources[0].name).toBe('tsc');
  });

  it('every line of the recorded guest matches the project’s computation', () => {
    const checks = checkBootLog(api, log, { recordKhz: 2_596_120, hz: 250 });
    expect(checks.map((c) => c.status)).toEqual(['match', 'match', 'match', 'match', 'match', 'match', 'match']);
    expect(checks[0].line).toBe('tsc: Detected 2596.120 MHz processor');
  });

  it('without HZ the tick counters and the lpj line are not compared', () => {
    const checks = checkBootLog(api, log, { recordKhz: 2_596_120, hz: null });
    expect(checks.filter((c) => c.status === 'not-modelled').map((c) => c.line)).toEqual([expect.stringContaining('refined-jiffies'), expect.stringContaining(' jiffies:')]);
    expect(checks.some((c) => c.line.includes('lpj'))).toBe(false);
  });

  it('a printed value that differs is a mismatch, with both values', () => {
    const bad = parseBootLog(fixture(GUEST, 'dmesg.txt').replace('clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x256bead120a, max_idle_ns: 440795214554', 'clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x256bead120b, max_idle_ns: 440795214554'));
    const tsc = checkBootLog(api, bad, { recordKhz: 2_596_120, hz: 250 }).find((c) => c.line.startsWith('clocksource: tsc:'))!;
    expect(tsc.status).toBe('mismatch');
    expect(tsc.fields.find((f) => f.name === 'max_cycles')).toEqual({ name: 'max_cycles', printed: '0x256bead120b', computed: '0x256bead120a' });
    // the record's kHz disagreeing with the detected one is a mismatch too
    expect(checkBootLog(api, log, { recordKhz: 2_596_121, hz: 250 })[0].status).toBe('mismatch');
  });

  it('a bare-metal log: the final tsc registration uses the refined calibration, the early one the detected value', () => {
    // Registration values from public boot logs (2495.952 and 2499.814 MHz), combined here.
    const text = [
      '[    0.000000] tsc: Detected 2495.952 MHz processor',
      '[    0.100000] clocksource: tsc-early: mask: 0xffffffffffffffff max_cycles: 0x23fa49fc138, max_idle_ns: 440795295059 ns',
      '[    4.437955] tsc: Refined TSC clocksource calibration: 2499.814 MHz',
      '[    4.441180] clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x24088a0007e, max_idle_ns: 440795263290 ns',
      '[    2.451204] clocksource: acpi_pm: mask: 0xffffff max_cycles: 0xffffff, max_idle_ns: 2085701024 ns',
      '[    2.000000] clocksource: hpet: mask: 0xffffffff max_cycles: 0xffffffff, max_idle_ns: 133484882848 ns',
    ].join('\n');
    const b = parseBootLog(text);
    const checks = checkBootLog(api, b, { recordKhz: 2_495_952, hz: 250 });
    const by = (s: string) => checks.find((c) => c.line.includes(s))!;
    expect(by('tsc-early').status).toBe('match');
    expect(by('Refined').status).toBe('not-modelled');
    expect(by('acpi_pm').status).toBe('match');
    expect(by('hpet').status).toBe('not-modelled');
    expect(by('clocksource: tsc:').basis).toContain('refined calibration');
    expect(by('clocksource: tsc:').status).toBe('match');
    expect(by('Detected').status).toBe('match');
    const c = tscKhzCandidates({ boot: b, recordKhz: 2_495_952 });
    expect(chooseTscKhz(c)).toEqual({ chosen: { source: 'dmesg-refined', khz: 2_499_814 }, allAgree: false });
  });
});

describe('the guest tsc_khz for clock D', () => {
  it('prefers the boot log, then the record, then /proc/cpuinfo; --tsc-khz overrides all', () => {
    const log = parseBootLog(fixture(GUEST, 'dmesg.txt'));
    const cpuinfo = fixture(GUEST, 'cpuinfo.txt');
    expect(cpuinfoKhz(cpuinfo)).toBe(2_596_120);
    const c = tscKhzCandidates({ boot: log, cpuinfo, recordKhz: 2_596_120 });
    expect(c.map((x) => x.source)).toEqual(['dmesg-processor', 'pvclock', 'cpuinfo']);
    expect(chooseTscKhz(c)).toEqual({ chosen: { source: 'dmesg-processor', khz: 2_596_120 }, allAgree: true });
    expect(chooseTscKhz(tscKhzCandidates({ option: 2_596_121, boot: log, recordKhz: 2_596_120 }))).toEqual({ chosen: { source: 'option', khz: 2_596_121 }, allAgree: false });
    expect(chooseTscKhz(tscKhzCandidates({ boot: null, cpuinfo: null, recordKhz: 2_596_120 })).chosen.source).toBe('pvclock');
  });

  it('a separate "Detected … MHz TSC" line wins over the processor line', () => {
    const log = parseBootLog('tsc: Detected 1896.000 MHz processor\ntsc: Detected 1896.012 MHz TSC');
    expect(chooseTscKhz(tscKhzCandidates({ boot: log, recordKhz: 1 })).chosen).toEqual({ source: 'dmesg-tsc', khz: 1_896_012 });
  });

  it('reads CONFIG_HZ', () => {
    expect(hzFromConfig(fixture(GUEST, 'config-hz.txt'))).toBe(250);
    expect(hzFromConfig('# CONFIG_HZ is not set')).toBeNull();
  });
});
