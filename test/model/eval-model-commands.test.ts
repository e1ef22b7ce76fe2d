/**
 * The clock-model commands of the `eval` protocol (src/protocol/model-commands.ts):
 * `abc`, `mclock_step` and `set_clock_guest`, on both backends, over the 360 kernel
 * `abc` vectors and over random inputs (fast-check, seeded by test/helpers/seed.ts).
 *
 * The properties tie the three commands together without re-implementing them:
 *   - legacy step = s64(A − B) (the new reference snaps B to A),
 *   - continuous kvmclock_offset = s64(kvmclock_offset + B − A),
 *   - set_clock_guest of abc's own record at abc's own (M, K) changes nothing and reads
 *     the guest TSC tsc_timestamp,
 *   - set_clock_guest of abc's record at a fresh reference (h, RAW(h) + offs_boot) gives
 *     exactly the continuous variant's kvmclock_offset, and the guest TSC at h,
 *   - after set_clock_guest, K + new offset equals the record evaluated at the guest TSC
 *     (checked with the core `pvclock_read` and `read_l1_tsc` commands).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { evalLine } from '../../src/protocol/eval-line.js';
import { khz, s64, s8Shift, SVM, u32, u64, VMX } from '../helpers/arbitraries.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';
import { FIXTURES_DIR } from '../helpers/vectors.js';

const toS64 = (x: bigint) => BigInt.asIntN(64, x);
const lo64 = (x: bigint) => BigInt.asUintN(64, x);

interface AbcVector {
  readonly args: readonly string[];
  readonly expected: string;
}
const ABC_VECTORS: readonly AbcVector[] = readFileSync(`${FIXTURES_DIR}abc.jsonl`, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => {
    const v = JSON.parse(l) as { in: Record<string, string>; out: Record<string, string> };
    return { args: Object.values(v.in), expected: Object.values(v.out).join(' ') };
  });

const ABC_OUT = ['mult', 'shift', 'ratio', 'tgt_khz', 'shift_g', 'mul_g', 'shift_h', 'mul_h', 'master_kernel_ns', 'tsc_timestamp', 'system_time', 'guest_tsc', 'A', 'B', 'C'] as const;
type AbcOut = Record<(typeof ABC_OUT)[number], bigint>;
const parseAbc = (line: string): AbcOut => Object.fromEntries(line.split(' ').map((t, i) => [ABC_OUT[i], BigInt(t)])) as AbcOut;

/** Check every cross-command property for one `abc` argument list; returns the lines computed. */
function checkAbcCase(api: ReturnType<typeof kvmclock>, args: readonly string[]): string[] {
  const abcLine = evalLine(api, `abc ${args.join(' ')}`);
  const stepLine = evalLine(api, `mclock_step ${args.join(' ')}`);
  if (abcLine.startsWith('ERR')) {
    expect(stepLine).toBe(abcLine);
    return [abcLine, stepLine];
  }
  const o = parseAbc(abcLine);
  const frac = args[2];
  const off = BigInt(args[10]);
  const l1 = args[12];
  const h = BigInt(args[13]);

  const [legacy, continuous] = stepLine.split(' ').map(BigInt);
  expect(stepLine.split(' ').length).toBe(2);
  expect(legacy).toBe(toS64(o.A - o.B));
  expect(continuous).toBe(toS64(off + o.B - o.A));

  const record = `${o.tsc_timestamp} ${o.system_time} ${o.mul_g} ${o.shift_g}`;
  const tail = `${off} ${l1} ${o.ratio} ${frac}`;
  // The vCPU's own record at its own reference: nothing moves.
  const same = evalLine(api, `set_clock_guest ${record} 1 ${args[11]} ${o.master_kernel_ns} ${tail}`);
  expect(same).toBe(`${off} ${o.tsc_timestamp}`);
  // The same record at a fresh reference at h: the continuous re-snapshot, exactly.
  const kAtH = lo64(o.A - off); // RAW(h) + offs_boot
  const fresh = evalLine(api, `set_clock_guest ${record} 1 ${h} ${kAtH} ${tail}`);
  expect(fresh).toBe(`${continuous} ${o.guest_tsc}`);
  // Without a master clock: EINVAL.
  const noMaster = evalLine(api, `set_clock_guest ${record} 0 ${args[11]} ${o.master_kernel_ns} ${tail}`);
  expect(noMaster).toBe('ERR EINVAL');
  return [abcLine, stepLine, same, fresh, noMaster];
}

describe('abc, mclock_step and set_clock_guest over the 360 kernel abc vectors', () => {
  it('there are 360 vectors', () => {
    expect(ABC_VECTORS.length).toBe(360);
  });

  for (const backend of BACKEND_NAMES) {
    it(`${backend}: abc reproduces each vector and the three commands agree with each other`, () => {
      const api = kvmclock(backend);
      for (const v of ABC_VECTORS) {
        expect(evalLine(api, `abc ${v.args.join(' ')}`)).toBe(v.expected);
        checkAbcCase(api, v.args);
      }
    });
  }

  it('the spec’s one-day example: a legacy re-snapshot steps B by −91,530,383 ns; continuous sets the offset to +91,530,383', () => {
    const args = '2500000 1000000 48 18446744073709551615 1 250 1000000000000 0 0 0 0 1000000000000 0 217000000000000';
    for (const backend of BACKEND_NAMES) expect(evalLine(kvmclock(backend), `mclock_step ${args}`)).toBe('-91530383 91530383');
  });
});

// ---------------------------------------------------------------------------------- random

/** abc arguments within the command's preconditions: c0 ≤ M ≤ h, h − c0 < 2^63, no 64-bit wrap at M. */
const abcArgs = fc
  .record({
    hostKhz: khz,
    userKhz: fc.oneof({ weight: 4, arbitrary: khz }, { weight: 1, arbitrary: fc.constant(0) }),
    caps: fc.constantFrom(VMX, SVM),
    hasControl: fc.boolean(),
    tol: fc.constantFrom(250, 0, 1000, 100_000),
    c0: fc.bigInt({ min: 0n, max: 1n << 60n }),
    rawSec: fc.bigInt({ min: 0n, max: 1n << 34n }),
    xtimeNsec: fc.bigInt({ min: 0n, max: 1n << 40n }),
    offsBoot: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1n << 50n }), s64),
    offset: fc.oneof(fc.constant(0n), s64),
    d1: fc.bigInt({ min: 0n, max: 1n << 30n }),
    d2: fc.oneof(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: 0n, max: 1n << 56n })),
    l1: fc.oneof(fc.constant(0n), u64),
  })
  .map((r) => {
    const m = r.c0 + r.d1;
    const h = m + r.d2;
    return [r.hostKhz, r.userKhz, r.caps.frac, r.caps.maxRatio, r.hasControl ? 1 : 0, r.tol, r.c0, r.rawSec, r.xtimeNsec, r.offsBoot, r.offset, m, r.l1, h].map(String);
  });

describe('abc, mclock_step and set_clock_guest on random inputs', () => {
  it('the cross-command properties hold on both backends, and the backends agree line for line', () => {
    const [ref, wasm] = BACKEND_NAMES.map((b) => kvmclock(b));
    fc.assert(
      fc.property(abcArgs, (args) => {
        const a = checkAbcCase(ref, args);
        const b = checkAbcCase(wasm, args);
        expect(b).toEqual(a);
      }),
    );
  });

  it('set_clock_guest: K + new offset equals the record read at the guest TSC, which is read_l1_tsc(M)', () => {
    const [ref, wasm] = BACKEND_NAMES.map((b) => kvmclock(b));
    const args = fc.record({ ts: u64, st: u64, mul: u32, shift: s8Shift, m: u64, k: u64, off: s64, l1: u64, caps: fc.constantFrom(VMX, SVM) }).chain((r) =>
      fc.oneof(fc.constant(1n << BigInt(r.caps.frac)), u64, fc.bigInt({ min: 1n, max: 1n << BigInt(r.caps.frac + 2) })).map((ratio) => ({ ...r, ratio, frac: r.caps.frac })),
    );
    fc.assert(
      fc.property(args, (r) => {
        const line = `set_clock_guest ${r.ts} ${r.st} ${r.mul} ${r.shift} 1 ${r.m} ${r.k} ${r.off} ${r.l1} ${r.ratio} ${r.frac}`;
        const out = evalLine(ref, line);
        expect(evalLine(wasm, line)).toBe(out);
        const [newOff, guestTsc] = out.split(' ').map(BigInt);
        expect(newOff >= -(1n << 63n) && newOff < 1n << 63n).toBe(true);
        expect(String(guestTsc)).toBe(evalLine(ref, `read_l1_tsc ${r.m} ${r.l1} ${r.ratio} ${r.frac}`));
        expect(String(lo64(r.k + newOff))).toBe(evalLine(ref, `pvclock_read ${guestTsc} ${r.ts} ${r.st} ${r.mul} ${r.shift}`));
        const none = line.replace(`${r.shift} 1 ${r.m}`, `${r.shift} 0 ${r.m}`);
        expect(evalLine(ref, none)).toBe('ERR EINVAL');
        expect(evalLine(wasm, none)).toBe('ERR EINVAL');
      }),
    );
  });
});

// ---------------------------------------------------------------------------------- errors

describe.each(BACKEND_NAMES)('error lines on the %s backend', (backend) => {
  const api = kvmclock(backend);
  const SCG = ['1000', '0', '2147483648', '1', '1', '5000', '0', '0', '0', '281474976710656', '48'];
  const scg = (i: number, v: string) => `set_clock_guest ${SCG.map((x, j) => (j === i ? v : x)).join(' ')}`;
  const ABC = '2500000 1000000 48 18446744073709551615 1 250 1000000000000 0 0 0 0 1000000000000 0 1002500000000'.split(' ');
  const abcWith = (cmd: string, i: number, v: string) => `${cmd} ${ABC.map((x, j) => (j === i ? v : x)).join(' ')}`;

  it.each([
    [scg(3, '128'), 'ERR range arg4'],
    [scg(3, '-129'), 'ERR range arg4'],
    [scg(2, '4294967296'), 'ERR range arg3'],
    [scg(4, '2'), 'ERR range arg5'],
    [scg(4, '-1'), 'ERR range arg5'],
    [scg(0, '18446744073709551616'), 'ERR range arg1'],
    [scg(7, '9223372036854775808'), 'ERR range arg8'],
    [scg(10, '64'), 'ERR range arg11'],
    [scg(9, 'x'), 'ERR syntax arg10'],
    [scg(4, '0'), 'ERR EINVAL'],
    [SCG.slice(1).join(' ').replace(/^/, 'set_clock_guest '), 'ERR arity 11'],
    [abcWith('mclock_step', 2, '64'), 'ERR range arg3'],
    [abcWith('mclock_step', 4, '2'), 'ERR range arg5'],
    [abcWith('mclock_step', 9, '9223372036854775808'), 'ERR range arg10'],
    [abcWith('mclock_step', 13, '-1'), 'ERR range arg14'],
    [`mclock_step ${ABC.slice(1).join(' ')}`, 'ERR arity 14'],
    [abcWith('abc', 0, '4294967296'), 'ERR range arg1'],
  ])('%s → %s', (line, expected) => {
    expect(evalLine(api, line)).toBe(expected);
  });

  it('set_clock_guest accepts hex and negative s64 arguments as the protocol allows', () => {
    expect(evalLine(api, 'set_clock_guest 0x3E8 0 0x80000000 1 1 0x1388 0 -5 0 0x1000000000000 48')).toBe(evalLine(api, 'set_clock_guest 1000 0 2147483648 1 1 5000 0 -5 0 281474976710656 48'));
  });

  it('a host kHz of 0 (inside u32, refused by the clocksource registration) names its argument: ERR range arg1', () => {
    expect(evalLine(api, abcWith('abc', 0, '0'))).toBe('ERR range arg1');
    expect(evalLine(api, abcWith('mclock_step', 0, '0'))).toBe('ERR range arg1');
  });
});
