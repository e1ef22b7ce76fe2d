/** The Xen CPUID time leaf KVM reports to Xen guests (guest-clock-abis §2.2). */
import type { XenTscLeaf } from '../backend.js';
import { KernelRuleError } from '../errors.js';
import { NSEC_PER_SEC } from '../units.js';
import { lo32 } from './c-types.js';
import { getTimeScale } from './time-scale.js';

/**
 * Xen leaf 4 (xen_base + 3) as KVM fills it: sub-leaf 1 ECX = the pvclock mul and EDX = its
 * shift sign-extended to 32 bits, sub-leaf 2 EAX = tgt_tsc_khz (the floored, scaled guest
 * kHz), with (shift, mul) = kvm_get_time_scale(10^9, tgt_tsc_khz·1000). 0 kHz never terminates (`hang`).
 */
export function xenTscLeaf(tgtTscKhz: number): XenTscLeaf {
  if (tgtTscKhz === 0) throw new KernelRuleError('hang', 'kvm_get_time_scale never terminates for tgt_tsc_khz 0 (base_hz 0)');
  const t = getTimeScale(NSEC_PER_SEC, BigInt(tgtTscKhz) * 1000n);
  return { ecx: t.mul, edx: Number(lo32(BigInt(t.shift))), eax: tgtTscKhz };
}
