/** Named limits of the C types and kernel constants the arithmetic uses. */

export const U8_MAX = 0xff;
export const S8_MIN = -128;
export const S8_MAX = 127;
export const U32_MAX = 0xffff_ffff;
export const S32_MIN = -0x8000_0000;
export const S32_MAX = 0x7fff_ffff;
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
export const S64_MIN = -0x8000_0000_0000_0000n;
export const S64_MAX = 0x7fff_ffff_ffff_ffffn;

/** 10^9: nanoseconds per second (NSEC_PER_SEC). */
export const NSEC_PER_SEC = 1_000_000_000n;
/** Largest shift accepted by the 64×64→128 and 64×32→96 multiply-shift helpers. */
export const MUL_SHIFT_MAX = 127;
/** Largest number of fractional bits of a TSC ratio this library accepts (2^frac must fit a u64). */
export const FRAC_MAX = 63;

/** VMX TSC scaling: 48 fractional bits, largest ratio 2^64 − 1. */
export const VMX_FRAC_BITS = 48;
export const VMX_MAX_RATIO = U64_MAX;
/** SVM TSC scaling: 32 fractional bits, 8.32 format, largest ratio 2^40 − 1. */
export const SVM_FRAC_BITS = 32;
export const SVM_MAX_RATIO = (1n << 40n) - 1n;

/** pvclock_vcpu_time_info.flags bits. */
export const PVCLOCK_TSC_STABLE_BIT = 1;
export const PVCLOCK_GUEST_STOPPED = 2;
export const PVCLOCK_COUNTS_FROM_ZERO = 4;

/** struct kvm_clock_data.flags bits accepted by KVM_SET_CLOCK. */
export const KVM_CLOCK_TSC_STABLE = 2;
export const KVM_CLOCK_REALTIME = 4;
export const KVM_CLOCK_HOST_TSC = 8;
export const KVM_SET_CLOCK_VALID_FLAGS = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;

/** Default kvm.tsc_tolerance_ppm module parameter. */
export const DEFAULT_TSC_TOLERANCE_PPM = 250;
