/**
 * Data stays on the device: results of compute ops stay in the device's memory (the fast cpu backend's
 * WebAssembly memory, headlessgl's GL textures) and come back to the host only when read (`toFlat`,
 * `item`) or used by a backend without a device; buffers are freed by `dispose()` and, once
 * unreachable, by the garbage collector (storage.ts).
 *
 * Each test runs on cpu (resident in WebAssembly memory), on webasm (no device buffers: the values
 * must still be right, and the counters must show none) and, with TSGRAD_TEST_GL=1 under xvfb-run, on
 * headlessgl, where it fails, not skips, when GL does not run. A device exposes `device.counters`
 * (live buffers, uploads, downloads), which the tests read to see what moved.
 *
 * Tolerances, as in docs/backends.md: GL elementwise ops within a few ulps (exp rel 1.1e-6, log rel
 * 2.7e-6 measured), sums in float32 within (n+1)·2^-24·Σ|terms|. The chains below are short, so
 * 1e-5 relative (plus 1e-6 absolute near 0) covers them; the gradient test states its own bound.
 */
import { manualSeed, setDevice, Tensor, TensorData } from '../src';
import type { DeviceCounters } from '../src/data/backend';
import { referenceBackend } from '../src/data/reference';
import { currentBackend, useBackend } from '../src/data/device';
import { reclaimDeviceMemory } from '../src/data/storage';

type Device = 'cpu' | 'webasm' | 'headlessgl';
const devices: Device[] = process.env.TSGRAD_TEST_GL === '1' ? ['cpu', 'webasm', 'headlessgl'] : ['cpu', 'webasm'];

function use(device: Device): void {
  if (device === 'cpu') setDevice('cpu');
  else setDevice('gpu', { mode: device });
}

/** The current backend's device counters; undefined when it keeps nothing on a device. */
function counters(): DeviceCounters | undefined {
  return currentBackend().device?.counters;
}

/** `build()` on the cpu backend, as host values, leaving the current backend as it was. */
function onCpu(build: () => TensorData): number[] {
  const saved = currentBackend();
  useBackend(referenceBackend);
  try {
    return build().toFlat();
  } finally {
    useBackend(saved);
  }
}

/** Cells where |got − want| > atol + rtol·|want|, as readable lines ([] when all match). */
function mismatches(got: readonly number[], want: readonly number[], rtol = 1e-5, atol = 1e-6): string[] {
  if (got.length !== want.length) return [`got ${got.length} values, want ${want.length}`];
  return want.flatMap((w, i) => (Math.abs(got[i] - w) <= atol + rtol * Math.abs(w) ? [] : [`cell ${i}: got ${got[i]}, want ${w}`])).slice(0, 5);
}

function values(shape: number[], scale = 1): TensorData {
  const n = shape.reduce((a, b) => a * b, 1);
  return TensorData.fromArray(Array.from({ length: n }, (_, i) => scale * Math.sin(1 + i * 0.7)), shape);
}

/** A chain through every kind of compute op: unary, binary, where, reduce, mulacc, gather, pad. */
function chain(x: TensorData, w: TensorData): TensorData {
  const h = x.exp().mul(x).sub(x.stride([1, -1]));
  const gated = h.cmplt(x).where(h, x.neg());
  const product = gated.reshape([4, 6, 1]).expand([4, 6, 5]).mulacc(w.reshape([1, 6, 5]).expand([4, 6, 5]), [1]);
  const pooled = product.reshape([4, 5]).permute([1, 0]).contiguous().amax([1]);
  return pooled.reshape([1, 5]).add(product.reshape([4, 5]).sum([0])).pad([[1, 0], [0, 2]], 0.5);
}

describe.each(devices)('residency on %s', (device) => {
  const resident = device !== 'webasm';

  beforeAll(() => use(device)); // throws, failing every test, when the device cannot run
  afterAll(() => useBackend(referenceBackend));

  it(`runs on ${device}, with device buffers on cpu and headlessgl`, () => {
    expect(currentBackend().name).toBe(device);
    expect(currentBackend().device !== undefined).toBe(resident);
  });

  it('keeps a chain of ops on the device until toFlat, and gives the cpu values', () => {
    const [x, w] = [values([4, 6]), values([6, 5], 0.5)];
    const before = counters();
    const y = chain(x, w);
    expect(y.residence).toBe(resident ? 'device' : 'host');
    expect(counters()?.downloads).toBe(before?.downloads);
    const got = y.toFlat();
    expect(counters()?.downloads).toBe(before && before.downloads + 1);
    expect(y.residence).toBe(resident ? 'both' : 'host');
    expect(mismatches(got, onCpu(() => chain(x, w)))).toEqual([]);
  });

  it('reads one value back for item()', () => {
    const loss = values([3, 4]).exp().sum([0, 1]).reshape([]);
    const before = counters();
    expect(loss.item()).toBeCloseTo(onCpu(() => values([3, 4]).exp().sum([0, 1]))[0], 5);
    expect(counters()?.downloads).toBe(before && before.downloads + 1);
  });

  it('writes in place into a view of a device storage, bumps the version, and reads back the new values', () => {
    const write = (): TensorData => {
      const base = values([4, 6]).mul(TensorData.const(2, [4, 6]));
      base.toFlat(); // a host copy now exists too: the write must make it stale
      const view = base.shrink([[1, 3], [0, 6]]).stride([1, -2]);
      const version = base.version;
      view.assign(values([2, 3], 10).exp());
      expect(base.version).toBe(version + 1);
      expect(base.residence).toBe(currentBackend().device ? 'device' : 'host'); // write() runs on the cpu too
      return base;
    };
    expect(mismatches(write().toFlat(), onCpu(write))).toEqual([]);
  });

  it('writes a view with values read from the same storage (a flip, a shifted slice) as if from a copy', () => {
    // 64·64 cells: large enough for the fast backend's kernels, which write a region in place.
    const write = (): TensorData => {
      const x = values([64, 64]).mul(TensorData.const(1, [64, 64])); // on the device
      x.assign(x.stride([-1, 1]));
      x.shrink([[1, 64], [0, 64]]).assign(x.shrink([[0, 63], [0, 64]]));
      return x;
    };
    expect(mismatches(write().toFlat(), onCpu(write))).toEqual([]);
  });

  it('moves a host storage to the device when it is written in place there', () => {
    const weights = values([3, 4]); // host values, as a freshly loaded parameter
    weights.assign(weights.sub(TensorData.const(0.25, [3, 4])));
    expect(weights.residence).toBe(resident ? 'device' : 'host');
    expect(mismatches(weights.toFlat(), onCpu(() => values([3, 4]).sub(TensorData.const(0.25, [3, 4]))))).toEqual([]);
  });

  it('reads device values back when the backend switches mid-way, and uploads host values on the way back', () => {
    const y = values([4, 6]).exp().permute([1, 0]);
    const want = onCpu(() => values([4, 6]).exp().permute([1, 0]).mul(values([6, 4])));
    useBackend(referenceBackend); // a backend without a device
    const z = y.mul(values([6, 4]));
    expect(y.residence).toBe(resident ? 'both' : 'host');
    expect(z.residence).toBe('host');
    expect(mismatches(z.toFlat(), want)).toEqual([]);
    use(device);
    const back = z.add(y);
    expect(back.residence).toBe(resident ? 'device' : 'host');
    expect(mismatches(back.toFlat(), want.map((v, i) => v + onCpu(() => values([4, 6]).exp().permute([1, 0]))[i]))).toEqual([]);
  });

  it('frees a buffer at once on dispose(); any later use of any view throws', () => {
    const y = values([4, 6]).exp();
    const view = y.permute([1, 0]);
    const live = counters()?.live;
    y.dispose();
    expect(counters()?.live).toBe(live === undefined ? undefined : live - 1);
    expect(y.isDisposed && view.isDisposed).toBe(true);
    expect(() => view.toFlat()).toThrow(/disposed/);
    expect(() => view.exp()).toThrow(/disposed/);
    expect(() => y.dispose()).not.toThrow();
  });

  it('frees the buffers of unreachable tensors on reclaimDeviceMemory(), inside a synchronous loop', () => {
    const x = values([64, 64]);
    reclaimDeviceMemory(); // what earlier tests dropped
    const live = counters()?.live ?? 0;
    for (let i = 0; i < 100; i++) x.exp().mul(x); // two results per turn, dropped at once
    expect(counters()?.live ?? 0).toBe(resident ? live + 200 : 0); // far below the safety net's 2048
    const freed = reclaimDeviceMemory();
    // all 200, give or take one the engine may still hold in a register
    expect(freed).toBeGreaterThanOrEqual(resident ? 199 : 0);
    expect(counters()?.live ?? 0).toBeLessThanOrEqual(live + 1);
  });

  it('computes a ConvNet gradient end to end (public Tensor API) equal to the cpu one', () => {
    /** Loss and gradients of a conv → relu → maxpool → linear → cross-entropy step, on the current device. */
    const gradients = (): number[][] => {
      manualSeed(7);
      const param = (shape: number[], scale: number): Tensor => {
        const uniform = TensorData.rand(shape).toFlat(); // host values from the seeded generator, on any device
        return new Tensor(TensorData.fromArray(uniform.map((u) => scale * (2 * u - 1)), shape), { requiresGrad: true });
      };
      const [conv, bias, linear] = [param([4, 1, 3, 3], 0.5), param([4], 0.1), param([10, 4 * 3 * 3], 0.2)];
      const images = new Tensor(TensorData.rand([8, 1, 8, 8]));
      const labels = new Tensor(TensorData.fromArray([0, 1, 2, 3, 4, 5, 6, 7], [8]));
      const logits = images.conv2d(conv, bias).relu().maxPool2d(2).flatten(1).linear(linear);
      const loss = logits.crossEntropy(labels);
      loss.backward();
      return [[loss.item()], ...[conv, bias, linear].map((p) => (p.grad?.toArray() as number[] | number[][]).flat(3) as number[])];
    };
    const got = gradients();
    setDevice('cpu');
    const want = gradients();
    use(device);
    // Float32 sums on the gpu against float64 sums on the cpu, through 4 layers: within 1e-5 of the
    // largest gradient of each parameter (measured on webasm and headlessgl: at most 3e-7 of it).
    want.forEach((w, k) => {
      const scale = Math.max(...w.map(Math.abs));
      expect({ k, bad: mismatches(got[k], w, 0, 1e-5 * scale) }).toEqual({ k, bad: [] });
    });
  });
});
