/**
 * Typed errors. Every error kvmclock throws on purpose is a {@link KvmclockError}
 * (through one of the subclasses below) with a stable `code`. Codes that model a
 * kernel-defined failure equal the error names of the `eval` protocol and the test
 * vectors (`div0`, `overflow`, `de`, `hang`, `zero`, `toolarge`, `EINVAL`).
 */

/** Stable error codes. Never renamed; new ones may be added. */
export type ErrorCode =
  // argument checks at the API boundary
  | 'type' // wrong JS type (a Number where a bigint is expected, a string, …)
  | 'range' // value outside its C type or documented domain
  // kernel-defined failures (names match the eval protocol and the vectors)
  | 'div0' // integer division by zero (x86 #DE on divide by zero)
  | 'overflow' // x86-64 DIV quotient does not fit 64 bits (#DE)
  | 'de' // the kernel path would take a divide error (kvm_set_tsc_khz)
  | 'hang' // the kernel loop would never terminate (kvm_get_time_scale)
  | 'zero' // TSC scaling ratio of zero, rejected by kvm_set_tsc_khz
  | 'toolarge' // TSC scaling ratio >= max ratio, rejected by kvm_set_tsc_khz
  | 'EINVAL' // an ioctl the kernel would fail with -EINVAL
  | 'ERANGE' // an ioctl the kernel would fail with -ERANGE (v6 KVM_SET_CLOCK_GUEST frequency window)
  | 'nofreq' // kvm_guest_time_update abandons the update: host_khz·1000 is 0 modulo 2^64
  | 'nomaster' // the master-clock snapshot finds no frequency (0 Hz after scaling): master clock off
  | 'invalid' // a Hyper-V reference TSC page KVM cannot fill (reason: unstable or mul)
  | 'nofit' // no 64-bit VMClock period exists for the frequency
  // kernel profiles
  | 'profile' // an unknown kernel profile or change id
  // the environment the library runs in
  | 'environment' // the JS engine or the machine refuses what is needed (CSP without wasm-unsafe-eval, a worker without memory)
  // our own
  | 'internal' // a broken invariant or an unexpected Wasm trap: a kvmclock bug
  // the live probe (`kvmclock probe`, ProbeError)
  | 'nocompiler' // no C compiler to build the native reader
  | 'platform' // not Linux on x86-64
  | 'nopvclock' // no readable pvclock page (not a KVM guest, or kvm-clock not exposed)
  | 'odd' // the record's version stayed odd: an update that never finished
  | 'changing' // the record's version changed during every read
  | 'native'; // the native reader failed to build or run, or printed something unexpected

/** Anything kvmclock throws deliberately carries this interface. */
export interface KvmclockError extends Error {
  readonly code: ErrorCode;
}

/** True for every error thrown deliberately by kvmclock. */
export function isKvmclockError(e: unknown): e is KvmclockError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && KVMCLOCK_ERROR in e;
}

const KVMCLOCK_ERROR = Symbol.for('kvmclock.error');

/** A JS value of the wrong type: `"tsc" expected bigint (u64), got number 5`. */
export class ArgumentTypeError extends TypeError implements KvmclockError {
  readonly code = 'type' as const;
  readonly [KVMCLOCK_ERROR] = true;
  constructor(
    readonly argument: string,
    readonly expected: string,
    got: unknown,
  ) {
    super(`"${argument}" expected ${expected}, got ${describe(got)}`);
    this.name = 'ArgumentTypeError';
  }
}

/** A value outside its C type or domain: `"mul" expected u32 in 0..4294967295, got 4294967296`. */
export class ArgumentRangeError extends RangeError implements KvmclockError {
  readonly code = 'range' as const;
  readonly [KVMCLOCK_ERROR] = true;
  constructor(
    readonly argument: string,
    readonly cType: string,
    readonly min: bigint,
    readonly max: bigint,
    readonly got: bigint | number | string,
    detail?: string,
  ) {
    super(`"${argument}" expected ${cType} in ${min}..${max}, got ${got}${detail ? `: ${detail}` : ''}`);
    this.name = 'ArgumentRangeError';
  }

  /** A value that must be one of a fixed set of names. */
  static choice(argument: string, choices: readonly string[], got: string): ArgumentRangeError {
    const e = new ArgumentRangeError(argument, 'enum', 0n, BigInt(choices.length - 1), got);
    e.message = `"${argument}" expected one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(got)}`;
    return e;
  }
}

/**
 * The kernel itself rejects the input or cannot complete on it: a ratio of zero or
 * at/above the vendor maximum, a `kvm_get_time_scale` input that never terminates,
 * an ioctl that returns -EINVAL. `rule` names the kernel function and condition.
 */
export class KernelRuleError extends RangeError implements KvmclockError {
  readonly [KVMCLOCK_ERROR] = true;
  constructor(
    readonly code: KernelRuleCode,
    readonly rule: string,
    /** The offending value where the protocol reports one (`ERR toolarge <ratio>`). */
    readonly value?: bigint,
    /** A word the protocol reports after the code (`ERR invalid unstable`). */
    readonly reason?: string,
  ) {
    super(`${rule}${value === undefined ? '' : ` (value ${value})`}`);
    this.name = 'KernelRuleError';
  }
}

/** Codes of {@link KernelRuleError}: the kernel rejects the input, or cannot complete on it. */
export type KernelRuleCode = 'hang' | 'zero' | 'toolarge' | 'EINVAL' | 'ERANGE' | 'nofreq' | 'nomaster' | 'invalid' | 'nofit';

/** A modelled CPU arithmetic fault: x86 #DE on a zero divisor or a quotient wider than 64 bits. */
export class ArithmeticFaultError extends RangeError implements KvmclockError {
  readonly [KVMCLOCK_ERROR] = true;
  constructor(
    readonly code: 'div0' | 'overflow' | 'de',
    readonly rule: string,
  ) {
    super(rule);
    this.name = 'ArithmeticFaultError';
  }
}

/** A kvmclock bug: a broken invariant or an unexpected trap inside the Wasm module. */
export class InternalError extends Error implements KvmclockError {
  readonly code = 'internal' as const;
  readonly [KVMCLOCK_ERROR] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(`kvmclock internal error: ${message}`, options);
    this.name = 'InternalError';
  }
}

/**
 * An unknown kernel profile or change id (`--kernel`, the PROFILE argument of `eval`):
 * names what was given and lists the valid presets and change ids.
 */
export class KernelProfileError extends RangeError implements KvmclockError {
  readonly code = 'profile' as const;
  readonly [KVMCLOCK_ERROR] = true;
  constructor(
    readonly argument: string,
    readonly got: string,
    detail: string,
  ) {
    super(`"${argument}" ${detail}`);
    this.name = 'KernelProfileError';
  }
}

/**
 * The environment cannot provide what a call needs — not a bug of kvmclock and not bad
 * input: a page whose Content-Security-Policy forbids compiling WebAssembly (it must allow
 * 'wasm-unsafe-eval'), a worker thread that cannot get memory, a worker that crashed in the
 * engine. `reason` is a short stable word (`csp`, `memory`, `worker`, …); the message says
 * what to change.
 */
export class EnvironmentError extends Error implements KvmclockError {
  readonly code = 'environment' as const;
  readonly [KVMCLOCK_ERROR] = true;
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EnvironmentError';
  }
}

/** Codes of {@link ProbeError}. */
export type ProbeErrorCode = 'nocompiler' | 'platform' | 'nopvclock' | 'odd' | 'changing' | 'native';

/**
 * The live probe cannot read this machine's clock: no C compiler for its native reader,
 * not Linux on x86-64, no pvclock page mapped (not a KVM guest, or kvm-clock not exposed
 * to user space), a record whose version stays odd or changes during every read, or a
 * native reader that failed. An environment condition, not a kvmclock bug.
 */
export class ProbeError extends Error implements KvmclockError {
  readonly [KVMCLOCK_ERROR] = true;
  constructor(
    readonly code: ProbeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProbeError';
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `bigint ${v}n`;
  if (typeof v === 'number') return `number ${v}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return Array.isArray(v) ? 'array' : `object ${Object.prototype.toString.call(v).slice(8, -1)}`;
  return typeof v;
}
