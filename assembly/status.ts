// Numeric status codes returned by the fallible exports. Kernel-defined failures are
// reported here instead of trapping: with `runtime: stub` and `use: ["abort="]` a
// throw would compile to `unreachable`, which the JS side treats as a kvmclock bug.
// src/wasm/backend.ts mirrors these values (a test checks them against the exports).

/** Success: the outputs are in the result registers. */
export const STATUS_OK: i32 = 0;
/** Division by zero (x86 #DE with a zero divisor). */
export const STATUS_DIV0: i32 = 1;
/** x86-64 DIV quotient wider than 64 bits (#DE). */
export const STATUS_OVERFLOW: i32 = 2;
/** kvm_set_tsc_khz would take a divide error computing the ratio. */
export const STATUS_DE: i32 = 3;
/** kvm_get_time_scale would loop forever. */
export const STATUS_HANG: i32 = 4;
/** kvm_set_tsc_khz rejects a zero ratio (ratio left in result register 0). */
export const STATUS_ZERO: i32 = 5;
/** kvm_set_tsc_khz rejects a ratio >= max_ratio (ratio left in result register 0). */
export const STATUS_TOOLARGE: i32 = 6;
/** KVM_SET_CLOCK returns -EINVAL. */
export const STATUS_EINVAL: i32 = 7;
/** An ioctl the kernel would fail with -ERANGE (v6 KVM_SET_CLOCK_GUEST's frequency window). */
export const STATUS_ERANGE: i32 = 8;
/** kvm_guest_time_update abandons the update: host_khz * 1000 is 0 modulo 2^64. */
export const STATUS_NOFREQ: i32 = 9;
/** The master-clock snapshot finds 0 Hz after scaling: the master clock is off. */
export const STATUS_NOMASTER: i32 = 10;
/** A Hyper-V reference TSC page KVM cannot fill (the reason in resI0). */
export const STATUS_INVALID: i32 = 11;
/** No 64-bit VMClock period exists for the frequency. */
export const STATUS_NOFIT: i32 = 12;
