/**
 * The exact check on a guest whose clocks run on kvm-clock. kvm-clock registers at 1 GHz
 * with mult = 2^shift, so the timekeeper's closed form (spec §6.3) reduces to
 * RAW = ⌊R0/2^shift⌋ + (kvm-clock − C0): CLOCK_MONOTONIC_RAW is the record's nanoseconds
 * plus a constant, with no rounding between them (and so is CLOCK_MONOTONIC while the NTP
 * tick is exactly the nominal one). The kernel read the TSC somewhere inside each
 * reading's window and the record is non-decreasing in the TSC, so each reading pins the
 * constant to an interval: [clock − record(last TSC), clock − record(first TSC)]. Two
 * readings agree with "clock = record + constant" exactly when their intervals meet.
 */
import type { KvmclockApi } from '../api.js';
import type { PvclockRecord } from '../model/pvclock-record.js';
import type { PairReading } from './native-output.js';
import { kvmclockAt } from './record.js';

/** One reading: the clock minus the record at either end of its TSC window. */
export interface ClockOffset {
  /** Clock ns − the record at the window's first TSC: the largest the constant can be. */
  readonly atWindowStartNs: bigint;
  /** Clock ns − the record at the window's last TSC: the smallest the constant can be. */
  readonly atWindowEndNs: bigint;
  /** The window in kvm-clock ns: the record at its last TSC minus at its first. */
  readonly windowNs: bigint;
}

/** Two readings of a clock against "clock = record + constant". */
export interface OffsetCheck {
  readonly start: ClockOffset;
  readonly end: ClockOffset;
  /**
   * The residual of "clock = record + constant": end − start of the offset at the window's
   * first TSC. Zero up to where inside the two windows the kernel read the TSC.
   */
  readonly changeNs: bigint;
  /** The change the windows allow: −(start window) … +(end window), in ns. */
  readonly allowedNs: { readonly min: bigint; readonly max: bigint };
  /** Some constant fits both readings (the change is within what the windows allow). */
  readonly consistent: boolean;
  /** The constants that fit both readings, or null when none does. */
  readonly constantNs: { readonly min: bigint; readonly max: bigint } | null;
}

/** A clock reading against the record evaluated at the ends of its TSC window. */
export function clockOffset(api: KvmclockApi, record: PvclockRecord, pair: PairReading): ClockOffset {
  const first = kvmclockAt(api, record, pair.tscBefore);
  const last = kvmclockAt(api, record, pair.tscAfter);
  return { atWindowStartNs: pair.ns - first, atWindowEndNs: pair.ns - last, windowNs: last - first };
}

/** Whether two readings of a clock (each with the record in force when it was taken) fit "clock = record + constant". */
export function checkConstantOffset(api: KvmclockApi, start: { readonly record: PvclockRecord; readonly pair: PairReading }, end: { readonly record: PvclockRecord; readonly pair: PairReading }): OffsetCheck {
  const a = clockOffset(api, start.record, start.pair);
  const b = clockOffset(api, end.record, end.pair);
  const min = a.atWindowEndNs > b.atWindowEndNs ? a.atWindowEndNs : b.atWindowEndNs;
  const max = a.atWindowStartNs < b.atWindowStartNs ? a.atWindowStartNs : b.atWindowStartNs;
  const changeNs = b.atWindowStartNs - a.atWindowStartNs;
  return {
    start: a,
    end: b,
    changeNs,
    allowedNs: { min: -a.windowNs, max: b.windowNs },
    consistent: min <= max,
    constantNs: min <= max ? { min, max } : null,
  };
}
