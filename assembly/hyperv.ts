// The Hyper-V reference TSC page KVM derives from a kvmclock record, the guest's read of it
// and the reference-counter MSR fallback (guest-clock-abis section 1). 100 ns units.
import { mulHi, umul128 } from "./mul128";
import { mulDiv96, quotientTop } from "./muldiv";
import { setRes0, setRes1, setResI0 } from "./out";
import { STATUS_INVALID, STATUS_OK, STATUS_OVERFLOW } from "./status";

/** Why the page is invalid, in resI0 after STATUS_INVALID (mirrored in src/wasm/backend.ts). */
export const HV_INVALID_UNSTABLE: i32 = 1;
export const HV_INVALID_MUL: i32 = 2;

/**
 * compute_tsc_page_parameters from a record (mul, shift s8, tsc_timestamp, system_time,
 * flags): STATUS_INVALID (reason in resI0) without TSC_STABLE or when mul >=
 * lo64(100 << ((32 - shift) & 63)); STATUS_OVERFLOW if mul_u64_u32_div(1 << ((32 + shift)
 * & 63), mul, 100) needs more than 64 bits (#DE); else STATUS_OK with tsc_scale in res0 and
 * tsc_offset = floor(system_time / 100) - high64(tsc_timestamp * tsc_scale) in res1.
 */
export function hvTscPage(mul: u32, shift: i32, tscTimestamp: u64, systemTime: u64, flags: u32): i32 {
  if ((flags & 1) == 0) {
    setResI0(HV_INVALID_UNSTABLE);
    return STATUS_INVALID;
  }
  const maxMul: u64 = <u64>100 << <u64>((32 - shift) & 63);
  if (<u64>mul >= maxMul) {
    setResI0(HV_INVALID_MUL);
    return STATUS_INVALID;
  }
  const scale = mulDiv96(<u64>1 << <u64>((32 + shift) & 63), mul, 100);
  if (quotientTop != 0) return STATUS_OVERFLOW;
  umul128(tscTimestamp, scale);
  setRes0(scale);
  setRes1(systemTime / 100 - mulHi);
  return STATUS_OK;
}

/** The guest's reference time: lo64(high64(tsc * scale) + offset). Any inputs. */
export function hvRefRead(tsc: u64, scale: u64, offset: u64): u64 {
  umul128(tsc, scale);
  return mulHi + offset;
}

/** HV_X64_MSR_TIME_REF_COUNT without a valid page: floor(kvmclock_ns / 100), unsigned. */
export function hvRefMsr(kvmclockNs: u64): u64 {
  return kvmclockNs / 100;
}
