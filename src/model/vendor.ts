/** The TSC-scaling capabilities KVM reports per vendor (spec §5.1). */
import { ArgumentRangeError } from '../errors.js';
import { SVM_FRAC_BITS, SVM_MAX_RATIO, VMX_FRAC_BITS, VMX_MAX_RATIO } from '../units.js';

export type Vendor = 'vmx' | 'svm';
export const VENDORS: readonly Vendor[] = ['vmx', 'svm'];

/** kvm_caps as far as TSC scaling is concerned. */
export interface TscCaps {
  readonly vendor: Vendor;
  /** tsc_scaling_ratio_frac_bits. */
  readonly frac: number;
  /** max_tsc_scaling_ratio. */
  readonly maxRatio: bigint;
  /** default_tsc_scaling_ratio = 2^frac. */
  readonly defaultRatio: bigint;
  /** has_tsc_control: the CPU can scale the guest TSC in hardware. */
  readonly hasTscControl: boolean;
}

/** The caps of a vendor, with or without hardware TSC scaling. */
export function tscCaps(vendor: Vendor, hasTscControl = true): TscCaps {
  if (vendor === 'vmx') return { vendor, frac: VMX_FRAC_BITS, maxRatio: VMX_MAX_RATIO, defaultRatio: 1n << BigInt(VMX_FRAC_BITS), hasTscControl };
  if (vendor === 'svm') return { vendor, frac: SVM_FRAC_BITS, maxRatio: SVM_MAX_RATIO, defaultRatio: 1n << BigInt(SVM_FRAC_BITS), hasTscControl };
  throw ArgumentRangeError.choice('vendor', VENDORS, String(vendor));
}
