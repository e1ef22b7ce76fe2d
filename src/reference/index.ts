/**
 * The BigInt reference backend: the definition of correctness. Each function mirrors
 * the kernel's C semantics literally (see the modules it is assembled from).
 */
import { timeScaleBatchHangRule, type Backend } from '../backend.js';
import { KernelRuleError, isKvmclockError } from '../errors.js';
import { clocksCalcMultShift, clocksourceRegister, cyc2ns, kvmBaseNs, rawNs } from './clocksource.js';
import { setClock, syncWindow, wallClock } from './ioctl.js';
import { mulS64U64Shr, mulU64U32Div, mulU64U32DivGeneric, mulU64U32Shr, mulU64U64Shr } from './mul64.js';
import { pvclockGuestRead, pvclockRead, pvclockScaleDelta, pvclockTscKhz } from './pvclock.js';
import { getTimeScale } from './time-scale.js';
import { adjustTscKhz, computeL1TscOffset, maxGuestTscKhz, nestedTscMultiplier, nestedTscOffset, readL1Tsc, scaleTsc, setTscKhz, tgtTscHz, tgtTscKhz, tscRatio } from './tsc.js';
import { computeGuestTsc, tscCatchup } from './catchup.js';
import { getClockGuestV6, hvclockToHz, setClockGuestV6 } from './clock-guest-v6.js';
import { getKvmclock, masterTscScale, mclockMode } from './master-clock.js';
import { hvRefMsr, hvRefRead, hvTscPage } from './hyperv.js';
import { vmclockGettime, vmclockPeriod, vmclockRead } from './vmclock.js';
import { xenTscLeaf } from './xen.js';

export const referenceBackend: Backend = {
  name: 'reference',
  mulU64U32Shr,
  mulU64U64Shr,
  mulS64U64Shr,
  mulU64U32Div,
  mulU64U32DivGeneric,
  getTimeScale,
  pvclockScaleDelta,
  pvclockRead,
  pvclockTscKhz,
  pvclockGuestRead,
  scaleTsc,
  tscRatio,
  computeL1TscOffset,
  readL1Tsc,
  nestedTscOffset,
  nestedTscMultiplier,
  adjustTscKhz,
  maxGuestTscKhz,
  tgtTscKhz,
  setTscKhz,
  clocksCalcMultShift,
  clocksourceRegister,
  rawNs,
  kvmBaseNs,
  cyc2ns,
  syncWindow,
  setClock,
  wallClock,
  tgtTscHz,
  masterTscScale,
  getKvmclock,
  mclockMode,
  computeGuestTsc,
  tscCatchup,
  hvclockToHz,
  setClockGuestV6,
  getClockGuestV6,
  hvTscPage,
  hvRefRead,
  hvRefMsr,
  xenTscLeaf,
  vmclockRead,
  vmclockGettime,
  vmclockPeriod,

  pvclockReadBatch(tsc, { tscTimestamp, systemTime, mul, shift }, out) {
    for (let i = 0; i < tsc.length; i++) out[i] = pvclockRead(tsc[i], tscTimestamp, systemTime, mul, shift);
  },
  pvclockScaleDeltaBatch(delta, mul, shift, out) {
    for (let i = 0; i < delta.length; i++) out[i] = pvclockScaleDelta(delta[i], mul, shift);
  },
  scaleTscBatch(tsc, ratio, frac, out) {
    for (let i = 0; i < tsc.length; i++) out[i] = scaleTsc(tsc[i], ratio, frac);
  },
  readL1TscBatch(hostTsc, offset, ratio, frac, out) {
    for (let i = 0; i < hostTsc.length; i++) out[i] = readL1Tsc(hostTsc[i], offset, ratio, frac);
  },
  mulU64U64ShrBatch(a, b, shift, out) {
    for (let i = 0; i < a.length; i++) out[i] = mulU64U64Shr(a[i], b[i], shift);
  },
  guestKvmclockBatch(hostTsc, l1Offset, ratio, frac, { tscTimestamp, systemTime, mul, shift }, out) {
    for (let i = 0; i < hostTsc.length; i++) out[i] = pvclockRead(readL1Tsc(hostTsc[i], l1Offset, ratio, frac), tscTimestamp, systemTime, mul, shift);
  },
  getTimeScaleBatch(scaledHz, baseHz, outShift, outMul) {
    for (let i = 0; i < baseHz.length; i++) {
      let t;
      try {
        t = getTimeScale(scaledHz, baseHz[i]);
      } catch (e) {
        if (isKvmclockError(e) && e.code === 'hang') throw new KernelRuleError('hang', timeScaleBatchHangRule(i, scaledHz, baseHz[i]));
        throw e;
      }
      outShift[i] = t.shift;
      outMul[i] = t.mul;
    }
  },
};
