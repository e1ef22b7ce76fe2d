/**
 * The upstream changes to KVM's clock arithmetic that kvmclock can model on top of the
 * v6.18 baseline (the project's kernel-variants document): one id per change, where it
 * comes from, and whether it is in the kvm-x86 `clocks` branch queued for Linux 7.4.
 *
 * A change id names arithmetic, not a kernel: code consults `profile.has(id)` at the one
 * place the change alters, never a profile's name.
 */

/** Every change id, in the order of the v6 series (the Dongli Zhang change last). */
export const CHANGE_IDS = [
  'hz-pvclock',
  'set-clock-guest-v6',
  'c-via-guest-tsc',
  'signed-compute-guest-tsc',
  'upscale-to-now',
  'masterclock-offset-tscs',
  'resync-after-set-tsc-khz',
  'keep-active-masterclock',
] as const;

export type ChangeId = (typeof CHANGE_IDS)[number];

/** Where a change comes from and what kvmclock models of it. */
export interface ChangeInfo {
  readonly id: ChangeId;
  /** The posting it comes from (series, patch number, date). */
  readonly source: string;
  /** Its subject, shortened. */
  readonly subject: string;
  /** In the 2026-09-15 linux-next kvm-x86 `clocks` branch (Linux 7.4 material), with the hash printed there. */
  readonly queued: string | null;
  /** What it changes in the arithmetic, in one sentence. */
  readonly effect: string;
}

const V6 = 'David Woodhouse, "Cleaning up the KVM clock mess" v6 (posted 2026-07-03)';

export const CHANGES: Readonly<Record<ChangeId, ChangeInfo>> = {
  'hz-pvclock': {
    id: 'hz-pvclock',
    source: `${V6}, 02/36`,
    subject: 'Improve accuracy of KVM clock when TSC scaling is in force',
    queued: null,
    effect: 'the guest pvclock mul/shift come from the scaled frequency in Hz (floored once) instead of the floored kHz times 1000',
  },
  'set-clock-guest-v6': {
    id: 'set-clock-guest-v6',
    source: `${V6}, 05/36 (Jack Allister)`,
    subject: 'Add KVM_[GS]ET_CLOCK_GUEST',
    queued: null,
    effect: 'KVM_SET_CLOCK_GUEST checks pads, mul, shift, a ±1000 Hz window (ERANGE, wrapping) and the guest TSC, re-snapshots inside the ioctl; GET runs a pending clock update',
  },
  'c-via-guest-tsc': {
    id: 'c-via-guest-tsc',
    source: `${V6}, 13/36`,
    subject: 'Fix KVM clock precision in get_kvmclock() with TSC scaling',
    queued: 'abdef42276d8',
    effect: 'KVM_GET_CLOCK (C′) scales the host TSC delta by the VM ratio and converts with a mul/shift from the Hz-scaled host frequency taken at the master-clock snapshot',
  },
  'signed-compute-guest-tsc': {
    id: 'signed-compute-guest-tsc',
    source: `${V6}, 15/36`,
    subject: 'Fix compute_guest_tsc() to handle negative time deltas',
    queued: 'd9173f59df3a',
    effect: 'compute_guest_tsc subtracts the scaled magnitude of a negative ns delta instead of scaling its u64 wrap',
  },
  'upscale-to-now': {
    id: 'upscale-to-now',
    source: `${V6}, 16/36`,
    subject: 'Restructure kvm_guest_time_update() for TSC upscaling (applied as "Upscale TSC to \'now\', not master clock")',
    queued: '92fac63cc739',
    effect: 'software TSC catch-up measures the lag at the update instant (signed test) and re-reads tsc_timestamp at the master reference with the new offset',
  },
  'masterclock-offset-tscs': {
    id: 'masterclock-offset-tscs',
    source: `${V6}, 22/36`,
    subject: 'Allow master clock mode with offset TSCs',
    queued: null,
    effect: 'the master clock needs only matching TSC frequencies; PVCLOCK_TSC_STABLE needs matching offsets too',
  },
  'resync-after-set-tsc-khz': {
    id: 'resync-after-set-tsc-khz',
    source: `${V6}, 30/36`,
    subject: 'Re-synchronize TSC after KVM_SET_TSC_KHZ',
    queued: null,
    effect: 'KVM_SET_TSC_KHZ keeps the guest TSC continuous (a host write of its value read with the old ratio) and makes the new ratio the VM ratio behind C′',
  },
  'keep-active-masterclock': {
    id: 'keep-active-masterclock',
    source: 'Dongli Zhang, master-clock drift series 3/3 (posted 2026-01-15; not part of v6)',
    subject: 'conditionally update masterclock data in the gtod copy',
    queued: null,
    effect: 'an unforced master-clock update keeps the old reference while the master clock stays on, so it steps the guest clock by 0',
  },
};
