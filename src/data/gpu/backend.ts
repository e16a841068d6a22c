/**
 * The gpu backend: the `Backend` interface of ../backend.ts on gpu.js kernels, in one gpu.js mode.
 *
 * Modes: 'webasm' (WebAssembly with SIMD, on the CPU; works in plain node) and 'headlessgl' (WebGL
 * through the `gl` package; needs an X display such as xvfb-run, and on a machine without a GPU it is
 * Mesa's llvmpipe, also on the CPU), and in a browser 'webgl2' (gpu.js's WebGL2 kernels on the
 * page's GPU; the same textures as headlessgl). device.ts chooses between them.
 *
 * The backend in parts, each readable alone:
 * - kernels.ts: the kernel functions gpu.js compiles (one per arity, one line per op);
 * - kernelTable.ts: one gpu.js kernel object per op, and how one runs (never silently elsewhere);
 * - layout.ts: views turned into the kernels' scalar arguments;
 * - runner.ts: runs kernels, uploads host inputs, reads results back, deletes temporaries;
 * - compute.ts: the compute ops (elementwise, reductions in passes); scatter.ts: writes into views;
 * - textures.ts: the textures of headlessgl, counted;
 * - this file: the two faces of the backend over those ops.
 * gpu.js never frees kernels (`gpu.kernels` holds them): device.ts keeps one backend per mode for
 * the whole process.
 *
 * Data on the device. On headlessgl the kernels are `pipeline: true, immutable: true` (and
 * `optimizeFloatMemory`, 4 values per texel): each returns a new texture. The backend has two faces
 * over the same code:
 * - the `Backend` methods (host arrays in and out): upload, run, read back, delete;
 * - `device`, a `DeviceMemory`: buffers in and out, nothing read back (textures.ts keeps the books).
 * On webasm there is no texture (a `pipeline` webasm kernel returns a Float32Array anyway), so the
 * webasm backend has no `device`: arrays in, arrays out.
 *
 * May import: gpu.js, ../backend, ../indexRows, ../shape, ./compute, ./kernelTable, ./runner, ./scatter, ./textures.
 */
import { GPU, Texture } from 'gpu.js';
import type { Backend, ComputeOps, DeviceMemory, DeviceView } from '../backend';
import { computeOps } from './compute';
import type { GpuMode } from './kernelTable';
import { KernelRunner, lengthOf, type KernelData, type KernelView } from './runner';
import { scatterHost, scatterWhole } from './scatter';
import { indexAddRows, indexSelectRows } from '../indexRows';
import { numel } from '../shape';
import type { TextureBuffer, Textures } from './textures';

export { REDUCE_CHUNK, WEBASM_MODULE_CACHE, type GpuMode } from './kernelTable';

/** In the order `setDevice('gpu')` prefers them when no mode is asked for. */
export const gpuModes: readonly GpuMode[] = ['headlessgl', 'webgl2', 'webasm'];

/** True when gpu.js can run `mode` in this process (the GL modes open a small test context to find out). */
export function isGpuModeAvailable(mode: GpuMode): boolean {
  if (mode === 'webgl2') return GPU.isWebGL2Supported;
  return mode === 'headlessgl' ? GPU.isHeadlessGLSupported : GPU.isWebAssemblySupported;
}

/** The Backend, named after the gpu.js mode it runs in. On headlessgl it has `device`. */
export interface GpuBackend extends Backend {
  readonly name: GpuMode;
}

/** The gpu backend of one mode: its kernels, and the ops over host arrays (and device buffers on GL). */
export function createGpuBackend(mode: GpuMode): GpuBackend {
  const runner = new KernelRunner(mode);
  const ops = computeOps(runner);
  const result = (data: KernelData): Float32Array => runner.result(data);
  return {
    name: mode,
    unary: (op, x) => result(ops.unary(op, x)),
    binary: (op, a, b) => result(ops.binary(op, a, b)),
    where: (cond, a, b) => result(ops.where(cond, a, b)),
    mulacc: (a, b, axes) => result(ops.mulacc(a, b, axes)),
    reduce: (op, x, axes) => result(ops.reduce(op, x, axes)),
    gather: (x) => result(ops.gather(x)),
    scatter: (target, source) => scatterHost(runner, target, source),
    // The index ops run on the host: a scatter that adds repeated rows has no gpu.js kernel here.
    indexSelect: (x, rows) => indexSelectRows(x, rows, new Float32Array(rows.length * numel(x.shape.slice(1)))),
    indexAdd: indexAddRows,
    device: runner.textures ? deviceMemory(runner, runner.textures, ops) : undefined,
  };
}

/** The headlessgl backend's `device`: the ops with buffers (textures) in and out, nothing read back. */
function deviceMemory(runner: KernelRunner, textures: Textures, ops: ComputeOps<KernelView, KernelData>): DeviceMemory {
  const open = (view: DeviceView): KernelView =>
    view.array instanceof Float32Array ? { ...view, array: view.array } : { ...view, array: textures.unwrap(view.array) };
  /** A result as a buffer: results made without a kernel (empty, or a reduction of nothing) are uploaded. */
  const keep = (data: KernelData): TextureBuffer => {
    if (data instanceof Texture) return textures.wrap(data, lengthOf(data));
    return textures.wrap(data.length === 0 ? null : textures.upload(data), data.length);
  };
  return {
    unary: (op, x) => keep(ops.unary(op, open(x))),
    binary: (op, a, b) => keep(ops.binary(op, open(a), open(b))),
    where: (cond, a, b) => keep(ops.where(open(cond), open(a), open(b))),
    mulacc: (a, b, axes) => keep(ops.mulacc(open(a), open(b), axes)),
    reduce: (op, x, axes) => keep(ops.reduce(op, open(x), axes)),
    gather: (x) => keep(ops.gather(open(x))),
    scatter: (target, source) => keep(scatterWhole(runner, open(target), open(source), ops.gather)),
    owns: (buffer) => textures.owns(buffer),
    upload: (values) => keep(values.length === 0 ? values : textures.upload(values)),
    download: (buffer) => textures.read(buffer),
    release: (buffer) => textures.release(buffer),
    get counters() {
      return textures.counters;
    },
  };
}
