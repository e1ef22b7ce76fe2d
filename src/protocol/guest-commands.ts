/**
 * The `eval` commands of the guest clock ABIs (guest-clock-abis §4): the Hyper-V reference
 * TSC page and its reads, the Xen CPUID TSC leaf, and VMClock.
 */
import { cmd, type Command, num as n } from './types.js';

const VMCLOCK_READ_ARGS: Command['args'] = [
  ['counter', 'u64'],
  ['counter_value', 'u64'],
  ['period_frac', 'u64'],
  ['shift', 'u8'],
  ['time_sec', 'u64'],
  ['time_frac_sec', 'u64'],
];

export const GUEST_COMMANDS: readonly Command[] = [
  cmd('hv_tsc_page', [['mul', 'u32'], ['shift', 's8'], ['tsc_timestamp', 'u64'], ['system_time', 'u64'], ['flags', 'u8']], ['scale', 'offset'], (api, [m, s, ts, st, f]) => {
    const p = api.hvTscPage(n(m), n(s), ts, st, n(f));
    return [p.scale, p.offset];
  }),
  cmd('hv_ref_read', [['tsc', 'u64'], ['scale', 'u64'], ['offset', 'u64s64']], ['units'], (api, [t, s, o]) => [api.hvRefRead(t, s, o)]),
  cmd('hv_ref_msr', [['kvmclock_ns', 'u64']], ['units'], (api, [ns]) => [api.hvRefMsr(ns)]),
  cmd('xen_tsc_leaf', [['tgt_tsc_khz', 'u32']], ['ecx', 'edx', 'eax'], (api, [k]) => {
    const l = api.xenTscLeaf(n(k));
    return [l.ecx, l.edx, l.eax];
  }),
  cmd('vmclock_read', VMCLOCK_READ_ARGS, ['sec', 'nsec'], (api, [c, cv, p, s, sec, frac]) => {
    const t = api.vmclockRead(c, cv, p, n(s), sec, frac);
    return [t.sec, t.nsec];
  }),
  cmd(
    'vmclock_gettime',
    [...VMCLOCK_READ_ARGS, ['time_type', 'u8'], ['flags', 'u64'], ['tai_offset_sec', 's16u16'], ['clock_status', 'u8']],
    ['tai_sec', 'nsec'],
    (api, [c, cv, p, s, sec, frac, type, flags, tai, status]) => {
      const t = api.vmclockGettime(c, cv, p, n(s), sec, frac, n(type), flags, n(tai), n(status));
      return [t.sec, t.nsec];
    },
  ),
  cmd('vmclock_period', [['freq_hz', 'u64']], ['shift', 'period'], (api, [hz]) => {
    const p = api.vmclockPeriod(hz);
    return [p.shift, p.period];
  }),
];
