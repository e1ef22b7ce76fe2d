/**
 * Kernel profiles: one value naming the set of upstream changes whose arithmetic is in
 * force. A profile is a preset (`6.18`, `7.4-queued`, `clocks-v6`) optionally followed by
 * `+change` / `-change` compositions (`7.4-queued+hz-pvclock`,
 * `clocks-v6-set-clock-guest-v6`). It is parsed and validated once, at the boundary, and
 * then consulted with `has(change)` where a change alters the arithmetic.
 */
import { KernelProfileError } from '../errors.js';
import { CHANGE_IDS, type ChangeId } from './changes.js';

/** The presets and the changes each one contains. */
export const PRESETS = {
  /** The v6.18 development cycle: the baseline, no change. */
  '6.18': [],
  /** The changes of the 2026-09-15 kvm-x86 `clocks` branch, as posted in v6 (the applied 7.4 text is not public). */
  '7.4-queued': ['c-via-guest-tsc', 'signed-compute-guest-tsc', 'upscale-to-now'],
  /** The whole v6 series as posted. */
  'clocks-v6': ['hz-pvclock', 'c-via-guest-tsc', 'signed-compute-guest-tsc', 'upscale-to-now', 'masterclock-offset-tscs', 'resync-after-set-tsc-khz', 'set-clock-guest-v6'],
} as const satisfies Record<string, readonly ChangeId[]>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** The profile every result defaults to: the v6.18 baseline. */
export const DEFAULT_KERNEL = '6.18';

/** A parsed kernel profile. Immutable; compare profiles with {@link sameChanges}, not by name. */
export class KernelProfile {
  /** The profile as written (trimmed), used for display and JSON. */
  readonly name: string;
  readonly preset: PresetName;
  readonly #changes: ReadonlySet<ChangeId>;

  private constructor(name: string, preset: PresetName, changes: ReadonlySet<ChangeId>) {
    this.name = name;
    this.preset = preset;
    this.#changes = changes;
  }

  /** Whether the arithmetic of `change` is in force. */
  has(change: ChangeId): boolean {
    return this.#changes.has(change);
  }

  /** The changes in force, in series order. */
  get changes(): readonly ChangeId[] {
    return CHANGE_IDS.filter((c) => this.#changes.has(c));
  }

  toString(): string {
    return this.name;
  }

  toJSON(): string {
    return this.name;
  }

  /**
   * Parse `PRESET(+change|-change)*`. Adding a change already in force or removing one that
   * is not are no-ops (a profile is a set of changes).
   * @throws KernelProfileError naming the unknown preset or change and listing the valid ones.
   * @example KernelProfile.parse('7.4-queued+hz-pvclock').has('hz-pvclock') // true
   */
  static parse(text: unknown, argument = 'kernel'): KernelProfile {
    if (typeof text !== 'string') throw new KernelProfileError(argument, String(text), `expected a kernel profile string (${validList()}), got ${typeof text}`);
    const name = text.trim();
    const preset = PRESET_NAMES.filter((p) => name.startsWith(p)).sort((a, b) => b.length - a.length)[0];
    if (preset === undefined) {
      throw new KernelProfileError(argument, name, `unknown kernel profile ${JSON.stringify(shorten(name))}: a profile is a preset (${PRESET_NAMES.join(', ')}) followed by +change or -change with change one of ${CHANGE_IDS.join(', ')}`);
    }
    const changes = new Set<ChangeId>(PRESETS[preset]);
    let i = preset.length;
    while (i < name.length) {
      const sign = name[i];
      const id = CHANGE_IDS.filter((c) => name.startsWith(c, i + 1) && (i + 1 + c.length === name.length || '+-'.includes(name[i + 1 + c.length])))
        .sort((a, b) => b.length - a.length)[0];
      if ((sign !== '+' && sign !== '-') || id === undefined) {
        const rest = name.slice(sign === '+' || sign === '-' ? i + 1 : i);
        throw new KernelProfileError(
          argument,
          name,
          `unknown change ${JSON.stringify(shorten(rest))} in kernel profile ${JSON.stringify(shorten(name))}: after the preset each part is +change or -change with change one of ${CHANGE_IDS.join(', ')}`,
        );
      }
      if (sign === '+') changes.add(id);
      else changes.delete(id);
      i += 1 + id.length;
    }
    return new KernelProfile(name, preset, changes);
  }

  /** The default profile, 6.18. */
  static readonly baseline: KernelProfile = KernelProfile.parse(DEFAULT_KERNEL);
}

/** Whether two profiles put the same changes in force (whatever they are called). */
export function sameChanges(a: KernelProfile, b: KernelProfile): boolean {
  return CHANGE_IDS.every((c) => a.has(c) === b.has(c));
}

/**
 * A comma-separated list of profiles (`6.18,7.4-queued,clocks-v6`), each parsed; duplicates
 * by name are refused.
 */
export function parseKernelList(text: unknown, argument = 'kernel'): KernelProfile[] {
  if (typeof text !== 'string' || text.trim() === '') throw new KernelProfileError(argument, String(text), `expected one or more kernel profiles separated by commas (${validList()})`);
  const out = text.split(',').map((p, i) => KernelProfile.parse(p, `${argument}[${i}]`));
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p.name)) throw new KernelProfileError(argument, p.name, `lists kernel profile ${JSON.stringify(p.name)} twice`);
    seen.add(p.name);
  }
  return out;
}

/** A value that is already a profile, or a profile string to parse (default: 6.18). */
export function aKernelProfile(v: unknown, argument = 'kernel'): KernelProfile {
  if (v === undefined) return KernelProfile.baseline;
  if (v instanceof KernelProfile) return v;
  return KernelProfile.parse(v, argument);
}

function validList(): string {
  return `presets ${PRESET_NAMES.join(', ')}; changes ${CHANGE_IDS.join(', ')}`;
}

function shorten(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
