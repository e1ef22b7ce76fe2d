/**
 * The pvclock record as the probe reads it from this machine (spec §3.1), and the
 * guest's evaluation of it at a TSC (§3.3). The record type is the model's.
 */
import type { KvmclockApi } from '../api.js';
import type { PvclockRecord } from '../model/pvclock-record.js';
import { PVCLOCK_COUNTS_FROM_ZERO, PVCLOCK_GUEST_STOPPED, PVCLOCK_TSC_STABLE_BIT } from '../units.js';

export type { PvclockRecord } from '../model/pvclock-record.js';

/** The kvm-clock value a record gives at a guest TSC, as the guest computes it. */
export function kvmclockAt(api: KvmclockApi, r: PvclockRecord, tsc: bigint): bigint {
  return api.pvclockRead(tsc, r.tscTimestamp, r.systemTime, r.tscToSystemMul, r.tscShift);
}

/** Same reference and factors (tsc_timestamp, system_time, mul, shift, flags), whatever the version. */
export function sameContent(a: PvclockRecord, b: PvclockRecord): boolean {
  return a.tscTimestamp === b.tscTimestamp && a.systemTime === b.systemTime && a.tscToSystemMul === b.tscToSystemMul && a.tscShift === b.tscShift && a.flags === b.flags;
}

/** Identical, version included. */
export function sameRecord(a: PvclockRecord, b: PvclockRecord): boolean {
  return a.version === b.version && sameContent(a, b);
}

/** The flag bits by name ("TSC_STABLE|GUEST_STOPPED"), "0" for none, unknown bits in hex. */
export function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & PVCLOCK_TSC_STABLE_BIT) names.push('TSC_STABLE');
  if (flags & PVCLOCK_GUEST_STOPPED) names.push('GUEST_STOPPED');
  if (flags & PVCLOCK_COUNTS_FROM_ZERO) names.push('COUNTS_FROM_ZERO');
  const rest = flags & ~(PVCLOCK_TSC_STABLE_BIT | PVCLOCK_GUEST_STOPPED | PVCLOCK_COUNTS_FROM_ZERO);
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names.length === 0 ? '0' : names.join('|');
}
