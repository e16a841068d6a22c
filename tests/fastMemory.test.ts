/**
 * The fast backend's WebAssembly memory stays bounded: a convolution whose im2col pack would take
 * 105 MB runs in chunks within PACK_BUDGET. In its own file, so that the module (and its memories,
 * which never shrink) is fresh: other tests' products would have grown them already.
 */
import { useBackend, type StridedView } from '../src/data';
import { fastBackend } from '../src/data/fast';
import { PACK_BUDGET } from '../src/data/fast/gemm';
import { sharedRuntime, wasmRuntime } from '../src/data/fast/wasm';

describe('fast backend: memory', () => {
  it('a convolution with a 105 MB im2col grows the module memory by far less', () => {
    const [channels, side, out, kernel] = [16, 260, 8, 5];
    const image = Float32Array.from({ length: channels * side * side }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
    const weights = Float32Array.from({ length: out * channels * kernel * kernel }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
    const reach = side - kernel + 1;
    const im2colFloats = channels * kernel * kernel * reach * reach;
    expect(im2colFloats * 4).toBeGreaterThan(100e6);
    expect(im2colFloats).toBeGreaterThan(PACK_BUDGET);

    // out[o, i, j] = Σ_{c,u,v} image[c, i+u, j+v]·w[o, c, u, v], as the views Conv2d hands to mulacc.
    const shape = [out, reach, reach, channels, kernel, kernel];
    const x: StridedView = { array: image, shape, strides: [0, side, 1, side * side, side, 1], offset: 0 };
    const w: StridedView = { array: weights, shape, strides: [channels * kernel * kernel, 0, 0, kernel * kernel, kernel, 1], offset: 0 };
    useBackend(fastBackend);
    const result = fastBackend.mulacc(x, w, [3, 4, 5]);

    const memoryBytes = wasmRuntime().memory.buffer.byteLength + sharedRuntime().memory.buffer.byteLength;
    expect(memoryBytes).toBeLessThan(40e6);
    for (const [o, i, j] of [[0, 0, 0], [3, 100, 7], [7, reach - 1, reach - 1]]) {
      let expected = 0;
      for (let c = 0; c < channels; c++) {
        for (let u = 0; u < kernel; u++) {
          for (let v = 0; v < kernel; v++) expected += image[c * side * side + (i + u) * side + j + v] * weights[((o * channels + c) * kernel + u) * kernel + v];
        }
      }
      expect(result[(o * reach + i) * reach + j]).toBeCloseTo(expected, 3);
    }
  });
});
