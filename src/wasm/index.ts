/** The WebAssembly backend (`kvmclock/wasm`). */
export { wasmBackend } from './backend.js';
export { setWasmBatchEngine, wasmBatchEngine, wasmInfo, type BatchEngine } from './instance.js';
