// Batch forms over two fixed static buffers (no allocation, constant memory). The JS side
// copies a chunk of at most BATCH_CAPACITY u64 into buffer A (and B for two-operand
// forms), calls the loop, and copies the results back out of buffer A (in place).
import { mulU64U64Shr } from "./mul128";
import { readClock, scaleDelta } from "./pvclock";
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
  const end = bufferA + (<usize>n << 3);
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, readClock(load<u64>(p), tscTimestamp, systemTime, mul, shift));
  }
}

/** A[i] = pvclock_scale_delta(A[i], mul, shift) for i < n. */
export function pvclockScaleDeltaBatch(n: i32, mul: u32, shift: i32): void {
  checkLength(n);
  const end = bufferA + (<usize>n << 3);
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, scaleDelta(load<u64>(p), mul, shift));
  }
}

/** A[i] = kvm_scale_tsc(A[i], ratio, frac) for i < n. */
export function scaleTscBatch(n: i32, ratio: u64, frac: u32): void {
  checkLength(n);
  const end = bufferA + (<usize>n << 3);
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, scale(load<u64>(p), ratio, frac));
  }
}

/** A[i] = kvm_read_l1_tsc(A[i], offset, ratio, frac) for i < n. */
export function readL1TscBatch(n: i32, offset: u64, ratio: u64, frac: u32): void {
  checkLength(n);
  const end = bufferA + (<usize>n << 3);
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, readL1(load<u64>(p), offset, ratio, frac));
  }
}

/** A[i] = mul_u64_u64_shr(A[i], B[i], shift) for i < n. */
export function mulU64U64ShrBatch(n: i32, shift: u32): void {
  checkLength(n);
  const end = bufferA + (<usize>n << 3);
  const delta = bufferB - bufferA;
  for (let p = bufferA; p < end; p += 8) {
    store<u64>(p, mulU64U64Shr(load<u64>(p), load<u64>(p + delta), shift));
  }
}
