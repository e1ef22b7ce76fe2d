// The Xen CPUID TSC leaf KVM reports (guest-clock-abis section 2.2).
import { setResI0, setResI1 } from "./out";
import { STATUS_HANG, STATUS_OK } from "./status";
import { TIME_SCALE_HANG, timeScale } from "./timescale";

const NSEC_PER_SEC: u64 = 1_000_000_000;

/**
 * Xen leaf 4: STATUS_HANG for tgt_tsc_khz 0; else STATUS_OK with ECX = mul in resI1 and EDX =
 * the shift sign-extended to 32 bits in resI0, from kvm_get_time_scale(10^9, khz * 1000).
 * EAX is tgt_tsc_khz itself.
 */
export function xenTscLeaf(tgtTscKhz: u32): i32 {
  const packed = timeScale(NSEC_PER_SEC, <u64>tgtTscKhz * 1000);
  if (packed == TIME_SCALE_HANG) return STATUS_HANG;
  setResI0(<i32><i8>(packed >> 32));
  setResI1(<i32>packed);
  return STATUS_OK;
}
