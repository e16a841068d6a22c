/**
 * The fast backend's resident tensors (src/data/fast/resident.ts): results stay in regions of the
 * WebAssembly memory; freed regions are reused by size; when the memory has no room left, the regions
 * of unreachable tensors are reclaimed, and a tensor that still cannot fit is a RangeError that says
 * so, after which everything works as before. In its own file, so that the memory starts empty.
 */
import { Tensor, nn, optim, tidy } from '../src';
import { deviceCounters, reclaimStats, TensorData, useBackend } from '../src/data';
import { fastBackend, setFastThreads } from '../src/data/fast';
import { homeRuntime, setRegionBudget } from '../src/data/fast/resident';

beforeAll(() => useBackend(fastBackend));
afterEach(() => setRegionBudget(null));

function data(shape: number[]): TensorData {
  const n = shape.reduce((a, b) => a * b, 1);
  return TensorData.fromArray(Array.from({ length: n }, (_, i) => Math.sin(i)), shape);
}

describe('resident tensors on the fast backend', () => {
  it('keeps results in the memory, and training steps in tidy() reuse the same regions', () => {
    const model = new nn.Sequential(new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 4));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const x = new Tensor(data([16, 64]));
    const y = new Tensor(TensorData.fromArray(Array.from({ length: 16 }, (_, i) => i % 4), [16]));
    const step = (): number => tidy(() => {
      opt.zeroGrad();
      const loss = model.forward(x).crossEntropy(y);
      loss.backward();
      opt.step();
      return loss.item();
    });
    const first = step();
    step();
    const bytes = homeRuntime().regionBytes;
    let last = first;
    for (let i = 0; i < 20; i++) last = step();
    expect(homeRuntime().regionBytes).toBe(bytes);
    expect(last).toBeLessThan(first);
    expect(model.parameters().every((p) => p.data.residence === 'device')).toBe(true);
  });

  it('reclaims the regions of unreachable tensors when the memory has no room left, then reuses them', () => {
    const x = data([256, 256]);
    setRegionBudget(homeRuntime().regionBytes + 4 * 2 ** 20); // room for 16 results of 256 KiB
    const before = reclaimStats().reclaims;
    let total = 0;
    for (let i = 0; i < 40; i++) total += x.exp().sum([0, 1]).item(); // each exp result is dropped at once
    expect(reclaimStats().reclaims).toBeGreaterThan(before);
    expect(total / 40).toBeCloseTo(x.exp().sum([0, 1]).item(), 0);
  });

  it('a tensor that cannot fit is a RangeError naming its size; then everything works as before', () => {
    const x = data([1024, 1024]);
    const kept = x.neg();
    setRegionBudget(homeRuntime().regionBytes + 2 ** 20);
    expect(() => x.exp()).toThrow(/no room for a tensor of 1048576 values in the WebAssembly memory/);
    expect(kept.shrink([[0, 1], [0, 3]]).toFlat()).toEqual(x.shrink([[0, 1], [0, 3]]).toFlat().map((v) => -v));
    setRegionBudget(null);
    expect(x.exp().shrink([[1, 2], [5, 6]]).item()).toBeCloseTo(Math.exp(Math.sin(1029)), 5);
  });

  it('values made with two threads (in the shared memory) stay right after switching to one (the plain memory), and back', () => {
    const a = data([64, 64]).exp(); // made in the home memory of two threads
    const before = a.toFlat();
    setFastThreads(1);
    try {
      const b = a.mul(TensorData.const(2, [64, 64])); // a is read from the other memory
      a.shrink([[0, 1], [0, 64]]).assign(b.shrink([[1, 2], [0, 64]])); // and written in place
      expect(b.toFlat()).toEqual(before.map((v) => Math.fround(v * 2)));
      expect(a.toFlat()).toEqual([...b.toFlat().slice(64, 128), ...before.slice(64)]);
    } finally {
      setFastThreads(2);
    }
    expect(a.add(a).shrink([[0, 1], [0, 2]]).toFlat()).toEqual(before.slice(64, 66).map((v) => Math.fround(Math.fround(v * 2) * 2)));
  });

  it('an op that throws leaves no region behind, and the next op works', () => {
    const x = data([64, 64]);
    const live = deviceCounters()?.live;
    const exp = jest.spyOn(Math, 'exp').mockImplementation(() => { throw new Error('exp failed'); });
    try {
      expect(() => x.exp()).toThrow('exp failed'); // exp runs in JavaScript: no WebAssembly instruction for it
    } finally {
      exp.mockRestore();
    }
    expect(deviceCounters()?.live).toBe(live);
    expect(x.exp().shrink([[0, 1], [0, 1]]).item()).toBeCloseTo(Math.exp(Math.sin(0)), 6);
  });
});
