/**
 * kvmclock/model: the state KVM keeps for guest time and the operations that change
 * it, on top of the exact arithmetic. See the README ("Clock model").
 */
export { Host, type HostOptions, type HostClocksource, type RawTimekeeper } from './host.js';
export { Vm, type VmOptions, type VcpuState, type KvmClockData, type ClockValues, type MasterClockBlocker, type TscMatchingRule } from './vm.js';
export { tscCaps, VENDORS, type TscCaps, type Vendor } from './vendor.js';
export { abc, clockA, clockB, clockC, resnapshotStep, type AbcInput, type AbcOutput, type ClockState, type ResnapshotStep } from './definitions.js';
export { setClockGuestOffset, type SetClockGuestResult } from './clock-guest.js';
export { aPvclockRecord, guestClockRead, readRecord, type GuestClockRead, type PvclockRecord } from './pvclock-record.js';
export { standardVm, STANDARD_M, type StandardOptions, type StandardVm } from './standard.js';
export { clockSummary, type ClockSummary } from './clock-summary.js';
export { parseTimeline, runTimeline, DEFAULT_START, EVENT_TYPES, type Timeline, type TimelineEvent, type TimelineResult, type Discontinuity, type TimelineSample } from './timeline.js';
