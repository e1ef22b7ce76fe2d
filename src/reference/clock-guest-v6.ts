/**
 * KVM_GET_CLOCK_GUEST and KVM_SET_CLOCK_GUEST as posted in v6 05/36 (kernel-variants §7),
 * with hvclock_to_hz, the frequency estimate SET checks the user's record with.
 */
import type { ClockGuestRecord, SetClockGuestV6Result } from '../backend.js';
import { KernelRuleError } from '../errors.js';
import { NSEC_PER_SEC, PVCLOCK_TSC_STABLE_BIT } from '../units.js';
import { lo64, s64 } from './c-types.js';
import { pvclockRead } from './pvclock.js';
import { getTimeScale } from './time-scale.js';
import { readL1Tsc, scaleTsc, tgtTscHz } from './tsc.js';

/** 10^9·2^34: the numerator hvclock_to_hz divides. */
const HV_NUMERATOR = NSEC_PER_SEC << 34n;

/** Trailing zero bits of a non-zero u32. */
function trailingZeros(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * hvclock_to_hz(mul, shift): the TSC frequency in Hz a pvclock (mul, shift) stands for,
 * approximately — ⌊10^9·2^34 / (mul ≫ z)⌋ (z the trailing zeros of mul), then shifted by
 * s = s8(shift + 2 + z): right for s > 0, left (bits lost) for s ≤ 0, 0 when |s| ≥ 64.
 * mul 0 never terminates in the kernel's trailing-zero loop: `hang`.
 */
export function hvclockToHz(mul: number, shift: number): bigint {
  if (mul === 0) throw new KernelRuleError('hang', 'hvclock_to_hz never terminates for tsc_to_system_mul = 0 (it strips trailing zero bits of mul)');
  const z = trailingZeros(mul);
  const tm = HV_NUMERATOR / BigInt(mul >>> z);
  const s = ((shift + 2 + z + 128) & 255) - 128; // s8 arithmetic wraps
  if (s >= 64 || s <= -64) return 0n;
  return s > 0 ? tm >> BigInt(s) : lo64(tm << BigInt(-s));
}

/**
 * v6 KVM_SET_CLOCK_GUEST, in the ioctl's order: EINVAL for non-zero pads, mul 0 or a shift
 * outside ±31; the user's frequency hvclock_to_hz(mul, shift); EINVAL if the master clock is
 * off after the in-ioctl snapshot (useMasterClock, M, K); EINVAL if host_khz·1000 ≡ 0; the
 * host frequency scaled by the vCPU ratio (no clamp) must be within ±1000 Hz of the user's,
 * both bounds in wrapping u64 (ERANGE); the guest TSC at M must not be below the record's
 * tsc_timestamp (EINVAL); then kvmclock_offset = s64(record(g) − K). The old offset plays no part.
 */
export function setClockGuestV6(
  record: ClockGuestRecord,
  padsNonzero: boolean,
  useMasterClock: boolean,
  masterCycleNow: bigint,
  masterKernelNs: bigint,
  l1Offset: bigint,
  ratio: bigint,
  frac: number,
  hostKhz: bigint,
  hasControl: boolean,
): SetClockGuestV6Result {
  const einval = (why: string) => new KernelRuleError('EINVAL', `KVM_SET_CLOCK_GUEST (v6) returns -EINVAL: ${why}`);
  if (padsNonzero) throw einval('a padding field of the record is not zero');
  if (record.mul === 0) throw einval('tsc_to_system_mul is 0');
  if (record.shift < -31 || record.shift > 31) throw einval(`tsc_shift ${record.shift} is outside -31..31`);
  const userHz = hvclockToHz(record.mul, record.shift);
  if (!useMasterClock) throw einval('the master clock is not in use after the snapshot');
  let hostHz = lo64(hostKhz * 1000n);
  if (hostHz === 0n) throw einval(`host_khz ${hostKhz} times 1000 is 0 modulo 2^64`);
  if (hasControl) hostHz = scaleTsc(hostHz, ratio, frac);
  const low = lo64(hostHz - 1000n);
  const high = lo64(hostHz + 1000n);
  if (userHz < low || userHz > high) {
    throw new KernelRuleError('ERANGE', `KVM_SET_CLOCK_GUEST (v6) returns -ERANGE: the record's frequency ${userHz} Hz (hvclock_to_hz) is outside [${low}, ${high}] Hz, the vCPU's ${hostHz} Hz ± 1000 in wrapping u64`);
  }
  const guestTsc = readL1Tsc(masterCycleNow, l1Offset, ratio, frac);
  if (guestTsc < record.tscTimestamp) throw einval(`the guest TSC at the new reference (${guestTsc}) is below the record's tsc_timestamp (${record.tscTimestamp})`);
  const ns = pvclockRead(guestTsc, record.tscTimestamp, record.systemTime, record.mul, record.shift);
  return { kvmclockOffset: s64(ns - masterKernelNs), guestTsc };
}

/** The baseline's tgt_tsc_khz for a u64 host kHz: scaled and floored in kHz, 0 forced to 1. */
function scaledKhz(hostKhz: bigint, ratio: bigint, frac: number, hasControl: boolean): bigint {
  if (!hasControl) return hostKhz;
  const khz = scaleTsc(hostKhz, ratio, frac);
  return khz === 0n ? 1n : khz;
}

/**
 * v6 KVM_GET_CLOCK_GUEST after the clock update it runs first: EINVAL when that update
 * cannot run (host_khz·1000 ≡ 0) or the master clock is off; else the vCPU's record —
 * tsc_timestamp = read_l1(M), system_time = lo64(K + kvmclock_offset), the vCPU's pvclock
 * mul/shift (from the Hz frequency with `hzPvclock`, from the floored kHz otherwise), and
 * PVCLOCK_TSC_STABLE when `tscStable` (always with 05/36 alone; with 22/36 only when all
 * offsets matched).
 */
export function getClockGuestV6(
  hzPvclock: boolean,
  useMasterClock: boolean,
  masterCycleNow: bigint,
  masterKernelNs: bigint,
  kvmclockOffset: bigint,
  l1Offset: bigint,
  ratio: bigint,
  frac: number,
  hostKhz: bigint,
  hasControl: boolean,
  tscStable: boolean,
): ClockGuestRecord {
  const einval = (why: string) => new KernelRuleError('EINVAL', `KVM_GET_CLOCK_GUEST (v6) returns -EINVAL: ${why}`);
  if (lo64(hostKhz * 1000n) === 0n) throw einval(`the clock update it runs first fails: host_khz ${hostKhz} times 1000 is 0 modulo 2^64`);
  if (!useMasterClock) throw einval('the master clock is not in use');
  const hz = hzPvclock ? tgtTscHz(hostKhz, ratio, frac, hasControl) : lo64(scaledKhz(hostKhz, ratio, frac, hasControl) * 1000n);
  const scale = getTimeScale(NSEC_PER_SEC, hz);
  return {
    tscTimestamp: readL1Tsc(masterCycleNow, l1Offset, ratio, frac),
    systemTime: lo64(masterKernelNs + kvmclockOffset),
    mul: scale.mul,
    shift: scale.shift,
    flags: tscStable ? PVCLOCK_TSC_STABLE_BIT : 0,
  };
}
