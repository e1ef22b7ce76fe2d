/**
 * The Hyper-V reference TSC page KVM keeps for a Windows guest (guest-clock-abis §1.6–1.7),
 * as a state machine driven by the model's operations: a write of HV_X64_MSR_REFERENCE_TSC
 * (GUEST_CHANGED / HOST_CHANGED, or UNSET without the enable bit), the refresh every
 * master-clock update and KVM_SET_CLOCK request (SET → HOST_CHANGED), and the computation at
 * the next kvm_guest_time_update from the record just written — SET when the record allows
 * a page, BROKEN (sticky until the MSR is written again) when it does not. And clock H, the
 * reference time the guest reads: from the page while its sequence is valid, else from the
 * reference-counter MSR, which returns ⌊get_kvmclock_ns()/100⌋ (C or C′, A without a master clock).
 */
import type { KvmclockApi } from '../api.js';
import { isKvmclockError } from '../errors.js';
import type { PvclockRecord } from './pvclock-record.js';

/** hv_tsc_page_status. */
export type HvTscPageStatus = 'unset' | 'guest-changed' | 'host-changed' | 'set' | 'broken';

/** The page as the guest sees it in its memory, and KVM's status for it. */
export interface HvTscPageState {
  readonly status: HvTscPageStatus;
  /** tsc_sequence: 0 means "invalid, use the MSR". */
  readonly sequence: number;
  readonly scale: bigint;
  /** tsc_offset (s64), 100 ns units. */
  readonly offset: bigint;
  /** Why the last computation left the page invalid (`unstable`: no TSC_STABLE; `mul`: a tick of 100 ns or more). */
  readonly invalidReason: string | null;
}

/** A page the guest never enabled. */
export const HV_PAGE_UNSET: HvTscPageState = { status: 'unset', sequence: 0, scale: 0n, offset: 0n, invalidReason: null };

/** A write of HV_X64_MSR_REFERENCE_TSC by the guest or the host (VMM restore): enable → *_CHANGED, else UNSET. */
export function writeReferenceTscMsr(page: HvTscPageState, enable: boolean, by: 'guest' | 'host'): HvTscPageState {
  if (!enable) return { ...page, status: 'unset' };
  return { ...page, status: by === 'guest' ? 'guest-changed' : 'host-changed' };
}

/** kvm_hv_request_tsc_page_update (every master-clock update, KVM_SET_CLOCK): a SET page is recomputed at the next update. */
export function requestPageUpdate(page: HvTscPageState): HvTscPageState {
  return page.status === 'set' ? { ...page, status: 'host-changed' } : page;
}

/**
 * kvm_hv_setup_tsc_page at a vCPU's time update with the record it just wrote: nothing for
 * BROKEN, SET or UNSET; otherwise the sequence goes to 0, the page is computed
 * (api.hvTscPage) and either SET with the next sequence (skipping 0 and 0xFFFFFFFF) or
 * BROKEN with sequence 0. The "update unsafe" path of re-enlightened guests is not modelled.
 */
export function setupPage(api: KvmclockApi, page: HvTscPageState, record: PvclockRecord): HvTscPageState {
  if (page.status === 'broken' || page.status === 'set' || page.status === 'unset') return page;
  try {
    const p = api.hvTscPage(record.tscToSystemMul, record.tscShift, record.tscTimestamp, record.systemTime, record.flags);
    let sequence = (page.sequence + 1) >>> 0;
    if (sequence === 0 || sequence === 0xffff_ffff) sequence = 1;
    return { status: 'set', sequence, scale: p.scale, offset: p.offset, invalidReason: null };
  } catch (e) {
    if (isKvmclockError(e) && (e.code === 'invalid' || e.code === 'overflow')) {
      return { status: 'broken', sequence: 0, scale: page.scale, offset: page.offset, invalidReason: (e as { reason?: string }).reason ?? e.code };
    }
    throw e;
  }
}

/** Clock H as the Windows guest reads it at guest TSC g: the page while valid, else the MSR (⌊kvmclock_ns/100⌋). Units of 100 ns. */
export function referenceTime(api: KvmclockApi, page: HvTscPageState, guestTsc: bigint, kvmclockNs: bigint): { readonly units: bigint; readonly source: 'page' | 'msr' } {
  if (page.sequence !== 0) return { units: api.hvRefRead(guestTsc, page.scale, page.offset), source: 'page' };
  return { units: api.hvRefMsr(kvmclockNs), source: 'msr' };
}
