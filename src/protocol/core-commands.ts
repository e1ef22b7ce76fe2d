/** The arithmetic-core commands of the `eval` protocol (spec §11): argument order, C types, outputs. */
import { bool, cmd, type Command, num as n } from './types.js';

/** The arithmetic-core commands: spec §11 except the clock-model ones. */
export const CORE_COMMANDS: readonly Command[] = [
  cmd('mul_u64_u32_shr', [['a', 'u64'], ['mul', 'u32'], ['shift', 'mulshift']], ['r'], (api, [a, m, s]) => [api.mulU64U32Shr(a, n(m), n(s))]),
  cmd('mul_u64_u64_shr', [['a', 'u64'], ['b', 'u64'], ['shift', 'mulshift']], ['r'], (api, [a, b, s]) => [api.mulU64U64Shr(a, b, n(s))]),
  cmd('mul_s64_u64_shr', [['a', 's64'], ['b', 'u64'], ['shift', 'mulshift']], ['r'], (api, [a, b, s]) => [api.mulS64U64Shr(a, b, n(s))]),
  cmd('mul_u64_u32_div', [['a', 'u64'], ['mul', 'u32'], ['div', 'u32']], ['r'], (api, [a, m, d]) => [api.mulU64U32Div(a, n(m), n(d))]),
  cmd('mul_u64_u32_div_generic', [['a', 'u64'], ['mul', 'u32'], ['div', 'u32']], ['r'], (api, [a, m, d]) => [api.mulU64U32DivGeneric(a, n(m), n(d))]),
  cmd('time_scale', [['scaled_hz', 'u64'], ['base_hz', 'u64']], ['shift', 'mul'], (api, [s, b]) => {
    const t = api.getTimeScale(s, b);
    return [t.shift, t.mul];
  }),
  cmd('scale_delta', [['delta', 'u64'], ['mul', 'u32'], ['shift', 's8']], ['r'], (api, [d, m, s]) => [api.pvclockScaleDelta(d, n(m), n(s))]),
  cmd(
    'pvclock_read',
    [['tsc', 'u64'], ['tsc_timestamp', 'u64'], ['system_time', 'u64'], ['mul', 'u32'], ['shift', 's8']],
    ['ns'],
    (api, [t, ts, st, m, s]) => [api.pvclockRead(t, ts, st, n(m), n(s))],
  ),
  cmd('pvclock_tsc_khz', [['mul', 'u32'], ['shift', 's8']], ['khz'], (api, [m, s]) => [api.pvclockTscKhz(n(m), n(s))]),
  cmd('guest_read', [['ret', 'u64'], ['flags', 'u8'], ['valid_flags', 'u8'], ['last_value', 'u64']], ['result', 'new_last_value'], (api, [r, f, vf, l]) => {
    const g = api.pvclockGuestRead(r, n(f), n(vf), l);
    return [g.result, g.newLastValue];
  }),
  cmd('scale_tsc', [['tsc', 'u64'], ['ratio', 'u64'], ['frac', 'frac']], ['r'], (api, [t, r, f]) => [api.scaleTsc(t, r, n(f))]),
  cmd('tsc_ratio', [['user_khz', 'u32'], ['host_khz', 'u32'], ['frac', 'frac'], ['max_ratio', 'u64']], ['ratio'], (api, [u, h, f, m]) => [api.tscRatio(n(u), n(h), n(f), m)]),
  cmd('l1_offset', [['target_tsc', 'u64'], ['host_tsc', 'u64'], ['ratio', 'u64'], ['frac', 'frac']], ['offset'], (api, [t, h, r, f]) => [api.computeL1TscOffset(t, h, r, n(f))]),
  cmd('read_l1_tsc', [['host_tsc', 'u64'], ['offset', 'u64'], ['ratio', 'u64'], ['frac', 'frac']], ['guest_tsc'], (api, [h, o, r, f]) => [api.readL1Tsc(h, o, r, n(f))]),
  cmd('nested_offset', [['l1_offset', 'u64'], ['l2_offset', 'u64'], ['l2_mult', 'u64'], ['frac', 'frac']], ['r'], (api, [a, b, m, f]) => [api.nestedTscOffset(a, b, m, n(f))]),
  cmd('nested_mult', [['l1_mult', 'u64'], ['l2_mult', 'u64'], ['frac', 'frac']], ['r'], (api, [a, b, f]) => [api.nestedTscMultiplier(a, b, n(f))]),
  cmd('adjust_tsc_khz', [['khz', 'u32'], ['ppm', 's32']], ['r'], (api, [k, p]) => [api.adjustTscKhz(n(k), n(p))]),
  cmd('max_guest_tsc_khz', [['host_khz', 'u32'], ['max_ratio', 'u64'], ['frac', 'frac']], ['r'], (api, [h, m, f]) => [api.maxGuestTscKhz(n(h), m, n(f))]),
  cmd('tgt_tsc_khz', [['host_khz', 'u32'], ['ratio', 'u64'], ['frac', 'frac'], ['has_control', 'bool']], ['r'], (api, [h, r, f, c]) => [api.tgtTscKhz(n(h), r, n(f), bool(c))]),
  cmd(
    'set_tsc_khz',
    [['user_khz', 'u32'], ['host_khz', 'u32'], ['has_control', 'bool'], ['frac', 'frac'], ['max_ratio', 'u64'], ['tol_ppm', 'u32']],
    ['rc', 'ratio', 'use_scaling', 'catchup', 'vshift', 'vmult'],
    (api, [u, h, c, f, m, t]) => {
      const r = api.setTscKhz(n(u), n(h), bool(c), n(f), m, n(t));
      return [r.rc, r.ratio, r.useScaling, r.catchup, r.virtualTscShift, r.virtualTscMult];
    },
  ),
  cmd('calc_mult_shift', [['from', 'u32'], ['to', 'u32'], ['maxsec', 'u32']], ['mult', 'shift'], (api, [a, b, c]) => {
    const r = api.clocksCalcMultShift(n(a), n(b), n(c));
    return [r.mult, r.shift];
  }),
  cmd('clocksource_register', [['freq', 'u32nz'], ['scale', 'u32nz'], ['mask', 'u64']], ['mult', 'shift', 'maxadj', 'maxsec'], (api, [f, s, m]) => {
    const r = api.clocksourceRegister(n(f), n(s), m);
    return [r.mult, r.shift, r.maxadj, r.maxsec];
  }),
  cmd('clocksource_khz', [['khz', 'u32nz']], ['mult', 'shift', 'maxadj', 'maxsec'], (api, [k]) => {
    const r = api.clocksourceKhz(n(k));
    return [r.mult, r.shift, r.maxadj, r.maxsec];
  }),
  cmd(
    'raw_ns',
    [['cycles', 'u64'], ['cycle_last', 'u64'], ['raw_sec', 'u64'], ['xtime_nsec', 'u64'], ['mult', 'u32'], ['shift', 'shift64']],
    ['ns'],
    (api, [c, l, s, x, m, sh]) => [api.rawNs(c, l, s, x, n(m), n(sh))],
  ),
  cmd(
    'kvm_base_ns',
    [['cycles', 'u64'], ['cycle_last', 'u64'], ['raw_sec', 'u64'], ['xtime_nsec', 'u64'], ['mult', 'u32'], ['shift', 'shift64'], ['offs_boot', 's64']],
    ['ns'],
    (api, [c, l, s, x, m, sh, o]) => [api.kvmBaseNs(c, l, s, x, n(m), n(sh), o)],
  ),
  cmd('cyc2ns', [['delta', 'u64'], ['mult', 'u32'], ['shift', 'shift64']], ['r'], (api, [d, m, s]) => [api.cyc2ns(d, n(m), n(s))]),
  cmd(
    'sync_window',
    [['data', 'u64'], ['last_write', 'u64'], ['elapsed_ns', 'u64'], ['vkhz', 'u32'], ['vmult', 'u32'], ['vshift', 's8']],
    ['synchronizing'],
    (api, [d, l, e, k, m, s]) => [api.syncWindow(d, l, e, n(k), n(m), n(s))],
  ),
  cmd(
    'set_clock',
    [['clock', 'u64'], ['flags', 'u32'], ['realtime', 'u64'], ['now_real', 'u64'], ['use_master', 'bool'], ['master_kernel_ns', 'u64'], ['base_now', 'u64']],
    ['kvmclock_offset'],
    (api, [c, f, r, nr, u, k, b]) => [api.setClock(c, n(f), r, nr, bool(u), k, b)],
  ),
  cmd('wall_clock', [['wall_nsec', 'u64']], ['sec', 'nsec', 'sec_hi'], (api, [w]) => {
    const r = api.wallClock(w);
    return [r.sec, r.nsec, r.secHi];
  }),
];

