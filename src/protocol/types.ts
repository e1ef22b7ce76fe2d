/** The shape of an `eval` protocol command (spec §11) and the ranges of its argument kinds. */
import type { KvmclockApi } from '../api.js';
import type { KernelProfile } from '../kernel/profile.js';
import { U64_MAX } from '../units.js';

/** The C type of a numeric protocol argument; it fixes the accepted range. */
export type IntKind = 'u64' | 's64' | 'u32' | 'u32nz' | 's32' | 'u8' | 's8' | 'mulshift' | 'shift64' | 'frac' | 'bool' | 'u64s64' | 's16u16';

/**
 * The kind of a protocol argument: an integer of a C type, or `profile` — a kernel profile
 * string (`6.18`, `7.4-queued+hz-pvclock`, …), always the first argument of the commands
 * that take one; an unknown one gives `ERR profile`.
 */
export type ArgKind = IntKind | 'profile';

/** Inclusive range of each integer kind. */
export const ARG_RANGE: Record<IntKind, readonly [bigint, bigint]> = {
  u64: [0n, U64_MAX],
  s64: [-(1n << 63n), (1n << 63n) - 1n],
  u32: [0n, 0xffff_ffffn],
  /** A u32 the kernel cannot take as 0 (a clocksource frequency or scale). */
  u32nz: [1n, 0xffff_ffffn],
  /** A 64-bit value given either as u64 or as s64 (the same bits modulo 2^64). */
  u64s64: [-(1n << 63n), U64_MAX],
  s32: [-(1n << 31n), (1n << 31n) - 1n],
  /** A 16-bit field read as s16, given as s16 or as its u16 pattern. */
  s16u16: [-(1n << 15n), 0xffffn],
  u8: [0n, 255n],
  s8: [-128n, 127n],
  mulshift: [0n, 127n],
  shift64: [0n, 63n],
  frac: [0n, 63n],
  bool: [0n, 1n],
};

/** One output token: integers print in decimal, booleans as 0/1, null as `-`. */
export type Token = bigint | number | boolean | null;

export interface Command {
  readonly name: string;
  /** Argument names (as in the vectors) and kinds, in protocol order. */
  readonly args: readonly (readonly [name: string, kind: ArgKind])[];
  /** Output field names, in protocol order. */
  readonly outputs: readonly string[];
  /**
   * Compute the output tokens; `v` holds the parsed, range-checked integer arguments in
   * order (a `profile` argument is not among them) and `profile` the parsed profile of a
   * command that takes one.
   */
  run(api: KvmclockApi, v: readonly bigint[], profile: KernelProfile): readonly Token[];
}

/** Build a command record. */
export function cmd(name: string, args: Command['args'], outputs: readonly string[], run: Command['run']): Command {
  return { name, args, outputs, run };
}

export const num = Number;
export const bool = (x: bigint): boolean => x === 1n;
