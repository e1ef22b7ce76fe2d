/** Shared option parsing for CLI commands (node:util parseArgs, no dependency). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { BackendName } from '../backend.js';
import { UsageError } from './command.js';
import { VENDORS, type Vendor } from '../model/vendor.js';
import { aU32NonZero } from '../validate.js';
import { parseDurationNs } from '../duration.js';

/** parseArgs in strict mode, with its errors turned into UsageError. */
type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

export function parseOptions<T extends Options>(argv: readonly string[], options: T, allowPositionals = false): Parsed<T> {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals }) as Parsed<T>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The --backend option: 'wasm' (default) or 'reference'. */
export function backendOption(value: string | undefined): BackendName {
  if (value === undefined || value === 'wasm' || value === 'reference') return value ?? 'wasm';
  throw new UsageError(`--backend expected "wasm" or "reference", got ${JSON.stringify(value)}`);
}

/** A decimal integer option (as a number; range checks follow). */
export function intOption(v: string, name: string): number {
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`${name} expected a non-negative decimal integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** A TSC frequency option in kHz, 1..2^32−1, with a default when absent. */
export function khzOption(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  return aU32NonZero(intOption(v, name), name, 'a TSC frequency of 0 kHz');
}

/** The --vendor option: vmx (default) or svm. */
export function vendorOption(v: string | undefined, name = '--vendor'): Vendor {
  const vendor = v ?? 'vmx';
  if (!(VENDORS as readonly string[]).includes(vendor)) throw new UsageError(`${name} expected vmx or svm, got ${JSON.stringify(vendor)}`);
  return vendor as Vendor;
}

/** A duration option of at most 100 years (instants stay within the u64 host TSC), in ns. */
export function horizonOption(v: string, name: string): bigint {
  const ns = parseDurationNs(v, name);
  const max = 100n * 31_536_000_000_000_000n;
  if (ns > max) throw new UsageError(`${name} ${v}: at most 100 years`);
  return ns;
}
