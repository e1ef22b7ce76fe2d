/**
 * The per-vCPU pvclock record (struct pvclock_vcpu_time_info, spec §3.1) and the
 * guest's read protocol over it (§3.4): version retry, the TSC_STABLE flag and the
 * global last_value monotonic guard.
 */
import type { KvmclockApi } from '../api.js';
import { ArgumentTypeError, InternalError } from '../errors.js';
import { PVCLOCK_TSC_STABLE_BIT } from '../units.js';
import { aS8, aU32, aU64, aU8 } from '../validate.js';

export interface PvclockRecord {
  /** Odd while the host is writing. */
  readonly version: number;
  readonly tscTimestamp: bigint;
  readonly systemTime: bigint;
  readonly tscToSystemMul: number;
  readonly tscShift: number;
  readonly flags: number;
}

/** Validate a record given by a caller (e.g. to KVM_SET_CLOCK_GUEST), naming the bad field. */
export function aPvclockRecord(r: unknown, name = 'record'): PvclockRecord {
  if (typeof r !== 'object' || r === null) throw new ArgumentTypeError(name, 'object {tscTimestamp, systemTime, tscToSystemMul, tscShift, flags?, version?}', r);
  const o = r as Record<string, unknown>;
  return {
    version: o.version === undefined ? 0 : aU32(o.version, `${name}.version`),
    tscTimestamp: aU64(o.tscTimestamp, `${name}.tscTimestamp`),
    systemTime: aU64(o.systemTime, `${name}.systemTime`),
    tscToSystemMul: aU32(o.tscToSystemMul, `${name}.tscToSystemMul`),
    tscShift: aS8(o.tscShift, `${name}.tscShift`),
    flags: o.flags === undefined ? 0 : aU8(o.flags, `${name}.flags`),
  };
}

/** The kvmclock value a record gives at a guest TSC (the guest's pvclock arithmetic). */
export function readRecord(api: KvmclockApi, r: PvclockRecord, guestTsc: bigint): bigint {
  return api.pvclockRead(guestTsc, r.tscTimestamp, r.systemTime, r.tscToSystemMul, r.tscShift);
}

/** The guest-visible result of one clock read. */
export interface GuestClockRead {
  /** The value computed from the record (before the monotonic guard). */
  readonly raw: bigint;
  /** What the guest's clock returns. */
  readonly result: bigint;
  /** The guard's last_value after the read. */
  readonly lastValue: bigint;
  /** Whether the raw value was returned unclamped because the record is TSC_STABLE and the guest accepted that bit. */
  readonly stable: boolean;
  /** How many times the version check made the guest retry. */
  readonly retries: number;
  /** The record had GUEST_STOPPED set (the guest clears it and pets its watchdogs). */
  readonly guestStopped: boolean;
}

/** A bound on version retries: a host that never finishes an update would hang the guest. */
export const MAX_VERSION_RETRIES = 1000;

/**
 * pvclock_clocksource_read: read version (even), the fields, version again; retry if
 * it changed or was odd; compute; then apply the monotonic guard unless both the guest
 * accepted the stable bit (validFlags) and the record has TSC_STABLE. `snapshot` is
 * called once per attempt and returns the record as the guest sees it at that moment.
 */
export function guestClockRead(
  api: KvmclockApi,
  snapshot: (attempt: number) => { readonly before: PvclockRecord; readonly after: PvclockRecord },
  guestTsc: bigint,
  validFlags: number,
  lastValue: bigint,
): GuestClockRead {
  for (let attempt = 0; attempt <= MAX_VERSION_RETRIES; attempt++) {
    const { before, after } = snapshot(attempt);
    if (before.version & 1 || before.version !== after.version) continue;
    const raw = readRecord(api, before, guestTsc);
    const g = api.pvclockGuestRead(raw, before.flags, validFlags, lastValue);
    return {
      raw,
      result: g.result,
      lastValue: g.newLastValue,
      stable: (validFlags & before.flags & PVCLOCK_TSC_STABLE_BIT) !== 0,
      retries: attempt,
      guestStopped: (before.flags & 2) !== 0,
    };
  }
  throw new InternalError(`pvclock record version never settled after ${MAX_VERSION_RETRIES} retries (the guest would spin)`);
}
