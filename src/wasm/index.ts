/** The WebAssembly backend (`kvmclock/wasm`). */
export { wasmBackend } from './backend.js';
export { wasmInfo } from './instance.js';
