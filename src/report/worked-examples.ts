/**
 * The spec's worked numbers, recomputed live on a backend: the tables `npm start`
 * prints. Every integer is what the kernel computes; rates are exact fractions of the
 * kernel's fixed-point factors, rounded only when printed.
 */
import type { KvmclockApi } from '../api.js';
import { pvclockRate } from '../model/rates.js';
import { type Ratio, ppbOf } from '../rational.js';
import { DEFAULT_TSC_TOLERANCE_PPM, SVM_FRAC_BITS, SVM_MAX_RATIO, U64_MAX, VMX_FRAC_BITS, VMX_MAX_RATIO } from '../units.js';

const NS_PER_S = 1_000_000_000n;

/** ns per host cycle of a clocksource mult/shift relative to the nominal 10^6/khz ns. */
function clocksourceRateVsNominal(mult: number, shift: number, khz: number): Ratio {
  return { num: BigInt(mult) * BigInt(khz), den: (1n << BigInt(shift)) * 1_000_000n };
}

export interface TimeScaleRow {
  readonly tscKhz: number;
  readonly shift: number;
  readonly mul: number;
  /** Conversion rate error vs nominal, ppb (exact fraction). */
  readonly errorPpb: Ratio;
}

export interface ClocksourceRow {
  readonly tscKhz: number;
  readonly mult: number;
  readonly shift: number;
  readonly maxadj: number;
  /** CLOCK_MONOTONIC_RAW rate vs tsc_khz, ppb (exact fraction). */
  readonly rawErrorPpb: Ratio;
}

export interface ScaledGuestRow {
  readonly vendor: 'vmx' | 'svm';
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly ratio: bigint;
  readonly tgtKhz: bigint;
  readonly pvclockShift: number;
  readonly pvclockMul: number;
  /** Rate of B (guest pvclock per host cycle) relative to C (host pvclock), ppb. */
  readonly bMinusCPpb: Ratio;
}

export interface OneSecondExample {
  readonly hostKhz: number;
  readonly guestKhz: number;
  readonly a: bigint;
  readonly b: bigint;
  readonly c: bigint;
}

export interface WorkedExamples {
  readonly backend: string;
  readonly timeScale: readonly TimeScaleRow[];
  readonly clocksource: readonly ClocksourceRow[];
  readonly scaledGuests: readonly ScaledGuestRow[];
  readonly oneSecond: OneSecondExample;
  readonly tolerance: { readonly hostKhz: number; readonly ppm: number; readonly lo: number; readonly hi: number };
}

const TIME_SCALE_KHZ = [1, 999_999, 1_000_000, 1_999_999, 2_000_000, 2_499_999, 2_500_000, 3_000_000, 10_000_000, 4_294_967_295];
const CLOCKSOURCE_KHZ = [1_000_000, 2_000_000, 2_100_000, 2_400_000, 2_500_000, 2_893_202, 3_000_000, 3_700_000, 4_700_000, 10_000_000];
const SCALED_PAIRS: readonly (readonly [number, number])[] = [
  [2_500_000, 1_000_000],
  [2_500_000, 2_000_000],
  [2_500_000, 3_000_000],
  [3_000_000, 1_000_000],
  [3_000_000, 1_500_000],
  [3_000_000, 2_500_000],
];
const VENDORS = [
  { vendor: 'vmx', frac: VMX_FRAC_BITS, maxRatio: VMX_MAX_RATIO },
  { vendor: 'svm', frac: SVM_FRAC_BITS, maxRatio: SVM_MAX_RATIO },
] as const;

/** Compute every worked example on the given API. */
export function computeWorkedExamples(api: KvmclockApi): WorkedExamples {
  const timeScale = TIME_SCALE_KHZ.map((tscKhz) => {
    const { shift, mul } = api.getTimeScale(NS_PER_S, BigInt(tscKhz) * 1000n);
    const rate = pvclockRate(mul, shift); // ns per cycle × (khz·1000/10^9) gives the rate vs nominal
    return { tscKhz, shift, mul, errorPpb: ppbOf({ num: rate.num * BigInt(tscKhz) * 1000n, den: rate.den * NS_PER_S }) };
  });

  const clocksource = CLOCKSOURCE_KHZ.map((tscKhz) => {
    const cs = api.clocksourceKhz(tscKhz);
    return { tscKhz, mult: cs.mult, shift: cs.shift, maxadj: cs.maxadj, rawErrorPpb: ppbOf(clocksourceRateVsNominal(cs.mult, cs.shift, tscKhz)) };
  });

  const scaledGuests: ScaledGuestRow[] = [];
  for (const { vendor, frac, maxRatio } of VENDORS) {
    for (const [hostKhz, guestKhz] of SCALED_PAIRS) {
      const set = api.setTscKhz(guestKhz, hostKhz, true, frac, maxRatio, DEFAULT_TSC_TOLERANCE_PPM);
      const ratio = set.ratio ?? 1n << BigInt(frac);
      const tgtKhz = api.tgtTscKhz(hostKhz, ratio, frac, true);
      const g = api.getTimeScale(NS_PER_S, tgtKhz * 1000n);
      const h = api.getTimeScale(NS_PER_S, BigInt(hostKhz) * 1000n);
      const bRate = pvclockRate(g.mul, g.shift);
      const cRate = pvclockRate(h.mul, h.shift);
      // B per host cycle = (ratio/2^frac)·bRate; relative to C per host cycle = cRate.
      const bMinusC = { num: BigInt(ratio) * bRate.num * cRate.den, den: (1n << BigInt(frac)) * bRate.den * cRate.num };
      scaledGuests.push({ vendor, hostKhz, guestKhz, ratio, tgtKhz, pvclockShift: g.shift, pvclockMul: g.mul, bMinusCPpb: ppbOf(bMinusC) });
    }
  }

  return { backend: api.backend, timeScale, clocksource, scaledGuests, oneSecond: oneSecond(api, 2_500_000, 1_000_000), tolerance: toleranceWindow(api, 2_500_000) };
}

/**
 * One second after a master-clock snapshot at host TSC M = 10^12 (raw clock and
 * every offset zero), for a VMX guest: A from the raw clock, B from the guest's
 * scaled TSC and pvclock, C from the host TSC and host scale.
 */
function oneSecond(api: KvmclockApi, hostKhz: number, guestKhz: number): OneSecondExample {
  const frac = VMX_FRAC_BITS;
  const m = 1_000_000_000_000n;
  const h = m + BigInt(hostKhz) * 1000n;
  const cs = api.clocksourceKhz(hostKhz);
  const ratio = api.setTscKhz(guestKhz, hostKhz, true, frac, U64_MAX, DEFAULT_TSC_TOLERANCE_PPM).ratio ?? 1n << BigInt(frac);
  const tgt = api.tgtTscKhz(hostKhz, ratio, frac, true);
  const g = api.getTimeScale(NS_PER_S, tgt * 1000n);
  const host = api.getTimeScale(NS_PER_S, BigInt(hostKhz) * 1000n);
  const a = api.rawNs(h, m, 0n, 0n, cs.mult, cs.shift);
  const tscTimestamp = api.readL1Tsc(m, 0n, ratio, frac);
  const b = api.pvclockRead(api.readL1Tsc(h, 0n, ratio, frac), tscTimestamp, 0n, g.mul, g.shift);
  const c = api.pvclockRead(h, m, 0n, host.mul, host.shift);
  return { hostKhz, guestKhz, a, b, c };
}

function toleranceWindow(api: KvmclockApi, hostKhz: number) {
  const ppm = DEFAULT_TSC_TOLERANCE_PPM;
  return { hostKhz, ppm, lo: api.adjustTscKhz(hostKhz, -ppm), hi: api.adjustTscKhz(hostKhz, ppm) };
}
