/**
 * The timeline API (src/model/timeline.ts): validation of timeline documents with errors
 * naming `events[i].field`, kernel failures recorded on the event with the run going on
 * and the state unchanged, discontinuities (instant, size, sign, cause), guest reads in
 * the samples, and the example files of test/fixtures/timelines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kvmclock } from '../../src/index.js';
import { DEFAULT_START, parseTimeline, runTimeline, type TimelineResult } from '../../src/model/timeline.js';
import { BACKEND_NAMES } from '../helpers/backend-names.js';

const TIMELINES_DIR = fileURLToPath(new URL('../fixtures/timelines/', import.meta.url));
const FIXTURES = readdirSync(TIMELINES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (name: string): unknown => JSON.parse(readFileSync(`${TIMELINES_DIR}${name}`, 'utf8'));

const HOST = { tscKhz: 2_500_000, vendor: 'vmx' };
const doc = (events: unknown[], extra: Record<string, unknown> = {}) => ({ host: HOST, events, ...extra });

/** The error `f` throws (fails the test if it returns). */
function thrown(f: () => unknown): Error & { code?: string; argument?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string; argument?: string };
  }
  throw new Error('expected an error, none was thrown');
}

describe('parseTimeline: errors name the field', () => {
  const sample = { at: '1s', type: 'sample' };
  it.each([
    ['an unknown event type', doc([sample, { at: '2s', type: 'reboot' }]), 'events[1].type', 'range'],
    ['a missing event type', doc([{ at: '2s' }]), 'events[0].type', 'range'],
    ['a negative vCPU', doc([sample, { at: '2s', type: 'setTscKhz', vcpu: -1, khz: 1_000_000 }]), 'events[1].vcpu', 'range'],
    ['a fractional vCPU', doc([{ at: '2s', type: 'getClockGuest', vcpu: 0.5 }]), 'events[0].vcpu', 'type'],
    ['a string vCPU', doc([{ at: '2s', type: 'getClockGuest', vcpu: 'one' }]), 'events[0].vcpu', 'type'],
    ['a missing instant', doc([sample, sample, { type: 'sample' }]), 'events[2].at', 'type'],
    ['events out of order', doc([{ at: '2s', type: 'sample' }, sample]), 'events[1].at', 'range'],
    ['both at and atTsc', doc([{ at: '1s', atTsc: '1000000000000', type: 'sample' }]), 'events[0].at', 'type'],
    ['a malformed duration', doc([{ at: '5 days', type: 'sample' }]), 'events[0].at', 'type'],
    ['a duration with an unknown unit', doc([{ at: '3fortnights', type: 'sample' }]), 'events[0].at', 'type'],
    ['a negative duration (number)', doc([{ at: -1, type: 'sample' }]), 'events[0].at', 'range'],
    ['a negative duration (string)', doc([{ at: '-1s', type: 'sample' }]), 'events[0].at', 'type'],
    ['a sub-nanosecond duration', doc([{ at: '1.5ns', type: 'sample' }]), 'events[0].at', 'range'],
    ['an atTsc before start', doc([{ atTsc: '999999999999', type: 'sample' }]), 'events[0].at', 'range'],
    ['an atTsc beyond u64', doc([{ atTsc: '18446744073709551616', type: 'sample' }]), 'events[0].atTsc', 'range'],
    ['a missing kHz', doc([{ at: '1s', type: 'setTscKhz', vcpu: 0 }]), 'events[0].khz', 'type'],
    ['a kHz beyond u32', doc([{ at: '1s', type: 'setTscKhz', vcpu: 0, khz: 2 ** 32 }]), 'events[0].khz', 'range'],
    ['a negative clock', doc([{ at: '1s', type: 'setClock', clock: '-1' }]), 'events[0].clock', 'range'],
    ['a float clock', doc([{ at: '1s', type: 'setClock', clock: 1.5 }]), 'events[0].clock', 'type'],
    ['a TSC value beyond u64', doc([{ at: '1s', type: 'hostWriteTsc', value: '18446744073709551616' }]), 'events[0].value', 'range'],
    ['a TSC_ADJUST beyond s64', doc([{ at: '1s', type: 'guestWriteTscAdjust', value: '9223372036854775808' }]), 'events[0].value', 'range'],
    ['an unknown resnapshot variant', doc([{ at: '1s', type: 'resnapshot', variant: 'smooth' }]), 'events[0].variant', 'range'],
    ['an unknown clocksource', doc([{ at: '1s', type: 'clocksourceChange', to: 'hpet' }]), 'events[0].to', 'range'],
    ['a clocksource kHz of 0', doc([{ at: '1s', type: 'clocksourceChange', to: 'tsc', tscKhz: 0 }]), 'events[0].tscKhz', 'range'],
    ['a record shift beyond s8', doc([{ at: '1s', type: 'setClockGuest', record: { tscTimestamp: '0', systemTime: '0', tscToSystemMul: 1, tscShift: 200 } }]), 'events[0].record.tscShift', 'range'],
    ['a record without systemTime', doc([{ at: '1s', type: 'setClockGuest', record: { tscTimestamp: '0', tscToSystemMul: 1, tscShift: 0 } }]), 'events[0].record.systemTime', 'type'],
    ['vendor arm', { host: { tscKhz: 2_500_000, vendor: 'arm' }, events: [] }, 'host.vendor', 'range'],
    ['a host kHz of 0', { host: { tscKhz: 0, vendor: 'vmx' }, events: [] }, 'host.tscKhz', 'range'],
    ['a host kHz of 2^32', { host: { tscKhz: 2 ** 32, vendor: 'svm' }, events: [] }, 'host.tscKhz', 'range'],
    ['a missing host kHz', { host: { vendor: 'svm' }, events: [] }, 'host.tscKhz', 'type'],
    ['a guest kHz of 0', doc([], { guestTscKhz: 0 }), 'guestTscKhz', 'range'],
    ['a guest kHz of 2^32', doc([], { guestTscKhz: 2 ** 32 }), 'guestTscKhz', 'range'],
    ['an unknown matching rule', doc([], { tscMatchingRule: 'old' }), 'tscMatchingRule', 'range'],
    ['a non-boolean stable bit', doc([], { guestStableBit: 'yes' }), 'guestStableBit', 'type'],
    ['too many vCPUs', doc([], { vcpus: 5000 }), 'vcpus', 'range'],
    ['a negative start', doc([], { start: '-1' }), 'start', 'range'],
    ['events not an array', { host: HOST, events: {} }, 'events', 'type'],
    ['a non-object event', doc([42]), 'events[0]', 'type'],
    ['no host', { events: [] }, 'host', 'type'],
    ['not an object', [], 'timeline', 'type'],
  ] as const)('%s → %s', (_what, input, argument, code) => {
    const e = thrown(() => parseTimeline(input));
    expect(e.code).toBe(code);
    expect(e.argument).toBe(argument);
    expect(e.message).toContain(argument);
  });

  it('parses instants as durations after start (at the host kHz) or absolute TSC values, and decimal strings as integers', () => {
    const t = parseTimeline(
      doc([
        { at: '1.5s', type: 'sample' },
        { at: 2, type: 'sample' },
        { atTsc: '1006000000000', type: 'sample' },
        { at: '1d', type: 'setClock', clock: '18446744073709551615', flags: 4, realtime: 5 },
        { at: '1d', type: 'guestWriteTscAdjust', vcpu: 0, value: '-9223372036854775808' },
      ]),
    );
    expect(t.start).toBe(DEFAULT_START);
    expect(t.events.map((e) => e.at)).toEqual([DEFAULT_START + 3_750_000_000n, DEFAULT_START + 5_000_000_000n, 1_006_000_000_000n, DEFAULT_START + 216_000_000_000_000n, DEFAULT_START + 216_000_000_000_000n]);
    expect(t.events[3]).toMatchObject({ type: 'setClock', clock: (1n << 64n) - 1n, flags: 4, realtime: 5n });
    expect(t.events[4]).toMatchObject({ type: 'guestWriteTscAdjust', vcpu: 0, value: -(1n << 63n) });
    expect(t.vcpus).toBe(1);
  });
});

describe.each(BACKEND_NAMES)('runTimeline on the %s backend', (backend) => {
  const api = kvmclock(backend);
  const run = (d: unknown): TimelineResult => runTimeline(api, parseTimeline(d));

  it('an event on a vCPU that does not exist is a range error naming the event and the field', () => {
    const e = thrown(() => run(doc([{ at: '1s', type: 'sample' }, { at: '2s', type: 'guestWriteTsc', vcpu: 3, value: '0' }])));
    expect(e.code).toBe('range');
    expect(e.message).toContain('events[1]');
    expect(e.message).toContain('vcpu');
  });

  it('records kernel failures on the event (ok: false, code) and runs on with the state unchanged', () => {
    const host = { tscKhz: 2_500_000, vendor: 'svm' };
    const failing = [
      { at: '1s', type: 'setTscKhz', vcpu: 0, khz: 640_000_000 }, // ≥ max_guest_tsc_khz (SVM, 256×)
      { at: '2s', type: 'setClock', clock: '0', flags: 1 }, // unknown flag
      { at: '3s', type: 'setClockGuest', vcpu: 0, record: { tscTimestamp: '0', systemTime: '0', tscToSystemMul: 2147483648, tscShift: 1 } },
      { at: '4s', type: 'getClockGuest', vcpu: 1 }, // no master clock (2 vCPUs, unmatched)
    ];
    const prefix = [{ at: '500ms', type: 'hostWriteTsc', vcpu: 1, value: '77777777777777' }]; // unmatched: master clock off
    const tail = [{ at: '5s', type: 'resnapshot', variant: 'legacy' }, { at: '6s', type: 'sample' }];
    const r = run({ host, vcpus: 2, events: [...prefix, ...failing, ...tail] });
    expect(r.events.map((e) => [e.ok, e.error?.code])).toEqual([[true, undefined], ...failing.map(() => [false, 'EINVAL']), [true, undefined], [true, undefined]]);
    expect(r.events[1].error?.message).toContain('max_guest_tsc_khz');
    expect(r.discontinuities.filter((d) => d.eventIndex >= 1 && d.eventIndex <= 4)).toEqual([]);
    // The same run with the failing events replaced by samples ends in the same state.
    const control = run({ host, vcpus: 2, events: [...prefix, ...failing.map((e) => ({ at: e.at, type: 'sample' })), ...tail] });
    expect(r.samples).toEqual(control.samples);
    expect(r.discontinuities).toEqual(control.discontinuities);
    for (const id of [0, 1]) expect(r.vm.vcpu(id)).toEqual(control.vm.vcpu(id));
    expect([r.vm.kvmclockOffset, r.vm.masterClock, r.vm.tscMatching]).toEqual([control.vm.kvmclockOffset, control.vm.masterClock, control.vm.tscMatching]);
  });

  it('a legacy re-snapshot is a backward B discontinuity of exactly A − B on every vCPU; A does not move', () => {
    const r = run(doc([{ at: '1d', type: 'sample' }, { at: '1d', type: 'resnapshot', variant: 'legacy' }], { guestTscKhz: 1_000_000, vcpus: 2 }));
    const at = r.events[1].at;
    for (const id of [0, 1]) {
      const before = r.samples.find((s) => s.at === at && s.vcpu === id);
      expect(before).toBeDefined();
      const b = r.discontinuities.filter((d) => d.vcpu === id && d.quantity === 'B');
      expect(b).toEqual([{ at, vcpu: id, quantity: 'B', step: before!.a - before!.b, sign: 'backward', eventIndex: 1, cause: 'resnapshot' }]);
      expect(b[0].step).toBe(-91_530_383n); // §9.3, 2.5 → 1.0 GHz VMX after one day
      expect(r.discontinuities.filter((d) => d.vcpu === id && (d.quantity === 'A' || d.quantity === 'guestTsc'))).toEqual([]);
      const c = r.discontinuities.find((d) => d.vcpu === id && d.quantity === 'C');
      expect(c?.step).toBe(before!.a - before!.c); // C also snaps to A
    }
  });

  it('a continuous re-snapshot leaves B alone; kvmclock_offset moves, so A (and C, by B − C) step instead', () => {
    const r = run(doc([{ at: '1d', type: 'sample' }, { at: '1d', type: 'resnapshot', variant: 'continuous' }], { guestTscKhz: 1_000_000 }));
    const at = r.events[1].at;
    const before = r.samples.find((s) => s.at === at)!;
    const steps = Object.fromEntries(r.discontinuities.map((d) => [d.quantity, d]));
    expect(Object.keys(steps).sort()).toEqual(['A', 'C']);
    expect(steps.A).toMatchObject({ at, vcpu: 0, step: before.b - before.a, sign: 'forward', eventIndex: 1, cause: 'resnapshot' });
    expect(steps.A.step).toBe(91_530_383n);
    expect(steps.C.step).toBe(before.b - before.c);
    expect(steps.C.step).toBe(86_400_658n); // the tgt_tsc_khz drift (§9.2, +1000 ppb)
    const after = r.samples.filter((s) => s.at === at).at(-1)!;
    expect(after.b).toBe(before.b);
    expect(after.a).toBe(before.b);
    expect(after.c).toBe(before.b);
  });

  it('an unscaled guest’s continuous re-snapshot moves only A (B = C already)', () => {
    const r = run(doc([{ at: '1d', type: 'resnapshot', variant: 'continuous' }]));
    expect(r.discontinuities.map((d) => [d.quantity, d.step])).toEqual([['A', 5_129_725n]]);
  });

  it('samples carry the guest-visible read: the stable bit lets a backward step through, without it the guard clamps', () => {
    for (const guestStableBit of [true, false]) {
      const r = run(doc([{ at: '2d', type: 'sample' }, { at: '2d', type: 'createVcpu' }, { at: '172800.000001s', type: 'sample' }], { tscMatchingRule: 'legacy', guestStableBit }));
      expect(r.events[1].vcpuId).toBe(1);
      const v0 = r.samples.filter((s) => s.vcpu === 0);
      const [, pre, post, later] = v0; // start, 2d (sample), 2d (after hotplug), 2d + 1 µs
      expect(pre.guestRead).toBe(pre.b);
      expect(post.b - pre.b).toBe(pre.a - pre.b);
      expect(post.b - pre.b).toBe(-10_259_449n); // 2 days of +59.37 ppb (§9.1) back to A
      if (guestStableBit) {
        expect(post.guestRead).toBe(post.b);
        expect(post.clamped).toBe(false);
        expect(later.guestRead).toBe(later.b);
      } else {
        expect(post.guestRead).toBe(pre.guestRead);
        expect(post.clamped).toBe(true);
        expect(later.guestRead).toBe(pre.guestRead); // still behind last_value 1 µs later
        expect(later.clamped).toBe(true);
      }
      expect(r.samples.filter((s) => s.vcpu === 1).length).toBe(2);
    }
  });

  it('get-style events return their data; setClockGuest without a record uses the last getClockGuest', () => {
    const r = run(
      doc(
        [
          { at: '1h', type: 'getClock' },
          { at: '1h', type: 'getClockGuest', vcpu: 0 },
          { at: '2h', type: 'setClockGuest', vcpu: 0 },
        ],
        { guestTscKhz: 1_000_000 },
      ),
    );
    expect(r.events[0].clockData?.flags).toBe(14);
    expect(r.events[0].clockData?.clock).toBe(r.samples.find((s) => s.at === r.events[0].at)?.c);
    expect(r.events[1].record?.flags).toBe(1);
    expect(r.events[2].ok).toBe(true);
    // B does not step; A and C are re-anchored on it.
    expect(r.discontinuities.filter((d) => d.quantity === 'B')).toEqual([]);
    const last = r.samples.at(-1)!;
    expect([last.a, last.c]).toEqual([last.b, last.b]);
  });

  describe('the example timelines in test/fixtures/timelines', () => {
    it('there are several, hotplug.json among them', () => {
      expect(FIXTURES).toContain('hotplug.json');
      expect(FIXTURES.length).toBeGreaterThanOrEqual(4);
    });

    it.each(FIXTURES)('%s parses and runs', (name) => {
      const d = load(name) as { events: unknown[] };
      const r = run(d);
      expect(r.events.length).toBe(d.events.length);
      expect(r.samples.length).toBeGreaterThan(0);
      for (const s of r.samples) expect(s.clamped).toBe(s.guestRead !== s.b);
    });

    it('hotplug.json: vCPU 1 hotplugged after 5 days steps vCPU 0’s guest clock back by A − B ≈ 25.6 ms, visibly', () => {
      const r = run(load('hotplug.json'));
      expect(r.events.every((e) => e.ok)).toBe(true);
      const hotplug = r.events.findIndex((e) => e.type === 'createVcpu');
      const at = r.events[hotplug].at;
      const before = r.samples.filter((s) => s.at === at && s.vcpu === 0)[0];
      const b = r.discontinuities.filter((d) => d.quantity === 'B');
      expect(b).toEqual([{ at, vcpu: 0, quantity: 'B', step: before.a - before.b, sign: 'backward', eventIndex: hotplug, cause: 'createVcpu' }]);
      expect(b[0].step).toBe(-25_648_624n);
      const afterHotplug = r.samples.filter((s) => s.at === at && s.vcpu === 0).at(-1)!;
      expect(afterHotplug.guestRead - before.guestRead).toBe(-25_648_624n);
      expect(r.vm.masterClock.cycleNow).toBe(at);
      expect(r.vm.vcpuCount).toBe(2);
    });

    it('hotplug.json under the current matching rule: the matched hotplug does not re-snapshot, so nothing steps', () => {
      const r = run({ ...(load('hotplug.json') as object), tscMatchingRule: 'current' });
      expect(r.discontinuities).toEqual([]);
      expect(r.vm.masterClock.cycleNow).toBe(DEFAULT_START);
    });

    it('kernel-failures.json: the refused requests are recorded as EINVAL and change nothing', () => {
      const r = run(load('kernel-failures.json'));
      expect(r.events.map((e) => (e.ok ? 'ok' : e.error?.code))).toEqual(['EINVAL', 'EINVAL', 'EINVAL', 'ok', 'ok']);
      expect(r.discontinuities).toEqual([]);
    });

    it('clocksource.json: leaving the TSC drops the master clock (SET_CLOCK_GUEST fails), the next update takes it again', () => {
      const r = run(load('clocksource.json'));
      expect(r.events.map((e) => e.ok)).toEqual([true, true, false, true, true, true, true]);
      expect(r.events[3].clockData?.flags).toBe(0);
      expect(r.events[6].clockData?.flags).toBe(14);
      expect(r.discontinuities.filter((d) => d.eventIndex === 1).map((d) => d.quantity)).toEqual(['B', 'B']);
    });

    it('migration.json: SET_CLOCK from GET’s value steps B back by its drift from C; SET_CLOCK_GUEST keeps B', () => {
      const r = run(load('migration.json'));
      expect(r.events.every((e) => e.ok)).toBe(true);
      const b = r.discontinuities.filter((d) => d.quantity === 'B');
      expect(b.map((d) => d.cause)).toEqual(['setClock']);
      expect(b[0].sign).toBe('backward');
    });

    it('resnapshot-variants.json: legacy steps B back, continuous does not', () => {
      const r = run(load('resnapshot-variants.json'));
      const byEvent = (i: number, q: string) => r.discontinuities.filter((d) => d.eventIndex === i && d.quantity === q).map((d) => d.step);
      expect(byEvent(1, 'B')).toEqual([-91_530_383n, -91_530_383n]);
      expect(byEvent(2, 'B')).toEqual([]);
      expect(byEvent(2, 'A').every((s) => s > 0n)).toBe(true);
    });

    it('tsc-writes.json: the first VMM write drops the master clock until the second matches it; a guest TSC write jumps B', () => {
      const r = run(load('tsc-writes.json'));
      expect(r.events.every((e) => e.ok)).toBe(true);
      const guestWrite = r.discontinuities.filter((d) => d.eventIndex === 3 && d.vcpu === 1).map((d) => [d.quantity, d.sign]);
      expect(guestWrite).toEqual([
        ['guestTsc', 'forward'],
        ['B', 'forward'],
      ]);
      const adjustBack = r.discontinuities.filter((d) => d.eventIndex === 4).map((d) => [d.quantity, d.sign]);
      expect(adjustBack).toEqual([
        ['guestTsc', 'backward'],
        ['B', 'backward'],
      ]);
      expect(r.vm.masterClock.inUse).toBe(false);
      expect(r.vm.masterClock.blockers).toEqual(['vcpus-not-matched']);
    });
  });
});
