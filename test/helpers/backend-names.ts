import type { BackendName } from '../../src/backend.js';

/** Both implementations; every vector and every bad-input case runs on each. */
export const BACKEND_NAMES: readonly BackendName[] = ['reference', 'wasm'];
