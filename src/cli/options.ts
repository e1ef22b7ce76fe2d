/**
 * Shared option parsing for CLI commands (node:util parseArgs, no dependency). Every
 * option error is a UsageError (exit 2) that names the option, its valid range and the
 * value exactly as given (never a rounded number).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { BackendName } from '../backend.js';
import { UsageError } from './command.js';
import { VENDORS, type Vendor } from '../model/vendor.js';
import { parseDurationNs } from '../duration.js';
import { checkTscReach, parseKhz } from '../sweep/grid.js';
import { type KernelProfile, parseKernelList } from '../kernel/profile.js';
import { isKvmclockError } from '../errors.js';
import type { KvmclockApi } from '../api.js';
import { tscCaps } from '../model/vendor.js';

/** parseArgs in strict mode, with its errors turned into UsageError. */
type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

/** A token that is a negative number (or duration) rather than an option: `-1`, `-30us`, `-0.5s`. */
const NEGATIVE_VALUE = /^-[0-9.]/;

/**
 * `--opt -1` as `--opt=-1` for options that take a value, so that a negative value reaches
 * the option's own range check instead of parseArgs' "argument is ambiguous".
 */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const name = token.startsWith('--') && !token.includes('=') ? token.slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_VALUE.test(next)) {
      out.push(`${token}=${next}`);
      i++;
    } else {
      out.push(token);
    }
    if (token === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
  }
  return out;
}

export function parseOptions<T extends Options>(argv: readonly string[], options: T, allowPositionals = false): Parsed<T> {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals }) as Parsed<T>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The --backend option: 'wasm' (default) or 'reference'. */
export function backendOption(value: string | undefined): BackendName {
  if (value === undefined || value === 'wasm' || value === 'reference') return value ?? 'wasm';
  throw new UsageError(`--backend expected "wasm" or "reference", got ${JSON.stringify(value)}`);
}

/**
 * A decimal integer option in min..max (compared exactly, so 2^64 is not mistaken for
 * 2^64 − 1), with a default when absent. `why` explains the limit in the error.
 */
export function integerInRange(v: string | undefined, name: string, fallback: number, min: number, max: number, why = ''): number {
  if (v === undefined) return fallback;
  const text = v.trim();
  if (!/^-?[0-9]+$/.test(text)) throw new UsageError(`${name} expected an integer in ${min}..${max}${why}, got ${JSON.stringify(v)}`);
  const n = BigInt(text);
  if (n < BigInt(min) || n > BigInt(max)) throw new UsageError(`${name} expected an integer in ${min}..${max}${why}, got ${text}`);
  return Number(n);
}

/** A TSC frequency option in kHz, 1..2^32−1, with a default when absent. */
export function khzOption(v: string | undefined, name: string, fallback: number): number {
  return v === undefined ? fallback : parseKhz(v, name);
}

/** The --vendor option: vmx (default) or svm. */
export function vendorOption(v: string | undefined, name = '--vendor'): Vendor {
  const vendor = v ?? 'vmx';
  if (!(VENDORS as readonly string[]).includes(vendor)) throw new UsageError(`${name} expected vmx or svm, got ${JSON.stringify(vendor)}`);
  return vendor as Vendor;
}

/** A duration option of at most 100 years, in ns. */
export function horizonOption(v: string, name: string): bigint {
  const ns = parseDurationNs(v, name);
  const max = 100n * 31_536_000_000_000_000n;
  if (ns > max) throw new UsageError(`${name} ${v}: at most 100 years`);
  return ns;
}

/**
 * The --kernel option: one or more kernel profiles separated by commas (default 6.18). An
 * unknown preset or change is a UsageError naming the option and listing the valid ids.
 */
export function kernelOption(v: string | undefined, name = '--kernel'): KernelProfile[] {
  try {
    return parseKernelList(v ?? '6.18', name);
  } catch (e) {
    if (isKvmclockError(e) && e.code === 'profile') throw new UsageError(e.message);
    throw e;
  }
}

/** Which clock a guest reads: Linux and Xen read the kvmclock record (B); Windows reads the Hyper-V reference time (H). */
export type GuestKind = 'linux' | 'windows' | 'xen';
export const GUEST_KINDS: readonly GuestKind[] = ['linux', 'windows', 'xen'];

/** The --guest option: linux (default), windows or xen. */
export function guestKindOption(v: string | undefined, name = '--guest'): GuestKind {
  const kind = v ?? 'linux';
  if (!(GUEST_KINDS as readonly string[]).includes(kind)) throw new UsageError(`${name} expected one of ${GUEST_KINDS.join(', ')}, got ${JSON.stringify(v)}`);
  return kind as GuestKind;
}

/**
 * A duration after the standard reference at a host frequency: also refused when the host
 * TSC would run 2^63 cycles or more past the reference (both options named, with the
 * longest duration that fits).
 */
export function reachOption(v: string, name: string, hostKhz: number, hostOption: string): bigint {
  const ns = horizonOption(v, name);
  checkTscReach({ hostKhz, hostOption, durationNs: ns, durationOption: name, given: v });
  return ns;
}

/** The options of one frequency pair on the standard reference (`clock`, `kernels`), validated. */
export interface PairOptions {
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly vendor: Vendor;
  readonly horizonNs: bigint;
  readonly tolerancePpm: number | undefined;
  readonly hasTscControl: boolean;
  /** kvm_caps.max_guest_tsc_khz of the host (0 without hardware scaling). */
  readonly maxGuestKhz: number;
}

/**
 * --host-khz (required), --guest-khz (default: the host's), --vendor, --at (default 1d, within the
 * host TSC's reach), --tolerance-ppm and --no-tsc-control; a guest kHz KVM_SET_TSC_KHZ would refuse
 * (at or above max_guest_tsc_khz) is a UsageError naming --guest-khz.
 */
export function pairOptions(api: KvmclockApi, values: { readonly [k: string]: string | boolean | undefined }): PairOptions {
  const text = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (text('host-khz') === undefined) throw new UsageError('--host-khz is required (the host TSC frequency in kHz, 1..4294967295)');
  const hostKhz = khzOption(text('host-khz'), '--host-khz', 0);
  const guestKhz = khzOption(text('guest-khz'), '--guest-khz', hostKhz);
  const vendor = vendorOption(text('vendor'));
  const horizonNs = reachOption(text('at') ?? '1d', '--at', hostKhz, '--host-khz');
  const tol = text('tolerance-ppm');
  const tolerancePpm = tol === undefined ? undefined : integerInRange(tol, '--tolerance-ppm', 250, 0, 0xffff_ffff);
  const hasTscControl = values['no-tsc-control'] !== true;
  const caps = tscCaps(vendor, hasTscControl);
  const maxGuestKhz = hasTscControl ? api.maxGuestTscKhz(hostKhz, caps.maxRatio, caps.frac) : 0;
  if (hasTscControl && guestKhz >= maxGuestKhz) {
    throw new UsageError(`--guest-khz ${guestKhz}: KVM_SET_TSC_KHZ returns -EINVAL at or above max_guest_tsc_khz ${maxGuestKhz} (${vendor} host at ${hostKhz} kHz)`);
  }
  return { hostKhz, guestKhz, vendor, horizonNs, tolerancePpm, hasTscControl, maxGuestKhz };
}
