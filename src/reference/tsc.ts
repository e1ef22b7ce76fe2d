/** §5 of the spec: TSC scaling ratios, offsets and the guest frequencies KVM derives. */
import type { SetTscKhzResult } from '../backend.js';
import { ArithmeticFaultError, KernelRuleError, isKvmclockError } from '../errors.js';
import { defaultRatio, lo32, lo64, s32, s64 } from './c-types.js';
import { mulS64U64Shr, mulU64U32Div, mulU64U64Shr } from './mul64.js';
import { getTimeScale } from './time-scale.js';

const KVM_MAX_GUEST_TSC_KHZ = 0x7fff_ffffn; // 2^31 − 1

/** kvm_scale_tsc: identity for the default ratio, else ⌊tsc·ratio/2^frac⌋ truncated to 64 bits. */
export function scaleTsc(tsc: bigint, ratio: bigint, frac: number): bigint {
  return ratio === defaultRatio(frac) ? tsc : mulU64U64Shr(tsc, ratio, frac);
}

/**
 * The ratio kvm_set_tsc_khz computes when hardware scaling is needed:
 * ⌊2^frac·user_khz/host_khz⌋ via the x86-64 mul_u64_u32_div, then the kernel's
 * rejection of a zero ratio or one at or above the vendor's maximum.
 */
export function tscRatio(userKhz: number, hostKhz: number, frac: number, maxRatio: bigint): bigint {
  const ratio = mulU64U32Div(defaultRatio(frac), userKhz, hostKhz);
  if (ratio === 0n) throw new KernelRuleError('zero', 'kvm_set_tsc_khz rejects a TSC scaling ratio of 0', ratio);
  if (ratio >= maxRatio) {
    throw new KernelRuleError('toolarge', `kvm_set_tsc_khz rejects a TSC scaling ratio >= max_tsc_scaling_ratio (${maxRatio})`, ratio);
  }
  return ratio;
}

/** kvm_compute_l1_tsc_offset: the L1 offset that makes the guest read targetTsc at hostTsc. */
export function computeL1TscOffset(targetTsc: bigint, hostTsc: bigint, ratio: bigint, frac: number): bigint {
  return lo64(targetTsc - scaleTsc(hostTsc, ratio, frac));
}

/** kvm_read_l1_tsc: offset + scale(host TSC), modulo 2^64. */
export function readL1Tsc(hostTsc: bigint, offset: bigint, ratio: bigint, frac: number): bigint {
  return lo64(offset + scaleTsc(hostTsc, ratio, frac));
}

/** kvm_calc_nested_tsc_offset: the L1 offset is scaled as a signed value, then the L2 offset added. */
export function nestedTscOffset(l1Offset: bigint, l2Offset: bigint, l2Mult: bigint, frac: number): bigint {
  const scaled = l2Mult === defaultRatio(frac) ? l1Offset : mulS64U64Shr(s64(l1Offset), l2Mult, frac);
  return lo64(scaled + l2Offset);
}

/** kvm_calc_nested_tsc_multiplier: the product of the two ratios in frac-bit fixed point. */
export function nestedTscMultiplier(l1Mult: bigint, l2Mult: bigint, frac: number): bigint {
  return l2Mult === defaultRatio(frac) ? l1Mult : mulU64U64Shr(l1Mult, l2Mult, frac);
}

/** adjust_tsc_khz: khz·(10^6 + ppm)/10^6 with the sum as a wrapping s32, the product in u64, result u32. */
export function adjustTscKhz(khz: number, ppm: number): number {
  const factor = s32(1_000_000n + BigInt(ppm)); // int arithmetic, sign-extended when widened
  return Number(lo32(lo64(BigInt(khz) * factor) / 1_000_000n));
}

/** kvm_caps.max_guest_tsc_khz: the fastest guest the vendor's largest ratio allows, capped at 2^31 − 1 kHz. */
export function maxGuestTscKhz(hostKhz: number, maxRatio: bigint, frac: number): number {
  const max = mulU64U64Shr(BigInt(hostKhz), maxRatio, frac);
  return Number(max < KVM_MAX_GUEST_TSC_KHZ ? max : KVM_MAX_GUEST_TSC_KHZ);
}

/** kvm_guest_time_update's tgt_tsc_khz: host kHz scaled by the L1 ratio (floored), 0 forced to 1. */
export function tgtTscKhz(hostKhz: number, ratio: bigint, frac: number, hasControl: boolean): bigint {
  let khz = BigInt(hostKhz);
  if (hasControl) {
    khz = scaleTsc(khz, ratio, frac);
    if (khz === 0n) khz = 1n;
  }
  return khz;
}

/**
 * `hz-pvclock` (v6 02/36): the guest TSC frequency kvm_guest_time_update derives the
 * pvclock from, in Hz. host_khz·1000 in wrapping u64 (0 abandons the update: `nofreq`), then
 * scaled by the L1 ratio with hardware scaling, a scaled 0 forced to 1 Hz. The baseline
 * is {@link tgtTscKhz} times 1000: floored in kHz first.
 */
export function tgtTscHz(hostKhz: bigint, ratio: bigint, frac: number, hasControl: boolean): bigint {
  let hz = lo64(hostKhz * 1000n);
  if (hz === 0n) throw new KernelRuleError('nofreq', `kvm_guest_time_update abandons the update: host_khz ${hostKhz} times 1000 is 0 modulo 2^64 (no frequency)`);
  if (hasControl) {
    hz = scaleTsc(hz, ratio, frac);
    if (hz === 0n) hz = 1n;
  }
  return hz;
}

/**
 * kvm_set_tsc_khz: virtual_tsc_mult/shift are always set for a non-zero request;
 * a request within ±tol ppm of the host (floored, inclusive thresholds) keeps the
 * default ratio; otherwise hardware scaling writes ⌊2^frac·user/host⌋, software
 * catch-up covers faster guests without hardware, and slower ones fail.
 */
export function setTscKhz(userKhz: number, hostKhz: number, hasControl: boolean, frac: number, maxRatio: bigint, tolPpm: number): SetTscKhzResult {
  const identity = defaultRatio(frac);
  if (userKhz === 0) {
    return { rc: -1, ratio: identity, useScaling: false, catchup: false, virtualTscShift: null, virtualTscMult: null };
  }
  const virtualScale = getTimeScale(BigInt(userKhz) * 1000n, 1_000_000_000n);
  const tol = BigInt(tolPpm);
  const threshLo = adjustTscKhz(hostKhz, Number(s32(-tol))); // -(u32) then passed as s32
  const threshHi = adjustTscKhz(hostKhz, Number(s32(tol)));
  const useScaling = userKhz < threshLo || userKhz > threshHi;
  const base = { useScaling, catchup: false, virtualTscShift: virtualScale.shift, virtualTscMult: virtualScale.mul };
  if (!useScaling) return { ...base, rc: 0, ratio: identity };
  if (!hasControl) {
    return userKhz > hostKhz ? { ...base, rc: 0, ratio: null, catchup: true } : { ...base, rc: -1, ratio: null };
  }
  let ratio: bigint;
  try {
    ratio = tscRatio(userKhz, hostKhz, frac, maxRatio);
  } catch (e) {
    if (e instanceof ArithmeticFaultError) {
      throw new ArithmeticFaultError('de', `kvm_set_tsc_khz: mul_u64_u32_div(2^${frac}, ${userKhz}, ${hostKhz}) raises #DE (${e.code})`);
    }
    if (isKvmclockError(e) && (e.code === 'zero' || e.code === 'toolarge')) return { ...base, rc: -1, ratio: null };
    throw e;
  }
  return { ...base, rc: 0, ratio };
}
