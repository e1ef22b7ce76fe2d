/**
 * The clocks guests that do not read kvmclock directly derive from a vCPU's record
 * (guest-clock-abis): the Hyper-V reference TSC page of a Windows guest (clock H) with its
 * exact drift against B, the guest TSC's nominal rate and A; the Xen CPUID TSC leaf of a Xen
 * guest (whose time is B itself); and the VMClock period a VMM would write for the guest
 * TSC frequency, with VMClock time's drift against B.
 */
import type { KvmclockApi } from '../api.js';
import type { HvTscPage, VmclockPeriod, XenTscLeaf } from '../backend.js';
import { isKvmclockError } from '../errors.js';
import { type Ratio, ppbOf } from '../rational.js';
import type { ClockState } from './definitions.js';
import type { PvclockRecord } from './pvclock-record.js';
import { clocksourceRate, over, pvclockRate, times, tscRatioRate } from './rates.js';

const TWO_64 = 1n << 64n;

/** The page KVM would compute from a record, or why it cannot. */
export type HvPageOutcome = ({ readonly valid: true } & HvTscPage) | { readonly valid: false; readonly reason: string };

/** compute_tsc_page_parameters on a record, as an outcome instead of an error. */
export function hvPageOf(api: KvmclockApi, r: PvclockRecord): HvPageOutcome {
  try {
    return { valid: true, ...api.hvTscPage(r.tscToSystemMul, r.tscShift, r.tscTimestamp, r.systemTime, r.flags) };
  } catch (e) {
    if (isKvmclockError(e) && (e.code === 'invalid' || e.code === 'overflow')) return { valid: false, reason: (e as { reason?: string }).reason ?? e.code };
    throw e;
  }
}

/** Reference units (100 ns) per guest TSC tick of a page, exact: scale/2^64. */
const unitsPerTick = (scale: bigint): Ratio => ({ num: scale, den: TWO_64 });

/**
 * Clock H's exact rates (X/Y − 1)·10^9 for a page: against kvmclock B (100·scale/2^64 ns vs
 * mul·2^shift/2^32 ns per guest tick), against the guest TSC at exactly `guestKhz`
 * (scale·guestKhz/(10^4·2^64)), and against the host raw clock A per host cycle.
 */
export function hvReferenceRatesPpb(s: ClockState, scale: bigint, guestKhz: number): { readonly vsB: Ratio; readonly vsNominal: Ratio; readonly vsA: Ratio } {
  const hPerTickNs = times(unitsPerTick(scale), { num: 100n, den: 1n });
  const bPerTickNs = pvclockRate(s.guestScale.mul, s.guestScale.shift);
  const nominalPerTickNs: Ratio = { num: 1_000_000n, den: BigInt(guestKhz) };
  const hPerHostCycle = times(hPerTickNs, tscRatioRate(s.ratio, s.frac));
  return {
    vsB: ppbOf(over(hPerTickNs, bPerTickNs)),
    vsNominal: ppbOf(over(hPerTickNs, nominalPerTickNs)),
    vsA: ppbOf(over(hPerHostCycle, clocksourceRate(s.raw.mult, s.raw.shift))),
  };
}

/** The Xen CPUID leaf for a record's tgt_tsc_khz, or null when it is 0. */
export function xenLeafOf(api: KvmclockApi, tgtTscKhz: bigint): XenTscLeaf | null {
  if (tgtTscKhz === 0n || tgtTscKhz > 0xffff_ffffn) return null;
  return api.xenTscLeaf(Number(tgtTscKhz));
}

/**
 * VMClock for a guest TSC of `guestKhz` (the frequency a VMM knows): the period/shift it
 * would write (§3.4) and VMClock time's exact rate against B per guest tick
 * (10^9·period/2^(64+shift) ns vs mul·2^shift/2^32 ns).
 */
export function vmclockForGuest(api: KvmclockApi, s: ClockState, guestKhz: number): { readonly period: VmclockPeriod; readonly vsBPpb: Ratio; readonly vsNominalPpb: Ratio } {
  const period = api.vmclockPeriod(BigInt(guestKhz) * 1000n);
  const perTickNs: Ratio = { num: period.period * 1_000_000_000n, den: 1n << BigInt(64 + period.shift) };
  return {
    period,
    vsBPpb: ppbOf(over(perTickNs, pvclockRate(s.guestScale.mul, s.guestScale.shift))),
    vsNominalPpb: ppbOf(over(perTickNs, { num: 1_000_000n, den: BigInt(guestKhz) })),
  };
}
