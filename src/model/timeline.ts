/**
 * The timeline API: a host, a VM and a list of events at host TSC instants; run them on
 * the model and get, per vCPU, the guest TSC, A, B, C and what the guest's clock read
 * returns at every event and sample instant, plus every discontinuity (a quantity that
 * changed at an instant because of an event, not because time passed).
 *
 * A timeline is validated as a whole before it runs: a malformed event gets a typed
 * error naming `events[i].field`. Kernel-defined failures of an event (−EINVAL, a
 * divide error) do not stop the run: they are recorded on the event, whose operation
 * changed nothing — a VMM sees the same.
 */
import type { KvmclockApi } from '../api.js';
import { parseDurationNs } from '../duration.js';
import { ArgumentRangeError, ArgumentTypeError, KernelRuleError, isKvmclockError, type KvmclockError } from '../errors.js';
import { KernelProfile } from '../kernel/profile.js';
import { KVM_CLOCK_REALTIME } from '../units.js';
import { aBool, aS32, aS64, aU32, aU32NonZero, aU64 } from '../validate.js';
import { Host, type HostOptions } from './host.js';
import { aPvclockRecord, type PvclockRecord } from './pvclock-record.js';
import { type KvmClockData, type TscMatchingRule, Vm } from './vm.js';
import { VENDORS, type Vendor } from './vendor.js';

export type TimelineEvent =
  | { readonly at: bigint; readonly type: 'createVcpu' }
  | { readonly at: bigint; readonly type: 'setTscKhz'; readonly vcpu: number; readonly khz: number }
  | { readonly at: bigint; readonly type: 'hostWriteTsc'; readonly vcpu: number; readonly value: bigint }
  | { readonly at: bigint; readonly type: 'guestWriteTsc'; readonly vcpu: number; readonly value: bigint }
  | { readonly at: bigint; readonly type: 'guestWriteTscAdjust'; readonly vcpu: number; readonly value: bigint }
  | { readonly at: bigint; readonly type: 'setTscOffset'; readonly vcpu: number; readonly offset: bigint }
  | { readonly at: bigint; readonly type: 'getClock' }
  | { readonly at: bigint; readonly type: 'setClock'; readonly clock: bigint; readonly flags: number; readonly realtime: bigint }
  | { readonly at: bigint; readonly type: 'getClockGuest'; readonly vcpu: number }
  /** `record` omitted: the record of the last successful getClockGuest. */
  | { readonly at: bigint; readonly type: 'setClockGuest'; readonly vcpu: number; readonly record?: PvclockRecord }
  | { readonly at: bigint; readonly type: 'resnapshot'; readonly variant: 'legacy' | 'continuous'; readonly vcpu: number }
  | { readonly at: bigint; readonly type: 'clockUpdate' }
  | { readonly at: bigint; readonly type: 'kvmclockCtrl'; readonly vcpu: number }
  | { readonly at: bigint; readonly type: 'clocksourceChange'; readonly to: 'tsc' | 'other'; readonly tscKhz?: number }
  | { readonly at: bigint; readonly type: 'run' }
  | { readonly at: bigint; readonly type: 'pause' }
  | { readonly at: bigint; readonly type: 'sample' };

export type TimelineEventType = TimelineEvent['type'];

export const EVENT_TYPES: readonly TimelineEventType[] = [
  'createVcpu',
  'setTscKhz',
  'hostWriteTsc',
  'guestWriteTsc',
  'guestWriteTscAdjust',
  'setTscOffset',
  'getClock',
  'setClock',
  'getClockGuest',
  'setClockGuest',
  'resnapshot',
  'clockUpdate',
  'kvmclockCtrl',
  'clocksourceChange',
  'run',
  'pause',
  'sample',
];

export interface Timeline {
  readonly host: HostOptions;
  /** Host TSC at VM creation; event instants may not precede it. */
  readonly start: bigint;
  readonly guestTscKhz?: number;
  readonly tscMatchingRule?: TscMatchingRule;
  readonly guestStableBit?: boolean;
  /** The kernel profile the VM follows (default 6.18). */
  readonly kernel?: KernelProfile;
  /** vCPUs created at `start` before the events (default 1). */
  readonly vcpus?: number;
  readonly events: readonly TimelineEvent[];
}

/** One vCPU's clocks at one instant. */
export interface TimelineSample {
  readonly at: bigint;
  readonly vcpu: number;
  readonly guestTsc: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly c: bigint;
  /** What the guest's clock read returns (after the last_value guard unless TSC_STABLE applies). */
  readonly guestRead: bigint;
  /** Whether the guard clamped the value (guestRead ≠ B). */
  readonly clamped: boolean;
}

export type ClockQuantity = 'guestTsc' | 'A' | 'B' | 'C';

export interface Discontinuity {
  readonly at: bigint;
  readonly vcpu: number;
  readonly quantity: ClockQuantity;
  /** After minus before at the same instant (s64; cycles for guestTsc, ns otherwise). */
  readonly step: bigint;
  readonly sign: 'forward' | 'backward';
  /** The event that caused it: its index and type. */
  readonly eventIndex: number;
  readonly cause: TimelineEventType;
}

export interface EventOutcome {
  readonly index: number;
  readonly at: bigint;
  readonly type: TimelineEventType;
  readonly ok: boolean;
  /** For a failed event: the kernel's error code and message (the model state is unchanged). */
  readonly error?: { readonly code: string; readonly message: string };
  /** What a get-style event returned. */
  readonly clockData?: KvmClockData;
  readonly record?: PvclockRecord;
  readonly vcpuId?: number;
}

export interface TimelineResult {
  readonly events: readonly EventOutcome[];
  readonly samples: readonly TimelineSample[];
  readonly discontinuities: readonly Discontinuity[];
  /** The model after the last event. */
  readonly vm: Vm;
}

const QUANTITIES: readonly ClockQuantity[] = ['guestTsc', 'A', 'B', 'C'];

/** Run a validated timeline on the model. */
export function runTimeline(api: KvmclockApi, t: Timeline): TimelineResult {
  const host = new Host(api, t.host);
  const vm = new Vm(host, { at: t.start, guestTscKhz: t.guestTscKhz, tscMatchingRule: t.tscMatchingRule, guestStableBit: t.guestStableBit, kernel: t.kernel });
  for (let i = 0; i < (t.vcpus ?? 1); i++) vm.createVcpu(t.start);
  vm.run(t.start);

  const events: EventOutcome[] = [];
  const samples: TimelineSample[] = [];
  const discontinuities: Discontinuity[] = [];
  let savedRecord: PvclockRecord | undefined;

  const observe = (at: bigint): Map<number, Record<ClockQuantity, bigint>> => {
    const seen = new Map<number, Record<ClockQuantity, bigint>>();
    for (let id = 0; id < vm.vcpuCount; id++) {
      const c = vm.clocks(id, at);
      seen.set(id, { guestTsc: c.guestTsc, A: c.a, B: c.b, C: c.c });
    }
    return seen;
  };
  const sample = (at: bigint) => {
    for (let id = 0; id < vm.vcpuCount; id++) {
      if (vm.vcpu(id).pvti === null) continue;
      const c = vm.clocks(id, at);
      const r = vm.guestRead(id, at);
      samples.push({ at, vcpu: id, guestTsc: c.guestTsc, a: c.a, b: c.b, c: c.c, guestRead: r.result, clamped: r.result !== r.raw });
    }
  };

  sample(t.start);
  t.events.forEach((e, index) => {
    const before = observe(e.at);
    const outcome: { -readonly [K in keyof EventOutcome]: EventOutcome[K] } = { index, at: e.at, type: e.type, ok: true };
    try {
      applyEvent(vm, e, outcome, () => savedRecord, (r) => (savedRecord = r));
    } catch (err) {
      if (isKernelFailure(err)) {
        outcome.ok = false;
        outcome.error = { code: err.code, message: err.message };
      } else if (isKvmclockError(err) && (err.code === 'range' || err.code === 'type')) {
        throw prefixed(err, `events[${index}]`);
      } else {
        throw err;
      }
    }
    events.push(outcome);
    const after = observe(e.at);
    for (const [id, now] of after) {
      const was = before.get(id);
      if (was === undefined) continue;
      for (const q of QUANTITIES) {
        if (now[q] === was[q]) continue;
        const step = BigInt.asIntN(64, now[q] - was[q]);
        discontinuities.push({ at: e.at, vcpu: id, quantity: q, step, sign: step < 0n ? 'backward' : 'forward', eventIndex: index, cause: e.type });
      }
    }
    sample(e.at);
  });
  return { events, samples, discontinuities, vm };
}

function isKernelFailure(e: unknown): e is KvmclockError {
  return isKvmclockError(e) && e.code !== 'range' && e.code !== 'type' && e.code !== 'internal';
}

/** Name the event in an argument error: `"vcpu" expected …` becomes `"events[3].vcpu" expected …`. */
function prefixed(e: KvmclockError, where: string): KvmclockError {
  const argument = (e as { argument?: string }).argument;
  e.message = argument !== undefined && e.message.startsWith(`"${argument}"`) ? `"${where}.${argument}"${e.message.slice(argument.length + 2)}` : `${where}: ${e.message}`;
  return e;
}

function applyEvent(vm: Vm, e: TimelineEvent, out: { clockData?: KvmClockData; record?: PvclockRecord; vcpuId?: number }, saved: () => PvclockRecord | undefined, save: (r: PvclockRecord) => void): void {
  switch (e.type) {
    case 'createVcpu':
      out.vcpuId = vm.createVcpu(e.at);
      return;
    case 'setTscKhz':
      return vm.setTscKhz(e.vcpu, e.at, e.khz);
    case 'hostWriteTsc':
      return vm.hostWriteTsc(e.vcpu, e.at, e.value);
    case 'guestWriteTsc':
      return vm.guestWriteTsc(e.vcpu, e.at, e.value);
    case 'guestWriteTscAdjust':
      return vm.guestWriteTscAdjust(e.vcpu, e.at, e.value);
    case 'setTscOffset':
      return vm.setTscOffset(e.vcpu, e.at, e.offset);
    case 'getClock':
      out.clockData = vm.getClock(e.at);
      return;
    case 'setClock':
      return vm.setClock(e.at, { clock: e.clock, flags: e.flags, realtime: e.realtime });
    case 'getClockGuest':
      out.record = vm.getClockGuest(e.vcpu, e.at);
      save(out.record);
      return;
    case 'setClockGuest': {
      const record = e.record ?? saved();
      if (record === undefined) throw new KernelRuleError('EINVAL', 'setClockGuest without a record: no earlier getClockGuest succeeded');
      return vm.setClockGuest(e.vcpu, e.at, record);
    }
    case 'resnapshot':
      return vm.resnapshot(e.at, e.variant, e.vcpu);
    case 'clockUpdate':
      return vm.clockUpdate(e.at);
    case 'kvmclockCtrl':
      return vm.markGuestStopped(e.vcpu, e.at);
    case 'clocksourceChange':
      return vm.hostClocksourceChange(e.at, e.to, e.tscKhz);
    case 'run':
      return vm.run(e.at);
    case 'pause':
      return vm.pause(e.at);
    case 'sample':
      return;
  }
}

// ------------------------------------------------------------------ JSON input

/**
 * Parse and validate a timeline document (see the README's schema). Integers that may
 * exceed 2^53 are decimal strings; instants are `at` (a duration after `start`, e.g.
 * "1d", "300ms", or seconds) or `atTsc` (an absolute host TSC as a decimal string).
 * Events must be in time order. Errors name the field, e.g. `events[3].vcpu`.
 */
export function parseTimeline(doc: unknown): Timeline {
  const root = aObject(doc, 'timeline');
  onlyKeys(root, 'timeline', ['description', 'host', 'start', 'guestTscKhz', 'tscMatchingRule', 'guestStableBit', 'kernel', 'vcpus', 'events']);
  const hostIn = aObject(root.host, 'host');
  onlyKeys(hostIn, 'host', ['tscKhz', 'vendor', 'hasTscControl', 'tscTolerancePpm', 'offsBootNs', 'realtimeOffsetNs', 'realtimeErrorPpb', 'tickCycles']);
  const vendor = hostIn.vendor;
  if (typeof vendor !== 'string' || !(VENDORS as readonly string[]).includes(vendor)) throw ArgumentRangeError.choice('host.vendor', VENDORS, String(vendor));
  const start = root.start === undefined ? DEFAULT_START : aU64(aBigInt(root.start, 'start'), 'start');
  const host: HostOptions = {
    // The host's raw clock (and true time) start at 0 at `start`, as on the standard reference.
    rawClock: { cycleLast: start, rawSec: 0n, xtimeNsec: 0n },
    tscKhz: aKhz(hostIn.tscKhz, 'host.tscKhz'),
    vendor: vendor as Vendor,
    hasTscControl: hostIn.hasTscControl === undefined ? undefined : aBool(hostIn.hasTscControl, 'host.hasTscControl'),
    tscTolerancePpm: hostIn.tscTolerancePpm === undefined ? undefined : aU32(hostIn.tscTolerancePpm, 'host.tscTolerancePpm'),
    offsBootNs: hostIn.offsBootNs === undefined ? undefined : aS64(aBigInt(hostIn.offsBootNs, 'host.offsBootNs'), 'host.offsBootNs'),
    realtimeOffsetNs: hostIn.realtimeOffsetNs === undefined ? undefined : aS64(aBigInt(hostIn.realtimeOffsetNs, 'host.realtimeOffsetNs'), 'host.realtimeOffsetNs'),
    realtimeErrorPpb: hostIn.realtimeErrorPpb === undefined ? undefined : aS32(hostIn.realtimeErrorPpb, 'host.realtimeErrorPpb'),
    tickCycles: hostIn.tickCycles === undefined ? undefined : aU64(aBigInt(hostIn.tickCycles, 'host.tickCycles'), 'host.tickCycles'),
  };

  const vcpus = root.vcpus === undefined ? 1 : aU32(root.vcpus, 'vcpus');
  if (vcpus > 1024) throw new ArgumentRangeError('vcpus', 'count', 0n, 1024n, vcpus);
  const rule = root.tscMatchingRule;
  if (rule !== undefined && rule !== 'current' && rule !== 'legacy') throw ArgumentRangeError.choice('tscMatchingRule', ['current', 'legacy'], String(rule));
  if (!Array.isArray(root.events)) throw new ArgumentTypeError('events', 'an array of events', root.events);
  const khz = host.tscKhz;
  let previous = start;
  const events = root.events.map((raw, i): TimelineEvent => {
    const where = `events[${i}]`;
    const e = aObject(raw, where);
    const at = instant(e, where, start, khz);
    if (at < previous) throw new ArgumentRangeError(`${where}.at`, 'host TSC', previous, 0xffff_ffff_ffff_ffffn, at, 'events must be in time order');
    previous = at;
    return parseEvent(e, where, at);
  });
  return {
    host,
    start,
    guestTscKhz: root.guestTscKhz === undefined ? undefined : aKhz(root.guestTscKhz, 'guestTscKhz'),
    tscMatchingRule: rule as TscMatchingRule | undefined,
    guestStableBit: root.guestStableBit === undefined ? undefined : aBool(root.guestStableBit, 'guestStableBit'),
    kernel: root.kernel === undefined ? undefined : KernelProfile.parse(root.kernel, 'kernel'),
    vcpus,
    events,
  };
}

/** Default host TSC at VM creation: the spec's standard reference M = 10^12. */
export const DEFAULT_START = 1_000_000_000_000n;

/** The fields each event type takes besides `at`/`atTsc`/`type`. */
const EVENT_FIELDS: Readonly<Record<TimelineEventType, readonly string[]>> = {
  createVcpu: [],
  setTscKhz: ['vcpu', 'khz'],
  hostWriteTsc: ['vcpu', 'value'],
  guestWriteTsc: ['vcpu', 'value'],
  guestWriteTscAdjust: ['vcpu', 'value'],
  setTscOffset: ['vcpu', 'offset'],
  getClock: [],
  setClock: ['clock', 'flags', 'realtime'],
  getClockGuest: ['vcpu'],
  setClockGuest: ['vcpu', 'record'],
  resnapshot: ['variant', 'vcpu'],
  clockUpdate: [],
  kvmclockCtrl: ['vcpu'],
  clocksourceChange: ['to', 'tscKhz'],
  run: [],
  pause: [],
  sample: [],
};

function parseEvent(e: Record<string, unknown>, where: string, at: bigint): TimelineEvent {
  const type = e.type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) throw ArgumentRangeError.choice(`${where}.type`, EVENT_TYPES, String(type));
  onlyKeys(e, where, ['at', 'atTsc', 'type', ...EVENT_FIELDS[type as TimelineEventType]]);
  const vcpu = () => aU32(e.vcpu ?? 0, `${where}.vcpu`);
  const u64 = (k: string) => aU64(aBigInt(e[k], `${where}.${k}`), `${where}.${k}`);
  switch (type as TimelineEventType) {
    case 'createVcpu':
    case 'getClock':
    case 'run':
    case 'pause':
    case 'sample':
      return { at, type: type as 'createVcpu' | 'getClock' | 'run' | 'pause' | 'sample' };
    case 'setTscKhz':
      return { at, type: 'setTscKhz', vcpu: vcpu(), khz: aU32(e.khz, `${where}.khz`) };
    case 'hostWriteTsc':
    case 'guestWriteTsc':
      return { at, type: type as 'hostWriteTsc' | 'guestWriteTsc', vcpu: vcpu(), value: u64('value') };
    case 'guestWriteTscAdjust':
      return { at, type: 'guestWriteTscAdjust', vcpu: vcpu(), value: aS64(aBigInt(e.value, `${where}.value`), `${where}.value`) };
    case 'setTscOffset':
      return { at, type: 'setTscOffset', vcpu: vcpu(), offset: u64('offset') };
    case 'setClock': {
      const flags = e.flags === undefined ? 0 : aU32(e.flags, `${where}.flags`);
      // KVM_SET_CLOCK with REALTIME and realtime 0 would add the whole CLOCK_REALTIME value.
      if (flags & KVM_CLOCK_REALTIME && e.realtime === undefined) throw new ArgumentTypeError(`${where}.realtime`, 'the source CLOCK_REALTIME (ns) when flags has KVM_CLOCK_REALTIME (4)', undefined);
      return { at, type: 'setClock', clock: u64('clock'), flags, realtime: e.realtime === undefined ? 0n : u64('realtime') };
    }
    case 'getClockGuest':
      return { at, type: 'getClockGuest', vcpu: vcpu() };
    case 'setClockGuest':
      return { at, type: 'setClockGuest', vcpu: vcpu(), record: e.record === undefined ? undefined : parseRecord(e.record, `${where}.record`) };
    case 'resnapshot': {
      const variant = e.variant ?? 'legacy';
      if (variant !== 'legacy' && variant !== 'continuous') throw ArgumentRangeError.choice(`${where}.variant`, ['legacy', 'continuous'], String(variant));
      return { at, type: 'resnapshot', variant, vcpu: vcpu() };
    }
    case 'clockUpdate':
      return { at, type: 'clockUpdate' };
    case 'kvmclockCtrl':
      return { at, type: 'kvmclockCtrl', vcpu: vcpu() };
    case 'clocksourceChange': {
      const to = e.to;
      if (to !== 'tsc' && to !== 'other') throw ArgumentRangeError.choice(`${where}.to`, ['tsc', 'other'], String(to));
      return { at, type: 'clocksourceChange', to, tscKhz: e.tscKhz === undefined ? undefined : aKhz(e.tscKhz, `${where}.tscKhz`) };
    }
  }
}

function parseRecord(v: unknown, where: string): PvclockRecord {
  const r = aObject(v, where);
  return aPvclockRecord(
    {
      version: r.version,
      tscTimestamp: aBigInt(r.tscTimestamp, `${where}.tscTimestamp`),
      systemTime: aBigInt(r.systemTime, `${where}.systemTime`),
      tscToSystemMul: r.tscToSystemMul,
      tscShift: r.tscShift,
      flags: r.flags,
    },
    where,
  );
}

function instant(e: Record<string, unknown>, where: string, start: bigint, khz: number): bigint {
  if (e.at !== undefined && e.atTsc !== undefined) throw new ArgumentTypeError(`${where}.at`, 'either "at" or "atTsc", not both', e.at);
  if (e.atTsc !== undefined) return aU64(aBigInt(e.atTsc, `${where}.atTsc`), `${where}.atTsc`);
  if (e.at === undefined) throw new ArgumentTypeError(`${where}.at`, 'a duration after start ("1d", "300ms", seconds) or "atTsc"', undefined);
  const ns = parseDurationNs(e.at, `${where}.at`);
  return aU64(start + (ns * BigInt(khz)) / 1_000_000n, `${where}.at`);
}

/** Reject keys a schema object does not define (a typo must not pass silently). */
function onlyKeys(o: Record<string, unknown>, where: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw ArgumentRangeError.choice(`${where}.${key}`, allowed, `unknown field ${key}`);
  }
}

function aObject(v: unknown, name: string): Record<string, unknown> {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new ArgumentTypeError(name, 'an object', v);
}

/** A JSON integer: a decimal string (any size, `-` allowed) or a safe-integer number. */
function aBigInt(v: unknown, name: string): bigint {
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new ArgumentTypeError(name, 'an integer (a decimal string for values beyond 2^53)', v);
}

function aKhz(v: unknown, name: string): number {
  return aU32NonZero(v, name, 'a TSC frequency of 0 kHz');
}
