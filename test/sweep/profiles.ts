/** Kernel profiles the sweep tests run every point under. */

/** Every profile the sweep can be asked for that changes a standard point, and the presets. */
export const PROFILES = [
  '6.18',
  '7.4-queued',
  'clocks-v6',
  '6.18+hz-pvclock',
  '6.18+c-via-guest-tsc',
  '7.4-queued+hz-pvclock',
  '6.18+keep-active-masterclock',
  'clocks-v6+keep-active-masterclock',
  'clocks-v6-hz-pvclock',
];

