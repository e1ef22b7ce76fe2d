/**
 * Clock D: the guest's own TSC clocksource — what CLOCK_MONOTONIC_RAW runs on in a KVM
 * guest whose current clocksource is `tsc`. A KVM guest takes its tsc_khz from the
 * pvclock record (pvclock_tsc_khz of the record's mul/shift) and registers the TSC
 * clocksource from it like any host does (scale 1000, 64-bit mask, 600 s cap, maxadj);
 * its raw clock then advances exactly ⌊Δ·mult/2^shift⌋ ns for Δ guest TSC cycles.
 * D is aligned with B at the record's reference (both read system_time at tsc_timestamp),
 * so B − D is the drift of kvm-clock against the guest's raw clock since the reference.
 */
import type { KvmclockApi } from '../api.js';
import type { ClocksourceParams } from '../backend.js';
import { U32_MAX } from '../units.js';
import type { PvclockRecord } from './pvclock-record.js';

/** The guest's TSC clocksource as it registers it from its record, or null when pvclock_tsc_khz is 0 or beyond u32. */
export interface GuestTscClocksource extends ClocksourceParams {
  readonly tscKhz: number;
}

export function guestTscClocksource(api: KvmclockApi, mul: number, shift: number): GuestTscClocksource | null {
  if (mul === 0) return null;
  const khz = api.pvclockTscKhz(mul, shift);
  if (khz === 0n || khz > BigInt(U32_MAX)) return null;
  return { tscKhz: Number(khz), ...api.clocksourceKhz(Number(khz)) };
}

/** D at a guest TSC, from the record it is aligned with: system_time + ⌊(g − tsc_timestamp)·mult/2^shift⌋ (mod 2^64). */
export function clockD(api: KvmclockApi, record: PvclockRecord, cs: GuestTscClocksource, guestTsc: bigint): bigint {
  return BigInt.asUintN(64, record.systemTime + api.rawNs(guestTsc, record.tscTimestamp, 0n, 0n, cs.mult, cs.shift));
}
