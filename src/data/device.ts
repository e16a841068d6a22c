/**
 * Which backend runs the compute ops. The CPU backend is the default.
 *
 * May import: ./backend, ./cpu.
 */
import type { Backend } from './backend';
import { cpuBackend } from './cpu';

let current: Backend = cpuBackend;

/** The backend that runs compute ops now. */
export function currentBackend(): Backend {
  return current;
}

/** Runs every later compute op on `backend`. Used by device selection and by tests that cover each backend. */
export function useBackend(backend: Backend): void {
  current = backend;
}
