/**
 * The `eval` commands of the upstream variants (kernel-variants §10): `abc_k` and
 * `mclock_step_k` under a PROFILE, and the arithmetic the changes add. Each runs through
 * the validated API, so it computes the same on either backend.
 */
import { KernelProfile } from '../kernel/profile.js';
import { abc, resnapshotStep } from '../model/definitions.js';
import { ABC_ARGS, abcInput, abcOutputTokens } from './model-commands.js';
import { bool, cmd, type Command, num as n } from './types.js';

/** The v6 series as posted: what `set_clock_guest_v6` and `get_clock_guest_v6` model. */
const CLOCKS_V6 = KernelProfile.parse('clocks-v6');

export const VARIANT_COMMANDS: readonly Command[] = [
  cmd('abc_k', [['profile', 'profile'], ...ABC_ARGS], ['mult', 'shift', 'ratio', 'tgt_khz', 'shift_g', 'mul_g', 'shift_h', 'mul_h', 'master_kernel_ns', 'tsc_timestamp', 'system_time', 'guest_tsc', 'A', 'B', 'C'], (api, v, profile) =>
    abcOutputTokens(abc(api, abcInput(v), profile)),
  ),
  cmd('mclock_step_k', [['profile', 'profile'], ...ABC_ARGS], ['step', 'kvmclock_offset'], (api, v, profile) => {
    const input = abcInput(v);
    const step = resnapshotStep(api, abc(api, input, profile).state, input.h);
    return [step.legacyStepNs, step.continuousKvmclockOffset];
  }),
  cmd('tgt_tsc_hz', [['host_khz', 'u64'], ['ratio', 'u64'], ['frac', 'frac'], ['has_control', 'bool']], ['hz'], (api, [h, r, f, c]) => [api.tgtTscHz(h, r, n(f), bool(c))]),
  cmd('master_tsc_scale', [['host_khz', 'u64'], ['ratio', 'u64'], ['frac', 'frac'], ['has_control', 'bool']], ['shift', 'mul'], (api, [h, r, f, c]) => {
    const t = api.masterTscScale(h, r, n(f), bool(c));
    return [t.shift, t.mul];
  }),
  cmd(
    'get_kvmclock_k',
    [['profile', 'profile'], ['host_tsc', 'u64'], ['M', 'u64'], ['K', 's64'], ['kvmclock_offset', 's64'], ['ratio', 'u64'], ['frac', 'frac'], ['host_khz', 'u64'], ['has_control', 'bool']],
    ['clock'],
    (api, [h, m, k, off, r, f, host, c], profile) => [api.getKvmclock(profile, h, m, k, off, r, n(f), host, bool(c))],
  ),
  cmd('hvclock_to_hz', [['mul', 'u32'], ['shift', 's8']], ['hz'], (api, [m, s]) => [api.hvclockToHz(n(m), n(s))]),
  cmd(
    'compute_guest_tsc',
    [['this_tsc_write', 'u64'], ['this_tsc_nsec', 'u64'], ['kernel_ns', 's64'], ['vmult', 'u32'], ['vshift', 's8'], ['signed', 'bool']],
    ['guest_tsc'],
    (api, [w, ns, k, m, s, signed]) => [api.computeGuestTsc(w, ns, k, n(m), n(s), bool(signed))],
  ),
  cmd(
    'tsc_catchup',
    [
      ['profile', 'profile'],
      ['this_tsc_write', 'u64'],
      ['this_tsc_nsec', 'u64'],
      ['vmult', 'u32'],
      ['vshift', 's8'],
      ['l1_offset', 'u64'],
      ['ratio', 'u64'],
      ['frac', 'frac'],
      ['M', 'u64'],
      ['K', 's64'],
      ['h_now', 'u64'],
      ['k_now', 's64'],
    ],
    ['l1_offset', 'tsc_timestamp'],
    (api, [w, ns, m, s, off, r, f, mm, k, hNow, kNow], profile) => {
      const c = api.tscCatchup(profile, w, ns, n(m), n(s), off, r, n(f), mm, k, hNow, kNow);
      return [c.l1Offset, c.tscTimestamp];
    },
  ),
  cmd(
    'set_clock_guest_v6',
    [
      ['pv_tsc_timestamp', 'u64'],
      ['pv_system_time', 'u64'],
      ['pv_mul', 'u32'],
      ['pv_shift', 's8'],
      ['pads_nonzero', 'bool'],
      ['use_master', 'bool'],
      ['M', 'u64'],
      ['K', 's64'],
      ['kvmclock_offset', 's64'], // accepted for parity with set_clock_guest; v6 ignores the old offset
      ['l1_offset', 'u64'],
      ['ratio', 'u64'],
      ['frac', 'frac'],
      ['host_khz', 'u64'],
      ['has_control', 'bool'],
    ],
    ['kvmclock_offset', 'guest_tsc'],
    (api, [ts, st, mul, shift, pads, useMaster, m, k, , l1, r, f, host, c]) => {
      const out = api.setClockGuestV6({ tscTimestamp: ts, systemTime: st, mul: n(mul), shift: n(shift) }, bool(pads), bool(useMaster), m, k, l1, r, n(f), host, bool(c));
      return [out.kvmclockOffset, out.guestTsc];
    },
  ),
  cmd(
    'get_clock_guest_v6',
    [['use_master', 'bool'], ['M', 'u64'], ['K', 's64'], ['kvmclock_offset', 's64'], ['l1_offset', 'u64'], ['ratio', 'u64'], ['frac', 'frac'], ['host_khz', 'u64'], ['has_control', 'bool'], ['all_matched_tsc', 'bool']],
    ['tsc_timestamp', 'system_time', 'mul', 'shift', 'flags'],
    (api, [useMaster, m, k, off, l1, r, f, host, c, matched]) => {
      const rec = api.getClockGuestV6(CLOCKS_V6, bool(useMaster), m, k, off, l1, r, n(f), host, bool(c), bool(matched));
      return [rec.tscTimestamp, rec.systemTime, rec.mul, rec.shift, rec.flags];
    },
  ),
  cmd(
    'mclock_mode',
    [['profile', 'profile'], ['matched_tsc', 'bool'], ['matched_freq', 'bool'], ['tsc_clocksource', 'bool'], ['backwards_tsc', 'bool'], ['old_kvmclock', 'bool']],
    ['use_master_clock', 'tsc_stable'],
    (api, [t, f, cs, b, o], profile) => {
      const mode = api.mclockMode(profile, bool(t), bool(f), bool(cs), bool(b), bool(o));
      return [mode.useMasterClock, mode.tscStable];
    },
  ),
];


