/** Task functions for the hardening tests of the worker pool, run inside pool workers. */

/** Allocates until the worker's heap limit stops it. */
export function exhaustHeap(): number {
  const hoard: number[][] = [];
  for (;;) hoard.push(Array.from({ length: 1 << 16 }, (_, i) => i));
}

/** The options this worker's Node was started with. */
export function execArgv(): string[] {
  return [...process.execArgv];
}

/** Fails the way an engine refusing a Wasm instance's memory does (ulimit -v). */
export function wasmMemoryRefused(): never {
  throw new RangeError('WebAssembly.Instance(): Out of memory: Cannot allocate Wasm memory for new instance');
}
