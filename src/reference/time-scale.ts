/** §4 of the spec: kvm_get_time_scale on exact BigInts. */
import type { TimeScale } from '../backend.js';
import { KernelRuleError } from '../errors.js';
import { lo64 } from './c-types.js';

const TWO_32 = 1n << 32n;
const TWO_31 = 1n << 31n;

/**
 * kvm_get_time_scale(scaled_hz, base_hz): the (shift, mul) for which
 * pvclock_scale_delta(x, mul, shift) ≈ x·scaled/base. Written as the spec's
 * four phases, which give the kernel's results exactly.
 */
export function getTimeScale(scaledHz: bigint, baseHz: bigint): TimeScale {
  // Phase 1: shrink the base below 2^32 and to at most twice the scaled value.
  // The doubling is done in u64 and wraps for scaled_hz ≥ 2^63.
  const limit = lo64(2n * scaledHz);
  let base = baseHz;
  let shift = 0;
  while (base >= TWO_32 || base > limit) {
    base >>= 1n;
    shift--;
  }
  if (base === 0n) {
    throw new KernelRuleError(
      'hang',
      `kvm_get_time_scale never terminates: base_hz reduces to 0 (base_hz = 0, or 2·scaled_hz wraps to 0 for scaled_hz = 0 or 2^63); got scaled_hz ${scaledHz}, base_hz ${baseHz}`,
    );
  }
  // Phase 2: bring the scaled value below 2^32.
  let scaled = scaledHz;
  while (scaled >= TWO_32) {
    scaled >>= 1n;
    shift++;
  }
  // Phase 3: grow the base past the scaled value while it has room in 32 bits.
  while (base <= scaled && base < TWO_31) {
    base <<= 1n;
    shift++;
  }
  // Phase 4: the base is already ≥ 2^31; halve the scaled value instead.
  if (base <= scaled) {
    scaled >>= 1n;
    shift++;
  }
  // 32-bit DIV of scaled·2^32 by base: scaled < base holds, so the quotient fits u32.
  const mul = Number((scaled << 32n) / base);
  return { shift, mul };
}
