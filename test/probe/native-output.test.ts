/** The native reader's line protocol: recorded output parses, anything else is a typed error. */
import { describe, expect, it } from 'vitest';
import { isKvmclockError, ProbeError } from '../../src/errors.js';
import { parseNativeLine, parseNativeOutput, parseRecordRun, parseSampleRun, probeErrorOf } from '../../src/probe/native-output.js';
import { fixture, GUEST, GUEST_RECORD } from './helpers.js';

describe('native reader output', () => {
  it('parses the record recorded on the guest', () => {
    const r = parseRecordRun(fixture(GUEST, 'record.txt'));
    expect(r.hypervisor).toBe('KVMKVMKVM');
    expect(r.pageSource).toBe('vvar_vclock');
    expect(r.read).toEqual({ record: GUEST_RECORD, retries: 0 });
  });

  it('parses a recorded sample: two records, three clock pairs, the NTP state', () => {
    const s = parseSampleRun(fixture(GUEST, 'sample-start.txt'));
    expect(s.before.record).toEqual(GUEST_RECORD);
    expect(s.after.record).toEqual(GUEST_RECORD);
    expect(s.pairs.raw).toEqual({ clock: 'raw', tscBefore: 11_329_368_463_710n, tscAfter: 11_329_368_463_814n, ns: 4_363_622_937_733n, tries: 20_000 });
    expect(s.pairs.real.ns).toBe(1_795_398_114_598_506_445n);
    expect(s.ntp).toEqual({ state: 5, status: 64, freq: 0n, tick: 10_000n, offset: 0n });
  });

  it('parses watch lines', () => {
    expect(parseNativeLine('update 100 1795398114 598506445 3 42 1 2 3308757408 -1 1')).toEqual({
      kind: 'update',
      update: { tsc: 100n, realtimeNs: 1_795_398_114_598_506_445n, retries: 3, record: { version: 42, tscTimestamp: 1n, systemTime: 2n, tscToSystemMul: 3_308_757_408, tscShift: -1, flags: 1 } },
    });
    expect(parseNativeLine('busy 5 1 2 77')).toEqual({ kind: 'busy', busy: { tsc: 5n, realtimeNs: 1_000_000_002n, retries: 77 } });
  });

  it.each([
    ['record 1 2 3 4 5 6', '7 fields expected'],
    ['record 1 2 3 4294967296 0 1 0', 'tsc_to_system_mul out of range'],
    ['record 1 2 3 4 -129 1 0', 'tsc_shift out of range'],
    ['record 1 18446744073709551616 3 4 0 1 0', 'tsc_timestamp out of range'],
    ['pair raw 10 9 1 2 3', 'the TSC went backwards'],
    ['pair boot 1 2 1 2 3', 'unknown clock'],
    ['pair raw 1 2 1 1000000000 3', 'tv_nsec out of range'],
    ['hello world', 'unknown tag'],
  ])('rejects %j as a ProbeError "native"', (line, why) => {
    const e = (() => {
      try {
        parseNativeLine(line);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ProbeError);
    expect((e as ProbeError).code).toBe('native');
    expect((e as Error).message).toContain(why);
    expect(isKvmclockError(e)).toBe(true);
  });

  it.each([
    ['nopvclock', 'nopvclock'],
    ['odd', 'odd'],
    ['changing', 'changing'],
    ['platform', 'platform'],
    ['usage', 'native'],
    ['io', 'native'],
  ])('maps the reader error %s to the code %s', (code, expected) => {
    const e = probeErrorOf(code, 'why');
    expect(e).toBeInstanceOf(ProbeError);
    expect(e.code).toBe(expected);
    expect(() => parseNativeOutput(`platform -\nerror ${code} why it failed\n`)).toThrow(ProbeError);
  });

  it('a sample with a missing pair or record is rejected', () => {
    const text = fixture(GUEST, 'sample-start.txt');
    expect(() => parseSampleRun(text.replace(/^pair mono.*$/m, ''))).toThrow(/one mono pair expected/);
    expect(() => parseSampleRun(text.replace(/^record.*$/m, ''))).toThrow(/two record lines expected/);
    expect(() => parseRecordRun('record 1 2 3 4 0 1 0\n')).toThrow(/platform or page line missing/);
  });
});
