/**
 * The arithmetic of the proposed KVM_SET_CLOCK_GUEST, as a pure function: the new
 * kvmclock_offset that makes the kernel's clock at the fresh reference equal what the
 * given pvclock record says for the guest TSC at that reference.
 */
import type { KvmclockApi } from '../api.js';
import { KernelRuleError } from '../errors.js';
import type { PvclockRecord } from './pvclock-record.js';
import { readRecord } from './pvclock-record.js';

export interface SetClockGuestResult {
  /** The new kvmclock_offset (s64). */
  readonly kvmclockOffset: bigint;
  /** The guest TSC at the reference, read_l1_tsc(master_cycle_now). */
  readonly guestTsc: bigint;
  /** The record's kvmclock value at that guest TSC. */
  readonly recordNs: bigint;
}

/**
 * Given the fresh reference (useMasterClock, M = master_cycle_now, K = master_kernel_ns)
 * and the vCPU's L1 TSC parameters: guest TSC at M, the record evaluated there, and
 * kvmclock_offset moved by (record value − (K + kvmclock_offset)), all wrapping u64
 * arithmetic, the result reinterpreted as s64. EINVAL without a master clock.
 */
export function setClockGuestOffset(
  api: KvmclockApi,
  record: PvclockRecord,
  useMasterClock: boolean,
  masterCycleNow: bigint,
  masterKernelNs: bigint,
  kvmclockOffset: bigint,
  l1TscOffset: bigint,
  ratio: bigint,
  frac: number,
): SetClockGuestResult {
  if (!useMasterClock) throw new KernelRuleError('EINVAL', 'KVM_SET_CLOCK_GUEST returns -EINVAL: the master clock is not in use');
  const guestTsc = api.readL1Tsc(masterCycleNow, l1TscOffset, ratio, frac);
  const recordNs = readRecord(api, record, guestTsc);
  const kernelNs = BigInt.asUintN(64, masterKernelNs + kvmclockOffset);
  const moved = BigInt.asUintN(64, kvmclockOffset + BigInt.asUintN(64, recordNs - kernelNs));
  return { kvmclockOffset: BigInt.asIntN(64, moved), guestTsc, recordNs };
}
