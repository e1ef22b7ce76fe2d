/**
 * The clock-model commands of the `eval` protocol: `abc` (spec §11), `mclock_step`
 * and `set_clock_guest`, computed with the model's definitions of the KVM clock.
 */
import { setClockGuestOffset } from '../model/clock-guest.js';
import { type AbcInput, abc, resnapshotStep } from '../model/definitions.js';
import { bool, cmd, type Command, num as n } from './types.js';

/** The 14 arguments of `abc` (spec §11), in protocol order. */
export const ABC_ARGS: Command['args'] = [
  ['host_khz', 'u32nz'],
  ['user_khz', 'u32'],
  ['frac', 'frac'],
  ['max_ratio', 'u64'],
  ['has_control', 'bool'],
  ['tol_ppm', 'u32'],
  ['c0', 'u64'],
  ['raw_sec', 'u64'],
  ['xtime_nsec', 'u64'],
  ['offs_boot', 's64'],
  ['kvmclock_offset', 's64'],
  ['M', 'u64'],
  ['l1_offset', 'u64'],
  ['h', 'u64'],
];

/** The 14 `abc` arguments as a typed input. */
export function abcInput(v: readonly bigint[]): AbcInput {
  const [hostKhz, userKhz, frac, maxRatio, hasControl, tolPpm, c0, rawSec, xtimeNsec, offsBoot, kvmclockOffset, masterCycleNow, l1Offset, h] = v;
  return {
    hostKhz: n(hostKhz),
    userKhz: n(userKhz),
    frac: n(frac),
    maxRatio,
    hasControl: bool(hasControl),
    tolPpm: n(tolPpm),
    c0,
    rawSec,
    xtimeNsec,
    offsBoot,
    kvmclockOffset,
    masterCycleNow,
    l1Offset,
    h,
  };
}

/** The 15 output tokens of `abc` / `abc_k`. */
export function abcOutputTokens(r: ReturnType<typeof abc>) {
  return [r.mult, r.shift, r.ratio, r.tgtKhz, r.guestScale.shift, r.guestScale.mul, r.hostScale.shift, r.hostScale.mul, r.masterKernelNs, r.tscTimestamp, r.systemTime, r.guestTsc, r.a, r.b, r.c];
}

export const MODEL_COMMANDS: readonly Command[] = [
  cmd(
    'abc',
    ABC_ARGS,
    ['mult', 'shift', 'ratio', 'tgt_khz', 'shift_g', 'mul_g', 'shift_h', 'mul_h', 'master_kernel_ns', 'tsc_timestamp', 'system_time', 'guest_tsc', 'A', 'B', 'C'],
    (api, v) => abcOutputTokens(abc(api, abcInput(v))),
  ),
  cmd('mclock_step', ABC_ARGS, ['legacy_step', 'continuous_kvmclock_offset'], (api, v) => {
    const input = abcInput(v);
    const step = resnapshotStep(api, abc(api, input).state, input.h);
    return [step.legacyStepNs, step.continuousKvmclockOffset];
  }),
  cmd(
    'set_clock_guest',
    [
      ['pv_tsc_timestamp', 'u64'],
      ['pv_system_time', 'u64'],
      ['pv_mul', 'u32'],
      ['pv_shift', 's8'],
      ['use_master', 'bool'],
      ['M', 'u64'],
      ['K', 'u64s64'], // master_kernel_ns is an s64 in the kernel
      ['kvmclock_offset', 's64'],
      ['l1_offset', 'u64'],
      ['ratio', 'u64'],
      ['frac', 'frac'],
    ],
    ['kvmclock_offset', 'guest_tsc'],
    (api, [ts, st, mul, shift, useMaster, m, k, off, l1, ratio, frac]) => {
      const record = { version: 0, tscTimestamp: ts, systemTime: st, tscToSystemMul: n(mul), tscShift: n(shift), flags: 0 };
      const r = setClockGuestOffset(api, record, bool(useMaster), m, k, off, l1, ratio, n(frac));
      return [r.kvmclockOffset, r.guestTsc];
    },
  ),
];
