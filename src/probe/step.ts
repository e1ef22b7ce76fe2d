/**
 * The step the guest's kvm-clock takes when the host writes a new record (a master-clock
 * re-snapshot, KVM_SET_CLOCK, a clock update after migration…): the old and the new
 * record evaluated at the same guest TSC. Positive: the clock jumped forward; negative:
 * it went back (and with TSC_STABLE the guest's monotonic guard does not hide it, §3.4).
 */
import type { KvmclockApi } from '../api.js';
import type { PvclockRecord } from '../model/pvclock-record.js';
import { over, pvclockRate } from '../model/rates.js';
import { ppbOf, type Ratio } from '../rational.js';
import { kvmclockAt, sameContent } from './record.js';

export interface RecordStep {
  /** The guest TSC both records are evaluated at (when the update was seen). */
  readonly tsc: bigint;
  readonly before: bigint;
  readonly after: bigint;
  /** after − before as s64 ns. */
  readonly stepNs: bigint;
  /** The same at the new record's reference (its tsc_timestamp), where it reads system_time exactly. */
  readonly atReference: { readonly tsc: bigint; readonly before: bigint; readonly stepNs: bigint };
  /** Number of host writes between the two (each advances the version by 2), mod 2^32. */
  readonly writes: number;
  /** Only the version moved: the host rewrote the same reference (e.g. a periodic clock update). */
  readonly rewriteOnly: boolean;
  /** The new scale's rate against the old one (ppb), null when mul and shift are unchanged. */
  readonly rateChangePpb: Ratio | null;
}

/** Evaluate an update from `prev` to `next`, seen at guest TSC `tsc`. */
export function recordStep(api: KvmclockApi, prev: PvclockRecord, next: PvclockRecord, tsc: bigint): RecordStep {
  const before = kvmclockAt(api, prev, tsc);
  const after = kvmclockAt(api, next, tsc);
  const refBefore = kvmclockAt(api, prev, next.tscTimestamp);
  const sameScale = prev.tscToSystemMul === next.tscToSystemMul && prev.tscShift === next.tscShift;
  return {
    tsc,
    before,
    after,
    stepNs: BigInt.asIntN(64, after - before),
    atReference: { tsc: next.tscTimestamp, before: refBefore, stepNs: BigInt.asIntN(64, next.systemTime - refBefore) },
    writes: Math.floor(((next.version - prev.version) >>> 0) / 2),
    rewriteOnly: sameContent(prev, next),
    rateChangePpb: sameScale ? null : ppbOf(over(pvclockRate(next.tscToSystemMul, next.tscShift), pvclockRate(prev.tscToSystemMul, prev.tscShift))),
  };
}
