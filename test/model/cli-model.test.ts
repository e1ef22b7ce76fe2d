/**
 * `kvmclock clock` and `kvmclock timeline` as users run them: the built CLI
 * (bin/kvmclock.js → dist/, which `npm test` rebuilds in pretest) in a child process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/kvmclock.js', import.meta.url));
const TIMELINES = fileURLToPath(new URL('../fixtures/timelines/', import.meta.url));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DECIMAL = /^-?[0-9]+$/;

describe('kvmclock clock', () => {
  it('prints the state and A, B, C for a 2.5 → 1.0 GHz VMX guest after one day (spec §9.3)', () => {
    const r = cli('clock', '--host-khz', '2500000', '--guest-khz', '1000000', '--vendor', 'vmx', '--at', '86400');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const text of [
      '86,399,994,850,158', // A
      '86,400,086,380,541', // B
      '86,399,999,979,883', // C
      '+91,530,383', // B − A
      '+5,129,725', // C − A
      '-91,530,383', // legacy re-snapshot step
      'ratio 112,589,990,684,262',
      'tgt_tsc_khz 999,999',
      'mul 2,147,485,795, shift 1',
      'master clock in use',
    ]) {
      expect(r.stdout).toContain(text);
    }
    expect(r.stdout).toMatch(/A\s.*86,399,994,850,158 ns/);
    expect(r.stdout).toMatch(/B\s.*86,400,086,380,541 ns/);
    expect(r.stdout).toMatch(/C\s.*86,399,999,979,883 ns/);
  });

  it('--json: a parseable object whose integers beyond 2^53 and clock values are decimal strings; both backends agree', () => {
    const args = ['clock', '--host-khz', '3000000', '--guest-khz', '2500000', '--vendor', 'svm', '--at', '1d', '--json'];
    const r = cli(...args);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect([j.a, j.b, j.c]).toEqual(['86399994850158', '86400034547187', '86399999979883']);
    expect(j.bMinusA).toBe('39697029');
    expect(j.resnapshotStepNs).toBe('-39697029');
    for (const v of [j.at, j.guestTsc, j.a, j.b, j.c, j.bMinusA, j.cMinusA, j.bMinusC, j.horizonNs, j.resnapshotStepNs, j.continuousKvmclockOffset, j.vcpu.ratio, j.vcpu.tgtTscKhz, j.master.cycleNow, j.master.kernelNs, j.vcpu.record.tscTimestamp, j.vcpu.record.systemTime]) {
      expect(v).toMatch(DECIMAL);
    }
    expect(j.vcpu.ratio).toBe('3579139413');
    expect(j.vcpu.tgtTscKhz).toBe('2499999');
    expect(j.master.inUse).toBe(true);
    const ref = cli(...args, '--backend', 'reference');
    expect(ref.status).toBe(0);
    // Same values (the key order inside vcpu.setTscKhz differs between the backends' result objects).
    expect(JSON.parse(ref.stdout)).toEqual(j);
  });

  it('--guest-khz defaults to the host; --at takes units', () => {
    const j = JSON.parse(cli('clock', '--host-khz', '2500000', '--at', '30d', '--json').stdout);
    expect(j.guestKhz).toBe(2_500_000);
    expect(j.horizonNs).toBe(String(30n * 86_400n * 1_000_000_000n));
    expect(j.vcpu.scaled).toBe(false);
    expect(j.bMinusC).toBe('0');
  });

  it('without hardware scaling a slower guest is refused by kvm_set_tsc_khz and runs at the host rate', () => {
    const r = cli('clock', '--host-khz', '2500000', '--guest-khz', '1000000', '--no-tsc-control');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ratio refused');
  });

  it.each([
    [['--host-khz', '0'], '--host-khz'],
    [['--host-khz', '4294967296'], '--host-khz'],
    [['--host-khz', '2.5e6'], '--host-khz'],
    [['--host-khz', '-5'], '--host-khz'],
    [['--guest-khz', '5'], '--host-khz'], // required
    [['--host-khz', '2500000', '--guest-khz', '0'], '--guest-khz'],
    [['--host-khz', '2500000', '--guest-khz', '4294967296'], '--guest-khz'],
    [['--host-khz', '2500000', '--vendor', 'arm'], '--vendor'],
    [['--host-khz', '2500000', '--at', '5x'], '--at'],
    [['--host-khz', '2500000', '--at=-1s'], '--at'],
    [['--host-khz', '2500000', '--tolerance-ppm', 'lots'], '--tolerance-ppm'],
    [['--host-khz', '2500000', '--backend', 'gpu'], '--backend'],
    [['--host-khz', '2500000', '--bogus'], '--bogus'],
  ])('clock %j exits 2 naming %s', (args, option) => {
    const r = cli('clock', ...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(option);
  });

  it('cli/clock: a guest kHz the kernel refuses (SVM, > 256× the host) exits 2 naming --guest-khz', () => {
    // The EINVAL comes from the Vm constructor and names its option "guestTscKhz", not the CLI option.
    const r = cli('clock', '--host-khz', '2500000', '--guest-khz', '700000000', '--vendor', 'svm');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('max_guest_tsc_khz');
    expect(r.stderr).toContain('--guest-khz');
  });
});

describe('kvmclock timeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvmclock-timeline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it('runs hotplug.json: the events, the B step of vCPU 0 at the hotplug, and the samples', () => {
    const r = cli('timeline', `${TIMELINES}hotplug.json`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\+5d\s+createVcpu\s+ok/);
    expect(r.stdout).toMatch(/\+5d\s+0\s+B\s+-25,648,624\s+#3 createVcpu/);
    expect(r.stdout).toContain('431,999,974,250,793'); // A (and B after the step) at +5d
    expect(r.stdout).toContain('guest read');
  });

  it('--json: events, discontinuities and samples with decimal strings', () => {
    const r = cli('timeline', `${TIMELINES}hotplug.json`, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(['discontinuities', 'events', 'samples']);
    expect(j.events.map((e: { type: string }) => e.type)).toEqual(['sample', 'getClock', 'sample', 'createVcpu', 'run', 'sample', 'sample']);
    expect(j.events[1].clockData.flags).toBe(14);
    expect(j.events[1].clockData.clock).toMatch(DECIMAL);
    const b = j.discontinuities.filter((d: { quantity: string }) => d.quantity === 'B');
    expect(b).toEqual([{ at: '1081000000000000', vcpu: 0, quantity: 'B', step: '-25648624', sign: 'backward', eventIndex: 3, cause: 'createVcpu' }]);
    for (const s of j.samples) for (const k of ['at', 'guestTsc', 'a', 'b', 'c', 'guestRead']) expect(s[k]).toMatch(DECIMAL);
  });

  it('records kernel failures in the output and exits 0', () => {
    const r = cli('timeline', `${TIMELINES}kernel-failures.json`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/setTscKhz\s+ERR EINVAL: .*max_guest_tsc_khz/);
  });

  it.each([
    ['an unknown event', '{"host":{"tscKhz":2500000,"vendor":"vmx"},"events":[{"at":"1s","type":"sample"},{"at":"2s","type":"reboot"}]}', 'events[1].type'],
    ['out-of-order events', '{"host":{"tscKhz":2500000,"vendor":"vmx"},"events":[{"at":"2s","type":"sample"},{"at":"1s","type":"sample"}]}', 'events[1].at'],
    ['vendor arm', '{"host":{"tscKhz":2500000,"vendor":"arm"},"events":[]}', 'host.vendor'],
    ['a host kHz of 0', '{"host":{"tscKhz":0,"vendor":"vmx"},"events":[]}', 'host.tscKhz'],
    ['a missing vCPU', '{"host":{"tscKhz":2500000,"vendor":"vmx"},"events":[{"at":"1s","type":"getClockGuest","vcpu":4}]}', 'events[0]'],
    ['malformed JSON', '{"host":', 'cannot read'],
  ])('%s: exit 2 with a message naming %s', (_what, content, needle) => {
    const r = cli('timeline', write(`bad-${needle.replace(/\W/g, '_')}.json`, content));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(needle);
  });

  it('usage errors: no file, two files, a missing file', () => {
    for (const args of [[], ['a.json', 'b.json'], [join(dir, 'nope.json')]]) {
      const r = cli('timeline', ...args);
      expect(r.status).toBe(2);
      expect(r.stderr).not.toBe('');
    }
  });
});
