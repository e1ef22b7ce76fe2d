/** Boot-log parsing, the choice of the guest's tsc_khz, and the line-by-line comparison. */
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { checkBootLog, unregisteredTscClocksources } from '../../src/probe/boot-check.js';
import { messageOf, parseBootLog } from '../../src/probe/boot-log.js';
import { hzFromConfig } from '../../src/probe/mono.js';
import { chooseTscKhz, cpuinfoKhz, tscKhzCandidates } from '../../src/probe/tsc-khz.js';
import { fixture, GUEST, KVM_CLOCK_GUEST } from './helpers.js';

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
    expect(log.tscUnstableMarks).toEqual([]);
    expect(log.clocksourceSwitches).toEqual(['kvm-clock', 'tsc']);
    expect(log.hypervisorDetected).toBe('KVM');
    expect(log.kvmClockMsrs).toBe('kvm-clock: Using msrs 4b564d01 and 4b564d00');
    expect(log.commandLine).toBeNull(); // not in this recording's excerpt
  });

  it('parses the kvm-clock guest’s lines: the TSC marked unstable by the command line, never registered', () => {
    const k = parseBootLog(fixture(KVM_CLOCK_GUEST, 'dmesg.txt'));
    expect(k.clocksources.map((c) => c.name)).toEqual(['kvm-clock', 'refined-jiffies', 'jiffies']);
    expect(k.tscUnstableMarks).toEqual([{ reason: 'boot parameter', byCommandLine: true, afterRegistrations: 2, line: 'tsc: Marking TSC unstable due to boot parameter' }]);
    expect(k.tscUnstable).toBe(true);
    expect(k.clocksourceSwitches).toEqual(['kvm-clock']);
    expect(k.hypervisorDetected).toBe('PVM');
    expect(k.commandLine).toContain(' tsc=unstable ');
    expect(k.commandLine).toContain('clocksource=kvm-clock');
    expect(k.lpj).toBe(8_384_128);
    const checks = checkBootLog(api, k, { recordKhz: 2_096_032, hz: 250 });
    expect(checks.map((c) => [c.line.slice(0, 30), c.status])).toEqual([
      ['tsc: Detected 2096.032 MHz pro', 'match'],
      ['Calibrating delay loop (skippe', 'match'],
      ['clocksource: kvm-clock: mask: ', 'match'],
      ['clocksource: refined-jiffies: ', 'match'],
      ['clocksource: jiffies: mask: 0x', 'match'],
      ['clocksource: tsc-early', 'not-registered'],
      ['clocksource: tsc', 'not-registered'],
    ]);
    expect(checks[6].basis).toBe('not registered: marked unstable by the command line ("tsc: Marking TSC unstable due to boot parameter")');
  });

  it('a TSC the kernel itself marked unstable before registering it, and one it dropped later', () => {
    const head = '[    0.000000] Linux version 6.18\n[    0.000050] tsc: Detected 2096.032 MHz processor\n';
    const bySync = parseBootLog(`${head}[    0.300000] tsc: Marking TSC unstable due to check_tsc_sync_source failed`);
    expect(unregisteredTscClocksources(bySync).map((c) => [c.line, c.basis])).toEqual([
      ['clocksource: tsc-early', 'not registered: marked unstable by the kernel: check_tsc_sync_source failed ("tsc: Marking TSC unstable due to check_tsc_sync_source failed")'],
      ['clocksource: tsc', 'not registered: marked unstable by the kernel: check_tsc_sync_source failed ("tsc: Marking TSC unstable due to check_tsc_sync_source failed")'],
    ]);
    // registered, then rejected by the clocksource watchdog: the printed lines are still checked (and match)
    const later = parseBootLog(
      `${head}[    0.251485] clocksource: tsc-early: mask: 0xffffffffffffffff max_cycles: 0x1e368c00735, max_idle_ns: 440795229998 ns\n[    9.000000] clocksource: Marking clocksource 'tsc-early' as unstable because the skew is too large:`,
    );
    expect(later.tscUnstableMarks).toEqual([expect.objectContaining({ reason: 'the skew is too large', byCommandLine: false, afterRegistrations: 1 })]);
    const checks = checkBootLog(api, later, { recordKhz: 2_096_032, hz: null });
    expect(checks.find((c) => c.line.startsWith('clocksource: tsc-early:'))!.status).toBe('match');
    expect(checks.filter((c) => c.status === 'not-registered').map((c) => [c.line, c.basis])).toEqual([['clocksource: tsc', 'not registered: marked unstable by the kernel: the skew is too large ("clocksource: Marking clocksource \'tsc-early\' as unstable because the skew is too large:")']]);
  });

  it('the lpj line: kvm-clock’s preset from the record, the lpj= parameter, or the timer frequency', () => {
    const lpjOf = (text: string, recordKhz: number) => checkBootLog(api, parseBootLog(text), { recordKhz, hz: 250 }).find((c) => c.line.includes('lpj='))!;
    const preset = '[    0.000050] tsc: Detected 2096.019 MHz processor\n[    0.2] Calibrating delay loop (skipped) preset value.. 4192.03 BogoMIPS (lpj=8384072)';
    expect(lpjOf(preset, 2_096_018)).toMatchObject({ status: 'match', fields: [{ printed: '8384072', computed: '8384072' }] });
    expect(lpjOf(preset, 2_096_019).status).toBe('mismatch');
    expect(lpjOf(`[    0.000000] Command line: quiet lpj=8384072\n${preset}`, 1).basis).toBe('the lpj= boot parameter');
    // public bare-metal form: from the TSC clocksource's kHz
    const timer = lpjOf('[    0.000050] tsc: Detected 2096.019 MHz processor\n[    0.2] Calibrating delay loop (skipped), value calculated using timer frequency.. 4192.03 BogoMIPS (lpj=8384076)', 1);
    expect(timer).toMatchObject({ status: 'match', basis: '⌊tsc_khz·1000/HZ⌋ with tsc_khz 2096019, HZ 250' });
  });

  it('a missing registration is only reported when the log reaches back to boot, and says when it has no reason', () => {
    const noReason = parseBootLog('[    0.000000] Linux version 6.18\n[    0.000050] tsc: Detected 2096.032 MHz processor');
    expect(unregisteredTscClocksources(noReason).map((c) => c.basis)).toEqual([
      'not registered: the log has no registration line for it and gives no reason',
      'not registered: the log has no registration line for it and gives no reason',
    ]);
    expect(unregisteredTscClocksources(parseBootLog('[ 5000.000000] tsc: Marking TSC unstable due to boot parameter'))).toEqual([]);
    expect(unregisteredTscClocksources(parseBootLog('[    0.000000] Linux version 6.18'))[0].basis).toBe('not registered: the kernel logged no TSC frequency (no "tsc: Detected" line)');
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
