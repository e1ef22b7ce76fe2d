/**
 * Kernel profiles (src/kernel): the presets and their changes as the kernel-variants document's
 * profile table (§9) and status table (§0) give them, `+change` / `-change` compositions (a profile
 * is a set: adding twice or removing an absent change changes nothing), the typed errors for
 * anything else, and comma-separated lists.
 */
import { describe, expect, it } from 'vitest';
import {
  CHANGES,
  CHANGE_IDS,
  DEFAULT_KERNEL,
  KernelProfile,
  KernelProfileError,
  PRESETS,
  PRESET_NAMES,
  isKvmclockError,
  parseKernelList,
  sameChanges,
  type ChangeId,
} from '../src/index.js';
import { aKernelProfile } from '../src/kernel/profile.js';

/** kernel-variants §9: the changes of each preset, in series order. */
const TABLE: Record<string, readonly ChangeId[]> = {
  '6.18': [],
  '7.4-queued': ['c-via-guest-tsc', 'signed-compute-guest-tsc', 'upscale-to-now'],
  'clocks-v6': ['hz-pvclock', 'set-clock-guest-v6', 'c-via-guest-tsc', 'signed-compute-guest-tsc', 'upscale-to-now', 'masterclock-offset-tscs', 'resync-after-set-tsc-khz'],
};

/** The KernelProfileError `f` throws. */
function profileError(f: () => unknown): KernelProfileError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KernelProfileError);
    expect(e).toBeInstanceOf(RangeError);
    expect(isKvmclockError(e)).toBe(true);
    expect((e as KernelProfileError).code).toBe('profile');
    return e as KernelProfileError;
  }
  throw new Error('expected a KernelProfileError, got a result');
}

describe('change ids and presets', () => {
  it('the eight change ids of kernel-variants §0, in series order, each described', () => {
    expect(CHANGE_IDS).toEqual([
      'hz-pvclock',
      'set-clock-guest-v6',
      'c-via-guest-tsc',
      'signed-compute-guest-tsc',
      'upscale-to-now',
      'masterclock-offset-tscs',
      'resync-after-set-tsc-khz',
      'keep-active-masterclock',
    ]);
    expect(Object.keys(CHANGES).sort()).toEqual([...CHANGE_IDS].sort());
    for (const id of CHANGE_IDS) {
      expect(CHANGES[id].id).toBe(id);
      for (const field of ['source', 'subject', 'effect'] as const) expect(CHANGES[id][field].length, `${id}.${field}`).toBeGreaterThan(0);
    }
  });

  it('queued for 7.4 (§0): c-via-guest-tsc abdef42276d8, signed-compute-guest-tsc d9173f59df3a, upscale-to-now 92fac63cc739; nothing else', () => {
    expect(Object.fromEntries(CHANGE_IDS.map((id) => [id, CHANGES[id].queued]))).toEqual({
      'hz-pvclock': null,
      'set-clock-guest-v6': null,
      'c-via-guest-tsc': 'abdef42276d8',
      'signed-compute-guest-tsc': 'd9173f59df3a',
      'upscale-to-now': '92fac63cc739',
      'masterclock-offset-tscs': null,
      'resync-after-set-tsc-khz': null,
      'keep-active-masterclock': null,
    });
  });

  it('the 7.4-queued preset is exactly the queued changes; keep-active-masterclock (not part of v6) is in no preset', () => {
    expect(CHANGE_IDS.filter((id) => CHANGES[id].queued !== null)).toEqual([...PRESETS['7.4-queued']].sort((a, b) => CHANGE_IDS.indexOf(a) - CHANGE_IDS.indexOf(b)));
    for (const p of PRESET_NAMES) expect(KernelProfile.parse(p).has('keep-active-masterclock'), p).toBe(false);
  });

  it('three presets, default 6.18 (the baseline, no change)', () => {
    expect(PRESET_NAMES).toEqual(['6.18', '7.4-queued', 'clocks-v6']);
    expect(DEFAULT_KERNEL).toBe('6.18');
    expect(KernelProfile.baseline.name).toBe('6.18');
    expect(KernelProfile.baseline.changes).toEqual([]);
  });

  it.each(PRESET_NAMES)('%s: has() answers per change as the §9 table says, and `changes` lists them in series order', (p) => {
    const profile = KernelProfile.parse(p);
    expect(profile.name).toBe(p);
    expect(profile.preset).toBe(p);
    for (const id of CHANGE_IDS) expect(profile.has(id), `${p} has ${id}`).toBe(TABLE[p].includes(id));
    expect(profile.changes).toEqual(TABLE[p]);
    expect(new Set(PRESETS[p])).toEqual(new Set(TABLE[p]));
  });

  it('toString and toJSON give the name as written (trimmed)', () => {
    const p = KernelProfile.parse('  7.4-queued+hz-pvclock \n');
    expect(String(p)).toBe('7.4-queued+hz-pvclock');
    expect(JSON.stringify({ kernel: p })).toBe('{"kernel":"7.4-queued+hz-pvclock"}');
  });
});

describe('compositions', () => {
  it('+change adds, −change removes, in order', () => {
    expect(KernelProfile.parse('7.4-queued+hz-pvclock').changes).toEqual(['hz-pvclock', 'c-via-guest-tsc', 'signed-compute-guest-tsc', 'upscale-to-now']);
    expect(KernelProfile.parse('clocks-v6-hz-pvclock').has('hz-pvclock')).toBe(false);
    expect(KernelProfile.parse('6.18+keep-active-masterclock').changes).toEqual(['keep-active-masterclock']);
    expect(KernelProfile.parse('6.18+hz-pvclock-hz-pvclock').changes).toEqual([]);
    expect(KernelProfile.parse('6.18-hz-pvclock+hz-pvclock').changes).toEqual(['hz-pvclock']);
  });

  it('a change id that starts with a preset-like text, or that contains "-", is matched whole', () => {
    // clocks-v6-set-clock-guest-v6: the preset clocks-v6, then −set-clock-guest-v6
    const p = KernelProfile.parse('clocks-v6-set-clock-guest-v6');
    expect(p.preset).toBe('clocks-v6');
    expect(p.has('set-clock-guest-v6')).toBe(false);
    expect(p.has('hz-pvclock')).toBe(true);
    expect(KernelProfile.parse('6.18+resync-after-set-tsc-khz+set-clock-guest-v6').changes).toEqual(['set-clock-guest-v6', 'resync-after-set-tsc-khz']);
  });

  it('idempotent: adding a change already in force or removing one that is not changes nothing', () => {
    for (const preset of PRESET_NAMES) {
      const base = KernelProfile.parse(preset);
      for (const id of CHANGE_IDS) {
        const twice = KernelProfile.parse(`${preset}+${id}+${id}`);
        expect(twice.changes).toEqual(KernelProfile.parse(`${preset}+${id}`).changes);
        const removedTwice = KernelProfile.parse(`${preset}-${id}-${id}`);
        expect(removedTwice.changes).toEqual(KernelProfile.parse(`${preset}-${id}`).changes);
        if (base.has(id)) expect(sameChanges(KernelProfile.parse(`${preset}+${id}`), base)).toBe(true);
        else expect(sameChanges(KernelProfile.parse(`${preset}-${id}`), base)).toBe(true);
      }
    }
  });

  it('sameChanges compares the sets, not the names', () => {
    const built = KernelProfile.parse('6.18+c-via-guest-tsc+signed-compute-guest-tsc+upscale-to-now');
    expect(built.name).not.toBe('7.4-queued');
    expect(sameChanges(built, KernelProfile.parse('7.4-queued'))).toBe(true);
    expect(sameChanges(KernelProfile.parse('clocks-v6-hz-pvclock-set-clock-guest-v6-masterclock-offset-tscs-resync-after-set-tsc-khz'), KernelProfile.parse('7.4-queued'))).toBe(true);
    expect(sameChanges(KernelProfile.parse('7.4-queued+hz-pvclock'), KernelProfile.parse('7.4-queued'))).toBe(false);
  });

  it('aKernelProfile: undefined is the default 6.18, a KernelProfile passes through, a string is parsed', () => {
    expect(aKernelProfile(undefined)).toBe(KernelProfile.baseline);
    const p = KernelProfile.parse('clocks-v6');
    expect(aKernelProfile(p)).toBe(p);
    expect(aKernelProfile('clocks-v6').changes).toEqual(p.changes);
    expect(profileError(() => aKernelProfile(null, 'kernel')).argument).toBe('kernel');
  });
});

describe('typed errors for anything else', () => {
  const all = [...PRESET_NAMES, ...CHANGE_IDS];

  it.each(['6.19', '7.4', '', '   ', 'v6.18', '6.1', 'clocks', 'CLOCKS-V6', '+hz-pvclock'])('unknown preset %j: names it, lists the presets and every change id', (text) => {
    const e = profileError(() => KernelProfile.parse(text));
    expect(e.argument).toBe('kernel');
    expect(e.got).toBe(text.trim());
    expect(e.message.startsWith('"kernel" ')).toBe(true);
    expect(e.message).toContain(JSON.stringify(text.trim()));
    for (const id of all) expect(e.message).toContain(id);
  });

  it.each([
    ['6.18+hz', 'hz'],
    ['clocks-v6+', ''],
    ['7.4-queued-', ''],
    ['6.18+hz-pvclock+', ''],
    ['6.18++hz-pvclock', '+hz-pvclock'],
    ['6.18+nope', 'nope'],
    ['6.18+hz-pvclockx', 'hz-pvclockx'],
    ['6.18x', 'x'],
    ['6.18 + hz-pvclock', ' + hz-pvclock'],
    ['6.18+HZ-PVCLOCK', 'HZ-PVCLOCK'],
  ])('unknown change in %j: names the change %j and the profile, lists every change id', (text, change) => {
    const e = profileError(() => KernelProfile.parse(text));
    expect(e.got).toBe(text);
    expect(e.message).toContain(`unknown change ${JSON.stringify(change)}`);
    expect(e.message).toContain(JSON.stringify(text));
    for (const id of CHANGE_IDS) expect(e.message).toContain(id);
  });

  it.each([5, 6.18, null, undefined, true, 5n, {}, ['6.18'], new String('6.18')])('a non-string (%s) is the same error class, listing presets and changes', (v) => {
    const e = profileError(() => KernelProfile.parse(v as unknown));
    expect(e.argument).toBe('kernel');
    for (const id of all) expect(e.message).toContain(id);
  });

  it('the argument name is the caller’s', () => {
    expect(profileError(() => KernelProfile.parse('6.19', '--kernel')).message.startsWith('"--kernel" ')).toBe(true);
  });

  it('a very long junk profile is shortened in the message', () => {
    const e = profileError(() => KernelProfile.parse(`6.18+${'x'.repeat(500)}`));
    expect(e.message.length).toBeLessThan(600);
    expect(e.got.length).toBe(505); // the profile itself is kept whole on the error
  });
});

describe('parseKernelList', () => {
  it('parses a comma-separated list in order, each element trimmed', () => {
    const list = parseKernelList('6.18,7.4-queued, clocks-v6 ,7.4-queued+hz-pvclock');
    expect(list.map(String)).toEqual(['6.18', '7.4-queued', 'clocks-v6', '7.4-queued+hz-pvclock']);
    expect(list[3].has('hz-pvclock')).toBe(true);
    expect(parseKernelList('clocks-v6').map(String)).toEqual(['clocks-v6']);
  });

  it('profiles that differ by name only are both kept; the same name twice is refused', () => {
    expect(parseKernelList('7.4-queued,6.18+c-via-guest-tsc+signed-compute-guest-tsc+upscale-to-now')).toHaveLength(2);
    const e = profileError(() => parseKernelList('6.18,clocks-v6, 6.18'));
    expect(e.argument).toBe('kernel');
    expect(e.got).toBe('6.18');
    expect(e.message).toContain('twice');
  });

  it('a bad element names its index in the argument', () => {
    const e = profileError(() => parseKernelList('6.18,6.19'));
    expect(e.argument).toBe('kernel[1]');
    expect(e.got).toBe('6.19');
    expect(profileError(() => parseKernelList('6.18,,clocks-v6')).argument).toBe('kernel[1]');
    expect(profileError(() => parseKernelList('6.18,', '--kernel')).argument).toBe('--kernel[1]');
  });

  it('an empty list or a non-string is refused, listing the presets and changes', () => {
    for (const v of ['', '   ', undefined, null, 5, ['6.18']]) {
      const e = profileError(() => parseKernelList(v));
      expect(e.argument).toBe('kernel');
      for (const id of [...PRESET_NAMES, ...CHANGE_IDS]) expect(e.message).toContain(id);
    }
  });
});
