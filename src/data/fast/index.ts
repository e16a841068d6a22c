/**
 * The fast CPU backend (WebAssembly SIMD matrix products, optionally on two threads; tensors resident
 * in its WebAssembly memory). The default
 * device, `setDevice('cpu')`; `referenceBackend` (../reference.ts) is the reference it is tested against.
 *
 * May import: ./fastBackend, ./threads, ./wasm.
 */
export { fastBackend } from './fastBackend';
export { setFastThreads } from './threads';
export { fastMemoryBytes } from './wasm';
