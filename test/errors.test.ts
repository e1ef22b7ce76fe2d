/**
 * The bad-input matrix: every public function, on both backends, every argument
 * position fed junk of the wrong JS type or outside its C type. Nothing may be
 * coerced or wrapped at the boundary:
 *   - wrong JS type        → ArgumentTypeError (a TypeError), code 'type', naming the argument;
 *   - value out of range   → ArgumentRangeError (a RangeError), code 'range', naming the
 *                            argument, its C type and the inclusive range;
 * plus the kernel's own rejections (KernelRuleError / ArithmeticFaultError codes).
 *
 * The matrix is generated from one table, TABLE; a test fails when the API (or the
 * package's named exports) gains a function that the table does not describe.
 */
import { describe, expect, it } from 'vitest';
import type { KvmclockApi } from '../src/api.js';
import * as pkg from '../src/index.js';
import { ArgumentRangeError, ArgumentTypeError, ArithmeticFaultError, KernelRuleError, isKvmclockError, kvmclock } from '../src/index.js';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX } from '../src/units.js';
import { BACKENDS, apiFor, apiMethodNames, outcome } from './helpers/backends.js';

type Method = Exclude<keyof KvmclockApi, 'backend'>;

/** Argument kinds, i.e. the guard the API applies to the position. */
type Kind =
  | 'u64'
  | 's64'
  | 'u32'
  | 'u32nz' // u32 that must not be 0 (clocksource freq / scale / khz)
  | 's32'
  | 'u8'
  | 's8'
  | 'mulShift' // 0..127
  | 'shift64' // 0..63
  | 'frac' // 0..63
  | 'bool'
  | 'array' // BigUint64Array input
  | 'arrayB' // BigUint64Array at least as long as `a`
  | 'out' // optional BigUint64Array output at least as long as the input
  | 'params'; // {tscTimestamp: u64, systemTime: u64, mul: u32, shift: s8}

interface Entry {
  /** [argument name exactly as the API reports it, kind], in call order. */
  readonly args: readonly (readonly [string, Kind])[];
  /** A valid call (must not throw). Batch arrays here have length 3. */
  readonly valid: () => unknown[];
}

const A3 = () => BigUint64Array.from([1n, 2n, 3n]);
const PARAMS = () => ({ tscTimestamp: 1n, systemTime: 2n, mul: 3_435_973_836, shift: -1 });

/** THE table: every public function, its arguments and a valid argument tuple. */
const TABLE: Record<Method, Entry> = {
  mulU64U32Shr: { args: [['a', 'u64'], ['mul', 'u32'], ['shift', 'mulShift']], valid: () => [2_500_000_000n, 3_435_973_836, 32] },
  mulU64U64Shr: { args: [['a', 'u64'], ['b', 'u64'], ['shift', 'mulShift']], valid: () => [5n, 7n, 1] },
  mulS64U64Shr: { args: [['a', 's64'], ['b', 'u64'], ['shift', 'mulShift']], valid: () => [-5n, 7n, 1] },
  mulU64U32Div: { args: [['a', 'u64'], ['mul', 'u32'], ['div', 'u32']], valid: () => [10n, 3, 2] },
  mulU64U32DivGeneric: { args: [['a', 'u64'], ['mul', 'u32'], ['div', 'u32']], valid: () => [10n, 3, 2] },
  getTimeScale: { args: [['scaled_hz', 'u64'], ['base_hz', 'u64']], valid: () => [1_000_000_000n, 2_500_000_000n] },
  pvclockScaleDelta: { args: [['delta', 'u64'], ['mul', 'u32'], ['shift', 's8']], valid: () => [1000n, 3_435_973_836, -1] },
  pvclockRead: {
    args: [['tsc', 'u64'], ['tsc_timestamp', 'u64'], ['system_time', 'u64'], ['tsc_to_system_mul', 'u32'], ['tsc_shift', 's8']],
    valid: () => [2000n, 1000n, 5n, 3_435_973_836, -1],
  },
  pvclockTscKhz: { args: [['tsc_to_system_mul', 'u32'], ['tsc_shift', 's8']], valid: () => [3_435_973_836, -1] },
  pvclockGuestRead: { args: [['ret', 'u64'], ['flags', 'u8'], ['valid_flags', 'u8'], ['last_value', 'u64']], valid: () => [10n, 1, 1, 5n] },
  scaleTsc: { args: [['tsc', 'u64'], ['ratio', 'u64'], ['frac', 'frac']], valid: () => [1000n, 1n << 47n, 48] },
  tscRatio: { args: [['user_tsc_khz', 'u32'], ['tsc_khz', 'u32'], ['frac', 'frac'], ['max_ratio', 'u64']], valid: () => [1_000_000, 2_500_000, 48, U64_MAX] },
  computeL1TscOffset: { args: [['target_tsc', 'u64'], ['host_tsc', 'u64'], ['ratio', 'u64'], ['frac', 'frac']], valid: () => [5n, 10n, 1n << 48n, 48] },
  readL1Tsc: { args: [['host_tsc', 'u64'], ['offset', 'u64'], ['ratio', 'u64'], ['frac', 'frac']], valid: () => [10n, 5n, 1n << 48n, 48] },
  nestedTscOffset: { args: [['l1_offset', 'u64'], ['l2_offset', 'u64'], ['l2_multiplier', 'u64'], ['frac', 'frac']], valid: () => [1n, 2n, 1n << 47n, 48] },
  nestedTscMultiplier: { args: [['l1_multiplier', 'u64'], ['l2_multiplier', 'u64'], ['frac', 'frac']], valid: () => [1n << 48n, 1n << 47n, 48] },
  adjustTscKhz: { args: [['khz', 'u32'], ['ppm', 's32']], valid: () => [2_500_000, -250] },
  maxGuestTscKhz: { args: [['tsc_khz', 'u32'], ['max_ratio', 'u64'], ['frac', 'frac']], valid: () => [2_500_000, (1n << 40n) - 1n, 32] },
  tgtTscKhz: { args: [['tsc_khz', 'u32'], ['ratio', 'u64'], ['frac', 'frac'], ['has_tsc_control', 'bool']], valid: () => [2_500_000, 1n << 47n, 48, true] },
  setTscKhz: {
    args: [['user_tsc_khz', 'u32'], ['tsc_khz', 'u32'], ['has_tsc_control', 'bool'], ['frac', 'frac'], ['max_ratio', 'u64'], ['tsc_tolerance_ppm', 'u32']],
    valid: () => [1_000_000, 2_500_000, true, 48, U64_MAX, 250],
  },
  clocksCalcMultShift: { args: [['from', 'u32'], ['to', 'u32'], ['maxsec', 'u32']], valid: () => [2_500_000, 1_000_000, 600_000] },
  clocksourceRegister: { args: [['freq', 'u32nz'], ['scale', 'u32nz'], ['mask', 'u64']], valid: () => [2_500_000, 1000, U64_MAX] },
  clocksourceKhz: { args: [['khz', 'u32nz']], valid: () => [2_500_000] },
  rawNs: {
    args: [['cycles', 'u64'], ['cycle_last', 'u64'], ['raw_sec', 'u64'], ['xtime_nsec', 'u64'], ['mult', 'u32'], ['shift', 'shift64']],
    valid: () => [2000n, 1000n, 5n, 7n, 6_710_886, 24],
  },
  kvmBaseNs: {
    args: [['cycles', 'u64'], ['cycle_last', 'u64'], ['raw_sec', 'u64'], ['xtime_nsec', 'u64'], ['mult', 'u32'], ['shift', 'shift64'], ['offs_boot', 's64']],
    valid: () => [2000n, 1000n, 5n, 7n, 6_710_886, 24, -3n],
  },
  cyc2ns: { args: [['delta', 'u64'], ['mult', 'u32'], ['shift', 'shift64']], valid: () => [1000n, 6_710_886, 24] },
  syncWindow: {
    args: [['data', 'u64'], ['last_tsc_write', 'u64'], ['elapsed_ns', 'u64'], ['virtual_tsc_khz', 'u32'], ['virtual_tsc_mult', 'u32'], ['virtual_tsc_shift', 's8']],
    valid: () => [1000n, 900n, 40n, 2_500_000, 2_684_354_560, 2],
  },
  setClock: {
    args: [['clock', 'u64'], ['flags', 'u32'], ['realtime', 'u64'], ['now_real', 'u64'], ['use_master_clock', 'bool'], ['master_kernel_ns', 'u64'], ['base_now', 'u64']],
    valid: () => [100n, 4, 5n, 9n, true, 50n, 60n],
  },
  wallClock: { args: [['wall_nsec', 'u64']], valid: () => [1_700_000_000_123_456_789n] },
  pvclockReadBatch: { args: [['tsc', 'array'], ['params', 'params'], ['out', 'out']], valid: () => [A3(), PARAMS(), new BigUint64Array(3)] },
  pvclockScaleDeltaBatch: { args: [['delta', 'array'], ['mul', 'u32'], ['shift', 's8'], ['out', 'out']], valid: () => [A3(), 3_435_973_836, -1, new BigUint64Array(3)] },
  scaleTscBatch: { args: [['tsc', 'array'], ['ratio', 'u64'], ['frac', 'frac'], ['out', 'out']], valid: () => [A3(), 1n << 47n, 48, new BigUint64Array(3)] },
  readL1TscBatch: { args: [['host_tsc', 'array'], ['offset', 'u64'], ['ratio', 'u64'], ['frac', 'frac'], ['out', 'out']], valid: () => [A3(), 5n, 1n << 47n, 48, new BigUint64Array(3)] },
  mulU64U64ShrBatch: { args: [['a', 'array'], ['b', 'arrayB'], ['shift', 'mulShift'], ['out', 'out']], valid: () => [A3(), A3(), 1, new BigUint64Array(3)] },
  guestKvmclockBatch: {
    args: [['host_tsc', 'array'], ['l1_offset', 'u64'], ['ratio', 'u64'], ['frac', 'frac'], ['params', 'params'], ['out', 'out']],
    valid: () => [A3(), 5n, 1n << 47n, 48, PARAMS(), new BigUint64Array(3)],
  },
};

/** pvclockReadBatch's params object: its fields are validated like arguments, named `params.<field>`. */
const PARAMS_FIELDS: readonly (readonly [string, Kind])[] = [['tscTimestamp', 'u64'], ['systemTime', 'u64'], ['mul', 'u32'], ['shift', 's8']];

// ---------------------------------------------------------------------------
// Junk per kind, with the error each must produce

type Expect = { readonly type: true } | { readonly cType: string; readonly min: bigint; readonly max: bigint };
interface Junk {
  readonly label: string;
  readonly value: () => unknown;
  readonly expect: Expect;
}
const T: Expect = { type: true };
const R = (cType: string, min: bigint | number, max: bigint | number): Expect => ({ cType, min: BigInt(min), max: BigInt(max) });
const J = (label: string, value: () => unknown, expect: Expect): Junk => ({ label, value, expect });

const NOT_A_BIGINT: Junk[] = [
  J('NaN', () => NaN, T),
  J('1.5', () => 1.5, T),
  J('5 (a Number)', () => 5, T),
  J("'5'", () => '5', T),
  J('null', () => null, T),
  J('undefined', () => undefined, T),
  J('{}', () => ({}), T),
  J('true', () => true, T),
  J('Object(5n)', () => Object(5n), T),
];
const NOT_A_NUMBER: Junk[] = [
  J('5n (a bigint)', () => 5n, T),
  J("'5'", () => '5', T),
  J('null', () => null, T),
  J('undefined', () => undefined, T),
  J('{}', () => ({}), T),
  J('true', () => true, T),
  J('NaN', () => NaN, T),
  J('1.5', () => 1.5, T),
  J('Infinity', () => Infinity, T),
  J('-Infinity', () => -Infinity, T),
];
const numRange = (cType: string, min: number, max: number, extra: number[] = []): Junk[] =>
  [min - 1, max + 1, ...extra].map((v) => J(String(v), () => v, R(cType, min, max)));
const NOT_A_U64_ARRAY: Junk[] = [
  J('number[]', () => [1, 2, 3], T),
  J('bigint[]', () => [1n, 2n, 3n], T),
  J('Uint32Array', () => new Uint32Array(3), T),
  J('Float64Array', () => new Float64Array(3), T),
  J('BigInt64Array', () => new BigInt64Array(3), T),
  J('null', () => null, T),
  J('5n', () => 5n, T),
  J("'abc'", () => 'abc', T),
];

const U64_RANGE = R('u64', 0n, U64_MAX);
const S64_RANGE = R('s64', S64_MIN, S64_MAX);
const LENGTH_3 = R('length', 3, Number.MAX_SAFE_INTEGER);

const JUNK: Record<Kind, Junk[]> = {
  u64: [...NOT_A_BIGINT, ...[-1n, 2n ** 64n, 2n ** 64n + 5n, -(2n ** 63n) - 1n, -(2n ** 64n)].map((v) => J(`${v}n`, () => v, U64_RANGE))],
  s64: [...NOT_A_BIGINT, ...[-(2n ** 63n) - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n + 5n].map((v) => J(`${v}n`, () => v, S64_RANGE))],
  u32: [...NOT_A_NUMBER, ...numRange('u32', 0, U32_MAX, [2 ** 53, -(2 ** 31), 1e21])],
  u32nz: [...NOT_A_NUMBER, ...[0, -1, 2 ** 32].map((v) => J(String(v), () => v, R('u32', 1, U32_MAX)))],
  s32: [...NOT_A_NUMBER, ...numRange('s32', S32_MIN, S32_MAX, [2 ** 32])],
  u8: [...NOT_A_NUMBER, ...numRange('u8', 0, 255, [2 ** 32])],
  s8: [...NOT_A_NUMBER, ...numRange('s8', -128, 127, [256, -256])],
  mulShift: [...NOT_A_NUMBER, ...numRange('shift', 0, 127, [256])],
  shift64: [...NOT_A_NUMBER, ...numRange('shift', 0, 63, [128])],
  frac: [...NOT_A_NUMBER, ...numRange('frac bits', 0, 63, [128])],
  bool: [J('1', () => 1, T), J('0', () => 0, T), J("'true'", () => 'true', T), J('null', () => null, T), J('undefined', () => undefined, T), J('1n', () => 1n, T), J('{}', () => ({}), T)],
  array: [...NOT_A_U64_ARRAY, J('undefined', () => undefined, T)],
  arrayB: [...NOT_A_U64_ARRAY, J('undefined', () => undefined, T), J('a too-short BigUint64Array', () => new BigUint64Array(2), LENGTH_3)],
  // `out` may be omitted (undefined means "allocate"), so undefined is not junk there
  out: [...NOT_A_U64_ARRAY, J('a too-short BigUint64Array', () => new BigUint64Array(2), LENGTH_3), J('an empty BigUint64Array', () => new BigUint64Array(0), LENGTH_3)],
  params: [J('null', () => null, T), J('undefined', () => undefined, T), J('5', () => 5, T), J("'params'", () => 'params', T), J('5n', () => 5n, T)],
};

const NUMBER_KINDS = new Set<Kind>(['u32', 'u32nz', 's32', 'u8', 's8', 'mulShift', 'shift64', 'frac']);

const fmt = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v));

/** Assert that `f` throws the error `exp` describes for argument `name`. */
function expectArgError(f: () => unknown, name: string, exp: Expect): void {
  let thrown: unknown;
  let returned: unknown;
  try {
    returned = f();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) expect.fail(`expected an error for "${name}", got a result ${fmt(returned)}`);
  expect(isKvmclockError(thrown), String(thrown)).toBe(true);
  const e = thrown as Error & { code: string; argument: string };
  if ('type' in exp) {
    expect(e).toBeInstanceOf(ArgumentTypeError);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.code).toBe('type');
    expect(e.argument).toBe(name);
    expect(e.message.startsWith(`"${name}" expected `), e.message).toBe(true);
  } else {
    expect(e).toBeInstanceOf(ArgumentRangeError);
    expect(e).toBeInstanceOf(RangeError);
    expect(e.code).toBe('range');
    const r = e as ArgumentRangeError;
    expect(r.argument).toBe(name);
    expect({ cType: r.cType, min: r.min, max: r.max }).toEqual({ cType: exp.cType, min: exp.min, max: exp.max });
    expect(e.message, e.message).toContain(`"${name}" expected ${exp.cType} in ${exp.min}..${exp.max}, got `);
  }
}

function invoke(api: KvmclockApi, m: Method, args: unknown[]): unknown {
  return (api[m] as (...a: unknown[]) => unknown)(...args);
}

// ---------------------------------------------------------------------------

describe('the table describes the whole API', () => {
  it.each(BACKENDS)('%s: TABLE keys === the API object’s methods', (b) => {
    expect(Object.keys(TABLE).sort()).toEqual(apiMethodNames(apiFor(b)));
  });

  it("every function the package exports by name is kvmclock('wasm')'s method and is in the table", () => {
    const NOT_API = new Set(['kvmclock', 'isKvmclockError']);
    const exported = Object.entries(pkg).filter(([k, v]) => typeof v === 'function' && !NOT_API.has(k) && !/Error$/.test(k));
    const wasm = kvmclock('wasm') as unknown as Record<string, unknown>;
    for (const [k, v] of exported) {
      expect(Object.hasOwn(TABLE, k), `export ${k} is not in the table`).toBe(true);
      expect(v, `export ${k}`).toBe(wasm[k]);
    }
    expect(exported.map(([k]) => k).sort()).toEqual(Object.keys(TABLE).sort());
  });

  it('every table entry names each argument of the function (arity check) and its valid tuple fits', () => {
    for (const [m, e] of Object.entries(TABLE)) {
      expect(e.valid().length, m).toBe(e.args.length);
      // api functions declare their parameters (optional `out` included) explicitly
      expect(kvmclock('reference')[m as Method].length, m).toBe(e.args.length);
    }
  });
});

describe.each(BACKENDS)('%s backend: bad-input matrix', (backend) => {
  const api = apiFor(backend);

  describe.each(Object.entries(TABLE) as [Method, Entry][])('%s', (m, entry) => {
    it('accepts its valid argument tuple (also with `out` omitted)', () => {
      expect(() => invoke(api, m, entry.valid())).not.toThrow();
      if (entry.args.at(-1)?.[1] === 'out') expect(() => invoke(api, m, entry.valid().slice(0, -1))).not.toThrow();
    });

    for (let i = 0; i < entry.args.length; i++) {
      const [name, kind] = entry.args[i];
      it(`argument ${i} "${name}" (${kind}): every junk value is refused with the right error`, () => {
        for (const j of JUNK[kind]) {
          const args = entry.valid();
          args[i] = j.value();
          try {
            expectArgError(() => invoke(api, m, args), name, j.expect);
          } catch (err) {
            (err as Error).message = `${m} ${name} = ${j.label}: ${(err as Error).message}`;
            throw err;
          }
        }
        if (kind === 'params') {
          // and each field of the params object, named params.<field>
          for (const [field, fkind] of PARAMS_FIELDS) {
            for (const j of JUNK[fkind]) {
              const args = entry.valid();
              args[i] = { ...(args[i] as object), [field]: j.value() };
              try {
                expectArgError(() => invoke(api, m, args), `params.${field}`, j.expect);
              } catch (err) {
                (err as Error).message = `${m} params.${field} = ${j.label}: ${(err as Error).message}`;
                throw err;
              }
            }
          }
        }
      });
    }

    it('−0 in a number position behaves exactly like 0 (same result or same error)', () => {
      for (let i = 0; i < entry.args.length; i++) {
        const kind = entry.args[i][1];
        if (!NUMBER_KINDS.has(kind)) continue;
        const withZero = entry.valid();
        withZero[i] = 0;
        const withNegZero = entry.valid();
        withNegZero[i] = -0;
        const a = outcome(() => invoke(api, m, withNegZero));
        const b = outcome(() => invoke(api, m, withZero));
        expect(a, `${m} ${entry.args[i][0]} = -0`).toStrictEqual(b);
      }
    });

    it('a missing argument is refused, not defaulted (all but `out`)', () => {
      for (let i = 0; i < entry.args.length; i++) {
        const [name, kind] = entry.args[i];
        if (kind === 'out') continue;
        const args = entry.valid().slice(0, i);
        expectArgError(() => invoke(api, m, args), name, T);
      }
    });
  });
});

describe.each(BACKENDS)('%s backend: nothing wraps at the boundary', (backend) => {
  const api = apiFor(backend);
  const cases: [string, () => unknown, string, Expect][] = [
    // each would compute a plausible value if the argument were reduced mod 2^64 / 2^32 / 2^8
    ['mulU64U32Shr(2^64 + 5, 1, 0) (would be 5)', () => api.mulU64U32Shr(2n ** 64n + 5n, 1, 0), 'a', U64_RANGE],
    ['mulU64U32Shr(2^64 + 5, 1n, 0) (a is checked first)', () => api.mulU64U32Shr(2n ** 64n + 5n, 1n as unknown as number, 0), 'a', U64_RANGE],
    ['mulU64U64Shr(2^64 + 5, 1, 0) (would be 5)', () => api.mulU64U64Shr(2n ** 64n + 5n, 1n, 0), 'a', U64_RANGE],
    ['mulU64U64Shr(5, 2^64 + 1, 0) (would be 5)', () => api.mulU64U64Shr(5n, 2n ** 64n + 1n, 0), 'b', U64_RANGE],
    ['mulU64U64Shr(-1, 1, 0) (would be 2^64 − 1)', () => api.mulU64U64Shr(-1n, 1n, 0), 'a', U64_RANGE],
    ['mulS64U64Shr(2^63, 1, 0) (would be −2^63)', () => api.mulS64U64Shr(2n ** 63n, 1n, 0), 'a', S64_RANGE],
    ['mulU64U32Shr(5, 2^32 + 1, 0) (would be 5)', () => api.mulU64U32Shr(5n, 2 ** 32 + 1, 0), 'mul', R('u32', 0, U32_MAX)],
    ['mulU64U64Shr(5, 1, 128) (would be shift 0)', () => api.mulU64U64Shr(5n, 1n, 128), 'shift', R('shift', 0, 127)],
    ['pvclockScaleDelta(5, 2^32, 0) (would be mul 0)', () => api.pvclockScaleDelta(5n, 2 ** 32, 0), 'mul', R('u32', 0, U32_MAX)],
    ['pvclockScaleDelta(5, 1, 256) (would be shift 0)', () => api.pvclockScaleDelta(5n, 1, 256), 'shift', R('s8', -128, 127)],
    ['pvclockRead with tsc_shift 255 (would be −1)', () => api.pvclockRead(1n, 0n, 0n, 1, 255), 'tsc_shift', R('s8', -128, 127)],
    ['scaleTsc(t, 2^64 + 2^48, 48) (would be the default ratio)', () => api.scaleTsc(7n, 2n ** 64n + 2n ** 48n, 48), 'ratio', U64_RANGE],
    ['scaleTsc(t, 2^48, 48 + 64) (would be frac 48)', () => api.scaleTsc(7n, 2n ** 48n, 112), 'frac', R('frac bits', 0, 63)],
    ['adjustTscKhz(k, 2^31) (would be −2^31)', () => api.adjustTscKhz(2_500_000, 2 ** 31), 'ppm', R('s32', S32_MIN, S32_MAX)],
    ['setClock flags 2^32 + 2 (would be TSC_STABLE)', () => api.setClock(1n, 2 ** 32 + 2, 0n, 0n, false, 0n, 0n), 'flags', R('u32', 0, U32_MAX)],
    ['kvmBaseNs offs_boot 2^63 (would be −2^63)', () => api.kvmBaseNs(1n, 0n, 0n, 0n, 1, 0, 2n ** 63n), 'offs_boot', S64_RANGE],
    ['pvclockGuestRead flags 257 (would be 1)', () => api.pvclockGuestRead(1n, 257, 1, 0n), 'flags', R('u8', 0, 255)],
    ['tscRatio max_ratio 2^64 (would be 0)', () => api.tscRatio(1_000_000, 2_500_000, 48, 2n ** 64n), 'max_ratio', U64_RANGE],
    ['wallClock(2^64 + 10^9) (would be 1 s)', () => api.wallClock(2n ** 64n + 1_000_000_000n), 'wall_nsec', U64_RANGE],
    ['pvclockReadBatch params.tscTimestamp −1 (would be 2^64 − 1)', () => api.pvclockReadBatch(new BigUint64Array(1), { tscTimestamp: -1n, systemTime: 0n, mul: 1, shift: 0 }), 'params.tscTimestamp', U64_RANGE],
    ['scaleTscBatch ratio 2^64 + 1 (would be 1)', () => api.scaleTscBatch(new BigUint64Array(1), 2n ** 64n + 1n, 0), 'ratio', U64_RANGE],
  ];
  it.each(cases)('%s throws', (_label, f, name, exp) => expectArgError(f, name, exp));

  it('a 5 (Number) where a u64 is expected is a type error, not 5n', () => {
    expectArgError(() => api.mulU64U64Shr(5 as unknown as bigint, 1n, 0), 'a', T);
  });

  it('batch inputs are refused whole: a BigInt64Array holding −1 is not read as 2^64 − 1', () => {
    expectArgError(() => api.scaleTscBatch(BigInt64Array.from([-1n]) as unknown as BigUint64Array, 1n, 0), 'tsc', T);
  });
});

describe.each(BACKENDS)('%s backend: kernel rejections', (backend) => {
  const api = apiFor(backend);

  function expectKernel(f: () => unknown, cls: typeof KernelRuleError | typeof ArithmeticFaultError, code: string, value?: bigint): void {
    let thrown: unknown;
    try {
      f();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(cls);
    expect(thrown).toBeInstanceOf(RangeError);
    expect(isKvmclockError(thrown)).toBe(true);
    const e = thrown as KernelRuleError;
    expect(e.code).toBe(code);
    if (value !== undefined) expect(e.value).toBe(value);
  }

  it('tscRatio: a zero ratio → KernelRuleError zero (value 0)', () => {
    // ⌊2^0·1/4294967295⌋ = 0
    expectKernel(() => api.tscRatio(1, U32_MAX, 0, U64_MAX), KernelRuleError, 'zero', 0n);
  });
  it('tscRatio: a ratio ≥ max_ratio → KernelRuleError toolarge with the ratio', () => {
    // 2.5 → 3.0 GHz on VMX is 337769972052787 (spec §5.4); with max 2^48 it is refused
    expectKernel(() => api.tscRatio(3_000_000, 2_500_000, 48, 1n << 48n), KernelRuleError, 'toolarge', 337_769_972_052_787n);
    // SVM: 2^32·257 ≥ 2^40 − 1
    expectKernel(() => api.tscRatio(257_000_000, 1_000_000, 32, (1n << 40n) - 1n), KernelRuleError, 'toolarge', 257n << 32n);
    // equal to the max is refused too (≥)
    expectKernel(() => api.tscRatio(2, 1, 0, 2n), KernelRuleError, 'toolarge', 2n);
  });
  it('tscRatio: host 0 → div0, a quotient ≥ 2^64 → overflow', () => {
    expectKernel(() => api.tscRatio(1, 0, 48, U64_MAX), ArithmeticFaultError, 'div0');
    expectKernel(() => api.tscRatio(U32_MAX, 1, 63, U64_MAX), ArithmeticFaultError, 'overflow');
  });
  it('getTimeScale(0, 1), (1, 0), (2^63, 1) → KernelRuleError hang', () => {
    expectKernel(() => api.getTimeScale(0n, 1n), KernelRuleError, 'hang');
    expectKernel(() => api.getTimeScale(1n, 0n), KernelRuleError, 'hang');
    expectKernel(() => api.getTimeScale(2n ** 63n, 1n), KernelRuleError, 'hang');
  });
  it('mulU64U32Div(…, 0) → div0; a quotient ≥ 2^64 → overflow; the generic version only div0', () => {
    expectKernel(() => api.mulU64U32Div(5n, 1, 0), ArithmeticFaultError, 'div0');
    expectKernel(() => api.mulU64U32Div(U64_MAX, 2, 1), ArithmeticFaultError, 'overflow');
    expectKernel(() => api.mulU64U32DivGeneric(5n, 1, 0), ArithmeticFaultError, 'div0');
    expect(api.mulU64U32DivGeneric(U64_MAX, 2, 1)).toBe(U64_MAX - 1n);
  });
  it('pvclockTscKhz(0, s) → div0; clocksCalcMultShift(0, …) → div0', () => {
    expectKernel(() => api.pvclockTscKhz(0, 0), ArithmeticFaultError, 'div0');
    expectKernel(() => api.clocksCalcMultShift(0, 1_000_000, 600), ArithmeticFaultError, 'div0');
  });
  it('clocksourceRegister freq 0 / scale 0 and clocksourceKhz(0) → range errors naming the argument', () => {
    expectArgError(() => api.clocksourceRegister(0, 1000, U64_MAX), 'freq', R('u32', 1, U32_MAX));
    expectArgError(() => api.clocksourceRegister(1000, 0, U64_MAX), 'scale', R('u32', 1, U32_MAX));
    expectArgError(() => api.clocksourceKhz(0), 'khz', R('u32', 1, U32_MAX));
  });
  it('setClock with flags 1 (or any bit outside 0xe) → KernelRuleError EINVAL', () => {
    expectKernel(() => api.setClock(1n, 1, 0n, 0n, false, 0n, 0n), KernelRuleError, 'EINVAL');
    expectKernel(() => api.setClock(1n, 16, 0n, 0n, false, 0n, 0n), KernelRuleError, 'EINVAL');
    expectKernel(() => api.setClock(1n, U32_MAX, 0n, 0n, false, 0n, 0n), KernelRuleError, 'EINVAL');
  });
  it('setTscKhz that would fault → ArithmeticFaultError de', () => {
    // host 0 with hardware scaling: mul_u64_u32_div(2^48, user, 0)
    expectKernel(() => api.setTscKhz(1_000_000, 0, true, 48, U64_MAX, 250), ArithmeticFaultError, 'de');
    // 2^63·(2^32 − 1)/1 does not fit 64 bits
    expectKernel(() => api.setTscKhz(U32_MAX, 1, true, 63, U64_MAX, 250), ArithmeticFaultError, 'de');
  });
  it('setTscKhz turns zero/toolarge ratios into rc −1 (no throw)', () => {
    const r = api.setTscKhz(257_000_000, 1_000_000, true, 32, (1n << 40n) - 1n, 250);
    expect(r.rc).toBe(-1);
    expect(r.ratio).toBeNull();
    expect(r.useScaling).toBe(true);
  });
});

describe('backend selection', () => {
  it("kvmclock('nope') → ArgumentRangeError naming \"backend\"", () => {
    let e: unknown;
    try {
      kvmclock('nope' as 'wasm');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(ArgumentRangeError);
    expect(e).toBeInstanceOf(RangeError);
    expect((e as ArgumentRangeError).code).toBe('range');
    expect((e as ArgumentRangeError).argument).toBe('backend');
    expect((e as Error).message).toContain('"backend"');
    expect((e as Error).message).toContain('"nope"');
  });
  it('kvmclock(5) / kvmclock(null) → ArgumentTypeError naming "backend"', () => {
    for (const v of [5, null, {}, 1n]) {
      expectArgError(() => kvmclock(v as unknown as 'wasm'), 'backend', T);
    }
  });
  it("inherited property names are not backends: kvmclock('toString'), kvmclock('__proto__')", () => {
    for (const v of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '']) {
      expect(() => kvmclock(v as 'wasm')).toThrow(ArgumentRangeError);
    }
  });
  it('kvmclock() defaults to wasm, and each name gives one cached API', () => {
    expect(kvmclock().backend).toBe('wasm');
    expect(kvmclock('wasm')).toBe(kvmclock());
    expect(kvmclock('reference').backend).toBe('reference');
    expect(kvmclock('reference')).toBe(kvmclock('reference'));
  });
});

describe('batch output overlapping the input at another offset', () => {
  it.each(['reference', 'wasm'] as const)('is refused on %s (in place and disjoint are fine)', (backend) => {
    const api = kvmclock(backend);
    const backing = new BigUint64Array([1n, 2n, 3n, 4n, 5n, 6n]);
    expect(() => api.scaleTscBatch(backing.subarray(0, 5), 2n, 0, backing.subarray(1, 6))).toThrow(expect.objectContaining({ code: 'range', argument: 'out' }));
    const inPlace = backing.subarray(0, 3);
    expect(api.scaleTscBatch(inPlace, 2n, 0, inPlace)).toEqual(new BigUint64Array([2n, 4n, 6n]));
    expect(api.scaleTscBatch(backing.subarray(3, 6), 2n, 0, backing.subarray(0, 3))).toEqual(new BigUint64Array([8n, 10n, 12n]));
  });
});
