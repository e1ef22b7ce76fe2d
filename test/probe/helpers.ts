/** Fixtures recorded on real KVM guests and synthetic native-reader output for the probe tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KvmclockApi } from '../../src/api.js';
import type { PvclockRecord } from '../../src/model/pvclock-record.js';
import type { NativeSample, NtpState, PairReading } from '../../src/probe/native-output.js';
import { kvmclockAt } from '../../src/probe/record.js';

const DIR = fileURLToPath(new URL('../fixtures/probe/', import.meta.url));

/** A file of test/fixtures/probe/<guest>/. */
export function fixture(guest: string, file: string): string {
  return readFileSync(join(DIR, guest, file), 'utf8');
}

/** The directory of a recording in test/fixtures/probe/. */
export function fixtureDir(guest: string): string {
  return join(DIR, guest);
}

/** A guest whose current clocksource is tsc (CLOCK_MONOTONIC_RAW runs on D). */
export const GUEST = 'firecracker-6.18';

/** A guest whose current clocksource is kvm-clock (the TSC marked unstable on the command line). */
export const KVM_CLOCK_GUEST = 'firecracker-6.18-kvm-clock';

/**
 * Another kvm-clock guest (recorded on the machine this probe was developed on): the host's
 * 2,096,019 kHz floors to a pvclock_tsc_khz of 2,096,018, and the kernel printed the host's value.
 */
export const KVM_CLOCK_HOST_KHZ_GUEST = 'firecracker-6.18-kvm-clock-host-khz';

/** The record of that guest. */
export const KVM_CLOCK_HOST_KHZ_RECORD: PvclockRecord = { version: 20, tscTimestamp: 2_084_810_689_262_910n, systemTime: 1_352_755_529n, tscToSystemMul: 4_098_214_086, tscShift: -1, flags: 1 };

/** The record of the kvm-clock guest. */
export const KVM_CLOCK_RECORD: PvclockRecord = { version: 22, tscTimestamp: 2_069_770_448_573_583n, systemTime: 1_339_980_105n, tscToSystemMul: 4_098_188_668, tscShift: -1, flags: 1 };

/** The record of the recorded guest. */
export const GUEST_RECORD: PvclockRecord = { version: 40, tscTimestamp: 3_563_924_857n, systemTime: 1_371_246_844n, tscToSystemMul: 3_308_757_408, tscShift: -1, flags: 1 };

export const IDLE_NTP: NtpState = { state: 5, status: 64, freq: 0n, tick: 10_000n, offset: 0n };

export interface SyntheticClock {
  /** D's factors. */
  readonly mult: number;
  readonly shift: number;
  /** The raw clock reads rawAt0 ns at TSC tsc0. */
  readonly tsc0: bigint;
  readonly rawAt0: bigint;
}

/** RAW at a TSC, exactly as the timekeeper's closed form (floor). */
export function rawAt(c: SyntheticClock, tsc: bigint): bigint {
  return c.rawAt0 + ((tsc - c.tsc0) * BigInt(c.mult)) / (1n << BigInt(c.shift));
}

/**
 * A sample as the native reader would print it for a guest whose raw clock is `c`: each
 * clock read at `tsc + readOffset` inside a window [tsc, tsc + window]. MONOTONIC runs at
 * RAW's rate here; REALTIME is RAW plus an epoch.
 */
export function syntheticSample(record: PvclockRecord, c: SyntheticClock, tsc: bigint, o: { window?: bigint; readOffset?: bigint; after?: PvclockRecord } = {}): NativeSample {
  const w = o.window ?? 100n;
  const off = o.readOffset ?? w / 2n;
  const pair = (clock: PairReading['clock'], at: bigint, add: bigint): PairReading => ({ clock, tscBefore: at, tscAfter: at + w, ns: rawAt(c, at + off) + add, tries: 1000 });
  return {
    hypervisor: 'KVMKVMKVM',
    pageSource: 'vvar_vclock',
    before: { record, retries: 0 },
    after: { record: o.after ?? record, retries: 0 },
    pairs: { raw: pair('raw', tsc, 0n), mono: pair('mono', tsc + 1000n, 7n), real: pair('real', tsc + 2000n, 1_700_000_000_000_000_000n) },
    ntp: IDLE_NTP,
  };
}

/**
 * A sample as the native reader would print it on a guest whose clocks run on kvm-clock:
 * RAW and MONOTONIC are the record's ns (read at `tsc + readOffset` inside a window
 * [tsc, tsc + window]) plus constants.
 */
export function kvmclockSample(api: KvmclockApi, record: PvclockRecord, tsc: bigint, o: { rawConst: bigint; monoConst: bigint; window?: bigint; readOffset?: bigint; rawExtra?: bigint }): NativeSample {
  const w = o.window ?? 84n;
  const off = o.readOffset ?? w / 2n;
  const pair = (clock: PairReading['clock'], at: bigint, add: bigint): PairReading => ({ clock, tscBefore: at, tscAfter: at + w, ns: kvmclockAt(api, record, at + off) + add, tries: 1000 });
  return {
    hypervisor: 'bhyve_bhyve_',
    pageSource: 'vvar_vclock',
    before: { record, retries: 0 },
    after: { record, retries: 0 },
    pairs: { raw: pair('raw', tsc, o.rawConst + (o.rawExtra ?? 0n)), mono: pair('mono', tsc + 1000n, o.monoConst), real: pair('real', tsc + 2000n, 1_796_000_000_000_000_000n) },
    ntp: IDLE_NTP,
  };
}
