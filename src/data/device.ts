/**
 * Which backend runs the compute ops: the fast CPU backend (the default: WebAssembly SIMD, see
 * fast/), the gpu.js backend in one of its modes, or the reference backend (reference.ts): the plain
 * TypeScript loops every other backend is tested against, slow and simple to read.
 *
 * - `setDevice('cpu')`, `setDevice('gpu')` (headlessgl when a GL context opens, webgl2 in a browser, else webasm),
 *   `setDevice('gpu', { mode: 'webasm' })` to ask for one mode, or `setDevice('reference')`. An
 *   unavailable mode throws; the device is never silently another one than asked. Each choice
 *   prints one line to stderr.
 * - Without a call, the environment variable TSGRAD_DEVICE (`cpu`, `gpu`, `gpu:webasm`,
 *   `gpu:headlessgl`, `reference`) is read on the first compute op, with the same rules.
 * - `getDevice()` names what runs: 'cpu', the gpu.js mode ('webasm', 'headlessgl'), or 'reference'.
 * - `gpuBackend({ mode })` hands out the gpu backend itself without switching (for tests that
 *   compare it with `referenceBackend`).
 *
 * Importing this file creates nothing. A gpu backend (a gpu.js `GPU` and its kernels) is made on
 * first use and kept for the process, one per mode: gpu.js never frees kernels.
 *
 * Switching devices copies nothing at once. On headlessgl results stay in textures (the backend's
 * `device`, see storage.ts); a tensor whose values are on a device is read back when a backend
 * without that device first uses it, and host values are uploaded when a device op reads them.
 *
 * May import: ./backend, ./fast, ./gpu/backend, ./reference, ../platform/node (the platform seam).
 */
import type { Backend, DeviceCounters } from './backend';
import { fastBackend } from './fast';
import { referenceBackend } from './reference';
import { environment, writeLine } from '../platform/node';
import { createGpuBackend, gpuModes, isGpuModeAvailable, type GpuBackend, type GpuMode } from './gpu/backend';

/**
 * What `setDevice` accepts: 'cpu' (the fast WebAssembly backend), 'gpu' (the gpu.js backend), or
 * 'reference' (the plain loops every backend is tested against: to check a result, not to train).
 */
export type DeviceName = 'cpu' | 'gpu' | 'reference';
export type { GpuBackend, GpuMode };

/** Options of `setDevice` and `gpuBackend`. */
export interface DeviceOptions {
  /** The gpu.js mode to run in (gpu only); without it the first available of headlessgl, webgl2, webasm. */
  readonly mode?: GpuMode;
}

let current: Backend | null = null;
const gpuBackends = new Map<GpuMode, GpuBackend>();

/** The backend that runs compute ops now (reads TSGRAD_DEVICE on the first call if nothing was chosen). */
export function currentBackend(): Backend {
  if (current === null) current = fromEnvironment();
  return current;
}

/** Runs every later compute op on `backend`. Used by device selection and by tests that cover each backend. */
export function useBackend(backend: Backend): void {
  current = backend;
}

/** Runs every later compute op on the fast CPU backend, on gpu.js kernels, or on the reference backend. */
export function setDevice(name: DeviceName, options: DeviceOptions = {}): void {
  useBackend(chooseDevice(name, options, `setDevice('${name}'${options.mode ? `, { mode: '${options.mode}' }` : ''})`));
}

/** 'cpu', the gpu.js mode the gpu device runs in ('webasm', 'headlessgl', 'webgl2'), or 'reference'. */
export function getDevice(): string {
  return currentBackend().name;
}

/**
 * What the current device keeps in its own memory (live buffers and bytes, buffers made and freed,
 * uploads and read-backs), or null when it keeps nothing there (cpu, reference, webasm).
 */
export function deviceCounters(): DeviceCounters | null {
  return currentBackend().device?.counters ?? null;
}

/**
 * The gpu backend of one mode (the asked one, else the first available), made on first use and kept.
 * Does not switch the device. Throws, naming what was asked and what exists, when the mode cannot run here.
 */
export function gpuBackend(options: DeviceOptions = {}): GpuBackend {
  return gpuBackendFor(options, `gpuBackend(${options.mode ? `{ mode: '${options.mode}' }` : ''})`);
}

function gpuBackendFor(options: DeviceOptions, asked: string): GpuBackend {
  const mode = options.mode ?? gpuModes.find(isGpuModeAvailable);
  if (mode === undefined) throw new Error(`${asked}: gpu.js can run none of its modes (${gpuModes.join(', ')}) here`);
  if (!gpuModes.includes(mode)) throw new TypeError(`${asked}: unknown gpu mode '${String(mode)}'; the modes are ${gpuModes.join(', ')}`);
  if (!isGpuModeAvailable(mode)) {
    const available = gpuModes.filter(isGpuModeAvailable);
    throw new Error(
      `${asked}: gpu.js mode '${mode}' is not available in this process` +
        (mode === 'headlessgl' ? ' (it needs the gl package, built by .ci/gl-setup.sh, and an X display, e.g. xvfb-run -a)' : '') +
        `; available: ${available.length > 0 ? available.join(', ') : 'none'}`,
    );
  }
  let backend = gpuBackends.get(mode);
  if (backend === undefined) {
    backend = createGpuBackend(mode);
    gpuBackends.set(mode, backend);
  }
  return backend;
}

function chooseDevice(name: DeviceName, options: DeviceOptions, asked: string): Backend {
  if (name === 'cpu' || name === 'reference') {
    if (options.mode !== undefined) throw new TypeError(`${asked}: a mode is only for the gpu device`);
    announce(name === 'cpu' ? 'device cpu (the fast WebAssembly backend)' : 'device reference (the plain TypeScript loops, slow)');
    return name === 'cpu' ? fastBackend : referenceBackend;
  }
  if (name !== 'gpu') throw new TypeError(`${asked}: unknown device '${String(name)}'; the devices are 'cpu', 'gpu' and 'reference'`);
  const backend = gpuBackendFor(options, asked);
  announce(`device gpu (gpu.js mode ${backend.name}${options.mode ? '' : ', chosen automatically'})`);
  return backend;
}

function fromEnvironment(): Backend {
  const value = environment('TSGRAD_DEVICE');
  if (value === undefined || value === '') return fastBackend;
  const asked = `TSGRAD_DEVICE=${value}`;
  const [name, mode] = value.split(':');
  if (name !== 'cpu' && name !== 'gpu' && name !== 'reference') {
    throw new TypeError(`${asked}: expected cpu, reference, gpu, or gpu:<mode> with a mode of ${gpuModes.join(', ')}`);
  }
  return chooseDevice(name, mode === undefined ? {} : { mode: mode as GpuMode }, asked);
}

function announce(what: string): void {
  writeLine(`tsgrad: ${what}`);
}
