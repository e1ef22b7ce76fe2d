// The WebAssembly ABI of kvmclock: this export list only. Conventions (see
// src/wasm/instance.ts): u64/s64 travel as i64 (JS sees them signed), u32 as i32;
// fallible functions return a status (status.ts) and leave results in the registers of
// out.ts; batch forms work in place on the static buffers of batch.ts. Two binaries are
// built from this list (asconfig.json): "release" (scalar) and "simd" (v128 batch kernels).

export {
  STATUS_OK, STATUS_DIV0, STATUS_OVERFLOW, STATUS_DE, STATUS_HANG, STATUS_ZERO, STATUS_TOOLARGE, STATUS_EINVAL,
  STATUS_ERANGE, STATUS_NOFREQ, STATUS_NOMASTER, STATUS_INVALID, STATUS_NOFIT,
} from "./status";
export { res0, res1, resI0, resI1, resI2, resI3 } from "./out";
export { mulU64U32Shr, mulU64U64Shr, mulS64U64Shr } from "./mul128";
export { mulU64U32Div, mulU64U32DivGeneric } from "./muldiv";
export { getTimeScale } from "./timescale";
export { pvclockScaleDelta, pvclockRead, pvclockTscKhz, pvclockGuestRead } from "./pvclock";
export { scaleTsc, tscRatio, computeL1TscOffset, readL1Tsc, nestedTscOffset, nestedTscMultiplier } from "./tsc";
export {
  SET_TSC_RATIO_WRITTEN, SET_TSC_USE_SCALING, SET_TSC_CATCHUP, SET_TSC_VIRTUAL_SCALE,
  adjustTscKhz, maxGuestTscKhz, tgtTscKhz, tgtTscHz, setTscKhz,
} from "./tsckhz";
export { masterTscScale, getKvmclock, mclockMode } from "./masterclock";
export { computeGuestTsc, tscCatchup } from "./catchup";
export {
  CLOCK_GUEST_PADS, CLOCK_GUEST_MUL, CLOCK_GUEST_SHIFT, CLOCK_GUEST_NO_MASTER, CLOCK_GUEST_NO_FREQ, CLOCK_GUEST_TSC_BEHIND,
  hvclockToHz, setClockGuestV6, getClockGuestV6,
} from "./clockguest";
export { HV_INVALID_UNSTABLE, HV_INVALID_MUL, hvTscPage, hvRefRead, hvRefMsr } from "./hyperv";
export { xenTscLeaf } from "./xen";
export { vmclockRead, vmclockGettime, vmclockPeriod } from "./vmclock";
export { clocksCalcMultShift, clocksourceRegister, rawNs, kvmBaseNs, cyc2ns } from "./clocksource";
export { setClock, wallClock, syncWindow } from "./ioctl";
export {
  batchCapacity, batchBufferA, batchBufferB,
  pvclockReadBatch, pvclockScaleDeltaBatch, scaleTscBatch, readL1TscBatch, mulU64U64ShrBatch,
  guestKvmclockBatch, getTimeScaleBatch, fillRampBatch, sumBatch,
} from "./batch";
export {
  extremesInstants, extremesGuest, extremesHost, extremesScaledC, extremesRun,
  minBC, maxBC, minBA, maxBA, minBCAt, maxBCAt, minBAAt, maxBAAt,
} from "./extremes";
export {
  PF_CONTROL, PF_HZ_PVCLOCK, PF_C_VIA_GUEST_TSC, PF_KEEP_ACTIVE, PF_HORIZON,
  O_STATUS, O_CLOCKSOURCE, O_RATIO, O_TGT_KHZ, O_GUEST_SCALE, O_HOST_SCALE, O_MASTER_KERNEL_NS, O_TSC_TIMESTAMP,
  O_SYSTEM_TIME, O_GUEST_TSC, O_A, O_B, O_C, O_STEP, O_CONTINUOUS_OFFSET, O_MAX_GUEST_KHZ, O_H, O_WORST, O_HV_SCALE,
  HVP_VALID, HVP_MUL, HVP_OVERFLOW,
  SCALING_SCALED, SCALING_WITHIN_TOLERANCE, SCALING_CATCH_UP, SCALING_REFUSED_SLOWER, SCALING_REFUSED_RATIO, SCALING_REFUSED_MAX_GUEST,
  SET_WRITTEN, SET_USE_SCALING, SET_CATCHUP,
  pointsCapacity, pointsInput, pointsOutput, pointInWords, pointOutWords, pointsSetup, pointsRun,
} from "./points";
export {
  TEXT_DECLINED, SLOT_SCALING, SLOT_TRUE, SLOT_FALSE, SLOT_VENDOR, SLOT_JSON, SLOT_KERNEL,
  textBuffer, textEnds, textPoints, textSlotTable, textStrings, textSlots, textStringBytes, pointsText,
} from "./points-text";
