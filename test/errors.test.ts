/**
 * The bad-input matrix: every public function, on both backends, every argument
 * position fed junk of the wrong JS type or outside its C type. Nothing may be
 * coerced or wrapped at the boundary:
 *   - wrong JS type        → ArgumentTypeError (a TypeError), code 'type', naming the argument;
 *   - value out of range   → ArgumentRangeError (a RangeError), code 'range', naming the
 *                            argument, its C type and the inclusive range;
 *   - bad kernel profile   → KernelProfileError (a RangeError), code 'profile', naming the
 *                            argument, the unknown preset or change, and listing the valid ids
 *                            (undefined is the documented default 6.18, so it is not junk);
 * plus the kernel's own rejections (KernelRuleError / ArithmeticFaultError codes, with the
 * reason word of `invalid` and the check an EINVAL names).
 *
 * The matrix is generated from one table, TABLE; a test fails when the API (or the
 * package's named exports) gains a function that the table does not describe.
 */
import { describe, expect, it } from 'vitest';
import type { KvmclockApi } from '../src/api.js';
import * as pkg from '../src/index.js';
import { ArgumentRangeError, ArgumentTypeError, ArithmeticFaultError, CHANGE_IDS, KernelProfile, KernelProfileError, KernelRuleError, PRESET_NAMES, isKvmclockError, kvmclock } from '../src/index.js';
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
  | 'params' // {tscTimestamp: u64, systemTime: u64, mul: u32, shift: s8}
  | 'word64' // a 64-bit word as s64 or its u64 pattern, −2^63..2^64−1
  | 's16p' // an s16 given as s16 or its u16 pattern, −32768..65535
  | 'profile' // a kernel profile (KernelProfile or string); undefined means the default 6.18
  | 'record'; // {tscTimestamp: u64, systemTime: u64, mul: u32, shift: s8, flags?: u8}

interface Entry {
  /** [argument name exactly as the API reports it, kind], in call order. */
  readonly args: readonly (readonly [string, Kind])[];
  /** A valid call (must not throw). Batch arrays here have length 3. */
  readonly valid: () => unknown[];
}

const A3 = () => BigUint64Array.from([1n, 2n, 3n]);
const PARAMS = () => ({ tscTimestamp: 1n, systemTime: 2n, mul: 3_435_973_836, shift: -1 });
/** 2.5 → 1.0 GHz on VMX (kernel-variants §7's worked round trip). */
const RATIO_1G = 112_589_990_684_262n;
/** The record KVM_GET_CLOCK_GUEST returns for it at (M, K) = (10^12, 400·10^9) under clocks-v6. */
const RECORD = () => ({ tscTimestamp: 399_999_999_999n, systemTime: 400_000_000_000n, mul: 2_147_483_650, shift: 1, flags: 1 });

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

  // Upstream variants (kernel-variants document)
  tgtTscHz: { args: [['host_khz', 'u64'], ['ratio', 'u64'], ['frac', 'frac'], ['has_tsc_control', 'bool']], valid: () => [2_500_000n, RATIO_1G, 48, true] },
  masterTscScale: { args: [['host_khz', 'u64'], ['ratio', 'u64'], ['frac', 'frac'], ['has_tsc_control', 'bool']], valid: () => [2_500_000n, RATIO_1G, 48, true] },
  getKvmclock: {
    args: [['kernel', 'profile'], ['host_tsc', 'u64'], ['master_cycle_now', 'u64'], ['master_kernel_ns', 's64'], ['kvmclock_offset', 's64'], ['ratio', 'u64'], ['frac', 'frac'], ['host_khz', 'u64'], ['has_tsc_control', 'bool']],
    valid: () => ['7.4-queued', 217_000_000_000_000n, 1_000_000_000_000n, 0n, -5n, RATIO_1G, 48, 2_500_000n, true],
  },
  mclockMode: {
    args: [['kernel', 'profile'], ['matched_tsc', 'bool'], ['matched_freq', 'bool'], ['tsc_clocksource', 'bool'], ['backwards_tsc', 'bool'], ['old_kvmclock', 'bool']],
    valid: () => ['clocks-v6', false, true, true, false, false],
  },
  computeGuestTsc: {
    args: [['this_tsc_write', 'u64'], ['this_tsc_nsec', 'u64'], ['kernel_ns', 's64'], ['virtual_tsc_mult', 'u32'], ['virtual_tsc_shift', 's8'], ['signed', 'bool']],
    valid: () => [1_000_000_000_000n, 5_000_000_000n, 4_000_000_000n, 2_684_354_560, 2, true],
  },
  tscCatchup: {
    args: [
      ['kernel', 'profile'],
      ['this_tsc_write', 'u64'],
      ['this_tsc_nsec', 'u64'],
      ['virtual_tsc_mult', 'u32'],
      ['virtual_tsc_shift', 's8'],
      ['l1_offset', 'u64'],
      ['ratio', 'u64'],
      ['frac', 'frac'],
      ['master_cycle_now', 'u64'],
      ['master_kernel_ns', 's64'],
      ['host_tsc_now', 'u64'],
      ['kernel_ns_now', 's64'],
    ],
    valid: () => ['7.4-queued', 0n, 0n, 2 ** 31, 1, 0n, 1n << 48n, 48, 1000n, 2000n, 1500n, 2600n],
  },
  hvclockToHz: { args: [['tsc_to_system_mul', 'u32'], ['tsc_shift', 's8']], valid: () => [3_435_973_836, -1] },
  setClockGuestV6: {
    args: [
      ['record', 'record'],
      ['pads_nonzero', 'bool'],
      ['use_master_clock', 'bool'],
      ['master_cycle_now', 'u64'],
      ['master_kernel_ns', 's64'],
      ['l1_offset', 'u64'],
      ['ratio', 'u64'],
      ['frac', 'frac'],
      ['host_khz', 'u64'],
      ['has_tsc_control', 'bool'],
    ],
    valid: () => [RECORD(), false, true, 3_500_000_000_000n, 1_400_000_000_000n, 0n, RATIO_1G, 48, 2_500_000n, true],
  },
  getClockGuestV6: {
    args: [
      ['kernel', 'profile'],
      ['use_master_clock', 'bool'],
      ['master_cycle_now', 'u64'],
      ['master_kernel_ns', 's64'],
      ['kvmclock_offset', 's64'],
      ['l1_offset', 'u64'],
      ['ratio', 'u64'],
      ['frac', 'frac'],
      ['host_khz', 'u64'],
      ['has_tsc_control', 'bool'],
      ['all_matched_tsc', 'bool'],
    ],
    valid: () => ['clocks-v6', true, 1_000_000_000_000n, 400_000_000_000n, 0n, 0n, RATIO_1G, 48, 2_500_000n, true, true],
  },

  // Guest clock ABIs (guest-clock-abis document)
  hvTscPage: {
    args: [['tsc_to_system_mul', 'u32'], ['tsc_shift', 's8'], ['tsc_timestamp', 'u64'], ['system_time', 'u64'], ['flags', 'u8']],
    valid: () => [2_147_485_795, 1, 399_999_999_999n, 0n, 1],
  },
  hvRefRead: { args: [['tsc', 'u64'], ['tsc_scale', 'u64'], ['tsc_offset', 'word64']], valid: () => [1_000_000_000_000n, 73_786_976_277_658_337n, -3_999_999_999n] },
  hvRefMsr: { args: [['kvmclock_ns', 'u64']], valid: () => [86_400_086_380_541n] },
  xenTscLeaf: { args: [['tgt_tsc_khz', 'u32']], valid: () => [999_999] },
  vmclockRead: {
    args: [['counter', 'u64'], ['counter_value', 'u64'], ['counter_period_frac_sec', 'u64'], ['counter_period_shift', 'u8'], ['time_sec', 'u64'], ['time_frac_sec', 'u64']],
    valid: () => [1_002_500_000_000n, 1_000_000_000_000n, 15_845_632_502_852_867_518n, 31, 1_700_000_000n, 0n],
  },
  vmclockGettime: {
    args: [
      ['counter', 'u64'],
      ['counter_value', 'u64'],
      ['counter_period_frac_sec', 'u64'],
      ['counter_period_shift', 'u8'],
      ['time_sec', 'u64'],
      ['time_frac_sec', 'u64'],
      ['time_type', 'u8'],
      ['flags', 'u64'],
      ['tai_offset_sec', 's16p'],
      ['clock_status', 'u8'],
    ],
    valid: () => [1_002_500_000_000n, 1_000_000_000_000n, 15_845_632_502_852_867_518n, 31, 1_700_000_000n, 0n, 0, 1n, -37, 2],
  },
  vmclockPeriod: { args: [['freq_hz', 'u64']], valid: () => [2_500_000_000n] },
};

/** pvclockReadBatch's params object: its fields are validated like arguments, named `params.<field>`. */
const PARAMS_FIELDS: readonly (readonly [string, Kind])[] = [['tscTimestamp', 'u64'], ['systemTime', 'u64'], ['mul', 'u32'], ['shift', 's8']];
/** setClockGuestV6's record: the same four fields plus an optional u8 flags, named `record.<field>`. */
const RECORD_FIELDS: readonly (readonly [string, Kind])[] = [['tscTimestamp', 'u64'], ['systemTime', 'u64'], ['mul', 'u32'], ['shift', 's8'], ['flags', 'u8']];
/** Object-valued argument kinds and their fields. */
const OBJECT_FIELDS: Partial<Record<Kind, { readonly prefix: string; readonly fields: readonly (readonly [string, Kind])[]; readonly optional: ReadonlySet<string> }>> = {
  params: { prefix: 'params', fields: PARAMS_FIELDS, optional: new Set() },
  record: { prefix: 'record', fields: RECORD_FIELDS, optional: new Set(['flags']) },
};

// ---------------------------------------------------------------------------
// Junk per kind, with the error each must produce

/**
 * `profile`: a KernelProfileError (code `profile`) for the argument, carrying the profile as given
 * (trimmed) in `got`, whose message quotes `names` (the unknown preset or change, when there is
 * one) and lists the valid ids `lists`.
 */
type Expect =
  | { readonly type: true }
  | { readonly cType: string; readonly min: bigint; readonly max: bigint }
  | { readonly profile: true; readonly got?: string; readonly names?: string; readonly lists: readonly string[] };
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
const WORD64_RANGE = R('s64 or u64', S64_MIN, U64_MAX);
/** An unknown preset: the message lists the presets and every change id. */
const UNKNOWN_PRESET = (got: string): Expect => ({ profile: true, got, names: got, lists: [...PRESET_NAMES, ...CHANGE_IDS] });
/** An unknown change after a valid preset: the message names it (and the profile) and lists every change id. */
const UNKNOWN_CHANGE = (got: string, change: string): Expect => ({ profile: true, got, names: change, lists: CHANGE_IDS });
/** Not a string at all: the message lists presets and change ids. */
const NOT_A_PROFILE: Expect = { profile: true, lists: [...PRESET_NAMES, ...CHANGE_IDS] };
const PROFILE_JUNK: Junk[] = [
  J("'6.19'", () => '6.19', UNKNOWN_PRESET('6.19')),
  J("'7.4'", () => '7.4', UNKNOWN_PRESET('7.4')),
  J("''", () => '', UNKNOWN_PRESET('')),
  J("'   '", () => '   ', UNKNOWN_PRESET('')),
  J("'CLOCKS-V6' (case matters)", () => 'CLOCKS-V6', UNKNOWN_PRESET('CLOCKS-V6')),
  J("'+hz-pvclock' (no preset)", () => '+hz-pvclock', UNKNOWN_PRESET('+hz-pvclock')),
  J("'6.18+hz'", () => '6.18+hz', UNKNOWN_CHANGE('6.18+hz', 'hz')),
  J("'clocks-v6+'", () => 'clocks-v6+', UNKNOWN_CHANGE('clocks-v6+', '')),
  J("'7.4-queued-'", () => '7.4-queued-', UNKNOWN_CHANGE('7.4-queued-', '')),
  J("'6.18+hz-pvclock+nope'", () => '6.18+hz-pvclock+nope', UNKNOWN_CHANGE('6.18+hz-pvclock+nope', 'nope')),
  J("'6.18+hz-pvclockx'", () => '6.18+hz-pvclockx', UNKNOWN_CHANGE('6.18+hz-pvclockx', 'hz-pvclockx')),
  J("'6.18*hz-pvclock'", () => '6.18*hz-pvclock', UNKNOWN_CHANGE('6.18*hz-pvclock', '*hz-pvclock')),
  J("'6.18 +hz-pvclock'", () => '6.18 +hz-pvclock', UNKNOWN_CHANGE('6.18 +hz-pvclock', ' +hz-pvclock')),
  J("'6.18,7.4-queued' (a list is not a profile)", () => '6.18,7.4-queued', UNKNOWN_CHANGE('6.18,7.4-queued', ',7.4-queued')),
  J('5', () => 5, NOT_A_PROFILE),
  J('6.18 (a Number)', () => 6.18, NOT_A_PROFILE),
  J('null', () => null, NOT_A_PROFILE),
  J('true', () => true, NOT_A_PROFILE),
  J('5n', () => 5n, NOT_A_PROFILE),
  J('{}', () => ({}), NOT_A_PROFILE),
  J("['6.18']", () => ['6.18'], NOT_A_PROFILE),
  J("new String('6.18')", () => new String('6.18'), NOT_A_PROFILE),
  J("{ name: '6.18' } (a look-alike, not a KernelProfile)", () => ({ name: '6.18', has: () => true }), NOT_A_PROFILE),
];
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
  word64: [...NOT_A_BIGINT, ...[-(2n ** 63n) - 1n, 2n ** 64n, 2n ** 64n + 5n, -(2n ** 64n)].map((v) => J(`${v}n`, () => v, WORD64_RANGE))],
  s16p: [...NOT_A_NUMBER, ...numRange('s16 or u16', -0x8000, 0xffff, [2 ** 32, -0x10000, 0x10000 + 0xffdb])],
  // undefined is the documented default (6.18), so it is not junk here
  profile: PROFILE_JUNK,
  record: [J('null', () => null, T), J('undefined', () => undefined, T), J('5', () => 5, T), J("'record'", () => 'record', T), J('5n', () => 5n, T)],
};

const NUMBER_KINDS = new Set<Kind>(['u32', 'u32nz', 's32', 'u8', 's8', 'mulShift', 'shift64', 'frac', 's16p']);

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
  if ('profile' in exp) {
    expect(e).toBeInstanceOf(KernelProfileError);
    expect(e).toBeInstanceOf(RangeError);
    expect(e.code).toBe('profile');
    expect(e.argument).toBe(name);
    expect(e.message.startsWith(`"${name}" `), e.message).toBe(true);
    if (exp.got !== undefined) expect((e as KernelProfileError).got, 'the profile as given (trimmed)').toBe(exp.got);
    if (exp.names !== undefined) expect(e.message, e.message).toContain(JSON.stringify(exp.names));
    for (const id of exp.lists) expect(e.message, `lists ${id}`).toContain(id);
    return;
  }
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
    // kvmclock and the kernel-profile and Wasm helpers are exported functions (or classes) that are
    // not API methods; anything else exported as a function must be one.
    const NOT_API = new Set(['kvmclock', 'isKvmclockError', 'KernelProfile', 'parseKernelList', 'sameChanges', 'wasmInfo', 'wasmBatchEngine', 'setWasmBatchEngine']);
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
        const object = OBJECT_FIELDS[kind];
        if (object !== undefined) {
          // and each field of the object, named <prefix>.<field> (an optional field may be undefined)
          for (const [field, fkind] of object.fields) {
            for (const j of JUNK[fkind]) {
              if (object.optional.has(field) && j.value() === undefined) continue;
              const args = entry.valid();
              args[i] = { ...(args[i] as object), [field]: j.value() };
              try {
                expectArgError(() => invoke(api, m, args), `${object.prefix}.${field}`, j.expect);
              } catch (err) {
                (err as Error).message = `${m} ${object.prefix}.${field} = ${j.label}: ${(err as Error).message}`;
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

    it('arguments are checked in call order: with every argument from position i on junk, the error names argument i', () => {
      for (let i = 0; i < entry.args.length; i++) {
        const args = entry.valid().map((v, j) => (j < i ? v : 'junk'));
        let thrown: unknown;
        try {
          invoke(api, m, args);
        } catch (e) {
          thrown = e;
        }
        expect((thrown as { argument?: unknown } | undefined)?.argument, `${m}: arguments ${i}.. junk`).toBe(entry.args[i][0]);
      }
    });

    it('a missing argument is refused, not defaulted (all but `out` and the kernel profile)', () => {
      for (let i = 0; i < entry.args.length; i++) {
        const [name, kind] = entry.args[i];
        if (kind === 'out' || kind === 'profile') continue;
        const args = entry.valid().slice(0, i);
        expectArgError(() => invoke(api, m, args), name, T);
      }
    });
  });
});

describe.each(BACKENDS)('%s backend: the kernel profile argument', (backend) => {
  const api = apiFor(backend);
  const PROFILE_METHODS = (Object.entries(TABLE) as [Method, Entry][]).filter(([, e]) => e.args[0]?.[1] === 'profile');

  it('the profile-taking methods are getKvmclock, mclockMode, tscCatchup and getClockGuestV6, each with the profile first', () => {
    expect(PROFILE_METHODS.map(([m]) => m).sort()).toEqual(['getClockGuestV6', 'getKvmclock', 'mclockMode', 'tscCatchup']);
    for (const [, e] of Object.entries(TABLE)) expect(e.args.slice(1).some(([, k]) => k === 'profile')).toBe(false);
  });

  it.each(PROFILE_METHODS)('%s: undefined is the documented default 6.18; a parsed KernelProfile equals its string', (m, entry) => {
    for (const text of ['6.18', '7.4-queued', 'clocks-v6', '7.4-queued+hz-pvclock', 'clocks-v6-masterclock-offset-tscs']) {
      const args = entry.valid();
      const viaString = outcome(() => invoke(api, m, [text, ...args.slice(1)]));
      expect(outcome(() => invoke(api, m, [KernelProfile.parse(text), ...args.slice(1)])), `${m} ${text}`).toStrictEqual(viaString);
      expect(outcome(() => invoke(api, m, [`  ${text}\t`, ...args.slice(1)])), `${m} ${text} with blanks`).toStrictEqual(viaString);
    }
    const args = entry.valid();
    expect(outcome(() => invoke(api, m, [undefined, ...args.slice(1)]))).toStrictEqual(outcome(() => invoke(api, m, ['6.18', ...args.slice(1)])));
  });

  it.each(PROFILE_METHODS)('%s: a bad profile is reported before any other bad argument', (m, entry) => {
    // All other arguments junk too: the profile (argument 0) is checked first.
    const args: unknown[] = ['6.19', ...entry.valid().slice(1).map(() => 'junk')];
    expectArgError(() => invoke(api, m, args), 'kernel', UNKNOWN_PRESET('6.19'));
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
    ['tgtTscHz host_khz 2^64 + 2,500,000 (would be 2.5 GHz)', () => api.tgtTscHz(2n ** 64n + 2_500_000n, 1n << 48n, 48, false), 'host_khz', U64_RANGE],
    ['masterTscScale host_khz −1 (would be 2^64 − 1)', () => api.masterTscScale(-1n, 1n << 48n, 48, false), 'host_khz', U64_RANGE],
    ['getKvmclock master_kernel_ns 2^63 (would be −2^63)', () => api.getKvmclock('6.18', 1n, 0n, 2n ** 63n, 0n, 1n << 48n, 48, 2_500_000n, false), 'master_kernel_ns', S64_RANGE],
    ['getKvmclock kvmclock_offset 2^64 − 5 (would be −5)', () => api.getKvmclock('6.18', 1n, 0n, 0n, 2n ** 64n - 5n, 1n << 48n, 48, 2_500_000n, false), 'kvmclock_offset', S64_RANGE],
    ['computeGuestTsc kernel_ns 2^64 − 1 (would be −1)', () => api.computeGuestTsc(0n, 0n, 2n ** 64n - 1n, 2 ** 31, 1, true), 'kernel_ns', S64_RANGE],
    ['computeGuestTsc virtual_tsc_shift 254 (would be −2)', () => api.computeGuestTsc(0n, 0n, 1n, 2 ** 31, 254, true), 'virtual_tsc_shift', R('s8', -128, 127)],
    ['hvclockToHz mul 2^32 (would be 0, a hang)', () => api.hvclockToHz(2 ** 32, 0), 'tsc_to_system_mul', R('u32', 0, U32_MAX)],
    ['setClockGuestV6 record.shift 257 (would be +1)', () => api.setClockGuestV6({ ...RECORD(), shift: 257 }, false, true, 0n, 0n, 0n, 1n << 48n, 48, 2_500_000n, false), 'record.shift', R('s8', -128, 127)],
    ['setClockGuestV6 record.flags 257 (would be 1)', () => api.setClockGuestV6({ ...RECORD(), flags: 257 }, false, true, 0n, 0n, 0n, 1n << 48n, 48, 2_500_000n, false), 'record.flags', R('u8', 0, 255)],
    ['getClockGuestV6 kvmclock_offset 2^63 (would be −2^63)', () => api.getClockGuestV6('clocks-v6', true, 0n, 0n, 2n ** 63n, 0n, 1n << 48n, 48, 2_500_000n, false, true), 'kvmclock_offset', S64_RANGE],
    ['hvTscPage flags 257 (would be TSC_STABLE)', () => api.hvTscPage(2_147_485_795, 1, 0n, 0n, 257), 'flags', R('u8', 0, 255)],
    ['hvTscPage tsc_shift 129 (would be −127)', () => api.hvTscPage(2_147_485_795, 129, 0n, 0n, 1), 'tsc_shift', R('s8', -128, 127)],
    ['hvRefRead tsc_offset 2^64 (would be 0)', () => api.hvRefRead(1n, 1n, 2n ** 64n), 'tsc_offset', WORD64_RANGE],
    ['hvRefRead tsc_offset −2^63 − 1 (would be 2^63 − 1)', () => api.hvRefRead(1n, 1n, -(2n ** 63n) - 1n), 'tsc_offset', WORD64_RANGE],
    ['xenTscLeaf(2^32) (would be 0, a hang)', () => api.xenTscLeaf(2 ** 32), 'tgt_tsc_khz', R('u32', 0, U32_MAX)],
    ['vmclockRead counter_period_shift 256 (would be 0)', () => api.vmclockRead(1n, 0n, 1n, 256, 0n, 0n), 'counter_period_shift', R('u8', 0, 255)],
    ['vmclockGettime tai_offset_sec 65536 − 37 + 65536 (would be −37)', () => api.vmclockGettime(1n, 0n, 1n, 0, 0n, 0n, 0, 1n, 0x1_ffdb, 0), 'tai_offset_sec', R('s16 or u16', -0x8000, 0xffff)],
    ['vmclockGettime clock_status 260 (would be 4, unreliable)', () => api.vmclockGettime(1n, 0n, 1n, 0, 0n, 0n, 1, 0n, 0, 260), 'clock_status', R('u8', 0, 255)],
    ['vmclockGettime time_type 257 (would be TAI)', () => api.vmclockGettime(1n, 0n, 1n, 0, 0n, 0n, 257, 0n, 0, 0), 'time_type', R('u8', 0, 255)],
    ['vmclockGettime flags 2^64 + 1 (would be TAI_OFFSET_VALID)', () => api.vmclockGettime(1n, 0n, 1n, 0, 0n, 0n, 0, 2n ** 64n + 1n, 0, 0), 'flags', U64_RANGE],
    ['vmclockPeriod(2^64 + 2^32) (would be 2^32 Hz)', () => api.vmclockPeriod(2n ** 64n + 2n ** 32n), 'freq_hz', U64_RANGE],
  ];
  it.each(cases)('%s throws', (_label, f, name, exp) => expectArgError(f, name, exp));

  it('the 64-bit word and s16 patterns accept both spellings of the same bits (and only those)', () => {
    // tsc_offset: −1 and 2^64 − 1 are the same word; tai_offset_sec: −37 and 65499 the same s16.
    expect(api.hvRefRead(5n, 0n, -1n)).toBe(api.hvRefRead(5n, 0n, U64_MAX));
    expect(api.hvRefRead(5n, 0n, S64_MIN)).toBe(api.hvRefRead(5n, 0n, 2n ** 63n));
    const utc = (tai: number) => api.vmclockGettime(1n, 0n, 1n, 0, 1000n, 0n, 0, 1n, tai, 2);
    expect(utc(-37)).toEqual(utc(0xffdb));
    expect(utc(-0x8000)).toEqual(utc(0x8000));
    expect(utc(-1)).toEqual(utc(0xffff));
  });

  it('a record without flags is read with flags 0; a record with extra fields is read for its five', () => {
    const args = [false, true, 3_500_000_000_000n, 1_400_000_000_000n, 0n, 112_589_990_684_262n, 48, 2_500_000n, true] as const;
    const { flags: _flags, ...noFlags } = RECORD();
    expect(api.setClockGuestV6(noFlags, ...args)).toEqual(api.setClockGuestV6({ ...RECORD(), flags: 0 }, ...args));
    expect(api.setClockGuestV6({ ...RECORD(), version: 7 } as unknown as ReturnType<typeof RECORD>, ...args)).toEqual(api.setClockGuestV6(RECORD(), ...args));
  });

  it('a 5 (Number) where a u64 is expected is a type error, not 5n', () => {
    expectArgError(() => api.mulU64U64Shr(5 as unknown as bigint, 1n, 0), 'a', T);
  });

  it('batch inputs are refused whole: a BigInt64Array holding −1 is not read as 2^64 − 1', () => {
    expectArgError(() => api.scaleTscBatch(BigInt64Array.from([-1n]) as unknown as BigUint64Array, 1n, 0), 'tsc', T);
  });
});

describe.each(BACKENDS)('%s backend: kernel rejections', (backend) => {
  const api = apiFor(backend);

  /** `detail`: the reason word (`invalid`) and/or fragments the message must contain. */
  function expectKernel(
    f: () => unknown,
    cls: typeof KernelRuleError | typeof ArithmeticFaultError,
    code: string,
    value?: bigint,
    detail: { readonly reason?: string; readonly message?: readonly string[] } = {},
  ): void {
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
    if (cls === KernelRuleError) expect(e.reason, 'reason').toBe(detail.reason);
    for (const part of detail.message ?? []) expect(e.message, e.message).toContain(part);
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
  // --- upstream variants (kernel-variants) ---

  it('tgtTscHz: host_khz·1000 ≡ 0 (mod 2^64), i.e. host_khz a multiple of 2^61 → KernelRuleError nofreq', () => {
    for (const k of [0n, 1n << 61n, 1n << 62n, 3n << 61n, 1n << 63n, 7n << 61n]) {
      for (const ctl of [false, true]) expectKernel(() => api.tgtTscHz(k, 1n << 48n, 48, ctl), KernelRuleError, 'nofreq', undefined, { message: [`host_khz ${k}`] });
    }
    // one more than a multiple of 2^61 is 1000 Hz, not an error
    expect(api.tgtTscHz((1n << 61n) + 1n, 1n << 48n, 48, false)).toBe(1000n);
  });
  it('masterTscScale: no frequency (host_khz·1000 ≡ 0, or a ratio scaling it to 0) → KernelRuleError nomaster', () => {
    expectKernel(() => api.masterTscScale(0n, 1n << 48n, 48, false), KernelRuleError, 'nomaster');
    expectKernel(() => api.masterTscScale(1n << 61n, 1n << 48n, 48, true), KernelRuleError, 'nomaster');
    // a ratio of 0, and one too small for 2.5 GHz (2.5·10^9·r < 2^48)
    expectKernel(() => api.masterTscScale(2_500_000n, 0n, 48, true), KernelRuleError, 'nomaster');
    expectKernel(() => api.masterTscScale(2_500_000n, 112_589n, 48, true), KernelRuleError, 'nomaster');
    // …but the same ratio without hardware scaling is never applied
    expect(api.masterTscScale(2_500_000n, 0n, 48, false)).toEqual({ shift: -1, mul: 3_435_973_836 });
  });
  it('getKvmclock: 6.18 hangs (kvm_get_time_scale(10^9, 0)) where C′ profiles report nomaster', () => {
    const call = (kernel: string, host: bigint, ratio: bigint) => () => api.getKvmclock(kernel, 2n, 1n, 0n, 0n, ratio, 48, host, true);
    expectKernel(call('6.18', 0n, 1n << 48n), KernelRuleError, 'hang');
    expectKernel(call('6.18', 1n << 62n, 1n << 48n), KernelRuleError, 'hang');
    for (const k of ['7.4-queued', 'clocks-v6', '6.18+c-via-guest-tsc']) {
      expectKernel(call(k, 0n, 1n << 48n), KernelRuleError, 'nomaster');
      expectKernel(call(k, 2_500_000n, 0n), KernelRuleError, 'nomaster');
    }
    // C (6.18) never looks at the ratio
    expect(call('6.18', 2_500_000n, 0n)()).toBe(0n);
  });
  it('hvclockToHz(0, s) → KernelRuleError hang for every shift', () => {
    for (let s = -128; s <= 127; s++) expectKernel(() => api.hvclockToHz(0, s), KernelRuleError, 'hang', undefined, { message: ['tsc_to_system_mul'] });
  });
  it('setClockGuestV6: each EINVAL check in the v6 order, named in the message; ERANGE for the ±1000 Hz window', () => {
    const R6 = RECORD();
    const later = [3_500_000_000_000n, 1_400_000_000_000n, 0n, RATIO_1G, 48, 2_500_000n, true] as const;
    const set = (rec: object, pads: boolean, master: boolean, m: bigint, k: bigint, l1: bigint, ratio: bigint, frac: number, host: bigint, ctl: boolean) => () =>
      api.setClockGuestV6(rec as typeof R6, pads, master, m, k, l1, ratio, frac, host, ctl);
    // 1. pads — even with every later check failing too
    expectKernel(set({ ...R6, mul: 0, shift: 99 }, true, false, 0n, 0n, 0n, 0n, 48, 0n, true), KernelRuleError, 'EINVAL', undefined, { message: ['KVM_SET_CLOCK_GUEST', 'padding'] });
    // 2. mul 0 — before the shift check
    expectKernel(set({ ...R6, mul: 0, shift: 99 }, false, false, 0n, 0n, 0n, 0n, 48, 0n, true), KernelRuleError, 'EINVAL', undefined, { message: ['tsc_to_system_mul is 0'] });
    // 3. shift outside −31..31 (±32 refused, ±31 pass this check)
    for (const sh of [32, -32, 127, -128]) expectKernel(set({ ...R6, shift: sh }, false, false, 0n, 0n, 0n, 0n, 48, 0n, true), KernelRuleError, 'EINVAL', undefined, { message: [`tsc_shift ${sh}`] });
    // 5. master clock off after the snapshot — before the frequency checks
    expectKernel(set(R6, false, false, 0n, 0n, 0n, 0n, 48, 0n, true), KernelRuleError, 'EINVAL', undefined, { message: ['master clock'] });
    // 6. host_khz·1000 ≡ 0
    expectKernel(set(R6, false, true, 0n, 0n, 0n, 0n, 48, 1n << 61n, true), KernelRuleError, 'EINVAL', undefined, { message: ['times 1000 is 0'] });
    // 8. the window: 999,999,999 Hz against 2.5 GHz unscaled, and against a ratio of 0 (c = 0: lower bound wraps)
    expectKernel(set(R6, false, true, 3_500_000_000_000n, 1_400_000_000_000n, 0n, RATIO_1G, 48, 2_500_000n, false), KernelRuleError, 'ERANGE', undefined, { message: ['999999999', '2500000000'] });
    expectKernel(set(R6, false, true, 3_500_000_000_000n, 1_400_000_000_000n, 0n, 0n, 48, 2_500_000n, true), KernelRuleError, 'ERANGE');
    // 9. the guest TSC at M below the record's tsc_timestamp (one cycle below; equal is fine)
    expectKernel(set({ ...R6, tscTimestamp: 1_400_000_000_000n }, false, true, ...later), KernelRuleError, 'EINVAL', undefined, { message: ['below the record', '1399999999999'] });
    expect(set({ ...R6, tscTimestamp: 1_399_999_999_999n }, false, true, ...later)().guestTsc).toBe(1_399_999_999_999n);
  });
  it('getClockGuestV6: host_khz·1000 ≡ 0 (the clock update fails) or the master clock off → EINVAL; kHz·1000 wrapping to 0 under 6.18 hangs', () => {
    const get = (kernel: string, master: boolean, host: bigint, ratio = 1n << 48n, frac = 48) => () => api.getClockGuestV6(kernel, master, 0n, 0n, 0n, 0n, ratio, frac, host, true, true);
    for (const k of ['6.18', '7.4-queued', 'clocks-v6']) {
      expectKernel(get(k, true, 0n), KernelRuleError, 'EINVAL', undefined, { message: ['KVM_GET_CLOCK_GUEST', 'times 1000 is 0'] });
      expectKernel(get(k, false, 0n), KernelRuleError, 'EINVAL', undefined, { message: ['times 1000 is 0'] }); // the update runs first
      expectKernel(get(k, false, 2_500_000n), KernelRuleError, 'EINVAL', undefined, { message: ['master clock'] });
    }
    // host 1 kHz scaled by 2^61 (frac 0) is 2^61 kHz, whose ·1000 wraps to 0: the kHz form hangs in
    // kvm_get_time_scale; the Hz form scales 1000 Hz to lo64(1000·2^61) = 0 and clamps it to 1 Hz
    expectKernel(get('6.18', true, 1n, 1n << 61n, 0), KernelRuleError, 'hang');
    expect(get('clocks-v6', true, 1n, 1n << 61n, 0)()).toMatchObject({ shift: 30, mul: 4_000_000_000 });
  });

  // --- guest clock ABIs ---

  it('hvTscPage: no TSC_STABLE → invalid (reason unstable) before the mul check; a tick ≥ 100 ns → invalid (reason mul)', () => {
    for (const flags of [0, 2, 4, 0xfe]) expectKernel(() => api.hvTscPage(0, -30, 0n, 0n, flags), KernelRuleError, 'invalid', undefined, { reason: 'unstable', message: ['TSC_STABLE'] });
    // 10 MHz: mul = 100·2^25 exactly is refused (≥), one less is accepted (guest-clock-abis §1.4)
    expectKernel(() => api.hvTscPage(3_355_443_200, 7, 0n, 0n, 1), KernelRuleError, 'invalid', undefined, { reason: 'mul', message: ['3355443200'] });
    expect(() => api.hvTscPage(3_355_443_199, 7, 0n, 0n, 1)).not.toThrow();
    // shift −30, −31, 33, 34: max_mul wraps to 0, so even mul 0 is refused
    for (const sh of [-30, -31, 33, 34]) expectKernel(() => api.hvTscPage(0, sh, 0n, 0n, 1), KernelRuleError, 'invalid', undefined, { reason: 'mul' });
  });
  it('hvTscPage never takes the #DE (overflow) path once the mul check passed: largest passing mul for all 256 shifts', () => {
    for (let s = -128; s <= 127; s++) {
      const maxMul = BigInt.asUintN(64, 100n << BigInt((32 - s) & 63));
      if (maxMul === 0n) continue;
      const m = Number(maxMul - 1n > BigInt(U32_MAX) ? BigInt(U32_MAX) : maxMul - 1n);
      expect(() => api.hvTscPage(m, s, U64_MAX, U64_MAX, 1), `shift ${s} mul ${m}`).not.toThrow();
    }
  });
  it('xenTscLeaf(0) → KernelRuleError hang', () => {
    expectKernel(() => api.xenTscLeaf(0), KernelRuleError, 'hang');
  });
  it('vmclockGettime: unreliable status (checked first), UTC without a valid TAI offset, other time types → EINVAL', () => {
    const g = (type: number, flags: bigint, status: number) => () => api.vmclockGettime(1n, 0n, 1n, 0, 0n, 0n, type, flags, -37, status);
    expectKernel(g(1, 1n, 4), KernelRuleError, 'EINVAL', undefined, { message: ['unreliable'] });
    expectKernel(g(7, 0n, 4), KernelRuleError, 'EINVAL', undefined, { message: ['unreliable'] });
    expectKernel(g(0, 0n, 2), KernelRuleError, 'EINVAL', undefined, { message: ['UTC'] });
    expectKernel(g(0, 0xfffen, 2), KernelRuleError, 'EINVAL');
    for (const t of [2, 3, 4, 255]) expectKernel(g(t, 1n, 2), KernelRuleError, 'EINVAL', undefined, { message: [`time_type ${t}`] });
    for (const st of [0, 1, 2, 3, 5, 255]) expect(() => g(1, 0n, st)()).not.toThrow();
  });
  it('vmclockPeriod below 2 Hz → KernelRuleError nofit', () => {
    expectKernel(() => api.vmclockPeriod(0n), KernelRuleError, 'nofit');
    expectKernel(() => api.vmclockPeriod(1n), KernelRuleError, 'nofit');
    expect(api.vmclockPeriod(2n)).toEqual({ shift: 0, period: 1n << 63n });
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
