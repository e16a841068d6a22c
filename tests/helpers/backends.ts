/**
 * The backends every table-driven test runs on. Each entry is [name, backend]; the test files
 * `describe.each` over this list and call `useBackend(backend)` in `beforeAll`.
 * Append a new backend here (e.g. the gpu.js one) and every row runs on it too.
 */
import { referenceBackend, type Backend } from '../../src/data';
import { fastBackend } from '../../src/data/fast';

export const backends: [string, Backend][] = [['reference', referenceBackend], ['fast', fastBackend]];
