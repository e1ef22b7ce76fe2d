// Batch forms over two fixed static buffers (no allocation, constant memory). The JS side
// copies a chunk of at most BATCH_CAPACITY u64 into buffer A (and B for two-operand
// forms), calls the loop, and copies the results back out of buffer A (in place).
//
// The same exports exist in both builds: the default build runs the scalar loops below;
// the "simd" target (ASC_FEATURE_SIMD, asconfig.json) compiles the v128 kernels of
// simd.ts in their place, with identical results (test/simd-batch.test.ts).
import { mulU64U64Shr } from "./mul128";
import { readClock, scaleDelta } from "./pvclock";
import {
  fillRampSimd, guestKvmclockSimd, mulU64U64ShrSimd, pvclockReadSimd, pvclockScaleDeltaSimd, readL1TscSimd, scaleTscSimd, sumSimd,
} from "./simd";
import { TIME_SCALE_HANG, timeScale } from "./timescale";
import { readL1, scale } from "./tsc";

/** Elements per buffer; a call with n > BATCH_CAPACITY is a caller bug and traps. */
// @ts-ignore: decorator
@inline const BATCH_CAPACITY: i32 = 4096;

const bufferA: usize = memory.data(BATCH_CAPACITY << 3, 16);
const bufferB: usize = memory.data(BATCH_CAPACITY << 3, 16);

/** Number of u64 elements each batch buffer holds. */
export function batchCapacity(): i32 {
  return BATCH_CAPACITY;
}

/** Byte offset of buffer A (inputs, overwritten with the results) in memory. */
export function batchBufferA(): usize {
  return bufferA;
}

/** Byte offset of buffer B (second operand of two-operand forms) in memory. */
export function batchBufferB(): usize {
  return bufferB;
}

// Traps on a chunk length outside 0..BATCH_CAPACITY: only a bug in the JS wrapper can do that.
// @ts-ignore: decorator
@inline
function checkLength(n: i32): void {
  if (<u32>n > <u32>BATCH_CAPACITY) unreachable();
}

/** A[i] = pvclock_read(A[i], tscTimestamp, systemTime, mul, shift) for i < n. */
export function pvclockReadBatch(n: i32, tscTimestamp: u64, systemTime: u64, mul: u32, shift: i32): void {
  checkLength(n);
  if (ASC_FEATURE_SIMD) {
    pvclockReadSimd(bufferA, n, tscTimestamp, systemTime, mul, shift);
    return;
  }
  const end = bufferA + (<usize>n << 3);
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, readClock(load<u64>(p), tscTimestamp, systemTime, mul, shift));
  }
}

/** A[i] = pvclock_scale_delta(A[i], mul, shift) for i < n. */
export function pvclockScaleDeltaBatch(n: i32, mul: u32, shift: i32): void {
  checkLength(n);
  if (ASC_FEATURE_SIMD) {
    pvclockScaleDeltaSimd(bufferA, n, mul, shift);
    return;
  }
  const end = bufferA + (<usize>n << 3);
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, scaleDelta(load<u64>(p), mul, shift));
  }
}

/** A[i] = kvm_scale_tsc(A[i], ratio, frac) for i < n. */
export function scaleTscBatch(n: i32, ratio: u64, frac: u32): void {
  checkLength(n);
  if (ASC_FEATURE_SIMD) {
    scaleTscSimd(bufferA, n, ratio, frac);
    return;
  }
  const end = bufferA + (<usize>n << 3);
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, scale(load<u64>(p), ratio, frac));
  }
}

/** A[i] = kvm_read_l1_tsc(A[i], offset, ratio, frac) for i < n. */
export function readL1TscBatch(n: i32, offset: u64, ratio: u64, frac: u32): void {
  checkLength(n);
  if (ASC_FEATURE_SIMD) {
    readL1TscSimd(bufferA, n, offset, ratio, frac);
    return;
  }
  const end = bufferA + (<usize>n << 3);
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, readL1(load<u64>(p), offset, ratio, frac));
  }
}

/** A[i] = mul_u64_u64_shr(A[i], B[i], shift) for i < n. */
export function mulU64U64ShrBatch(n: i32, shift: u32): void {
  checkLength(n);
  if (ASC_FEATURE_SIMD) {
    mulU64U64ShrSimd(bufferA, bufferB, n, shift);
    return;
  }
  const end = bufferA + (<usize>n << 3);
  const delta = bufferB - bufferA;
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, mulU64U64Shr(load<u64>(p), load<u64>(p + delta), shift));
  }
}

/**
 * A[i] = the KVM clock of definition B (spec section 7) at host TSC A[i], for i < n:
 * the guest TSC g = kvm_read_l1_tsc(A[i], l1Offset, ratio, frac), then
 * pvclock_read(g, tscTimestamp, systemTime, mul, shift). frac in 0..63, shift an s8.
 */
export function guestKvmclockBatch(n: i32, l1Offset: u64, ratio: u64, frac: u32, tscTimestamp: u64, systemTime: u64, mul: u32, shift: i32): void {
  checkLength(n);
  if (ASC_FEATURE_SIMD) {
    guestKvmclockSimd(bufferA, n, l1Offset, ratio, frac, tscTimestamp, systemTime, mul, shift);
    return;
  }
  const end = bufferA + (<usize>n << 3);
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, readClock(readL1(load<u64>(p), l1Offset, ratio, frac), tscTimestamp, systemTime, mul, shift));
  }
}

/**
 * kvm_get_time_scale(scaledHz, A[i]) for i < n: mul (u32) to the u32 array at the start of
 * buffer B, shift (s8) to the byte array at B + 4 * BATCH_CAPACITY. Stops at the first
 * base the kernel would loop on forever and returns its index; returns n when none does.
 */
export function getTimeScaleBatch(n: i32, scaledHz: u64): i32 {
  checkLength(n);
  const shifts = bufferB + (<usize>BATCH_CAPACITY << 2);
  for (let i = 0; i < n; i++) {
    const packed = timeScale(scaledHz, load<u64>(bufferA + (<usize>i << 3)));
    if (packed == TIME_SCALE_HANG) return i;
    store<u32>(bufferB + (<usize>i << 2), <u32>packed);
    store<u8>(shifts + <usize>i, <u8>(packed >> 32));
  }
  return n;
}

/** A[i] = start + (first + i) * step (wrapping) for i < n: a synthetic TSC ramp for streaming runs. */
export function fillRampBatch(n: i32, start: u64, step: u64, first: u64): void {
  checkLength(n);
  const x0 = start + first * step;
  if (ASC_FEATURE_SIMD) {
    fillRampSimd(bufferA, n, x0, step);
    return;
  }
  const end = bufferA + (<usize>n << 3);
  let x = x0;
  for (let p = bufferA; p < end; p += 8, x += step) store<u64>(p, x);
}

/** The wrapping sum of A[0..n) (the checksum of streaming runs). */
export function sumBatch(n: i32): u64 {
  checkLength(n);
  if (ASC_FEATURE_SIMD) return sumSimd(bufferA, n);
  const end = bufferA + (<usize>n << 3);
  let sum: u64 = 0;
  for (let p = bufferA; p < end; p += 8) sum += load<u64>(p);
  return sum;
}
