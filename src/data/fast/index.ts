/**
 * The fast CPU backend (WebAssembly SIMD matrix products, optionally on two threads). Select it with
 * `useBackend(fastBackend)`; `referenceBackend` stays the readable reference it is tested against.
 *
 * May import: ./fastBackend, ./threads.
 */
export { fastBackend } from './fastBackend';
export { setFastThreads } from './threads';
