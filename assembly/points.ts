// The exact sweep point chain as a batch kernel: the spec's `abc` evaluation under a kernel
// profile (`abc_k`, kernel-variants sections 9-10), the scaling facts behind it and the
// master-clock re-snapshot step (`mclock_step_k`), and the Hyper-V reference TSC page KVM
// derives from the guest's record (guest-clock-abis section 1.2), for up to POINTS_CAPACITY
// points per call, with no JS call per point and no allocation.
//
// The reference chain is src/model/definitions.ts (`abc`, `resnapshotStep`) and
// src/sweep/exact-point.ts (`evaluatePoint`), in BigInt through the validated API. This file
// computes the same u64 values with the same helpers the scalar exports use (tsckhz.ts,
// timescale.ts, tsc.ts, pvclock.ts, clocksource.ts, hyperv.ts), in the same order of operations.
//
// Layout. The caller writes, per point, POINT_IN_WORDS u64 into the input buffer:
//   w0  host_khz (bits 0..31) | user_khz (bits 32..63)
//   w1  frac (bits 0..7) | PF_* flags
//   w2  max_ratio
//   w3  h, the host TSC of the evaluation; with PF_HORIZON the horizon in seconds instead,
//       and h = M + host_khz*1000*seconds (mod 2^64)
//   w4  labels for printing (points-text.ts): vendor slot (bits 0..7), kernel slot (8..23)
// and reads POINT_OUT_WORDS u64 per point from the output buffer (the O_* word indices).
// The other `abc` arguments (c0, raw_sec, xtime_nsec, offs_boot, kvmclock_offset, M,
// l1_offset) and tsc_tolerance_ppm are the same for a whole batch (pointsSetup).
//
// Failures the kernel defines (kvm_set_tsc_khz's divide error, a kvm_get_time_scale that
// never ends, an abandoned pvclock update, a master clock turned off, a host frequency the
// clocksource cannot register) leave a status other than STATUS_OK in the point's status
// word and the rest of its words unspecified: never a trap. The JS side evaluates such a
// point on the reference chain, which words the failure.
import { mulU64U64Shr } from "./mul128";
import { mulDiv96, quotientTop } from "./muldiv";
import { scaleDelta } from "./pvclock";
import { STATUS_DE, STATUS_DIV0, STATUS_HANG, STATUS_NOFREQ, STATUS_NOMASTER, STATUS_OK } from "./status";
import { TIME_SCALE_HANG, timeScale } from "./timescale";
import { adjustTscKhz } from "./tsckhz";
import { defaultRatio, readL1, scale } from "./tsc";
import { clocksourceRegister, kvmBaseNs, rawNs } from "./clocksource";
import { hvTscPage } from "./hyperv";
import { res0, resI0, resI1 } from "./out";
import { STATUS_INVALID } from "./status";

/** Points per call. */
// @ts-ignore: decorator
@inline const POINTS_CAPACITY: i32 = 1024;
// @ts-ignore: decorator
@inline const IN_WORDS: i32 = 5;
// @ts-ignore: decorator
@inline const OUT_WORDS: i32 = 19;

export const pointsIn: usize = memory.data(POINTS_CAPACITY * IN_WORDS * 8, 16);
export const pointsOut: usize = memory.data(POINTS_CAPACITY * OUT_WORDS * 8, 16);

/** Input flags (word w1, above the 8 bits of frac). */
export const PF_CONTROL: u32 = 1 << 8; // has_tsc_control
export const PF_HZ_PVCLOCK: u32 = 1 << 9; // profile change hz-pvclock
export const PF_C_VIA_GUEST_TSC: u32 = 1 << 10; // profile change c-via-guest-tsc
export const PF_KEEP_ACTIVE: u32 = 1 << 11; // profile change keep-active-masterclock
export const PF_HORIZON: u32 = 1 << 12; // w3 holds seconds, not h

/** Output words. */
export const O_STATUS: i32 = 0; // status (bits 0..31), scaling code (32..39), kvm_set_tsc_khz flags (40..47), Hyper-V page code (48..55)
export const O_CLOCKSOURCE: i32 = 1; // host clocksource mult (bits 0..31) | shift (32..63)
export const O_RATIO: i32 = 2; // the vCPU ratio (the default when none was written)
export const O_TGT_KHZ: i32 = 3; // tgt_tsc_khz (with hz-pvclock: floor(Hz / 1000))
export const O_GUEST_SCALE: i32 = 4; // guest pvclock mul (bits 0..31) | shift as s32 (32..63)
export const O_HOST_SCALE: i32 = 5; // the factors C uses, same packing
export const O_MASTER_KERNEL_NS: i32 = 6;
export const O_TSC_TIMESTAMP: i32 = 7;
export const O_SYSTEM_TIME: i32 = 8;
export const O_GUEST_TSC: i32 = 9;
export const O_A: i32 = 10;
export const O_B: i32 = 11;
export const O_C: i32 = 12;
export const O_STEP: i32 = 13; // legacy re-snapshot step (s64)
export const O_CONTINUOUS_OFFSET: i32 = 14; // continuous variant's kvmclock_offset (s64)
export const O_MAX_GUEST_KHZ: i32 = 15; // max_guest_tsc_khz
export const O_H: i32 = 16; // h
export const O_WORST: i32 = 17; // the largest of |B - A|, |B - C|, |C - A| (s64 differences) as a u64 magnitude
export const O_HV_SCALE: i32 = 18; // the Hyper-V page's tsc_scale (0 when the page is invalid)

/** Scaling codes (word O_STATUS bits 32..39), in the order of src/sweep/exact-point.ts's ScalingStatus. */
export const SCALING_SCALED: u32 = 0;
export const SCALING_WITHIN_TOLERANCE: u32 = 1;
export const SCALING_CATCH_UP: u32 = 2;
export const SCALING_REFUSED_SLOWER: u32 = 3;
export const SCALING_REFUSED_RATIO: u32 = 4;
export const SCALING_REFUSED_MAX_GUEST: u32 = 5;

/** kvm_set_tsc_khz flags (word O_STATUS bits 40..47): the ratio was written, scaling asked for, software catch-up. */
export const SET_WRITTEN: u32 = 1;
export const SET_USE_SCALING: u32 = 2;
export const SET_CATCHUP: u32 = 4;

/**
 * Hyper-V page codes (word O_STATUS bits 48..55): the page KVM computes from the point's record
 * (the master clock's, so PVCLOCK_TSC_STABLE is set and validity depends on mul/shift alone).
 * Invalid codes are hyperv.ts's HV_INVALID_* reasons; HVP_OVERFLOW is the #DE of its
 * mul_u64_u32_div (unreachable once the mul test passed, spec section 1.2 step 3).
 */
export const HVP_VALID: u32 = 0;
export const HVP_MUL: u32 = 2; // HV_INVALID_MUL: a guest TSC tick of 100 ns or more
export const HVP_OVERFLOW: u32 = 3;
/** PVCLOCK_TSC_STABLE_BIT: the record of a point has it (the standard reference runs the master clock). */
const TSC_STABLE: u32 = 1;

const NSEC_PER_SEC: u64 = 1_000_000_000;
const U64_MAX: u64 = 0xffff_ffff_ffff_ffff;

// Batch constants (pointsSetup).
let kC0: u64 = 0;
let kRawSec: u64 = 0;
let kXtime: u64 = 0;
let kOffsBoot: u64 = 0;
let kOffset: u64 = 0;
let kM: u64 = 0;
let kL1: u64 = 0;
let kTol: u32 = 0;

// What depends on the host frequency alone, for the last host seen (grids vary the host slowest).
let cHost: u32 = 0;
let cValid = false;
let cMult: u32 = 0;
let cShift: u32 = 0;
let cHostScale: u64 = 0; // kvm_get_time_scale(10^9, host_khz*1000), packed
let cLo: u32 = 0; // tolerance window, inclusive
let cHi: u32 = 0;

/** Points one call takes. */
export function pointsCapacity(): i32 {
  return POINTS_CAPACITY;
}

/** Byte offset of the input buffer (POINT_IN_WORDS u64 per point). */
export function pointsInput(): usize {
  return pointsIn;
}

/** Byte offset of the output buffer (POINT_OUT_WORDS u64 per point). */
export function pointsOutput(): usize {
  return pointsOut;
}

/** u64 words per point in the input buffer. */
export function pointInWords(): i32 {
  return IN_WORDS;
}

/** u64 words per point in the output buffer. */
export function pointOutWords(): i32 {
  return OUT_WORDS;
}

/**
 * The `abc` arguments shared by the next batches: the timekeeper (c0, raw_sec, xtime_nsec),
 * offs_boot and kvmclock_offset (s64 bit patterns), master_cycle_now M, the L1 TSC offset,
 * and kvm.tsc_tolerance_ppm.
 */
export function pointsSetup(c0: u64, rawSec: u64, xtimeNsec: u64, offsBoot: u64, kvmclockOffset: u64, m: u64, l1Offset: u64, tolPpm: u32): void {
  kC0 = c0;
  kRawSec = rawSec;
  kXtime = xtimeNsec;
  kOffsBoot = offsBoot;
  kOffset = kvmclockOffset;
  kM = m;
  kL1 = l1Offset;
  kTol = tolPpm;
  cValid = false;
}

// The host's clocksource, baseline C factors and tolerance window into the c* cache.
// Returns false for host 0 (no clocksource registers at 0 Hz).
// @ts-ignore: decorator
@inline
function hostFacts(host: u32): bool {
  if (cValid && cHost == host) return true;
  if (host == 0) return false;
  clocksourceRegister(host, 1000, U64_MAX);
  cMult = <u32>resI0;
  cShift = <u32>resI1;
  cHostScale = timeScale(NSEC_PER_SEC, <u64>host * 1000);
  cLo = adjustTscKhz(host, <i32>(0 - kTol));
  cHi = adjustTscKhz(host, <i32>kTol);
  cHost = host;
  cValid = true;
  return true;
}

// kvm_set_tsc_khz's choice (without virtual_tsc_{shift,mult}, which the chain does not use):
// setFlags and setRatio (the ratio written, else 0); false for its divide error.
let setFlags: u32 = 0;
let setRatio: u64 = 0;

// @ts-ignore: decorator
@inline
function chooseRatio(user: u32, host: u32, control: bool, frac: u32, maxRatio: u64): bool {
  if (user == 0) {
    setFlags = SET_WRITTEN;
    setRatio = defaultRatio(frac);
    return true;
  }
  if (user >= cLo && user <= cHi) {
    setFlags = SET_WRITTEN;
    setRatio = defaultRatio(frac);
    return true;
  }
  if (!control) {
    setFlags = user > host ? SET_USE_SCALING | SET_CATCHUP : SET_USE_SCALING;
    setRatio = 0;
    return true;
  }
  const ratio = mulDiv96(defaultRatio(frac), user, host);
  if (quotientTop != 0) return false;
  if (ratio == 0 || ratio >= maxRatio) {
    setFlags = SET_USE_SCALING;
    setRatio = 0;
    return true;
  }
  setFlags = SET_USE_SCALING | SET_WRITTEN;
  setRatio = ratio;
  return true;
}

// Store a failing status for point p.
// @ts-ignore: decorator
@inline
function fail(out: usize, status: i32): void {
  store<u64>(out, <u64><u32>status);
}

// One point: input at `inp`, output at `out`.
// @ts-ignore: decorator
@inline
function point(inp: usize, out: usize): void {
  const w0 = load<u64>(inp);
  const w1 = <u32>load<u64>(inp, 8);
  const maxRatio = load<u64>(inp, 16);
  const w3 = load<u64>(inp, 24);
  const host = <u32>w0;
  const user = <u32>(w0 >> 32);
  const frac = w1 & 0xff;
  const control = (w1 & PF_CONTROL) != 0;
  if (frac > 63) { fail(out, STATUS_DIV0); return; }
  if (!hostFacts(host)) { fail(out, STATUS_DIV0); return; }
  const m = kM;
  const h = (w1 & PF_HORIZON) != 0 ? m + <u64>host * 1000 * w3 : w3;

  // kvm_set_tsc_khz, then the ratio the vCPU runs with.
  if (!chooseRatio(user, host, control, frac, maxRatio)) { fail(out, STATUS_DE); return; }
  const flags = setFlags;
  const ratio = (flags & SET_WRITTEN) != 0 ? setRatio : defaultRatio(frac);

  // The guest pvclock's frequency and factors (kvm_guest_time_update).
  let tgt: u64;
  let hz: u64;
  if ((w1 & PF_HZ_PVCLOCK) != 0) {
    hz = <u64>host * 1000;
    if (hz == 0) { fail(out, STATUS_NOFREQ); return; }
    if (control) {
      hz = scale(hz, ratio, frac);
      if (hz == 0) hz = 1;
    }
    tgt = hz / 1000;
  } else {
    if (control) {
      tgt = scale(<u64>host, ratio, frac);
      if (tgt == 0) tgt = 1;
    } else {
      tgt = <u64>host;
    }
    hz = tgt * 1000;
  }
  const guestScale = timeScale(NSEC_PER_SEC, hz);
  if (guestScale == TIME_SCALE_HANG) { fail(out, STATUS_HANG); return; }
  const gMul = <u32>guestScale;
  const gShift = <i32><i8>(guestScale >> 32);

  // The factors C uses: the host's, or under c-via-guest-tsc the snapshot's master_tsc_scale.
  const viaGuest = (w1 & PF_C_VIA_GUEST_TSC) != 0;
  let hostScale = cHostScale;
  if (viaGuest) {
    let f = <u64>host * 1000;
    if (f != 0 && control) f = scale(f, ratio, frac);
    if (f == 0) { fail(out, STATUS_NOMASTER); return; }
    hostScale = timeScale(NSEC_PER_SEC, f);
  }
  if (hostScale == TIME_SCALE_HANG) { fail(out, STATUS_HANG); return; }
  const hMul = <u32>hostScale;
  const hShift = <i32><i8>(hostScale >> 32);

  // The master clock taken at M, and A, B, C at h.
  const mult = cMult, shift = cShift;
  const masterKernelNs = kvmBaseNs(m, kC0, kRawSec, kXtime, mult, shift, <i64>kOffsBoot);
  const systemTime = masterKernelNs + kOffset;
  const tscTimestamp = readL1(m, kL1, ratio, frac);
  const guestTsc = readL1(h, kL1, ratio, frac);
  const raw = rawNs(h, kC0, kRawSec, kXtime, mult, shift);
  const a = raw + kOffsBoot + kOffset;
  const b = systemTime + scaleDelta(guestTsc - tscTimestamp, gMul, gShift);
  let d = h - m;
  if (viaGuest && control) d = scale(d, ratio, frac);
  const c = systemTime + scaleDelta(d, hMul, hShift);

  // Re-snapshot at h: B snaps to A (legacy); the continuous offset keeps B; or nothing moves.
  let step: u64;
  let continuous: u64;
  if ((w1 & PF_KEEP_ACTIVE) != 0) {
    step = 0;
    continuous = kOffset;
  } else {
    step = a - b;
    continuous = b - (raw + kOffsBoot);
  }

  // Why the guest TSC is or is not scaled.
  const maxGuest = <u32>min<u64>(mulU64U64Shr(<u64>host, maxRatio, frac), 0x7fff_ffff);
  let code: u32;
  if (user >= maxGuest) code = SCALING_REFUSED_MAX_GUEST;
  else if ((flags & SET_USE_SCALING) == 0) code = SCALING_WITHIN_TOLERANCE;
  else if ((flags & SET_CATCHUP) != 0) code = SCALING_CATCH_UP;
  else if ((flags & SET_WRITTEN) == 0) code = control ? SCALING_REFUSED_RATIO : SCALING_REFUSED_SLOWER;
  else code = SCALING_SCALED;

  // The Hyper-V reference TSC page from the record (kvm_hv_setup_tsc_page on this vCPU's record).
  const hv = hvTscPage(gMul, gShift, tscTimestamp, systemTime, TSC_STABLE);
  const hvCode: u32 = hv == STATUS_OK ? HVP_VALID : hv == STATUS_INVALID ? <u32>resI0 : HVP_OVERFLOW;
  const hvScale: u64 = hv == STATUS_OK ? res0 : 0;

  store<u64>(out, <u64><u32>STATUS_OK | (<u64>code << 32) | (<u64>flags << 40) | (<u64>hvCode << 48));
  store<u64>(out, <u64>mult | (<u64>shift << 32), 8);
  store<u64>(out, ratio, 16);
  store<u64>(out, tgt, 24);
  store<u64>(out, <u64>gMul | (<u64><u32>gShift << 32), 32);
  store<u64>(out, <u64>hMul | (<u64><u32>hShift << 32), 40);
  store<u64>(out, masterKernelNs, 48);
  store<u64>(out, tscTimestamp, 56);
  store<u64>(out, systemTime, 64);
  store<u64>(out, guestTsc, 72);
  store<u64>(out, a, 80);
  store<u64>(out, b, 88);
  store<u64>(out, c, 96);
  store<u64>(out, step, 104);
  store<u64>(out, continuous, 112);
  store<u64>(out, <u64>maxGuest, 120);
  store<u64>(out, h, 128);
  store<u64>(out, max<u64>(magnitude(b - a), max<u64>(magnitude(b - c), magnitude(c - a))), 136);
  store<u64>(out, hvScale, 144);
}

// |x| of an s64 difference, as u64 (|INT64_MIN| = 2^63).
// @ts-ignore: decorator
@inline
function magnitude(x: u64): u64 {
  return <i64>x < 0 ? 0 - x : x;
}

/**
 * Evaluate points 0..n-1 of the input buffer into the output buffer. Returns the number of
 * points whose status is not STATUS_OK. n above the capacity is a caller bug and traps.
 */
export function pointsRun(n: i32): i32 {
  if (<u32>n > <u32>POINTS_CAPACITY) unreachable();
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const out = pointsOut + <usize>(i * OUT_WORDS * 8);
    point(pointsIn + <usize>(i * IN_WORDS * 8), out);
    if (<u32>load<u64>(out) != <u32>STATUS_OK) failed++;
  }
  return failed;
}
