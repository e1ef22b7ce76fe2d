/** Fixtures recorded on a real KVM guest and synthetic native-reader output for the probe tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PvclockRecord } from '../../src/model/pvclock-record.js';
import type { NativeSample, NtpState, PairReading } from '../../src/probe/native-output.js';

const DIR = fileURLToPath(new URL('../fixtures/probe/', import.meta.url));

/** A file of test/fixtures/probe/<guest>/. */
export function fixture(guest: string, file: string): string {
  return readFileSync(join(DIR, guest, file), 'utf8');
}

export const GUEST = 'firecracker-6.18';

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
